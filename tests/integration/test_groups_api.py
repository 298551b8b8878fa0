"""The group JSON API end to end (manual §5): upload 202/422/413, Idempotency-Key, list, card, requests with the
journal's filters, the answer file (CSV in both encodings, XLSX), another organisation's 404."""

import io
import threading

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from openpyxl import load_workbook

from tests import group_support as G
from tests import support

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def people(stack):
    return stack.samples(5), stack.samples(2, kind="unknown")


@pytest.fixture(scope="module")
def group(stack, people):
    """Six rows by ЕНП: five known persons and one unknown (ends in «Ошибка»); finished."""
    known, unknown = people
    rows = [
        G.by_enp("API-1", known[0]),
        G.by_enp("API-2", known[1]),
        G.by_enp("API-3", unknown[0]),
        G.by_enp("API-4", known[2]),
        G.by_enp("API-5", known[3]),
        G.by_enp("API-6", known[4]),
    ]
    r = G.upload(stack, "API групповой", G.file_bytes(rows))
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/api/v1/groups/{r.json()['id']}"
    assert r.json()["total"] == 6 and r.json()["status_label"] == "Отправлен"
    return G.finished(stack, r.json()["id"])


def groups_total(stack):
    return stack.api("GET", "/api/v1/groups").json()["total"]


def test_counters_and_status_of_a_finished_group(stack, group):
    assert (group["total"], group["received"], group["answered"], group["failed"]) == (6, 6, 5, 1)
    assert (group["status"], group["status_label"], group["name"]) == ("answered", "Получен ответ", "API групповой")
    listed = stack.api("GET", "/api/v1/groups", params={"per_page": 500}).json()
    assert group["id"] in [g["id"] for g in listed["items"]] and listed["in_progress"] >= 0
    assert stack.api("GET", "/api/v1/groups", params={"date_from": "01.01.2026"}).status_code == 400


def test_requests_of_a_group_with_the_journal_filters(stack, group):
    gid = group["id"]
    page = stack.api("GET", f"/api/v1/groups/{gid}/requests", params={"per_page": 50}).json()
    assert page["total"] == 6 and {i["group_id"] for i in page["items"]} == {gid}
    errors = stack.api("GET", f"/api/v1/groups/{gid}/requests", params={"status": "error"}).json()
    assert [(i["line_no"], i["name"]) for i in errors["items"]] == [(4, "API-3")]
    answered = stack.api("GET", f"/api/v1/groups/{gid}/requests", params={"status": "answered"}).json()
    assert answered["total"] == 5
    assert stack.api("GET", f"/api/v1/groups/{gid}/requests", params={"fio": "А Б"}).status_code == 400
    assert stack.api("GET", "/api/v1/groups/999999/requests").status_code == 404
    assert stack.api("GET", "/api/v1/groups/999999").status_code == 404


def test_answer_file_matches_the_cards(stack, group):
    r = stack.api("GET", f"/api/v1/groups/{group['id']}/export.csv")
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        "filename*=UTF-8''API%20%D0%B3%D1%80%D1%83%D0%BF%D0%BF%D0%BE%D0%B2%D0%BE%D0%B9.csv"
        in r.headers["Content-Disposition"]
    )
    assert r.content.startswith(b"\xef\xbb\xbf")
    lines, rows = G.read_csv(r.content)
    assert rows[0] == G.EXPORT_HEADER and len(lines) == 7
    assert [row[0] for row in rows[1:]] == ["2", "3", "4", "5", "6", "7"]  # file order, the file's line numbers
    page = stack.api("GET", f"/api/v1/groups/{group['id']}/requests", params={"per_page": 50}).json()
    cards = {c["line_no"]: c for c in (stack.api("GET", f"/api/v1/requests/{i['id']}").json() for i in page["items"])}
    for cells in rows[1:]:
        assert cells == G.expected_cells(cards[int(cells[0])])
    assert rows[3][3].startswith("Ошибка: ") and len(rows[3][3]) > len("Ошибка: ")

    ansi = stack.api("GET", f"/api/v1/groups/{group['id']}/export.csv", params={"encoding": "cp1251"})
    assert ansi.headers["Content-Type"] == "text/csv; charset=windows-1251"
    assert G.read_csv(ansi.content, "cp1251")[1] == rows
    assert stack.api("GET", f"/api/v1/groups/{group['id']}/export.csv", params={"encoding": "koi8"}).status_code == 400

    xlsx = stack.api("GET", f"/api/v1/groups/{group['id']}/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["Content-Disposition"].endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    assert [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)] == rows


def test_refused_file_is_422_with_every_error_and_queues_nothing(stack, people):
    known = people[0]
    before = groups_total(stack)
    rows = [
        G.by_enp("OK", known[0]),
        G.row("BAD-1", enp="5036162381095330"),
        G.by_enp("OK2", known[1]),
        G.row("BAD-2", snils="112-233-445 00"),
    ]
    r = G.upload(stack, "с ошибками", G.file_bytes(rows))
    assert r.status_code == 422 and r.json()["error"] == "flk"
    assert [(e["line"], e["field"]) for e in r.json()["errors"]] == [(3, "ЕНП"), (5, "СНИЛС")]
    assert groups_total(stack) == before
    missing = stack.api("POST", "/api/v1/groups", data={"name": ""}, files={"x": ("a", b"")})
    assert missing.status_code == 422 and [e["field"] for e in missing.json()["errors"]] == ["name", "file"]
    assert stack.api("POST", "/api/v1/groups", json={"name": "x"}).status_code == 400


def test_file_over_20_mb_is_413(stack):
    before = groups_total(stack)
    r = G.upload(stack, "большой", b"x" * (20 * 1024 * 1024 + 1))
    assert r.status_code == 413 and r.json()["error"] == "too_big"
    assert "20 МБ" in r.json()["message"] and groups_total(stack) == before
    page = stack.http.post(
        stack.base_url + "/group",
        data={"name": "большой"},  # the page: refused before CSRF
        files={"file": ("a.csv", b"x" * (21 * 1024 * 1024))},
        timeout=60,
    )
    assert page.status_code == 413 and "Размер файла превышает 20 МБ" in page.text


def test_idempotency_key_never_creates_a_second_group(stack, people):
    content = G.file_bytes([G.by_enp("IDEM", people[0][0])])
    first = G.upload(stack, "повтор", content, key="idem-1")
    again = G.upload(stack, "повтор", content, key="idem-1")
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"] and again.json()["repeated"] and not first.json()["repeated"]

    before, results = groups_total(stack), []
    threads = [
        threading.Thread(target=lambda: results.append(G.upload(stack, "гонка", content, key="idem-race")))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in results] == [202] * 4 and len({r.json()["id"] for r in results}) == 1
    assert groups_total(stack) == before + 1


@pytest.fixture(scope="module")
def org_b(stack, engine):
    user, user_id, org = support.registered_user(
        engine, "groups-api", "УЦ ОРГАНИЗАЦИИ В", "ГРУППОВ", 'ГБУЗ "Поликлиника В"'
    )
    return {"session": stack.login(user.sign_challenge), "identity": {"user_id": user_id, "organization_id": org}}


def test_another_organisation_gets_404(stack, group, org_b):
    gid = group["id"]
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        other = org_b["identity"]
        assert rpc.journal.get_group(other, gid) is None
        assert rpc.journal.export_page(other, gid, 0, 100) == []
        assert gid not in [g["id"] for g in rpc.journal.list_groups(other, None, None, 1, 500)["items"]]
        assert rpc.journal.list_requests(other, {"group_id": gid}, 1, 50)["total"] == 0
        assert gid not in [n["id"] for n in rpc.journal.take_finished_notices(other)]
    b = org_b["session"]
    for path in (
        f"/api/v1/groups/{gid}",
        f"/api/v1/groups/{gid}/requests",
        f"/api/v1/groups/{gid}/export.csv",
        f"/api/v1/groups/{gid}/export.xlsx",
        f"/group/{gid}",
        f"/group/{gid}/export.csv",
    ):
        r = b.get(stack.base_url + path, timeout=30)
        assert r.status_code == 404 and "API групповой" not in r.text, path
    journal = b.get(stack.base_url + "/group/journal", timeout=30)
    assert journal.status_code == 200 and "API групповой" not in journal.text
    # B's own upload is B's: A does not see it
    mine = G.upload(stack, "группа В", G.file_bytes([G.row("В-1", oip="123456789012")]), session=b)
    assert mine.status_code == 202 and stack.api("GET", f"/api/v1/groups/{mine.json()['id']}").status_code == 404
