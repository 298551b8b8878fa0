"""The durable queue between the SMTP intake and the certmail handler (declared by both sides)."""

from typing import Any

from kombu import Producer, Queue

from shared.messages import LETTERS_QUEUE  # named in shared/: the journal's gauges read its depth
from shared.queues import QUEUE_ARGUMENTS

letters_queue = Queue(LETTERS_QUEUE, durable=True, queue_arguments=QUEUE_ARGUMENTS)


def publish_letter(producer: Producer, body: dict[str, Any], **options: Any) -> None:
    """One letter into the durable queue, persistent and refused if unroutable (the producer's connection
    confirms publishes)."""
    producer.publish(
        body,
        exchange="",
        routing_key=LETTERS_QUEUE,
        declare=[letters_queue],
        serializer="json",
        delivery_mode=2,
        mandatory=True,
        **options,
    )
