"""Turn a chunk of work items into outcomes: plain logic, the ФЕРЗЛ client and the mapper are passed in."""
import logging
from datetime import datetime, timedelta, timezone

from services.ferzl_bridge.errors import FerzlAuthError, FerzlRejected, FerzlUnavailable

log = logging.getLogger(__name__)

INTERNAL_ERROR = "Внутренняя ошибка обработки ответа ФЕРЗЛ. Обратитесь в службу поддержки."
GAVE_UP = "ФЕРЗЛ не ответил на запрос в течение установленного времени. Направьте запрос повторно."


def now_iso():
    return datetime.now(timezone.utc).isoformat()


def answered(item, answer):
    return {"request_id": item["request_id"], "status": "answered", "answer": answer, "answered_at": now_iso()}


def failed(item, code, message):
    return {"request_id": item["request_id"], "status": "error", "error_code": str(code),
            "error_message": message, "answered_at": now_iso()}


def look_up(get_person_data, item):
    """One item -> ("done", outcome) or ("retry", reason)."""
    try:
        return "done", answered(item, get_person_data(item["params"], item["external_id"]))
    except FerzlRejected as exc:
        return "done", failed(item, exc.code, exc.message)
    except FerzlAuthError as exc:
        log.error("ALARM: ФЕРЗЛ refused the token (%s); work stays queued", exc.code)
        return "retry", "auth"
    except FerzlUnavailable as exc:
        log.warning("ФЕРЗЛ unavailable (%s); request %s will be retried", exc.code, item["request_id"])
        return "retry", "unavailable"
    except Exception:
        log.exception("unexpected failure for request %s", item["request_id"])
        return "done", failed(item, "internal", INTERNAL_ERROR)


def run_chunk(get_person_data, items, mapper=map, horizon=timedelta(hours=24), now=None):
    """Look up every item; return (outcomes, items to retry later). Retries past the horizon become errors."""
    now = now or datetime.now(timezone.utc)
    outcomes, retry = [], []
    for item, (kind, value) in zip(items, mapper(lambda i: look_up(get_person_data, i), items)):
        if kind == "done":
            outcomes.append(value)
            continue
        first = item.get("first_try_at") or now.isoformat()
        if value != "auth" and now - datetime.fromisoformat(first) > horizon:
            outcomes.append(failed(item, "timeout", GAVE_UP))
        else:
            retry.append({**item, "attempt": item.get("attempt", 0) + 1, "first_try_at": first})
    return outcomes, retry
