"""bench/resources.py without a broker or a database: names that never meet `make run`'s, and signals that end a
benchmark through its cleanup."""

import os
import signal
import time

import pytest

from bench import resources


def test_names_carry_the_tag_and_never_are_make_runs(monkeypatch):
    monkeypatch.delenv(resources.TAG_VARIABLE, raising=False)
    assert resources.names() == ("ozsp-bench", "ozsp_bench")
    monkeypatch.setenv(resources.TAG_VARIABLE, "ab12")
    assert resources.names() == ("ozsp-bench-ab12", "ozsp_bench_ab12")
    assert resources.RUNNING not in resources.names()


@pytest.mark.parametrize("bad", ["AB", "a-b", "a b", "ä", "x;drop"])
def test_a_tag_is_letters_and_digits(monkeypatch, bad):
    monkeypatch.setenv(resources.TAG_VARIABLE, bad)
    with pytest.raises(SystemExit, match="OZSP_BENCH_TAG"):
        resources.names()


def test_sigterm_ends_the_run_through_its_cleanup():
    cleaned = []
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with resources.Resources(settings=object()) as res:
            res.callback(lambda: cleaned.append(signal.getsignal(signal.SIGTERM)))
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes of the main thread
                pass
    assert cleaned == [signal.SIG_IGN]  # a second SIGTERM during the cleanup is ignored
    assert signal.getsignal(signal.SIGTERM) == before  # and the handlers are back afterwards


def test_a_stop_lost_on_its_way_is_asked_again():
    """Python drops a KeyboardInterrupt raised inside a weakref callback or __del__ (a full-size bench once ran on
    after SIGTERM so): the run is signalled again until its cleanup begins."""
    cleaned, started = [], time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        with resources.Resources(settings=object()) as res:
            res.callback(cleaned.append, "cleaned")
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(1000):
                    pass
            except KeyboardInterrupt:
                pass  # lost, as in a weakref callback
            time.sleep(30)  # the watcher's next signal ends this
    assert cleaned == ["cleaned"] and time.monotonic() - started < 5


def test_resources_remove_in_reverse_order():
    done = []
    with resources.Resources(settings=object()) as res:
        res.callback(done.append, "vhost")
        res.callback(done.append, "database")
        res.callback(done.append, "processes")
    assert done == ["processes", "database", "vhost"]
