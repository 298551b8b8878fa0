"""Main page (manual §3.2, Таблица 2) and the navigation every page carries."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.integration

BUTTONS = ["Индивидуальный запрос", "Журнал Индивидуальных запросов", "Групповой запрос", "Журнал Групповых запросов"]


def test_main_page_has_the_four_buttons_of_table_2(page):
    page.goto("/")
    expect(page.locator(".tile__name")).to_have_text(BUTTONS)
    shot(page, "main-page")
    page.click("text=Индивидуальный запрос >> nth=-1")  # the tile, not the menu item
    expect(page.locator("h1")).to_have_text("Индивидуальный запрос")


def test_every_page_has_the_same_navigation(page):
    for path in ("/", "/individual", "/journal", "/group", "/group/journal"):
        page.goto(path)
        expect(page.locator(".nav__link")).to_have_text(["Главная"] + BUTTONS)
        expect(page.locator(".nav__link[aria-current='page']")).to_have_count(1)
    page.goto("/group")
    expect(page.locator("h1")).to_have_text("Групповой запрос")


def test_keyboard_reaches_the_menu_from_the_skip_link(page):
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator(".brand")).to_be_focused()
