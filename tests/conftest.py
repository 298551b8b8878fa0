"""Fixtures shared by all tests: a database of its own for the run, and the whole service as real processes
(started once per run, on a fresh RabbitMQ vhost, with the ФЕРЗЛ emulator); for tests that restart the broker,
a second stack on a RabbitMQ node and a database of their own (private_stack)."""

import contextlib
import os

if os.environ.get("OZSP_TEST_QUEUE_TYPE"):  # the whole run in that mode: every process reads QUEUE_TYPE
    os.environ["QUEUE_TYPE"] = os.environ["OZSP_TEST_QUEUE_TYPE"]

import pytest
import requests

from services.supervisor import START_ORDER, Supervisor, wait_http
from tests import mail_dkim, support

INFRASTRUCTURE = []  # the summary line of tests/infra.py's choice


@pytest.fixture(scope="session")
def settings():
    """Local RabbitMQ and PostgreSQL, or containers of them (tests/infra.py)."""
    from tests import infra

    with infra.for_tests(INFRASTRUCTURE):
        yield support.base_settings()


@contextlib.contextmanager
def service_database(settings):
    """A fresh database, migrated and seeded with the dev login; dropped afterwards."""
    from services import admin

    url, drop = support.make_test_database(settings)
    try:
        admin.migrate(url)
        admin.seed(url, dev_login=True)
        yield url
    finally:
        drop()


@pytest.fixture(scope="session")
def database_url(settings):
    """The run's database (service_database)."""
    with service_database(settings) as url:
        yield url


@pytest.fixture(scope="session")
def quiet_engine(settings):
    """A second database that no running service touches: for journal logic tests that must not race the
    journal's dispatcher or the bridge."""
    with support.fresh_engine(settings) as engine:
        yield engine


@pytest.fixture(scope="session")
def engine(database_url):
    from sqlalchemy import create_engine

    engine = create_engine(database_url, pool_pre_ping=True)  # survives tests that cut the database's connections
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def output_dir():
    os.makedirs(support.OUTPUT, exist_ok=True)
    return support.OUTPUT


class Stack:
    def __init__(self, sup, env, base_url, emulator_url, log_path):
        self.sup, self.env, self.base_url, self.emulator_url = sup, env, base_url, emulator_url
        self.log_path = log_path  # every service's output, each line prefixed with [service]
        self.http = None  # signed in as the demo user (dev certificate) once the services run

    def api(self, method, path, **kwargs):
        """A call as the signed-in demo user."""
        return self.http.request(method, self.base_url + path, timeout=30, **kwargs)

    def anonymous(self, method, path, **kwargs):
        return requests.request(method, self.base_url + path, timeout=30, **kwargs)

    def login(self, sign):
        """A requests.Session signed in through the real flow: challenge, CMS signature, session cookie; it sends
        the X-CSRF-Token header the JSON API wants with every call.
        sign(challenge_bytes) -> CMS bytes (a test PKI user's sign_challenge)."""
        import base64

        session = requests.Session()
        session.get(self.base_url + "/login", timeout=30).raise_for_status()
        headers = {"X-CSRF-Token": session.cookies.get("ozsp_csrf")}
        issued = session.post(self.base_url + "/login/challenge", json={}, headers=headers, timeout=30).json()
        signature = base64.b64encode(sign(issued["challenge"].encode())).decode()
        r = session.post(
            self.base_url + "/login",
            json={"challenge_id": issued["id"], "signature": signature},
            headers=headers,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        session.headers["X-CSRF-Token"] = session.cookies.get("ozsp_csrf")  # the signed-in user's token (API calls)
        return session

    def emulator(self, method, path, **kwargs):
        return requests.request(method, self.emulator_url + path, timeout=30, **kwargs)

    def samples(self, n=10, **params):
        r = self.emulator("GET", "/emulator/sample", params={"n": n, **params})
        r.raise_for_status()
        return r.json()

    def set_knobs(self, **knobs):
        self.emulator("POST", "/emulator/admin", json=knobs).raise_for_status()


BROKER_SECRET = "test-broker-secret"
METRICS_SERVICES = ("gateway", "flk", "journal", "ferzl_bridge", "certmail", "certmail_intake")


@contextlib.contextmanager
def running_stack(amqp_uri, database_url, output_dir, name, log_name="services.log", management_url=None):
    """The whole service as real processes on this broker and database, with free ports and its own ФЕРЗЛ
    emulator; signed in as the demo user. name: a folder for certmail's files. With management_url, each
    service connects as its own broker user (`ozsp broker setup`, BROKER_SECRET), as `make run` does."""
    web, emu = support.free_port(), support.free_port()
    env = {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": database_url,
        "WEB_ADDRESS": f"127.0.0.1:{web}",
        "EMULATOR_ADDRESS": f"127.0.0.1:{emu}",
        "FERZL_URL": "",
        "SMTP_ADDRESS": f"127.0.0.1:{support.free_port()}",
        "CHUNK_SIZE": "20",
        # ferzl_bridge: short delay queues and probes, small mass batches, so fault tests take seconds
        "FERZL_RETRY_TIERS": "0.5,1,2,4",
        "FERZL_PROBE_SECONDS": "0.5",
        "FERZL_MASS_MIN": "10",
        "FERZL_MASS_WAIT": "0.2",
        "FERZL_MASS_POLL": "0.2",
        "PYTHONUNBUFFERED": "1",
        "OZSP_MODE": "dev",
        "DEV_LOGIN": "1",
        "LOGIN_ATTEMPTS_PER_MINUTE": "200",  # the suite signs in many times from 127.0.0.1
        # certmail: replies go to a test SMTP sink on this port (tests/integration/test_certmail_*.py start it)
        "SMTP_RELAY": f"127.0.0.1:{support.free_port()}",
        "MAIL_OUTBOX_DIR": os.path.join(output_dir, "certmail", name, "outbox"),
        "CERT_STORE_DIR": os.path.join(output_dir, "certmail", name, "certstore"),
        "CERT_QUARANTINE_DIR": os.path.join(output_dir, "certmail", name, "quarantine"),
        # the sender check: DKIM keys of the test domains from a file, a trusted MTA on 127.0.0.2 (tests/mail_dkim.py)
        "DKIM_DNS_FILE": mail_dkim.write_dns_file(os.path.join(output_dir, "certmail", name, "dkim-dns.txt")),
        "MAIL_TRUSTED_AUTHSERV_IDS": mail_dkim.MTA_AUTHSERV_ID,
        "MAIL_TRUSTED_MTA_ADDRESSES": mail_dkim.MTA_ADDRESS,
        "ADMIN_EMAIL": "admin@ozsp.test",
        "MAIL_OTHER_TEMPLATES": "OTHER_TASK",
        "MAIL_MAX_BYTES": "3000000",
        "MAIL_MAX_ATTACHMENT_BYTES": "500000",
        "CAPTCHA_TEST_MODE": "1",  # pages expose CAPTCHA answers to the browser tests (never in make run)
        "SUBMIT_LIMIT_PER_MINUTE": "1000",  # the suite sends hundreds of requests as the one demo user
        "CRL_REFRESH_MINUTES": "0.05",  # the journal downloads CRLs every 3 s (tests/integration/test_crl_refresh.py)
        # the manual's behaviour (every request a ФЕРЗЛ call); reuse of fresh answers is tested explicitly
        # (tests/integration/test_reuse.py passes reuse_minutes)
        "ANSWER_REUSE_MINUTES": "0",
        # /metrics of each process on a free port of its own (tests/integration/test_metrics.py)
        "METRICS_COPIES": "1",
        **{f"METRICS_PORT_{s.upper()}": str(support.free_port()) for s in METRICS_SERVICES},
    }
    if management_url:
        from services import broker_setup

        env["BROKER_SECRET"] = BROKER_SECRET
        broker_setup.apply(amqp_uri, management_url, BROKER_SECRET)
    log_path = os.path.join(output_dir, log_name)
    log = open(log_path, "w", encoding="utf-8")  # this run only
    sup = Supervisor(env=env, restart=False, output=log)
    try:
        emulator = sup.start("ferzl_emulator")
        assert wait_http(f"http://127.0.0.1:{emu}/emulator/health", 60, emulator), "emulator did not start"
        for service in START_ORDER:
            sup.start(service)
        assert wait_http(f"http://127.0.0.1:{web}/api/v1/health", 90), f"services did not start; see {log_name}"
        stack = Stack(sup, env, f"http://127.0.0.1:{web}", f"http://127.0.0.1:{emu}", log_path)
        from shared.gost.testpki import DevPki

        stack.http = stack.login(DevPki().sign)
        yield stack
    finally:
        sup.stop()
        log.close()


@pytest.fixture(scope="session")
def stack(settings, database_url, output_dir):
    """The run's stack: on a fresh vhost of the shared broker and the run's database."""
    vhost = support.unique_name("ozsp-test")
    delete_vhost = support.create_vhost(settings, vhost)
    uri = support.amqp_uri_for_vhost(settings, vhost)
    try:
        with running_stack(
            uri, database_url, output_dir, vhost, management_url=settings.rabbit_management_url
        ) as stack:
            yield stack
    finally:
        delete_vhost()
        from services import broker_setup

        broker_setup.remove_users(uri, settings.rabbit_management_url)  # users are per node, not per vhost


@pytest.fixture(scope="module")
def private_stack(settings, output_dir):
    """A stack on a RabbitMQ node and a database of its own (stack.node: tests.rabbit_node.RabbitNode), for
    tests that restart the broker: the shared broker and anything running on it are never touched."""
    from tests import rabbit_node

    why = rabbit_node.unavailable()
    support.require(why is None, "private-broker", "apt-get install rabbitmq-server, run as root", why)
    with rabbit_node.private_node() as node, service_database(settings) as url:
        name = node.name.split("@")[0]
        with running_stack(node.amqp_uri, url, output_dir, name, log_name="services-private.log") as stack:
            stack.node = node
            yield stack


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium through Playwright, one for the run (tests/browser/conftest.py launch())."""
    from tests.browser.conftest import launch

    yield from launch()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Tests marked destructive run only when asked (tests/support.py require_destructive)."""
    if item.get_closest_marker("destructive"):
        support.require_destructive()


def pytest_terminal_summary(terminalreporter):
    for line in INFRASTRUCTURE:
        terminalreporter.write_line(line)
    for line in support.skipped_summary(terminalreporter.stats.get("skipped", [])):
        terminalreporter.write_line(line, yellow=True)
