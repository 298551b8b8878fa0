"""The journal's part of certificate mail on a real PostgreSQL: sender facts, the letter journal (each letter
processed once), and the one-transaction registration."""

import uuid

import pytest
from sqlalchemy import text

from services.journal import directory as D
from services.journal import mail
from shared.gost.testpki import TestPki
from tests.integration.test_certmail_kit import issue, make_ca

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ca():
    return make_ca(TestPki(seed=uuid.uuid4().hex), "УЦ ЖУРНАЛА ПИСЕМ")


@pytest.fixture
def user(engine):
    email = f"j.{uuid.uuid4().hex[:10]}@Mo.Example.Test"
    with engine.begin() as conn:
        org = D.add_organization(conn, 'ГБУЗ МО "ЖУРНАЛЬНАЯ"', "mo", "509966", actor="test")
        user_id = D.add_user(conn, org, "Журналов", "Иван", None, position="врач", emails=[email], actor="test")
    return {"id": user_id, "org": org, "email": email.lower()}


def letter(holder="copy-1", key=None, sender=None):
    return {
        "key": key or "m-" + uuid.uuid4().hex,
        "holder": holder,
        "message_id": "<x@mo.test>",
        "received_at": "2025-05-05T10:00:00+00:00",
        "sender": sender,
        "subject": "ADD_CERT",
    }


def test_sender_facts(engine, user):
    with engine.begin() as conn:
        facts = mail.sender_facts(conn, user["email"].upper())
        assert facts == {
            "user_id": user["id"],
            "user_active": True,
            "snils": None,
            "organization_id": user["org"],
            "organization_active": True,
            "emails": [user["email"]],
        }
        D.set_organization_active(conn, user["org"], False)
        assert mail.sender_facts(conn, user["email"])["organization_active"] is False
        assert mail.sender_facts(conn, "nobody@x.test") is None and mail.sender_facts(conn, None) is None


def test_claim_states(engine, user):
    first = letter(sender=user["email"])
    with engine.begin() as conn:
        assert mail.claim_letter(conn, first)["state"] == "new"
        assert mail.claim_letter(conn, first)["state"] == "mine"  # a redelivery of the same copy
        assert mail.claim_letter(conn, {**first, "holder": "copy-2"}) == {"state": "busy"}
        assert mail.finish_letter(conn, first["key"], "no_cer", "текст")
        assert not mail.finish_letter(conn, first["key"], "installed", "другой")  # the outcome is recorded once
        done = mail.claim_letter(conn, first)
        assert done == {
            "state": "done",
            "outcome": "no_cer",
            "reply_text": "текст",
            "reply_due": True,
            "detail": None,
            "sender": mail.sender_facts(conn, user["email"]),
        }
        assert mail.claim_letter(conn, {**first, "holder": "copy-2"})["reply_due"] is False
        mail.mark_delivered(conn, first["key"])
        assert mail.claim_letter(conn, first)["reply_due"] is False


def test_a_stale_claim_is_taken_over(engine):
    first = letter()
    with engine.begin() as conn:
        mail.claim_letter(conn, first)
        conn.execute(
            text("UPDATE mail_letters SET claimed_at = now() - interval '1 hour' WHERE letter_key = :k"),
            {"k": first["key"]},
        )
        assert mail.claim_letter(conn, {**first, "holder": "copy-2"})["state"] == "mine"
        assert (
            conn.execute(text("SELECT holder FROM mail_letters WHERE letter_key = :k"), {"k": first["key"]}).scalar()
            == "copy-2"
        )


def test_nothing_to_send_is_delivered_at_once(engine):
    first = letter()
    with engine.begin() as conn:
        mail.claim_letter(conn, first)
        mail.finish_letter(conn, first["key"], "untrusted_sender", None, deliver=False)
        assert mail.claim_letter(conn, first)["reply_due"] is False


def test_a_signature_authenticates_one_letter_only(engine):
    first, replay = letter(), letter()
    with engine.begin() as conn:
        mail.claim_letter(conn, first)
        mail.claim_letter(conn, replay)
        assert mail.record_signature(conn, first["key"], "s-abc")
        assert mail.record_signature(conn, first["key"], "s-abc")  # the same letter again (a redelivery)
        assert not mail.record_signature(conn, replay["key"], "s-abc")  # a replay under another Message-ID
        assert mail.record_signature(conn, replay["key"], "s-def")


def test_an_untrusted_sender_is_audited(engine, user):
    first = letter(sender=user["email"])
    with engine.begin() as conn:
        mail.claim_letter(conn, first)
        mail.finish_letter(conn, first["key"], "untrusted_sender", None, "no_dkim_signature", user["id"], deliver=True)
        row = conn.execute(
            text(
                "SELECT user_id, details FROM audit WHERE action = 'mail.letter.untrusted_sender' "
                "ORDER BY id DESC LIMIT 1"
            )
        ).one()
    assert row.user_id == user["id"]
    assert row.details == {"detail": "no_dkim_signature", "sender": user["email"], "message_id": "<x@mo.test>"}


def test_register_from_mail_in_one_transaction(engine, ca, user):
    cert = issue(ca, "РЕГИСТРОВ ПЁТР ПАВЛОВИЧ", surname="РЕГИСТРОВ", given_name="ПЁТР ПАВЛОВИЧ", snils="11223344595")
    first = letter(sender=user["email"])
    with engine.begin() as conn:
        mail.claim_letter(conn, first)
        cert_id = mail.register_from_mail(conn, first["key"], user["id"], cert.cert, ca.cert, "успех")
        row = conn.execute(
            text("SELECT surname, first_name, patronymic, snils, position FROM users WHERE id = :u"), {"u": user["id"]}
        ).one()
        stored = conn.execute(
            text("SELECT outcome, certificate_id, user_id FROM mail_letters WHERE letter_key = :k"), {"k": first["key"]}
        ).one()
        ca_row = conn.execute(text("SELECT active FROM cas WHERE thumbprint = :t"), {"t": ca.cert.thumbprint}).one()
    assert tuple(row) == ("РЕГИСТРОВ", "ПЁТР", "ПАВЛОВИЧ", "11223344595", "врач")
    assert tuple(stored) == ("installed", cert_id, user["id"]) and ca_row.active
    with engine.connect() as conn:  # the certificate overrode the record: old and new values are audited
        details = conn.execute(
            text(
                "SELECT details FROM audit WHERE action = 'mail.user.update_from_certificate' "
                "AND object_id = :u ORDER BY id DESC LIMIT 1"
            ),
            {"u": str(user["id"])},
        ).scalar()
    assert details == {
        "serial": cert.cert.serial_hex,
        "changes": {
            "surname": {"old": "ЖУРНАЛОВ", "new": "РЕГИСТРОВ"},
            "first_name": {"old": "ИВАН", "new": "ПЁТР"},
            "patronymic": {"old": None, "new": "ПАВЛОВИЧ"},
            "snils": {"old": None, "new": "11223344595"},
        },
    }


def test_a_refused_registration_changes_nothing(engine, ca, user):
    cert = issue(ca, "ЧУЖОЙ СЕРТИФИКАТ", snils=None)
    with engine.begin() as conn:
        other = D.add_user(conn, user["org"], "Другой", "Пользователь", emails=[], actor="test")
        D.add_certificate(conn, other, cert.cert, actor="test")
    first = letter(sender=user["email"])
    with engine.begin() as conn:
        mail.claim_letter(conn, first)
    with pytest.raises(D.DirectoryError):
        with engine.begin() as conn:
            mail.register_from_mail(conn, first["key"], user["id"], cert.cert, ca.cert, "успех")
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT outcome FROM mail_letters WHERE letter_key = :k"), {"k": first["key"]}).scalar()
            is None
        )
        assert conn.execute(text("SELECT surname FROM users WHERE id = :u"), {"u": user["id"]}).scalar() == "ЖУРНАЛОВ"


def test_application_data_and_letter_list(engine, user):
    with engine.connect() as conn:
        data = mail.application_data(conn, user["org"], user["id"])
        assert data["organization"]["registry_code"] == "509966"
        assert data["user"]["emails"] == [user["email"]] and data["user"]["position"] == "врач"
        assert mail.application_data(conn, user["org"])["user"] is None
        assert mail.application_data(conn, user["org"], 10**9) is None
        assert mail.application_data(conn, 10**9) is None
        rows = mail.list_letters(conn, 5)
    assert len(rows) <= 5 and {"received_at", "sender", "subject", "outcome", "reply_text"} <= set(rows[0])
