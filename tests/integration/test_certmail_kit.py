"""Shared pieces of the certmail tests (this module has no tests of its own): a test SMTP sink on the relay port
of the stack, a test PKI registered in the directory, users with trusted addresses, letters sent with smtplib —
DKIM-signed by their domain (mo.example.test, tests/mail_dkim.py) with the envelope sender of From:, as an honest
mail server sends them, unless a test says otherwise."""

import contextlib
import email
import email.policy
import io
import os
import smtplib
import socket
import threading
import time
import uuid
import zipfile
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from services import admin
from services.journal import directory as D
from services.supervisor import Supervisor
from shared.gost.testpki import TestPki
from tests import mail_dkim, support
from tests.support import wait_for

pytestmark = pytest.mark.integration

INTAKE_TO = "reestrin@ozsp.test"


class Sink:
    """aiosmtpd handler that keeps every letter it receives."""

    def __init__(self):
        self.letters = []
        self.refuse = set()  # recipients answered 550 at RCPT
        self.refused = []
        self._cond = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            with self._cond:
                self.refused.append(address)
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._cond:
            self.letters.append((list(envelope.rcpt_tos), msg))
            self._cond.notify_all()
        return "250 OK"

    def matching(self, predicate):
        with self._cond:
            return [msg for rcpt, msg in self.letters if predicate(rcpt, msg)]

    def wait(self, predicate, timeout=30.0, count=1):
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [msg for rcpt, msg in self.letters if predicate(rcpt, msg)]
                if len(found) >= count or time.monotonic() > deadline:
                    return found
                self._cond.wait(0.2)

    def replies_to(self, message_id):
        return self.matching(lambda rcpt, msg: msg["In-Reply-To"] == message_id)

    def wait_reply(self, message_id, timeout=30.0):
        found = self.wait(lambda rcpt, msg: msg["In-Reply-To"] == message_id, timeout)
        assert found, f"no reply to {message_id}"
        return found[0]


def _address(value):
    host, _, port = value.rpartition(":")
    return host, int(port)


def _port_open(address):
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def sink(stack):
    handler = Sink()
    host, port = _address(stack.env["SMTP_RELAY"])
    controller = Controller(handler, hostname=host, port=port, ready_timeout=10)
    controller.start()
    wait_for(lambda: _port_open(_address(stack.env["SMTP_ADDRESS"])), 60, 0.2, "the SMTP intake")
    yield handler
    controller.stop()


def issue(ca, cn, **kw):
    """ca.issue(cn, **kw); shared.gost.testpki fails on some certificate sizes with KeyError (asn1crypto re-reads
    the GOST key) - reported; one more subject attribute changes the size."""
    try:
        return ca.issue(cn, **kw)
    except KeyError:
        return ca.issue(cn, organization="ТЕСТОВАЯ ОРГАНИЗАЦИЯ", **kw)


def make_ca(pki, name):
    """pki.ca(name), with the same size work-around as issue()."""
    try:
        return pki.ca(name)
    except KeyError:
        return pki.ca(name + " 2")


class World:
    """A CA in the directory (with its CRL), an organisation, and helpers to add users and make letters."""

    def __init__(self, engine, name):
        self.engine = engine
        self.pki = TestPki(seed=uuid.uuid4().hex)
        self.ca = make_ca(self.pki, f"УЦ ПОЧТЫ {name}")
        self.revoked = issue(self.ca, "ОТОЗВАНОВ ТЕСТ ТЕСТОВИЧ", surname="ОТОЗВАНОВ", snils="12345678964")
        self.crl = self.ca.crl(revoked=[self.revoked])
        with engine.begin() as conn:
            D.import_ca(conn, self.ca.cert, actor="test")
            D.import_crl(conn, self.crl, actor="test")
            self.org = D.add_organization(conn, f'ГБУЗ МО "ПОЧТОВАЯ БОЛЬНИЦА {name}"', "mo", "509977", actor="test")

    def user(self, snils=None, active=True, org_active=True, surname="Почтов", first="Пётр", patronymic="Петрович"):
        email_address = f"user.{uuid.uuid4().hex[:12]}@mo.example.test"
        with self.engine.begin() as conn:
            org = self.org
            if not org_active:
                org = D.add_organization(conn, 'ГБУЗ МО "ЗАКРЫТАЯ БОЛЬНИЦА"', "mo", "509978", actor="test")
                D.set_organization_active(conn, org, False, actor="test")
            user_id = D.add_user(
                conn, org, surname, first, patronymic, snils=snils, emails=[email_address], actor="test"
            )
            if not active:
                D.set_user_active(conn, user_id, False, actor="test")
        return {"id": user_id, "email": email_address, "organization_id": org}

    def issue(
        self, cn="ВЫДАНОВ ИВАН ИВАНОВИЧ", surname="ВЫДАНОВ", given_name="ИВАН ИВАНОВИЧ", snils="11223344595", **kw
    ):
        return issue(self.ca, cn, surname=surname, given_name=given_name, snils=snils, **kw)


def make_zip(entries):
    """ZIP bytes from (name, bytes) pairs."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def cert_zip(cert_bytes, stem="ivanov"):
    return (f"{stem}.zip", make_zip([(f"{stem}.cer", cert_bytes)]))


def letter(sender, subject="ADD_CERT", attachments=(), message_id=True, body="Сертификат во вложении."):
    """An EmailMessage; attachments are (filename, bytes) pairs."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = INTAKE_TO
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = make_msgid(domain="mo.example.test")
    msg.set_content(body)
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg


def reply_text(msg):
    """The plain-text body of a reply the sink caught, stripped."""
    return msg.get_body(("plain",)).get_content().strip()


def send(stack, msg, signed=True, envelope=None, source=None):
    """Send through the intake, DKIM-signed by mo.example.test unless signed=False; the envelope sender is the
    From: address unless given; source: the client address (e.g. the trusted MTA's). Returns the Message-ID."""
    raw = mail_dkim.as_bytes(msg)
    if signed:
        raw = mail_dkim.sign(raw)
    send_raw(stack, raw, envelope if envelope is not None else str(msg["From"] or "nobody@example.test"), source)
    return msg["Message-ID"]


def send_raw(stack, raw, envelope, source=None):
    host, port = _address(stack.env["SMTP_ADDRESS"])
    with smtplib.SMTP(host, port, timeout=30, source_address=(source, 0) if source else None) as smtp:
        smtp.sendmail(envelope, [INTAKE_TO], raw)


def journal_row(engine, message_id, timeout=30.0):
    """The letter's journal row once its outcome is recorded and delivered."""

    def row():
        with engine.connect() as conn:
            return (
                conn.execute(
                    text(
                        "SELECT * FROM mail_letters WHERE message_id = :m AND outcome IS NOT NULL "
                        "AND delivered_at IS NOT NULL"
                    ),
                    {"m": message_id},
                )
                .mappings()
                .first()
            )

    return wait_for(row, timeout, 0.1, f"the outcome of {message_id}")


@contextlib.contextmanager
def own_mail_stack(settings, output_dir, folder, name, **env):
    """journal, certmail and the intake on a database and vhost of their own, files under folder; env: extra
    settings (SMTP_RELAY, ...). Yields {"env", "engine", "folder"}."""
    url, drop = support.make_test_database(settings)
    admin.migrate(url)
    vhost = support.unique_name(f"ozsp-{name}")
    delete_vhost = support.create_vhost(settings, vhost)
    env = {
        "AMQP_URI": support.amqp_uri_for_vhost(settings, vhost),
        "DATABASE_URL": url,
        "SMTP_ADDRESS": f"127.0.0.1:{support.free_port()}",
        "MAIL_OUTBOX_DIR": str(folder / "outbox"),
        "CERT_STORE_DIR": str(folder / "store"),
        "CERT_QUARANTINE_DIR": str(folder / "quarantine"),
        "PYTHONUNBUFFERED": "1",
        "DKIM_DNS_FILE": mail_dkim.write_dns_file(str(folder / "dkim-dns.txt")),
        **env,
    }
    log = open(os.path.join(output_dir, f"{name}.log"), "a", encoding="utf-8")
    sup = Supervisor(env=env, restart=False, output=log)
    engine = create_engine(url)
    try:
        for service in ("journal", "certmail", "certmail_intake"):
            sup.start(service)
        yield {"env": env, "engine": engine, "folder": folder}
    finally:
        sup.stop()
        log.close()
        engine.dispose()
        delete_vhost()
        drop()
