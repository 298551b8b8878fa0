"""AMQP messages between journal and ferzl_bridge: queue names and schemas (contracts/messages.md)."""

import base64
import json
import zlib
from typing import Any

from marshmallow import EXCLUDE, Schema, fields, post_load, validate

from shared import domain, person_match
from shared.status import ANSWERED, ERROR

WORK_QUEUE = "ozsp.ferzl.work"  # journal -> bridge: chunks of requests to look up
RETRY_QUEUE = "ozsp.ferzl.retry"  # prefix of the delay queues: bridge -> itself (dead-letter into WORK_QUEUE)
ANSWERS_QUEUE = "ozsp.journal.answers"  # bridge -> journal: chunks of outcomes
LETTERS_QUEUE = "ozsp.certmail.letters"  # SMTP intake -> certmail: certificate letters
PARKED_QUEUE = f"{LETTERS_QUEUE}.parked"  # certmail: letters whose retries ran out, kept for the administrator
# journal -> every gateway process (a nameko broadcast event): {"ids": [individual requests just answered]}
REQUESTS_FINISHED = "requests_finished"
# journal -> public_api (service pool): {"ids": [groups whose last row was just stored]}
GROUPS_FINISHED = "groups_finished"
# public_api -> subsystems (exchange public_api.events, event type "<event>.<subsystem>"; contracts/rpc-api.md)
REQUEST_ANSWERED, GROUP_FINISHED = "request_answered", "group_finished"


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


def _texts(*names: str) -> dict[str, fields.Field]:
    return {n: fields.String(allow_none=True) for n in names}


POLICY_KEYS: tuple[str, ...] = ("type", "series", "number", "enp", "status", "date_begin", "date_end")
POLICY_KEYS += ("okato", "smo_name", "smo_ogrn", "smo_code")
ATTACHMENT_KEYS = ("status", "mo_code", "date_begin", "date_end", "area_type", "mo_name")
Policy = Schema.from_dict(_texts(*POLICY_KEYS), name="Policy")
Attachment = Schema.from_dict(_texts(*ATTACHMENT_KEYS), name="Attachment")


class Answer(Schema):
    """The wire form of shared.domain.Answer (every value a text or null)."""

    class Meta:
        unknown = EXCLUDE

    oip = fields.String(allow_none=True)
    enp = fields.String(allow_none=True)
    policy = fields.Nested(Policy(unknown=EXCLUDE), allow_none=True)
    attachments = fields.List(fields.Nested(Attachment(unknown=EXCLUDE)), allow_none=True)
    mismatch = fields.List(fields.String(validate=validate.OneOf(person_match.FIELDS)), allow_none=True)


class Outcome(Schema):
    """Loads into shared.domain.Outcome."""

    class Meta:
        unknown = EXCLUDE

    request_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf((ANSWERED, ERROR)))
    answer = fields.Nested(Answer, load_default=None, allow_none=True)
    error_code = fields.String(load_default=None, allow_none=True)
    error_message = fields.String(load_default=None, allow_none=True)
    answered_at = fields.String(required=True)

    @post_load
    def to_domain(self, data: dict[str, Any], **_: Any) -> domain.Outcome:
        return domain.Outcome.from_dict(data)


class ArchiveRecord(Schema):
    """Raw SOAP exchanges with ФЕРЗЛ of one chunk, kept for support: content is a zlib stream in base64
    (pack_archive below)."""

    class Meta:
        unknown = EXCLUDE

    at = fields.String(required=True)
    request_ids = fields.List(fields.Integer(), required=True)
    exchanges = fields.Integer(required=True)
    content = fields.String(required=True)


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
    # Checked item by item where they are used (ArchiveRecord, Held): a record of an unknown shape (a newer
    # or older bridge) is skipped there and never costs the chunk its outcomes.
    archive = fields.List(fields.Dict(), load_default=list)
    held = fields.List(fields.Dict(), load_default=list)


class _Unusual(Exception):
    pass


def load_work_chunk(body: Any) -> dict[str, Any]:
    """WorkChunk().load(body), about ten times faster for well-formed chunks (the bridge reads thousands a
    second); anything unusual goes through the schema, so errors and results are the schema's."""
    try:
        if not (
            isinstance(body, dict) and isinstance(body.get("chunk_id"), str) and isinstance(body.get("items"), list)
        ):
            raise _Unusual
        items = []
        for i in body["items"]:
            if not (
                isinstance(i, dict)
                and type(i.get("request_id")) is int
                and isinstance(i.get("external_id"), str)
                and isinstance(i.get("params"), dict)
            ):
                raise _Unusual
            attempt, first, group = i.get("attempt", 0), i.get("first_try_at"), i.get("group_id")
            if (
                type(attempt) is not int
                or not (first is None or isinstance(first, str))
                or not (group is None or type(group) is int)
            ):
                raise _Unusual
            items.append(
                {
                    "request_id": i["request_id"],
                    "external_id": i["external_id"],
                    "params": i["params"],
                    "attempt": attempt,
                    "first_try_at": first,
                    "group_id": group,
                }
            )
        return {"chunk_id": body["chunk_id"], "items": items}
    except _Unusual:
        return WorkChunk().load(body)


_OUTCOME_KEYS = ("answer", "error_code", "error_message")


def _texts_only(d: Any, keys: tuple[str, ...]) -> bool:
    return isinstance(d, dict) and all(d.get(k) is None or isinstance(d[k], str) for k in keys)


def _plain_answer(a: Any) -> bool:
    """An answer as the bridge sends it (anything else goes through the schema, which decides)."""
    if not (_texts_only(a, ("oip", "enp")) and (a.get("policy") is None or _texts_only(a["policy"], POLICY_KEYS))):
        return False
    attachments, mismatch = a.get("attachments"), a.get("mismatch")
    if mismatch is not None and not (isinstance(mismatch, list) and set(mismatch) <= set(person_match.FIELDS)):
        return False
    return attachments is None or (
        isinstance(attachments, list) and all(_texts_only(x, ATTACHMENT_KEYS) for x in attachments)
    )


def load_outcome_chunk(body: Any) -> dict[str, Any]:
    """OutcomeChunk().load(body), several times faster for well-formed chunks (the journal stores thousands of
    answers a second); anything unusual goes through the schema, so errors and results are the schema's.
    The outcomes are shared.domain.Outcome."""
    try:
        if not (
            isinstance(body, dict) and isinstance(body.get("chunk_id"), str) and isinstance(body.get("outcomes"), list)
        ):
            raise _Unusual
        archive, held = body.get("archive", []), body.get("held", [])
        if not (
            isinstance(archive, list)
            and isinstance(held, list)
            and all(isinstance(x, dict) for x in archive)
            and all(isinstance(x, dict) for x in held)
        ):
            raise _Unusual
        outcomes = []
        for o in body["outcomes"]:
            if not (
                isinstance(o, dict)
                and type(o.get("request_id")) is int
                and o.get("status") in (ANSWERED, ERROR)
                and isinstance(o.get("answered_at"), str)
            ):
                raise _Unusual
            answer, code, message = (o.get(k) for k in _OUTCOME_KEYS)
            if not (
                (answer is None or _plain_answer(answer))
                and (code is None or isinstance(code, str))
                and (message is None or isinstance(message, str))
            ):
                raise _Unusual
            outcomes.append(
                domain.Outcome(o["request_id"], o["status"], o["answered_at"], domain.as_answer(answer), code, message)
            )
        return {"chunk_id": body["chunk_id"], "outcomes": outcomes, "archive": archive, "held": held}
    except _Unusual:
        return OutcomeChunk().load(body)


# ---- ArchiveRecord.content: a JSON header line -- one entry per exchange: request_ids, operation, at,
# http_status, duration_ms, the lengths of the two bodies (null: none) and, for an attempt repeated on a new
# connection or its repeat, a note saying why (absent otherwise) -- then the bodies, request
# before response, in header order; all of it zlib-compressed, then base64.

ARCHIVE_LEVEL = 3  # 13x on a chunk of envelopes in ~1.5 ms (level 6: 18x in ~3.3 ms)


def pack_archive(entries: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The shared.messages.ArchiveRecord of a chunk's entries (None when there are none)."""
    if not entries:
        return None
    header: list[dict[str, Any]] = []
    bodies: list[bytes] = []
    for e in entries:
        request, response = e["request"] or b"", e["response"] or b""
        head = {k: e[k] for k in ("request_ids", "operation", "at", "http_status", "duration_ms")}
        head["request"] = len(request) if e["request"] is not None else None
        head["response"] = len(response) if e["response"] is not None else None
        if e.get("note"):
            head["note"] = e["note"]
        header.append(head)
        bodies += [request, response]
    raw = json.dumps(header, ensure_ascii=False).encode() + b"\n" + b"".join(bodies)
    ids = sorted({i for e in entries for i in e["request_ids"]})
    return {
        "at": min(e["at"] for e in entries),
        "request_ids": ids,
        "exchanges": len(entries),
        "content": base64.b64encode(zlib.compress(raw, ARCHIVE_LEVEL)).decode("ascii"),
    }


def unpack_archive(content: str | bytes) -> list[dict[str, Any]]:
    """The entries of a packed record (content: the base64 text or the compressed bytes), bodies as bytes."""
    data = zlib.decompress(base64.b64decode(content) if isinstance(content, str) else bytes(content))
    head, _, rest = data.partition(b"\n")
    entries: list[dict[str, Any]] = []
    at = 0
    for e in json.loads(head):
        for part in ("request", "response"):
            size = e[part]
            e[part] = None if size is None else rest[at : at + size]
            at += size or 0
        entries.append(e)
    return entries
