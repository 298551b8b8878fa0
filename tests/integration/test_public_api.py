"""The public RPC API (#20 §1) as another subsystem of the fund uses it: examples/rpc_client.py with the
subsystem's own RabbitMQ user, against the run's stack. A subsystem sees its own organisation's data only."""

import json
import sys
import time
import uuid

import pytest
from sqlalchemy import text

from services import broker_setup
from services.flk.group import COLUMNS
from services.journal import directory, subsystems
from tests.conftest import BROKER_SECRET
from tests.support import ROOT, wait_for

sys.path.insert(0, ROOT)
from examples.rpc_client import OzspClient  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clients(stack, settings, engine):
    """Subsystem A of an organisation of its own, B of the demo organisation; one example client each."""
    suffix = uuid.uuid4().hex[:6]
    a, b = f"tfoms_a{suffix}", f"tfoms_b{suffix}"
    with engine.begin() as conn:
        org = directory.add_organization(conn, f"ТФОМС тест {suffix}", "tfoms")
        subsystems.add_subsystem(conn, a, org, actor="test")
        subsystems.add_subsystem(conn, b, 1, actor="test")
    uri = stack.env["AMQP_URI"]
    broker_setup.apply(uri, settings.rabbit_management_url, BROKER_SECRET, [a, b])
    with (
        OzspClient(broker_setup.party_uri(uri, BROKER_SECRET, f"sub.{a}")) as ca,
        OzspClient(broker_setup.party_uri(uri, BROKER_SECRET, f"sub.{b}")) as cb,
    ):
        yield {"a": ca, "b": cb, "names": (a, b), "org": org}


def test_a_subsystem_looks_a_person_up_and_gets_the_card(stack, clients):
    person = stack.samples(1)[0]
    answer = clients["a"].lookup({"name": "подсистема", "enp": person["enp"]}, wait_seconds=30)
    assert answer["ok"] and answer["status"] == "answered", answer
    assert answer["card"]["answer"]["enp"] == person["enp"] and answer["card"]["status_label"] == "Получен Ответ"


def test_flk_errors_come_as_the_web_form_gets_them(clients):
    answer = clients["a"].lookup({"name": "плохой", "enp": "123"})
    assert answer["ok"] is False and answer["error"] == "flk" and [e["field"] for e in answer["errors"]] == ["enp"]


def test_the_same_idempotency_key_is_one_request(stack, clients):
    person = stack.samples(1)[0]
    key = uuid.uuid4().hex
    first = clients["a"].lookup({"name": "один", "enp": person["enp"]}, wait_seconds=0, idempotency_key=key)
    again = clients["a"].lookup({"name": "один", "enp": person["enp"]}, wait_seconds=0, idempotency_key=key)
    assert first["ok"] and first["id"] == again["id"]


def test_a_subsystem_sees_its_own_organisation_only(stack, clients):
    person = stack.samples(1)[0]
    mine = clients["a"].lookup({"name": "чужим не видно", "enp": person["enp"]}, wait_seconds=0)["id"]
    assert clients["a"].call("get_request", request_id=mine)["ok"]
    assert clients["b"].call("get_request", request_id=mine)["error"] == "not_found"
    listed = clients["b"].call("list_requests", filters={}, page=1, per_page=200)
    assert listed["ok"] and mine not in [item["id"] for item in listed["items"]]
    assert stack.api("GET", f"/api/v1/requests/{mine}").status_code == 404, "nor the demo organisation's web user"
    own = clients["a"].call("list_requests")
    assert mine in [item["id"] for item in own["items"]]


def test_a_subsystem_runs_a_group(stack, clients):
    people = stack.samples(3)
    rows = [{COLUMNS[0]: f"R-{n}", "ЕНП": p["enp"]} for n, p in enumerate(people, 1)]
    created = clients["a"].submit_group("группа подсистемы", rows, idempotency_key=uuid.uuid4().hex)
    assert created["ok"] and created["total"] == 3, created
    group_id = created["id"]

    def finished():
        group = clients["a"].call("get_group", group_id=group_id)["group"]
        return group if group["status"] != "sent" else None

    assert wait_for(finished, 60, 0.5, "the group to finish")["status"] == "answered"
    page = clients["a"].call("group_requests", group_id=group_id, after_line=0, limit=2)
    assert [r["line_no"] for r in page["rows"]] == [2, 3] and page["next_after_line"] == 3  # file lines: 1 the header
    lines = clients["a"].call("export_group", group_id=group_id, after_line=3, limit=10)["rows"]
    assert [r["line_no"] for r in lines] == [4] and people[2]["enp"] in lines[0]["csv"]
    assert clients["b"].call("get_group", group_id=group_id)["error"] == "not_found"
    assert clients["b"].call("export_group", group_id=group_id)["error"] == "not_found"


def events_until(client, kind, wanted_id, timeout=60):
    """The client's events up to the first `kind` about wanted_id (that one last)."""
    seen = []
    deadline = time.monotonic() + timeout
    while not seen or seen[-1] != (kind, wanted_id):
        event, payload = client.next_event(timeout=max(0.1, deadline - time.monotonic()))
        seen.append((event, payload["id"]))
        last = payload
    return seen, last


def test_a_subsystem_hears_of_its_organisations_answers_and_finished_groups(stack, clients):
    a, b = clients["a"], clients["b"]
    a.subscribe()
    b.subscribe()
    person = stack.samples(1)[0]
    mine = a.lookup({"name": "событие", "enp": person["enp"]}, wait_seconds=0)["id"]
    _, answered = events_until(a, "request_answered", mine)
    assert answered["status"] == "answered" and answered["status_label"] == "Получен Ответ"
    assert answered["answered_at"].endswith("+03:00") and person["enp"] not in json.dumps(answered)
    rows = [{COLUMNS[0]: f"E-{n}", "ЕНП": p["enp"]} for n, p in enumerate(stack.samples(2), 1)]
    group = a.submit_group("группа с событием", rows, idempotency_key=uuid.uuid4().hex)["id"]
    _, finished = events_until(a, "group_finished", group)
    assert finished["total"] == 2 and finished["answered"] + finished["failed"] == 2 and finished["finished_at"]
    web = stack.api("POST", "/api/v1/requests", json={"name": "веб", "enp": person["enp"]}).json()[
        "id"
    ]  # the demo organisation's
    heard_by_b, _ = events_until(b, "request_answered", web)
    assert not {("request_answered", mine), ("group_finished", group)} & set(heard_by_b)
    with pytest.raises(TimeoutError):
        while True:  # A hears nothing of the demo organisation's request
            assert a.next_event(timeout=2)[1]["id"] != web


def test_every_call_is_audited_under_the_subsystem(clients, engine):
    clients["a"].call("list_requests")
    a, _ = clients["names"]
    with engine.connect() as conn:
        actions = conn.execute(
            text("SELECT action FROM audit WHERE details->>'subsystem' = :s AND organization_id = :o"),
            {"s": a, "o": clients["org"]},
        ).scalars()
        assert "public_api.list_requests" in set(actions)


def test_the_rate_limit_is_per_subsystem_and_shared_in_postgresql(clients, engine):
    a, b = clients["names"]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM subsystem_calls"))
        assert [subsystems.call(conn, a, "x", 2)["ok"] for _ in range(3)] == [True, True, False]
        refused = subsystems.call(conn, a, "x", 2)
        assert refused["error"] == "rate_limited" and "не более 2 в минуту" in refused["message"]
        assert subsystems.call(conn, b, "x", 2)["ok"], "another subsystem has its own count"
        audited = conn.execute(
            text("SELECT details->>'refused' FROM audit WHERE action = 'public_api.x' AND details->>'subsystem' = :s"),
            {"s": a},
        ).scalars()
        assert sorted(audited, key=str) == [None, None, "rate"], "the first refusal of the minute, not each"
        conn.execute(text("DELETE FROM subsystem_calls"))


def test_an_unknown_or_disabled_subsystem_is_refused(clients, engine):
    _, b = clients["names"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE subsystems SET active = false WHERE name = :n"), {"n": b})
    try:
        assert clients["b"].call("list_requests")["error"] == "unknown_subsystem"
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE subsystems SET active = true WHERE name = :n"), {"n": b})


def test_messages_whose_reply_would_go_elsewhere_are_dropped_and_the_service_lives_on(stack, clients):
    client = clients["a"]
    for reply_to in (None, "journal.create_request_once", "ozsp.sub.someone_else.x"):
        props = {"reply_to": reply_to} if reply_to else {}
        client.producer.publish(
            {"args": [], "kwargs": {"fields": {"enp": "1"}}},
            routing_key="public_api.lookup",
            user_id=client.user,
            correlation_id=uuid.uuid4().hex,
            serializer="json",
            **props,
        )
    assert client.call("list_requests")["ok"], "public_api still answers"
    assert "thread exited with error" not in open(stack.log_path, encoding="utf-8").read()
