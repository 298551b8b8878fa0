"""ferzl_bridge: the only door to ФЕРЗЛ. Consumes chunks of work, publishes chunks of outcomes."""
import logging
import uuid

from marshmallow import ValidationError
from nameko.messaging import Publisher, consume
from nameko.rpc import rpc

from services.ferzl_bridge.dependencies import FerzlProvider
from services.ferzl_bridge.lookup import run_chunk
from shared.messages import ANSWERS_QUEUE, WorkChunk
from shared.queues import answers_queue, retry_queue, work_queue

log = logging.getLogger(__name__)


class FerzlBridgeService:
    name = "ferzl_bridge"
    ferzl = FerzlProvider()
    publish = Publisher(declare=[answers_queue, retry_queue])

    @consume(work_queue, requeue_on_error=True)
    def handle_work(self, body):
        try:
            chunk = WorkChunk().load(body)
        except ValidationError as exc:
            log.error("malformed work message dropped: %s", sorted(exc.messages))
            return
        outcomes, retry = run_chunk(self.ferzl.get_person_data, chunk["items"], mapper=self.ferzl.imap)
        if outcomes:
            self.publish({"chunk_id": chunk["chunk_id"], "outcomes": outcomes}, routing_key=ANSWERS_QUEUE)
        if retry:
            self.publish({"chunk_id": str(uuid.uuid4()), "items": retry}, routing_key=retry_queue.name)
        log.info("chunk %s: %d answered, %d to retry", chunk["chunk_id"], len(outcomes), len(retry))

    @rpc
    def get_state(self):
        """ФЕРЗЛ availability as this process sees it: {"state": up|degraded|down, "since": iso}."""
        return self.ferzl.state()
