"""Journal logic on a real PostgreSQL database, without a broker."""

import threading
from datetime import date

import pytest
from sqlalchemy import text

from services.journal import store
from shared import clock
from shared.domain import Outcome
from shared.params import FIELDS

pytestmark = pytest.mark.integration

ME = store.Identity(user_id=1, organization_id=1)


def params(**values):
    return {f: values.get(f) for f in FIELDS} | {"name": values.get("name", "тест")}


@pytest.fixture
def other_org(quiet_engine):
    with quiet_engine.begin() as conn:
        org = conn.execute(
            text("INSERT INTO organizations (name, kind) VALUES ('ООО \"ДРУГАЯ\"', 'smo') RETURNING id")
        ).scalar_one()
        user = conn.execute(
            text("INSERT INTO users (organization_id, surname, first_name) VALUES (:o, 'ДРУГОЙ', 'ТЕСТ') RETURNING id"),
            {"o": org},
        ).scalar_one()
    return store.Identity(user_id=user, organization_id=org)


def create(quiet_engine, identity=ME, **values):
    with quiet_engine.begin() as conn:
        return store.create_request(conn, identity, params(**values))["id"]


def answer(request_id, status="answered", **extra):
    return Outcome.from_dict(
        {
            "request_id": request_id,
            "status": status,
            "answered_at": "2026-11-26T10:00:00+00:00",
            "answer": extra.get("answer"),
            "error_code": extra.get("code"),
            "error_message": extra.get("message"),
        }
    )


def test_created_request_is_pending_and_claimed_once_until_the_lease_ends(quiet_engine):
    rid = create(quiet_engine, enp="5072360829000830")
    with quiet_engine.begin() as conn:
        claimed = [i for i in store.claim_pending(conn, 1000, 300) if i["request_id"] == rid]
        assert claimed and claimed[0]["params"]["enp"] == "5072360829000830"
    with quiet_engine.begin() as conn:
        assert rid not in [i["request_id"] for i in store.claim_pending(conn, 1000, 300)]
    with quiet_engine.begin() as conn:  # an expired lease hands it out again
        assert rid in [i["request_id"] for i in store.claim_pending(conn, 1000, 0)]


def test_a_failed_publish_rolls_the_claim_back(quiet_engine):
    rid = create(quiet_engine, enp="5072360829000830")
    with pytest.raises(RuntimeError):
        with quiet_engine.begin() as conn:
            assert rid in [i["request_id"] for i in store.claim_pending(conn, 1000, 300)]
            raise RuntimeError("broker away")
    with quiet_engine.begin() as conn:
        assert rid in [i["request_id"] for i in store.claim_pending(conn, 1000, 300)]


def test_answers_are_stored_once_with_mo_names(quiet_engine):
    rid = create(quiet_engine, enp="5072360829000830")
    with quiet_engine.connect() as conn:
        code, name = conn.execute(text("SELECT code, name FROM mo_dictionary LIMIT 1")).one()
    body = {
        "enp": "5072360829000830",
        "policy": {"status": "ДПП"},
        "attachments": [{"status": "ДПП", "mo_code": code}, {"status": "НСМ", "mo_code": "000000"}],
    }
    with quiet_engine.begin() as conn:
        assert store.store_outcomes(conn, [answer(rid, answer=body)]) == {
            "stored": 1,
            "duplicates": 0,
            "singles": [rid],
            "groups": [],
        }
    with quiet_engine.begin() as conn:
        again = answer(rid, "error", code="500", message="повтор")
        assert store.store_outcomes(conn, [again]) == {"stored": 0, "duplicates": 1, "singles": [], "groups": []}
    with quiet_engine.connect() as conn:
        card = store.get_card(conn, ME, rid)
        events = (
            conn.execute(text("SELECT event FROM request_history WHERE request_id = :r ORDER BY id"), {"r": rid})
            .scalars()
            .all()
        )
    assert card["status"] == "answered" and card["status_label"] == "Получен Ответ" and card["error"] is None
    assert [a["mo_name"] for a in card["answer"]["attachments"]] == [name, None]
    assert events == ["created", "answered"]


def test_the_same_answers_stored_by_two_transactions_at_once_count_once(quiet_engine):
    ids = [create(quiet_engine, enp="5072360829000830") for _ in range(3)]
    first, second = quiet_engine.connect(), quiet_engine.connect()
    try:
        first.begin()
        assert store.store_outcomes(first, [answer(i) for i in ids]) == {
            "stored": 3,
            "duplicates": 0,
            "singles": ids,
            "groups": [],
        }
        result = {}

        def store_again():
            second.begin()
            result.update(store.store_outcomes(second, [answer(i, "error", code="500") for i in ids]))

        waiting = threading.Thread(target=store_again)
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive()  # the rows are locked by the first transaction's UPDATE
        first.commit()
        waiting.join(10)
        second.commit()
    finally:
        first.close()
        second.close()
    assert result == {
        "stored": 0,
        "duplicates": 3,
        "singles": [],
        "groups": [],
    }  # re-checked after the first commit: no longer «Отправлен»
    with quiet_engine.connect() as conn:
        events = conn.execute(
            text(
                "SELECT event, count(*) FROM request_history WHERE request_id = ANY(:ids) GROUP BY event ORDER BY event"
            ),
            {"ids": ids},
        ).all()
    assert [tuple(e) for e in events] == [("answered", 3), ("created", 3)]


def test_error_outcome_keeps_ferzl_message(quiet_engine):
    rid = create(quiet_engine, enp="5072360829000830")
    with quiet_engine.begin() as conn:
        store.store_outcomes(conn, [answer(rid, "error", code="409", message="Персона не найдена")])
    with quiet_engine.connect() as conn:
        card = store.get_card(conn, ME, rid)
    assert card["status_label"] == "Ошибка" and card["error"] == {"code": "409", "message": "Персона не найдена"}


def test_other_organisations_see_nothing(quiet_engine, other_org):
    rid = create(quiet_engine, surname="НЕВИДИМОВ", snils="15836169489")
    with quiet_engine.connect() as conn:
        assert store.get_card(conn, other_org, rid) is None
        assert rid not in [i["id"] for i in store.list_requests(conn, other_org, {"all_groups": True})["items"]]
        assert rid in [i["id"] for i in store.list_requests(conn, ME, {})["items"]]


def test_journal_filters(quiet_engine):
    a = create(quiet_engine, name="фильтр-1", surname="ЁЛКИНА", first_name="ТЕСТА", snils="15836169489")
    b = create(quiet_engine, name="фильтр-2", surname="ПРИМЕРОВ", snils="15836169489")
    with quiet_engine.begin() as conn:
        store.store_outcomes(conn, [answer(b)])
    with quiet_engine.connect() as conn:

        def ids(**filters):
            return {i["id"] for i in store.list_requests(conn, ME, filters, 1, 500)["items"]} & {a, b}

        assert ids(fio="елк") == {a}  # ё and е are the same, any case
        assert ids(fio="Тест") == {a}
        assert ids(fio="%") == set()  # LIKE wildcards are literal
        assert ids(status="answered") == {b}
        assert ids(status="sent") == {a}
        today = clock.today()
        assert ids(date_from=today, date_to=today) == {a, b}
        assert ids(date_to=date(2000, 1, 1)) == set()
        page = store.list_requests(conn, ME, {}, 1, 1)
        assert page["total"] >= 2 and len(page["items"]) == 1 and page["items"][0]["params_text"]
