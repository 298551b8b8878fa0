"""Browser tests: Debian's Chromium driven by Playwright against the `stack` fixture (real processes).

Never `playwright install`: the browser is /usr/bin/chromium (apt package `chromium`, see .ci/run).
Each test saves screenshots under test-output/browser/.
"""

import os
import shutil
from types import SimpleNamespace

import pytest

from tests import support

CHROMIUM = os.environ.get("OZSP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = os.path.join(support.OUTPUT, "browser")


def launch():
    """Chromium for the run: the session fixture `browser` lives in tests/conftest.py, so the browser tests and the
    browser attacks of tests/security share it (Playwright's sync API runs one instance at a time)."""
    support.require(
        os.path.exists(CHROMIUM) or shutil.which(CHROMIUM),
        "browser",
        "apt-get install chromium",
        f"no Chromium at {CHROMIUM}",
    )  # a failure under CI
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _page(browser, stack, session=None, request=None):
    """A Chromium page on the stack (Moscow time, Russian locale); with session, signed in with that cookie.
    A JavaScript error on the page, or a Content-Security-Policy violation in its console (an inline style or
    handler the page's own CSP blocks), fails the test; a failed test leaves a screenshot of the page it was on."""
    context = browser.new_context(
        base_url=stack.base_url, viewport={"width": 1366, "height": 768}, locale="ru-RU", timezone_id="Europe/Moscow"
    )
    context.set_default_timeout(15000)
    if session:
        context.add_cookies([{"name": "ozsp_session", "value": session, "url": stack.base_url}])
    page = context.new_page()
    errors, violations = [], []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    report = getattr(request.node, "rep_call", None) if request is not None else None
    if report is not None and report.failed:
        try:
            shot(page, f"FAILED-{request.node.name}")
        except Exception:  # the page may be gone with the failure
            pass
    context.close()
    assert not errors, f"JavaScript errors: {errors}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def page(browser, stack, request):
    """Signed in as the demo user: the session of the stack (tests of the login page itself use `anonymous_page`)."""
    yield from _page(browser, stack, stack.http.cookies.get("ozsp_session"), request)


@pytest.fixture
def anonymous_page(browser, stack, request):
    yield from _page(browser, stack, request=request)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """The call's report on the item (item.rep_call), for the page fixtures' screenshot of a failed test."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def shot(page, name, full_page=True):
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=full_page)


@pytest.fixture(scope="session")
def nodev_gateway(stack, output_dir):
    """A second gateway on the stack's vhost and database with DEV_LOGIN off: the login page as users get it
    (no dev stand-in, the production verification path; OZSP_MODE stays dev, which accepts the test CAs)."""
    from services.supervisor import Supervisor, wait_http

    url = f"http://127.0.0.1:{support.free_port()}"
    log = open(os.path.join(output_dir, "gateway-nodev.log"), "w", encoding="utf-8")
    sup = Supervisor(
        env={**stack.env, "WEB_ADDRESS": url.removeprefix("http://"), "DEV_LOGIN": ""}, restart=False, output=log
    )
    try:
        proc = sup.start("gateway")
        assert wait_http(f"{url}/api/v1/health", 90, proc), "the DEV_LOGIN-off gateway did not start; see its log"
        yield url
    finally:
        sup.stop()
        log.close()


@pytest.fixture
def nodev_page(browser, nodev_gateway, request):
    """An anonymous page on the DEV_LOGIN-off gateway; install a plug-in stand-in (tests/browser/plugin.py)
    before its first goto."""
    yield from _page(browser, SimpleNamespace(base_url=nodev_gateway), request=request)


@pytest.fixture(scope="session")
def token_world(engine):
    """A root CA and the CA under it that issues users' certificates, both with CRLs in the directory; an
    organisation with two registered users, and a certificate of that CA registered to nobody."""
    from services.journal import directory as D
    from shared.gost.testpki import TestPki

    root = TestPki(seed="browser-plugin").ca("ТЕСТОВЫЙ КОРНЕВОЙ УЦ")
    ca = root.issue(
        "ТЕСТОВЫЙ УЦ ТОКЕНОВ", ca=True, surname=None, given_name=None, snils=None, organization="ТЕСТОВЫЙ УЦ ТОКЕНОВ"
    )
    holders = {
        "first": ca.issue("ТОКЕНОВ ПЁТР ТЕСТОВИЧ", surname="ТОКЕНОВ", given_name="ПЁТР ТЕСТОВИЧ"),
        "second": ca.issue("ПЛАГИНОВА АННА ТЕСТОВНА", surname="ПЛАГИНОВА", given_name="АННА ТЕСТОВНА"),
        "stranger": ca.issue("ЧУЖАКОВ ИВАН ТЕСТОВИЧ", surname="ЧУЖАКОВ", given_name="ИВАН ТЕСТОВИЧ"),
    }
    users = {}
    with engine.begin() as conn:
        for authority in (root, ca):
            D.import_ca(conn, authority.cert)
            D.import_crl(conn, authority.crl())
        org = D.add_organization(conn, 'ГБУЗ МО "БОЛЬНИЦА ТОКЕНОВ"', "mo")
        for key in ("first", "second"):
            users[key] = D.add_user(conn, org, holders[key].cert.surname, "ТЕСТ")
            D.add_certificate(conn, users[key], holders[key].cert)
    return SimpleNamespace(root=root, ca=ca, holders=holders, users=users, organization=org)
