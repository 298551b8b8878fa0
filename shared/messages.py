"""AMQP messages between journal and ferzl_bridge: queue names and schemas (contracts/messages.md)."""
from marshmallow import EXCLUDE, Schema, fields, validate

WORK_QUEUE = "ozsp.ferzl.work"          # journal -> bridge: chunks of requests to look up
RETRY_QUEUE = "ozsp.ferzl.retry"        # bridge -> itself after a delay (dead-letters into WORK_QUEUE)
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


class OutcomeChunk(Schema):
    class Meta:
        unknown = EXCLUDE

    chunk_id = fields.String(required=True)
    outcomes = fields.List(fields.Nested(Outcome), required=True)
