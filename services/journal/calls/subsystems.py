"""RPC bodies of the public API's journal calls (#20): admitting a subsystem's call, a lookup once per key."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from services.journal import subsystems


def subsystem_call(
    engine: Engine, name: str, action: str, calls_per_minute: int | str, details: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    with engine.begin() as conn:
        return subsystems.call(conn, name, action, int(calls_per_minute), details)


def create_request_once(
    engine: Engine, admitted: Mapping[str, Any], params: dict[str, Any], key: str, reuse_minutes: float
) -> dict[str, Any]:
    """admitted: what subsystem_call returned for this call."""
    with engine.begin() as conn:
        return subsystems.create_request_once(
            conn, int(admitted["subsystem_id"]), admitted["identity"], params, str(key), reuse_minutes
        )
