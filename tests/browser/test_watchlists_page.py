"""Watch lists on the page (#22, items 4–5): save a finished group as a list, pause, a new file, delete."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from tests import group_support as G
from tests.browser.conftest import shot
from tests.support import wait_for

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


def test_the_recheck_popup_says_how_many_people_changed(page, stack, engine):
    people = stack.samples(2)
    r = G.upload(
        stack, "перепроверка всплывает", G.file_bytes([G.by_enp(f"RQ{n}", p) for n, p in enumerate(people, 1)])
    )
    group = G.finished(stack, r.json()["id"])
    page.goto("/")  # the group's own «Завершена обработка» is taken now, not mixed with the re-check's
    expect(page.locator("#group-popup")).to_contain_text("перепроверка всплывает")
    with engine.begin() as conn:  # the first person's earlier answer had another policy status
        conn.execute(
            text(
                "UPDATE requests SET answer = jsonb_set(answer, '{policy,status}', '\"ZZZ\"') "
                "WHERE group_id = :g AND line_no = 2"
            ),
            {"g": group["id"]},
        )
    wl = stack.api("POST", "/api/v1/watchlists", json={"group_id": group["id"], "period": "weekly"}).json()
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE watchlists SET next_run_at = now() - interval '1 minute' WHERE id = :id"), {"id": wl["id"]}
        )
    ran = wait_for(lambda: stack.api("GET", f"/api/v1/watchlists/{wl['id']}").json()["last_group_id"], 30)
    G.finished(stack, ran)
    page.goto("/individual")
    popup = page.locator("#group-popup")
    expect(popup).to_contain_text("перепроверка: изменилось у 1 из 2", timeout=20_000)
    expect(popup.locator(f"a[href='/group/{ran}']")).to_be_visible()
    shot(page, "recheck-popup")
    stack.api("DELETE", f"/api/v1/watchlists/{wl['id']}")
