"""Try certificate registration by e-mail locally (test PKI only, synthetic people):

    python -m services.certmail.demo prepare var/certmail-demo     # ca.cer, ca.crl and <name>.zip with <name>.cer
    ozsp directory ca-import var/certmail-demo/ca.cer
    ozsp directory crl-import var/certmail-demo/ca.crl
    ozsp directory email-add 1 demo@mo.example.test
    python -m services.certmail.demo send var/certmail-demo/demo.zip --sender demo@mo.example.test

`send` signs the letter with the dev DKIM key of mo.example.test (services/certmail/devkey), as the sender's
mail server would, and gives the From: address as the envelope sender; certmail finds the key through
DKIM_DNS_FILE (dev mode, `make run` sets it). `--unsigned` sends a forged letter: it stays unanswered and the
administrator is told. The reply lands in MAIL_OUTBOX_DIR (var/mail/outbox) when no SMTP_RELAY is set.
"""

import argparse
import io
import os
import smtplib
import zipfile
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from services.certmail import dkimdns
from shared import config
from shared.gost.certs import Certificate
from shared.gost.testpki import DevPki

DEMO_SNILS = "11223344595"  # synthetic (112-233-445 95): a record without СНИЛС takes only a certificate with one


def prepare(
    folder: str, name: str = "demo", cn: str = "ДЕМОНСТРАЦИОННЫЙ ПОЛЬЗОВАТЕЛЬ ТЕСТОВИЧ", snils: str = DEMO_SNILS
) -> Certificate:
    os.makedirs(folder, exist_ok=True)
    dev = DevPki()
    fields: dict[str, Any] = dict(
        surname=cn.split()[0],
        given_name=" ".join(cn.split()[1:]) or None,
        snils=snils,
        label=f"demo:{os.urandom(8).hex()}",
    )
    try:
        user = dev.ca.issue(cn, **fields)
    except KeyError:  # testpki trips over some certificate sizes; one more attribute changes the size
        user = dev.ca.issue(cn, organization="ДЕМОНСТРАЦИЯ", **fields)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{name}.cer", user.cert.der)
    files = {"ca.cer": dev.ca.cert.der, "ca.crl": dev.crl.der, f"{name}.zip": buf.getvalue()}
    for filename, data in files.items():
        with open(os.path.join(folder, filename), "wb") as f:
            f.write(data)
    return user.cert


def send(
    zip_path: str | None,
    sender: str,
    smtp_address: str,
    subject: str = "ADD_CERT",
    signed: bool = True,
    dkim_key: str | None = None,
    selector: str = dkimdns.DEV_SELECTOR,
    domain: str = dkimdns.DEV_DOMAIN,
) -> str:
    """Send an ADD_CERT letter to the intake, DKIM-signed (the dev key by default) unless signed=False."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, config.load().mail_from, subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg.set_content("Сертификат во вложении.")
    if zip_path:
        with open(zip_path, "rb") as f:
            msg.add_attachment(f.read(), maintype="application", subtype="zip", filename=os.path.basename(zip_path))
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    if signed:
        key = None
        if dkim_key:
            with open(dkim_key, "rb") as f:
                key = f.read()
        raw = dkimdns.sign(raw, key, selector, domain)
    host, _, port = smtp_address.rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=30) as smtp:
        smtp.sendmail(sender, [msg["To"]], raw)  # the envelope sender is the From: address
    return msg["Message-ID"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.certmail.demo", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="тестовый УЦ, СОС и сертификат в ZIP")
    p.add_argument("folder")
    p.add_argument("--cn", default="ДЕМОНСТРАЦИОННЫЙ ПОЛЬЗОВАТЕЛЬ ТЕСТОВИЧ")
    p.add_argument("--snils", default=DEMO_SNILS)
    p = sub.add_parser("send", help="отправить письмо ADD_CERT на приём (с подписью DKIM)")
    p.add_argument("zip", nargs="?")
    p.add_argument("--sender", required=True)
    p.add_argument("--subject", default="ADD_CERT")
    p.add_argument("--smtp", default=config.load().smtp_address)
    p.add_argument("--unsigned", action="store_true", help="без подписи DKIM (поддельное письмо)")
    p.add_argument("--dkim-key", help="закрытый ключ RSA (PEM) вместо ключа разработки")
    p.add_argument("--dkim-selector", default=dkimdns.DEV_SELECTOR)
    p.add_argument("--dkim-domain", default=dkimdns.DEV_DOMAIN)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        cert = prepare(args.folder, cn=args.cn, snils=args.snils)
        print(f"Готово: {args.folder} (серийный номер сертификата {cert.serial_hex})")
    else:
        print(
            "Отправлено:",
            send(
                args.zip,
                args.sender,
                args.smtp,
                args.subject,
                not args.unsigned,
                args.dkim_key,
                args.dkim_selector,
                args.dkim_domain,
            ),
        )


if __name__ == "__main__":
    main()
