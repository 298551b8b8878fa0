"""journal: the only owner of PostgreSQL. Thin nameko adapter over services.journal.store."""

import base64
import logging
import time
import uuid

from eventlet import tpool
from marshmallow import ValidationError
from nameko.messaging import Publisher, consume
from nameko.rpc import rpc
from nameko.timer import timer

from services import stackcheck
from services.journal import answers, archive, captcha, crl_refresh, directory, groups, store
from services.journal.dependencies import Database
from shared import export, memory, outage
from shared.config import Settings
from shared.gost import GostError, load_certificate, load_crl
from shared.heartbeat import Heartbeat
from shared.messages import WORK_QUEUE, load_outcome_chunk
from shared.queues import answers_queue, declared, work_queue
from shared.settings import SettingsProvider

log = logging.getLogger(__name__)
MAX_CHUNKS_PER_TICK = 50  # at most this many chunks per dispatch, and never beyond the dispatch window
CLAIM_CHUNKS = 10  # chunks claimed and published in one transaction
SWEEP_SECONDS = 5.0  # how often a dispatch also claims by id whatever the fair order missed (store.claim_pending)
BRIDGES_SECONDS = 5.0  # how often the journal counts the bridge processes (the automatic dispatch window)


def _due(slot, seconds):
    """True when the monotonic time in slot[0] has come; then the next one is `seconds` away. A one-item list
    shared by the workers of this process (nameko makes a service instance per worker)."""
    now = time.monotonic()
    if now < slot[0]:
        return False
    slot[0] = now + seconds
    return True


def _crl_in_thread(data):
    """A CRL parsed in a real thread: a big one takes seconds, and dispatch and answers go on meanwhile."""
    return tpool.execute(load_crl, data)


class JournalService(memory.ReleasesMemory):
    name = "journal"
    heartbeat = Heartbeat()  # HEARTBEAT_FILE for the container healthcheck
    db = Database()
    settings = SettingsProvider()
    publish = Publisher(declare=[work_queue])

    @rpc
    def ping(self):
        return "ok"

    @rpc
    def stack_identity(self):
        """Which database this journal writes to (services.stackcheck: a second stack with another database
        refuses to start on this vhost)."""
        with self.db.connect() as conn:
            return stackcheck.database_identity(conn)

    # --- subscriber directory and login (contracts/messages.md) ---

    @rpc
    def trust_material(self):
        """Active CAs and the newest CRL of each, base64 DER."""
        with self.db.connect() as conn:
            material = directory.trust_material(conn)
        return {key: [base64.b64encode(der).decode() for der in ders] for key, ders in material.items()}

    @rpc
    def certificate_owner(self, issuer, serial_hex):
        with self.db.connect() as conn:
            return directory.certificate_owner(conn, issuer, serial_hex)

    @rpc
    def issue_challenge(self, ttl_seconds=120, live_max=None):
        """{id, challenge}, or None when live_max unanswered challenges are alive already."""
        with self.db.begin() as conn:
            return directory.issue_challenge(conn, int(ttl_seconds), None if live_max is None else int(live_max))

    @rpc
    def consume_challenge(self, challenge_id):
        with self.db.begin() as conn:
            return directory.consume_challenge(conn, challenge_id)

    @rpc
    def start_session(self, user_id, organization_id, certificate_id=None):
        with self.db.begin() as conn:
            return directory.create_session(conn, user_id, organization_id, certificate_id)

    @rpc
    def session_identity(self, token, idle_minutes=30, absolute_hours=12):
        with self.db.begin() as conn:
            return directory.session_identity(conn, token, int(idle_minutes), int(absolute_hours))

    @rpc
    def end_session(self, token):
        with self.db.begin() as conn:
            directory.end_session(conn, token)

    @rpc
    def count_login_attempts(self, address, serial_hex=None, seconds=60):
        with self.db.connect() as conn:
            return directory.count_login_attempts(conn, address, serial_hex, int(seconds))

    @rpc
    def audit(self, action, object_id=None, details=None, user_id=None, organization_id=None):
        with self.db.begin() as conn:
            directory.audit(conn, action, object_id, details, user_id, organization_id)

    # --- group requests (manual §5) ---

    @rpc
    def create_group(self, identity, name, filename, columns, rows, encoding=None, idempotency_key=None):
        """All rows of a file that passed ФЛК become requests in one transaction, then go to ФЕРЗЛ."""
        with self.db.begin() as conn:
            created = groups.create_group(
                conn, store.Identity(identity), name, filename, columns, rows, encoding, idempotency_key
            )
        self._dispatch_quietly()
        return created

    @rpc
    def get_group(self, identity, group_id):
        with self.db.connect() as conn:
            return groups.get_group(conn, store.Identity(identity), int(group_id))

    @rpc
    def list_groups(self, identity, date_from=None, date_to=None, page=1, per_page=50):
        with self.db.connect() as conn:
            return groups.list_groups(
                conn,
                store.Identity(identity),
                store.parse_date(date_from),
                store.parse_date(date_to),
                int(page),
                int(per_page),
            )

    @rpc
    def take_finished_notices(self, identity):
        with self.db.begin() as conn:
            return groups.take_finished_notices(conn, store.Identity(identity))

    @rpc
    def export_page(self, identity, group_id, after_line=0, limit=5000, form="cells"):
        """The next rows of a group in file order: export cells (shared.export.row) or, with form "csv", each
        row's finished CSV line (one string instead of 26 on the wire: the export is bound by this process)."""
        with self.db.connect() as conn:
            page = groups.export_page(conn, store.Identity(identity), int(group_id), int(after_line), int(limit))
        cells = [export.row(r) for r in page]
        if form == "csv":
            return [{"line_no": r["line_no"], "csv": line} for r, line in zip(page, export.csv_lines(cells))]
        return [{"line_no": r["line_no"], "cells": c} for r, c in zip(page, cells)]

    @rpc
    def create_request(self, identity, params):
        with self.db.begin() as conn:
            result = store.create_request(conn, store.Identity(identity), params)
        self._dispatch_quietly()
        return result

    @rpc
    def get_request(self, identity, request_id):
        with self.db.connect() as conn:
            return store.get_card(conn, store.Identity(identity), int(request_id))

    @rpc
    def list_requests(self, identity, filters=None, page=1, per_page=50):
        filters = dict(filters or {})
        for key in ("date_from", "date_to"):
            filters[key] = store.parse_date(filters.get(key))
        with self.db.connect() as conn:
            return store.list_requests(conn, store.Identity(identity), filters, int(page), int(per_page))

    @rpc
    def count_recent_requests(self, identity, seconds=60):
        with self.db.connect() as conn:
            return store.count_recent(conn, store.Identity(identity), seconds)

    @rpc
    def captcha_issue(self, answer_hash, ttl):
        with self.db.begin() as conn:
            return captcha.issue(conn, answer_hash, ttl)

    @rpc
    def captcha_check(self, captcha_id, answer_hash):
        with self.db.begin() as conn:
            return captcha.check(conn, captcha_id, answer_hash)

    # --- certificate registration by e-mail (services/journal/mail.py, contracts/certmail.md) ---

    @rpc
    def mail_claim(self, letter):
        from services.journal import mail

        with self.db.begin() as conn:
            return mail.claim_letter(conn, letter)

    @rpc
    def mail_finish(self, key, outcome, reply_text=None, detail=None, user_id=None, deliver=True):
        from services.journal import mail

        with self.db.begin() as conn:
            return mail.finish_letter(conn, key, outcome, reply_text, detail, user_id, deliver=deliver)

    @rpc
    def mail_signature(self, key, signature_key):
        """Bind the DKIM signature that authenticated a letter; False: it already authenticated another (replay)."""
        from services.journal import mail

        with self.db.begin() as conn:
            return mail.record_signature(conn, key, signature_key)

    @rpc
    def mail_register(self, key, user_id, cert_b64, ca_b64, reply_text, detail=None):
        """Certificate, user record, CA entry and the letter's outcome in one transaction; {ok, error}."""
        from sqlalchemy.exc import IntegrityError

        from services.journal import mail
        from shared.gost import load_certificate

        cert, ca = load_certificate(base64.b64decode(cert_b64)), load_certificate(base64.b64decode(ca_b64))
        try:
            with self.db.begin() as conn:
                return {
                    "ok": True,
                    "certificate_id": mail.register_from_mail(conn, key, user_id, cert, ca, reply_text, detail),
                }
        except directory.DirectoryError as exc:
            return {"ok": False, "error": str(exc)}
        except IntegrityError:
            return {"ok": False, "error": "сертификат с этим серийным номером уже зарегистрирован в справочнике"}

    @rpc
    def mail_delivered(self, key):
        from services.journal import mail

        with self.db.begin() as conn:
            mail.mark_delivered(conn, key)

    @rpc
    def mail_letters(self, limit=50):
        from services.journal import mail

        with self.db.connect() as conn:
            rows = mail.list_letters(conn, limit)
        return [{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()} for row in rows]

    @rpc
    def mail_application_data(self, organization_id, user_id=None):
        from services.journal import mail

        with self.db.connect() as conn:
            return mail.application_data(conn, int(organization_id), None if user_id is None else int(user_id))

    @timer(interval=0.2)
    def dispatch(self):
        self._dispatch_quietly()

    @consume(answers_queue, requeue_on_error=True)
    def store_answers(self, body):
        try:
            chunk = load_outcome_chunk(body)
        except ValidationError as exc:
            log.error("malformed answers message dropped: %s", sorted(exc.messages))
            return
        try:
            result = answers.store_chunk(self.db, chunk)
        except Exception as exc:  # only the database away or a lock conflict (services.journal.answers)
            if outage.lock_conflict(exc):
                log.warning(
                    "chunk %s met another transaction (%s); it will be redelivered",
                    chunk["chunk_id"],
                    type(exc.orig).__name__,
                )
            else:
                self._storing.failed(exc)
                time.sleep(2)  # no hot loop while the database is away
            raise outage.Redeliver(chunk["chunk_id"]) from None
        self._storing.ok()
        if result["duplicates"]:
            log.info("chunk %s: %s repeated answers ignored", chunk["chunk_id"], result["duplicates"])
        self._dispatch_quietly()  # answers free room in the dispatch window: refill it now, not at the next tick

    @timer(interval=600)
    def purge_login_state(self):
        """Expired login challenges and long-finished sessions are dropped (the audit keeps every login)."""
        try:
            with self.db.begin() as conn:
                directory.purge_login_state(
                    conn, self.settings.session_absolute_hours or Settings.session_absolute_hours
                )
        except Exception as exc:
            if not outage.unavailable(exc):
                log.exception("login state cleanup failed; it runs again in 10 minutes")

    @timer(interval=3600)
    def purge_archive(self):
        """Drop ФЕРЗЛ exchanges older than FERZL_ARCHIVE_DAYS, a batch at a time."""
        days = self.settings.ferzl_archive_days or Settings.ferzl_archive_days
        try:
            while True:
                with self.db.begin() as conn:
                    if archive.purge(conn, days) < archive.PURGE_BATCH:
                        return
        except Exception:
            log.exception("archive retention cleanup failed; it runs again in an hour")

    _crl_next_run = [0.0]  # monotonic time of the next CRL refresh (_due)
    _crl_asked: dict[str, float] = {}  # issuer -> monotonic time of its last on-demand CRL download
    CRL_ASK_SECONDS = 60.0

    @rpc
    def crl_fetch_for(self, cert_b64):
        """Download now the CRL of the CA that issued this certificate (base64 DER), from its distribution points;
        at most once a minute per issuer. -> stored | current | failed | no_urls | unknown_ca | throttled | invalid"""
        try:
            cert = load_certificate(base64.b64decode(cert_b64))
        except (GostError, ValueError):
            return "invalid"
        issuer, now = str(cert.issuer), time.monotonic()
        if now - self._crl_asked.get(issuer, -self.CRL_ASK_SECONDS) < self.CRL_ASK_SECONDS:
            return "throttled"
        if len(self._crl_asked) > 1000:
            self._crl_asked.clear()
        self._crl_asked[issuer] = now
        return crl_refresh.fetch_for(self.db, cert, parse=_crl_in_thread)

    @timer(interval=10)
    def refresh_crls(self):
        """Every CRL_REFRESH_MINUTES (0: never) the CRLs of the CAs from their distribution points."""
        minutes = self.settings.crl_refresh_minutes
        if minutes <= 0 or not _due(self._crl_next_run, minutes * 60):
            return
        try:
            crl_refresh.refresh(self.db, parse=_crl_in_thread)
        except Exception:
            log.exception("CRL refresh failed; it runs again in %g minutes", minutes)

    _next_sweep = [0.0]  # monotonic time of the next sweeping dispatch (_due)
    _bridges_seen = [1]  # bridge processes consuming the work queue, as last counted
    _next_count = [0.0]  # monotonic time of the next count (_due)

    def _bridges(self):
        """How many bridge processes take work (consumers of the work queue), counted every BRIDGES_SECONDS; the
        automatic dispatch window is one bridge's prefetch times this. Only when DISPATCH_WINDOW is automatic."""
        if self.settings.dispatch_window <= 0 and _due(self._next_count, BRIDGES_SECONDS):
            try:
                self._bridges_seen[0] = max(1, declared(self.settings.amqp_uri, [WORK_QUEUE])[WORK_QUEUE][1])
            except Exception as exc:  # the broker away: keep the last count; the publish will tell
                log.warning("bridge processes not counted (%s); the dispatch window stays", type(exc).__name__)
        return self._bridges_seen[0]

    _dispatching = outage.Outage(log, "dispatch of pending requests")  # per process, as the gates above
    _storing = outage.Outage(log, "storing answers from ferzl_bridge")

    def _dispatch_quietly(self):
        try:
            self._dispatch()
        except Exception as exc:
            if outage.unavailable(exc):  # pending requests stay in the journal and go out once it is back
                self._dispatching.failed(exc)
            else:
                log.exception("dispatch failed; pending requests stay in the journal and are retried")
        else:
            self._dispatching.ok()

    def _dispatch(self):
        """Publish pending requests while fewer than the dispatch window are in flight (docs/decisions.md).
        Each transaction counts what is in flight, claims at most the room left (CLAIM_CHUNKS chunks), publishes
        with confirms and commits; a failed publish rolls back only that claim."""
        s = self.settings
        size, lease = s.chunk_size, s.dispatch_lease_seconds
        window = store.dispatch_window(
            size, s.ferzl_concurrency, lease, s.ferzl_rate_limit, s.dispatch_window, self._bridges()
        )
        budget = MAX_CHUNKS_PER_TICK * size
        sweep = _due(self._next_sweep, SWEEP_SECONDS)
        while budget > 0:
            with self.db.begin() as conn:
                limit = min(store.dispatch_room(conn, window, lease), budget, CLAIM_CHUNKS * size)
                if limit <= 0:
                    return
                items = store.claim_pending(conn, limit, lease, sweep)
                for chunk in store.dispatch_chunks(items, size):
                    self.publish({"chunk_id": str(uuid.uuid4()), "items": chunk}, routing_key=WORK_QUEUE)
            budget -= len(items)
            if len(items) < limit:
                return
