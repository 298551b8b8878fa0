"""services.journal.calls.archive on a real PostgreSQL: retention drops old exchanges, batch after batch."""

import pytest
from sqlalchemy import text

from services.journal import archive
from services.journal.calls import archive as calls

pytestmark = pytest.mark.integration


def test_purge_archive_drops_what_is_older_than_the_retention_once_for_all_copies(quiet_engine, monkeypatch):
    monkeypatch.setattr(archive, "PURGE_BATCH", 2)  # a whole batch went: the job goes on
    with quiet_engine.begin() as conn:  # request id -18: rows of this test only
        conn.execute(text("DELETE FROM job_turns WHERE name = :n"), {"n": calls.PURGE_ARCHIVE_TURN})
        for age in ("40 days", "35 days", "31 days", "32 days", "1 day"):
            conn.execute(
                text(
                    "INSERT INTO ferzl_archive (at, request_ids, exchanges, content) "
                    "VALUES (now() - CAST(:age AS interval), ARRAY[-18], 1, '\\x00')"
                ),
                {"age": age},
            )
    calls.purge_archive(quiet_engine, 30)
    with quiet_engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM ferzl_archive WHERE request_ids = ARRAY[-18::bigint]")).scalar()
            == 1
        )
    with quiet_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ferzl_archive (at, request_ids, exchanges, content) VALUES (now() - interval '40 days', ARRAY[-18], 1, '\\x00')"
            )
        )
    calls.purge_archive(quiet_engine, 30)  # another journal copy's timer, within the hour: not its turn
    with quiet_engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM ferzl_archive WHERE request_ids = ARRAY[-18::bigint]")).scalar()
            == 2
        )
