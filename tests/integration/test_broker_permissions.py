"""Least-privilege broker access (#20 §2) on the run's stack, whose services connect as their own users: what a
subsystem's or a service's credentials may not do, the broker refuses."""

import time

import pytest
import requests
from kombu import Connection, Exchange, Producer, Queue
from nameko.standalone.rpc import ClusterRpcProxy

from services import broker_setup
from shared import broker
from tests.conftest import BROKER_SECRET

pytestmark = pytest.mark.integration

SUBSYSTEM = "tfoms_test"
RPC = Exchange(broker_setup.RPC_EXCHANGE, "topic", durable=True, passive=True)


@pytest.fixture(scope="module")
def subsystem_uri(stack, settings):
    broker_setup.apply(stack.env["AMQP_URI"], settings.rabbit_management_url, BROKER_SECRET, [SUBSYSTEM])
    return broker_setup.party_uri(stack.env["AMQP_URI"], BROKER_SECRET, f"sub.{SUBSYSTEM}")


def refusal(uri, act):
    """None when the broker lets `act(channel)` through, else its refusal."""
    try:
        with Connection(uri, connect_timeout=10) as conn:
            channel = conn.channel()
            act(channel)
            channel.basic_qos(0, 1, False)  # a round trip: a refused publish closes the channel before it returns
        return None
    except Exception as exc:
        return str(exc)


def publish(routing_key, exchange=RPC, **properties):
    return lambda channel: Producer(channel, exchange, auto_declare=False).publish(
        {"args": [], "kwargs": {}}, routing_key=routing_key, **properties
    )


def bind(queue, routing_key, exchange=RPC):
    return lambda channel: Queue(queue, exchange, routing_key=routing_key, exclusive=True)(channel).declare()


@pytest.mark.parametrize(
    "routing_key", ["journal.start_session", "journal.get_request", "journal.list_requests", "certmail.application"]
)
def test_a_subsystem_cannot_call_internal_rpcs(subsystem_uri, routing_key):
    assert "ACCESS_REFUSED" in refusal(subsystem_uri, publish(routing_key))


@pytest.mark.parametrize("queue", ["ozsp.journal.answers", "ozsp.ferzl.work"])
def test_a_subsystem_cannot_publish_to_internal_queues(subsystem_uri, queue):
    reason = refusal(subsystem_uri, publish(queue, exchange=Exchange("", "direct")))
    assert "ACCESS_REFUSED" in reason and "amq.default" in reason


def test_a_subsystem_reaches_the_public_api_as_itself_only(subsystem_uri, stack):
    user = broker_setup.user_name(broker.vhost_of(stack.env["AMQP_URI"]), f"sub.{SUBSYSTEM}")
    assert refusal(subsystem_uri, publish("public_api.lookup", user_id=user)) is None
    forged = broker_setup.user_name(broker.vhost_of(stack.env["AMQP_URI"]), "gateway")
    assert "PRECONDITION_FAILED" in refusal(subsystem_uri, publish("public_api.lookup", user_id=forged))


def test_a_subsystem_cannot_listen_to_internal_calls(subsystem_uri):
    own = broker_setup.subsystem_prefix(SUBSYSTEM)
    assert refusal(subsystem_uri, bind(own + "replies", own + "abc")) is None
    assert "ACCESS_REFUSED" in refusal(subsystem_uri, bind(own + "spy", "journal.*"))
    assert "ACCESS_REFUSED" in refusal(subsystem_uri, bind(own + "spy", "#"))
    assert "ACCESS_REFUSED" in refusal(subsystem_uri, bind("rpc-journal", "journal.*")), "not the journal's queue"


def test_a_subsystem_hears_its_own_events_only(subsystem_uri):
    """public_api.events: a subsystem binds "<event>.<its name>" and nothing else (its organisation's events)."""
    events = Exchange(broker_setup.EVENTS_EXCHANGE, "topic", durable=True, passive=True)
    own = broker_setup.subsystem_prefix(SUBSYSTEM)
    assert refusal(subsystem_uri, bind(own + "ev", f"request_answered.{SUBSYSTEM}", events)) is None
    assert "ACCESS_REFUSED" in refusal(subsystem_uri, bind(own + "ev", "request_answered.tfoms_other", events))
    assert "ACCESS_REFUSED" in refusal(subsystem_uri, bind(own + "ev", "#", events))
    journal_events = Exchange("journal.events", "topic", durable=True, passive=True)
    assert "ACCESS_REFUSED" in refusal(subsystem_uri, bind(own + "ev", "requests_finished", journal_events))


def test_only_the_gateway_mints_sessions_and_only_certmail_registers_mail(stack):
    def as_(party):
        return broker_setup.party_uri(stack.env["AMQP_URI"], BROKER_SECRET, party)

    assert "ACCESS_REFUSED" in refusal(as_("certmail"), publish("journal.start_session"))
    assert "ACCESS_REFUSED" in refusal(as_("flk"), publish("journal.session_identity"))
    assert "ACCESS_REFUSED" in refusal(as_("gateway"), publish("journal.mail_register"))
    assert "ACCESS_REFUSED" in refusal(as_("ferzl_bridge"), publish("journal.get_request"))


@pytest.mark.parametrize("service", ["gateway", "flk", "public_api"])
def test_only_the_journal_bridge_and_certmail_publish_to_a_queue_by_name(stack, service):
    """The default exchange routes by queue name, which no permission can narrow: a service that does not need it
    (the gateway faces the users) cannot forge an answer in ozsp.journal.answers or work in ozsp.ferzl.work."""
    uri = broker_setup.party_uri(stack.env["AMQP_URI"], BROKER_SECRET, service)
    for queue in ("ozsp.journal.answers", "ozsp.ferzl.work"):
        reason = refusal(uri, publish(queue, exchange=Exchange("", "direct")))
        assert "ACCESS_REFUSED" in reason and "amq.default" in reason


def test_the_services_run_as_their_own_users_and_work(stack, settings):
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        assert rpc.journal.ping()  # the stack answers as usual
    api, auth = broker_setup._api(settings.rabbit_management_url)
    vhost = broker.vhost_of(stack.env["AMQP_URI"])
    expected = {broker_setup.user_name(vhost, s) for s in broker_setup.CALLS}
    users = set()
    for _ in range(30):  # the management API lists connections a few seconds late
        listed = requests.get(f"{api}/vhosts/{requests.utils.quote(vhost, safe='')}/connections", auth=auth, timeout=10)
        users = {c["user"] for c in listed.json()}
        if expected <= users:
            break
        time.sleep(1)
    assert expected <= users
    assert not {u for u in users if u.startswith(vhost + ".")} - expected - {f"{vhost}.sub.{SUBSYSTEM}"}
    r = stack.api("GET", "/api/v1/health")
    assert r.status_code == 200


def test_a_stacks_users_go_with_it(settings):
    from tests import support

    vhost = support.unique_name("ozsp-test-users")
    uri = support.amqp_uri_for_vhost(settings, vhost)
    delete_vhost = support.create_vhost(settings, vhost)
    try:
        made = broker_setup.apply(uri, settings.rabbit_management_url, BROKER_SECRET, ["tfoms_gone"])
        assert len(made) == len(broker_setup.CALLS) + 1
    finally:
        delete_vhost()
    assert broker_setup.remove_users(uri, settings.rabbit_management_url) == len(made)
    api, auth = broker_setup._api(settings.rabbit_management_url)
    left = [u["name"] for u in requests.get(f"{api}/users", auth=auth, timeout=10).json()]
    assert not [u for u in left if u.startswith(vhost + ".")]
