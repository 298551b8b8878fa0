"""Dead letters (#20 §3): a message failing its schema is kept in ozsp.dead with its source and reason in its
headers, visible in the management UI; `ozsp dead list|requeue|drop` handles it, audited."""

import os
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
import requests
from kombu import Connection, Producer
from sqlalchemy import text

from services import broker_setup, dead_cli
from shared import broker, dead
from shared.messages import ANSWERS_QUEUE, WORK_QUEUE
from tests.support import wait_for

pytestmark = pytest.mark.integration


def send(uri, queue, body):
    with Connection(uri, connect_timeout=10) as conn:
        Producer(conn.channel()).publish(body, routing_key=queue, serializer="json", delivery_mode=2)


def dead_from(uri, source):
    return [m for m in dead_cli.list_dead(uri) if m["source"] == source]


@pytest.fixture
def uri(stack):
    uri = stack.env["AMQP_URI"]
    dead_cli.handle(uri, "drop", set(), every=True)  # an empty queue to begin with
    return uri


@pytest.mark.parametrize("queue", [ANSWERS_QUEUE, WORK_QUEUE])
def test_a_poisoned_message_is_kept_with_its_reason(uri, queue):
    send(uri, queue, {"chunk_id": "not-a-chunk", "unexpected": 1})
    kept = wait_for(lambda: dead_from(uri, queue), 30, 0.3, f"the message from {queue} in ozsp.dead")
    assert len(kept) == 1 and kept[0]["reason"] and kept[0]["at"].endswith("+03:00") and kept[0]["id"]


def test_the_operator_sees_it_in_the_management_ui(uri, settings):
    send(uri, ANSWERS_QUEUE, {"chunk_id": 1})
    wait_for(lambda: dead_from(uri, ANSWERS_QUEUE), 30, 0.3, "the dead message")
    api, auth = broker_setup._api(settings.rabbit_management_url)
    vhost = quote(broker.vhost_of(uri), safe="")
    got = requests.post(
        f"{api}/queues/{vhost}/{dead.DEAD_QUEUE}/get",
        auth=auth,
        json={"count": 1, "ackmode": "ack_requeue_true", "encoding": "auto"},
        timeout=10,
    ).json()
    headers = got[0]["properties"]["headers"]
    assert headers[dead.SOURCE] == ANSWERS_QUEUE and headers[dead.REASON]


def test_requeue_and_drop_are_audited(uri, stack, engine):
    send(uri, ANSWERS_QUEUE, {"chunk_id": 2})
    first = wait_for(lambda: dead_from(uri, ANSWERS_QUEUE), 30, 0.3, "the dead message")[0]
    done = dead_cli.handle(uri, "requeue", {first["id"]}, every=False)
    dead_cli.audit("requeue", done, stack.env["DATABASE_URL"])
    assert [d["id"] for d in done] == [first["id"]]

    def again():  # still malformed: back in ozsp.dead under a new id (the path works once the cause is fixed)
        found = dead_from(uri, ANSWERS_QUEUE)
        return found if found and found[0]["id"] != first["id"] else None

    second = wait_for(again, 30, 0.3, "the requeued message to come back")[0]
    env = {**os.environ, "AMQP_URI": uri, "DATABASE_URL": stack.env["DATABASE_URL"]}
    listed = subprocess.run(
        [sys.executable, "-m", "services.cli", "dead", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert second["id"] in listed.stdout and "причина" in listed.stdout, listed.stderr
    dropped = subprocess.run(
        [sys.executable, "-m", "services.cli", "dead", "drop", second["id"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert dropped.returncode == 0 and "удалено: 1" in dropped.stdout, dropped.stderr
    time.sleep(0.5)
    assert dead_from(uri, ANSWERS_QUEUE) == []
    with engine.connect() as conn:
        actions = dict(
            conn.execute(
                text("SELECT object_id, action FROM audit WHERE action LIKE 'dead.%' AND object_id IN (:a, :b)"),
                {"a": first["id"], "b": second["id"]},
            ).all()
        )
    assert actions == {first["id"]: "dead.requeue", second["id"]: "dead.drop"}
