"""Приложение 2 end to end: real letters through the SMTP intake, replies captured by a test SMTP sink.
One test per rule and per reply text; texts are compared literally with services/certmail/messages.py."""

import base64
import os
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import text

from services.certmail import messages as M
from services.certmail.rules import moscow_time
from tests import mail_dkim
from tests.integration.test_certmail_kit import (  # noqa: F401 (sink is a fixture)
    World,
    cert_zip,
    issue,
    journal_row,
    letter,
    make_ca,
    make_zip,
    reply_text,
    send,
    send_raw,
    sink,
)
from tests.support import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def world(engine):
    return World(engine, "ПРАВИЛА")


def no_reply(stack, engine, sink, msg):
    """Send a letter that must stay unanswered; returns its journal row."""
    message_id = send(stack, msg)
    row = journal_row(engine, message_id)
    assert sink.replies_to(message_id) == []
    return row


# --- rule 1: subject and sender ---------------------------------------------------------------------


def test_unknown_subject_from_trusted_address_gets_the_unknown_template_reply(stack, engine, sink, world):
    user = world.user()
    message_id = send(stack, letter(user["email"], subject="Сертификат"))
    reply = sink.wait_reply(message_id)
    assert reply_text(reply) == M.UNKNOWN_TEMPLATE
    assert reply["To"] == user["email"] and reply["Subject"] == "Re: Сертификат"
    assert journal_row(engine, message_id)["outcome"] == "unknown_template"


def test_unknown_subject_from_unknown_address_is_left_without_reply(stack, engine, sink, world):
    row = no_reply(stack, engine, sink, letter("stranger@elsewhere.test", subject="Привет"))
    assert row["outcome"] == "untrusted_sender" and row["reply_text"] is None


def test_subject_of_another_process_is_not_answered(stack, engine, sink, world):
    user = world.user()
    row = no_reply(stack, engine, sink, letter(user["email"], subject="OTHER_TASK"))
    assert row["outcome"] == "other_template"


@pytest.mark.parametrize("who", ["unknown", "inactive_user", "inactive_organisation"])
def test_add_cert_from_an_untrusted_sender_is_dropped_without_reply(stack, engine, sink, world, who):
    cert = world.issue()
    sender = {
        "unknown": lambda: "nobody@nowhere.test",
        "inactive_user": lambda: world.user(active=False)["email"],
        "inactive_organisation": lambda: world.user(org_active=False)["email"],
    }[who]()
    row = no_reply(stack, engine, sink, letter(sender, attachments=[cert_zip(cert.cert.der)]))
    assert row["outcome"] == "untrusted_sender"
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM certificates WHERE thumbprint = :t"), {"t": cert.cert.thumbprint}
            ).scalar()
            == 0
        )


def test_subject_is_matched_without_case_and_surrounding_spaces(stack, engine, sink, world):
    user = world.user()
    cert = world.issue()
    message_id = send(stack, letter(user["email"], subject="  add_cert ", attachments=[cert_zip(cert.cert.der)]))
    assert reply_text(sink.wait_reply(message_id)).startswith(
        "Установка сертификата ключа проверки электронной подписи выполнена успешно."
    )


# --- rule 2: attachments ----------------------------------------------------------------------------------


def _reply_for(stack, sink, sender, attachments):
    message_id = send(stack, letter(sender, attachments=attachments))
    return reply_text(sink.wait_reply(message_id)), message_id


def test_letter_without_attachment_gets_the_no_cer_reply(stack, engine, sink, world):
    text_, message_id = _reply_for(stack, sink, world.user()["email"], [])
    assert text_ == M.NO_CER
    assert journal_row(engine, message_id)["outcome"] == "no_cer"


def test_zip_without_a_cer_gets_the_no_cer_reply(stack, sink, world):
    text_, _ = _reply_for(stack, sink, world.user()["email"], [("ivanov.zip", make_zip([("ivanov.txt", b"x")]))])
    assert text_ == M.NO_CER


@pytest.mark.parametrize("case", ["two_attachments", "extra_file_in_zip", "two_cers", "bare_cer", "name_mismatch"])
def test_inadmissible_attachments_get_the_invalid_files_reply(stack, engine, sink, world, case):
    der = world.issue().cert.der
    attachments = {
        "two_attachments": [cert_zip(der), ("readme.txt", b"hello")],
        "extra_file_in_zip": [("ivanov.zip", make_zip([("ivanov.cer", der), ("readme.txt", b"x")]))],
        "two_cers": [("ivanov.zip", make_zip([("ivanov.cer", der), ("petrov.cer", der)]))],
        "bare_cer": [("ivanov.cer", der)],
        "name_mismatch": [("ivanov.zip", make_zip([("petrov.cer", der)]))],
    }[case]
    text_, message_id = _reply_for(stack, sink, world.user()["email"], attachments)
    assert text_ == M.INVALID_FILES
    assert journal_row(engine, message_id)["outcome"] == "invalid_files"


# --- rule 3: validation -------------------------------------------------------------------------------------


def test_expired_certificate_gets_the_invalid_reply_with_its_serial(stack, sink, world):
    old = world.issue(not_before=datetime(2020, 1, 1, tzinfo=UTC), not_after=datetime(2021, 1, 1, tzinfo=UTC))
    text_, _ = _reply_for(stack, sink, world.user()["email"], [cert_zip(old.cert.der)])
    assert text_ == (
        "Сертификат ключа проверки электронной подписи: " + old.cert.serial_hex + " недействителен. "
        "Установка сертификата не может быть выполнена"
    )


def test_revoked_certificate_gets_the_invalid_reply_with_its_serial(stack, sink, world):
    text_, _ = _reply_for(stack, sink, world.user()["email"], [cert_zip(world.revoked.cert.der)])
    assert text_ == M.CERT_INVALID.format(serial=world.revoked.cert.serial_hex)


def test_certificate_of_an_unknown_ca_is_kept_and_the_administrator_notified(stack, engine, sink, world):
    stranger_ca = make_ca(world.pki, "НЕИЗВЕСТНЫЙ УЦ")
    cert = issue(stranger_ca, "ЧУЖОВ ИВАН ИВАНОВИЧ", surname="ЧУЖОВ", given_name="ИВАН ИВАНОВИЧ")
    user = world.user()
    text_, message_id = _reply_for(stack, sink, user["email"], [cert_zip(cert.cert.der)])
    assert text_ == (
        "Сертификат ключа проверки электронной подписи: " + cert.cert.serial_hex + " выдан неизвестным "
        "системе удостоверяющим центром. Установка сертификата в автоматическом режиме не может быть "
        "выполнена до завершения проверки. О результатах проверки и установке сертификата вы будете "
        "уведомлены дополнительно"
    )
    folder = stack.env["CERT_QUARANTINE_DIR"]
    kept = [n for n in os.listdir(folder) if n.startswith(cert.cert.serial_hex)]
    assert len(kept) == 1
    with open(os.path.join(folder, kept[0]), "rb") as f:
        assert f.read() == cert.cert.der
    notices = sink.wait(
        lambda rcpt, msg: (
            rcpt == ["admin@ozsp.test"] and cert.cert.serial_hex in str(msg.get_body(("plain",)).get_content())
        )
    )
    assert len(notices) == 1
    notice = notices[0]
    assert notice["Subject"] == M.ADMIN_SUBJECT
    [attached] = list(notice.iter_attachments())
    assert attached.get_filename() == f"{cert.cert.serial_hex}.cer" and attached.get_content() == cert.cert.der
    assert user["email"] in notice.get_body(("plain",)).get_content()
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM certificates WHERE thumbprint = :t"), {"t": cert.cert.thumbprint}
            ).scalar()
            == 0
        )
    assert journal_row(engine, message_id)["outcome"] == "unknown_ca"


# --- rule 4: СНИЛС and installation --------------------------------------------------------------------------


def test_different_snils_gets_the_snils_reply_and_installs_nothing(stack, engine, sink, world):
    user = world.user(snils="112-233-445 95")
    cert = world.issue(snils="12345678964")
    text_, _ = _reply_for(stack, sink, user["email"], [cert_zip(cert.cert.der)])
    assert text_ == (
        "Установка сертификата ключа проверки электронной подписи не может быть выполнена. Причина: "
        "СНИЛС, указанный в сертификате отличается от ранее зарегистрированного для данного абонента"
    )
    assert not os.path.exists(os.path.join(stack.env["CERT_STORE_DIR"], f"{cert.cert.thumbprint}.cer"))
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM certificates WHERE user_id = :u"), {"u": user["id"]}).scalar()
    assert count == 0


def test_installation_error_gets_the_error_reply_with_its_message(stack, engine, sink, world):
    cert = world.issue()
    first, second = world.user(), world.user()
    text_, _ = _reply_for(stack, sink, first["email"], [cert_zip(cert.cert.der)])
    assert text_.startswith("Установка сертификата ключа проверки электронной подписи выполнена успешно.")
    text_, message_id = _reply_for(stack, sink, second["email"], [cert_zip(cert.cert.der)])
    assert text_ == (
        "Установка сертификата ключа проверки электронной подписи не может быть выполнена. "
        "Ошибка: Этот сертификат уже зарегистрирован для другого пользователя."
    )
    assert journal_row(engine, message_id)["outcome"] == "install_error"
    assert os.path.exists(os.path.join(stack.env["CERT_STORE_DIR"], f"{cert.cert.thumbprint}.cer")), (
        "the first user's installed file stays"
    )


# --- rule 5: success -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["der", "pem", "base64"])
def test_success_installs_registers_and_updates_the_record(stack, engine, sink, world, form):
    user = world.user(snils=None, surname="Старов", first="Старый", patronymic=None)
    earlier = world.issue("РАННИЙ СЕРТИФИКАТ", snils=None)
    with engine.begin() as conn:
        from services.journal import directory as D

        D.add_certificate(conn, user["id"], earlier.cert, actor="test")
    cert = world.issue(
        "НОВИКОВ НИКОЛАЙ НИКОЛАЕВИЧ", surname="НОВИКОВ", given_name="НИКОЛАЙ НИКОЛАЕВИЧ", snils="11223344595"
    )
    content = {"der": cert.cert.der, "pem": cert.cert.pem.encode(), "base64": base64.encodebytes(cert.cert.der)}[form]
    text_, message_id = _reply_for(stack, sink, user["email"], [cert_zip(content, stem="Новиков")])
    assert text_ == (
        "Установка сертификата ключа проверки электронной подписи выполнена успешно. "
        "Сертификат выдан: НОВИКОВ НИКОЛАЙ НИКОЛАЕВИЧ. Срок действия сертификата: "
        f"с {moscow_time(cert.cert.not_before)} по {moscow_time(cert.cert.not_after)}"
    )
    assert text_.endswith("с 01.01.2024 03:00:00 по 01.01.2074 03:00:00")
    with open(os.path.join(stack.env["CERT_STORE_DIR"], f"{cert.cert.thumbprint}.cer"), "rb") as f:
        assert f.read() == cert.cert.der
    with engine.connect() as conn:
        certs = conn.execute(
            text("SELECT thumbprint, source FROM certificates WHERE user_id = :u ORDER BY id"), {"u": user["id"]}
        ).all()
        record = conn.execute(
            text("SELECT surname, first_name, patronymic, snils FROM users WHERE id = :u"), {"u": user["id"]}
        ).one()
        ca_refresh = conn.execute(
            text(
                "SELECT count(*) FROM audit WHERE action = 'directory.ca.import' AND details->>'actor' = 'certmail' "
                "AND details->>'thumbprint' = :t"
            ),
            {"t": world.ca.cert.thumbprint},
        ).scalar()
        row = journal_row(engine, message_id)
    assert [tuple(c) for c in certs] == [(earlier.cert.thumbprint, "admin"), (cert.cert.thumbprint, "mail")]
    assert tuple(record) == ("НОВИКОВ", "НИКОЛАЙ", "НИКОЛАЕВИЧ", "11223344595")
    assert ca_refresh >= 1
    assert row["outcome"] == "installed" and row["user_id"] == user["id"] and row["reply_text"] == text_


def test_a_record_without_snils_takes_no_certificate_without_one(stack, engine, sink, world):
    user = world.user(snils=None)
    cert = world.issue(snils=None)
    text_, message_id = _reply_for(stack, sink, user["email"], [cert_zip(cert.cert.der)])
    assert text_ == M.INSTALL_ERROR.format(message=M.ERROR_NO_SNILS)
    assert journal_row(engine, message_id)["outcome"] == "snils_missing"
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM certificates WHERE user_id = :u"), {"u": user["id"]}).scalar() == 0
        )


def test_a_record_without_snils_hears_of_the_new_certificate_in_a_letter_of_its_own(stack, engine, sink, world):
    user = world.user(snils=None)
    second = f"second.{user['email']}"
    with engine.begin() as conn:
        from services.journal import directory as D

        D.add_email(conn, user["id"], second, actor="test")
    cert = world.issue("ОПОВЕЩЁНОВ ИВАН ИВАНОВИЧ", surname="ОПОВЕЩЁНОВ")
    text_, message_id = _reply_for(stack, sink, user["email"], [cert_zip(cert.cert.der)])
    assert text_.startswith("Установка сертификата ключа проверки электронной подписи выполнена успешно.")
    [notice] = sink.wait(
        lambda rcpt, m: (
            m["Subject"] == M.OWNER_SUBJECT and cert.cert.serial_hex in str(m.get_body(("plain",)).get_content())
        )
    )
    assert sorted(a.addr_spec for a in notice["To"].addresses) == sorted([user["email"], second])
    body = notice.get_body(("plain",)).get_content()
    assert "ОПОВЕЩЁНОВ ИВАН ИВАНОВИЧ" in body and user["email"] in body and "admin@ozsp.test" in body
    row = journal_row(engine, message_id)
    assert (row["outcome"], row["detail"]) == ("installed", "record_without_snils")


def test_equal_snils_installs(stack, engine, sink, world):
    user = world.user(snils="11223344595")
    cert = world.issue(snils="11223344595")
    text_, _ = _reply_for(stack, sink, user["email"], [cert_zip(cert.cert.der)])
    assert text_.startswith("Установка сертификата ключа проверки электронной подписи выполнена успешно.")


# --- rule 6: once per letter, journaled -------------------------------------------------------------------------


def test_a_letter_delivered_twice_is_answered_once(stack, engine, sink, world):
    user = world.user()
    msg = letter(user["email"], subject="Что-то")
    send(stack, msg)
    send(stack, msg)
    message_id = msg["Message-ID"]
    sink.wait_reply(message_id)
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM mail_letters WHERE message_id = :m"), {"m": message_id}).scalar()
            == 1
        )
    wait_for(lambda: True, 1.5, 1.5)  # give a wrong second reply the time to arrive
    assert len(sink.replies_to(message_id)) == 1


def test_a_letter_without_message_id_is_keyed_by_its_content(stack, engine, sink, world):
    user = world.user()
    msg = letter(user["email"], subject="Без идентификатора " + user["email"], message_id=False)
    # Signed once: a redelivery repeats the same bytes. Signed again in another second, DKIM's t= would differ and it
    # would be another letter (this test failed now and then that way).
    raw = mail_dkim.sign(mail_dkim.as_bytes(msg))
    send_raw(stack, raw, user["email"])
    send_raw(stack, raw, user["email"])
    subject = "Re: " + str(msg["Subject"])
    found = sink.wait(lambda rcpt, m: m["Subject"] == subject)
    assert len(found) == 1
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT letter_key, message_id FROM mail_letters WHERE subject = :s"), {"s": str(msg["Subject"])}
        ).all()
    assert len(rows) == 1 and rows[0].letter_key.startswith("r-") and rows[0].message_id is None
    wait_for(lambda: True, 1.5, 1.5)
    assert len(sink.wait(lambda rcpt, m: m["Subject"] == subject, timeout=0)) == 1


def test_the_letter_journal_records_time_sender_subject_outcome_and_reply(stack, engine, sink, world):
    user = world.user()
    message_id = send(stack, letter(user["email"], attachments=[]))
    sink.wait_reply(message_id)
    row = journal_row(engine, message_id)
    assert row["sender"] == user["email"] and row["subject"] == "ADD_CERT" and row["outcome"] == "no_cer"
    assert row["reply_text"] == M.NO_CER
    assert abs(row["received_at"] - datetime.now(UTC)) < timedelta(minutes=5)
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        letters = rpc.certmail.letters(500)
    assert any(
        item["subject"] == "ADD_CERT" and item["sender"] == user["email"] and item["outcome"] == "no_cer"
        for item in letters
    )
    columns = set(letters[0])
    assert {"received_at", "sender", "subject", "outcome", "reply_text"} <= columns


# --- administrator's pieces: outbox listing and the application (Приложение 1) --------------------------------


def test_outbox_listing_and_the_application_over_rpc(stack, engine, world):
    user = world.user(snils="11223344595")
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        outbox = rpc.certmail.list_outbox(10)
        html = rpc.certmail.application(world.org, user["id"])
        missing = rpc.certmail.application(world.org + 100000, None)
        other_org = rpc.certmail.application(1, user["id"])
    assert outbox == []  # the stack has a relay; the folder is used only without one
    assert "ПОЧТОВАЯ БОЛЬНИЦА" in html and "509977" in html and user["email"] in html
    assert "Почтов Пётр Петрович" in html and "112-233-445 95" in html and "Почтов П.П." in html
    assert missing is None and other_org is None
