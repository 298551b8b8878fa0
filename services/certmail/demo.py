"""Try certificate registration by e-mail locally (test PKI only, synthetic people):

    python -m services.certmail.demo prepare var/certmail-demo     # ca.cer, ca.crl and <name>.zip with <name>.cer
    ozsp directory ca-import var/certmail-demo/ca.cer
    ozsp directory crl-import var/certmail-demo/ca.crl
    ozsp directory email-add 1 demo@mo.example.test
    python -m services.certmail.demo send var/certmail-demo/demo.zip --sender demo@mo.example.test

The reply lands in MAIL_OUTBOX_DIR (var/mail/outbox) when no SMTP_RELAY is set.
"""
import argparse
import io
import os
import smtplib
import sys
import zipfile
from email.message import EmailMessage
from email.utils import make_msgid

from shared import config
from shared.gost.testpki import DevPki


def prepare(folder, name="demo", cn="ДЕМОНСТРАЦИОННЫЙ ПОЛЬЗОВАТЕЛЬ ТЕСТОВИЧ", snils=None):
    os.makedirs(folder, exist_ok=True)
    dev = DevPki()
    fields = dict(surname=cn.split()[0], given_name=" ".join(cn.split()[1:]) or None, snils=snils,
                  label=f"demo:{os.urandom(8).hex()}")
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


def send(zip_path, sender, smtp_address, subject="ADD_CERT"):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, config.load().mail_from, subject
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    msg.set_content("Сертификат во вложении.")
    if zip_path:
        with open(zip_path, "rb") as f:
            msg.add_attachment(f.read(), maintype="application", subtype="zip", filename=os.path.basename(zip_path))
    host, _, port = smtp_address.rpartition(":")
    with smtplib.SMTP(host, int(port), timeout=30) as smtp:
        smtp.send_message(msg)
    return msg["Message-ID"]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m services.certmail.demo", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="тестовый УЦ, СОС и сертификат в ZIP")
    p.add_argument("folder")
    p.add_argument("--cn", default="ДЕМОНСТРАЦИОННЫЙ ПОЛЬЗОВАТЕЛЬ ТЕСТОВИЧ")
    p.add_argument("--snils")
    p = sub.add_parser("send", help="отправить письмо ADD_CERT на приём")
    p.add_argument("zip", nargs="?")
    p.add_argument("--sender", required=True)
    p.add_argument("--subject", default="ADD_CERT")
    p.add_argument("--smtp", default=config.load().smtp_address)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        cert = prepare(args.folder, cn=args.cn, snils=args.snils)
        print(f"Готово: {args.folder} (серийный номер сертификата {cert.serial_hex})")
    else:
        print("Отправлено:", send(args.zip, args.sender, args.smtp, args.subject))


if __name__ == "__main__":
    sys.exit(main())
