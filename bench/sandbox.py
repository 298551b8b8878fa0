"""What benchmarks and tests start for themselves on the local RabbitMQ and PostgreSQL: a vhost and a database of
unique names, free ports, polling; the settings of the run and its output folder. tests/sandbox.py re-exports it
(bench/ never imports tests/: tests/unit/test_bench_independence.py)."""

import os
import socket
import time
import uuid

from sqlalchemy.engine import make_url

from shared import config

# Tests and benchmarks run the services in dev mode (production refuses the dev secret and test PKI).
os.environ.setdefault("OZSP_MODE", "dev")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "test-output")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique_name(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def create_vhost(settings, name):
    """Create a RabbitMQ vhost (shared.broker: the management API, rabbitmqctl as a fallback); -> its deleter."""
    from shared import broker

    uri = amqp_uri_for_vhost(settings, name)
    problem = broker.ensure_vhost(uri, settings.rabbit_management_url)
    if problem:
        raise RuntimeError(problem)
    return lambda: broker.delete_vhost(uri, settings.rabbit_management_url)


def amqp_uri_for_vhost(settings, vhost):
    """The run's broker address with another vhost (shared.broker.with_vhost)."""
    from shared import broker

    return broker.with_vhost(settings.amqp_uri, vhost)


def make_test_database(settings, prefix="ozsp_test"):
    """Create an empty database with a unique name; returns (url, drop)."""
    from sqlalchemy import create_engine, text

    name = unique_name(prefix)
    url = make_url(settings.database_url).set(database=name)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def wait_for(predicate, timeout=30.0, interval=0.2, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def base_settings():
    return config.load()


def stack_env(amqp_uri: str, database_url: str, emulator_port: int, concurrency: int, **extra: str) -> dict:
    """The services' environment of a bench run: this broker and database, our emulator with the default
    register, the bridge's FERZL_CONCURRENCY, quiet logs; extra settings on top."""
    settings = config.Settings
    return {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": database_url,
        "EMULATOR_ADDRESS": f"127.0.0.1:{emulator_port}",
        "FERZL_URL": "",
        "EMULATOR_SEED": str(settings.emulator_seed),
        "EMULATOR_SIZE": str(settings.emulator_size),
        "FERZL_CONCURRENCY": str(concurrency),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
