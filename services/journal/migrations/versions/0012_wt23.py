"""cert_quarantine (#23): certificates of unknown CAs that came by mail (Приложение 2), until an administrator
registers the CA (the certificate is then checked and registered) or refuses; the result letter is due after that

Revision ID: 0012_wt23
Revises: 0011_wt23
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_wt23"
down_revision = "0011_wt23"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cert_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_key", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_cert_quarantine_user_id_users")),
        sa.Column("sender", sa.Text()),
        sa.Column("serial_hex", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("subject_cn", sa.Text()),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default=sa.text("'waiting'")),
        sa.Column("outcome", sa.Text()),
        sa.Column("reason", sa.Text()),
        sa.Column("decided_by", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("certificates.id", name="fk_cert_quarantine_certificate_id_certificates")),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("replied_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("id", name="pk_cert_quarantine"),
        sa.CheckConstraint("status in ('waiting', 'released', 'refused')", name="ck_cert_quarantine_status"),
        sa.UniqueConstraint("letter_key", name="uq_cert_quarantine_letter_key"),
    )
    op.create_index(
        "ix_cert_quarantine_due",
        "cert_quarantine",
        ["id"],
        postgresql_where=sa.text("status <> 'waiting' AND replied_at IS NULL"),
    )


def downgrade():
    op.drop_index("ix_cert_quarantine_due", "cert_quarantine")
    op.drop_table("cert_quarantine")
