"""A group request through the pages (manual §5.3, Рисунок 15–16): a Windows-1251 file with mixed delimiters is
accepted, the journal's progress advances by itself to the end, the pop-up «Завершена обработка групповых
запросов» appears (on any page, once), and the answer file matches the manual's header and the cards."""

import re
import time
from datetime import date

import pytest
from playwright.sync_api import expect

from tests import group_support as G
from tests.browser.conftest import shot
from tests.browser.helpers import solve_captcha
from tests.support import wait_for

pytestmark = pytest.mark.integration

POPUP = "Завершена обработка групповых запросов"


def drain_notices(stack):
    """Finished groups of earlier tests must not pop up here: wait until none is in progress, then take their
    notices (a group finishing during the test would otherwise join its popup)."""
    wait_for(
        lambda: stack.api("GET", "/api/v1/groups").json()["in_progress"] == 0,
        120,
        0.5,
        "the groups of earlier tests finished",
    )
    stack.api("GET", "/group/notices")


def dotted(iso):
    return date.fromisoformat(iso).strftime("%d.%m.%Y")


def mixed_rows(stack):
    """60 rows of three kinds (ЕНП + ФИО + birth date, СНИЛС, ДУЛ) and 3 unknown persons."""
    people = stack.samples(20, kind="passport") + stack.samples(20, kind="several_therapeutic")
    unknown = stack.samples(3, kind="unknown")
    rows = []
    for i in range(60):
        p = people[i % len(people)]
        name = f"Строка {i + 1}"
        if i in (10, 30, 50):
            rows.append(G.by_enp(name + " (нет в регистре)", unknown[i // 20]))
        elif i % 3 == 0:
            rows.append(
                G.row(
                    name,
                    enp=p["enp"],
                    surname=p["surname"].capitalize(),
                    first_name=p["first_name"],
                    patronymic=p["patronymic"] or "",
                    birth_date=dotted(p["birth_date"]),
                )
            )
        elif i % 3 == 1:
            s = p["snils"]
            rows.append(G.row(name, snils=f"{s[:3]}-{s[3:6]}-{s[6:9]} {s[9:]}"))
        else:
            rows.append(
                G.row(
                    name,
                    dul_type=p["document"]["type"],
                    dul_series=p["document"]["series"] or "",
                    dul_number=p["document"]["number"],
                )
            )
    return rows


def progress_of(page, group_id):
    """(received, state) read in one step: the live region may be replaced between two separate reads."""
    received, state = page.locator(f"#groups-table tr[data-id='{group_id}']").evaluate(
        "row => [row.querySelector('.received .count').textContent, row.querySelector('.state').innerText]"
    )
    return int(received), state.strip()


def test_cp1251_file_is_processed_with_live_progress_and_exported(page, stack, tmp_path):
    drain_notices(stack)
    path = tmp_path / "ГрупповойЗапросСП.csv"
    path.write_bytes(G.file_bytes(mixed_rows(stack), delimiters=";,", encoding="cp1251"))
    stack.set_knobs(latency_ms=1500, latency_jitter_ms=0)  # slow enough to watch the progress
    try:
        page.goto("/group")
        page.fill("#f-name", "Групповой запрос №2")
        page.set_input_files("#f-file", str(path))
        solve_captcha(page)
        page.click("#submit")
        page.wait_for_url(re.compile(r"/group/journal\?created=\d+"))
        group_id = int(re.search(r"created=(\d+)", page.url).group(1))
        expect(page.locator("#created-notice")).to_contain_text("Число вложенных запросов: 60")
        expect(page.locator("#processing")).to_have_text(
            "Идет обработка результатов группового запроса. Пожалуйста ожидайте"
        )
        row = page.locator(f"#groups-table tr[data-id='{group_id}']")
        expect(row.locator("td").nth(1)).to_have_text("Групповой запрос №2")
        expect(row.locator(".total")).to_have_text("60")
        expect(row.locator(".state")).to_have_text("Отправлен")
        expect(row.locator(".export")).to_have_text("после обработки")
        shot(page, "group-journal-processing")

        seen, deadline = [], time.monotonic() + 90  # no reloads: the page updates itself
        while time.monotonic() < deadline:
            received, state = progress_of(page, group_id)
            if not seen or seen[-1] != received:
                seen.append(received)
                if 0 < received < 60:
                    shot(page, "group-journal-progress")
            if state != "Отправлен":
                break
            time.sleep(0.1)
    finally:
        stack.set_knobs(latency_ms=0)
    assert seen[0] < 60 and seen[-1] == 60 and seen == sorted(seen), seen
    expect(row.locator(".state")).to_have_text("Получен ответ")
    expect(row.locator(".received")).to_contain_text("ошибок: 3")
    expect(page.locator("#processing")).to_have_count(0)
    expect(page.locator("#group-popup")).to_contain_text(POPUP, timeout=10000)
    expect(page.locator("#group-popup li")).to_have_text(["Групповой запрос №2"])
    shot(page, "group-journal-finished")
    page.click("#popup-close")
    expect(page.locator("#group-popup")).to_have_count(0)

    with page.expect_download() as info:
        row.locator("a", has_text="Выгрузить").click()
    download = info.value
    assert download.suggested_filename == "Групповой запрос №2.csv"
    lines, cells = G.read_csv(open(download.path(), "rb").read())
    assert cells[0] == G.EXPORT_HEADER and len(lines) == 61
    assert [int(c[0]) for c in cells[1:]] == list(range(2, 62))
    items = stack.api("GET", f"/api/v1/groups/{group_id}/requests", params={"per_page": 100}).json()["items"]
    cards = {c["line_no"]: c for c in (stack.api("GET", f"/api/v1/requests/{i['id']}").json() for i in items)}
    for line in cells[1:]:
        assert line == G.expected_cells(cards[int(line[0])]), line[0]
    assert sum(1 for c in cells[1:] if c[3].startswith("Ошибка: ")) == 3
    assert any(c[17] for c in cells[1:])  # a second current attachment (several_therapeutic)

    # the group's own journal (Рисунок 16), filtered like the individual journal, each row opens its card
    row.locator("td").nth(1).locator("a").click()
    expect(page.locator("h1")).to_have_text("Журнал Группового запроса")
    expect(page.locator("#group-head")).to_contain_text("Групповой запрос №2")
    expect(page.locator("#journal-table thead th")).to_have_text(["Создан", "Имя запроса", "Параметры", "Состояние"])
    expect(page.locator("#journal-table tbody tr")).to_have_count(25)
    shot(page, "group-requests")
    page.select_option("#status", "error")
    page.click("#search")
    expect(page.locator("#journal-table tbody tr")).to_have_count(3)
    expect(page.locator(".search-head__title")).to_have_text("Результаты поиска")
    shot(page, "group-requests-errors")
    page.locator("#journal-table tbody tr a").first.click()
    expect(page.locator("h1")).to_have_text("Карточка запроса")
    expect(page.locator("#ferzl-error")).not_to_be_empty()
    page.click("#back-to-group")
    expect(page.locator("#group-head")).to_contain_text("Групповой запрос №2")


def test_popup_appears_on_another_page_once(page, stack):
    drain_notices(stack)
    page.goto("/individual")
    person = stack.samples(1)[0]
    created = G.upload(stack, "Фоновая <группа>", G.file_bytes([G.by_enp("RQ1", person)]))
    assert created.status_code == 202, created.text
    G.finished(stack, created.json()["id"])
    popup = page.locator("#group-popup")
    expect(popup).to_contain_text(POPUP, timeout=15000)
    expect(popup.locator("li")).to_have_text(["Фоновая <группа>"])  # the name as text, not markup
    shot(page, "group-popup-individual", full_page=False)
    popup.locator("li a").click()
    expect(page.locator("h1")).to_have_text("Журнал Группового запроса")
    page.wait_for_timeout(6500)  # longer than one poll: announced once, so no pop-up again
    expect(page.locator("#group-popup")).to_have_count(0)
