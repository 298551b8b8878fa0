"""letters of certificate registration by e-mail (each processed once)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NOW = sa.text("now()")


def upgrade():
    # One row per letter (key: Message-ID or a hash of the raw letter); no attachment bodies.
    op.create_table(
        "mail_letters",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("letter_key", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text()),
        sa.Column("holder", sa.Text(), nullable=False),  # the delivered copy that processes the letter
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.Text()),
        sa.Column("subject", sa.Text()),
        sa.Column("outcome", sa.Text()),
        sa.Column("detail", sa.Text()),
        sa.Column("reply_text", sa.Text()),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("certificates.id")),
        sa.Column("claimed_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("letter_key", name="uq_mail_letters_letter_key"),
    )
    op.create_index("ix_mail_letters_received_at", "mail_letters", ["received_at"])


def downgrade():
    op.drop_index("ix_mail_letters_received_at", "mail_letters")
    op.drop_table("mail_letters")
