"""Watch lists (#22): a finished group's rows re-checked weekly or monthly; each run is a group marked with its list.

Revision ID: 0013_wt22
Revises: 0011_wt21m
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013_wt22"
down_revision = "0011_wt21m"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "watchlists",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("organization_id", sa.Integer(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("email", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("filename", sa.Text()),
        sa.Column("columns", postgresql.JSONB(), nullable=False),
        sa.Column("rows", postgresql.JSONB(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True)),
        sa.Column("last_group_id", sa.BigInteger()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.CheckConstraint("period in ('weekly', 'monthly')", name="ck_watchlists_period"),
    )
    op.create_index("ix_watchlists_org", "watchlists", ["organization_id", "id"])
    op.create_index("ix_watchlists_due", "watchlists", ["next_run_at"], postgresql_where=sa.text("NOT paused"))
    op.add_column("groups", sa.Column("watchlist_id", sa.BigInteger()))
    op.add_column("groups", sa.Column("mailed_at", sa.DateTime(timezone=True)))


def downgrade():
    op.drop_column("groups", "mailed_at")
    op.drop_column("groups", "watchlist_id")
    op.drop_index("ix_watchlists_due", "watchlists")
    op.drop_index("ix_watchlists_org", "watchlists")
    op.drop_table("watchlists")
