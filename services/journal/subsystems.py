"""Subsystems of the fund calling the public RPC API (#20): who a broker user is in the directory, the calls per
minute of each (one counter in PostgreSQL for every public_api process), the audit of every call, and lookups
made once per idempotency key."""

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, text

from services.journal import directory, store
from services.journal.pace import Pace
from shared import clock
from shared.messages import GROUP_FINISHED, REQUEST_ANSWERED
from shared.status import label

SYSTEM_ROLE = "system"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")  # as services.broker_setup accepts it: part of a RabbitMQ user name


def add_subsystem(conn: Connection, name: str, organization_id: int, actor: str | None = None) -> int:
    """A subsystem of an organisation with its «system» user (never signs in to the web pages)."""
    if not NAME.match(name):
        raise directory.DirectoryError(
            f"Имя подсистемы «{name}»: латинские строчные буквы, цифры и знак _, от 2 до 31 знака, первая — буква."
        )
    if conn.execute(text("SELECT 1 FROM subsystems WHERE name = :n"), {"n": name}).first():
        raise directory.DirectoryError(f"Подсистема «{name}» уже есть в справочнике.")
    user_id = directory.add_user(conn, organization_id, "ПОДСИСТЕМА", name.upper(), roles=(SYSTEM_ROLE,), actor=actor)
    subsystem_id: int = conn.execute(
        text("INSERT INTO subsystems (name, organization_id, user_id) VALUES (:n, :o, :u) RETURNING id"),
        {"n": name, "o": organization_id, "u": user_id},
    ).scalar_one()
    directory.audit(
        conn, "directory.subsystem.add", subsystem_id, {"name": name, "actor": actor}, user_id, organization_id
    )
    return subsystem_id


def disable_subsystem(conn: Connection, name: str, actor: str | None = None) -> None:
    """The subsystem's calls are refused from now on (its RabbitMQ user goes with the next `ozsp broker setup`)."""
    row = conn.execute(
        text("UPDATE subsystems SET active = false WHERE name = :n RETURNING id, user_id, organization_id"),
        {"n": name},
    ).first()
    if row is None:
        raise directory.DirectoryError(f"Подсистемы «{name}» нет в справочнике.")
    directory.audit(
        conn, "directory.subsystem.disable", row.id, {"name": name, "actor": actor}, row.user_id, row.organization_id
    )


def active_names(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT name FROM subsystems WHERE active ORDER BY name")).scalars())


def identity(conn: Connection, name: str) -> dict[str, Any] | None:
    """The identity a subsystem acts with, None unless it, its organisation and its «system» user are active."""
    row = (
        conn.execute(
            text(
                "SELECT s.id AS subsystem_id, s.name AS subsystem, s.user_id, s.organization_id FROM subsystems s "
                "JOIN users u ON u.id = s.user_id AND u.organization_id = s.organization_id "
                "JOIN organizations o ON o.id = s.organization_id "
                "WHERE s.name = :n AND s.active AND u.active AND o.active AND :role = ANY(u.roles)"
            ),
            {"n": name, "role": SYSTEM_ROLE},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def count_call(conn: Connection, subsystem_id: int) -> int:
    """This call counted: -> the subsystem's calls in the current minute, this one included."""
    calls: int = conn.execute(
        text(
            "INSERT INTO subsystem_calls (subsystem_id, minute, calls) VALUES (:s, date_trunc('minute', now()), 1) "
            "ON CONFLICT (subsystem_id, minute) DO UPDATE SET calls = subsystem_calls.calls + 1 RETURNING calls"
        ),
        {"s": subsystem_id},
    ).scalar_one()
    if calls == 1:  # the minute's first call drops the subsystem's old minutes
        conn.execute(
            text("DELETE FROM subsystem_calls WHERE subsystem_id = :s AND minute < now() - interval '1 hour'"),
            {"s": subsystem_id},
        )
    return calls


def call(
    conn: Connection, name: str, action: str, calls_per_minute: int, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Admit one public API call: audited, counted. -> {"ok": True, "identity"} or {"ok": False, "error", "message"}.
    Of the calls refused for the rate, only the first of the minute is audited: a flood does not fill the audit."""
    who = identity(conn, name)
    if who is None:
        directory.audit(conn, "public_api.refused", None, {"subsystem": name, "action": action, "why": "unknown"})
        return {"ok": False, "error": "unknown_subsystem", "message": f"Подсистема «{name}» не найдена или отключена."}
    calls = count_call(conn, who["subsystem_id"])
    refused = calls > calls_per_minute
    if calls <= calls_per_minute + 1:
        audited = {"subsystem": name, **(details or {}), **({"refused": "rate"} if refused else {})}
        directory.audit(conn, f"public_api.{action}", None, audited, who["user_id"], who["organization_id"])
    if refused:
        return {
            "ok": False,
            "error": "rate_limited",
            "message": f"Превышено число вызовов: не более {calls_per_minute} в минуту. Повторите позже.",
        }
    return {"ok": True, "identity": {"user_id": who["user_id"], "organization_id": who["organization_id"]}, **who}


def create_request_once(
    conn: Connection,
    subsystem_id: int,
    identity: Mapping[str, Any],
    params: Mapping[str, Any],
    key: str,
    reuse: float,
    claim: bool = False,
) -> dict[str, Any]:
    """The request of this idempotency key: created the first time (claimed with `claim`, as
    store.create_request), the same one again after (a redelivered call)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:s, hashtext(:k))"), {"s": subsystem_id, "k": key})
    found = conn.execute(
        text("SELECT request_id FROM subsystem_lookups WHERE subsystem_id = :s AND key = :k"),
        {"s": subsystem_id, "k": key},
    ).scalar()
    if found is not None:
        return {"id": found, "repeated": True}
    created = store.create_request(conn, store.Identity(identity), params, reuse_minutes=reuse, claim=claim)
    conn.execute(
        text("INSERT INTO subsystem_lookups (subsystem_id, key, request_id) VALUES (:s, :k, :r)"),
        {"s": subsystem_id, "k": key, "r": created["id"]},
    )
    return {**created, "repeated": False}


_EVENT_ROWS = {
    REQUEST_ANSWERED: (
        "SELECT s.name AS subsystem, r.id, r.status, r.answered_at FROM requests r "
        "JOIN subsystems s ON s.organization_id = r.organization_id AND s.active "
        "WHERE r.id = ANY(:ids) AND r.group_id IS NULL ORDER BY r.id, s.name"
    ),
    GROUP_FINISHED: (
        "SELECT s.name AS subsystem, g.id, g.name, g.total, g.answered, g.failed, g.finished_at FROM groups g "
        "JOIN subsystems s ON s.organization_id = g.organization_id AND s.active "
        "WHERE g.id = ANY(:ids) AND g.finished_at IS NOT NULL ORDER BY g.id, s.name"
    ),
}


def events(conn: Connection, kind: str, ids: list[int]) -> list[dict[str, Any]]:
    """The events of these requests or groups for the active subsystems of their organisations:
    [{"subsystem", "payload"}]; the payload names the request or group and its outcome, never a person."""
    if kind not in _EVENT_ROWS:
        raise ValueError(f"unknown event {kind!r}")
    rows = conn.execute(text(_EVENT_ROWS[kind]), {"ids": [int(i) for i in ids]}).mappings().all()
    out = []
    for row in rows:
        payload = {k: v for k, v in row.items() if k != "subsystem"}
        for key in ("answered_at", "finished_at"):
            if payload.get(key) is not None:
                payload[key] = clock.to_moscow(payload[key]).isoformat()
        if "status" in payload:
            payload["status_label"] = label(payload["status"])
        out.append({"subsystem": row["subsystem"], "payload": payload})
    return out


PRESENCE_SECONDS = 1.0  # how often, at most, the journal looks whether any subsystem is active


class Presence:
    """Whether any subsystem is active, looked up at most every PRESENCE_SECONDS. The journal's events of finished
    requests and groups carry it: with none (the usual case) public_api asks nothing, and a lookup costs no RPC
    beyond the user's. A subsystem added is heard of within that time, or at once by the journal copy that admits
    its first call (seen()); when the database cannot tell, True."""

    def __init__(self, pace: Pace | None = None) -> None:
        self.pace = pace or Pace()
        self.known = True

    def any(self, engine: Engine) -> bool:
        if self.pace.due(PRESENCE_SECONDS):
            try:
                with engine.connect() as conn:
                    self.known = bool(
                        conn.execute(text("SELECT EXISTS (SELECT 1 FROM subsystems WHERE active)")).scalar()
                    )
            except Exception:  # the database away: public_api asks, and learns from the journal's answer
                self.known = True
        return self.known

    def seen(self) -> None:
        """A subsystem called: some subsystem is active (until the next look says otherwise)."""
        self.known = True
