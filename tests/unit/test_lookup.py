from datetime import datetime, timedelta, timezone

from services.ferzl_bridge import lookup
from services.ferzl_bridge.errors import FerzlAuthError, FerzlRejected, FerzlUnavailable


def item(i, **extra):
    return {"request_id": i, "external_id": f"00000000-0000-0000-0000-{i:012d}", "params": {"enp": str(i)}, **extra}


def fake_ferzl(outcomes):
    def get_person_data(params, external_id):
        result = outcomes[params["enp"]]
        if isinstance(result, Exception):
            raise result
        return result
    return get_person_data


def test_each_kind_of_result_becomes_its_outcome():
    answer = {"enp": "1", "policy": None, "attachments": []}
    ferzl = fake_ferzl({"1": answer, "2": FerzlRejected("409", "Персона не найдена"),
                        "3": FerzlUnavailable("503", "down"), "4": FerzlAuthError("401", "token"),
                        "5": RuntimeError("bug")})
    outcomes, retry = lookup.run_chunk(ferzl, [item(i) for i in range(1, 6)])
    by_id = {o["request_id"]: o for o in outcomes}
    assert by_id[1]["status"] == "answered" and by_id[1]["answer"] == answer
    assert (by_id[2]["status"], by_id[2]["error_code"], by_id[2]["error_message"]) == ("error", "409",
                                                                                       "Персона не найдена")
    assert by_id[5]["status"] == "error" and by_id[5]["error_message"] == lookup.INTERNAL_ERROR
    assert [r["request_id"] for r in retry] == [3, 4]
    assert all(r["attempt"] == 1 and r["first_try_at"] for r in retry)


def test_retries_keep_first_try_and_give_up_after_the_horizon():
    now = datetime(2026, 1, 2, 12, 0, tzinfo=timezone.utc)
    old = (now - timedelta(hours=25)).isoformat()
    recent = (now - timedelta(hours=1)).isoformat()
    ferzl = fake_ferzl({"1": FerzlUnavailable("500", "x"), "2": FerzlUnavailable("500", "x"),
                        "3": FerzlAuthError("401", "x")})
    items = [item(1, first_try_at=old, attempt=7), item(2, first_try_at=recent, attempt=2),
             item(3, first_try_at=old, attempt=9)]
    outcomes, retry = lookup.run_chunk(ferzl, items, now=now)
    assert [(o["request_id"], o["error_message"]) for o in outcomes] == [(1, lookup.GAVE_UP)]
    # a token problem never fails the work: it waits for the token to be fixed
    assert [(r["request_id"], r["attempt"], r["first_try_at"]) for r in retry] == [(2, 3, recent), (3, 10, old)]
