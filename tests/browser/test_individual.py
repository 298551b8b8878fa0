"""Individual request (manual §4): the form, ФЛК beside the fields, the live summary, the card, «Редактировать»."""

import re

import pytest
from playwright.sync_api import expect

from shared.dictionaries.policy_types import policy_type_name
from shared.dictionaries.statuses import ATTACHMENT_STATUSES, POLICY_STATUSES
from shared.params import format_date
from tests.browser.conftest import shot
from tests.browser.helpers import fill_form, send_request, solve_captcha, summary_row, wait_final_in_summary

pytestmark = pytest.mark.integration


def sheet_value(page, label):
    return page.locator("table.sheet tr", has=page.locator(f"th:text-is('{label}')")).first.locator("td")


def test_invalid_enp_shows_the_error_beside_the_field_and_keeps_the_input(page):
    page.goto("/individual")
    expect(page.locator("#f-as_of")).to_have_value(re.compile(r"^\d{2}-\d{2}-\d{4}$"))  # today by default
    fill_form(page, name="Мой запрос по ЕНП", enp="507636083600007", surname="Тестова", dpfs_type="П")
    solve_captcha(page)
    page.click("#submit")
    error = page.locator("#f-enp-err")
    expect(error).to_contain_text("Введите данные в указанном формате. 16 цифр")
    expect(page.locator("#f-enp")).to_have_value("507636083600007")
    expect(page.locator("#f-enp")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-name")).to_have_value("Мой запрос по ЕНП")
    expect(page.locator("#f-surname")).to_have_value("Тестова")
    expect(page.locator("#f-dpfs_type")).to_have_value("П")
    expect(page.locator("#f-captcha")).to_have_value("")  # a used CAPTCHA is never shown again
    expect(page.locator("#f-enp")).to_be_focused()
    shot(page, "form-flk-error")


def test_wrong_captcha_is_refused_and_refresh_gives_a_new_one(page, stack):
    person = stack.samples(1)[0]
    page.goto("/individual")
    fill_form(page, name="капча", enp=person["enp"])
    first_id = page.input_value("#captcha-id")
    page.click("#captcha-refresh")
    expect(page.locator("#captcha-id")).not_to_have_value(first_id)
    page.fill("#f-captcha", "11111")  # 1 is never in the alphabet
    page.click("#submit")
    expect(page.locator("#f-captcha-err")).to_contain_text("Символы с картинки введены неверно")
    expect(page.locator("#f-enp")).to_have_value(person["enp"])


def test_valid_request_reaches_received_and_the_card_shows_every_field(page, stack):
    person = stack.samples(1, kind="several_therapeutic")[0]
    request_id = send_request(page, name="Карточка <b>полная</b>", enp=person["enp"])
    expect(page.locator("#form-notice")).to_contain_text("Запрос направлен")
    row = summary_row(page, request_id)
    expect(row).to_contain_text("Карточка <b>полная</b>")  # user text is escaped, not markup
    expect(row.locator("td").first).to_have_text(re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}$"))
    assert wait_final_in_summary(page, request_id) == "Получен Ответ"
    shot(page, "form-summary-received")

    row.locator("a").click()
    expect(page.locator("h1")).to_have_text("Карточка запроса")
    card = stack.api("GET", f"/api/v1/requests/{request_id}").json()
    policy, attachments = card["answer"]["policy"], card["answer"]["attachments"]
    assert len(attachments) >= 2
    expected = {
        "Имя запроса": card["name"],
        "Статус запроса": "Получен Ответ",
        "ЕНП": card["answer"]["enp"],
        "Дата начала действия полиса": format_date(policy["date_begin"]),
        "Тип полиса": policy_type_name(policy["type"]),
        "Статус полиса": f"{policy['status']} — {POLICY_STATUSES[policy['status']][0]}",
        "ОКАТО территории ОМС": policy["okato"],
        "Наименование СМО": policy["smo_name"],
        "ОГРН СМО": policy["smo_ogrn"],
        "Реестровый код СМО": policy["smo_code"],
    }
    if policy["date_end"]:
        expected["Дата окончания действия полиса"] = format_date(policy["date_end"])
    for label, value in expected.items():
        expect(sheet_value(page, label)).to_have_text(value)
    expect(sheet_value(page, "Отправлен")).to_have_text(re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$"))
    expect(sheet_value(page, "Ответ получен")).to_have_text(re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$"))
    main = attachments[0]
    attach = page.locator("#attachments")
    expect(attach).to_contain_text(f"{main['status']} — {ATTACHMENT_STATUSES[main['status']][0]}")
    expect(attach).to_contain_text(main["mo_code"])
    expect(attach).to_contain_text(main["mo_name"])
    expect(attach).to_contain_text(format_date(main["date_begin"]))
    expect(attach.locator("abbr.code").first).to_have_attribute("title", ATTACHMENT_STATUSES[main["status"]][1])
    expect(page.locator("table.sheet abbr.code").first).to_have_attribute("title", POLICY_STATUSES[policy["status"]][1])
    shot(page, "card-received")

    others = page.locator("#other-attachments")
    toggle = page.locator("#toggle-attachments")
    expect(others).to_be_hidden()
    expect(toggle).to_have_text("Отобразить иные прикрепления")
    toggle.click()
    expect(others).to_be_visible()
    expect(toggle).to_have_text("Скрыть иные прикрепления")
    for other in attachments[1:]:
        expect(others).to_contain_text(other["mo_code"])
    shot(page, "card-other-attachments")
    toggle.focus()
    page.keyboard.press("Enter")  # the keyboard works as well as the mouse
    expect(others).to_be_hidden()
    expect(toggle).to_have_text("Отобразить иные прикрепления")


def test_error_card_shows_the_ferzl_message(page, stack):
    unknown = stack.samples(1, kind="unknown")[0]
    request_id = send_request(page, name="нет такого", enp=unknown["enp"])
    assert wait_final_in_summary(page, request_id) == "Ошибка"
    page.goto(f"/individual/{request_id}")
    card = stack.api("GET", f"/api/v1/requests/{request_id}").json()
    expect(sheet_value(page, "Статус запроса")).to_have_text("Ошибка")
    expect(page.locator("#ferzl-error")).to_contain_text(card["error"]["message"])
    shot(page, "card-error")


def test_edit_opens_the_form_prefilled_and_sends_a_corrected_request(page, stack):
    person = stack.samples(2)[1]
    first = send_request(page, name="с опечаткой", enp=person["enp"], surname="Примерова")
    wait_final_in_summary(page, first)
    page.goto(f"/individual/{first}")
    page.click("#edit")
    expect(page).to_have_url(re.compile(rf"/individual\?from={first}$"))
    expect(page.locator("#f-enp")).to_have_value(person["enp"])
    expect(page.locator("#f-name")).to_have_value("с опечаткой")
    expect(page.locator("#f-surname")).to_have_value("ПРИМЕРОВА")
    expect(page.locator("#f-as_of")).to_have_value(re.compile(r"^\d{2}-\d{2}-\d{4}$"))
    page.fill("#f-name", "исправленный")
    page.fill("#f-surname", "")
    shot(page, "form-edit")
    solve_captcha(page)
    page.click("#submit")
    page.wait_for_url(re.compile(r"/individual\?sent=\d+$"))
    second = int(page.url.rsplit("=", 1)[1])
    assert second != first
    assert wait_final_in_summary(page, second) == "Получен Ответ"
    resent = stack.api("GET", f"/api/v1/requests/{second}").json()
    assert resent["name"] == "исправленный" and resent["params"]["enp"] == person["enp"]
    assert not resent["params"]["surname"]


def test_the_summary_shows_the_answer_when_it_is_stored_not_on_a_timer(page, stack):
    """The page waits on GET /individual/wait and shows the summary its answer carries: with ФЕРЗЛ answering
    in 3 s, a 2.5 s timer would have fetched /individual/summary (pending, then final); here nothing does."""
    person = stack.samples(1)[0]
    refreshes, waits = [], []
    page.on("request", lambda r: refreshes.append(r.url) if "/individual/summary" in r.url else None)
    page.on("request", lambda r: waits.append(r.url) if "/individual/wait" in r.url else None)
    stack.set_knobs(latency_ms=3000, latency_jitter_ms=0)
    try:
        request_id = send_request(page, name="Без обновления", enp=person["enp"])
        assert wait_final_in_summary(page, request_id) == "Получен Ответ"
    finally:
        stack.set_knobs(latency_ms=0, latency_jitter_ms=0)
    asked = [w for w in waits if f"ids={request_id}" in w]
    assert len(asked) == 1 and "part=summary" in asked[0], waits
    assert refreshes == []
