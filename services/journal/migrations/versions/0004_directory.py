"""subscriber directory: e-mails, certificates, CAs, CRLs, login challenges and sessions

Revision ID: 0004
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

NOW = sa.text("now()")


def upgrade():
    op.add_column("users", sa.Column("position", sa.Text()))
    op.add_column("users", sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False))
    op.add_column("organizations", sa.Column("ogrn", sa.Text()))
    op.add_column("organizations", sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW,
                                             nullable=False))
    op.create_table(
        "user_emails",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.UniqueConstraint("email", name="uq_user_emails_email"),
    )
    op.create_table(
        "cas",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("serial_hex", sa.Text(), nullable=False),
        sa.Column("thumbprint", sa.Text(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.UniqueConstraint("thumbprint", name="uq_cas_thumbprint"),
    )
    op.create_table(
        "crls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ca_id", sa.Integer(), sa.ForeignKey("cas.id"), nullable=False),
        sa.Column("this_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_update", sa.DateTime(timezone=True)),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
    )
    op.create_index("ix_crls_ca", "crls", ["ca_id", "this_update"])
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("serial_hex", sa.Text(), nullable=False),
        sa.Column("thumbprint", sa.Text(), nullable=False),
        sa.Column("subject_cn", sa.Text()),
        sa.Column("snils", sa.Text()),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),  # admin | mail
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.UniqueConstraint("issuer", "serial_hex", name="uq_certificates_issuer_serial"),
        sa.UniqueConstraint("thumbprint", name="uq_certificates_thumbprint"),
    )
    op.create_table(
        "auth_challenges",
        sa.Column("id", postgresql.UUID(as_uuid=False), primary_key=True,
                  server_default=sa.text("gen_random_uuid()")),
        sa.Column("challenge", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.Text(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("organization_id", sa.Integer(), sa.ForeignKey("organizations.id"), nullable=False),
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("certificates.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_audit_at", "audit", ["at"])


def downgrade():
    op.drop_index("ix_audit_at", "audit")
    for table in ("sessions", "auth_challenges", "certificates", "crls", "cas", "user_emails"):
        op.drop_table(table)
    op.drop_column("organizations", "updated_at")
    op.drop_column("organizations", "ogrn")
    op.drop_column("users", "updated_at")
    op.drop_column("users", "position")
