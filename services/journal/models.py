"""Tables of the first migration (0001), kept for reference. The migrations in migrations/versions are the
source of truth for the schema; later tables (directory, captchas, mail, archive) are defined there only."""
from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer,
                        MetaData, Table, Text, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

NOW = text("now()")

organizations = Table(
    "organizations", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),  # mo | smo | tfoms
    Column("registry_code", Text),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("organization_id", Integer, ForeignKey("organizations.id"), nullable=False),
    Column("surname", Text, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("patronymic", Text),
    Column("snils", Text),
    Column("roles", ARRAY(Text), nullable=False, server_default=text("'{web}'")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

groups = Table(
    "groups", metadata,
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
    Index("ix_groups_org_created", "organization_id", "created_at"),
    Index("ix_groups_unfinished", "id", postgresql_where=text("finished_at IS NULL")),  # 0008
)

requests = Table(
    "requests", metadata,
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
    CheckConstraint("status in ('sent', 'answered', 'error')", name="status"),
    Index("ix_requests_org_created", "organization_id", "created_at"),
    Index("ix_requests_group_line", "group_id", "line_no"),
    # 0008: the dispatch window (requests in flight) and the fair claim (individual first, then per group);
    # 0009 dropped ix_requests_pending (id, status 'sent'): the in-flight index holds the same rows
    Index("ix_requests_in_flight", "dispatched_at", postgresql_where=text("status = 'sent'")),
    Index("ix_requests_new_single", "id",
          postgresql_where=text("status = 'sent' AND dispatched_at IS NULL AND group_id IS NULL")),
    Index("ix_requests_new_group", "group_id", "id",
          postgresql_where=text("status = 'sent' AND dispatched_at IS NULL AND group_id IS NOT NULL")),
    Index("ix_requests_new", "id", postgresql_where=text("status = 'sent' AND dispatched_at IS NULL")),
)

# One row per state change of a request: the audit trail and the proof of exactly-once answers.
request_history = Table(
    "request_history", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("request_id", BigInteger, ForeignKey("requests.id"), nullable=False),
    Column("event", Text, nullable=False),  # created | answered | error
    Column("at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index("ix_request_history_request", "request_id"),
)

mo_dictionary = Table(
    "mo_dictionary", metadata,
    Column("code", Text, primary_key=True),
    Column("name", Text, nullable=False),
)

audit = Table(
    "audit", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("user_id", Integer),
    Column("organization_id", Integer),
    Column("action", Text, nullable=False),
    Column("object_id", Text),
    Column("details", JSONB),
)
