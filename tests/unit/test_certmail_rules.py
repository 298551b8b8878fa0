"""The rules of Приложение 2 as pure decisions: every outcome and every reply text (literal)."""

import io
import zipfile
from datetime import UTC, datetime

import pytest

from services.certmail import messages as M
from services.certmail import rules as R
from services.certmail import sender as S
from services.certmail.letters import Attachment, Letter
from shared.gost import TrustStore
from shared.gost.testpki import TestPki

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def issue(ca, *args, **kw):
    """ca.issue(); shared.gost.testpki fails on some certificate sizes with KeyError (reported to the lead):
    one more subject attribute changes the size."""
    try:
        return ca.issue(*args, **kw)
    except KeyError:
        return ca.issue(*args, organization="ТЕСТОВАЯ ОРГАНИЗАЦИЯ", **kw)


ACTIVE = {"user_id": 7, "user_active": True, "organization_active": True, "snils": None}
SIGNED = S.Verdict(True, S.DKIM_PASS, "b.test", "s-1")


@pytest.fixture(scope="module")
def pki():
    pki = TestPki(seed="certmail-rules")
    ca = pki.ca("УЦ ПРАВИЛ")
    revoked = issue(ca, "ОТОЗВАН", snils=None)
    return {"pki": pki, "ca": ca, "revoked": revoked, "store": TrustStore([ca.cert], [ca.crl(revoked=[revoked])])}


def zipped(der, stem="ivanov"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{stem}.cer", der)
    return Attachment(f"{stem}.zip", buf.getvalue(), len(buf.getvalue()))


def letter(subject="ADD_CERT", attachments=()):
    return Letter(key="m-1", message_id="<1@x>", sender="a@b.test", subject=subject, attachments=list(attachments))


def decide(pki, letter_, sender=ACTIVE, other=(), verdict=SIGNED):
    return R.decide(letter_, sender, lambda: pki["store"], other_templates=other, now=NOW, verdict=verdict)


# rule 1
@pytest.mark.parametrize(
    "sender, outcome, reply",
    [
        (ACTIVE, R.UNKNOWN_TEMPLATE, M.UNKNOWN_TEMPLATE),
        (None, R.UNTRUSTED, None),
        ({**ACTIVE, "user_active": False}, R.UNTRUSTED, None),
        ({**ACTIVE, "organization_active": False}, R.UNTRUSTED, None),
    ],
)
def test_unknown_subject(pki, sender, outcome, reply):
    decision = decide(pki, letter("Сертификат"), sender)
    assert (decision.outcome, decision.reply) == (outcome, reply)


def test_auto_replies_and_bounces_are_never_answered(pki):
    robot = letter("Автоответ: ADD_CERT")
    robot.auto_submitted = True
    assert (decide(pki, robot).outcome, decide(pki, robot).reply) == (R.AUTO_SUBMITTED, None)


def test_other_known_template_is_not_answered(pki):
    assert decide(pki, letter("other_task"), other={"OTHER_TASK"}).outcome == R.OTHER_TEMPLATE


@pytest.mark.parametrize("sender", [None, {**ACTIVE, "user_active": False}, {**ACTIVE, "organization_active": False}])
def test_add_cert_from_untrusted_sender_is_dropped(pki, sender):
    decision = decide(pki, letter(attachments=[zipped(issue(pki["ca"]).cert.der)]), sender)
    assert decision.outcome == R.UNTRUSTED and decision.reply is None and not decision.notify_admin


@pytest.mark.parametrize("subject", ["ADD_CERT", "Сертификат"])
@pytest.mark.parametrize(
    "verdict",
    [None, S.Verdict(False, S.NO_SIGNATURE), S.Verdict(False, S.ENVELOPE_MISMATCH), S.Verdict(False, S.REPLAYED)],
)
def test_a_registered_address_without_an_authenticated_sender_is_untrusted_and_the_administrator_told(
    pki, subject, verdict
):
    decision = decide(pki, letter(subject, attachments=[zipped(issue(pki["ca"]).cert.der)]), verdict=verdict)
    assert (decision.outcome, decision.reply, decision.notify_admin) == (R.UNTRUSTED, None, True)
    assert decision.detail == (verdict.reason if verdict else "not_authenticated")


def test_an_unknown_address_is_untrusted_whatever_the_signature(pki):
    for verdict in (SIGNED, None):
        decision = decide(pki, letter(), None, verdict=verdict)
        assert (decision.outcome, decision.detail, decision.notify_admin) == (R.UNTRUSTED, "unknown_address", False)


def test_the_default_is_not_authenticated(pki):
    assert R.decide(letter(), ACTIVE, lambda: pki["store"], now=NOW).outcome == R.UNTRUSTED


# rule 2
def test_no_attachment(pki):
    assert decide(pki, letter()).reply == (
        "В полученном от Вас письме отсутствует файл сертификата ключа проверки "
        "электронной подписи *.cer. Установка сертификата не может быть выполнена"
    )


@pytest.mark.parametrize(
    "attachments",
    [
        [Attachment("a.zip", b"x", 1), Attachment("b.txt", b"x", 1)],
        [Attachment("ivanov.cer", b"x", 1)],
        [Attachment("", b"x", 1)],
        [Attachment("ivanov.zip", None, 10**7)],
        [Attachment("ivanov.zip", b"not a zip", 9)],
    ],
)
def test_inadmissible_attachments(pki, attachments):
    decision = decide(pki, letter(attachments=attachments))
    assert decision.outcome == R.INVALID_FILES
    assert decision.reply == (
        "К полученному от Вас письму приложены недопустимые файлы. Установка сертификата "
        "ключа проверки электронной подписи не может быть выполнена"
    )


def test_attachment_name_with_a_client_path_is_reduced_to_its_name(pki):
    att = zipped(issue(pki["ca"], snils="11223344595").cert.der)
    att.filename = "C:\\Users\\Пётр\\ivanov.zip"
    assert decide(pki, letter(attachments=[att])).outcome == R.INSTALLED


def test_malformed_mime_is_inadmissible(pki):
    broken = letter()
    broken.malformed = True
    assert decide(pki, broken).outcome == R.INVALID_FILES


# rule 3
def test_expired_revoked_and_not_yet_valid(pki):
    ca = pki["ca"]
    expired = issue(ca, not_before=datetime(2020, 1, 1, tzinfo=UTC), not_after=datetime(2021, 1, 1, tzinfo=UTC))
    future = issue(ca, not_before=datetime(2030, 1, 1, tzinfo=UTC))
    mail_only = issue(ca, "ПОЧТОВ", extended_key_usage=["email_protection"])  # may not sign in: refused too
    for user, reason in (
        (expired, "expired"),
        (pki["revoked"], "revoked"),
        (future, "not_yet_valid"),
        (mail_only, "key_usage"),
    ):
        decision = decide(pki, letter(attachments=[zipped(user.cert.der)]))
        assert decision.outcome == R.CERT_INVALID and decision.detail == reason
        assert decision.reply == (
            f"Сертификат ключа проверки электронной подписи: {user.cert.serial_hex} "
            "недействителен. Установка сертификата не может быть выполнена"
        )


def test_unknown_ca(pki):
    other = issue(pki["pki"].ca("ЧУЖОЙ УЦ"))
    decision = decide(pki, letter(attachments=[zipped(other.cert.der)]))
    assert decision.outcome == R.UNKNOWN_CA and decision.notify_admin and decision.cert == other.cert
    assert decision.reply == M.UNKNOWN_CA.format(serial=other.cert.serial_hex)
    assert decision.reply.startswith(
        f"Сертификат ключа проверки электронной подписи: {other.cert.serial_hex} "
        "выдан неизвестным системе удостоверяющим центром."
    )


def test_same_ca_name_with_another_key_is_unknown_not_forged(pki):
    rekeyed = issue(TestPki(seed="another key").ca("УЦ ПРАВИЛ"))
    assert decide(pki, letter(attachments=[zipped(rekeyed.cert.der)])).outcome == R.UNKNOWN_CA


def test_forged_signature_is_invalid(pki):
    genuine = issue(pki["ca"], "ПОДДЕЛОВ", surname="ПОДДЕЛОВ")
    fake = genuine.cert.der.replace("ПОДДЕЛОВ".encode(), "ПОДМЕНОВ".encode())
    decision = decide(pki, letter(attachments=[zipped(fake)]))
    assert (decision.outcome, decision.detail) == (R.CERT_INVALID, "forged_signature")
    assert decision.reply == M.CERT_INVALID.format(serial=genuine.cert.serial_hex)


def test_missing_crl_is_an_error_reply_and_a_notice(pki):
    ca = pki["pki"].ca("УЦ БЕЗ СОС")
    user = issue(ca)
    decision = R.decide(
        letter(attachments=[zipped(user.cert.der)]), ACTIVE, lambda: TrustStore([ca.cert]), now=NOW, verdict=SIGNED
    )
    assert decision.outcome == R.CRL_UNAVAILABLE and decision.notify_admin
    assert decision.reply == (
        "Установка сертификата ключа проверки электронной подписи не может быть выполнена. Ошибка: " + M.ERROR_CRL
    )


@pytest.mark.parametrize("content", [b"", b"garbage", b"\x30\x82\xff\xff", b"-----BEGIN CERTIFICATE-----\nAA==\n"])
def test_malformed_certificate(pki, content):
    decision = decide(pki, letter(attachments=[zipped(content)]))
    assert decision.outcome == R.MALFORMED_CERT
    assert decision.reply == M.INSTALL_ERROR.format(message=M.ERROR_MALFORMED)


def test_trust_store_is_read_only_when_a_certificate_is_found(pki):
    def fail():
        raise AssertionError("not needed")

    assert R.decide(letter(), ACTIVE, fail, verdict=SIGNED).outcome == R.NO_CER


# rule 4
@pytest.mark.parametrize(
    "record, in_cert, outcome",
    [
        (None, "11223344595", R.INSTALLED),
        ("", "11223344595", R.INSTALLED),
        ("112-233-445 95", "11223344595", R.INSTALLED),
        ("11223344595", "12345678964", R.SNILS_MISMATCH),
        ("11223344595", None, R.SNILS_MISMATCH),
        (None, None, R.SNILS_MISSING),
        ("", None, R.SNILS_MISSING),
    ],
)
def test_snils(pki, record, in_cert, outcome):
    user = issue(pki["ca"], snils=in_cert)
    decision = decide(pki, letter(attachments=[zipped(user.cert.der)]), {**ACTIVE, "snils": record})
    assert decision.outcome == outcome
    if outcome == R.INSTALLED:  # the addresses of record hear of a certificate installed for a record without СНИЛС
        assert decision.notify_owner == (not record) and decision.detail == (None if record else R.RECORD_WITHOUT_SNILS)
    if outcome == R.SNILS_MISSING:
        assert decision.reply == (
            "Установка сертификата ключа проверки электронной подписи не может быть выполнена. "
            "Ошибка: в сертификате отсутствует СНИЛС владельца, а для данного абонента СНИЛС "
            "не зарегистрирован в справочнике абонентов"
        )
    if outcome == R.SNILS_MISMATCH:
        assert decision.reply == (
            "Установка сертификата ключа проверки электронной подписи не может быть выполнена. "
            "Причина: СНИЛС, указанный в сертификате отличается от ранее зарегистрированного "
            "для данного абонента"
        )


def test_install_error_text():
    assert R.install_error("диск заполнен").reply == (
        "Установка сертификата ключа проверки электронной подписи не может быть выполнена. Ошибка: диск заполнен"
    )


# rule 5
def test_success_text_with_cn_and_moscow_dates(pki):
    user = issue(
        pki["ca"],
        "ПЕТРОВ ПЁТР ПЕТРОВИЧ",
        not_before=datetime(2024, 3, 1, 21, 30, tzinfo=UTC),
        not_after=datetime(2025, 12, 31, 12, tzinfo=UTC),
    )
    decision = decide(pki, letter(attachments=[zipped(user.cert.der)]))
    assert decision.outcome == R.INSTALLED and decision.ca == pki["ca"].cert
    assert decision.reply == (
        "Установка сертификата ключа проверки электронной подписи выполнена успешно. "
        "Сертификат выдан: ПЕТРОВ ПЁТР ПЕТРОВИЧ. Срок действия сертификата: "
        "с 02.03.2024 00:30:00 по 31.12.2025 15:00:00"
    )


def test_certificate_of_a_letter_is_read_again(pki):
    user = issue(pki["ca"])
    assert R.certificate_of(letter(attachments=[zipped(user.cert.der)])) == user.cert
    assert R.certificate_of(letter()) is None
