"""The SMTP intake in-process, with a fake hand-over: 250 only after the hand-over, 451 when it fails, 552 over
the size limit. (tests/integration/test_certmail_hostile.py checks 451 against an unreachable broker.)"""

import asyncio
import base64
import smtplib
import threading

import pytest
from prometheus_client import REGISTRY

from services.certmail import intake
from shared import config
from tests.support import free_port


class FakeHandoff:
    published = []
    fail = False

    def __init__(self, amqp_uri):
        pass

    def publish(self, body):
        if FakeHandoff.fail:
            raise ConnectionError("broker away")
        FakeHandoff.published.append(body)


@pytest.fixture
def running(monkeypatch):
    monkeypatch.setattr(intake, "Handoff", FakeHandoff)
    FakeHandoff.published, FakeHandoff.fail = [], False
    port = free_port()
    settings = config.Settings(smtp_address=f"127.0.0.1:{port}", mail_max_bytes=20_000)
    loop = asyncio.new_event_loop()
    ready = asyncio.Event()

    async def run():
        try:
            await intake.serve(settings, ready)
        except asyncio.CancelledError:
            pass

    task = loop.create_task(run())
    thread = threading.Thread(target=loop.run_until_complete, args=(task,), daemon=True)
    thread.start()
    for _ in range(100):
        if ready.is_set():
            break
        threading.Event().wait(0.05)
    yield port
    loop.call_soon_threadsafe(task.cancel)
    thread.join(5)
    loop.close()


def send(port, raw):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        return smtp.sendmail("a@mo.test", ["reestrin@ozsp.test"], raw)


def test_letter_is_accepted_after_the_hand_over(running):
    raw = b"From: a@mo.test\r\nSubject: ADD_CERT\r\n\r\nbody\r\n"
    assert send(running, raw) == {}
    [body] = FakeHandoff.published
    assert base64.b64decode(body["raw_b64"]).startswith(b"From: a@mo.test") and body["letter_id"]
    assert body["received_at"]
    assert body["mail_from"] == "a@mo.test" and body["peer"] == "127.0.0.1"  # for the sender check (sender.py)


def test_failed_hand_over_is_a_temporary_failure(running):
    FakeHandoff.fail = True
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(running, b"Subject: x\r\n\r\nbody\r\n")
    assert refused.value.smtp_code == 451


def count(outcome):
    """ozsp_mail_intake_total{outcome} (deploy/alerts.yml MailIntakeFailing watches «failed»)."""
    return REGISTRY.get_sample_value("ozsp_mail_intake_total", {"outcome": outcome}) or 0.0


def test_hand_overs_are_counted_for_the_mail_intake_alert(running):
    accepted, failed = count("accepted"), count("failed")
    send(running, b"Subject: x\r\n\r\nbody\r\n")
    FakeHandoff.fail = True
    with pytest.raises(smtplib.SMTPDataError):
        send(running, b"Subject: x\r\n\r\nbody\r\n")
    assert (count("accepted") - accepted, count("failed") - failed) == (1, 1)


def test_letter_over_the_limit_is_refused_and_counted(running):
    refused_before = count("refused")
    with pytest.raises(smtplib.SMTPException) as refused:
        send(running, b"Subject: x\r\n\r\n" + b"A" * 30_000 + b"\r\n")
    assert refused.value.smtp_code == 552
    assert FakeHandoff.published == []
    with smtplib.SMTP("127.0.0.1", running, timeout=10) as smtp:  # announced too big with MAIL FROM's SIZE=
        smtp.ehlo()
        assert smtp.mail("a@mo.test", ["SIZE=30000"])[0] == 552
    assert count("refused") - refused_before == 2


def test_handoff_reopens_its_connection_after_a_failure(monkeypatch):
    opened = []

    class FakeProducer:
        def __init__(self, channel):
            opened.append(channel)

        def publish(self, body, **kw):
            if len(opened) == 1:
                raise ConnectionError("lost")

    class FakeConnection:
        def __init__(self, *a, **kw):
            pass

        def ensure_connection(self, **kw):
            return self

        def channel(self):
            return object()

        def release(self):
            pass

    monkeypatch.setattr(intake, "Connection", FakeConnection)
    monkeypatch.setattr(intake, "Producer", FakeProducer)
    handoff = intake.Handoff("amqp://x")
    with pytest.raises(ConnectionError):
        handoff.publish({"a": 1})
    handoff.publish({"a": 1})
    assert len(opened) == 2
