"""Reuse of a fresh answer (#22, item 1): the journal's logic on a quiet database, then the whole stack (RPC with
reuse_minutes, the API card, «Обновить из ФЕРЗЛ» on the API and the page). The run's stack itself has
ANSWER_REUSE_MINUTES=0 (the manual's behaviour), so every reuse here is asked for explicitly."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Exchange, Queue
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.journal import directory as D
from services.journal import groups as G
from services.journal import reuse
from services.journal import store as S
from shared.domain import Answer, Outcome, Policy
from shared.messages import GROUPS_FINISHED, REQUESTS_FINISHED
from shared.params import FIELDS
from tests import support
from tests.support import wait_for

pytestmark = pytest.mark.integration

ME = S.Identity({"user_id": 1, "organization_id": 1})


def params(enp, **more):
    return {f: None for f in FIELDS} | {"name": "повтор", "enp": enp, "as_of": "2026-11-26"} | more


def fake_enp():
    return "50" + str(uuid.uuid4().int)[:14]


def answer(enp):
    policy = Policy("П", None, None, enp, "1", "2020-01-01", None, "46000", "СМО ТЕСТ", "1025000000000", "50001")
    return Answer(None, policy, ())


def answered(conn, request_id, enp, at=None):
    at = at or datetime.now(UTC)
    S.store_outcomes(conn, [Outcome.answered(request_id, answer(enp), at.isoformat())])


@pytest.fixture(scope="module")
def other_org(quiet_engine):
    with quiet_engine.begin() as conn:
        org = D.add_organization(conn, 'ООО "ДРУГАЯ" ' + uuid.uuid4().hex[:4], "mo")
        user = D.add_user(conn, org, "ДРУГОВ", "ТЕСТ")
    return S.Identity({"user_id": user, "organization_id": org})


def test_a_fresh_answer_is_reused_once_asked_and_only_for_the_same_organisation(quiet_engine, other_org):
    enp = fake_enp()
    with quiet_engine.begin() as conn:
        first = S.create_request(conn, ME, params(enp, surname="Тестов"), reuse_minutes=60)
        assert first["status"] == "sent" and first["reused_from"] is None  # nothing to reuse yet
        answered(conn, first["id"], enp)
        again = S.create_request(conn, ME, params(enp, surname="ТЕСТОВ "), reuse_minutes=60)  # case, space folded
        off = S.create_request(conn, ME, params(enp, surname="Тестов"), reuse_minutes=0)
        stranger = S.create_request(conn, other_org, params(enp, surname="Тестов"), reuse_minutes=60)
        other_day = S.create_request(conn, ME, params(enp, surname="Тестов", as_of="2026-11-25"), reuse_minutes=60)
        source = S.get_card(conn, ME, first["id"])
        card = S.get_card(conn, ME, again["id"])
        claimed = conn.execute(
            text("SELECT dispatched_at IS NOT NULL FROM requests WHERE id = :id"), {"id": again["id"]}
        ).scalar_one()
        history = {
            rid: conn.execute(text("SELECT event FROM request_history WHERE request_id = :id ORDER BY id"), {"id": rid})
            .scalars()
            .all()
            for rid in (again["id"], off["id"])
        }
    assert history == {again["id"]: ["created", "answered"], off["id"]: ["created"]}
    assert (again["status"], again["reused_from"]) == ("answered", first["id"])
    assert card["status"] == "answered" and card["answer"] == source["answer"]
    assert card["reused_from"] == first["id"] and card["ferzl_answered_at"] == source["answered_at"]
    assert source["reused_from"] is None and source["ferzl_answered_at"] == source["answered_at"]
    assert claimed  # never handed to the bridge
    for other in (off, stranger, other_day):
        assert other["status"] == "sent" and other["reused_from"] is None


def test_errors_stale_and_reused_answers_are_never_reused(quiet_engine):
    enp, missing, stale = fake_enp(), fake_enp(), fake_enp()
    old = datetime.now(UTC) - timedelta(minutes=90)
    with quiet_engine.begin() as conn:
        failed = S.create_request(conn, ME, params(missing))
        S.store_outcomes(conn, [Outcome.failed(failed["id"], "409", "Персона не найдена", old.isoformat())])
        assert S.create_request(conn, ME, params(missing), reuse_minutes=600)["status"] == "sent"
        aged = S.create_request(conn, ME, params(stale))
        answered(conn, aged["id"], stale, at=old)
        assert S.create_request(conn, ME, params(stale), reuse_minutes=60)["status"] == "sent"
        assert S.create_request(conn, ME, params(stale), reuse_minutes=120)["reused_from"] == aged["id"]
        # a reused answer is no source: once its ФЕРЗЛ answer is out of the window, nothing is reused
        assert S.create_request(conn, ME, params(stale), reuse_minutes=60)["status"] == "sent"
        fresh = S.create_request(conn, ME, params(enp))
        answered(conn, fresh["id"], enp)
        newer = S.create_request(conn, ME, params(enp))
        answered(conn, newer["id"], enp)
        assert S.create_request(conn, ME, params(enp), reuse_minutes=60)["reused_from"] == newer["id"]


def test_a_group_reuses_fresh_answers_and_counts_them(quiet_engine):
    known, unknown = fake_enp(), fake_enp()
    columns = ["line", *FIELDS]

    def row(line, enp):
        return [line, f"RQ{line}", None, enp] + [None] * 12 + ["2026-11-26"]

    with quiet_engine.begin() as conn:
        first = S.create_request(conn, ME, params(known))
        answered(conn, first["id"], known)
        made = G.create_group(conn, ME, "повторы", "g.csv", columns, [row(2, known), row(3, unknown)], None, None, 60)
        group = G.get_group(conn, ME, made["id"])
        lines = dict(
            conn.execute(text("SELECT line_no, status FROM requests WHERE group_id = :g"), {"g": made["id"]}).all()
        )
        whole = G.create_group(conn, ME, "все из кэша", "h.csv", columns, [row(2, known)], None, None, 60)
        done = G.get_group(conn, ME, whole["id"])
        off = G.create_group(conn, ME, "без кэша", "i.csv", columns, [row(2, known)], None, None, 0)
        plain = G.get_group(conn, ME, off["id"])
        G.take_finished_notices(conn, ME)  # leave no notice for other tests of this database
    assert made["reused"] == 1 and lines == {2: "answered", 3: "sent"}
    assert (group["reused"], group["answered"], group["received"], group["status"]) == (1, 1, 1, "sent")
    assert (done["reused"], done["status"]) == (1, "answered") and done["finished_at"]
    assert (plain["reused"], plain["answered"]) == (0, 0)


def test_person_key_folds_case_yo_and_spaces_but_not_the_identifier():
    a = reuse.person_key(params("5000000000000001", surname="Семёнов", as_of="2026-11-26"))
    assert a == reuse.person_key(params("5000000000000001", surname=" СЕМЕНОВ", name="другое имя"))
    assert a != reuse.person_key(params("5000000000000002", surname="Семёнов"))


# ---- the whole stack ----


def wait_final(stack, request_id, timeout=30):
    def final():
        card = stack.api("GET", f"/api/v1/requests/{request_id}").json()
        return card if card["status"] != "sent" else None

    return wait_for(final, timeout, message=f"request {request_id} to be answered")


@pytest.fixture(scope="module")
def reused_pair(stack):
    """(a request answered by ФЕРЗЛ, a request answered from it at once through the journal's RPC)."""
    person = stack.samples(1)[0]
    r = stack.api("POST", "/api/v1/requests", json={"name": "первый", "enp": person["enp"]})
    assert r.status_code == 201, r.text
    first = wait_final(stack, r.json()["id"])
    assert first["status"] == "answered" and first["reused_from"] is None
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        again = rpc.journal.create_request({"user_id": 1, "organization_id": 1}, first["params"], 60)
        off = rpc.journal.create_request({"user_id": 1, "organization_id": 1}, first["params"])  # the stack's 0
    assert again["status"] == "answered" and again["reused_from"] == first["id"]
    assert off["status"] == "sent" and off["reused_from"] is None
    return first, again


def test_the_api_card_names_the_reused_answer_and_refresh_asks_ferzl(stack, engine, reused_pair):
    first, again = reused_pair
    card = stack.api("GET", f"/api/v1/requests/{again['id']}").json()
    assert card["reused_from"] == first["id"] and card["ferzl_answered_at"] == first["answered_at"]
    assert card["answer"] == first["answer"]
    r = stack.api("POST", f"/api/v1/requests/{again['id']}/refresh")
    assert r.status_code == 201, r.text
    fresh = wait_final(stack, r.json()["id"])
    assert fresh["params"] == first["params"] and fresh["reused_from"] is None
    assert fresh["ferzl_answered_at"] == fresh["answered_at"] != first["answered_at"]
    with engine.connect() as conn:
        sent = dict(
            conn.execute(
                text("SELECT id, dispatch_count FROM requests WHERE id = ANY(:ids)"),
                {"ids": [again["id"], fresh["id"]]},
            ).all()
        )
    assert sent[again["id"]] == 0 and sent[fresh["id"]] >= 1  # only the refresh went to ФЕРЗЛ
    assert stack.api("POST", "/api/v1/requests/999999999/refresh").status_code == 404
    assert stack.anonymous("POST", f"/api/v1/requests/{again['id']}/refresh").status_code in (401, 403)


def test_the_card_page_says_where_the_answer_came_from(stack, reused_pair):
    first, again = reused_pair
    page = stack.api("GET", f"/individual/{again['id']}")
    assert page.status_code == 200
    assert "Ответ ФЕРЗЛ от" in page.text and f'href="/individual/{first["id"]}"' in page.text
    assert "Обновить из ФЕРЗЛ" in page.text


def test_another_organisation_cannot_refresh(stack, engine, reused_pair):
    _, again = reused_pair
    user, _, _ = support.registered_user(engine, "reuse-b", "УЦ ПОВТОРОВ", "ПОВТОРОВ", 'ООО "ПОВТОР Б"')
    b = stack.login(user.sign_challenge)
    r = b.post(f"{stack.base_url}/api/v1/requests/{again['id']}/refresh", timeout=30)
    assert r.status_code == 404
    assert b.get(f"{stack.base_url}/api/v1/requests/{again['id']}", timeout=30).status_code == 404


def test_an_answer_reused_at_creation_is_announced_as_a_stored_one_is(stack, reused_pair):
    """The journal's requests_finished / groups_finished (what public_api turns into subsystems' events and what
    wakes the pages) also for a request, or a group whose every row, answered from a fresh answer when created."""
    first, _ = reused_pair
    me = {"user_id": 1, "organization_id": 1}
    heard = []
    with Connection(stack.env["AMQP_URI"]) as conn:
        exchange = Exchange("journal.events", type="topic", durable=True)
        queue = Queue(exclusive=True, auto_delete=True, exchange=exchange, routing_key=REQUESTS_FINISHED)
        queue = queue(conn.default_channel)
        queue.declare()
        queue.bind_to(exchange, routing_key=GROUPS_FINISHED)
        with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
            request = rpc.journal.create_request(me, first["params"], 60)
            row = [2, *[first["params"].get(f) for f in FIELDS]]
            group = rpc.journal.create_group(
                me, "из кэша", "cache.csv", ["line", *FIELDS], [row, [3, *row[1:]]], None, None, 60
            )
        assert request["status"] == "answered" and group["reused"] == group["total"] == 2

        def drain():
            while (message := queue.get(no_ack=True)) is not None:
                heard.append((message.delivery_info["routing_key"], message.payload["ids"]))
            return (REQUESTS_FINISHED, [request["id"]]) in heard and (GROUPS_FINISHED, [group["id"]]) in heard

        wait_for(drain, 15, message="both announced")
