"""services/broker_setup.py: CALLS matches what the services call and expose; the grants' regexes allow exactly
the intended routing keys (RabbitMQ applies them as the tests in tests/integration/test_broker_permissions.py show)."""

import ast
import os
import re
import uuid

import pytest

from services import broker_setup
from services.broker_setup import CALLS, JOURNAL_RPCS, PUBLIC_RPCS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROXIES = {"journal": "journal", "flk": "flk", "bridge": "ferzl_bridge", "certmail": "certmail"}


def rpcs_of(path):
    """The @rpc methods of a service module."""
    tree = ast.parse(open(os.path.join(ROOT, path), encoding="utf-8").read())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and any(ast.unparse(d) == "rpc" for d in node.decorator_list)
    }


def calls_in(folder):
    """'service.method' for every self.<proxy>.<method> in a service's sources."""
    found = set()
    for base, _, files in os.walk(os.path.join(ROOT, folder)):
        for name in files:
            if name.endswith(".py"):
                text = open(os.path.join(base, name), encoding="utf-8").read()
                for proxy, method in re.findall(r"\bself\.(journal|flk|bridge|certmail)\.([a-z_]+)\b", text):
                    found.add(f"{PROXIES[proxy]}.{method}")
    return found


def allows(regex, key):
    return re.search(regex, key) is not None  # RabbitMQ: an unanchored match; the grants anchor themselves


def test_every_journal_rpc_is_classified_and_every_call_exists():
    assert "start_session" in JOURNAL_RPCS and "mail_register" in JOURNAL_RPCS
    exposed = {
        "journal": rpcs_of("services/journal/service.py"),
        "flk": rpcs_of("services/flk/service.py"),
        "ferzl_bridge": rpcs_of("services/ferzl_bridge/service.py"),
        "certmail": rpcs_of("services/certmail/service.py"),
    }
    for service, calls in CALLS.items():
        for call in calls:
            target, method = call.split(".")
            assert method in exposed[target], f"{service} may call {call}, which does not exist"


@pytest.mark.parametrize("service", ["gateway", "certmail", "public_api"])
def test_what_a_service_calls_is_in_its_calls(service):
    missing = calls_in(f"services/{service}") - set(CALLS[service])
    assert not missing, f"add to CALLS[{service!r}]: {sorted(missing)}"


def test_only_the_gateway_mints_sessions_and_only_certmail_registers_mail():
    rpc = broker_setup.RPC_EXCHANGE
    for service in CALLS:
        write = broker_setup.service_grant(service).topics[rpc][0]
        assert allows(write, "journal.start_session") == (service == "gateway")
        for name in broker_setup.GATEWAY_ONLY:
            assert allows(write, f"journal.{name}") == (service == "gateway"), name
        assert allows(write, "journal.mail_register") == (service == "certmail")
        assert allows(write, "journal.subsystem_call") == (service == "public_api")
        assert allows(write, str(uuid.uuid4())), "a service replies to its callers"
        assert not allows(write, "journal.start_session.x") and not allows(write, "xjournal.ping")


def test_only_the_journal_bridge_and_certmail_write_to_the_default_exchange():
    for service in CALLS:
        write = broker_setup.service_grant(service).write
        assert allows(write, "amq.default") == (service in {"journal", "ferzl_bridge", "certmail"}), service
        assert allows(write, "nameko-rpc") and allows(write, "journal.events") and allows(write, "amq.defaults")


def test_a_subsystem_calls_the_public_api_only_and_reads_its_own_keys():
    grant = broker_setup.subsystem_grant("tfoms_x")
    write, read = grant.topics[broker_setup.RPC_EXCHANGE]
    assert all(allows(write, f"public_api.{n}") for n in PUBLIC_RPCS)
    for key in ("journal.start_session", "journal.get_request", "certmail.application", str(uuid.uuid4())):
        assert not allows(write, key)
    assert allows(read, "ozsp.sub.tfoms_x.abc") and not allows(read, "ozsp.sub.tfoms_y.abc")
    assert not allows(read, "journal.*") and not allows(read, "#")
    assert not allows(grant.write, "") and not allows(grant.write, "ozsp.ferzl.work"), "no default exchange"
    assert not allows(grant.configure, "nameko-rpc") and allows(grant.configure, "ozsp.sub.tfoms_x.replies")
    events = grant.topics["public_api.events"][1]
    assert allows(events, "request_answered.tfoms_x") and not allows(events, "request_answered.other")


def test_each_party_its_user_and_password():
    uri = "amqp://admin:pw@rabbit:5672/ozsp"
    gateway = broker_setup.service_uri(uri, "s", "gateway")
    assert gateway.startswith("amqp://ozsp.gateway:") and gateway.endswith("@rabbit:5672/ozsp")
    assert broker_setup.service_uri(uri, "s", "certmail_intake") == broker_setup.service_uri(uri, "s", "certmail")
    assert broker_setup.service_uri(uri, "other", "gateway") != gateway
    assert broker_setup.service_uri(uri, "", "gateway") == uri, "no BROKER_SECRET: the address as given"


def test_setup_refuses_a_bad_subsystem_name_and_a_missing_secret():
    with pytest.raises(broker_setup.SetupError, match="BROKER_SECRET"):
        broker_setup.apply("amqp://guest:guest@127.0.0.1:1/x", "http://127.0.0.1:1", "")
