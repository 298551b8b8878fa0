"""The quarantine end to end: a certificate of an unknown CA by mail (Приложение 2) is listed with its letter; the
administrator registers the CA (the certificate is installed and the subscriber gets the manual's success letter) or
refuses (the subscriber gets the refusal); a second decision is refused; a clerk never sees the page."""

import re

import pytest
from sqlalchemy import text

from services.certmail import messages as M
from services.certmail.rules import moscow_time
from tests import support
from tests.integration.test_certmail_kit import (  # noqa: F401 (sink is a fixture)
    World,
    cert_zip,
    issue,
    letter,
    make_ca,
    reply_text,
    send,
    sink,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(engine):
    return World(engine, "КАРАНТИН")


def quarantined(stack, engine, sink, world, ca_name, cn):
    """Send a certificate of a new unknown CA; -> (ca, holder, user, entry id) once it is in the quarantine."""
    ca = make_ca(world.pki, ca_name)
    surname, given = cn.split(" ", 1)
    holder = issue(ca, cn, surname=surname, given_name=given)
    user = world.user()
    message_id = send(stack, letter(user["email"], attachments=[cert_zip(holder.cert.der)]))
    first = sink.wait_reply(message_id)
    assert reply_text(first) == M.UNKNOWN_CA.format(serial=holder.cert.serial_hex)

    def entry():
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT id FROM cert_quarantine WHERE serial_hex = :s"), {"s": holder.cert.serial_hex}
            ).scalar()

    entry_id = support.wait_for(entry, 30)
    return ca, holder, user, entry_id


def decide(stack, entry_id, session=None, files=None, **fields):
    http = session or stack.http
    data = {"csrf_token": http.cookies.get("ozsp_csrf"), **fields}
    return http.post(stack.base_url + f"/admin/quarantine/{entry_id}", data=data, files=files, timeout=30)


def test_registering_the_ca_installs_the_certificate_and_the_subscriber_gets_the_letter(stack, engine, sink, world):
    ca, holder, user, entry_id = quarantined(stack, engine, sink, world, "УЦ ИЗ КАРАНТИНА", "КАРАНТИНОВ ПЁТР")
    page = stack.api("GET", "/admin/quarantine")
    assert page.status_code == 200 and f'data-entry="{entry_id}"' in page.text
    assert user["email"] in page.text and "ADD_CERT" in page.text and holder.cert.serial_hex in page.text

    wrong = make_ca(world.pki, "ДРУГОЙ УЦ")
    refused = decide(stack, entry_id, decision="release", files={"ca": ("ca.cer", wrong.cert.der)})
    assert refused.status_code == 400 and "выдан не этим удостоверяющим центром" in refused.text

    done = decide(
        stack, entry_id, decision="release", files={"ca": ("ca.cer", ca.cert.der), "crl": ("ca.crl", ca.crl().der)}
    )
    assert done.status_code == 200 and "сертификат установлен" in done.text, done.text[-2000:]

    result = sink.wait(lambda rcpt, msg: rcpt == [user["email"]] and "выполнена успешно" in reply_text(msg))
    assert reply_text(result[0]) == M.SUCCESS.format(
        cn=holder.cert.cn, not_before=moscow_time(holder.cert.not_before), not_after=moscow_time(holder.cert.not_after)
    )
    assert result[0]["Subject"] == "Re: ADD_CERT"
    with engine.connect() as conn:
        cert = conn.execute(
            text("SELECT user_id, source, active FROM certificates WHERE thumbprint = :t"),
            {"t": holder.cert.thumbprint},
        ).one()
        audited = conn.execute(
            text("SELECT details FROM audit WHERE action = 'quarantine.release' AND object_id = :e"),
            {"e": str(entry_id)},
        ).scalar_one()
    assert cert.user_id == user["id"] and cert.source == "mail" and cert.active
    assert audited["new"] == {"status": "released", "outcome": "installed"} and "ДЕМОНСТРАЦИОННЫЙ" in audited["actor"]
    assert stack.login(holder.sign_challenge)  # the subscriber signs in with it

    again = decide(stack, entry_id, decision="refuse", reason="поздно")
    assert again.status_code == 400 and "уже рассмотрен" in again.text
    support.wait_for(lambda: "Письмо абоненту отправлено" in stack.api("GET", "/admin/quarantine").text, 30)


def test_a_refusal_sends_the_subscriber_the_refusal_letter(stack, engine, sink, world):
    _, holder, user, entry_id = quarantined(stack, engine, sink, world, "СОМНИТЕЛЬНЫЙ УЦ", "ОТКАЗОВ ИВАН")
    done = decide(stack, entry_id, decision="refuse", reason="УЦ не аккредитован")
    assert done.status_code == 200
    result = sink.wait(lambda rcpt, msg: rcpt == [user["email"]] and "УЦ не аккредитован" in reply_text(msg))
    assert reply_text(result[0]) == M.QUARANTINE_REFUSED.format(
        serial=holder.cert.serial_hex, reason="УЦ не аккредитован"
    )
    with engine.connect() as conn:
        assert not conn.execute(
            text("SELECT 1 FROM certificates WHERE thumbprint = :t"), {"t": holder.cert.thumbprint}
        ).first()


def test_a_clerk_cannot_decide(stack, engine, sink, world):
    _, _, _, entry_id = quarantined(stack, engine, sink, world, "УЦ ДЛЯ КЛЕРКА", "КЛЕРКОВИЧ ИВАН")
    clerk, _, _ = support.registered_user(engine, "q-clerk", "УЦ КЛЕРКОВ КАРАНТИНА", "КАРАНТИНОВСКИЙ", "ГБУЗ МО К")
    session = stack.login(clerk.sign_challenge)
    assert session.get(stack.base_url + "/admin/quarantine", timeout=30).status_code == 403
    assert decide(stack, entry_id, session=session, decision="refuse").status_code == 403
    with engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM cert_quarantine WHERE id = :e"), {"e": entry_id}).scalar()
    assert status == "waiting"
    assert re.search("Карантин", stack.api("GET", "/admin/quarantine").text)
