"""What changed since the last check (#22, item 3) in the browser: the group's journal filter «изменилось с прошлой
проверки» and the card's row «С прошлой проверки» with the earlier request linked."""

import json
import re
from dataclasses import replace

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from shared.domain import Answer
from tests import group_support as G
from tests.browser.conftest import shot
from tests.integration.test_reuse import wait_final

pytestmark = pytest.mark.integration


def request_id(stack, person):
    return stack.api("POST", "/api/v1/requests", json={"name": "раньше", "enp": person["enp"]}).json()["id"]


def test_the_group_filter_and_the_card(page, stack, engine):
    changed, steady = stack.samples(2)
    firsts = [wait_final(stack, request_id(stack, person)) for person in (changed, steady)]
    stored = Answer.from_dict(firsts[0]["answer"])
    earlier = replace(stored, policy=replace(stored.policy, status="ZZZ"))
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE requests SET answer = CAST(:a AS jsonb) WHERE id = :id"),
            {"a": json.dumps(earlier.to_dict(named=True)), "id": firsts[0]["id"]},
        )
    r = G.upload(stack, "перепроверка браузер", G.file_bytes([G.by_enp("RQ1", changed), G.by_enp("RQ2", steady)]))
    group = G.finished(stack, r.json()["id"])
    page.goto(f"/group/{group['id']}")
    expect(page.locator("#journal-table tbody tr")).to_have_count(2)
    page.check("#changed")
    page.click("#search")
    expect(page).to_have_url(re.compile(r"changed=1"))
    rows = page.locator("#journal-table tbody tr")
    expect(rows).to_have_count(1)
    shot(page, "group-changed-filter")
    rows.first.locator("a").first.click()
    expect(page.locator("#changes-since")).to_contain_text("изменилось: статус полиса")
    expect(page.locator("#changes-since a")).to_have_attribute("href", f"/individual/{firsts[0]['id']}")
