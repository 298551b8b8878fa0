"""Reuse of a fresh answer on the card (#22, item 1): «Ответ ФЕРЗЛ от …» names the reused request, and
«Обновить из ФЕРЗЛ» makes a new request that asks ФЕРЗЛ."""

import re

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.support import wait_for

pytestmark = pytest.mark.integration


def test_a_reused_answer_is_labelled_and_refresh_asks_ferzl(page, stack):
    person = stack.samples(1)[0]
    first_id = stack.api("POST", "/api/v1/requests", json={"name": "кэш", "enp": person["enp"]}).json()["id"]
    first = wait_for(
        lambda: (c := stack.api("GET", f"/api/v1/requests/{first_id}").json())["status"] != "sent" and c, 30
    )
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        again = rpc.journal.create_request({"user_id": 1, "organization_id": 1}, first["params"], 60)
    page.goto(f"/individual/{again['id']}")
    source = page.locator("#ferzl-answered")
    expect(source).to_contain_text(re.compile(r"Ответ ФЕРЗЛ от \d{2}\.\d{2}\.\d{4} \d{2}:\d{2}"))
    expect(source.locator("a")).to_have_attribute("href", f"/individual/{first_id}")
    shot(page, "card-reused")
    page.click("#refresh")
    expect(page).not_to_have_url(re.compile(rf"/individual/{again['id']}$"))
    expect(page).to_have_url(re.compile(r"/individual/\d+$"))
    new_id = int(page.url.rsplit("/", 1)[1])
    assert new_id > again["id"]
    expect(page.locator(".card")).to_contain_text("Получен Ответ", timeout=30_000)
    expect(page.locator("#ferzl-answered")).to_contain_text("Ответ ФЕРЗЛ от")
    expect(page.locator("#ferzl-answered a")).to_have_count(0)  # a ФЕРЗЛ answer of its own
