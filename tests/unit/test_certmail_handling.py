"""One letter through handling.handle with a fake journal and mailer: installation errors, redelivery,
duplicates, defects on hostile input, and what is sent to whom."""

import base64
import io
import zipfile
from email.message import EmailMessage

import pytest

from services.certmail import dkimdns
from services.certmail import handling as H
from services.certmail import messages as M
from shared import config
from shared.gost.testpki import TestPki
from tests.fakes.journal import FakeJournal
from tests.unit.test_certmail_rules import issue


@pytest.fixture(scope="module")
def pki():
    pki = TestPki(seed="certmail-handling")
    ca = pki.ca("УЦ ОБРАБОТКИ ПИСЕМ")
    return {"pki": pki, "ca": ca, "crl": ca.crl()}


SENDER = {
    "user_id": 5,
    "user_active": True,
    "organization_active": True,
    "snils": None,
    "emails": ["petr@mo.example.test", "p2@mo.example.test"],
}


def journal_for(pki, sender=None, register=None):
    """The fake journal (tests/fakes/journal.py) with the test CA and its CRL, and the letters' sender."""
    journal = FakeJournal()
    journal.sender = sender if sender is not None else dict(SENDER)
    if register is not None:
        journal.register_result = register
    journal.material = {
        "cas": [base64.b64encode(pki["ca"].cert.der).decode()],
        "crls": [base64.b64encode(pki["crl"].der).decode()],
    }
    return journal


class FakeMailer:
    def __init__(self, fail=0):
        self.sent, self.fail = [], fail

    def send(self, msg):
        if self.fail:
            self.fail -= 1
            raise OSError("relay down")
        self.sent.append(msg)


def settings(tmp_path, **kw):
    return config.Settings(
        cert_store_dir=str(tmp_path / "store"),
        cert_quarantine_dir=str(tmp_path / "q"),
        mail_outbox_dir=str(tmp_path / "out"),
        ozsp_mode="dev",
        dkim_dns_file=dkimdns.DEV_DNS_FILE,
        **kw,
    )


def body(
    der=None,
    subject="ADD_CERT",
    letter_id="copy-1",
    message_id="<x@mo.example.test>",
    signed=True,
    mail_from="petr@mo.example.test",
):
    """A queue message as the intake makes it; signed with the dev DKIM key of mo.example.test."""
    msg = EmailMessage()
    msg["From"] = "petr@mo.example.test"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content("x")
    if der is not None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("petr.cer", der)
        msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename="petr.zip")
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    raw = dkimdns.sign(raw) if signed else raw
    return {
        "letter_id": letter_id,
        "received_at": "2025-01-01T00:00:00+00:00",
        "raw_b64": base64.b64encode(raw).decode(),
        "mail_from": mail_from,
        "peer": "127.0.0.1",
    }


def text_of(msg):
    return msg.get_body(("plain",)).get_content().strip()


def test_success_installs_the_file_and_replies(pki, tmp_path):
    cert = issue(pki["ca"], snils="11223344595")
    journal, mailer = journal_for(pki), FakeMailer()
    ctx = H.Context(journal, mailer, settings(tmp_path))
    assert H.handle(body(cert.cert.der), ctx) == "installed"
    assert (tmp_path / "store" / f"{cert.cert.thumbprint}.cer").read_bytes() == cert.cert.der
    reply, added = mailer.sent
    assert reply["To"] == "petr@mo.example.test" and text_of(reply).startswith(
        "Установка сертификата ключа проверки электронной подписи выполнена успешно."
    )
    assert journal.calls == [("register", 5)] and list(journal.rows.values())[0]["delivered"]
    # the record had no СНИЛС: every address of record hears of it in a letter of its own
    assert added["To"] == "p2@mo.example.test, petr@mo.example.test" and added["Subject"] == M.OWNER_SUBJECT
    assert added["Message-ID"] != reply["Message-ID"] and added["Auto-Submitted"] == "auto-generated"
    text = text_of(added)
    assert cert.cert.serial_hex in text and "petr@mo.example.test" in text and "admin@ozsp.test" in text


def test_a_record_with_a_snils_gets_no_separate_notice(pki, tmp_path):
    cert = issue(pki["ca"], snils="11223344595")
    journal, mailer = journal_for(pki), FakeMailer()
    journal.sender = {**journal.sender, "snils": "112-233-445 95"}
    assert H.handle(body(cert.cert.der), H.Context(journal, mailer, settings(tmp_path))) == "installed"
    assert len(mailer.sent) == 1


def test_the_owner_notice_is_sent_again_after_a_failed_relay(pki, tmp_path):
    cert = issue(pki["ca"], snils="11223344595")
    journal, mailer = journal_for(pki), FakeMailer(fail=1)
    ctx = H.Context(journal, mailer, settings(tmp_path))
    with pytest.raises(OSError):
        H.handle(body(cert.cert.der), ctx)
    assert H.handle(body(cert.cert.der), ctx) == "duplicate"
    assert [m["Subject"] for m in mailer.sent] == ["Re: ADD_CERT", M.OWNER_SUBJECT]


@pytest.mark.parametrize(
    "queued, reason",
    [
        (dict(signed=False), "no_dkim_signature"),
        (dict(mail_from="attacker@attacker.example.test"), "envelope_mismatch"),
    ],
)
def test_an_unauthenticated_sender_is_untrusted_and_the_administrator_told(pki, tmp_path, queued, reason):
    cert = issue(pki["ca"], snils="11223344595")
    journal, mailer = journal_for(pki), FakeMailer()
    assert H.handle(body(cert.cert.der, **queued), H.Context(journal, mailer, settings(tmp_path))) == "untrusted_sender"
    [notice] = mailer.sent
    assert notice["To"] == "admin@ozsp.test" and notice["Subject"] == M.ADMIN_UNAUTHENTICATED_SUBJECT
    assert M.SENDER_REASONS[reason] in text_of(notice) and "petr@mo.example.test" in text_of(notice)
    assert journal.calls == [] and list(journal.rows.values())[0]["detail"] == reason


def test_a_replayed_signature_is_untrusted(pki, tmp_path):
    journal, mailer = journal_for(pki), FakeMailer()
    ctx = H.Context(journal, mailer, settings(tmp_path))
    first = body(subject="Вопрос")
    assert H.handle(first, ctx) == "unknown_template"
    journal.signatures = {k: "another letter" for k in journal.signatures}  # as if it came under a new key
    journal.rows.clear()
    assert H.handle(first, ctx) == "untrusted_sender"
    assert list(journal.rows.values())[0]["detail"] == "replayed"


def test_an_unknown_address_costs_no_dns_lookup(pki, tmp_path):
    def no_dns(name, timeout=5):
        raise AssertionError("looked up")

    journal, mailer = journal_for(pki, sender={}), FakeMailer()
    ctx = H.Context(journal, mailer, settings(tmp_path), dns=no_dns)
    assert H.handle(body(subject="ADD_CERT"), ctx) == "untrusted_sender" and mailer.sent == []


def test_dns_not_answering_retries_the_letter(pki, tmp_path):
    def down(name, timeout=5):
        raise TimeoutError()

    journal = journal_for(pki)
    with pytest.raises(H.TemporaryFailure):
        H.handle(body(subject="ADD_CERT"), H.Context(journal, FakeMailer(), settings(tmp_path), dns=down))
    assert list(journal.rows.values())[0]["outcome"] is None


def test_directory_refusal_becomes_the_error_reply_and_removes_the_new_file(pki, tmp_path):
    cert = issue(pki["ca"], snils="11223344595")
    journal = journal_for(
        pki, register={"ok": False, "error": "Этот сертификат уже зарегистрирован для другого пользователя."}
    )
    mailer = FakeMailer()
    assert H.handle(body(cert.cert.der), H.Context(journal, mailer, settings(tmp_path))) == "install_error"
    assert text_of(mailer.sent[0]) == (
        "Установка сертификата ключа проверки электронной подписи не может быть "
        "выполнена. Ошибка: Этот сертификат уже зарегистрирован для другого "
        "пользователя."
    )
    assert not (tmp_path / "store" / f"{cert.cert.thumbprint}.cer").exists()


def test_store_that_cannot_be_written_is_an_installation_error(pki, tmp_path):
    blocker = tmp_path / "store"
    blocker.write_text("a file where the folder should be")
    cert = issue(pki["ca"], snils="11223344595")
    journal, mailer = journal_for(pki), FakeMailer()
    assert H.handle(body(cert.cert.der), H.Context(journal, mailer, settings(tmp_path))) == "install_error"
    assert text_of(mailer.sent[0]) == M.INSTALL_ERROR.format(message=M.ERROR_STORE)
    assert journal.calls == []


def test_unknown_ca_is_quarantined_and_the_administrator_gets_the_certificate(pki, tmp_path):
    cert = issue(pki["pki"].ca("ЧУЖОЙ УЦ"))
    journal, mailer = journal_for(pki), FakeMailer()
    assert H.handle(body(cert.cert.der), H.Context(journal, mailer, settings(tmp_path))) == "unknown_ca"
    assert [p.read_bytes() for p in (tmp_path / "q").iterdir()] == [cert.cert.der]
    reply, notice = mailer.sent
    assert text_of(reply) == M.UNKNOWN_CA.format(serial=cert.cert.serial_hex)
    assert notice["To"] == "admin@ozsp.test" and notice["Subject"] == M.ADMIN_SUBJECT
    assert [p.get_content() for p in notice.iter_attachments()] == [cert.cert.der]


def test_failed_relay_retries_the_letter_and_the_redelivery_sends_the_journaled_reply(pki, tmp_path):
    journal, mailer = journal_for(pki), FakeMailer(fail=1)
    ctx = H.Context(journal, mailer, settings(tmp_path))
    with pytest.raises(OSError):
        H.handle(body(subject="Вопрос"), ctx)
    assert mailer.sent == [] and list(journal.rows.values())[0]["outcome"] == "unknown_template"
    assert H.handle(body(subject="Вопрос"), ctx) == "duplicate"
    assert [text_of(m) for m in mailer.sent] == [M.UNKNOWN_TEMPLATE]
    assert H.handle(body(subject="Вопрос"), ctx) == "duplicate" and len(mailer.sent) == 1


def test_a_second_copy_sends_nothing(pki, tmp_path):
    journal, mailer = journal_for(pki), FakeMailer()
    ctx = H.Context(journal, mailer, settings(tmp_path))
    H.handle(body(subject="Вопрос", letter_id="copy-1"), ctx)
    assert H.handle(body(subject="Вопрос", letter_id="copy-2"), ctx) == "duplicate"
    assert len(mailer.sent) == 1


def test_a_defect_is_journaled_without_reply(pki, tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise RecursionError("deep")

    monkeypatch.setattr(H.rules, "decide", explode)
    journal, mailer = journal_for(pki), FakeMailer()
    assert H.handle(body(subject="ADD_CERT"), H.Context(journal, mailer, settings(tmp_path))) == "internal_error"
    assert mailer.sent == [] and list(journal.rows.values())[0]["delivered"]


def test_journal_unavailable_for_trust_material_retries(pki, tmp_path):
    journal = journal_for(pki)
    journal.trust_material = lambda: (_ for _ in ()).throw(TimeoutError())
    with pytest.raises(H.TemporaryFailure):
        H.handle(body(issue(pki["ca"]).cert.der), H.Context(journal, FakeMailer(), settings(tmp_path)))
    assert list(journal.rows.values())[0]["outcome"] is None


def test_an_unknown_address_is_journaled_as_delivered_with_nothing_sent(pki, tmp_path):
    journal, mailer = journal_for(pki, sender={}), FakeMailer()
    assert H.handle(body(subject="ADD_CERT"), H.Context(journal, mailer, settings(tmp_path))) == "untrusted_sender"
    assert mailer.sent == [] and list(journal.rows.values())[0]["delivered"]


def test_sender_tag_hides_the_address():
    tag = H.sender_tag("Petr@MO.test", "secret")
    assert tag == H.sender_tag("petr@mo.test", "secret") and "petr" not in tag and tag.startswith("h:")
    assert tag != H.sender_tag("petr@mo.test", "another secret")  # keyed: not confirmable by hashing a guess


@pytest.mark.parametrize(
    "queued", [None, [], {"letter_id": "x"}, {"letter_id": "x", "raw_b64": "%%%"}, {"raw_b64": "QQ=="}]
)
def test_a_queue_message_that_is_not_a_letter_is_dropped(pki, tmp_path, queued):
    journal, mailer = journal_for(pki), FakeMailer()
    assert H.handle(queued, H.Context(journal, mailer, settings(tmp_path))) == "not_a_letter"
    assert journal.rows == {} and mailer.sent == []


def test_a_permanent_refusal_by_the_relay_is_given_up(pki, tmp_path):
    class Refusing:
        def send(self, msg):
            raise H.outbox.PermanentFailure(550)

    journal = journal_for(pki)
    assert H.handle(body(subject="Вопрос"), H.Context(journal, Refusing(), settings(tmp_path))) == "unknown_template"
    assert list(journal.rows.values())[0]["delivered"]


def test_where_names_the_place_not_the_message():
    try:
        raise ValueError("petr@mo.test")
    except ValueError as exc:
        text = H.where(exc)
    assert text.startswith("ValueError at test_certmail_handling.py:") and "petr" not in text


def test_a_missing_crl_is_fetched_from_the_certificates_distribution_point_and_the_letter_installs(pki, tmp_path):
    cert = issue(pki["ca"], snils="11223344595", crl_urls=["http://cdp.example.test/ca.crl"])
    journal, mailer = journal_for(pki), FakeMailer()
    journal.material = {**journal.material, "crls": []}  # the directory has the CA, not yet its CRL

    def crl_fetch_for(cert_b64):
        journal.calls.append(("crl_fetch_for", base64.b64decode(cert_b64) == cert.cert.der))
        journal.material = {**journal.material, "crls": [base64.b64encode(pki["crl"].der).decode()]}
        return "stored"

    journal.crl_fetch_for = crl_fetch_for
    assert H.handle(body(cert.cert.der), H.Context(journal, mailer, settings(tmp_path))) == "installed"
    assert journal.calls == [("crl_fetch_for", True), ("register", 5)]


@pytest.mark.parametrize("fetched, urls", [("failed", ["http://cdp.example.test/ca.crl"]), (None, [])])
def test_a_crl_that_cannot_be_had_stays_the_crl_error(pki, tmp_path, fetched, urls):
    cert = issue(pki["ca"], snils="11223344595", crl_urls=urls)
    journal, mailer = journal_for(pki), FakeMailer()
    journal.material = {**journal.material, "crls": []}
    journal.crl_fetch_for = lambda cert_b64: journal.calls.append("crl_fetch_for") or fetched
    assert H.handle(body(cert.cert.der), H.Context(journal, mailer, settings(tmp_path))) == "crl_unavailable"
    assert journal.calls == (["crl_fetch_for"] if urls else [])
    assert text_of(mailer.sent[0]) == M.INSTALL_ERROR.format(message=M.ERROR_CRL)
