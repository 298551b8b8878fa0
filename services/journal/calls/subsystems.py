"""RPC bodies of the public API's journal calls (#20): admitting a subsystem's call, a lookup once per key."""

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine

from services.journal import subsystems
from services.journal.calls import requests


def subsystem_call(
    engine: Engine,
    name: str,
    action: str,
    calls_per_minute: int | str,
    details: Mapping[str, Any] | None = None,
    seen: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """seen(): told when the call is admitted (subsystems.Presence: its answers are announced from now on)."""
    with engine.begin() as conn:
        admitted = subsystems.call(conn, name, action, int(calls_per_minute), details)
    if admitted.get("ok") and seen is not None:
        seen()
    return admitted


def create_request_once(
    engine: Engine,
    admitted: Mapping[str, Any],
    params: dict[str, Any],
    key: str,
    reuse_minutes: float,
    send: requests.Send | None = None,
) -> dict[str, Any]:
    """admitted: what subsystem_call returned for this call. A new request still «Отправлен» is claimed at its
    creation and goes out at once through send(conn, work), as the web form's (calls.requests.create_request)."""
    with engine.connect() as conn:
        with conn.begin():
            created = subsystems.create_request_once(
                conn,
                int(admitted["subsystem_id"]),
                admitted["identity"],
                params,
                str(key),
                reuse_minutes,
                claim=send is not None,
            )
        return requests.sent_claimed(conn, created, send)


def subsystem_events(engine: Engine, kind: str, ids: list[int]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return subsystems.events(conn, kind, ids)
