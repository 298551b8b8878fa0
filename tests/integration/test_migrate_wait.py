"""`ozsp migrate --wait` on the real PostgreSQL: an answering database is not waited for."""

import time

import pytest

from services import admin
from tests import support

pytestmark = pytest.mark.integration


def test_wait_returns_at_once_when_postgres_answers(settings, capsys):
    started = time.monotonic()
    admin.wait_for_database(settings.database_url, 60)
    assert time.monotonic() - started < 2
    assert "не отвечает" not in capsys.readouterr().out


def test_migrate_with_wait_on_a_fresh_database(settings):
    url, drop = support.make_test_database(settings)
    try:
        admin.migrate(url, wait=60)
    finally:
        drop()
