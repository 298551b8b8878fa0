"""the gateway's shared state (#21): per-key hit windows (login challenges, CAPTCHA refreshes) and group files kept
between two tries of the upload form, so that every gateway process counts and finds the same

Revision ID: 0011_wt21m
Revises: 0012_wt22
"""
from alembic import op
import sqlalchemy as sa

revision = "0011_wt21m"
down_revision = "0012_wt22"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_windows",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_windows")),
    )
    op.create_index("ix_rate_windows_started_at", "rate_windows", ["started_at"])
    op.create_table(
        "kept_uploads",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_kept_uploads")),
    )
    op.create_index("ix_kept_uploads_created_at", "kept_uploads", ["created_at"])


def downgrade():
    op.drop_index("ix_kept_uploads_created_at", table_name="kept_uploads")
    op.drop_table("kept_uploads")
    op.drop_index("ix_rate_windows_started_at", table_name="rate_windows")
    op.drop_table("rate_windows")
