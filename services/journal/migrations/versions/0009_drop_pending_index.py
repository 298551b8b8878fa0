"""requests: drop ix_requests_pending, which ix_requests_in_flight duplicates

ix_requests_in_flight has the same predicate (status 'sent') and holds the same rows, NULL dispatched_at
included; the one on id cost an index entry at every insert and every claim and served no query of its own.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.get_context().autocommit_block():  # CONCURRENTLY: requests are written meanwhile, nothing waits
        op.drop_index("ix_requests_pending", "requests", postgresql_concurrently=True, if_exists=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.create_index("ix_requests_pending", "requests", ["id"], postgresql_where=sa.text("status = 'sent'"),
                        postgresql_concurrently=True, if_not_exists=True)
