"""SMTP intake of certificate letters: a plain asyncio process (aiosmtpd; no eventlet, no nameko).

`python -m services.certmail.intake` listens on SMTP_ADDRESS. A letter is accepted (250) only after RabbitMQ has
confirmed it into the durable queue ozsp.certmail.letters; if it cannot be handed over the answer is 451, so the
sending server keeps it and retries. A crash of certmail or of this process loses no accepted letter.
"""

import asyncio
import base64
import logging
import logging.config
import signal
import sys
import threading
import uuid
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from kombu import Connection, Producer

from services.certmail.queues import publish_letter
from shared import config, metrics

log = logging.getLogger("services.certmail.intake")

HANDOFF_THREADS = 8
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


class Handoff:
    """Publishes letters with publisher confirms; one connection per executor thread, reopened after a failure."""

    def __init__(self, amqp_uri: str, timeout: float = 10.0) -> None:
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self._local = threading.local()

    def _producer(self) -> Producer:
        producer = getattr(self._local, "producer", None)
        if producer is None:
            conn = Connection(self.amqp_uri, connect_timeout=self.timeout, transport_options={"confirm_publish": True})
            conn.ensure_connection(max_retries=1)
            producer = Producer(conn.channel())
            self._local.conn, self._local.producer = conn, producer
        return producer

    def publish(self, body: dict[str, Any]) -> None:
        try:
            publish_letter(self._producer(), body, retry=False, confirm_timeout=self.timeout)
        except BaseException:
            self.reset()
            raise

    def reset(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = self._local.producer = None
        if conn is not None:
            try:
                conn.release()
            except Exception:
                pass


class IntakeHandler:
    """aiosmtpd handler: every recipient is accepted; the letter is queued raw, decisions come later."""

    def __init__(self, handoff: Handoff, executor: Executor) -> None:
        self.handoff = handoff
        self.executor = executor

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        letter_id = uuid.uuid4().hex
        peer = session.peer[0] if isinstance(session.peer, tuple) and session.peer else None
        body = {
            "letter_id": letter_id,
            "received_at": datetime.now(UTC).isoformat(),
            "raw_b64": base64.b64encode(raw).decode("ascii"),
            "mail_from": envelope.mail_from or "",  # the envelope sender: certmail compares it with From:
            "peer": peer,
        }  # who handed the letter in: a trusted MTA's Authentication-Results count only then
        try:
            await asyncio.get_running_loop().run_in_executor(self.executor, self.handoff.publish, body)
        except Exception as exc:
            log.warning("letter %s not handed over (%s); answered 451", letter_id, type(exc).__name__)
            metrics.MAIL_INTAKE.labels(outcome="failed").inc()
            return TEMPORARY_FAILURE
        metrics.MAIL_INTAKE.labels(outcome="accepted").inc()
        log.info("letter %s queued, %s bytes", letter_id, len(raw))
        return f"250 2.0.0 Ok: queued as {letter_id}"


class IntakeSMTP(SMTP):
    """aiosmtpd's server, counting the letters it refuses itself (552: over MAIL_MAX_BYTES, before any handler)."""

    async def push(self, status: Any) -> None:
        if (status.decode("ascii", "replace") if isinstance(status, bytes) else str(status)).startswith("552"):
            metrics.MAIL_INTAKE.labels(outcome="refused").inc()
        await super().push(status)


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


async def serve(settings: config.Settings, ready: asyncio.Event | None = None) -> None:
    """Run the intake until cancelled; `ready` (an asyncio.Event) is set once the port listens."""
    executor = ThreadPoolExecutor(HANDOFF_THREADS, thread_name_prefix="handoff")
    handler = IntakeHandler(Handoff(settings.amqp_uri), executor)
    host, port = _address(settings.smtp_address)
    server = await asyncio.get_running_loop().create_server(
        lambda: IntakeSMTP(
            handler,
            data_size_limit=settings.mail_max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname="ozsp-certmail",
            ident="OZSP certmail intake",
        ),
        host,
        port,
    )
    log.info("SMTP intake listening on %s:%s", host, port)
    if ready is not None:
        ready.set()
    try:
        await asyncio.Event().wait()
    finally:
        server.close()
        await server.wait_closed()
        executor.shutdown(wait=False, cancel_futures=True)


def main() -> None:
    try:
        settings = config.load()
    except config.SettingError as exc:
        sys.exit(str(exc))
    logging.config.dictConfig(config.logging_config(settings.log_level))
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter shows peers
    metrics.serve(settings, "certmail_intake")

    async def run() -> None:
        task = asyncio.current_task()
        assert task is not None  # run() is the task asyncio.run made
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await serve(settings)
        except asyncio.CancelledError:
            log.info("SMTP intake stopped")

    asyncio.run(run())


if __name__ == "__main__":
    main()
