"""Durable kombu queues for the work and answer flows (declared by both sides, so none is lost).

Retries wait in delay queues: RabbitMQ has no per-message delay, so each tier is a queue whose fixed
TTL is part of its name (queue arguments cannot change once declared) and which dead-letters back
into the work queue. Tiers come from FERZL_RETRY_TIERS (seconds; default in shared/config.py).
"""

from collections.abc import Iterable

from kombu import Connection, Queue

from shared import config
from shared.config import Settings
from shared.messages import ANSWERS_QUEUE, RETRY_QUEUE, WORK_QUEUE

DEFAULT_TIERS = Settings.ferzl_retry_tiers


def type_arguments(queue_type: str) -> dict[str, str]:
    """Queue arguments of QUEUE_TYPE: quorum queues are replicated over a RabbitMQ cluster's nodes. A queue's type
    cannot change once declared: switching an existing stack means new queues (README, «RabbitMQ for operators»)."""
    return {"x-queue-type": "quorum"} if queue_type == "quorum" else {}


QUEUE_ARGUMENTS = type_arguments(config.load().queue_type)  # the services' queues are declared at import

work_queue = Queue(WORK_QUEUE, durable=True, queue_arguments=QUEUE_ARGUMENTS)
answers_queue = Queue(ANSWERS_QUEUE, durable=True, queue_arguments=QUEUE_ARGUMENTS)


def parse_tiers(text: object) -> list[float]:
    """ "5,30,120,600" -> [5.0, 30.0, 120.0, 600.0] (sorted, positive, no repeats); empty: DEFAULT_TIERS."""
    tiers = sorted({float(part) for part in str(text or DEFAULT_TIERS).replace(";", ",").split(",") if part.strip()})
    if not tiers or tiers[0] <= 0:
        raise ValueError(f"retry tiers must be positive seconds, got {text!r}")
    return tiers


def tier_name(seconds: float, prefix: str = RETRY_QUEUE) -> str:
    """Queue name with the TTL in it: ozsp.ferzl.retry.5s, ozsp.ferzl.retry.500ms."""
    ms = int(round(seconds * 1000))
    return f"{prefix}.{ms // 1000}s" if ms % 1000 == 0 else f"{prefix}.{ms}ms"


def delay_queue(seconds: float, target: str = WORK_QUEUE, prefix: str = RETRY_QUEUE) -> Queue:
    """A queue where messages wait `seconds`, then dead-letter back into `target` (the work queue)."""
    return Queue(
        tier_name(seconds, prefix),
        durable=True,
        queue_arguments={
            **QUEUE_ARGUMENTS,
            "x-message-ttl": int(round(seconds * 1000)),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": target,
        },
    )


def delay_queues(
    tiers_text: object = DEFAULT_TIERS, target: str = WORK_QUEUE, prefix: str = RETRY_QUEUE
) -> list[Queue]:
    return [delay_queue(s, target, prefix) for s in parse_tiers(tiers_text)]


# The first default tier (the single retry queue of earlier versions).
retry_queue = delay_queue(parse_tiers(DEFAULT_TIERS)[0])


def declared(amqp_uri: str, names: Iterable[str], timeout: float = 3) -> dict[str, tuple[int, int]]:
    """{queue: (ready messages, consumers)} by passive queue_declare; a queue not declared yet gives (0, 0).
    Unacknowledged messages are not counted."""
    found: dict[str, tuple[int, int]] = {}
    with Connection(amqp_uri, connect_timeout=timeout) as conn:
        channel = conn.channel()
        try:
            for name in names:
                try:
                    ok = channel.queue_declare(queue=name, passive=True)
                    found[name] = (ok.message_count, ok.consumer_count)
                except Exception:  # not declared yet: a failed passive declare closes the channel
                    found[name] = (0, 0)
                    channel = conn.channel()
        finally:
            channel.close()
    return found
