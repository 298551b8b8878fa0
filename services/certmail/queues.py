"""The durable queue between the SMTP intake and the certmail handler (declared by both sides)."""

from kombu import Queue

LETTERS_QUEUE = "ozsp.certmail.letters"

letters_queue = Queue(LETTERS_QUEUE, durable=True)
