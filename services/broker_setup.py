"""Least-privilege broker access (#20): one RabbitMQ user per service and per subsystem in the stack's vhost,
each allowed only the RPCs it needs (topic permissions on the RPC exchange) and, for subsystems, only their own
queues. `ozsp broker setup` applies it; passwords derive from BROKER_SECRET, so every process finds its own."""

import ast
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlsplit

RPC_EXCHANGE = "nameko-rpc"  # nameko's RPC exchange (topic): routing key "<service>.<method>"
EVENTS_EXCHANGE = "public_api.events"  # nameko's events exchange of public_api: "<event>.<subsystem>"


def _rpcs_of(module_path: str) -> tuple[str, ...]:
    """The @rpc methods of a service module, read from its source (importing it would import nameko and
    eventlet's users before the process's monkey patching)."""
    with open(os.path.join(_ROOT, module_path), encoding="utf-8") as f:
        tree = ast.parse(f.read())
    return tuple(
        sorted(
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and any(ast.unparse(d) == "rpc" for d in node.decorator_list)
        )
    )


_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOURNAL_RPCS = _rpcs_of("services/journal/service.py")
# web sessions: the gateway alone
GATEWAY_ONLY = ("start_session", "session_identity", "create_request_in_session", "get_requests_in_session")
PUBLIC_API_ONLY = (
    "subsystem_call",
    "create_request_once",
    "subsystem_events",
)  # a subsystem's identity comes from public_api alone
PUBLIC_RPCS = ("lookup", "submit_group", "get_group", "group_requests", "export_group", "get_request", "list_requests")


def _journal(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"journal.{n}" for n in names)


# The RPCs each service may call ("<service>.<method>"). A cross-service call missing here is refused by the broker.
# The gateway may call every journal RPC but certmail's (mail_*) and public_api's; a new one is the gateway's.
CALLS: dict[str, tuple[str, ...]] = {
    "gateway": _journal(n for n in JOURNAL_RPCS if not n.startswith("mail_") and n not in PUBLIC_API_ONLY)
    + ("flk.ping", "flk.check_request", "flk.check_group", "ferzl_bridge.get_state")
    + ("certmail.ping", "certmail.list_outbox", "certmail.read_outbox", "certmail.letters", "certmail.application"),
    "certmail": _journal(n for n in JOURNAL_RPCS if n.startswith("mail_"))
    + _journal(("ping", "trust_material", "crl_fetch_for")),
    "public_api": _journal(
        ("subsystem_call", "create_request_once", "subsystem_events", "get_request", "list_requests")
        + ("create_group", "get_group")
    )
    + _journal(("export_page",))
    + ("flk.check_request", "flk.check_group"),
    "journal": ("journal.stack_identity",),  # refuse_other_stack asks the running journal who it is
    "flk": (),
    "ferzl_bridge": (),
}
PROCESS_USER = {"certmail_intake": "certmail"}  # plain processes that act as a service's user

# nameko replies go to the caller's reply queue, routing key = a uuid4 (services' replies)
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


@dataclass(frozen=True)
class Grant:
    """What one broker user may do in the vhost: resource permissions and topic permissions by exchange."""

    configure: str
    write: str
    read: str
    topics: dict[str, tuple[str, str]]  # exchange -> (write, read) regexes of routing keys


def _keys(names: Iterable[str], *patterns: str) -> str:
    """A regex matching exactly these routing keys (and keys matching the patterns); none: only the empty key."""
    alternatives = "|".join([re.escape(n) for n in sorted(names)] + list(patterns))
    return f"^({alternatives})$" if alternatives else "^$"


# Who publishes to a queue by name (the default exchange, where routing keys cannot be limited): the journal (work,
# dead letters), the bridge (answers, retry tiers, dead letters) and certmail (letters, its retries). The others
# could forge an answer in ozsp.journal.answers with it, so they may not write there.
DEFAULT_EXCHANGE_WRITERS = frozenset({"journal", "ferzl_bridge", "certmail"})
_NOT_DEFAULT = "^(?!amq\\.default$).*$"


def service_grant(service: str) -> Grant:
    """A service: its own queues and exchanges anywhere in the vhost (nameko names them), the default exchange only
    for DEFAULT_EXCHANGE_WRITERS, and on the RPC exchange only the calls of CALLS and replies (uuid routing keys)."""
    replies = (_UUID, f"ozsp\\.sub\\.[a-z0-9_]+\\.{_UUID}") if service == "public_api" else (_UUID,)
    write = ".*" if service in DEFAULT_EXCHANGE_WRITERS else _NOT_DEFAULT
    return Grant(".*", write, ".*", {RPC_EXCHANGE: (_keys(CALLS[service], *replies), ".*")})


def subsystem_prefix(name: str) -> str:
    """Every queue and reply routing key of a subsystem begins with this."""
    return f"ozsp.sub.{name}."


def subsystem_grant(name: str) -> Grant:
    """A subsystem of the fund: calls to the public API only, its own queues (prefix) only; it reads the RPC
    exchange only for replies with its own prefix and public_api's events for its own organisation."""
    own = re.escape(subsystem_prefix(name)) + ".*"
    return Grant(
        configure=f"^{own}$",
        write=f"^({re.escape(RPC_EXCHANGE)}|{own})$",
        read=f"^({re.escape(RPC_EXCHANGE)}|{re.escape(EVENTS_EXCHANGE)}|{own})$",
        topics={
            RPC_EXCHANGE: (_keys(f"public_api.{n}" for n in PUBLIC_RPCS), f"^{own}$"),
            EVENTS_EXCHANGE: ("^$", f"^[a-z_]+\\.{re.escape(name)}$"),
        },
    )


def user_name(vhost: str, party: str) -> str:
    """RabbitMQ users are per node, not per vhost: the vhost in the name keeps two stacks apart."""
    return f"{vhost}.{party}"


def password(secret: str, user: str) -> str:
    return hmac.new(secret.encode(), user.encode(), hashlib.sha256).hexdigest()[:40]


def party_uri(amqp_uri: str, secret: str, party: str) -> str:
    """amqp_uri with the credentials of one service or subsystem (the same host and vhost)."""
    path = urlsplit(amqp_uri).path  # as shared.broker.vhost_of, which imports requests (not before eventlet)
    user = user_name(unquote(path[1:]) if len(path) > 1 else "/", party)
    parts = urlsplit(amqp_uri)
    netloc = f"{quote(user, safe='')}:{password(secret, user)}@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def service_uri(amqp_uri: str, secret: str, process: str) -> str:
    """The broker address a service process uses: its own user when BROKER_SECRET is set, else amqp_uri as is
    (tools and dev setups without `ozsp broker setup`)."""
    if not secret:
        return amqp_uri
    return party_uri(amqp_uri, secret, PROCESS_USER.get(process, process))


class SetupError(RuntimeError):
    """The broker refused the setup; the message is for the operator, in Russian."""


def _api(management_url: str) -> tuple[str, tuple[str, str]]:
    parts = urlsplit(management_url)
    api = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
    return api, (unquote(parts.username or "guest"), unquote(parts.password or "guest"))


def apply(
    amqp_uri: str, management_url: str, secret: str, subsystems: Iterable[str] = (), timeout: float = 10
) -> list[str]:
    """Create the vhost, the users of every service and of the given subsystems, and their permissions
    (idempotent: passwords and permissions are set again). -> the users, for the operator."""
    import requests

    from shared import broker

    if not secret:
        raise SetupError("BROKER_SECRET не задан: пароли пользователей RabbitMQ выводятся из него")
    problem = broker.ensure_vhost(amqp_uri, management_url, timeout)
    if problem:
        raise SetupError(problem)
    vhost = broker.vhost_of(amqp_uri)
    grants = {name: service_grant(name) for name in CALLS}
    for name in subsystems:
        if not _NAME.match(name):
            raise SetupError(f"имя подсистемы «{name}»: латинские строчные буквы, цифры и _, от 2 до 31 знака")
        grants[f"sub.{name}"] = subsystem_grant(name)
    api, auth = _api(management_url)
    v = quote(vhost, safe="")
    done = []
    try:
        # declared here as nameko declares it (durable topic), so a subsystem can bind before the first event
        events_url = f"{api}/exchanges/{v}/{quote(EVENTS_EXCHANGE, safe='')}"
        declared: dict[str, Any] = {"type": "topic", "durable": True, "auto_delete": False, "internal": False}
        requests.put(events_url, auth=auth, json=declared, timeout=timeout).raise_for_status()
        for party, grant in grants.items():
            user = user_name(vhost, party)
            u = quote(user, safe="")
            put = {"password": password(secret, user), "tags": ""}
            requests.put(f"{api}/users/{u}", auth=auth, json=put, timeout=timeout).raise_for_status()
            perms = {"configure": grant.configure, "write": grant.write, "read": grant.read}
            requests.put(f"{api}/permissions/{v}/{u}", auth=auth, json=perms, timeout=timeout).raise_for_status()
            requests.delete(f"{api}/topic-permissions/{v}/{u}", auth=auth, timeout=timeout)
            for exchange, (write, read) in grant.topics.items():
                topic = {"exchange": exchange, "write": write, "read": read}
                r = requests.put(f"{api}/topic-permissions/{v}/{u}", auth=auth, json=topic, timeout=timeout)
                r.raise_for_status()
            done.append(user)
    except requests.RequestException as exc:
        raise SetupError(f"API управления RabbitMQ {api} отказал: {exc}") from None
    return done


def prune_subsystems(amqp_uri: str, management_url: str, keep: Iterable[str], timeout: float = 10) -> list[str]:
    """Delete the RabbitMQ users of this vhost's subsystems not in `keep` (disabled or removed from the directory):
    their credentials stop working at once, open connections are closed by the broker. -> the users deleted."""
    import requests

    from shared import broker

    vhost = broker.vhost_of(amqp_uri)
    kept = {user_name(vhost, f"sub.{name}") for name in keep}
    api, auth = _api(management_url)
    try:
        gone = sorted(set(_users_of(api, auth, user_name(vhost, "sub."), timeout)) - kept)
        for name in gone:
            requests.delete(f"{api}/users/{quote(name, safe='')}", auth=auth, timeout=timeout).raise_for_status()
    except requests.RequestException as exc:
        raise SetupError(f"API управления RabbitMQ {api} отказал: {exc}") from None
    return gone


def _users_of(api: str, auth: tuple[str, str], prefix: str, timeout: float) -> list[str]:
    """The broker's users whose names begin with prefix (a vhost's parties, or its subsystems)."""
    import requests

    return [
        u["name"]
        for u in requests.get(f"{api}/users", auth=auth, timeout=timeout).json()
        if u["name"].startswith(prefix)
    ]


def remove_users(amqp_uri: str, management_url: str, timeout: float = 10) -> int:
    """Delete the users of this vhost's parties (a test stack's, once its vhost is gone) -> how many."""
    import requests

    path = urlsplit(amqp_uri).path
    prefix = (unquote(path[1:]) if len(path) > 1 else "/") + "."
    api, auth = _api(management_url)
    try:
        ours = _users_of(api, auth, prefix, timeout)
        for name in ours:
            requests.delete(f"{api}/users/{quote(name, safe='')}", auth=auth, timeout=timeout)
    except requests.RequestException:
        return 0
    return len(ours)
