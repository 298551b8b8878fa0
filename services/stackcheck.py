"""Before a stack starts: its ports are free, and no stack with another database consumes its queues.

A second `ozsp up` on the same ports or the same vhost would otherwise join the first: its services would take
messages meant for the first one's journal and answer them from another database."""

import errno
import hashlib
import socket
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from shared import broker, db

JOURNAL_QUEUE = "rpc-journal"  # nameko's RPC queue of the journal service


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def port_taken(address: str) -> bool:
    """True when nothing may listen on HOST:PORT now (bound by another process). SO_REUSEADDR as the servers
    use it (a closed connection's TIME_WAIT does not count), never SO_REUSEPORT."""
    host, port = _split(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def taken_ports(named_addresses: Mapping[str, str]) -> list[tuple[str, str]]:
    """[(what, address)] of the given {what: address} whose port is taken."""
    return [(what, address) for what, address in named_addresses.items() if port_taken(address)]


def ports_message(taken: Iterable[tuple[str, str]]) -> str:
    lines = [
        f"Порт {address} ({what}) уже занят: вероятно, уже работает другая копия ОЗСП или другая программа."
        for what, address in taken
    ]
    return (
        "\n".join(lines) + "\nОстановите её или запустите эту копию на других портах "
        "(WEB_ADDRESS, EMULATOR_ADDRESS, SMTP_ADDRESS; README, «Вторая копия»)."
    )


def database_identity(conn: Connection) -> dict[str, Any]:
    """A short fingerprint of the database a journal writes to: the cluster's system identifier and the
    database's name (the same name on another server is another database)."""
    name = conn.execute(text("SELECT current_database()")).scalar()
    try:
        cluster = conn.execute(text("SELECT system_identifier FROM pg_control_system()")).scalar()
    except Exception:  # not allowed for this role: the server's address stands in
        conn.rollback()
        cluster = conn.execute(
            text("SELECT coalesce(host(inet_server_addr()), 'local') || ':' || current_setting('port')")
        ).scalar()
    digest = hashlib.sha256(f"{cluster}/{name}".encode()).hexdigest()[:16]
    return {"database": name, "fingerprint": digest}


def local_identity(database_url: str) -> dict[str, Any]:
    engine = db.engine(database_url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            return database_identity(conn)
    finally:
        engine.dispose()


def running_identity(amqp_uri: str, timeout: float = 10) -> dict[str, Any] | None:
    """The database identity of the journal(s) already consuming this vhost's queues, or None when no journal
    runs there."""
    from shared.queues import declared

    if declared(amqp_uri, [JOURNAL_QUEUE])[JOURNAL_QUEUE][1] == 0:
        return None
    from nameko.standalone.rpc import ClusterRpcProxy

    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as cluster:
            return cluster.journal.stack_identity()
    except Exception:  # an older journal, or one that does not answer: its database is unknown
        return {"database": "неизвестна", "fingerprint": None}


def conflict_message(amqp_uri: str, ours: Mapping[str, Any], theirs: Mapping[str, Any]) -> str:
    vhost = broker.vhost_of(amqp_uri)
    return (
        f"В RabbitMQ (виртуальный узел «{vhost}») уже работает ОЗСП с другой базой данных "
        f"(«{theirs.get('database')}», а у этого запуска «{ours['database']}»). Две копии с разными базами "
        f"в одном виртуальном узле отвечали бы на запросы друг друга. Запустите эту копию в своём "
        f"виртуальном узле: AMQP_URI=…/{vhost}-2 (README, «Вторая копия»)."
    )


def other_stack_problem(amqp_uri: str, database_url: str) -> str | None:
    """A Russian message when a journal with another database consumes this vhost's queues, else None."""
    theirs = running_identity(amqp_uri)
    if theirs is None:
        return None
    ours = local_identity(database_url)
    if theirs.get("fingerprint") == ours["fingerprint"]:
        return None  # another copy of the same stack: more workers for the same journal
    return conflict_message(amqp_uri, ours, theirs)
