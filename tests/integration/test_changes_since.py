"""What changed since the last check (#22, item 3): stored by the journal when an answer arrives, per organisation;
the API card and the card page name the earlier request; the group's requests filter «изменилось с прошлой
проверки» (page and API)."""

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from services.journal import directory as D
from services.journal import groups as GR
from services.journal import store as S
from shared.domain import Answer, Attachment, Outcome, Policy
from shared.params import FIELDS
from tests import group_support as G
from tests.integration.test_reuse import wait_final

pytestmark = pytest.mark.integration

ME = S.Identity({"user_id": 1, "organization_id": 1})


def enp():
    return "50" + str(uuid.uuid4().int)[:14]


def answer(oip, smo="50001", mo="500101"):
    policy = Policy("П", None, None, None, "1", "2020-01-01", None, "46000", "СМО", "1", smo)
    return Answer(oip, policy, (Attachment("1", mo, "2021-01-01", None, "1"),))


def ask(conn, identity, number, ans):
    made = S.create_request(conn, identity, {f: None for f in FIELDS} | {"name": "было", "enp": number})
    S.store_outcomes(conn, [Outcome.answered(made["id"], ans, datetime.now(UTC).isoformat())])
    return S.get_card(conn, identity, made["id"])


def test_changes_are_against_this_organisations_previous_answer(quiet_engine):
    oip = str(uuid.uuid4().int)[:12]
    with quiet_engine.begin() as conn:
        org = D.add_organization(conn, 'ООО "ИНАЯ" ' + uuid.uuid4().hex[:4], "mo")
        other = S.Identity({"user_id": D.add_user(conn, org, "ИНОВ", "ТЕСТ"), "organization_id": org})
        first = ask(conn, ME, enp(), answer(oip))
        moved = ask(conn, ME, enp(), answer(oip, smo="50002", mo="500202"))  # the same person by another key
        same = ask(conn, ME, enp(), answer(oip, smo="50002", mo="500202"))
        theirs = ask(conn, other, enp(), answer(oip, smo="50003"))
    assert first["changes_since"] is None  # never looked up before
    assert moved["changes_since"] == {"request_id": first["id"], "fields": ["smo", "attachment_mo"]}
    assert same["changes_since"] == {"request_id": moved["id"], "fields": []}
    assert theirs["changes_since"] is None  # another organisation's answers are not compared


def test_a_person_twice_in_one_chunk_and_the_groups_filter(quiet_engine):
    oip, number = str(uuid.uuid4().int)[:12], enp()
    columns = ["line", *FIELDS]
    row = lambda line: [line, f"RQ{line}", None, number] + [None] * 12 + ["2026-11-26"]  # noqa: E731
    with quiet_engine.begin() as conn:
        ask(conn, ME, number, answer(oip))
        made = GR.create_group(conn, ME, "повтор", "g.csv", columns, [row(2), row(3)])
        ids = (
            conn.execute(text("SELECT id FROM requests WHERE group_id = :g ORDER BY line_no"), {"g": made["id"]})
            .scalars()
            .all()
        )
        at = datetime.now(UTC).isoformat()
        S.store_outcomes(
            conn,
            [
                Outcome.answered(ids[0], answer(oip, smo="50009"), at),
                Outcome.answered(ids[1], answer(oip, smo="50009"), at),
            ],
        )
        changed = S.list_requests(conn, ME, {"group_id": made["id"], "changed": True})
        everything = S.list_requests(conn, ME, {"group_id": made["id"]})
        GR.take_finished_notices(conn, ME)  # leave no notice for other tests of this database
    assert [i["id"] for i in changed["items"]] == [ids[0]]
    assert changed["items"][0]["changes_since"]["fields"] == ["smo"]
    assert everything["items"][1]["changes_since"] == {"request_id": ids[0], "fields": []}


def test_the_card_and_the_group_page_through_the_stack(stack, engine):
    person = stack.samples(1)[0]
    first = wait_final(
        stack, stack.api("POST", "/api/v1/requests", json={"name": "до", "enp": person["enp"]}).json()["id"]
    )
    with engine.begin() as conn:  # the earlier answer named another insurer
        stored = Answer.from_dict(first["answer"])
        earlier = replace(stored, policy=replace(stored.policy, smo_code="00000"))
        conn.execute(
            text("UPDATE requests SET answer = CAST(:a AS jsonb) WHERE id = :id"),
            {"a": json.dumps(earlier.to_dict(named=True)), "id": first["id"]},
        )
    r = G.upload(
        stack, "перепроверка", G.file_bytes([G.by_enp("RQ1", person), G.row("RQ2", enp=stack.samples(2)[1]["enp"])])
    )
    assert r.status_code == 202, r.text
    group = G.finished(stack, r.json()["id"])
    listed = stack.api("GET", f"/api/v1/groups/{group['id']}/requests", params={"changed": "1"}).json()
    assert [i["line_no"] for i in listed["items"]] == [2]
    card = stack.api("GET", f"/api/v1/requests/{listed['items'][0]['id']}").json()
    assert card["changes_since"] == {"request_id": first["id"], "fields": ["smo"]}
    page = stack.api("GET", f"/individual/{card['id']}").text
    assert "изменилось: СМО" in page and f'href="/individual/{first["id"]}"' in page
    group_page = stack.api("GET", f"/group/{group['id']}", params={"changed": "1"}).text
    assert f'data-id="{card["id"]}"' in group_page and 'id="changed"' in group_page
    assert stack.api("GET", f"/api/v1/groups/{group['id']}/requests", params={"changed": "x"}).status_code == 400
