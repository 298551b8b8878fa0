"""The migrations on a real PostgreSQL database: down and up again, the concurrent index builds included."""

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from services import admin
from tests import support

pytestmark = pytest.mark.integration

DISPATCH_INDEXES = {"ix_requests_in_flight", "ix_requests_new", "ix_requests_new_group", "ix_requests_new_single"}


def indexes(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_class t ON t.oid = i.indrelid WHERE t.relname = 'requests' AND i.indisvalid"
                )
            ).scalars()
            return set(rows)
    finally:
        engine.dispose()


def test_down_to_0007_and_up_again_rebuilds_the_dispatch_indexes(settings):
    url, drop = support.make_test_database(settings)
    try:
        admin.migrate(url)
        at_head = indexes(url)
        assert DISPATCH_INDEXES <= at_head and "ix_requests_pending" not in at_head
        cfg = admin.alembic_config(url)
        command.downgrade(cfg, "0008")
        assert "ix_requests_pending" in indexes(url)
        command.downgrade(cfg, "0007")
        assert not DISPATCH_INDEXES & indexes(url)
        command.upgrade(cfg, "head")
        assert indexes(url) == at_head
    finally:
        drop()
