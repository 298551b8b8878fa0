"""The journal's part of the ФЕРЗЛ archive that runs on a timer: retention."""

import logging

from sqlalchemy.engine import Engine

from services.journal import archive, turns

log = logging.getLogger(__name__)
PURGE_ARCHIVE_TURN, PURGE_ARCHIVE_SECONDS = "purge_archive", 3240.0  # 0.9 of the journal's hourly timer


def purge_archive(engine: Engine, days: int) -> None:
    """Drop ФЕРЗЛ exchanges older than `days`, a batch a transaction; a failure is logged (the timer comes back)."""
    try:
        if not turns.take_now(engine, PURGE_ARCHIVE_TURN, PURGE_ARCHIVE_SECONDS):  # one journal copy in all
            return
        while True:
            with engine.begin() as conn:
                if archive.purge(conn, days) < archive.PURGE_BATCH:
                    return
    except Exception:
        log.exception("archive retention cleanup failed; it runs again in an hour")
