"""Watch lists (#22, item 4): the journal's logic on a quiet database (schedule in the table, one run per due list
even with two journal copies, organisation isolation), then the API and the journal's timer on the stack."""

import uuid
from datetime import datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.journal import directory as D
from services.journal import groups as GR
from services.journal import store as S
from services.journal import watchlists as W
from shared import clock
from shared.domain import Answer, Outcome
from shared.params import FIELDS
from tests import group_support as G
from tests.support import wait_for

pytestmark = pytest.mark.integration

ME = S.Identity({"user_id": 1, "organization_id": 1})
COLUMNS = ["line", *FIELDS]


def finished_group(conn, identity, n=2):
    rows = [
        [line, f"RQ{line}", None, "50" + str(uuid.uuid4().int)[:14]] + [None] * 12 + [None] for line in range(2, 2 + n)
    ]
    made = GR.create_group(conn, identity, "наблюдение", "w.csv", COLUMNS, rows)
    ids = conn.execute(text("SELECT id FROM requests WHERE group_id = :g"), {"g": made["id"]}).scalars().all()
    at = clock.now().isoformat()
    S.store_outcomes(conn, [Outcome.answered(i, Answer(str(i).zfill(12)), at) for i in ids])
    GR.take_finished_notices(conn, identity)
    return made["id"]


def due_now(conn, list_id):
    conn.execute(
        text("UPDATE watchlists SET next_run_at = now() - interval '1 minute' WHERE id = :id"), {"id": list_id}
    )


def test_a_list_is_scheduled_at_night_runs_once_and_is_isolated(quiet_engine):
    with quiet_engine.begin() as conn:
        org = D.add_organization(conn, 'ООО "НАБЛЮДАТЕЛЬ" ' + uuid.uuid4().hex[:4], "mo")
        other = S.Identity({"user_id": D.add_user(conn, org, "НАБЛЮДОВ", "ТЕСТ"), "organization_id": org})
        unfinished = GR.create_group(conn, ME, "ещё идёт", "u.csv", COLUMNS, [[2, "RQ"] + [None] * 15])["id"]
        with pytest.raises(W.WatchlistError):
            W.create(conn, ME, unfinished, "weekly")
        with pytest.raises(W.WatchlistError):
            W.create(conn, ME, finished_group(conn, ME), "daily")
        made = W.create(conn, ME, finished_group(conn, ME), "weekly", email=True)
        assert W.get(conn, other, made["id"]) is None and W.list_all(conn, other) == []
        assert W.delete(conn, other, made["id"]) is False
        assert W.create(conn, ME, finished_group(conn, ME), "monthly")["period_label"] == "раз в месяц"
    runs_at = clock.to_moscow(datetime.fromisoformat(made["next_run_at"]))
    assert 1 <= runs_at.hour < 5 and runs_at.date() == clock.today() + timedelta(days=7)
    assert made["total"] == 2 and made["email"] is True and not made["paused"]
    # two journal copies at once: the row lock gives the due list to one of them
    with quiet_engine.begin() as conn:
        conn.execute(text("UPDATE watchlists SET paused = true WHERE id <> :id"), {"id": made["id"]})
        due_now(conn, made["id"])
    with quiet_engine.connect() as a, quiet_engine.connect() as b:
        ta, tb = a.begin(), b.begin()
        first, second = W.run_due(a), W.run_due(b)
        ta.commit()
        tb.commit()
    assert first["watchlist_id"] == made["id"] and second is None
    with quiet_engine.begin() as conn:
        group = GR.get_group(conn, ME, first["group_id"])
        again = W.get(conn, ME, made["id"])
        assert W.run_due(conn) is None  # rescheduled a week on
        paused = W.update(conn, ME, made["id"], {"paused": True})
        due_now(conn, made["id"])
        assert W.run_due(conn) is None  # a paused list never runs
        W.delete(conn, ME, made["id"])
        conn.execute(text("DELETE FROM watchlists"))
        GR.take_finished_notices(conn, ME)
    assert group["watchlist_id"] == made["id"] and group["total"] == 2 and "перепроверка" in group["name"]
    assert again["last_group_id"] == group["id"] and again["last_run_at"]
    assert datetime.fromisoformat(again["next_run_at"]) > clock.now() + timedelta(days=6)  # the next night a week on
    assert paused["paused"] is True


def test_the_api_and_the_timer_on_the_stack(stack, engine):
    persons = stack.samples(2)
    r = G.upload(stack, "под наблюдением", G.file_bytes([G.by_enp("RQ1", persons[0]), G.by_enp("RQ2", persons[1])]))
    group = G.finished(stack, r.json()["id"])
    bad = stack.api("POST", "/api/v1/watchlists", json={"group_id": group["id"], "period": "daily"})
    assert bad.status_code == 422 and "раз в неделю" in bad.json()["message"]
    created = stack.api(
        "POST", "/api/v1/watchlists", json={"group_id": group["id"], "period": "monthly", "email": True}
    )
    assert created.status_code == 201, created.text
    wl = created.json()
    assert (wl["total"], wl["period"], wl["email"]) == (2, "monthly", True)
    assert wl["id"] in [i["id"] for i in stack.api("GET", "/api/v1/watchlists").json()["items"]]
    changed = stack.api("PATCH", f"/api/v1/watchlists/{wl['id']}", json={"period": "weekly", "paused": True}).json()
    assert (changed["period"], changed["paused"]) == ("weekly", True)
    # a new file: three people now
    content = G.file_bytes([G.by_enp(f"RQ{n}", p) for n, p in enumerate(stack.samples(3), 1)])
    files = {"file": ("новый.csv", content, "text/csv")}
    replaced = stack.api("POST", f"/api/v1/watchlists/{wl['id']}/file", files=files)
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["total"], replaced.json()["filename"]) == (3, "новый.csv")
    broken = stack.api(
        "POST", f"/api/v1/watchlists/{wl['id']}/file", files={"file": ("x.csv", b"\x00\x01", "text/csv")}
    )
    assert broken.status_code == 422 and stack.api("GET", f"/api/v1/watchlists/{wl['id']}").json()["total"] == 3
    # due now: the journal's timer runs it
    assert stack.api("PATCH", f"/api/v1/watchlists/{wl['id']}", json={"paused": False}).status_code == 200
    with engine.begin() as conn:
        due_now(conn, wl["id"])
    ran = wait_for(lambda: stack.api("GET", f"/api/v1/watchlists/{wl['id']}").json()["last_group_id"], 30)
    recheck = G.finished(stack, ran)
    assert recheck["watchlist_id"] == wl["id"] and recheck["total"] == 3
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        notices = rpc.journal.take_finished_notices({"user_id": 1, "organization_id": 1})
    mine = [n for n in notices if n["id"] == ran]
    assert mine and mine[0]["recheck"] is True and mine[0]["total"] == 3 and mine[0]["changed"] == 0
    assert stack.api("DELETE", f"/api/v1/watchlists/{wl['id']}").status_code == 204
    assert stack.api("GET", f"/api/v1/watchlists/{wl['id']}").status_code == 404
    assert stack.api("GET", f"/api/v1/groups/{ran}").status_code == 200  # its runs stay in the group journal


def test_another_organisation_sees_and_changes_nothing(stack, engine):
    from tests import support

    r = G.upload(stack, "чужой список", G.file_bytes([G.by_enp("RQ1", stack.samples(1)[0])]))
    group = G.finished(stack, r.json()["id"])
    wl = stack.api("POST", "/api/v1/watchlists", json={"group_id": group["id"], "period": "weekly"}).json()
    user, _, _ = support.registered_user(engine, "watch-b", "УЦ НАБЛЮДЕНИЯ", "СОСЕДОВ", 'ООО "СОСЕД"')
    b = stack.login(user.sign_challenge)
    url = f"{stack.base_url}/api/v1/watchlists/{wl['id']}"
    assert b.get(url, timeout=30).status_code == 404
    assert b.patch(url, json={"paused": True}, timeout=30).status_code == 404
    files = {"file": ("x.csv", G.file_bytes([G.by_enp("RQ1", stack.samples(1)[0])]), "text/csv")}
    assert b.post(url + "/file", files=files, timeout=30).status_code == 404
    assert b.delete(url, timeout=30).status_code == 404
    assert b.get(f"{stack.base_url}/api/v1/watchlists", timeout=30).json()["items"] == []
    taken = b.post(
        f"{stack.base_url}/api/v1/watchlists", json={"group_id": group["id"], "period": "weekly"}, timeout=30
    )
    assert taken.status_code == 422 and taken.json()["message"] == "Групповой запрос не найден."
    mine = stack.api("GET", f"/api/v1/watchlists/{wl['id']}").json()
    assert (mine["paused"], mine["total"]) == (False, 1)
    assert stack.api("DELETE", f"/api/v1/watchlists/{wl['id']}").status_code == 204


def test_the_schedule_survives_a_journal_killed_while_the_list_falls_due(stack, engine):
    import time

    r = G.upload(stack, "после перезапуска", G.file_bytes([G.by_enp("RQ1", stack.samples(1)[0])]))
    group = G.finished(stack, r.json()["id"])
    wl = stack.api("POST", "/api/v1/watchlists", json={"group_id": group["id"], "period": "weekly"}).json()
    stack.sup.kill("journal")  # SIGKILL: no process keeps the schedule in memory
    try:
        with engine.begin() as conn:
            due_now(conn, wl["id"])
        time.sleep(1)
    finally:
        stack.sup.start("journal")
    ran = wait_for(lambda: stack.api("GET", f"/api/v1/watchlists/{wl['id']}").json()["last_group_id"], 60)
    assert G.finished(stack, ran)["watchlist_id"] == wl["id"]
    stack.api("DELETE", f"/api/v1/watchlists/{wl['id']}")
