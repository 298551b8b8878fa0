"""`ozsp dead list|requeue|drop`: the messages kept in ozsp.dead (shared/dead.py) for the operator. Listing shows
where each came from, why and when, never its body (it may hold personal data); requeue sends messages back to
their queue (after the cause is fixed), drop deletes them. Requeue and drop are audited."""

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kombu import Connection, Producer

from shared import dead


@contextmanager
def _held(amqp_uri: str, limit: int) -> Iterator[tuple[Any, list[Any]]]:
    """Up to `limit` dead messages, taken unacknowledged: those not acked go back when the channel closes."""
    with Connection(amqp_uri, connect_timeout=10, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        queue = dead.dead_queue(channel)
        queue.declare()
        taken: list[Any] = []
        while len(taken) < limit:
            message = queue.get(no_ack=False)
            if message is None:
                break
            taken.append(message)
        try:
            yield channel, taken
        finally:
            channel.close()  # what was not acked returns to ozsp.dead, in order


def describe(message: Any) -> dict[str, Any]:
    headers = message.headers or {}
    return {
        "id": message.properties.get("message_id") or "",
        "source": headers.get(dead.SOURCE, "?"),
        "reason": headers.get(dead.REASON, "?"),
        "at": headers.get(dead.AT, "?"),
        "bytes": len(message.body or b""),
    }


def list_dead(amqp_uri: str, limit: int = 1000) -> list[dict[str, Any]]:
    with _held(amqp_uri, limit) as (_, taken):
        return [describe(m) for m in taken]


def handle(amqp_uri: str, action: str, ids: set[str], every: bool, limit: int = 100_000) -> list[dict[str, Any]]:
    """requeue or drop the messages with these ids (all with `every`) -> what was done, one dict a message."""
    done = []
    with _held(amqp_uri, limit) as (channel, taken):
        producer = Producer(channel)
        for message in taken:
            info = describe(message)
            if not every and info["id"] not in ids:
                continue
            if action == "requeue":
                headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-ozsp-")}
                producer.publish(
                    message.body,
                    routing_key=info["source"],
                    headers=headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    delivery_mode=2,
                )
            message.ack()
            done.append(info)
    return done


def audit(action: str, done: list[dict[str, Any]], database_url: str) -> None:
    from services.journal import directory
    from shared import db

    with db.engine(database_url).begin() as conn:
        for info in done:
            directory.audit(conn, f"dead.{action}", info["id"], {k: info[k] for k in ("source", "reason", "at")})


def main(argv: list[str]) -> int:
    from shared import config

    parser = argparse.ArgumentParser(prog="ozsp dead", description=f"сообщения очереди {dead.DEAD_QUEUE}")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("list", help="показать сообщения: откуда, почему, когда (без содержимого)")
    for action, text in (("requeue", "вернуть в их очередь (после устранения причины)"), ("drop", "удалить")):
        p = sub.add_parser(action, help=text)
        p.add_argument("ids", nargs="*", metavar="ID", help="идентификаторы из ozsp dead list")
        p.add_argument("--all", action="store_true", help="все сообщения очереди")
    args = parser.parse_args(argv)
    settings = config.load()
    if args.action == "list":
        found = list_dead(settings.amqp_uri)
        for info in found:
            print(f"{info['id']}  {info['at']}  из {info['source']}  {info['bytes']} байт  причина: {info['reason']}")
        print(f"В очереди {dead.DEAD_QUEUE}: {len(found)} сообщ.")
        return 0
    if not args.ids and not args.all:
        print("Укажите идентификаторы сообщений (ozsp dead list) или --all.", file=sys.stderr)
        return 2
    done = handle(settings.amqp_uri, args.action, set(args.ids), args.all)
    audit(args.action, done, settings.database_url)
    verb = "возвращено в очереди" if args.action == "requeue" else "удалено"
    print(f"{verb}: {len(done)} сообщ.")
    missing = set(args.ids) - {d["id"] for d in done}
    if missing:
        print("Не найдены: " + ", ".join(sorted(missing)), file=sys.stderr)
        return 1
    return 0
