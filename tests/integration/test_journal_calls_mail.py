"""services.journal.calls.mail on a real PostgreSQL, without a broker: the letter journal and the registration
from a letter with its refusals as {ok, error}."""

import base64
import uuid

import pytest

from services.journal import directory as D
from services.journal.calls import mail as calls
from shared.gost.testpki import TestPki
from tests.integration.test_certmail_kit import issue, make_ca


@pytest.fixture(scope="module")
def ca():
    return make_ca(TestPki(seed=uuid.uuid4().hex), "УЦ ВЫЗОВОВ ПОЧТЫ")


@pytest.fixture
def user(quiet_engine):
    email = f"v.{uuid.uuid4().hex[:10]}@mo.example.test"
    with quiet_engine.begin() as conn:
        org = D.add_organization(conn, 'ГБУЗ МО "ПОЧТОВАЯ"', "mo", "509988", actor="test")
        user_id = D.add_user(conn, org, "Почтов", "Пётр", emails=[email], actor="test")
    return {"id": user_id, "org": org, "email": email}


def letter(sender):
    return {"key": "m-" + uuid.uuid4().hex, "holder": "copy-1", "sender": sender, "subject": "ADD_CERT"}


def b64(cert):
    return base64.b64encode(cert.der).decode()


def test_a_letter_is_claimed_signed_finished_and_listed(quiet_engine, user):
    first = letter(user["email"])
    claimed = calls.mail_claim(quiet_engine, first)
    assert claimed["state"] == "new" and claimed["sender"]["user_id"] == user["id"]
    assert calls.mail_claim(quiet_engine, {**first, "holder": "copy-2"}) == {"state": "busy"}
    assert calls.mail_signature(quiet_engine, first["key"], "sig-" + first["key"]) is True
    assert calls.mail_signature(quiet_engine, "other-" + first["key"], "sig-" + first["key"]) is False
    assert calls.mail_finish(quiet_engine, first["key"], "refused", "отказ", "detail", user["id"]) is True
    assert calls.mail_finish(quiet_engine, first["key"], "refused") is False  # once
    calls.mail_delivered(quiet_engine, first["key"])
    row = next(r for r in calls.mail_letters(quiet_engine, 1000) if r["sender"] == user["email"])
    assert row["outcome"] == "refused" and isinstance(row["delivered_at"], str) and isinstance(row["received_at"], str)


def test_registration_from_a_letter(quiet_engine, ca, user):
    cert = issue(ca, "ПОЧТОВ ПЁТР", surname="ПОЧТОВ", given_name="ПЁТР").cert
    first = letter(user["email"])
    calls.mail_claim(quiet_engine, first)
    done = calls.mail_register(quiet_engine, first["key"], user["id"], b64(cert), b64(ca.cert), "успех")
    assert done["ok"] is True and isinstance(done["certificate_id"], int)
    refused = calls.mail_register(quiet_engine, first["key"], 999_999_999, b64(cert), b64(ca.cert), "успех")
    assert refused["ok"] is False and "не найден" in refused["error"]


def test_application_data(quiet_engine, user):
    data = calls.mail_application_data(quiet_engine, str(user["org"]), str(user["id"]))
    assert data["organization"]["id"] == user["org"] and data["user"]["emails"] == [user["email"]]
    assert calls.mail_application_data(quiet_engine, user["org"])["user"] is None
    assert calls.mail_application_data(quiet_engine, 999_999_999) is None
