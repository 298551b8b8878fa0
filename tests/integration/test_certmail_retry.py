"""A letter whose reply cannot be sent (the relay is down) waits in delay queues, is parked after MAIL_RETRY_ATTEMPTS
tries instead of going round for ever, and `ozsp letters requeue` sends it through once the relay is back.
journal, certmail and the intake run on a database and vhost of their own, with a relay port nobody listens on."""

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from services.certmail import messages as M
from services.certmail import retry
from services.ferzl_bridge.state import queue_depths
from tests import support
from tests.integration.test_certmail_kit import Sink, World, _address, _port_open, letter, own_mail_stack, send
from tests.support import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def local(settings, output_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("certmail-retry")
    with own_mail_stack(
        settings,
        output_dir,
        folder,
        "certmail-retry",
        SMTP_RELAY=f"127.0.0.1:{support.free_port()}",
        MAIL_RETRY_TIERS="0.3,0.6",
        MAIL_RETRY_ATTEMPTS="3",
    ) as stack:
        wait_for(lambda: _port_open(_address(stack["env"]["SMTP_ADDRESS"])), 60, 0.2, "the SMTP intake")
        yield SimpleNamespace(**stack)


def parked(env):
    return queue_depths(env["AMQP_URI"], [retry.PARKED_QUEUE]).get(retry.PARKED_QUEUE, 0)


def letter_row(engine, message_id):
    with engine.connect() as conn:
        return (
            conn.execute(
                text("SELECT outcome, delivered_at FROM mail_letters WHERE message_id = :m"), {"m": message_id}
            )
            .mappings()
            .first()
        )


def requeue(env):
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "letters", "requeue"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_letter_is_parked_after_its_last_try_and_requeued_once_the_relay_is_back(local):
    user = World(local.engine, "ОТЛОЖЕННЫЕ").user()
    message_id = send(local, letter(user["email"], subject="Сертификат"))  # answered with the unknown-template reply

    wait_for(lambda: parked(local.env) == 1, 60, 0.2, "the letter parked after three tries")
    row = letter_row(local.engine, message_id)
    assert row["outcome"] == "unknown_template" and row["delivered_at"] is None  # decided once, not yet sent

    sink = Sink()
    host, port = _address(local.env["SMTP_RELAY"])
    relay = Controller(sink, hostname=host, port=port, ready_timeout=10)
    relay.start()
    try:
        assert requeue(local.env) == "Возвращено в обработку писем: 1."
        reply = sink.wait_reply(message_id)
        assert reply.get_body(("plain",)).get_content().strip() == M.UNKNOWN_TEMPLATE
        wait_for(lambda: letter_row(local.engine, message_id)["delivered_at"], 30, 0.1, "the delivery journaled")
        assert parked(local.env) == 0
        assert requeue(local.env) == "Отложенных писем нет."
        assert len(sink.replies_to(message_id)) == 1  # one reply, however many tries it took
    finally:
        relay.stop()
