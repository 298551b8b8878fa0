"""services.journal.calls.mail on a real PostgreSQL, without a broker: the letter journal and the registration
from a letter with its refusals as {ok, error}."""

import base64

import pytest

from services.journal.calls import mail as calls
from tests.integration.test_certmail_journal import ca, letter, user  # noqa: F401 (ca and user are fixtures)
from tests.integration.test_certmail_kit import issue

pytestmark = pytest.mark.integration


def b64(cert):
    return base64.b64encode(cert.der).decode()


def test_a_letter_is_claimed_signed_finished_and_listed(engine, user):
    first = letter(sender=user["email"])
    claimed = calls.mail_claim(engine, first)
    assert claimed["state"] == "new" and claimed["sender"]["user_id"] == user["id"]
    assert calls.mail_claim(engine, {**first, "holder": "copy-2"}) == {"state": "busy"}
    assert calls.mail_signature(engine, first["key"], "sig-" + first["key"]) is True
    assert calls.mail_signature(engine, "other-" + first["key"], "sig-" + first["key"]) is False
    assert calls.mail_finish(engine, first["key"], "refused", "отказ", "detail", user["id"]) is True
    assert calls.mail_finish(engine, first["key"], "refused") is False  # once
    calls.mail_delivered(engine, first["key"])
    row = next(r for r in calls.mail_letters(engine, 1000) if r["sender"] == user["email"])
    assert row["outcome"] == "refused" and isinstance(row["delivered_at"], str) and isinstance(row["received_at"], str)


def test_registration_from_a_letter(engine, ca, user):
    cert = issue(ca, "ВЫЗОВОВ ПЁТР", surname="ВЫЗОВОВ", given_name="ПЁТР").cert
    first = letter(sender=user["email"])
    calls.mail_claim(engine, first)
    done = calls.mail_register(engine, first["key"], user["id"], b64(cert), b64(ca.cert), "успех")
    assert done["ok"] is True and isinstance(done["certificate_id"], int)
    refused = calls.mail_register(engine, first["key"], 999_999_999, b64(cert), b64(ca.cert), "успех")
    assert refused["ok"] is False and "не найден" in refused["error"]


def test_application_data(engine, user):
    data = calls.mail_application_data(engine, str(user["org"]), str(user["id"]))
    assert data["organization"]["id"] == user["org"] and data["user"]["emails"] == [user["email"]]
    assert calls.mail_application_data(engine, user["org"])["user"] is None
    assert calls.mail_application_data(engine, 999_999_999) is None
