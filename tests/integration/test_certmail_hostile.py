"""Hostile letters: size limits, ZIP bombs, nested archives, path traversal, encrypted ZIPs, a non-ZIP named
.zip, malformed ASN.1, a forged CA signature, broken MIME. Each gets its fitting reply or is dropped, and the
service keeps running. Also: the intake answers 451 when it cannot hand a letter over."""

import os
import smtplib
import subprocess
import sys

import pytest

from services.certmail import messages as M
from tests import mail_dkim, support
from tests.integration.test_certmail_kit import (
    INTAKE_TO,
    World,
    cert_zip,
    journal_row,
    letter,
    make_zip,
    reply_text,
    send,
    send_raw,  # noqa: F401
    sink,  # noqa: F401 - a fixture, requested by name
)
from tests.support import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(engine):
    return World(engine, "АТАКИ")


def answer(stack, sink, msg):
    return reply_text(sink.wait_reply(send(stack, msg)))


def encrypted(zip_bytes):
    """Set the 'encrypted' flag in the local and central headers (what a password-protected ZIP carries)."""
    data = bytearray(zip_bytes)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x01
    return bytes(data)


def forged(der, genuine="ПОДДЕЛОВ", fake="ПОДМЕНОВ"):
    """The certificate with its subject altered after signing: the CA's signature no longer verifies."""
    assert len(genuine.encode()) == len(fake.encode()) and genuine.encode() in der
    return der.replace(genuine.encode(), fake.encode())


@pytest.mark.parametrize(
    "case",
    [
        "bomb_total",
        "bomb_ratio",
        "nested_zip",
        "cer_that_is_a_zip",
        "traversal",
        "absolute_path",
        "folder",
        "encrypted",
        "not_a_zip",
        "truncated_zip",
        "attachment_too_large",
    ],
)
def test_hostile_archives_get_the_invalid_files_reply(stack, sink, world, case):
    der = world.issue().cert.der
    attachments = {
        "bomb_total": lambda: [("ivanov.zip", make_zip([("ivanov.cer", b"\0" * 5_000_000)]))],
        "bomb_ratio": lambda: [("ivanov.zip", make_zip([("ivanov.cer", der + b"\0" * 800_000)]))],
        "nested_zip": lambda: [("ivanov.zip", make_zip([("ivanov.zip", make_zip([("ivanov.cer", der)]))]))],
        "cer_that_is_a_zip": lambda: [("ivanov.zip", make_zip([("ivanov.cer", make_zip([("a.cer", der)]))]))],
        "traversal": lambda: [("ivanov.zip", make_zip([("../ivanov.cer", der)]))],
        "absolute_path": lambda: [("ivanov.zip", make_zip([("/tmp/ivanov.cer", der)]))],
        "folder": lambda: [("ivanov.zip", make_zip([("certs/ivanov.cer", der)]))],
        "encrypted": lambda: [("ivanov.zip", encrypted(make_zip([("ivanov.cer", der)])))],
        "not_a_zip": lambda: [("ivanov.zip", b"This is not an archive at all.\n" * 10)],
        "truncated_zip": lambda: [("ivanov.zip", make_zip([("ivanov.cer", der)])[:-30])],
        "attachment_too_large": lambda: [("ivanov.zip", os.urandom(600_000))],
    }[case]()
    assert answer(stack, sink, letter(world.user()["email"], attachments=attachments)) == M.INVALID_FILES


@pytest.mark.parametrize(
    "content", [b"\x30\x82\xff\xff garbage", b"-----BEGIN CERTIFICATE-----\n!!!\n", b"\x30\x03\x02\x01\x01", b""]
)
def test_malformed_asn1_gets_the_installation_error_reply(stack, sink, world, content):
    text_ = answer(stack, sink, letter(world.user()["email"], attachments=[cert_zip(content)]))
    assert text_ == (
        "Установка сертификата ключа проверки электронной подписи не может быть выполнена. Ошибка: "
        "файл сертификата повреждён или не является сертификатом X.509"
    )


def test_forged_ca_signature_gets_the_invalid_reply(stack, engine, sink, world):
    genuine = world.issue("ПОДДЕЛОВ ИВАН ИВАНОВИЧ", surname="ПОДДЕЛОВ", snils=None)
    fake = forged(genuine.cert.der)
    user = world.user()
    message_id = send(stack, letter(user["email"], attachments=[cert_zip(fake)]))
    assert reply_text(sink.wait_reply(message_id)) == M.CERT_INVALID.format(serial=genuine.cert.serial_hex)
    row = journal_row(engine, message_id)
    assert row["outcome"] == "cert_invalid" and row["detail"] == "forged_signature"


def test_letter_over_the_size_limit_is_refused_by_the_intake(stack, sink, world):
    msg = letter(world.user()["email"], attachments=[("big.zip", os.urandom(2_500_000))])
    with pytest.raises(smtplib.SMTPException) as refused:
        send(stack, msg)
    assert getattr(refused.value, "smtp_code", None) == 552


def test_broken_mime_is_answered_or_dropped_and_the_service_keeps_running(stack, engine, sink, world):
    user = world.user()
    nested = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(60))
    deep = (
        f"From: {user['email']}\r\nTo: {INTAKE_TO}\r\nSubject: ADD_CERT\r\nMessage-ID: <deep@mo.example.test>\r\n"
        f"MIME-Version: 1.0\r\n{nested}Content-Type: text/plain\r\n\r\nhi\r\n"
    ).encode()
    send_raw(stack, mail_dkim.sign(deep), user["email"])  # signed by its domain: only the MIME is hostile
    assert reply_text(sink.wait_reply("<deep@mo.example.test>")) == M.INVALID_FILES

    garbage = (
        b"From: =?utf-8?b?!!!?= <<<>>>\r\nSubject: =?x-unknown?q?=FF=FE?=\r\n"
        b"Message-ID: <garbage@mo.example.test>\r\nContent-Type: multipart/mixed\r\n\r\n\xff\xfe\x00" * 3
    )
    send_raw(stack, garbage, "someone@example.test")
    no_from = b"To: reestrin@ozsp.test\r\nSubject: ADD_CERT\r\nMessage-ID: <nofrom@mo.example.test>\r\n\r\nx\r\n"
    send_raw(stack, no_from, "someone@example.test")
    for message_id in ("<garbage@mo.example.test>", "<nofrom@mo.example.test>"):
        assert journal_row(engine, message_id)["outcome"] == "untrusted_sender"
        assert sink.replies_to(message_id) == []

    assert stack.sup.procs["certmail"].poll() is None and stack.sup.procs["certmail_intake"].poll() is None
    message_id = send(stack, letter(user["email"], subject="Жив?"))
    assert reply_text(sink.wait_reply(message_id)) == M.UNKNOWN_TEMPLATE


def test_intake_answers_451_when_the_letter_cannot_be_handed_over(stack):
    port = support.free_port()
    env = {
        **os.environ,
        **stack.env,
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:{support.free_port()}/",
        "SMTP_ADDRESS": f"127.0.0.1:{port}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.certmail.intake"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def connected():
            try:
                return smtplib.SMTP("127.0.0.1", port, timeout=5)
            except OSError:
                return None

        smtp = wait_for(connected, 30, 0.2, "the second intake")
        with smtp:
            with pytest.raises(smtplib.SMTPDataError) as refused:
                smtp.sendmail("someone@example.test", [INTAKE_TO], b"Subject: ADD_CERT\r\n\r\nx\r\n")
        assert refused.value.smtp_code == 451
    finally:
        proc.terminate()
        proc.wait(timeout=10)
