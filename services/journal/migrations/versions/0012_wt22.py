"""What changed since the last check (#22): the register's person of an answer (ОИП, else ЕНП) and what changed
since this organisation's previous answer for that person.

Revision ID: 0012_wt22
Revises: 0012_wt23
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012_wt22"
down_revision = "0012_wt23"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("requests", sa.Column("person_ref", sa.Text()))
    op.add_column("requests", sa.Column("changes_since", postgresql.JSONB()))
    op.create_index(
        "ix_requests_person",
        "requests",
        ["organization_id", "person_ref", "answered_at"],
        postgresql_where=sa.text("status = 'answered' AND reused_from IS NULL AND person_ref IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_requests_person", "requests")
    op.drop_column("requests", "changes_since")
    op.drop_column("requests", "person_ref")
