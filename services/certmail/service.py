"""certmail: the nameko handler of letters queued by the SMTP intake (services/certmail/intake.py), plus RPCs
for the administrator's pages (outgoing letters, the letter journal) and the registration application.
The rules live in plain modules (rules, zipcheck, letters, messages); this class only adapts them."""
import logging
import time

from nameko.extensions import DependencyProvider
from nameko.messaging import consume
from nameko.rpc import RpcProxy, rpc

from services.certmail import handling, outbox
from services.certmail.application import render_application
from services.certmail.queues import letters_queue
from shared import config

log = logging.getLogger(__name__)
RETRY_PAUSE = 2.0  # seconds before a letter whose journal or relay failed goes back to the queue


class MailSettings(DependencyProvider):
    """shared.config settings (environment variables), read once per process."""

    def setup(self):
        self.settings = config.load()

    def get_dependency(self, worker_ctx):
        return self.settings


class CertmailService:
    name = "certmail"
    journal = RpcProxy("journal")
    settings = MailSettings()

    @rpc
    def ping(self):
        return "ok"

    @consume(letters_queue, requeue_on_error=True)
    def handle_letter(self, body):
        """Acked after the outcome is journaled and the reply sent; an exception requeues the letter."""
        ctx = handling.Context(self.journal, self._mailer(), self.settings)
        try:
            handling.handle(body, ctx)
        except Exception as exc:  # journal or relay away: try again later (no message text: it may hold addresses)
            log.error("letter %s not finished (%s); it will be redelivered", str(body.get("letter_id"))[:12],
                      handling.where(exc))
            time.sleep(RETRY_PAUSE)  # no hot loop while the journal or the relay is away
            raise

    def _mailer(self):
        s = self.settings
        return outbox.Mailer(s.smtp_relay, s.mail_outbox_dir)

    @rpc
    def list_outbox(self, limit=50):
        """Letters in the local mail folder (when no relay is configured), newest first."""
        return outbox.list_outbox(self.settings.mail_outbox_dir, limit)

    @rpc
    def read_outbox(self, name):
        return outbox.read_outbox(self.settings.mail_outbox_dir, name)

    @rpc
    def letters(self, limit=50):
        """The letter journal (received time, sender, subject, outcome, reply text), newest first."""
        return self.journal.mail_letters(limit)

    @rpc
    def application(self, organization_id, user_id=None):
        """Приложение 1 as printable HTML, pre-filled from the directory; None if not found."""
        data = self.journal.mail_application_data(organization_id, user_id)
        if data is None:
            return None
        return render_application(data["organization"], data["user"])
