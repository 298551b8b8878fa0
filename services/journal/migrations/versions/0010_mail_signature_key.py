"""mail_letters.signature_key: the DKIM signature that authenticated a letter, once (replay detection)

A letter re-sent under a new Message-ID keeps its DKIM signature; the unique key refuses to let it count again.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("mail_letters", sa.Column("signature_key", sa.Text()))
    op.create_unique_constraint("uq_mail_letters_signature_key", "mail_letters", ["signature_key"])


def downgrade():
    op.drop_constraint("uq_mail_letters_signature_key", "mail_letters")
    op.drop_column("mail_letters", "signature_key")
