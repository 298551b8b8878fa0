"""What the journal keeps for the web pages: single-use CAPTCHAs, the user's own requests, the submission count,
the capped journal count. On a real PostgreSQL database, without a broker."""

import pytest
from sqlalchemy import text

from services.journal import captcha, store
from shared.params import FIELDS

pytestmark = pytest.mark.integration

ME = store.Identity(user_id=1, organization_id=1)


def params(**values):
    return {f: values.get(f) for f in FIELDS} | {"name": values.get("name", "веб")}


def test_captcha_is_consumed_by_the_first_check(quiet_engine):
    with quiet_engine.begin() as conn:
        first = captcha.issue(conn, "hash-1", 300)
        second = captcha.issue(conn, "hash-2", 300)
    with quiet_engine.begin() as conn:
        assert not captcha.check(conn, first, "wrong")  # a wrong answer burns it too
        assert not captcha.check(conn, first, "hash-1")
        assert captcha.check(conn, second, "hash-2")
        assert not captcha.check(conn, second, "hash-2")
        assert not captcha.check(conn, "not-a-uuid", "hash-2") and not captcha.check(conn, None, "x")


def test_expired_captcha_fails_and_is_cleaned_up(quiet_engine):
    with quiet_engine.begin() as conn:
        old = captcha.issue(conn, "hash", 300)
        conn.execute(
            text("UPDATE captchas SET expires_at = now() - interval '1 second' WHERE id = CAST(:i AS uuid)"), {"i": old}
        )
    with quiet_engine.begin() as conn:
        assert not captcha.check(conn, old, "hash")
        expired = captcha.issue(conn, "other", 300)
        conn.execute(
            text("UPDATE captchas SET expires_at = now() - interval '1 second' WHERE id = CAST(:i AS uuid)"),
            {"i": expired},
        )
        captcha.issue(conn, "third", 300)  # issuing drops what has expired
        assert (
            conn.execute(text("SELECT count(*) FROM captchas WHERE id = CAST(:i AS uuid)"), {"i": expired}).scalar_one()
            == 0
        )


def test_mine_and_recent_count_only_the_acting_users_requests(quiet_engine):
    with quiet_engine.begin() as conn:
        colleague = conn.execute(
            text("INSERT INTO users (organization_id, surname, first_name) VALUES (1, 'КОЛЛЕГОВ', 'ТЕСТ') RETURNING id")
        ).scalar_one()
        them = store.Identity(user_id=colleague, organization_id=1)
        before = store.count_recent(conn, ME, 60)
        mine = store.create_request(conn, ME, params(enp="5072360829000830"))["id"]
        theirs = store.create_request(conn, them, params(enp="5072360829000830"))["id"]
        assert store.count_recent(conn, ME, 60) == before + 1
        assert store.count_recent(conn, them, 60) == 1
        own = {i["id"] for i in store.list_requests(conn, ME, {"mine": True}, 1, 500)["items"]}
        everyone = {i["id"] for i in store.list_requests(conn, ME, {}, 1, 500)["items"]}
        assert mine in own and theirs not in own and {mine, theirs} <= everyone


def test_journal_count_is_capped(quiet_engine, monkeypatch):
    with quiet_engine.begin() as conn:
        for _ in range(3):
            store.create_request(conn, ME, params(surname="КАППЕД"))
        monkeypatch.setattr(store, "COUNT_CAP", 2)
        capped = store.list_requests(conn, ME, {"fio": "каппед"}, 1, 10)
        assert capped["total"] == 2 and capped["total_exact"] is False and len(capped["items"]) == 3
        monkeypatch.setattr(store, "COUNT_CAP", 10)
        exact = store.list_requests(conn, ME, {"fio": "каппед"}, 1, 10)
        assert exact["total"] == 3 and exact["total_exact"] is True
