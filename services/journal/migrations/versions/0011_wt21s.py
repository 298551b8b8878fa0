"""job_turns (#21 §2): which journal copy runs a periodic job now (CRL refresh, purges, on-demand CRL downloads),
so that N copies run each once per period, not N times

Revision ID: 0011_wt21s
Revises: 0013_wt22
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_wt21s"
down_revision = "0013_wt22"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_turns",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_job_turns"),
    )


def downgrade():
    op.drop_table("job_turns")
