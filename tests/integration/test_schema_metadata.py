"""services/journal/models.py matches what the migrations build: Alembic's autogenerate, run against a freshly
migrated database, proposes nothing (it used to propose dropping every table after 0001)."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table

from services.journal.models import metadata

pytestmark = pytest.mark.integration


def differences(engine, target):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        return [d for d in compare_metadata(context, target) if not _alembic_version(d)]


def _alembic_version(diff):
    return diff[0] == "remove_table" and diff[1].name == "alembic_version"


def test_autogenerate_finds_no_difference(quiet_engine):
    assert differences(quiet_engine, metadata) == []


def test_the_comparison_sees_a_table_the_metadata_lacks(quiet_engine):
    partial = MetaData()
    for table in metadata.sorted_tables:
        if table.name != "captchas":
            table.to_metadata(partial)
    Table("not_in_the_database", partial, Column("id", Integer, primary_key=True))
    kinds = {(d[0], d[1].name) for d in differences(quiet_engine, partial)}
    assert kinds == {
        ("remove_table", "captchas"),
        ("remove_index", "ix_captchas_expires_at"),
        ("add_table", "not_in_the_database"),
    }


def test_the_comparison_sees_a_missing_column(quiet_engine):
    partial = MetaData()
    for table in metadata.sorted_tables:
        copy = table.to_metadata(partial)
        if table.name == "groups":
            copy._columns.remove(copy.c.notified_at)
    assert [(d[0], d[2], d[3].name) for d in differences(quiet_engine, partial)] == [
        ("remove_column", "groups", "notified_at")
    ]
