"""tests/support.py require: a missing prerequisite skips locally (named in the summary), fails under CI."""

import pytest

from tests import support


def _report(message):
    return type("Report", (), {"longrepr": ("tests/x.py", 1, f"Skipped: {message}")})()


def test_a_missing_prerequisite_skips_locally_and_the_summary_names_its_package(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception) as caught:
        support.require(False, "browser", "apt-get install chromium", "no Chromium at /usr/bin/chromium")
    other = _report("official schemas not found")
    assert support.skipped_summary([_report(caught.value.msg)] * 12 + [other]) == [
        "skipped: 12 browser tests — apt-get install chromium"
    ]


def test_under_ci_a_missing_prerequisite_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        support.require(False, "GOST OpenSSL", "apt-get install libengine-gost-openssl")
    support.require(True, "GOST OpenSSL", "apt-get install libengine-gost-openssl")


def test_destructive_tests_run_only_with_the_flag(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv(support.DESTRUCTIVE_FLAG, raising=False)
    with pytest.raises(pytest.skip.Exception, match="make test-destructive"):
        support.require_destructive()
    monkeypatch.setenv(support.DESTRUCTIVE_FLAG, "1")
    support.require_destructive()
