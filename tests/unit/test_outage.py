"""shared.outage: an outage logged once, with reminders and an end; nameko's tracebacks of redeliveries dropped."""

import logging

import kombu.exceptions
from sqlalchemy.exc import IntegrityError, OperationalError

from shared import outage

log = logging.getLogger("test.outage")


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_an_outage_is_logged_when_it_starts_every_minute_while_it_lasts_and_when_it_ends(caplog):
    clock = Clock()
    watch = outage.Outage(log, "dispatch", remind=60, clock=clock)
    caplog.set_level(logging.INFO, "test.outage")
    for second in range(0, 150, 1):  # five tries a second for 150 s would be 750 tracebacks
        clock.now = 100.0 + second
        watch.failed(OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused")))
    clock.now = 260.0
    watch.ok()
    watch.ok()  # nothing more once it is over
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4, lines
    assert lines[0].startswith("dispatch: the database or the broker is unavailable (OperationalError: ")
    assert lines[1].startswith("dispatch: still unavailable after 60 s, 61 tries")
    assert lines[2].startswith("dispatch: still unavailable after 120 s, 121 tries")
    assert lines[3] == "dispatch: available again after 160 s, 150 failed tries"
    watch.failed(kombu.exceptions.OperationalError("ECONNREFUSED"))  # a new outage starts afresh
    assert "unavailable (OperationalError: ECONNREFUSED)" in caplog.records[-1].getMessage()


def test_what_counts_as_unavailable():
    assert outage.unavailable(OperationalError("x", {}, Exception("server closed the connection")))
    assert outage.unavailable(kombu.exceptions.OperationalError("ECONNREFUSED"))
    assert outage.unavailable(ConnectionResetError())
    assert not outage.unavailable(IntegrityError("x", {}, Exception("duplicate key")))
    assert not outage.unavailable(ValueError("a bug"))


def test_redeliveries_are_not_logged_again_outages_lose_their_tracebacks_bugs_keep_them():
    quiet = outage.QuietOutages()

    def record(exc):
        try:
            raise exc
        except Exception:
            import sys

            return logging.LogRecord(
                "nameko.containers", logging.ERROR, __file__, 1, "error handling worker", (), sys.exc_info()
            )

    assert quiet.filter(record(outage.Redeliver("chunk 1"))) is False
    bug = record(ValueError("a bug"))
    assert quiet.filter(bug) is True and bug.exc_info is not None
    away = record(OperationalError("SELECT 1", {}, Exception("the database system is shutting down")))
    assert quiet.filter(away) is True and away.exc_info is None and away.getMessage() == "error handling worker"
    assert quiet.filter(logging.LogRecord("x", logging.INFO, __file__, 1, "plain", (), None)) is True


def test_a_lock_conflict_is_told_by_its_sqlstate():
    class Orig(Exception):
        def __init__(self, pgcode):
            super().__init__("x")
            self.pgcode = pgcode

    assert outage.lock_conflict(OperationalError("UPDATE", {}, Orig("40P01")))  # deadlock detected
    assert outage.lock_conflict(OperationalError("UPDATE", {}, Orig("40001")))  # serialization failure
    assert not outage.lock_conflict(OperationalError("SELECT 1", {}, Orig("57P01")))  # admin shutdown: an outage
    assert not outage.lock_conflict(ValueError("a bug"))
