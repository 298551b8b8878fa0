"""ferzl_bridge: the only door to ФЕРЗЛ. Consumes chunks of work, publishes chunks of outcomes.

Order per chunk: the delayed items go to their delay queues, then the outcomes (with the archive
records and the lease extensions of the delayed items) to the journal, then the chunk is acked by
returning. A crash at any point leaves the chunk unacked: RabbitMQ hands it out again and the
journal ignores repeated answers.
"""

import logging
import uuid
from typing import Any

from marshmallow import ValidationError
from nameko.messaging import Publisher, consume
from nameko.rpc import rpc
from nameko.timer import timer

from services.ferzl_bridge.dependencies import FerzlProvider
from services.ferzl_bridge.work import Result
from shared import config, dead, outage
from shared.heartbeat import Heartbeat
from shared.messages import ANSWERS_QUEUE, WORK_QUEUE, load_work_chunk
from shared.metrics import MetricsEndpoint
from shared.queues import answers_queue, delay_queues, tier_name, work_queue
from shared.settings import SettingsProvider

log = logging.getLogger(__name__)


class TierPublisher(Publisher):
    """A Publisher that also declares the delay queues of FERZL_RETRY_TIERS (known only at setup)."""

    def setup(self) -> None:
        tiers = config.from_nameko(self.container.config).ferzl_retry_tiers
        self.declare = [answers_queue, work_queue] + delay_queues(tiers)
        super().setup()


class FerzlBridgeService:
    name = "ferzl_bridge"
    heartbeat = Heartbeat()  # HEARTBEAT_FILE for the container healthcheck
    metrics = MetricsEndpoint()  # /metrics on METRICS_PORT_<service> (shared/metrics.py)
    settings = SettingsProvider()
    ferzl = FerzlProvider()
    publish = TierPublisher()

    @consume(work_queue, requeue_on_error=True)
    def handle_work(self, body: dict[str, Any]) -> None:
        try:
            chunk = load_work_chunk(body)
        except ValidationError as exc:
            reason = dead.schema_reason(exc.messages)
            log.error("malformed work message kept in %s: %s", dead.DEAD_QUEUE, reason)
            dead.bury(self.publish, body, WORK_QUEUE, reason)
            return
        try:
            result = self.ferzl.process(chunk["items"])
        except Exception:
            log.exception("chunk %s broke unexpectedly; its requests go to a delay queue", chunk["chunk_id"])
            result = self.ferzl.bridge.failed_chunk(chunk["items"])
        try:
            self._publish(chunk["chunk_id"], result)
        except Exception as exc:
            if not outage.unavailable(exc):
                raise
            self._publishing.failed(exc)  # the broker away: the chunk comes back once it is up again
            raise outage.Redeliver(chunk["chunk_id"]) from None
        self._publishing.ok()
        log.info("chunk %s: %d done, %d later", chunk["chunk_id"], len(result.outcomes), len(result.held))

    _publishing = outage.Outage(log, "publishing answers to the journal")  # per process

    def _publish(self, chunk_id: str, result: Result) -> None:
        tiers = self.ferzl.provider.tiers
        for seconds, items in sorted(result.later.items()):
            self.publish(
                {"chunk_id": str(uuid.uuid4()), "items": items},
                routing_key=tier_name(seconds),
                expiration=tiers.expiration(seconds),
                mandatory=True,
            )
        if result.outcomes or result.archive or result.held:
            self.publish(
                {"chunk_id": chunk_id, "outcomes": result.outcomes, "archive": result.archive, "held": result.held},
                routing_key=ANSWERS_QUEUE,
            )

    @timer(interval=0.5)
    def tick(self) -> None:
        """About once a second: share this process's view of ФЕРЗЛ; while down, probe when it is our turn."""
        try:
            self.ferzl.tick()
        except Exception:
            log.exception("FERZL state tick failed")

    @rpc
    def get_state(self) -> dict[str, Any]:
        """{"state": up|degraded|down, "since", "reason", "alarm", "queue_depth", "metrics"} across processes."""
        return self.ferzl.state()
