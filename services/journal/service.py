"""journal: the only owner of PostgreSQL. Thin nameko adapter over services.journal.store."""
import logging
import time
import uuid

from marshmallow import ValidationError
from nameko.dependency_providers import Config
from nameko.messaging import Publisher, consume
from nameko.rpc import rpc
from nameko.timer import timer

from services.journal import store
from services.journal.dependencies import Database
from shared.messages import WORK_QUEUE, OutcomeChunk
from shared.queues import answers_queue, work_queue

log = logging.getLogger(__name__)
MAX_CHUNKS_PER_TICK = 50


class JournalService:
    name = "journal"
    db = Database()
    config = Config()
    publish = Publisher(declare=[work_queue])

    @rpc
    def ping(self):
        return "ok"

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

    @timer(interval=0.5)
    def dispatch(self):
        self._dispatch_quietly()

    @consume(answers_queue, requeue_on_error=True)
    def store_answers(self, body):
        try:
            chunk = OutcomeChunk().load(body)
        except ValidationError as exc:
            log.error("malformed answers message dropped: %s", sorted(exc.messages))
            return
        try:
            with self.db.begin() as conn:
                result = store.store_outcomes(conn, chunk["outcomes"])
        except Exception:
            log.exception("storing answers of chunk %s failed; it will be redelivered", chunk["chunk_id"])
            time.sleep(2)  # no hot loop while the database is away
            raise
        if result["duplicates"]:
            log.info("chunk %s: %s repeated answers ignored", chunk["chunk_id"], result["duplicates"])

    def _dispatch_quietly(self):
        try:
            self._dispatch()
        except Exception:
            log.exception("dispatch failed; pending requests stay in the journal and are retried")

    def _dispatch(self):
        size, lease = int(self.config["CHUNK_SIZE"]), int(self.config["DISPATCH_LEASE_SECONDS"])
        for _ in range(MAX_CHUNKS_PER_TICK):
            with self.db.begin() as conn:
                items = store.claim_pending(conn, size, lease)
                if not items:
                    return
                self.publish({"chunk_id": str(uuid.uuid4()), "items": items}, routing_key=WORK_QUEUE)
            if len(items) < size:
                return
