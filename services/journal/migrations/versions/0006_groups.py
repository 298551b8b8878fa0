"""groups: idempotency key of an upload, file encoding, completion notice

Revision ID: 0006
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("groups", sa.Column("idempotency_key", sa.Text()))
    op.add_column("groups", sa.Column("encoding", sa.Text()))
    op.add_column("groups", sa.Column("notified_at", sa.DateTime(timezone=True)))
    op.create_index("uq_groups_org_idempotency_key", "groups", ["organization_id", "idempotency_key"], unique=True,
                    postgresql_where=sa.text("idempotency_key IS NOT NULL"))


def downgrade():
    op.drop_index("uq_groups_org_idempotency_key", "groups")
    op.drop_column("groups", "notified_at")
    op.drop_column("groups", "encoding")
    op.drop_column("groups", "idempotency_key")
