"""The dead-letter queue (#20 §3): a message that fails its schema is not dropped but kept in `ozsp.dead`, with
where it came from and why in its headers, for the operator (management UI; `ozsp dead list|requeue|drop`)."""

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from kombu import Queue

from shared import clock
from shared.queues import QUEUE_ARGUMENTS

DEAD_QUEUE = "ozsp.dead"
SOURCE, REASON, AT = "x-ozsp-source", "x-ozsp-reason", "x-ozsp-dead-at"

dead_queue = Queue(DEAD_QUEUE, durable=True, queue_arguments=QUEUE_ARGUMENTS)  # QUEUE_TYPE, as the others

Publish = Callable[..., None]  # a nameko Publisher's injected callable (or kombu Producer.publish)


def schema_reason(messages: Any) -> str:
    """marshmallow's errors -> a short reason: the fields and their complaints (never the values sent)."""
    if isinstance(messages, Mapping):
        parts = [f"{k}: {schema_reason(v)}" for k, v in sorted(messages.items(), key=lambda kv: str(kv[0]))]
        return "; ".join(parts)[:500]
    if isinstance(messages, list | tuple):
        return ", ".join(schema_reason(m) for m in messages)[:500]
    return str(messages)[:200]


def bury(publish: Publish, body: Any, source: str, reason: str) -> str:
    """Keep one message in ozsp.dead (persistent) -> its message_id, for `ozsp dead requeue ID`."""
    message_id = uuid.uuid4().hex
    publish(
        body,
        exchange="",
        routing_key=DEAD_QUEUE,
        message_id=message_id,
        delivery_mode=2,
        declare=[dead_queue],
        headers={SOURCE: source, REASON: reason, AT: clock.now().isoformat(timespec="seconds")},
    )
    return message_id
