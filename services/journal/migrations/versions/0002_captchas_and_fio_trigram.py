"""captchas of the web form; trigram index for the ФИО substring search

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    # Single-use CAPTCHA answers (hashed); the gateway has no database of its own.
    op.create_table(
        "captchas",
        sa.Column("id", postgresql.UUID(as_uuid=False), server_default=sa.text("gen_random_uuid()"),
                  nullable=False),
        sa.Column("answer_hash", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captchas")),
    )
    op.create_index("ix_captchas_expires_at", "captchas", ["expires_at"])
    # «%ИВАН%» cannot use a b-tree; a trigram GIN index serves LIKE with a leading wildcard.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE INDEX ix_requests_fio_trgm ON requests USING gin (fio_search gin_trgm_ops)")


def downgrade():
    op.execute("DROP INDEX IF EXISTS ix_requests_fio_trgm")
    op.drop_index("ix_captchas_expires_at", table_name="captchas")
    op.drop_table("captchas")
