"""journal: owner of PostgreSQL but for the bridge's two tables (README, «Layout»). A thin nameko adapter: every
entrypoint delegates to a plain module (services.journal.calls by area; dispatch, CRL jobs and the answers intake
through the per-process objects of services.journal.dependencies). The RPC names and parameters are the contract."""

from typing import Any

from nameko.events import EventDispatcher
from nameko.messaging import Publisher, consume
from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import Connection

from services import stackcheck
from services.journal.calls import (
    archive,
    audit,
    directory,
    gateway_state,
    groups,
    mail,
    quarantine,
    requests,
    state,
    subsystems,
    watchlists,
)
from services.journal.dependencies import Crls, Database, Dispatch, Intake, Metrics, Subsystems
from services.journal.intake import Finished
from shared import dead, memory
from shared.config import Settings
from shared.heartbeat import Heartbeat
from shared.messages import ANSWERS_QUEUE, GROUPS_FINISHED, REQUESTS_FINISHED
from shared.metrics import MetricsEndpoint
from shared.queues import answers_queue, work_queue
from shared.settings import SettingsProvider
from shared.status import ANSWERED


class JournalService(memory.ReleasesMemory):
    name = "journal"
    heartbeat = Heartbeat()  # HEARTBEAT_FILE for the container healthcheck
    metrics = MetricsEndpoint()  # /metrics on METRICS_PORT_<service> (shared/metrics.py)
    db = Database()
    settings = SettingsProvider()
    publish = Publisher(declare=[work_queue])
    events = EventDispatcher()
    dispatcher = Dispatch()
    crls = Crls()
    intake = Intake()
    gauges = Metrics()
    subsystems_present = Subsystems()

    @rpc
    def ping(self) -> str:
        return "ok"

    @rpc
    def stack_identity(self) -> dict[str, Any]:
        """Which database this journal writes to (services.stackcheck: a second stack with another database
        refuses to start on this vhost)."""
        with self.db.connect() as conn:
            return stackcheck.database_identity(conn)

    # --- subscriber directory and login (contracts/messages.md) ---

    @rpc
    def trust_material(self) -> dict[str, list[str]]:
        return directory.trust_material(self.db)

    @rpc
    def certificate_owner(self, issuer: str, serial_hex: str) -> dict[str, Any] | None:
        return directory.certificate_owner(self.db, issuer, serial_hex)

    @rpc
    def issue_challenge(self, ttl_seconds: int = 120, live_max: int | None = None) -> dict[str, str] | None:
        return directory.issue_challenge(self.db, ttl_seconds, live_max)

    @rpc
    def consume_challenge(self, challenge_id: str) -> str | None:
        return directory.consume_challenge(self.db, challenge_id)

    @rpc
    def start_session(self, user_id: int, organization_id: int, certificate_id: int | None = None) -> str:
        return directory.start_session(self.db, user_id, organization_id, certificate_id)

    @rpc
    def session_identity(self, token: str, idle_minutes: int = 30, absolute_hours: int = 12) -> dict[str, Any] | None:
        return directory.session_identity(self.db, token, idle_minutes, absolute_hours)

    @rpc
    def end_session(self, token: str) -> None:
        directory.end_session(self.db, token)

    @rpc
    def count_login_attempts(self, address: str, serial_hex: str | None = None, seconds: int = 60) -> int:
        return directory.count_login_attempts(self.db, address, serial_hex, seconds)

    @rpc
    def audit(
        self,
        action: str,
        object_id: Any = None,
        details: dict[str, Any] | None = None,
        user_id: int | None = None,
        organization_id: int | None = None,
    ) -> None:
        directory.audit(self.db, action, object_id, details, user_id, organization_id)

    @rpc
    def crl_fetch_for(self, cert_b64: str) -> str:
        return self.crls.fetch_for(self.db, cert_b64)

    # --- group requests (manual §5) ---

    @rpc
    def create_group(
        self,
        identity: dict[str, Any],
        name: str,
        filename: str,
        columns: list[str],
        rows: list[list[Any]],
        encoding: str | None = None,
        idempotency_key: str | None = None,
        reuse_minutes: float | None = None,
    ) -> dict[str, Any] | None:
        """reuse_minutes: answers of the last minutes reused (None: ANSWER_REUSE_MINUTES; 0: off)."""
        minutes = self._reuse_minutes(reuse_minutes)
        return self._group_created(
            groups.create_group(self.db, identity, name, filename, columns, rows, encoding, idempotency_key, minutes)
        )

    def _group_created(self, created: dict[str, Any] | None) -> dict[str, Any] | None:
        """A new group: announced when every row was answered from a fresh answer, its requests sent now."""
        if created and not created["repeated"] and created["reused"] >= created["total"] > 0:
            self._announce(Finished(requests=[], groups=[created["id"]]))
        return self._dispatched(created)

    def _answered_at_once(self, created: dict[str, Any]) -> dict[str, Any]:
        """A new request answered from a fresh answer is announced as one stored from ФЕРЗЛ is."""
        if not created.get("repeated") and created.get("status") == ANSWERED:
            self._announce(Finished(requests=[created["id"]], groups=[]))
        return created

    @rpc
    def get_group(self, identity: dict[str, Any], group_id: int) -> dict[str, Any] | None:
        return groups.get_group(self.db, identity, group_id)

    @rpc
    def list_groups(
        self,
        identity: dict[str, Any],
        date_from: str | None = None,
        date_to: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> dict[str, Any]:
        return groups.list_groups(self.db, identity, date_from, date_to, page, per_page)

    @rpc
    def take_finished_notices(self, identity: dict[str, Any]) -> list[dict[str, Any]]:
        return groups.take_finished_notices(self.db, identity)

    @rpc
    def export_page(
        self, identity: dict[str, Any], group_id: int, after_line: int = 0, limit: int = 5000, form: str = "cells"
    ) -> list[dict[str, Any]]:
        return groups.export_page(self.db, identity, group_id, after_line, limit, form)

    # --- individual requests and the form's CAPTCHA ---

    @rpc
    def create_request(
        self, identity: dict[str, Any], params: dict[str, Any], reuse_minutes: float | None = None
    ) -> dict[str, Any]:
        """reuse_minutes: a fresh answer of the last minutes reused (None: ANSWER_REUSE_MINUTES; 0: a ФЕРЗЛ call)."""
        return self._answered_at_once(
            requests.create_request(self.db, identity, params, self._reuse_minutes(reuse_minutes), self._send_now)
        )

    @rpc
    def create_request_in_session(
        self, token: str, idle_minutes: int, absolute_hours: int, user_id: int, params: dict[str, Any]
    ) -> dict[str, Any]:
        """The JSON API's lookup: the session checked and the request created in one call (calls/requests.py)."""
        return self._answered_at_once(
            requests.create_request_in_session(
                self.db, token, idle_minutes, absolute_hours, user_id, params, self._reuse_minutes(None), self._send_now
            )
        )

    @rpc
    def create_request_once(
        self, admitted: dict[str, Any], params: dict[str, Any], key: str, reuse_minutes: float | None = None
    ) -> dict[str, Any]:
        """A subsystem's lookup (public_api): one request per idempotency key, however often the call is delivered."""
        minutes = self._reuse_minutes(reuse_minutes)
        return self._answered_at_once(
            subsystems.create_request_once(self.db, admitted, params, key, minutes, self._send_now)
        )

    @rpc
    def subsystem_call(
        self, name: str, action: str, calls_per_minute: int, details: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Admit a public API call of a subsystem: who it is in the directory, its rate limit, the audit."""
        return subsystems.subsystem_call(
            self.db, name, action, calls_per_minute, details, seen=self.subsystems_present.seen
        )

    @rpc
    def subsystem_events(self, kind: str, ids: list[int]) -> list[dict[str, Any]]:
        """What public_api announces: request_answered / group_finished of these ids to their organisations'
        subsystems."""
        return subsystems.subsystem_events(self.db, kind, ids)

    @rpc
    def get_request(self, identity: dict[str, Any], request_id: int) -> dict[str, Any] | None:
        return requests.get_request(self.db, identity, request_id)

    @rpc
    def get_requests(self, identity: dict[str, Any], request_ids: list[int]) -> list[dict[str, Any]]:
        """The cards of these requests visible to the identity (at most 50), in id order."""
        return requests.get_requests(self.db, identity, request_ids)

    @rpc
    def get_requests_in_session(
        self, token: str, idle_minutes: int, absolute_hours: int, request_ids: list[int]
    ) -> dict[str, Any] | None:
        """A page's wait: the session checked and its cards read in one call (calls/requests.py)."""
        return requests.get_requests_in_session(self.db, token, idle_minutes, absolute_hours, request_ids)

    @rpc
    def list_requests(
        self, identity: dict[str, Any], filters: dict[str, Any] | None = None, page: int = 1, per_page: int = 50
    ) -> dict[str, Any]:
        return requests.list_requests(self.db, identity, filters, page, per_page)

    @rpc
    def count_recent_requests(self, identity: dict[str, Any], seconds: float = 60) -> int:
        return requests.count_recent_requests(self.db, identity, seconds)

    @rpc
    def captcha_issue(self, answer_hash: str, ttl: int) -> str:
        return requests.captcha_issue(self.db, answer_hash, ttl)

    @rpc
    def captcha_check(self, captcha_id: str, answer_hash: str) -> bool:
        return requests.captcha_check(self.db, captcha_id, answer_hash)

    # --- the gateway's shared state: hit windows, kept group files (services/journal/gateway_state.py) ---

    @rpc
    def rate_hit(self, key: str, limit: int, seconds: float = 60) -> bool:
        return gateway_state.rate_hit(self.db, key, limit, seconds)

    @rpc
    def keep_upload(self, user_id: int, filename: str, content_b64: str) -> str | None:
        return gateway_state.keep_upload(self.db, user_id, filename, content_b64)

    @rpc
    def kept_upload(self, user_id: int, token: str | None) -> dict[str, Any] | None:
        return gateway_state.kept_upload(self.db, user_id, token)

    @rpc
    def discard_kept_upload(self, user_id: int, token: str | None) -> None:
        gateway_state.discard_kept_upload(self.db, user_id, token)

    # --- certificate registration by e-mail (contracts/certmail.md) ---

    @rpc
    def mail_claim(self, letter: dict[str, Any]) -> dict[str, Any]:
        return mail.mail_claim(self.db, letter)

    @rpc
    def mail_finish(
        self,
        key: str,
        outcome: str,
        reply_text: str | None = None,
        detail: str | None = None,
        user_id: int | None = None,
        deliver: bool = True,
    ) -> bool:
        return mail.mail_finish(self.db, key, outcome, reply_text, detail, user_id, deliver)

    @rpc
    def mail_signature(self, key: str, signature_key: str) -> bool:
        return mail.mail_signature(self.db, key, signature_key)

    @rpc
    def mail_register(
        self, key: str, user_id: int, cert_b64: str, ca_b64: str, reply_text: str, detail: str | None = None
    ) -> dict[str, Any]:
        return mail.mail_register(self.db, key, user_id, cert_b64, ca_b64, reply_text, detail)

    @rpc
    def mail_delivered(self, key: str) -> None:
        mail.mail_delivered(self.db, key)

    @rpc
    def mail_letters(self, limit: int = 50) -> list[dict[str, Any]]:
        return mail.mail_letters(self.db, limit)

    @rpc
    def mail_application_data(self, organization_id: int, user_id: int | None = None) -> dict[str, Any] | None:
        return mail.mail_application_data(self.db, organization_id, user_id)

    @rpc
    def directory_view(self, kind: str, search: str = "", page: int = 1) -> dict[str, Any]:
        return directory.view(self.db, kind, search, page)

    @rpc
    def directory_record(self, kind: str, record_id: int) -> dict[str, Any] | None:
        return directory.record(self.db, kind, record_id)

    @rpc
    def directory_change(self, action: str, params: dict[str, Any], actor: str) -> dict[str, Any]:
        """The administrator's pages change the directory through the same code as `ozsp directory`."""
        return directory.change(self.db, action, params, actor)

    @rpc
    def directory_lockout(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        return directory.lockout(self.db, action, params)

    # --- the quarantine of certificates of unknown CAs (certmail holds and answers; the administrator decides) ---

    @rpc
    def mail_quarantine(self, key: str, user_id: int | None, sender: str | None, cert_b64: str) -> None:
        quarantine.mail_quarantine(self.db, key, user_id, sender, cert_b64)

    @rpc
    def mail_quarantine_due(self, limit: int = 20) -> list[dict[str, Any]]:
        return quarantine.mail_quarantine_due(self.db, limit)

    @rpc
    def mail_quarantine_replied(self, entry_id: int) -> None:
        quarantine.mail_quarantine_replied(self.db, entry_id)

    @rpc
    def quarantine_list(self, limit: int = 200) -> list[dict[str, Any]]:
        return quarantine.listing(self.db, limit)

    @rpc
    def quarantine_decide(self, entry_id: int, decision: str, params: dict[str, Any], actor: str) -> dict[str, Any]:
        return quarantine.decide(self.db, entry_id, decision, params, actor)

    @rpc
    def service_state(self) -> dict[str, Any]:
        """The administrator's «Состояние сервиса»: backlog, errors, groups, CRLs, mail, queues (calls/state.py)."""
        return state.state(self.db, self.settings)

    # --- the audit trail (administrators and auditors) ---

    @rpc
    def audit_trail(self, filters: dict[str, Any], page: int = 1, per_page: int = 50) -> dict[str, Any]:
        return audit.trail(self.db, filters, page, per_page)

    @rpc
    def audit_request_card(self, request_id: int, viewer: dict[str, Any]) -> dict[str, Any] | None:
        return audit.request_card(self.db, request_id, viewer)

    # --- watch lists (#22) ---

    @rpc
    def watchlist_create(
        self, identity: dict[str, Any], group_id: int, period: str, email: bool = False, name: str | None = None
    ) -> dict[str, Any]:
        return watchlists.watchlist_create(self.db, identity, group_id, period, email, name)

    @rpc
    def watchlist_list(self, identity: dict[str, Any]) -> list[dict[str, Any]]:
        return watchlists.watchlist_list(self.db, identity)

    @rpc
    def watchlist_get(self, identity: dict[str, Any], list_id: int) -> dict[str, Any] | None:
        return watchlists.watchlist_get(self.db, identity, list_id)

    @rpc
    def watchlist_update(
        self, identity: dict[str, Any], list_id: int, changes: dict[str, Any]
    ) -> dict[str, Any] | None:
        return watchlists.watchlist_update(self.db, identity, list_id, changes)

    @rpc
    def watchlist_replace(
        self, identity: dict[str, Any], list_id: int, filename: str, columns: list[str], rows: list[list[Any]]
    ) -> dict[str, Any] | None:
        return watchlists.watchlist_replace(self.db, identity, list_id, filename, columns, rows)

    @rpc
    def watchlist_delete(self, identity: dict[str, Any], list_id: int) -> bool:
        return watchlists.watchlist_delete(self.db, identity, list_id)

    @timer(interval=5)
    def run_watchlists(self) -> None:
        """Due watch lists (their schedule is in the database): each a new re-check group."""
        if watchlists.run_due_watchlists(self.db):
            self.dispatcher.dispatch(self.db, self.publish)
        watchlists.mail_finished(self.db, self.settings)

    def _reuse_minutes(self, asked: float | None) -> float:
        return float(self.settings.answer_reuse_minutes if asked is None else asked)

    def _send_now(self, conn: Connection, work: list[dict[str, Any]]) -> None:
        """A new individual request, claimed at its creation, goes out at once (a user waits: not for the timer)."""
        self.dispatcher.dispatch_new(conn, self.publish, work)

    def _dispatched(self, created: Any) -> Any:
        """`created` once the new requests went out (they need not wait for the next tick)."""
        self.dispatcher.dispatch(self.db, self.publish)
        return created

    # --- timers and the answers queue ---

    @timer(interval=0.2)
    def dispatch(self) -> None:
        self.dispatcher.dispatch(self.db, self.publish)

    @consume(answers_queue, requeue_on_error=True)
    def store_answers(self, body: Any) -> None:
        self._stored(self.intake.take(self.db, body, self._bury_answers))

    def _bury_answers(self, body: Any, reason: str) -> None:
        dead.bury(self.publish, body, ANSWERS_QUEUE, reason)

    def _stored(self, finished: Finished | None) -> None:
        """After an answers message: its requests and groups announced, and the room the answers freed in the
        dispatch window refilled now (when anything was left pending). None: it was dropped."""
        if finished is None:
            return
        self._announce(finished)
        self.dispatcher.refill(self.db, self.publish)

    def _announce(self, finished: Finished) -> None:
        """The pages waiting for these individual requests told (every gateway process: a broadcast), public_api
        told of them and of these finished groups (subsystems' events)."""
        # "subsystems": False when none is active: public_api then has nobody to tell and asks nothing
        present = bool(finished.requests or finished.groups) and self.subsystems_present.any(self.db)
        if finished.requests:
            self.events(REQUESTS_FINISHED, {"ids": finished.requests, "subsystems": present})
        if finished.groups:
            self.events(GROUPS_FINISHED, {"ids": finished.groups, "subsystems": present})

    @timer(interval=5)
    def read_gauges(self) -> None:
        """Backlog, in flight, groups, CRL expiry and queue depths for /metrics (services/journal/gauges.py)."""
        self.gauges.update(self.db)

    @timer(interval=gateway_state.PURGE_SECONDS)
    def purge_gateway_state(self) -> None:
        gateway_state.purge(self.db)

    @timer(interval=600)
    def purge_login_state(self) -> None:
        directory.purge_login_state(self.db, self.settings.session_absolute_hours or Settings.session_absolute_hours)

    @timer(interval=3600)
    def purge_archive(self) -> None:
        """Drop ФЕРЗЛ exchanges older than FERZL_ARCHIVE_DAYS, a batch at a time."""
        archive.purge_archive(self.db, self.settings.ferzl_archive_days or Settings.ferzl_archive_days)

    @timer(interval=3600)
    def purge_audit(self) -> None:
        """Drop audit rows older than AUDIT_RETENTION_DAYS (one journal copy at a time: an advisory lock)."""
        audit.purge(self.db, int(self.settings.audit_retention_days))

    @timer(interval=10)
    def refresh_crls(self) -> None:
        """Every CRL_REFRESH_MINUTES (0: never) the CRLs of the CAs from their distribution points."""
        self.crls.refresh(self.db, float(self.settings.crl_refresh_minutes))
