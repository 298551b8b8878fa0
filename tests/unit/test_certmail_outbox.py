"""Outgoing mail without a relay: .eml files in the local folder, listed newest first for the administrator."""

import os
import smtplib
import time

import pytest

from services.certmail import letters
from shared import outbox


def reply(key, text="Ответ", to="petr@mo.test"):
    return letters.build_reply(key, to, "Re: ADD_CERT", text, "reestrin@ozsp.test", "<m@mo.test>")


def test_mailer_without_relay_writes_eml_files(tmp_path):
    mailer = outbox.Mailer("", tmp_path / "out")
    path = mailer.send(reply("m-1"))
    assert path.parent == tmp_path / "out" and outbox.NAME.match(path.name)
    assert b"reestrin@ozsp.test" in path.read_bytes()
    assert not [n for n in os.listdir(tmp_path / "out") if n.startswith(".tmp")]


def test_the_same_reply_is_written_once(tmp_path):
    mailer = outbox.Mailer("", tmp_path)
    assert mailer.send(reply("m-1")) == mailer.send(reply("m-1"))
    assert len(os.listdir(tmp_path)) == 1


def test_listing_is_newest_first_with_summaries(tmp_path):
    mailer = outbox.Mailer("", tmp_path)
    mailer.send(reply("m-1", "Первый"))
    time.sleep(0.01)
    mailer.send(
        letters.build_notice(
            "m-2", "admin@ozsp.test", "Оповещение", "Второй", "reestrin@ozsp.test", ("01.cer", b"\x30\x00")
        )
    )
    items = outbox.list_outbox(tmp_path, 10)
    assert [i["text"] for i in items] == ["Второй", "Первый"]
    assert items[0]["to"] == "admin@ozsp.test" and items[0]["subject"] == "Оповещение"
    assert items[0]["attachments"] == ["01.cer"] and items[1]["attachments"] == []
    assert len(outbox.list_outbox(tmp_path, 1)) == 1
    assert outbox.list_outbox(tmp_path / "missing") == []


def test_read_one_letter_and_refuse_other_paths(tmp_path):
    path = outbox.Mailer("", tmp_path).send(reply("m-1", "Полный текст ответа"))
    item = outbox.read_outbox(tmp_path, path.name)
    assert item["text"] == "Полный текст ответа" and "Subject: Re: ADD_CERT" in item["raw"]
    (tmp_path / "secret.txt").write_text("x")
    for name in ("../secret.txt", "secret.txt", "/etc/passwd", None, 5, path.name + "x"):
        assert outbox.read_outbox(tmp_path, name) is None


def test_mailer_with_relay_uses_smtp(tmp_path, monkeypatch):
    sent = []

    class FakeSmtp:
        def __init__(self, host, port, timeout):
            sent.append((host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, msg):
            sent.append(msg["To"])

    monkeypatch.setattr(outbox.smtplib, "SMTP", FakeSmtp)
    assert outbox.Mailer("relay.test:2526", tmp_path).send(reply("m-1")) is None
    assert sent == [("relay.test", 2526), "petr@mo.test"] and os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "error, permanent",
    [
        (smtplib.SMTPRecipientsRefused({"petr@mo.test": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"petr@mo.test": (450, b"try later")}), False),
        (smtplib.SMTPDataError(554, b"rejected"), True),
        (smtplib.SMTPDataError(451, b"later"), False),
        (ConnectionRefusedError(), False),
    ],
)
def test_relay_refusals_are_permanent_only_with_5xx(tmp_path, monkeypatch, error, permanent):
    class FailingSmtp:
        def __init__(self, *a, **kw):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, msg):
            raise error

    monkeypatch.setattr(outbox.smtplib, "SMTP", FailingSmtp)
    expected = outbox.PermanentFailure if permanent else type(error)
    with pytest.raises(expected):
        outbox.Mailer("relay.test:25", tmp_path).send(reply("m-1"))
