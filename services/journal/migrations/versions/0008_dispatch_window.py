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


INDEXES = [
    # requests in flight: status 'sent' with a live lease (dispatched_at in a range)
    ("ix_requests_in_flight", "requests", ["dispatched_at"], "status = 'sent'"),
    # the claim reads only requests never published: individual ones by id, each group's rows by id, any by id
    ("ix_requests_new_single", "requests", ["id"], "status = 'sent' AND dispatched_at IS NULL AND group_id IS NULL"),
    ("ix_requests_new_group", "requests", ["group_id", "id"],
     "status = 'sent' AND dispatched_at IS NULL AND group_id IS NOT NULL"),
    ("ix_requests_new", "requests", ["id"], "status = 'sent' AND dispatched_at IS NULL"),
    ("ix_groups_unfinished", "groups", ["id"], "finished_at IS NULL"),
]


def upgrade():
    # CONCURRENTLY: on a database with millions of requests the journal goes on writing while they are built.
    # A build interrupted midway leaves an invalid index behind: drop it by hand, then upgrade again.
    with op.get_context().autocommit_block():
        for name, table, columns, where in INDEXES:
            op.create_index(name, table, columns, postgresql_where=sa.text(where), postgresql_concurrently=True,
                            if_not_exists=True)


def downgrade():
    op.drop_index("ix_groups_unfinished", "groups")
    op.drop_index("ix_requests_new", "requests")
    op.drop_index("ix_requests_new_group", "requests")
    op.drop_index("ix_requests_new_single", "requests")
    op.drop_index("ix_requests_in_flight", "requests")
