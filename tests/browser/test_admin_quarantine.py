"""The quarantine in Chromium: a certificate of an unknown CA sent by mail is on the page with its letter; the
administrator uploads the CA's certificate and CRL, «Зарегистрировать УЦ», and the subscriber's result letter is sent
(the page says so, the relay got it)."""

import pytest
from playwright.sync_api import expect

from tests import support
from tests.browser.conftest import shot
from tests.integration.test_certmail_kit import (  # noqa: F401 (sink is a fixture)
    World,
    cert_zip,
    issue,
    letter,
    make_ca,
    send,
    sink,
)

pytestmark = pytest.mark.integration


def test_release_a_quarantined_certificate_and_see_the_letter(page, stack, engine, sink, tmp_path):
    world = World(engine, "БРАУЗЕРНЫЙ КАРАНТИН")
    ca = make_ca(world.pki, "УЦ БРАУЗЕРНОГО КАРАНТИНА")
    holder = issue(ca, "КАРАНТИНСКИЙ ПЁТР", surname="КАРАНТИНСКИЙ", given_name="ПЁТР")
    user = world.user()
    message_id = send(stack, letter(user["email"], attachments=[cert_zip(holder.cert.der)]))
    sink.wait_reply(message_id)  # «…вы будете уведомлены дополнительно»

    page.goto("/admin/quarantine")
    row = page.locator(f"#quarantine tr[data-serial='{holder.cert.serial_hex}']")
    expect(row).to_contain_text(user["email"])
    expect(row).to_contain_text("ADD_CERT")
    (tmp_path / "ca.cer").write_bytes(ca.cert.der)
    (tmp_path / "ca.crl").write_bytes(ca.crl().der)
    row.locator("input[name=ca]").set_input_files(str(tmp_path / "ca.cer"))
    row.locator("input[name=crl]").set_input_files(str(tmp_path / "ca.crl"))
    shot(page, "admin-quarantine")
    row.locator("button.release").click()
    expect(page.locator("#quarantine-result")).to_contain_text("сертификат установлен")
    expect(row.locator(".state")).to_have_text("УЦ зарегистрирован, сертификат установлен")

    def letter_sent():
        page.reload()
        return "Письмо абоненту отправлено" in row.locator(".letter").inner_text()

    support.wait_for(letter_sent, 30, 1)
    shot(page, "admin-quarantine-letter-sent")
    got = sink.wait(
        lambda rcpt, msg: rcpt == [user["email"]] and "выполнена успешно" in msg.get_body(("plain",)).get_content()
    )
    assert got and f"Сертификат выдан: {holder.cert.cn}." in got[0].get_body(("plain",)).get_content()
