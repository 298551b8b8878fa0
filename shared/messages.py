"""AMQP messages between journal and ferzl_bridge: queue names and schemas (contracts/messages.md)."""
from marshmallow import EXCLUDE, Schema, fields, validate

WORK_QUEUE = "ozsp.ferzl.work"          # journal -> bridge: chunks of requests to look up
RETRY_QUEUE = "ozsp.ferzl.retry"        # prefix of the delay queues: bridge -> itself (dead-letter into WORK_QUEUE)
ANSWERS_QUEUE = "ozsp.journal.answers"  # bridge -> journal: chunks of outcomes

STATUSES = ("sent", "answered", "error")


class WorkItem(Schema):
    class Meta:
        unknown = EXCLUDE

    request_id = fields.Integer(required=True)
    external_id = fields.String(required=True)
    params = fields.Dict(required=True)
    attempt = fields.Integer(load_default=0)
    first_try_at = fields.String(load_default=None, allow_none=True)
    group_id = fields.Integer(load_default=None, allow_none=True)  # set for rows of a group (mass path)


class WorkChunk(Schema):
    class Meta:
        unknown = EXCLUDE

    chunk_id = fields.String(required=True)
    items = fields.List(fields.Nested(WorkItem), required=True)


class Outcome(Schema):
    class Meta:
        unknown = EXCLUDE

    request_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("answered", "error")))
    answer = fields.Dict(load_default=None, allow_none=True)
    error_code = fields.String(load_default=None, allow_none=True)
    error_message = fields.String(load_default=None, allow_none=True)
    answered_at = fields.String(required=True)


class ArchiveRecord(Schema):
    """One raw SOAP exchange with ФЕРЗЛ, zlib-compressed and base64-encoded (kept for support)."""
    class Meta:
        unknown = EXCLUDE

    at = fields.String(required=True)
    operation = fields.String(required=True)
    request_ids = fields.List(fields.Integer(), required=True)
    http_status = fields.Integer(load_default=None, allow_none=True)
    duration_ms = fields.Integer(load_default=None, allow_none=True)
    request = fields.String(load_default=None, allow_none=True)
    response = fields.String(load_default=None, allow_none=True)


class Held(Schema):
    """A request the bridge put into a delay queue: the journal pushes its dispatch lease `seconds` ahead."""
    class Meta:
        unknown = EXCLUDE

    request_id = fields.Integer(required=True)
    seconds = fields.Float(required=True)


class OutcomeChunk(Schema):
    class Meta:
        unknown = EXCLUDE

    chunk_id = fields.String(required=True)
    outcomes = fields.List(fields.Nested(Outcome), required=True)
    archive = fields.List(fields.Nested(ArchiveRecord), load_default=list)
    held = fields.List(fields.Nested(Held), load_default=list)
