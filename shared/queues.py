"""Durable kombu queues for the work and answer flows (declared by both sides, so none is lost)."""
from kombu import Queue

from shared.messages import ANSWERS_QUEUE, RETRY_QUEUE, WORK_QUEUE

RETRY_DELAY_MS = 5000

work_queue = Queue(WORK_QUEUE, durable=True)
answers_queue = Queue(ANSWERS_QUEUE, durable=True)
# Messages wait here RETRY_DELAY_MS, then dead-letter back into the work queue.
retry_queue = Queue(f"{RETRY_QUEUE}.{RETRY_DELAY_MS // 1000}s", durable=True, queue_arguments={
    "x-message-ttl": RETRY_DELAY_MS, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": WORK_QUEUE})
