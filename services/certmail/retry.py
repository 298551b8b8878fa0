"""A letter that cannot be finished now (the journal or the relay away, or a defect that raises): it waits in
a delay queue and comes back; after MAIL_RETRY_ATTEMPTS tries it is parked in a queue of its own instead of
going round for ever, and `ozsp letters requeue` puts the parked letters back once the cause is fixed.
No nameko here: the service publishes what next_step decides."""

from typing import Any

from kombu import Connection, Queue

from services.certmail.queues import LETTERS_QUEUE, publish_letter
from shared.messages import PARKED_QUEUE
from shared.queues import QUEUE_ARGUMENTS, delay_queues, parse_tiers, tier_name

DELAY_PREFIX = f"{LETTERS_QUEUE}.retry"

parked_queue = Queue(PARKED_QUEUE, durable=True, queue_arguments=QUEUE_ARGUMENTS)


def retry_queues(tiers_text: str) -> list[Queue]:
    """The delay queues of MAIL_RETRY_TIERS; each dead-letters back into the letters queue."""
    return delay_queues(tiers_text, target=LETTERS_QUEUE, prefix=DELAY_PREFIX)


def next_step(body: dict[str, Any], tiers_text: str, max_attempts: int) -> tuple[str, dict[str, Any]]:
    """(routing key, message) for a letter whose try failed: the delay queue of its attempt number, or the
    parked queue once it has been tried max_attempts times. The message counts the attempts."""
    attempt = int(body.get("attempt") or 0) + 1
    message = {**body, "attempt": attempt}
    if attempt >= max(1, int(max_attempts)):
        return PARKED_QUEUE, message
    tiers = parse_tiers(tiers_text)
    return tier_name(tiers[min(attempt, len(tiers)) - 1], DELAY_PREFIX), message


def requeue_parked(amqp_uri: str, limit: int | None = None) -> int:
    """Move parked letters back into the letters queue with their attempts reset; -> how many."""
    moved = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        parked = parked_queue(channel)
        parked.declare()
        producer = conn.Producer(channel)
        while limit is None or moved < limit:
            message = parked.get(no_ack=False)
            if message is None:
                break
            body = dict(message.decode())
            body.pop("attempt", None)
            publish_letter(producer, body)
            message.ack()  # after the broker confirmed the copy: a crash here leaves a duplicate, never a loss
            moved += 1
    return moved
