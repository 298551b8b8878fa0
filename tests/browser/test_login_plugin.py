"""The real login path in Chromium: login.js's plug-in branch (npm crypto-pro, CryptoPro's cadesplugin_api.js,
CAdESCOM Store → Find(SHA1) → CPSigner → CadesSignedData.SignCades) against a stand-in for the plug-in
(tests/browser/plugin.py) whose signatures come from the test PKI, on a gateway with DEV_LOGIN off, so the
server's production verification decides (manual §3, Рисунки 1, 3, 4)."""

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import text

from services.gateway import messages
from shared.gost import oids
from tests.browser.conftest import shot
from tests.browser.plugin import CANCELLED, Token, signature_shape

pytestmark = pytest.mark.integration

CADES_BES_ATTRIBUTES = sorted(
    [oids.ATTR_CONTENT_TYPE, oids.ATTR_MESSAGE_DIGEST, oids.ATTR_SIGNING_TIME, oids.ATTR_SIGNING_CERT_V2]
)


def open_login(page, token=None, path="/login"):
    if token is not None:
        token.install(page)
    page.goto(path)
    expect(page.locator("#login-loading")).to_be_hidden(timeout=15000)  # the certificates are listed
    assert page.get_by_text("ТЕСТОВЫЙ СЕРТИФИКАТ").count() == 0, "the dev stand-in must not be on this page"


def sign_in(page):
    """Click «Войти» and wait for the page after login; a refusal fails with the text of the error box."""
    page.get_by_role("button", name="Войти").click()
    try:
        page.wait_for_url(lambda url: "/login" not in url)
    except PlaywrightTimeout:
        raise AssertionError("not signed in: " + page.locator("#login-error").inner_text()) from None


def choose(page, holder):
    page.locator(f"input[name=cert][value='{holder.cert.thumbprint}']").check()


def session_of(page, engine):
    """(user_id, certificate serial) of the browser's session."""
    from services.journal.directory import _token_hash

    token = next(c["value"] for c in page.context.cookies() if c["name"] == "ozsp_session")
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                text(
                    "SELECT s.user_id, c.serial_hex FROM sessions s JOIN certificates c ON c.id = s.certificate_id "
                    "WHERE s.token_hash = :h"
                ),
                {"h": _token_hash(token)},
            ).one()
        )


def test_sign_in_with_the_certificate_on_the_token(nodev_page, token_world, engine):
    page, holder = nodev_page, token_world.holders["first"]
    token = Token(holder)
    open_login(page, token, "/login?next=%2Fjournal")
    item = page.locator("#login-certs li")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("ТОКЕНОВ ПЁТР ТЕСТОВИЧ")
    expect(item).to_contain_text(holder.cert.thumbprint)
    shot(page, "login-plugin-one-certificate")
    with page.expect_request("**/login") as sent:
        sign_in(page)
    assert page.url.endswith("/journal")
    shot(page, "login-plugin-signed-in")
    assert session_of(page, engine) == (token_world.users["first"], holder.cert.serial_hex)
    # what the page asked the plug-in for: the challenge's own bytes, CAdES-BES, detached, only the signer's
    # certificate in the CMS (the chain would be needless bytes in every login request)
    asked = token.signed[-1]
    assert asked["content"].startswith(b"ozsp-login-") and asked["content"].isascii()
    shape = signature_shape(json.loads(sent.value.post_data)["signature"])
    assert shape == {
        "detached": True,
        "certificates": [holder.cert.thumbprint],
        "signed_attributes": CADES_BES_ATTRIBUTES,
    }
    assert token.open_stores(page) == set(), "every certificate store the page opened is closed again"
    assert len([e for e in token.events if e["op"] == "open"]) == 2  # crypto-pro's listing, then signing


def test_two_certificates_on_the_token_the_chosen_one_signs(nodev_page, token_world, engine):
    page, world = nodev_page, token_world
    first, second = world.holders["first"], world.holders["second"]
    token = Token(first, second)
    open_login(page, token)
    expect(page.locator("#login-certs li")).to_have_count(2)
    for holder, key in ((first, "first"), (second, "second")):  # each position of the store, in turn
        page.goto("/login")
        choose(page, holder)
        shot(page, f"login-plugin-two-certificates-{key}")
        sign_in(page)
        assert token.signed[-1]["thumbprint"] == holder.cert.thumbprint
        assert session_of(page, engine) == (world.users[key], holder.cert.serial_hex)
        page.get_by_role("button", name="Выход").click()
        page.wait_for_url("**/login")


def test_a_certificate_of_another_user_is_refused_with_its_serial(nodev_page, token_world):
    page, stranger = nodev_page, token_world.holders["stranger"]
    open_login(page, Token(stranger))
    page.get_by_role("button", name="Войти").click()
    box = page.locator("#login-error")
    expect(box).to_be_visible()
    expect(box.locator("h2")).to_have_text("Ошибка аутентификации")
    expect(page.locator("#login-error-serial")).to_have_text(f"s/n: {stranger.cert.serial_hex}")
    expect(page.locator("#login-error-text")).to_have_text(messages.UNKNOWN_CERTIFICATE)
    expect(page.get_by_role("button", name="Войти")).to_be_enabled()
    shot(page, "login-plugin-unregistered")
    assert "/login" in page.url


def test_plugin_without_certificates_shows_the_manuals_advice(nodev_page, token_world):
    # a certificate with no private key on the token is not offered either (crypto-pro filters on KEY_PROV_INFO)
    page = nodev_page
    open_login(page, Token(without_key=[token_world.holders["first"]]))
    box = page.locator("#login-none")
    expect(box).to_be_visible()
    expect(box.locator("h2")).to_have_text("Нет доступных сертификатов")
    expect(box).to_contain_text("Ctrl+F5")
    expect(page.locator("#login-no-plugin")).to_be_hidden()  # the plug-in is there: no advice to install it
    expect(page.locator("#login-form")).to_be_hidden()
    shot(page, "login-plugin-no-certificates")


def test_cancelling_the_pin_dialog_says_so_and_allows_another_try(nodev_page, token_world):
    page, holder = nodev_page, token_world.holders["first"]
    token = Token(holder, pin="cancel")
    open_login(page, token)
    button = page.get_by_role("button", name="Войти")
    button.click()
    expect(page.locator("#login-error-text")).to_have_text(
        "Ввод PIN-кода отменён, вход не выполнен. Чтобы войти, нажмите «Войти» и введите PIN-код носителя ключа."
    )
    expect(page.locator("#login-error-serial")).to_have_text("")
    expect(button).to_be_enabled()
    assert CANCELLED not in page.locator("#login-error").inner_text()
    assert token.open_stores(page) == set()
    shot(page, "login-plugin-pin-cancelled")
    token.pin = "entered"  # the user tries again and types the PIN
    sign_in(page)


def test_without_the_plugin_extension_the_manual_says_what_to_install(nodev_page):
    # no stand-in: cadesplugin_api.js cannot load the extension's script, the cadesplugin promise is rejected
    page = nodev_page
    open_login(page)
    box = page.locator("#login-none")
    expect(box).to_be_visible()
    expect(box.locator("h2")).to_have_text("Нет доступных сертификатов")
    expect(box).to_contain_text("Ctrl+F5")
    expect(page.locator("#login-no-plugin")).to_be_visible()
    expect(page.locator("#login-no-plugin")).to_contain_text("Не найден КриптоПро ЭЦП Browser plug-in")
    expect(page.locator("#login-no-plugin")).to_contain_text("КриптоПро CSP 5.0")
    expect(page.locator("#login-form")).to_be_hidden()
    shot(page, "login-plugin-missing")
