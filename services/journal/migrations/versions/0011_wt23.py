"""The audit trail (#23): indexes for its filters and for «who looked up this person» (requests by ЕНП, СНИЛС,
policy number)

Revision ID: 0011_wt23
Revises: 0011_wt22
"""
from alembic import op

revision = "0011_wt23"
down_revision = "0011_wt22"
branch_labels = None
depends_on = None

PERSON_FIELDS = ("enp", "snils", "dpfs_number")


def upgrade():
    op.create_index("ix_audit_action_at", "audit", ["action", "at"])
    op.create_index("ix_audit_user_at", "audit", ["user_id", "at"])
    for field in PERSON_FIELDS:
        op.execute(
            f"CREATE INDEX ix_requests_person_{field} ON requests ((params ->> '{field}')) "
            f"WHERE (params ->> '{field}') IS NOT NULL"
        )


def downgrade():
    for field in PERSON_FIELDS:
        op.drop_index(f"ix_requests_person_{field}", "requests")
    op.drop_index("ix_audit_user_at", "audit")
    op.drop_index("ix_audit_action_at", "audit")
