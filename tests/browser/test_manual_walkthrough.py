"""Issue 19: a walk through the manual in Chromium, screen by screen, finds nothing that misleads.

Each test here failed before its fix. Every page of these tests is also checked for Content-Security-Policy
violations in the console (tests/browser/conftest.py), and a failed test leaves a screenshot."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from services.gateway.pages import captcha
from shared import clock
from tests import group_support as G
from tests.browser.conftest import shot
from tests.browser.helpers import fill_form, solve_captcha

pytestmark = pytest.mark.integration

# ---------------- 1. a rejected date stays as typed ----------------


def test_a_rejected_date_stays_exactly_as_typed(page, stack):
    person = stack.samples(1)[0]
    page.goto("/individual")
    fill_form(page, name="Дата 31 февраля", enp=person["enp"], birth_date="31-02-2002")
    solve_captcha(page)
    page.click("#submit")
    expect(page.locator("#f-birth_date-err")).to_contain_text("Такой даты нет")
    page.wait_for_timeout(300)  # the calendar script has run
    expect(page.locator("#f-birth_date")).to_have_value("31-02-2002")
    page.click(".js-date-open[data-for='f-birth_date']")  # opening and closing the calendar changes nothing
    page.keyboard.press("Escape")
    page.click("#f-surname")
    expect(page.locator("#f-birth_date")).to_have_value("31-02-2002")
    shot(page, "w19-date-kept")


# ---------------- 2. Приложение 1: a printable page reachable by links ----------------


def test_the_application_is_a_printable_page_linked_from_the_admin_pages(page):
    page.goto("/admin/mail")
    page.click("#admin-nav >> text=Справочник абонентов")
    expect(page.locator("h1")).to_have_text("Справочник абонентов")
    shot(page, "w19-admin-directory")
    page.locator("tr[data-organization='1'] a.application").first.click()
    expect(page.locator("h1")).to_have_text("Заявление")
    page.wait_for_load_state("load")  # the stylesheet is in (getComputedStyle does not wait for it)
    # the stylesheet applies: the data table has borders, and fields the directory lacks are blanks to fill
    border = page.locator("table.data td").first.evaluate("td => getComputedStyle(td).borderTopStyle")
    assert border == "solid"
    blank = page.locator("#consent .blank").first  # «Я, ____, в соответствии…» without a participant
    expect(blank).to_be_visible()
    assert blank.bounding_box()["width"] > 100
    empty = page.locator("table.data td.value:empty")
    expect(empty).to_have_count(0)  # no cell left as empty text
    # «Печать» runs by the page's own script, allowed by its CSP
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.click("#print")
    assert page.evaluate("window.__printed") == 1
    shot(page, "w19-application")
    page.emulate_media(media="print")
    expect(page.locator("#print")).to_be_hidden()
    page.emulate_media(media="screen")


def test_the_application_of_a_user_is_linked_from_the_directory(page):
    page.goto("/admin/directory?tab=users")  # the users tab links each user's application
    link = page.locator("tr[data-user] a.application").first
    expect(link).to_have_attribute("href", re.compile(r"^/admin/application/\d+\?user=\d+$"))
    link.click()
    expect(page.locator("#consent")).not_to_contain_text("Я, ,")


# ---------------- 3. the main page only after authorisation ----------------


def test_the_main_page_without_a_session_goes_to_login(anonymous_page):
    page = anonymous_page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?"))
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/"]
    expect(page.locator(".tile")).to_have_count(0)
    expect(page.get_by_role("button", name="Выход")).to_have_count(0)
    shot(page, "w19-root-login")


# ---------------- 4. CAPTCHA: readable, and a wrong answer keeps the chosen file ----------------


def test_captcha_has_no_ambiguous_glyphs_and_ignores_case():
    assert not set(captcha.ALPHABET) & set("0OoОо1lIi|7")  # О is Cyrillic
    assert captcha.answer_hash("k", "abcd") == captcha.answer_hash("k", "ABCD")
    assert captcha.answer_hash("k", " 4 5 6 ") == captcha.answer_hash("k", "456")


def test_a_wrong_captcha_on_the_group_form_keeps_the_file(page, stack, tmp_path):
    person = stack.samples(1)[0]
    path = tmp_path / "Повтор после капчи.csv"
    path.write_bytes(G.file_bytes([G.by_enp("RQ1", person)]))
    page.goto("/group")
    page.fill("#f-name", "Капча и файл")
    page.set_input_files("#f-file", str(path))
    answer = page.get_attribute("#captcha-image", "data-answer")
    page.fill(
        "#f-captcha", "".join(captcha.ALPHABET[(captcha.ALPHABET.index(c) + 1) % len(captcha.ALPHABET)] for c in answer)
    )
    page.click("#submit")
    expect(page.locator("#f-captcha-err")).to_contain_text("Символы с картинки введены неверно")
    expect(page.locator("#f-file-name")).to_have_text(path.name)
    expect(page.locator("#f-name")).to_have_value("Капча и файл")
    shot(page, "w19-group-captcha-kept-file")
    solve_captcha(page)  # no file chosen again
    page.click("#submit")
    expect(page).to_have_url(re.compile(r"/group/journal\?created=\d+"))
    expect(page.locator("#created-notice")).to_contain_text("Капча и файл")


# ---------------- 5. the journal's period: press–drag–release and click–click, two months ----------------


def _day(page, when):
    return page.locator(f"#period-calendar [data-date='{when.isoformat()}']")


def test_period_by_press_drag_release_and_by_clicks_in_two_months(page):
    today = clock.today()  # the browser's day: Moscow
    # no «Завершена обработка…» of an earlier test's group: it would move the calendar under the pointer
    page.route("**/group/notices", lambda route: route.fulfill(status=200, json={"notices": []}))
    page.goto("/journal")
    page.click("#period")
    expect(page.locator("#period-calendar .range-cal__month")).to_have_count(2)
    first, last = today - timedelta(days=9), today - timedelta(days=2)
    page.click(".quick:text-is('Сегодня')")
    start, end = _day(page, first).bounding_box(), _day(page, last).bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + 5, end["y"] + 5, steps=6)
    page.mouse.up()
    chosen = f"Выбрано: {first:%d.%m.%Y} – {last:%d.%m.%Y}"
    expect(page.locator("#period-chosen")).to_have_text(chosen)
    _day(page, last).click()  # the manual: a single click on the last date fixes the interval
    expect(page.locator("#period-chosen")).to_have_text(chosen)
    shot(page, "w19-period-drag", full_page=False)
    page.click("#period-set")
    expect(page.locator("#period")).to_have_value(f"{first:%d.%m.%Y} – {last:%d.%m.%Y}")

    page.click("#period")
    a, b = today - timedelta(days=4), today - timedelta(days=8)
    _day(page, a).click()
    _day(page, b).click()  # click–click, in either order
    expect(page.locator("#period-chosen")).to_have_text(f"Выбрано: {b:%d.%m.%Y} – {a:%d.%m.%Y}")
    _day(page, first).dblclick()  # one day: a double click
    expect(page.locator("#period-chosen")).to_have_text(f"Выбрано: {first:%d.%m.%Y}")
    page.click("#period-set")
    expect(page.locator("#period")).to_have_value(f"{first:%d.%m.%Y}")


# ---------------- 6. wording ----------------


def test_statuses_read_as_the_manual(page):
    page.goto("/journal")
    expect(page.locator("#status option")).to_have_text(["Все", "Отправлен", "Получен Ответ", "Ошибка"])


def test_identifier_message_is_shown_for_the_whole_group(page):
    page.goto("/individual")
    fill_form(page, name="Только фамилия", surname="Иванова")
    solve_captcha(page)
    page.click("#submit")
    message = page.locator("#identity-err")
    expect(message).to_contain_text("Заполните хотя бы одно из обязательных полей")
    expect(page.locator("#f-oip-err")).to_have_count(0)
    # the message spans the identifier fieldsets, not the ОИП column alone
    grid = page.locator(".form-grid").bounding_box()
    assert message.bounding_box()["width"] > grid["width"] * 0.6
    shot(page, "w19-identity-required")


def test_upload_another_file_keeps_the_request_name(page, tmp_path):
    path = tmp_path / "плохой.csv"
    path.write_bytes(G.file_bytes([G.row("RQ1", enp="5036162381095330")]))
    page.goto("/group")
    page.fill("#f-name", "Мой групповой № 7")
    page.set_input_files("#f-file", str(path))
    solve_captcha(page)
    page.click("#submit")
    expect(page.locator("h1")).to_have_text("Результаты ФЛК группового запроса")
    page.click("#upload-another")
    expect(page.locator("h1")).to_have_text("Групповой запрос")
    expect(page.locator("#f-name")).to_have_value("Мой групповой № 7")


def test_admin_mail_shows_outcome_names_not_codes(page, engine):
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO mail_letters (letter_key, holder, received_at, sender, subject, outcome, reply_text, "
                "finished_at) VALUES (:k, 'w19', now(), 'w19@example.test', 'ADD_CERT', 'no_cer', :r, now())"
            ),
            {"k": "w19-no-cer", "r": "В полученном от Вас письме отсутствует файл сертификата"},
        )
    page.goto("/admin/mail")
    row = page.locator("#letters tr", has_text="w19@example.test")
    expect(row).to_contain_text("Нет файла сертификата *.cer")
    expect(row).not_to_contain_text("no_cer")
    shot(page, "w19-admin-mail")


def test_the_completion_popup_never_covers_new_group_request(page):
    page.route(
        "**/group/notices",
        lambda route: route.fulfill(
            status=200, content_type="application/json", body='{"notices": [{"id": 1, "name": "Групповой запрос №1"}]}'
        ),
    )
    page.goto("/group/journal")
    popup = page.locator("#group-popup")
    expect(popup).to_be_visible(timeout=10000)
    shot(page, "w19-popup", full_page=False)
    button = page.locator(".page-head a.btn", has_text="Новый групповой запрос").bounding_box()
    box = popup.bounding_box()
    overlap = not (
        box["x"] + box["width"] <= button["x"]
        or button["x"] + button["width"] <= box["x"]
        or box["y"] + box["height"] <= button["y"]
        or button["y"] + button["height"] <= box["y"]
    )
    assert not overlap, (box, button)
    page.click(".page-head a.btn:text('Новый групповой запрос')")  # reachable by the mouse
    expect(page.locator("h1")).to_have_text("Групповой запрос")


def test_the_header_shows_who_is_signed_in(page):
    page.goto("/")
    who = page.locator("#who")
    expect(who).to_contain_text("ДЕМОНСТРАЦИОННЫЙ ПОЛЬЗОВАТЕЛЬ ТЕСТОВИЧ")
    expect(who).to_contain_text("ДЕМОНСТРАЦИОННАЯ ПОЛИКЛИНИКА")


# ---------------- 7. the manual's own example rows ----------------


def test_the_manuals_example_rows_say_what_to_do_and_link_a_template(page, stack, tmp_path):
    manual = (
        "RQST1;;5072360829000830;;;;;;;;;;19.06.2023\r\n"
        "RQST5;;;;;;;;158-361-694 89;Петрова;Анастасия;Андреевна;22.05.2002;19.06.2023\r\n"
    )
    path = tmp_path / "из руководства.csv"
    path.write_bytes(("; ".join(G.FILE_HEADER).replace("; ", ";") + "\r\n" + manual).encode())
    page.goto("/group")
    page.fill("#f-name", "Пример из руководства")
    page.set_input_files("#f-file", str(path))
    solve_captcha(page)
    page.click("#submit")
    expect(page.locator("#flk-errors")).to_contain_text("В строке 13 полей, а нужно 16:")
    expect(page.locator("#flk-errors")).to_contain_text("В строке 14 полей, а нужно 16:")
    shot(page, "w19-manual-rows")
    with page.expect_download() as info:
        page.click("#flk-template")
    content = open(info.value.path(), "rb").read().decode("utf-8-sig")
    lines = [line for line in content.split("\r\n") if line]
    assert lines[0].split(";") == G.FILE_HEADER
    assert all(len(line.split(";")) == 16 for line in lines)
    # the template itself passes ФЛК
    r = G.upload(stack, "Образец", content.encode("utf-8"), filename="образец.csv")
    assert r.status_code == 202, r.text


# ---------------- every page: no Content-Security-Policy violation ----------------


def test_no_page_logs_a_csp_violation(page, anonymous_page):
    """The fixtures fail a test on a CSP violation in the console; here every page is opened once."""
    for path in (
        "/",
        "/individual",
        "/journal",
        "/group",
        "/group/journal",
        "/admin/mail",
        "/admin/directory",
        "/admin/application/1",
    ):
        page.goto(path)
        page.wait_for_load_state("load")
    page.goto("/journal")
    page.click("#period")  # the calendar's markup is made by the script
    anonymous_page.goto("/login")
    anonymous_page.wait_for_load_state("load")
