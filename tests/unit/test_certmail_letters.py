"""Parsing letters (sender, subject, attachments, idempotency key) and building replies."""

import email
import email.policy
from email.message import EmailMessage

from services.certmail import letters as L


def build(
    sender="Пётр Почтов <Petr.Pochtov@MO.example.test>",
    subject="ADD_CERT",
    attachments=(),
    message_id="<m1@mo.example.test>",
):
    msg = EmailMessage()
    if sender:
        msg["From"] = sender
    msg["To"] = "reestrin@ozsp.test"
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content("Текст письма роли не играет.")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="zip", filename=name)
    return msg.as_bytes()


def test_sender_subject_and_attachments():
    letter = L.parse(build(attachments=[("Иванов.zip", b"PK..")]))
    assert letter.sender == "petr.pochtov@mo.example.test"
    assert letter.subject == "ADD_CERT" and letter.message_id == "<m1@mo.example.test>"
    assert [(a.filename, a.content, a.size) for a in letter.attachments] == [("Иванов.zip", b"PK..", 4)]
    assert not letter.malformed


def test_body_parts_are_not_attachments():
    msg = EmailMessage()
    msg["From"] = "a@b.test"
    msg.set_content("plain")
    msg.add_alternative("<p>html</p>", subtype="html")
    assert L.parse(msg.as_bytes()).attachments == []


def test_key_is_the_message_id_or_the_content():
    with_id = L.parse(build())
    assert with_id.key == L.parse(build(subject="other")).key and with_id.key.startswith("m-")
    raw = build(message_id=None)
    assert L.parse(raw).key == L.parse(raw).key and L.parse(raw).key.startswith("r-")
    assert L.parse(raw).key != L.parse(build(message_id=None, subject="x")).key


def test_oversized_attachment_keeps_its_size_but_not_its_content():
    letter = L.parse(build(attachments=[("a.zip", b"x" * 100)]), max_attachment=50)
    assert letter.attachments[0].content is None and letter.attachments[0].size == 100


def test_forwarded_letter_is_one_attachment_and_is_not_looked_into():
    inner = email.message_from_bytes(build(attachments=[("ivanov.zip", b"PK")]), policy=email.policy.default)
    outer = EmailMessage()
    outer["From"] = "a@b.test"
    outer["Subject"] = "ADD_CERT"
    outer.set_content("see attached")
    outer.add_attachment(inner)
    letter = L.parse(outer.as_bytes())
    assert len(letter.attachments) == 1 and letter.attachments[0].filename == ""


def test_no_or_several_senders_mean_no_sender():
    assert L.parse(build(sender=None)).sender is None
    assert L.parse(build(sender="a@b.test, c@d.test")).sender is None
    assert L.parse(build(sender="not an address")).sender is None


def test_deep_nesting_is_malformed_not_a_crash():
    nested = "".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(40))
    raw = f"From: a@b.test\r\nSubject: ADD_CERT\r\nMIME-Version: 1.0\r\n{nested}\r\nx\r\n".encode()
    letter = L.parse(raw)
    assert letter.malformed and letter.sender == "a@b.test"


def test_garbage_never_raises():
    for raw in (
        b"",
        b"\xff\xfe\x00",
        b"From: =?utf-8?b?!!!?=\r\nSubject: =?bad?q?=FF?=\r\n\r\n\xff",
        b"Content-Type: multipart/mixed\r\n\r\n--\r\n" * 50,
        b"A" * 10000,
    ):
        letter = L.parse(raw)
        assert isinstance(letter.subject, str)


def test_auto_submitted_header():
    assert not L.parse(build()).auto_submitted
    assert L.parse(b"Auto-Submitted: auto-replied\r\nFrom: a@b.test\r\n\r\nx").auto_submitted
    assert not L.parse(b"Auto-Submitted: no\r\nFrom: a@b.test\r\n\r\nx").auto_submitted


def test_folded_and_encoded_subject_is_one_line():
    raw = b"From: a@b.test\r\nSubject: =?utf-8?b?0J/RgNC40LLQtdGC?=\r\n  ADD\r\n\r\nx"
    assert L.parse(raw).subject == "Привет ADD"


def test_reply_answers_the_letter_with_a_fixed_message_id():
    reply = L.build_reply(
        "m-abc", "petr@mo.example.test", "Re: ADD_CERT", "Текст ответа", "reestrin@ozsp.test", "<m1@mo.example.test>"
    )
    again = L.build_reply(
        "m-abc", "petr@mo.example.test", "Re: ADD_CERT", "Текст ответа", "reestrin@ozsp.test", "<m1@mo.example.test>"
    )
    assert reply["Message-ID"] == again["Message-ID"] == "<reply.m-abc@ozsp.test>"
    assert reply["In-Reply-To"] == "<m1@mo.example.test>" and reply["Auto-Submitted"] == "auto-replied"
    parsed = email.message_from_bytes(reply.as_bytes(), policy=email.policy.default)
    assert parsed.get_body(("plain",)).get_content() == "Текст ответа\n"


def test_reply_subject_cannot_inject_headers():
    reply = L.build_reply("k", "a@b.test", "Re: x\r\nBcc: victim@x.test", "t", "reestrin@ozsp.test")
    assert reply["Bcc"] is None and "\n" not in str(reply["Subject"])


def test_notice_carries_the_certificate():
    notice = L.build_notice("k", "admin@ozsp.test", "Тема", "Текст", "reestrin@ozsp.test", ("01AB.cer", b"\x30\x00"))
    [part] = list(notice.iter_attachments())
    assert part.get_filename() == "01AB.cer" and part.get_content() == b"\x30\x00"
