"""The `make run` default: no SMTP relay, so replies are written to the local mail folder, which
certmail.list_outbox lists. Runs journal, certmail and the intake on a database and vhost of their own."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.certmail import demo
from services.certmail import messages as M
from services.journal import directory as D
from shared.gost import load_certificate, load_crl
from tests.integration.test_certmail_kit import own_mail_stack
from tests.support import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def local(settings, output_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("certmail-local")
    with own_mail_stack(settings, output_dir, folder, "certmail-local", SMTP_RELAY="") as stack:
        yield stack


def _outbox(env):
    try:
        with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, timeout=30) as rpc:
            return rpc.certmail.list_outbox(10)
    except Exception:  # certmail still starting (UnknownService)
        return []


def test_the_demo_exchange_ends_in_the_local_outbox(local):
    prepared = local["folder"] / "demo"
    cert = demo.prepare(str(prepared))
    with local["engine"].begin() as conn:
        D.import_ca(conn, load_certificate((prepared / "ca.cer").read_bytes()), actor="test")
        D.import_crl(conn, load_crl((prepared / "ca.crl").read_bytes()), actor="test")
        org = D.add_organization(conn, 'ГБУЗ МО "ДЕМО"', "mo", "509955", actor="test")
        D.add_user(conn, org, "Демо", "Пользователь", emails=["demo@mo.example.test"], actor="test")
    address = local["env"]["SMTP_ADDRESS"]
    wait_for(lambda: _can_send(prepared / "demo.zip", address), 60, 0.5, "the intake")  # signed with the dev key
    items = wait_for(
        lambda: _outbox(local["env"]) if len(_outbox(local["env"])) == 2 else None,
        60,
        0.3,
        "the reply and the notice in the outbox",
    )
    [item] = [i for i in items if i["subject"] == "Re: ADD_CERT"]
    [added] = [i for i in items if i["subject"] == M.OWNER_SUBJECT]  # the record had no СНИЛС
    assert added["to"] == "demo@mo.example.test" and cert.serial_hex in _read(local["env"], added["name"])["text"]
    assert item["to"] == "demo@mo.example.test" and item["from"] == "reestrin@ozsp.test"
    assert item["text"].startswith(
        f"Установка сертификата ключа проверки электронной подписи выполнена успешно. Сертификат выдан: {cert.cn}."
    )
    assert (local["folder"] / "store" / f"{cert.thumbprint}.cer").read_bytes() == cert.der

    demo.send(None, "demo@mo.example.test", address, subject="ADD_CERT")
    items = wait_for(lambda: [i for i in _outbox(local["env"]) if i["text"] == M.NO_CER], 60, 0.3, "the second")
    with ClusterRpcProxy({"AMQP_URI": local["env"]["AMQP_URI"]}, timeout=30) as rpc:
        letter = rpc.certmail.read_outbox(items[0]["name"])
    assert letter["text"] == M.NO_CER and "In-Reply-To" in letter["raw"]

    forged = demo.send(str(prepared / "demo.zip"), "demo@mo.example.test", address, signed=False)
    notice = wait_for(
        lambda: [i for i in _outbox(local["env"]) if i["subject"] == M.ADMIN_UNAUTHENTICATED_SUBJECT],
        60,
        0.3,
        "the administrator's notice",
    )
    assert notice[0]["to"] == "admin@ozsp.test" and forged in _read(local["env"], notice[0]["name"])["text"]
    assert sum(i["subject"] == "Re: ADD_CERT" for i in _outbox(local["env"])) == 2  # none to the forged letter


def _read(env, name):
    with ClusterRpcProxy({"AMQP_URI": env["AMQP_URI"]}, timeout=30) as rpc:
        return rpc.certmail.read_outbox(name)


def _can_send(zip_path, address):
    try:
        demo.send(str(zip_path), "demo@mo.example.test", address)
        return True
    except OSError:
        return False
