"""The e-mail of a finished watch-list re-check (#22, item 5): through certmail's mail path (the stack's SMTP_RELAY,
a test sink), to the list owner's address, once; a list without e-mail sends nothing; a letter the relay refuses
for good (5xx) is not tried again."""

import time
import uuid

import pytest
from sqlalchemy import text

from services.journal import directory as D
from tests import group_support as G
from tests.integration.test_certmail_kit import sink  # noqa: F401 (a fixture)
from tests.support import wait_for

pytestmark = pytest.mark.integration


def recheck(stack, engine, email):
    people = stack.samples(2)
    r = G.upload(
        stack, "почта " + uuid.uuid4().hex[:6], G.file_bytes([G.by_enp(f"RQ{n}", p) for n, p in enumerate(people, 1)])
    )
    group = G.finished(stack, r.json()["id"])
    wl = stack.api(
        "POST", "/api/v1/watchlists", json={"group_id": group["id"], "period": "weekly", "email": email}
    ).json()
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE watchlists SET next_run_at = now() - interval '1 minute' WHERE id = :id"), {"id": wl["id"]}
        )
    ran = wait_for(lambda: stack.api("GET", f"/api/v1/watchlists/{wl['id']}").json()["last_group_id"], 30)
    G.finished(stack, ran)
    return wl, ran


def test_the_owner_gets_one_letter_with_the_counts(stack, engine, sink):  # noqa: F811
    address = f"watch-{uuid.uuid4().hex[:8]}@example.test"
    with engine.begin() as conn:
        D.add_email(conn, 1, address)
    wl, ran = recheck(stack, engine, True)
    letters = sink.wait(lambda rcpt, msg: address in rcpt and f"/group/{ran}" in msg.get_content(), 30)
    assert len(letters) == 1, "one letter"
    msg = letters[0]
    assert msg["Subject"] == f"ОЗСП: перепроверка «{wl['name']}» — изменилось у 0 из 2"
    assert "людей в списке 2, изменилось с прошлой проверки у 0" in msg.get_content()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT mailed_at IS NOT NULL FROM groups WHERE id = :g"), {"g": ran}).scalar_one()
    quiet, quiet_run = recheck(stack, engine, False)
    assert sink.wait(lambda rcpt, msg: f"/group/{quiet_run}" in msg.get_content(), 8) == []
    with engine.begin() as conn:
        D.remove_email(conn, 1, address)


def test_a_letter_the_relay_refuses_for_good_is_not_sent_again(stack, engine, sink):  # noqa: F811
    address = f"gone-{uuid.uuid4().hex[:8]}@example.test"
    sink.refuse.add(address)
    with engine.begin() as conn:
        D.add_email(conn, 1, address)
    try:
        _wl, ran = recheck(stack, engine, True)
        wait_for(lambda: address in sink.refused, 30, message="the relay asked")
        time.sleep(11)  # two more ticks of the journal's 5 s timer
        assert sink.refused.count(address) == 1, "asked once, not every tick"
        with engine.connect() as conn:
            assert conn.execute(text("SELECT mailed_at IS NOT NULL FROM groups WHERE id = :g"), {"g": ran}).scalar_one()
    finally:
        with engine.begin() as conn:
            D.remove_email(conn, 1, address)
        sink.refuse.discard(address)
