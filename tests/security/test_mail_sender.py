"""Issue 17, section 1: certificate mail counts a letter only from an authenticated sender. Each test attacks the
running stack's SMTP intake as a hostile sender would: the attacker knows a user's trusted address and wants his own
certificate (issued by a directory CA, so valid) registered for that user, to sign in as the user. Tried before the
fix: a forged From: did it. Letters from the honest side are DKIM-signed by mo.example.test (tests/mail_dkim.py)."""

import base64

import pytest
from sqlalchemy import text

from services.certmail import dkimdns
from services.certmail import messages as M
from tests import mail_dkim
from tests.integration.test_certmail_kit import World, cert_zip, journal_row, letter, send, send_raw, sink  # noqa: F401 (sink is a fixture)
from tests.support import wait_for

pytestmark = pytest.mark.integration
ATTACKER = "mallory@attacker.example.test"


@pytest.fixture(scope="module")
def world(engine):
    return World(engine, "ПОДЛОГ")


@pytest.fixture
def victim(world):
    return world.user(snils="112-233-445 95")


@pytest.fixture(scope="module")
def attackers_cert(world):
    """The attacker's own certificate: valid, from a directory CA, with the victim's СНИЛС typed in."""
    return world.issue("ЗЛОУМЫШЛЕННИКОВ ИВАН ИВАНОВИЧ", surname="ЗЛОУМЫШЛЕННИКОВ", snils="11223344595")


def certificates_of(engine, user_id):
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT thumbprint FROM certificates WHERE user_id = :u"), {"u": user_id}).scalars().all()
        )


def login_status(stack, holder):
    """Status of a sign-in with holder's certificate and key (the real challenge/CMS flow)."""
    import requests

    session = requests.Session()
    session.get(stack.base_url + "/login", timeout=30)
    headers = {"X-CSRF-Token": session.cookies.get("ozsp_csrf")}
    issued = session.post(stack.base_url + "/login/challenge", json={}, headers=headers, timeout=30).json()
    signature = base64.b64encode(holder.sign_challenge(issued["challenge"].encode())).decode()
    return session.post(
        stack.base_url + "/login",
        json={"challenge_id": issued["id"], "signature": signature},
        headers=headers,
        timeout=30,
    ).status_code


def refused(stack, engine, sink, message_id, victim, reason):
    """The letter was journaled as from an untrusted sender for `reason`, unanswered, nothing registered, the
    administrator told (the address is registered), the attempt audited."""
    row = journal_row(engine, message_id)
    assert (row["outcome"], row["detail"], row["reply_text"]) == ("untrusted_sender", reason, None)
    [notice] = sink.wait(
        lambda rcpt, m: (
            rcpt == ["admin@ozsp.test"]
            and m["Subject"] == M.ADMIN_UNAUTHENTICATED_SUBJECT
            and message_id in m.get_body(("plain",)).get_content()
        )
    )
    assert M.SENDER_REASONS[reason] in notice.get_body(("plain",)).get_content()
    assert sink.replies_to(message_id) == []
    assert certificates_of(engine, victim["id"]) == []
    with engine.connect() as conn:
        assert (
            conn.execute(
                text(
                    "SELECT count(*) FROM audit WHERE action = 'mail.letter.untrusted_sender' AND "
                    "details->>'message_id' = :m"
                ),
                {"m": message_id},
            ).scalar()
            == 1
        )


def test_a_forged_from_without_dkim_registers_nothing_and_the_attacker_cannot_sign_in(
    stack, engine, sink, victim, attackers_cert
):
    message_id = send(stack, letter(victim["email"], attachments=[cert_zip(attackers_cert.cert.der)]), signed=False)
    refused(stack, engine, sink, message_id, victim, "no_dkim_signature")
    assert login_status(stack, attackers_cert) != 200


def test_a_dkim_signature_of_another_domain_does_not_count(stack, engine, sink, victim, attackers_cert):
    raw = mail_dkim.sign(
        mail_dkim.as_bytes(letter(victim["email"], attachments=[cert_zip(attackers_cert.cert.der)])), attacker=True
    )  # valid, but for attacker.example.test
    message_id = letter_id(raw)
    send_raw(stack, raw, victim["email"])
    refused(stack, engine, sink, message_id, victim, "dkim_not_aligned")


def test_a_genuine_letter_with_its_attachment_swapped_breaks_the_body_hash(
    stack, engine, sink, world, victim, attackers_cert
):
    genuine = letter(victim["email"], attachments=[cert_zip(world.issue().cert.der)])
    forged = letter(victim["email"], attachments=[cert_zip(attackers_cert.cert.der)])
    del forged["Message-ID"]
    forged["Message-ID"] = genuine["Message-ID"]
    for msg in (genuine, forged):
        msg.set_boundary("==ozsp-boundary==")
    head = mail_dkim.sign(mail_dkim.as_bytes(genuine)).split(b"\r\n\r\n", 1)[0]
    body = mail_dkim.as_bytes(forged).split(b"\r\n\r\n", 1)[1]
    send_raw(stack, head + b"\r\n\r\n" + body, victim["email"])  # the intercepted letter's headers and signature
    refused(stack, engine, sink, genuine["Message-ID"], victim, "dkim_body_hash_mismatch")


def test_the_envelope_sender_must_be_the_from_address(stack, engine, sink, victim, attackers_cert):
    msg = letter(victim["email"], attachments=[cert_zip(attackers_cert.cert.der)])
    message_id = send(stack, msg, envelope=ATTACKER)  # correctly signed, handed in by someone else
    refused(stack, engine, sink, message_id, victim, "envelope_mismatch")


def test_a_replayed_letter_is_not_processed_twice(stack, engine, sink, world, victim):
    own = world.issue("ПОВТОРОВ ИВАН ИВАНОВИЧ", surname="ПОВТОРОВ", snils="11223344595")
    msg = letter(victim["email"], attachments=[cert_zip(own.cert.der)])
    raw = mail_dkim.sign(mail_dkim.as_bytes(msg))
    send_raw(stack, raw, victim["email"])
    sink.wait_reply(msg["Message-ID"])
    send_raw(stack, raw, victim["email"])  # the same letter again: the same Message-ID, the same signature
    wait_for(lambda: True, 1.5, 1.5)  # time for a wrong second reply to arrive
    assert len(sink.replies_to(msg["Message-ID"])) == 1
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM mail_letters WHERE message_id = :m"), {"m": msg["Message-ID"]}
            ).scalar()
            == 1
        )
    assert certificates_of(engine, victim["id"]) == [own.cert.thumbprint]


def test_a_replayed_signature_under_a_new_message_id_is_refused(stack, engine, sink, world, victim):
    """A sender whose mail server does not sign Message-ID: the captured letter re-sent under a new Message-ID
    keeps a valid signature, and is refused because that signature already counted once."""
    own = world.issue("ПОВТОРОВ ПЁТР ИВАНОВИЧ", surname="ПОВТОРОВ", snils="11223344595")
    msg = letter(victim["email"], attachments=[cert_zip(own.cert.der)])
    raw = dkimdns.sign(mail_dkim.as_bytes(msg), headers=("from", "to", "subject"))
    send_raw(stack, raw, victim["email"])
    assert journal_row(engine, msg["Message-ID"])["outcome"] == "installed"
    replay_id = msg["Message-ID"].replace("@", ".replay@")
    send_raw(stack, raw.replace(msg["Message-ID"].encode(), replay_id.encode()), victim["email"])
    refused_row = journal_row(engine, replay_id)
    assert (refused_row["outcome"], refused_row["detail"]) == ("untrusted_sender", "replayed")
    assert sink.replies_to(replay_id) == []


def test_a_valid_signed_letter_installs_and_its_owner_signs_in(stack, engine, sink, world, victim):
    own = world.issue("ЧЕСТНОВ ИВАН ИВАНОВИЧ", surname="ЧЕСТНОВ", snils="11223344595")
    message_id = send(stack, letter(victim["email"], attachments=[cert_zip(own.cert.der)]))
    reply = sink.wait_reply(message_id).get_body(("plain",)).get_content()
    assert reply.startswith("Установка сертификата ключа проверки электронной подписи выполнена успешно.")
    assert journal_row(engine, message_id)["detail"] is None  # the record had a СНИЛС: no separate notice
    assert certificates_of(engine, victim["id"]) == [own.cert.thumbprint]
    assert login_status(stack, own) == 200


# --- a trusted MTA in front of the intake (Authentication-Results; 127.0.0.2 in the test stack) ------------------


def ar(value):
    return f"Authentication-Results: {value}\r\n".encode()


def test_a_trusted_mtas_dmarc_pass_counts_for_a_letter_it_hands_in(stack, engine, sink, world, victim):
    own = world.issue("ПЕРЕДАНОВ ИВАН ИВАНОВИЧ", surname="ПЕРЕДАНОВ", snils="11223344595")
    msg = letter(victim["email"], attachments=[cert_zip(own.cert.der)])
    header = ar(f"{mail_dkim.MTA_AUTHSERV_ID}; dmarc=pass header.from=mo.example.test")
    send_raw(stack, header + mail_dkim.as_bytes(msg), victim["email"], source=mail_dkim.MTA_ADDRESS)
    assert journal_row(engine, msg["Message-ID"])["outcome"] == "installed"


@pytest.mark.parametrize(
    "authserv_id, source",
    [
        (mail_dkim.MTA_AUTHSERV_ID, "127.0.0.1"),  # the header forged by a sender that reached the intake directly
        ("mx.attacker.example.test", mail_dkim.MTA_ADDRESS),  # a header some other server wrote
    ],
)
def test_authentication_results_from_anyone_else_count_for_nothing(
    stack, engine, sink, victim, attackers_cert, authserv_id, source
):
    msg = letter(victim["email"], attachments=[cert_zip(attackers_cert.cert.der)])
    header = ar(f"{authserv_id}; dmarc=pass header.from=mo.example.test; dkim=pass header.d=mo.example.test")
    send_raw(stack, header + mail_dkim.as_bytes(msg), victim["email"], source=source)
    refused(stack, engine, sink, msg["Message-ID"], victim, "no_dkim_signature")


def letter_id(raw):
    import email

    return email.message_from_bytes(raw)["Message-ID"]
