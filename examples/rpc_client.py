"""An example subsystem of the fund calling ОЗСП's public RPC API (contracts/rpc-api.md) with its own RabbitMQ
user, in plain kombu: no nameko needed on the subsystem's side.

    python examples/rpc_client.py amqp://ozsp.sub.tfoms_demo:PASSWORD@127.0.0.1:5672/ozsp \\
        lookup '{"name": "проверка", "enp": "5096989785000017"}'

    python examples/rpc_client.py amqp://... events      # print this subsystem's events as they come

The user and password come from ОЗСП's operator (`ozsp subsystem add`, `ozsp broker setup`)."""

import json
import sys
import time
import uuid
from typing import Any
from urllib.parse import unquote, urlsplit

from kombu import Connection, Consumer, Exchange, Producer, Queue, binding

RPC_EXCHANGE = "nameko-rpc"
EVENTS_EXCHANGE = "public_api.events"
EVENTS = ("request_answered", "group_finished")


class RemoteError(RuntimeError):
    """The service failed while handling the call (refusals are not errors: they come as {"ok": false, ...})."""


class OzspClient:
    """One connection and one reply queue; call() sends `public_api.<method>` and waits for its reply."""

    def __init__(self, amqp_uri: str, timeout: float = 60) -> None:
        self.user = unquote(urlsplit(amqp_uri).username or "")
        if ".sub." not in self.user:
            raise ValueError("нужен пользователь RabbitMQ подсистемы: <vhost>.sub.<имя>")
        self.name = self.user.rsplit(".sub.", 1)[1]
        self.prefix = prefix = "ozsp.sub." + self.name + "."  # the only names this user may use
        self.timeout = timeout
        self.connection = Connection(amqp_uri, connect_timeout=10)
        self.channel = self.connection.channel()
        exchange = Exchange(RPC_EXCHANGE, "topic", durable=True, passive=True)  # passive: ОЗСП owns it
        self.reply_to = prefix + str(uuid.uuid4())
        queue = Queue(self.reply_to, exchange, routing_key=self.reply_to, exclusive=True, auto_delete=True)
        self.producer = Producer(self.channel, exchange, auto_declare=False)
        self.replies: dict[str, dict[str, Any]] = {}
        self.consumer = Consumer(self.channel, [queue], callbacks=[self._on_reply], no_ack=True, accept=["json"])
        self.consumer.consume()
        self.events: list[tuple[str, dict[str, Any]]] = []

    def subscribe(self, events: tuple[str, ...] = EVENTS) -> None:
        """This subsystem's events (its organisation's answered individual requests, finished groups) into a
        durable queue of its own, so none is missed while the subsystem is away; next_event() reads them."""
        exchange = Exchange(EVENTS_EXCHANGE, "topic", durable=True, passive=True)
        keys = [binding(exchange, routing_key=f"{event}.{self.name}") for event in events]
        queue = Queue(self.prefix + "events", bindings=keys, durable=True)
        Consumer(self.channel, [queue], callbacks=[self._on_event], accept=["json"]).consume()

    def _on_event(self, body: dict[str, Any], message: Any) -> None:
        self.events.append((message.delivery_info["routing_key"].split(".", 1)[0], body))
        message.ack()

    def next_event(self, timeout: float = 60) -> tuple[str, dict[str, Any]]:
        """(event, payload), e.g. ("request_answered", {"id": 5, "status": "answered", ...}); TimeoutError."""
        deadline = time.monotonic() + timeout
        while not self.events:
            self.connection.drain_events(timeout=max(0.01, deadline - time.monotonic()))
        return self.events.pop(0)

    def _on_reply(self, body: dict[str, Any], message: Any) -> None:
        self.replies[message.properties.get("correlation_id")] = body

    def call(self, method: str, **kwargs: Any) -> Any:
        correlation_id = str(uuid.uuid4())
        self.producer.publish(
            {"args": [], "kwargs": kwargs},
            routing_key=f"public_api.{method}",
            reply_to=self.reply_to,
            correlation_id=correlation_id,
            user_id=self.user,  # RabbitMQ checks it is this connection's user: ОЗСП knows who calls
            serializer="json",
        )
        while correlation_id not in self.replies:
            self.connection.drain_events(timeout=self.timeout)
        reply = self.replies.pop(correlation_id)
        if reply.get("error"):
            raise RemoteError(f"{reply['error'].get('exc_type')}: {reply['error'].get('value')}")
        return reply["result"]

    def lookup(self, fields: dict[str, Any], wait_seconds: float = 10, idempotency_key: str | None = None) -> Any:
        return self.call("lookup", fields=fields, wait_seconds=wait_seconds, idempotency_key=idempotency_key)

    def submit_group(self, name: str, rows: list[dict[str, Any]], idempotency_key: str | None = None) -> Any:
        return self.call("submit_group", name=name, rows=rows, idempotency_key=idempotency_key)

    def close(self) -> None:
        self.connection.release()

    def __enter__(self) -> "OzspClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    uri, method, *rest = argv
    kwargs = json.loads(rest[0]) if rest else {}
    with OzspClient(uri) as client:
        if method == "events":
            client.subscribe()
            while True:
                print(json.dumps(client.next_event(timeout=3600), ensure_ascii=False))
        answer = client.lookup(kwargs) if method == "lookup" else client.call(method, **kwargs)
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
