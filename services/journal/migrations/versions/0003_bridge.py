"""ferzl_bridge infrastructure: the support archive of SOAP exchanges, the shared rate-limit bucket,
the shared circuit state

Revision ID: 0003
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Raw SOAP exchanges with ФЕРЗЛ, one row per work chunk (a zlib stream of all its exchanges, see
    # services/ferzl_bridge/archive.py); read by administrators only (ozsp archive show), deleted after
    # FERZL_ARCHIVE_DAYS.
    op.create_table(
        "ferzl_archive",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("request_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("exchanges", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ferzl_archive")),
    )
    op.execute("ALTER TABLE ferzl_archive ALTER COLUMN content SET STORAGE EXTERNAL")  # zlib already: no pglz
    op.create_index("ix_ferzl_archive_at", "ferzl_archive", ["at"])
    op.execute("CREATE INDEX ix_ferzl_archive_request_ids ON ferzl_archive USING gin (request_ids)")
    # Token bucket shared by all bridge processes (ФЕРЗЛ calls per second).
    op.create_table(
        "ferzl_bucket",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_ferzl_bucket")),
    )
    # ФЕРЗЛ availability as all bridge processes see it: one row.
    op.create_table(
        "ferzl_circuit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("probe_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("degraded_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_ferzl_circuit_one_row")),
        sa.CheckConstraint("state in ('up', 'degraded', 'down')", name=op.f("ck_ferzl_circuit_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ferzl_circuit")),
    )
    op.execute("INSERT INTO ferzl_circuit (id, state, since) VALUES (1, 'up', now())")


def downgrade():
    op.drop_table("ferzl_circuit")
    op.drop_table("ferzl_bucket")
    op.execute("DROP INDEX IF EXISTS ix_ferzl_archive_request_ids")
    op.drop_index("ix_ferzl_archive_at", table_name="ferzl_archive")
    op.drop_table("ferzl_archive")
