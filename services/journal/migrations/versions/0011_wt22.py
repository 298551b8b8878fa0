"""Reuse of fresh answers (#22): the person key of a request, the request whose answer it reused, the groups'
count of reused rows.

Revision ID: 0011_wt22
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_wt22"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("requests", sa.Column("person_key", sa.Text()))
    op.add_column("requests", sa.Column("reused_from", sa.BigInteger()))
    op.add_column("requests", sa.Column("ferzl_answered_at", sa.DateTime(timezone=True)))
    op.add_column("groups", sa.Column("reused", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.create_index(
        "ix_requests_reuse",
        "requests",
        ["organization_id", "person_key", "answered_at"],
        postgresql_where=sa.text("status = 'answered' AND reused_from IS NULL AND person_key IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_requests_reuse", "requests")
    op.drop_column("groups", "reused")
    op.drop_column("requests", "ferzl_answered_at")
    op.drop_column("requests", "reused_from")
    op.drop_column("requests", "person_key")
