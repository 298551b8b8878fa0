"""dispatch window: indexes for counting requests in flight and for the fair claim

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # requests in flight: status 'sent' with a live lease (dispatched_at in a range)
    op.create_index("ix_requests_in_flight", "requests", ["dispatched_at"],
                    postgresql_where=sa.text("status = 'sent'"))
    # the claim reads only requests never published: individual ones by id, each group's rows by id, any by id
    op.create_index("ix_requests_new_single", "requests", ["id"],
                    postgresql_where=sa.text("status = 'sent' AND dispatched_at IS NULL AND group_id IS NULL"))
    op.create_index("ix_requests_new_group", "requests", ["group_id", "id"],
                    postgresql_where=sa.text("status = 'sent' AND dispatched_at IS NULL AND group_id IS NOT NULL"))
    op.create_index("ix_requests_new", "requests", ["id"],
                    postgresql_where=sa.text("status = 'sent' AND dispatched_at IS NULL"))
    op.create_index("ix_groups_unfinished", "groups", ["id"], postgresql_where=sa.text("finished_at IS NULL"))


def downgrade():
    op.drop_index("ix_groups_unfinished", "groups")
    op.drop_index("ix_requests_new", "requests")
    op.drop_index("ix_requests_new_group", "requests")
    op.drop_index("ix_requests_new_single", "requests")
    op.drop_index("ix_requests_in_flight", "requests")
