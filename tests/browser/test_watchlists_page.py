"""Watch lists on the page (#22, items 4–5): save a finished group as a list, pause, a new file, delete."""

import re

import pytest
from playwright.sync_api import expect

from tests import group_support as G
from tests.browser.conftest import shot

pytestmark = pytest.mark.integration


def test_a_group_becomes_a_watch_list_that_is_paused_replaced_and_deleted(page, stack, tmp_path):
    people = stack.samples(2)
    r = G.upload(stack, "наблюдение в браузере", G.file_bytes([G.by_enp(f"RQ{n}", p) for n, p in enumerate(people, 1)]))
    group = G.finished(stack, r.json()["id"])
    page.goto(f"/group/{group['id']}")
    page.select_option("#save-watchlist select[name=period]", "monthly")
    page.click("#save-watchlist-button")
    expect(page).to_have_url(re.compile(r"/watchlists\?done=created$"))
    expect(page.locator("#watchlist-notice")).to_have_text("Список наблюдения сохранён.")
    list_id = page.locator("#watchlists-table tbody tr").first.get_attribute("data-id")
    row = page.locator(f"#watchlists-table tr[data-id='{list_id}']")
    expect(row).to_contain_text("наблюдение в браузере")
    expect(row.locator(".total")).to_have_text("2")
    expect(row.locator("select[name=period]")).to_have_value("monthly")
    shot(page, "watchlists")
    row.locator("button[value=pause]").click()
    expect(page.locator("#watchlist-notice")).to_have_text("Перепроверка списка приостановлена.")
    expect(row).to_have_attribute("data-paused", "true")
    expect(row.locator(".next")).to_have_text("приостановлена")
    new_file = tmp_path / "три.csv"
    new_file.write_bytes(G.file_bytes([G.by_enp(f"RQ{n}", p) for n, p in enumerate(stack.samples(3), 1)]))
    row.locator("input[type=file]").set_input_files(str(new_file))
    row.locator(".watchlist-file button").click()
    expect(page.locator("#watchlist-notice")).to_have_text("Список заменён содержимым нового файла.")
    expect(row.locator(".total")).to_have_text("3")
    broken = tmp_path / "плохой.csv"
    broken.write_bytes(b"\x00\x01\x02")
    row.locator("input[type=file]").set_input_files(str(broken))
    row.locator(".watchlist-file button").click()
    expect(page.locator("#watchlist-error")).to_be_visible()
    expect(row.locator(".total")).to_have_text("3")  # a file with errors changes nothing
    row.locator("button[value=delete]").click()
    expect(page.locator("#watchlist-notice")).to_have_text("Список наблюдения удалён.")
    expect(row).to_have_count(0)
