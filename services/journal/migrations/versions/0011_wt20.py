"""Public RPC API (#20): subsystems of the fund (a broker user mapped to an organisation and a «system» user),
their calls per minute (the rate limit, shared by every public_api process) and lookups by idempotency key.

Revision ID: 0011_wt20
Revises: 0011_wt21s
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_wt20"
down_revision = "0011_wt21s"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "subsystems",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("organization_id", sa.Integer(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    )
    op.create_table(
        "subsystem_calls",
        sa.Column("subsystem_id", sa.Integer(), sa.ForeignKey("subsystems.id"), primary_key=True),
        sa.Column("minute", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("calls", sa.Integer(), nullable=False),
    )
    op.create_table(
        "subsystem_lookups",
        sa.Column("subsystem_id", sa.Integer(), sa.ForeignKey("subsystems.id"), primary_key=True),
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("request_id", sa.BigInteger(), sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    )


def downgrade():
    op.drop_table("subsystem_lookups")
    op.drop_table("subsystem_calls")
    op.drop_table("subsystems")
