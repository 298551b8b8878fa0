"""certmail: the nameko handler of letters queued by the SMTP intake (services/certmail/intake.py), plus RPCs
for the administrator's pages (outgoing letters, the letter journal) and the registration application.
The rules live in plain modules (rules, zipcheck, letters, messages); this class only adapts them."""

import logging
from typing import Any

from nameko.messaging import Publisher, consume
from nameko.rpc import RpcProxy, rpc
from nameko.timer import timer

from services.certmail import handling, retry
from services.certmail.application import render_application
from services.certmail.queues import letters_queue
from shared import config, metrics, outbox
from shared.heartbeat import Heartbeat
from shared.mail_outcomes import OUTCOME_NAMES
from shared.metrics import MetricsEndpoint
from shared.settings import SettingsProvider

log = logging.getLogger(__name__)


class RetryPublisher(Publisher):
    """Publishes to the delay queues of MAIL_RETRY_TIERS and the parked queue (declared at setup)."""

    def setup(self) -> None:
        tiers = config.from_nameko(self.container.config).mail_retry_tiers
        self.declare = [letters_queue, retry.parked_queue] + retry.retry_queues(tiers)
        super().setup()


class CertmailService:
    name = "certmail"
    heartbeat = Heartbeat()  # HEARTBEAT_FILE for the container healthcheck
    metrics = MetricsEndpoint()  # /metrics on METRICS_PORT_<service> (shared/metrics.py)
    journal = RpcProxy("journal")
    settings = SettingsProvider()
    later = RetryPublisher()

    @rpc
    def ping(self) -> str:
        return "ok"

    @consume(letters_queue, requeue_on_error=True)
    def handle_letter(self, body: dict[str, Any]) -> None:
        """Acked after the outcome is journaled and the reply sent. When that fails (journal or relay away), the
        letter waits in a delay queue and comes back; after MAIL_RETRY_ATTEMPTS tries it is parked. Only if
        even that publish fails does the exception requeue the letter."""
        ctx = handling.Context(self.journal, self._mailer(), self.settings)
        try:
            metrics.MAIL_LETTERS.labels(outcome=handling.handle(body, ctx)).inc()
        except Exception as exc:  # no message text in the log: it may hold addresses
            s = self.settings
            queue, message = retry.next_step(body, s.mail_retry_tiers, s.mail_retry_attempts)
            metrics.MAIL_LETTERS.labels(outcome="parked" if queue == retry.PARKED_QUEUE else "retry").inc()
            self.later(message, routing_key=queue, mandatory=True)
            letter = str(body.get("letter_id"))[:12]
            if queue == retry.PARKED_QUEUE:
                log.error(
                    "letter %s not finished after %d tries (%s); parked in %s — after fixing the cause, "
                    "`ozsp letters requeue` sends it again",
                    letter,
                    message["attempt"],
                    handling.where(exc),
                    queue,
                )
            else:
                log.warning(
                    "letter %s not finished (%s); try %d again from %s",
                    letter,
                    handling.where(exc),
                    message["attempt"] + 1,
                    queue,
                )

    @timer(interval=10)
    def quarantine_results(self) -> None:
        """The result letters of quarantined certificates once an administrator decided (journal's quarantine)."""
        try:
            handling.send_quarantine_results(handling.Context(self.journal, self._mailer(), self.settings))
        except Exception as exc:  # the journal or the relay away: the letters stay due and are tried again
            log.warning("quarantine result letters not sent now (%s); tried again in 10 s", handling.where(exc))

    def _mailer(self) -> outbox.Mailer:
        s = self.settings
        return outbox.Mailer(s.smtp_relay, s.mail_outbox_dir)

    @rpc
    def list_outbox(self, limit: int = 50) -> list[dict[str, Any]]:
        """Letters in the local mail folder (when no relay is configured), newest first."""
        return outbox.list_outbox(self.settings.mail_outbox_dir, limit)

    @rpc
    def read_outbox(self, name: str) -> dict[str, Any] | None:
        return outbox.read_outbox(self.settings.mail_outbox_dir, name)

    @rpc
    def letters(self, limit: int = 50) -> Any:
        """The letter journal (received time, sender, subject, outcome and its Russian name, reply text), newest
        first."""
        return [
            {**row, "outcome_name": OUTCOME_NAMES.get(row.get("outcome") or "")}
            for row in self.journal.mail_letters(limit)
        ]

    @rpc
    def application(self, organization_id: int, user_id: int | None = None) -> str | None:
        """Приложение 1 as printable HTML, pre-filled from the directory; None if not found."""
        data = self.journal.mail_application_data(organization_id, user_id)
        if data is None:
            return None
        return render_application(data["organization"], data["user"])
