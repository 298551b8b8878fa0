"""The journal's schema as SQLAlchemy metadata: every table, constraint and index the migrations
(migrations/versions) build, so that Alembic's autogenerate finds no difference
(tests/integration/test_schema_metadata.py). A new migration changes this file in the same commit.
The journal owns every table but two: ferzl_bucket and ferzl_circuit, the state the bridge's processes share, are
read and written by the bridge's own statements (services/ferzl_bridge/ratelimit.py, state.py; README, «Layout»)."""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

NOW = text("now()")


def _at(name: str, **kwargs: Any) -> Column[Any]:
    return Column(name, DateTime(timezone=True), **kwargs)


# ---- the subscriber directory (0001, 0004) ----

organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),  # mo | smo | tfoms
    Column("registry_code", Text),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _at("created_at", nullable=False, server_default=NOW),
    Column("ogrn", Text),
    _at("updated_at", nullable=False, server_default=NOW),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("surname", Text, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("patronymic", Text),
    Column("snils", Text),
    Column("roles", ARRAY(Text), nullable=False, server_default=text("'{web}'")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _at("created_at", nullable=False, server_default=NOW),
    Column("position", Text),
    _at("updated_at", nullable=False, server_default=NOW),
)

user_emails = Table(
    "user_emails",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("email", Text, nullable=False),
    _at("created_at", nullable=False, server_default=NOW),
    UniqueConstraint("email", name="uq_user_emails_email"),
)

cas = Table(
    "cas",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subject", Text, nullable=False),
    Column("serial_hex", Text, nullable=False),
    Column("thumbprint", Text, nullable=False),
    _at("not_before", nullable=False),
    _at("not_after", nullable=False),
    Column("der", LargeBinary, nullable=False),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _at("created_at", nullable=False, server_default=NOW),
    UniqueConstraint("thumbprint", name="uq_cas_thumbprint"),
)

crls = Table(
    "crls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ca_id", Integer, ForeignKey("cas.id"), nullable=False),
    _at("this_update", nullable=False),
    _at("next_update"),
    Column("der", LargeBinary, nullable=False),
    _at("created_at", nullable=False, server_default=NOW),
    Index("ix_crls_ca", "ca_id", "this_update"),
)

certificates = Table(
    "certificates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("issuer", Text, nullable=False),
    Column("serial_hex", Text, nullable=False),
    Column("thumbprint", Text, nullable=False),
    Column("subject_cn", Text),
    Column("snils", Text),
    _at("not_before", nullable=False),
    _at("not_after", nullable=False),
    Column("der", LargeBinary, nullable=False),
    Column("source", Text, nullable=False),  # admin | mail
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _at("created_at", nullable=False, server_default=NOW),
    UniqueConstraint("issuer", "serial_hex", name="uq_certificates_issuer_serial"),
    UniqueConstraint("thumbprint", name="uq_certificates_thumbprint"),
)

# ---- login (0004) ----

auth_challenges = Table(
    "auth_challenges",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("challenge", Text, nullable=False),
    _at("created_at", nullable=False, server_default=NOW),
    _at("expires_at", nullable=False),
    _at("used_at"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("certificate_id", Integer, ForeignKey("certificates.id")),
    _at("created_at", nullable=False, server_default=NOW),
    _at("last_seen_at", nullable=False, server_default=NOW),
    _at("ended_at"),
)

captchas = Table(
    "captchas",
    metadata,
    Column("id", UUID(as_uuid=False), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("answer_hash", Text, nullable=False),
    _at("expires_at", nullable=False),
    Index("ix_captchas_expires_at", "expires_at"),
)

# ---- the gateway's shared state (0011_wt21m) ----

rate_windows = Table(  # hits per key in its current fixed window (services/journal/gateway_state.py)
    "rate_windows",
    metadata,
    Column("key", Text, primary_key=True),
    _at("started_at", nullable=False, server_default=NOW),
    Column("hits", Integer, nullable=False),
    Index("ix_rate_windows_started_at", "started_at"),
)

kept_uploads = Table(  # a group file kept between two tries of the upload form
    "kept_uploads",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("filename", Text, nullable=False),
    Column("content", LargeBinary, nullable=False),
    _at("created_at", nullable=False, server_default=NOW),
    Index("ix_kept_uploads_created_at", "created_at"),
)

# ---- requests, groups and their answers (0001, 0006, 0008, 0009) ----

groups = Table(
    "groups",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("filename", Text),
    Column("total", Integer, nullable=False, server_default=text("0")),
    Column("answered", Integer, nullable=False, server_default=text("0")),
    Column("failed", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("finished_at", DateTime(timezone=True)),
    Column("idempotency_key", Text),
    Column("encoding", Text),
    _at("notified_at"),
    Column("reused", Integer, nullable=False, server_default=text("0")),
    Column("watchlist_id", BigInteger),  # 0013_wt22: a watch list's re-check
    _at("mailed_at"),  # 0013_wt22: its e-mail sent  # 0011_wt22: rows answered from a fresh answer
    Index("ix_groups_org_created", "organization_id", "created_at"),
    Index("ix_groups_unfinished", "id", postgresql_where=text("finished_at IS NULL")),  # 0008
    Index(
        "uq_groups_org_idempotency_key",
        "organization_id",
        "idempotency_key",
        unique=True,
        postgresql_where=text("idempotency_key IS NOT NULL"),
    ),
)

requests = Table(
    "requests",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("external_id", UUID(as_uuid=False), nullable=False, server_default=text("gen_random_uuid()")),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("group_id", BigInteger, ForeignKey("groups.id")),
    Column("line_no", Integer),
    Column("name", Text, nullable=False),
    Column("params", JSONB, nullable=False),
    Column("fio_search", Text, nullable=False, server_default=text("''")),
    Column("status", Text, nullable=False, server_default=text("'sent'")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("dispatched_at", DateTime(timezone=True)),
    Column("dispatch_count", Integer, nullable=False, server_default=text("0")),
    Column("answered_at", DateTime(timezone=True)),
    Column("answer", JSONB),
    Column("error_code", Text),
    Column("error_message", Text),
    # 0011_wt22: reuse of fresh answers (services/journal/reuse.py)
    Column("person_key", Text),
    Column("reused_from", BigInteger),
    _at("ferzl_answered_at"),
    # 0012_wt22: what changed since the last check (services/journal/changes.py)
    Column("person_ref", Text),
    Column("changes_since", JSONB),
    CheckConstraint("status in ('sent', 'answered', 'error')", name="status"),
    Index("ix_requests_org_created", "organization_id", "created_at"),
    Index("ix_requests_group_line", "group_id", "line_no"),
    # 0008: the dispatch window (requests in flight) and the fair claim (individual first, then per group);
    # 0009 dropped ix_requests_pending (id, status 'sent'): the in-flight index holds the same rows
    Index("ix_requests_in_flight", "dispatched_at", postgresql_where=text("status = 'sent'")),
    Index(
        "ix_requests_new_single",
        "id",
        postgresql_where=text("status = 'sent' AND dispatched_at IS NULL AND group_id IS NULL"),
    ),
    Index(
        "ix_requests_new_group",
        "group_id",
        "id",
        postgresql_where=text("status = 'sent' AND dispatched_at IS NULL AND group_id IS NOT NULL"),
    ),
    Index("ix_requests_new", "id", postgresql_where=text("status = 'sent' AND dispatched_at IS NULL")),
    Index(  # 0011_wt23: «who looked up this person» (services/journal/audit_trail.py)
        "ix_requests_person_enp",
        text("(params ->> 'enp')"),
        postgresql_where=text("(params ->> 'enp') IS NOT NULL"),
    ),
    Index(  # 0011_wt23: «who looked up this person» (services/journal/audit_trail.py)
        "ix_requests_person_snils",
        text("(params ->> 'snils')"),
        postgresql_where=text("(params ->> 'snils') IS NOT NULL"),
    ),
    Index(  # 0011_wt23: «who looked up this person» (services/journal/audit_trail.py)
        "ix_requests_person_dpfs_number",
        text("(params ->> 'dpfs_number')"),
        postgresql_where=text("(params ->> 'dpfs_number') IS NOT NULL"),
    ),
    Index(
        "ix_requests_fio_trgm",
        "fio_search",
        postgresql_using="gin",  # 0002: search by part of a name
        postgresql_ops={"fio_search": "gin_trgm_ops"},
    ),
    Index(
        "ix_requests_reuse",
        "organization_id",
        "person_key",
        "answered_at",
        postgresql_where=text("status = 'answered' AND reused_from IS NULL AND person_key IS NOT NULL"),
    ),
    Index(
        "ix_requests_person",
        "organization_id",
        "person_ref",
        "answered_at",
        postgresql_where=text("status = 'answered' AND reused_from IS NULL AND person_ref IS NOT NULL"),
    ),
)

# 0013_wt22: watch lists (services/journal/watchlists.py)
watchlists = Table(
    "watchlists",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("period", Text, nullable=False),
    Column("email", Boolean, nullable=False, server_default=text("false")),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
    Column("filename", Text),
    Column("columns", JSONB, nullable=False),
    Column("rows", JSONB, nullable=False),
    Column("total", Integer, nullable=False),
    _at("next_run_at", nullable=False),
    _at("last_run_at"),
    Column("last_group_id", BigInteger),
    _at("created_at", nullable=False, server_default=NOW),
    CheckConstraint("period in ('weekly', 'monthly')", name="period"),
    Index("ix_watchlists_org", "organization_id", "id"),
    Index("ix_watchlists_due", "next_run_at", postgresql_where=text("NOT paused")),
)

# One row per state change of a request: the audit trail and the proof of exactly-once answers.
request_history = Table(
    "request_history",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("request_id", BigInteger, ForeignKey("requests.id"), nullable=False),
    Column("event", Text, nullable=False),  # created | answered | error
    Column("at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index("ix_request_history_request", "request_id"),
)

mo_dictionary = Table(
    "mo_dictionary",
    metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
)

audit = Table(
    "audit",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("user_id", Integer),
    Column("organization_id", Integer),
    Column("action", Text, nullable=False),
    Column("object_id", Text),
    Column("details", JSONB),
    Index("ix_audit_at", "at"),
    Index("ix_audit_action_at", "action", "at"),  # 0011_wt23: the audit trail's filters
    Index("ix_audit_user_at", "user_id", "at"),
)

# ---- certificate mail (0005) ----

# ---- subsystems of the fund calling the public RPC API (0011_wt20) ----

subsystems = Table(
    "subsystems",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),  # the broker user is "<vhost>.sub.<name>"
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),  # its «system» user
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _at("created_at", nullable=False, server_default=NOW),
)

subsystem_calls = Table(  # calls per subsystem and minute: the rate limit of every public_api process together
    "subsystem_calls",
    metadata,
    Column("subsystem_id", Integer, ForeignKey("subsystems.id"), primary_key=True),
    _at("minute", primary_key=True),
    Column("calls", Integer, nullable=False),
)

subsystem_lookups = Table(  # a lookup's idempotency key -> its request (a redelivered call creates none)
    "subsystem_lookups",
    metadata,
    Column("subsystem_id", Integer, ForeignKey("subsystems.id"), primary_key=True),
    Column("key", Text, primary_key=True),
    Column("request_id", BigInteger, ForeignKey("requests.id"), nullable=False),
    _at("created_at", nullable=False, server_default=NOW),
)

mail_letters = Table(
    "mail_letters",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("letter_key", Text, nullable=False),
    Column("message_id", Text),
    Column("holder", Text, nullable=False),
    _at("received_at", nullable=False),
    Column("sender", Text),
    Column("subject", Text),
    Column("outcome", Text),
    Column("detail", Text),
    Column("reply_text", Text),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("certificate_id", Integer, ForeignKey("certificates.id")),
    _at("claimed_at", nullable=False, server_default=NOW),
    _at("finished_at"),
    _at("delivered_at"),
    Column("signature_key", Text),  # 0010: the DKIM signature that authenticated it (a replay is refused)
    UniqueConstraint("letter_key", name="uq_mail_letters_letter_key"),
    UniqueConstraint("signature_key", name="uq_mail_letters_signature_key"),
    Index("ix_mail_letters_received_at", "received_at"),
)

# ---- the ФЕРЗЛ bridge's shared state (0003): written by ferzl_bridge ----

ferzl_archive = Table(
    "ferzl_archive",
    metadata,
    Column("id", BigInteger, primary_key=True),
    _at("at", nullable=False),
    _at("stored_at", nullable=False, server_default=NOW),
    Column("request_ids", ARRAY(BigInteger), nullable=False),
    Column("exchanges", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Index("ix_ferzl_archive_at", "at"),
    Index("ix_ferzl_archive_request_ids", "request_ids", postgresql_using="gin"),
)

ferzl_bucket = Table(  # the shared token bucket of FERZL_RATE_LIMIT
    "ferzl_bucket",
    metadata,
    Column("name", Text, primary_key=True),
    Column("tokens", Double(53), nullable=False),
    _at("updated_at", nullable=False),
)

ferzl_circuit = Table(  # one row: up | degraded | down
    "ferzl_circuit",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("state", Text, nullable=False),
    Column("reason", Text),
    _at("since", nullable=False),
    _at("probe_at"),
    _at("degraded_until"),
    _at("updated_at", nullable=False, server_default=NOW),
    CheckConstraint("id = 1", name="one_row"),
    CheckConstraint("state in ('up', 'degraded', 'down')", name="state"),
)

# ---- the quarantine of certificates of unknown CAs (0012_wt23, services/journal/quarantine.py) ----

cert_quarantine = Table(
    "cert_quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("letter_key", Text, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("sender", Text),
    Column("serial_hex", Text, nullable=False),
    Column("issuer", Text, nullable=False),
    Column("subject_cn", Text),
    Column("der", LargeBinary, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'waiting'")),  # waiting | released | refused
    Column("outcome", Text),  # installed | snils_mismatch | invalid | refused: the result letter's text
    Column("reason", Text),
    Column("decided_by", Text),
    _at("decided_at"),
    Column("certificate_id", Integer, ForeignKey("certificates.id")),
    _at("claimed_at"),  # certmail is sending the result letter (a lease)
    _at("replied_at"),
    _at("created_at", nullable=False, server_default=NOW),
    CheckConstraint("status in ('waiting', 'released', 'refused')", name="status"),
    UniqueConstraint("letter_key", name="uq_cert_quarantine_letter_key"),
    Index("ix_cert_quarantine_due", "id", postgresql_where=text("status <> 'waiting' AND replied_at IS NULL")),
)

# ---- turns of the periodic jobs among journal copies (0011_wt21s, services/journal/turns.py) ----

job_turns = Table(
    "job_turns",
    metadata,
    Column("name", Text, primary_key=True),  # crl_refresh, purge_archive, crl_fetch:<issuer digest>, ...
    _at("next_at", nullable=False),  # no copy runs the job before this
)
