"""Browser tests: Debian's Chromium driven by Playwright against the `stack` fixture (real processes).

Never `playwright install`: the browser is /usr/bin/chromium (apt package `chromium`, see .ci/run).
Each test saves screenshots under test-output/browser/.
"""
import os
import shutil

import pytest

from tests import support

CHROMIUM = os.environ.get("OZSP_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = os.path.join(support.OUTPUT, "browser")


@pytest.fixture(scope="session")
def browser():
    support.require(os.path.exists(CHROMIUM) or shutil.which(CHROMIUM), "browser", "apt-get install chromium",
                    f"no Chromium at {CHROMIUM}")  # a failure under CI
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _page(browser, stack, session=None):
    """A Chromium page on the stack (Moscow time, Russian locale); with session, signed in with that cookie.
    A JavaScript error on the page fails the test."""
    context = browser.new_context(base_url=stack.base_url, viewport={"width": 1366, "height": 768}, locale="ru-RU",
                                  timezone_id="Europe/Moscow")
    context.set_default_timeout(15000)
    if session:
        context.add_cookies([{"name": "ozsp_session", "value": session, "url": stack.base_url}])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def page(browser, stack):
    """Signed in as the demo user: the session of the stack (tests of the login page itself use `anonymous_page`)."""
    yield from _page(browser, stack, stack.http.cookies.get("ozsp_session"))


@pytest.fixture
def anonymous_page(browser, stack):
    yield from _page(browser, stack)


def shot(page, name, full_page=True):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=full_page)
