"""The page's wait (GET /individual/wait): told when the answer is stored, with the region's fresh HTML in the
same answer (part=card, part=summary), and a clear 400 for what a page never sends."""

import time

import pytest

from tests.support import wait_for

pytestmark = pytest.mark.integration

ANSWERED = "Получен Ответ"


def _post(stack, name):
    person = stack.samples(1)[0]
    r = stack.api("POST", "/api/v1/requests", json={"name": name, "enp": person["enp"]})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_the_wait_carries_the_answered_card(stack):
    stack.set_knobs(latency_ms=1500, latency_jitter_ms=0)
    try:
        rid = _post(stack, "Ожидание карточки")
        started = time.monotonic()
        said = stack.api("GET", "/individual/wait", params={"ids": rid, "part": "card"})
        waited = time.monotonic() - started
    finally:
        stack.set_knobs(latency_ms=0, latency_jitter_ms=0)
    assert said.status_code == 200, said.text
    body = said.json()
    assert body["finished"] == [rid]
    assert waited > 0.5  # it waited for ФЕРЗЛ, not answered at once
    assert ANSWERED in body["html"] and 'data-pending="false"' in body["html"] and f"/individual/{rid}" in body["html"]
    assert said.headers["Cache-Control"] == "no-store"


def test_an_answer_stored_already_is_told_at_once_with_the_summary(stack):
    rid = _post(stack, "Сводка сразу")
    wait_for(lambda: stack.api("GET", f"/api/v1/requests/{rid}").json()["status"] != "sent", 30)
    said = stack.api("GET", "/individual/wait", params={"ids": rid, "part": "summary"})
    assert said.status_code == 200 and said.json()["finished"] == [rid]
    html = said.json()["html"]
    assert html.startswith('<section id="summary"') and "Сводка сразу" in html


def test_without_a_part_only_the_ids(stack):
    rid = _post(stack, "Только номера")
    found = stack.api("GET", "/individual/wait", params={"ids": rid}).json()
    assert found == {"finished": [rid]}


@pytest.mark.parametrize(
    "params",
    [
        {"ids": "1", "part": "page"},
        {"ids": "1,2", "part": "card"},
        {"ids": "1;DROP", "part": "card"},
        {"ids": ",".join(str(i) for i in range(1, 52)), "part": "summary"},
        {"ids": ""},
    ],
)
def test_what_a_page_never_sends_is_refused(stack, params):
    said = stack.api("GET", "/individual/wait", params=params)
    assert said.status_code == 400
    assert said.json()["message"] == "Укажите номера запросов через запятую (не более 50)."


def test_someone_elses_or_no_request_is_not_found(stack):
    said = stack.api("GET", "/individual/wait", params={"ids": "999999999", "part": "card"})
    assert said.status_code == 404 and "html" not in said.json()


def test_a_wait_without_a_live_session_is_401_before_anything_else(stack):
    """The wait checks the session in the call that reads its cards (journal.get_requests_in_session)."""
    for cookies, params in (
        ({}, {"ids": "1", "part": "card"}),
        ({"ozsp_session": "forged"}, {"ids": "1", "part": "card"}),
        ({"ozsp_session": "forged"}, {"ids": "1;DROP"}),
    ):
        said = stack.anonymous("GET", "/individual/wait", params=params, cookies=cookies)
        assert said.status_code == 401 and "html" not in said.json(), (cookies, params)
