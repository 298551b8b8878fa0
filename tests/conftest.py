"""Fixtures shared by all tests: a database of its own for the run, and the whole service as real processes
(started once per run, on a fresh RabbitMQ vhost, with the ФЕРЗЛ emulator)."""
import os

import pytest
import requests

from services.supervisor import START_ORDER, Supervisor, wait_http

from tests import support


@pytest.fixture(scope="session")
def settings():
    return support.base_settings()


@pytest.fixture(scope="session")
def database_url(settings):
    """A fresh database, migrated and seeded; dropped after the run."""
    from services import admin
    url, drop = support.make_test_database(settings)
    admin.migrate(url)
    admin.seed(url)
    yield url
    drop()


@pytest.fixture(scope="session")
def engine(database_url):
    from sqlalchemy import create_engine
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def output_dir():
    os.makedirs(support.OUTPUT, exist_ok=True)
    return support.OUTPUT


class Stack:
    def __init__(self, sup, env, base_url, emulator_url):
        self.sup, self.env, self.base_url, self.emulator_url = sup, env, base_url, emulator_url

    def api(self, method, path, **kwargs):
        return requests.request(method, self.base_url + path, timeout=30, **kwargs)

    def emulator(self, method, path, **kwargs):
        return requests.request(method, self.emulator_url + path, timeout=30, **kwargs)

    def samples(self, n=10, **params):
        r = self.emulator("GET", "/emulator/sample", params={"n": n, **params})
        r.raise_for_status()
        return r.json()

    def set_knobs(self, **knobs):
        self.emulator("POST", "/emulator/admin", json=knobs).raise_for_status()


@pytest.fixture(scope="session")
def stack(settings, database_url, output_dir):
    vhost = support.unique_name("ozsp-test")
    delete_vhost = support.create_vhost(settings, vhost)
    web, emu = support.free_port(), support.free_port()
    env = {
        "AMQP_URI": support.amqp_uri_for_vhost(settings, vhost),
        "DATABASE_URL": database_url,
        "WEB_ADDRESS": f"127.0.0.1:{web}",
        "EMULATOR_ADDRESS": f"127.0.0.1:{emu}",
        "FERZL_URL": "",
        "SMTP_ADDRESS": f"127.0.0.1:{support.free_port()}",
        "CHUNK_SIZE": "20",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(os.path.join(output_dir, "services.log"), "a", encoding="utf-8")
    sup = Supervisor(env=env, restart=False, output=log)
    try:
        emulator = sup.start("ferzl_emulator")
        assert wait_http(f"http://127.0.0.1:{emu}/emulator/health", 60, emulator), "emulator did not start"
        for name in START_ORDER:
            sup.start(name)
        assert wait_http(f"http://127.0.0.1:{web}/api/v1/health", 90), "services did not start; see services.log"
        yield Stack(sup, env, f"http://127.0.0.1:{web}", f"http://127.0.0.1:{emu}")
    finally:
        sup.stop()
        log.close()
        delete_vhost()
