"""The login page in Chromium: the dev stand-in signs in, «Выход» signs out. The plug-in branch (and the page
without a plug-in) is tested on a gateway with DEV_LOGIN off: test_login_plugin.py."""

import pytest

from tests.browser.conftest import ARGS, CHROMIUM, shot  # noqa: F401

pytestmark = pytest.mark.integration


def test_dev_login_and_logout(anonymous_page):
    page = anonymous_page
    page.goto("/journal")
    assert page.url.endswith("/login?next=%2Fjournal")
    page.get_by_text("ТЕСТОВЫЙ СЕРТИФИКАТ (режим разработки)").wait_for()
    shot(page, "login-choose-certificate")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url("**/journal")
    assert page.get_by_role("heading", name="Журнал Индивидуальных запросов").count() or page.locator("h1").count()
    shot(page, "login-signed-in")
    page.get_by_role("button", name="Выход").click()
    page.wait_for_url("**/login")
    page.goto("/journal")
    assert "/login" in page.url
