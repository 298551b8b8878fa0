"""Journal of individual requests (manual §6, Рисунок 17–18): search by ФИО substring, dates and status."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from services.gateway.messages import COMBINED_FIO
from shared import clock
from tests.browser.conftest import shot
from tests.support import wait_for

pytestmark = pytest.mark.integration


def create(stack, **fields):
    r = stack.api("POST", "/api/v1/requests", json=fields)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def final(stack, request_id):
    return wait_for(
        lambda: (
            stack.api("GET", f"/api/v1/requests/{request_id}").json()["status"] != "sent"
            and stack.api("GET", f"/api/v1/requests/{request_id}").json()
        ),
        30,
        message="a final status",
    )


def journal_ids(page):
    return {int(i) for i in page.locator("#journal-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")}


def test_journal_search_by_fio_dates_and_status(page, stack):
    people = stack.samples(3)
    found = create(stack, name="Журнал: Ёлкина", enp=people[0]["enp"], surname="ЁЛКИНА-ЖУРНАЛЬНАЯ")
    other = create(stack, name="Журнал: другой", enp=people[1]["enp"], surname="ДРУГОВ")
    failed = create(stack, name="Журнал: ошибка", enp=stack.samples(1, kind="unknown")[0]["enp"])
    answered = create(stack, name="Журнал: получен", enp=people[2]["enp"])  # one of its own for the status search
    final(stack, found), final(stack, other)
    assert final(stack, failed)["status"] == "error"
    assert final(stack, answered)["status"] == "answered"

    page.goto("/journal")
    expect(page.locator("#journal-table thead th")).to_have_text(["Создан", "Имя запроса", "Параметры", "Состояние"])
    assert {found, other, failed} <= journal_ids(page)
    shot(page, "journal")

    # one ФИО substring, any case, ё and е alike
    page.fill("#fio", "елкина-журн")
    page.click("#search")
    expect(page.locator(".search-head__title")).to_have_text("Результаты поиска")
    assert journal_ids(page) == {found}
    expect(page.locator("#fio")).to_have_value("елкина-журн")
    shot(page, "journal-search-fio")

    # a combination of name parts is refused with the manual's explanation
    page.fill("#fio", "ИВАНОВ АЛЕКСЕЙ")
    page.click("#search")
    expect(page.locator("#fio-err")).to_have_text(COMBINED_FIO)
    expect(page.locator("#journal-table")).to_have_count(0)
    shot(page, "journal-combined-fio")

    # status list
    page.fill("#fio", "")
    page.select_option("#status", "error")
    page.click("#search")
    ids = journal_ids(page)
    assert failed in ids
    expect(page.locator("#journal-table .status")).to_have_text(["Ошибка"] * len(ids))
    page.select_option("#status", "answered")
    page.click("#search")
    ids = journal_ids(page)
    assert answered in ids and failed not in ids
    expect(page.locator("#journal-table .status")).to_have_text(["Получен Ответ"] * len(ids))

    # the date range: quick choice «Сегодня», then «Установить»
    page.select_option("#status", "")
    page.click("#period")
    expect(page.locator("#period-panel")).to_be_visible()
    expect(page.locator(".period-panel .quick")).to_have_text(
        ["Сегодня", "Вчера", "Последние 7 дней", "Последние 30 дней", "Этот месяц", "Предыдущий месяц"]
    )
    expect(page.locator("#period-calendar .range-cal")).to_be_visible()
    page.click(".quick:text-is('Сегодня')")
    shot(page, "journal-period-panel", full_page=False)
    page.click("#period-set")
    today = clock.today().strftime("%d.%m.%Y")
    expect(page.locator("#period")).to_have_value(today)
    page.click("#search")
    assert {found, other, failed} <= journal_ids(page)

    # a past range finds none of them
    week_ago = clock.today() - timedelta(days=7)
    page.fill("#period", f"01.01.2020 – {week_ago:%d.%m.%Y}")
    page.click("#search")
    assert not {found, other, failed} & (journal_ids(page) if page.locator("#journal-table").count() else set())

    page.click("#back-to-journal")
    expect(page).to_have_url(re.compile(r"/journal$"))
    expect(page.locator("#period")).to_have_value("")
    assert {found, other} <= journal_ids(page)


def test_journal_pages_and_links_to_the_card(page, stack):
    person = stack.samples(1)[0]
    for n in range(26):  # more than one page of 25
        create(stack, name=f"Страница {n}", enp=person["enp"], surname="ПАГИНАЦИЕВА")
    page.goto("/journal?fio=пагинациева")
    expect(page.locator("#journal-table tbody tr")).to_have_count(25)
    expect(page.locator(".pager__info")).to_have_text("Записи 1–25 из 26")
    page.click("#next-page")
    expect(page.locator("#journal-table tbody tr")).to_have_count(1)
    expect(page.locator("#fio")).to_have_value("пагинациева")
    page.locator("#journal-table tbody a").first.click()
    expect(page.locator("h1")).to_have_text("Карточка запроса")
