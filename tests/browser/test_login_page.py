"""The login page in Chromium: the dev stand-in signs in, «Выход» signs out; without the plug-in the manual's
«Нет доступных сертификатов» advice is shown."""
import pytest

from tests.browser.conftest import ARGS, CHROMIUM, shot  # noqa: F401


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


def test_without_the_plugin_no_certificates_are_offered(anonymous_page, stack):
    page = anonymous_page
    # the production page: no dev stand-in; headless Chromium has no CryptoPro plug-in
    page.route("**/login", lambda route: route.fulfill(
        response=route.fetch(), body=route.fetch().text().replace(' data-dev-login="1"', "")))
    page.goto("/login")
    box = page.locator("#login-none")
    box.wait_for()
    assert "Нет доступных сертификатов" in box.inner_text() and "Ctrl+F5" in box.inner_text()
    assert page.locator("#login-form").is_hidden()
    shot(page, "login-no-certificates")
