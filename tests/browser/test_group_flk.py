"""Group request upload (manual §5.1, Рисунок 12) and a refused file (§5.2, Рисунок 14): every error listed by
line, column and message, downloadable as CSV, nothing queued, «Загрузить другой файл»."""

import re

import pytest
from playwright.sync_api import expect

from tests import group_support as G
from tests.browser.conftest import shot
from tests.browser.helpers import solve_captcha

pytestmark = pytest.mark.integration


def groups_total(stack):
    return stack.api("GET", "/api/v1/groups").json()["total"]


def test_file_with_two_bad_rows_shows_both_errors_and_queues_nothing(page, stack, tmp_path):
    known = stack.samples(3)
    rows = [
        G.by_enp("RQ1", known[0]),
        G.row("RQ2", enp="5036162381095330"),
        G.by_enp("RQ3", known[1]),
        G.row("RQ4", snils="112-233-445 00", surname="Проверкина"),
        G.by_enp("RQ5", known[2]),
    ]
    path = tmp_path / "ГрупповойЗапрос с ошибками.csv"
    path.write_bytes(G.file_bytes(rows))
    before = groups_total(stack)

    page.goto("/group")
    expect(page.locator("h1")).to_have_text("Групповой запрос")
    expect(page.locator("label[for='f-file']")).to_have_text("Выберите файл")
    expect(page.locator("#submit")).to_have_text("Направить запрос")
    page.fill("#f-name", "Мой Групповой Запрос № 1")
    page.set_input_files("#f-file", str(path))
    expect(page.locator("#f-file-name")).to_have_text(path.name)
    solve_captcha(page)
    shot(page, "group-upload")
    page.click("#submit")

    expect(page.locator("h1")).to_have_text("Результаты ФЛК группового запроса")
    cells = page.locator("#flk-errors tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText))"
    )
    assert cells == [
        ["3", "ЕНП", "Неверный ЕНП: не сходится контрольная цифра. Проверьте правильность ввода"],
        ["5", "СНИЛС", "Неверный СНИЛС: не сходится контрольное число. Проверьте правильность ввода"],
    ]
    expect(page.locator("#flk-notice")).to_contain_text("не принят к исполнению")
    expect(page.locator("#flk-notice")).to_contain_text("Мой Групповой Запрос № 1")
    shot(page, "group-flk-errors")
    assert groups_total(stack) == before  # nothing queued

    with page.expect_download() as info:
        page.click("#errors-csv")
    download = info.value
    assert re.search(r"Ошибки ФЛК\.csv$", download.suggested_filename)
    lines = open(download.path(), "rb").read().decode("utf-8-sig").split("\r\n")
    assert lines == ["Строка;Колонка;Ошибка", "3;ЕНП;" + cells[0][2], "5;СНИЛС;" + cells[1][2], ""]

    page.click("#upload-another")
    expect(page).to_have_url(re.compile(r"/group\?name="))
    expect(page.locator("#f-name")).to_have_value("Мой Групповой Запрос № 1")  # the name stays
    expect(page.locator("h1")).to_have_text("Групповой запрос")
    expect(page.locator("#f-file-name")).to_have_text("Файл не выбран")


def test_missing_file_and_wrong_captcha_are_shown_beside_the_fields(page):
    page.goto("/group")
    page.fill("#f-name", "без файла")
    page.fill("#f-captcha", "11111")
    page.click("#submit")
    expect(page.locator("#f-file-err")).to_have_text("Выберите файл группового запроса")
    expect(page.locator("#f-captcha-err")).to_contain_text("Символы с картинки введены неверно")
    expect(page.locator("#f-name")).to_have_value("без файла")
    shot(page, "group-upload-errors")


def test_a_file_over_20_mb_is_refused_before_it_is_sent(page, stack, tmp_path):
    path = tmp_path / "большой.csv"
    path.write_bytes(b"x" * (20 * 1024 * 1024 + 1))
    before = groups_total(stack)
    page.goto("/group")
    page.fill("#f-name", "большой")
    page.set_input_files("#f-file", str(path))
    expect(page.locator("#f-file-size-err")).to_have_text(
        "Размер файла превышает 20 МБ. Разделите список на несколько файлов"
    )
    solve_captcha(page)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.click("#submit")
    page.wait_for_timeout(1000)
    assert posts == []  # not sent at all
    expect(page.locator("#f-file")).to_be_focused()
    shot(page, "group-upload-too-big")
    expect(page).to_have_url(re.compile(r"/group$"))
    expect(page.locator("h1")).to_have_text("Групповой запрос")
    assert groups_total(stack) == before
