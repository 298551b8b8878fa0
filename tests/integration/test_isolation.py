"""A user of organisation B tries every read path on organisation A's requests and gets nothing."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shared.params import FIELDS
from tests import support
from tests.support import wait_for

pytestmark = pytest.mark.integration

SURNAME = "ИЗОЛЯЦИЕВА"


@pytest.fixture(scope="module")
def org_b(stack, engine):
    user, user_id, org = support.registered_user(engine, "isolation", "УЦ ОРГАНИЗАЦИИ Б", "ЧУЖАКОВ", 'ООО "СМО Б"')
    return {"session": stack.login(user.sign_challenge), "identity": {"user_id": user_id, "organization_id": org}}


@pytest.fixture(scope="module")
def a_request(stack):
    """A request of organisation A (the demo organisation), answered."""
    person = stack.samples(1)[0]
    r = stack.api("POST", "/api/v1/requests", json={"name": "секрет А", "enp": person["enp"], "surname": SURNAME})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    wait_for(lambda: stack.api("GET", f"/api/v1/requests/{rid}").json()["status"] != "sent", 30)
    return rid


def test_api_read_paths(stack, org_b, a_request):
    b = org_b["session"]
    get = lambda path, **params: b.get(stack.base_url + path, params=params, timeout=30)  # noqa: E731
    assert stack.api("GET", f"/api/v1/requests/{a_request}").status_code == 200  # A sees it
    r = get(f"/api/v1/requests/{a_request}")
    assert r.status_code == 404 and r.json()["message"] == "Запрос не найден."
    for params in ({}, {"fio": SURNAME[:5]}, {"status": "answered"}, {"status": "error"}, {"per_page": "500"}):
        listed = get("/api/v1/requests", **params).json()
        assert a_request not in [i["id"] for i in listed["items"]], params


def test_page_read_paths(stack, org_b, a_request):
    b = org_b["session"]
    card = b.get(f"{stack.base_url}/individual/{a_request}", timeout=30)
    assert card.status_code == 404 and SURNAME not in card.text
    edit = b.get(f"{stack.base_url}/individual", params={"edit": a_request}, timeout=30)
    assert SURNAME not in edit.text
    journal = b.get(f"{stack.base_url}/journal", params={"fio": SURNAME[:5]}, timeout=30)
    assert journal.status_code == 200 and SURNAME not in journal.text and "секрет А" not in journal.text
    summary = b.get(f"{stack.base_url}/individual/summary", timeout=30)
    assert "секрет А" not in summary.text
    for part in ("card", "summary", ""):  # the page's wait, whose answer carries a region's HTML
        said = b.get(f"{stack.base_url}/individual/wait", params={"ids": a_request, "part": part}, timeout=30)
        assert said.status_code == 404 and SURNAME not in said.text and "секрет А" not in said.text, part


def test_rpc_with_an_explicit_acting_organisation(stack, org_b, a_request):
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        assert rpc.journal.get_request(org_b["identity"], a_request) is None
        listed = rpc.journal.list_requests(org_b["identity"], {"fio": SURNAME}, 1, 500)
        assert a_request not in [i["id"] for i in listed["items"]]
        mine = rpc.journal.get_request({"user_id": 1, "organization_id": 1}, a_request)
        assert mine["id"] == a_request
        assert rpc.journal.get_requests(org_b["identity"], [a_request]) == []
        assert [c["id"] for c in rpc.journal.get_requests({"user_id": 1, "organization_id": 1}, [a_request])] == [
            a_request
        ]


def test_group_paths(stack, org_b):
    """Organisation A's group: B gets 404 on the group, its requests and both exports."""
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        fields = ["line", *FIELDS]
        row = [2, "RQ1", None, stack.samples(1)[0]["enp"]] + [None] * 11 + [None, "2026-11-26"]
        group = rpc.journal.create_group({"user_id": 1, "organization_id": 1}, "группа А", "a.csv", fields, [row])
        assert rpc.journal.get_group(org_b["identity"], group["id"]) is None
        assert rpc.journal.export_page(org_b["identity"], group["id"], 0, 100) == []
    b = org_b["session"]
    for path in (
        f"/api/v1/groups/{group['id']}",
        f"/api/v1/groups/{group['id']}/requests",
        f"/api/v1/groups/{group['id']}/export.csv",
        f"/api/v1/groups/{group['id']}/export.xlsx",
    ):
        assert b.get(stack.base_url + path, timeout=30).status_code == 404, path
    listed = b.get(stack.base_url + "/api/v1/groups", timeout=30)
    if listed.status_code == 200:  # the group API is wired
        assert group["id"] not in [g["id"] for g in listed.json()["items"]]


def test_a_wait_naming_another_organisations_request_hears_only_its_own(stack, org_b, a_request):
    b = org_b["session"]
    person = stack.samples(1)[0]
    r = b.post(stack.base_url + "/api/v1/requests", json={"name": "свой Б", "enp": person["enp"]}, timeout=30)
    assert r.status_code == 201, r.text
    own = r.json()["id"]
    said = b.get(stack.base_url + "/individual/wait", params={"ids": f"{a_request},{own}"}, timeout=30)
    assert said.status_code == 200 and said.json()["finished"] == [own]
