"""The public API's RPC entrypoint: it tells the method who sent the message and how big it was. The caller is
the AMQP `user_id` property, which RabbitMQ checks against the connection's user (a header or an argument could
be forged; this cannot)."""

import logging
import re
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

CALLER, CORRELATION, SIZE = "ozsp_broker_user", "ozsp_correlation_id", "ozsp_message_bytes"


log = logging.getLogger(__name__)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def replies_to_sender(user_id: str | None, reply_to: str | None) -> bool:
    """A subsystem's reply key has its own prefix (ozsp.sub.<name>.); a nameko caller's is a uuid."""
    if not reply_to:
        return False
    if user_id and ".sub." in user_id:
        return reply_to.startswith("ozsp.sub." + user_id.rsplit(".sub.", 1)[1] + ".")
    return bool(_UUID.match(reply_to))


class PublicRpc(Rpc):
    def handle_message(self, body: Any, message: Any) -> None:
        """A message whose reply would not go back to its sender is dropped: without reply_to nameko's consumer
        dies trying, and a reply_to such as "journal.create_request_once" would make public_api publish there."""
        reply_to = message.properties.get("reply_to")
        if not replies_to_sender(message.properties.get("user_id"), reply_to):
            log.warning(
                "public_api: a message from %s with reply_to %r dropped", message.properties.get("user_id"), reply_to
            )
            self.rpc_consumer.queue_consumer.ack_message(message)
            return
        super().handle_message(body, message)

    def unpack_message_headers(self, message: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().unpack_message_headers(message)
        data[CALLER] = message.properties.get("user_id")  # always set here, whatever headers the caller sent
        data[CORRELATION] = message.properties.get("correlation_id")
        data[SIZE] = len(message.body or b"")
        return data


public_rpc = PublicRpc.decorator


class Caller(DependencyProvider):
    """(broker user, correlation id, message bytes) of the call being handled."""

    def get_dependency(self, worker_ctx: Any) -> tuple[str | None, str | None, int]:
        data = worker_ctx.data
        return data.get(CALLER), data.get(CORRELATION), int(data.get(SIZE) or 0)
