"""Outcomes, retries and holds of work items: plain logic (services.ferzl_bridge.work calls ФЕРЗЛ).

An item ends in one of three ways:
  done  -- an outcome for the journal: answered, or «Ошибка» (400/409/not found, or given up);
  retry -- ФЕРЗЛ was unavailable (timeout, connection, 5xx, 429, errorItem 500): tried again later,
           attempt + 1, until the horizon;
  hold  -- not tried, or refused the token (401/403): waits without counting as a failure. A token
           problem never fails the work: it waits until the token is fixed.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from services.ferzl_bridge.retry import past_horizon

INTERNAL_ERROR = "Внутренняя ошибка обработки ответа ФЕРЗЛ. Обратитесь в службу поддержки."
GAVE_UP = "ФЕРЗЛ не ответил на запрос в течение установленного времени. Направьте запрос повторно."


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def answered(item: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    return {"request_id": item["request_id"], "status": "answered", "answer": answer, "answered_at": now_iso()}


def failed(item: dict[str, Any], code: object, message: str) -> dict[str, Any]:
    return {
        "request_id": item["request_id"],
        "status": "error",
        "error_code": str(code),
        "error_message": message,
        "answered_at": now_iso(),
    }


def settle(
    item: dict[str, Any], kind: str, value: Any, now: datetime, horizon: timedelta
) -> tuple[str, dict[str, Any]]:
    """("done", outcome) | ("retry", reason) | ("hold", reason) -> the item's disposition.

    Returns ("done", outcome), ("retry", next item) or ("hold", next item). The next item keeps
    first_try_at; a retry counts an attempt, a hold does not. Past the horizon a retry or a hold
    becomes «Ошибка» -- except a token problem (reason "auth"), which waits for the token."""
    if kind == "done":
        return "done", value
    first = item.get("first_try_at") or now.isoformat()
    if value == "auth":
        return "hold", {**item, "first_try_at": first}  # the token is not the request's fault: no horizon
    if past_horizon(first, now, horizon):
        return "done", failed(item, "timeout", GAVE_UP)
    if kind == "hold":
        return "hold", {**item, "first_try_at": first}
    return "retry", {**item, "attempt": item.get("attempt", 0) + 1, "first_try_at": first}
