"""Test infrastructure: a fresh PostgreSQL database and RabbitMQ vhost per run, free ports, polling, and the
prerequisites a test requires (skipped locally, a failure under CI)."""

import contextlib
import os

# The vhost, database, ports and polling that benchmarks use too live in bench/sandbox.py (bench/ never imports
# tests/); the tests name them through this module.
from bench.sandbox import (  # noqa: F401
    OUTPUT,
    ROOT,
    amqp_uri_for_vhost,
    base_settings,
    create_vhost,
    free_port,
    make_test_database,
    unique_name,
    wait_for,
)


@contextlib.contextmanager
def fresh_engine(settings):
    """An engine on a database of its own, migrated and seeded, dropped afterwards (no service touches it)."""
    from sqlalchemy import create_engine

    from services import admin

    url, drop = make_test_database(settings)
    admin.migrate(url)
    admin.seed(url)
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        drop()


@contextlib.contextmanager
def own_vhost_and_database(settings, vhost_prefix, dev_login=False):
    """A vhost and a migrated, seeded database of a test's own: -> (AMQP URI, database URL, engine); afterwards
    the engine closed, the database dropped, the vhost and its RabbitMQ users deleted."""
    from sqlalchemy import create_engine

    from services import admin, broker_setup

    vhost = unique_name(vhost_prefix)
    delete_vhost = create_vhost(settings, vhost)
    amqp_uri = amqp_uri_for_vhost(settings, vhost)
    url, drop = make_test_database(settings)
    engine = create_engine(url)
    try:
        admin.migrate(url)
        admin.seed(url, dev_login=dev_login)
        yield amqp_uri, url, engine
    finally:
        engine.dispose()
        drop()
        delete_vhost()
        broker_setup.remove_users(amqp_uri, settings.rabbit_management_url)


def registered_user(engine, seed, ca_name, surname, organization=None, organization_id=None):
    """A test CA with its CRL in the directory and a user holding a certificate of it, in a new organisation
    named `organization` (or in `organization_id`): -> (TestUser, user_id, organization_id)."""
    from services.journal import directory as D
    from shared.gost.testpki import TestPki

    ca = TestPki(seed=seed).ca(ca_name)
    holder = ca.issue(f"{surname} ТЕСТ")
    with engine.begin() as conn:
        D.import_ca(conn, ca.cert)
        D.import_crl(conn, ca.crl())
        if organization_id is None:
            organization_id = D.add_organization(conn, organization, "mo")
        user_id = D.add_user(conn, organization_id, surname, "ТЕСТ")
        D.add_certificate(conn, user_id, holder.cert)
    return holder, user_id, organization_id


# --- Required prerequisites: skipped locally (named in the summary), a failure under CI ---------------------

DESTRUCTIVE_FLAG = "OZSP_DESTRUCTIVE_TESTS"
_KINDS = {}  # skip-message prefix -> (kind, how to get it), for the summary (tests/conftest.py)


def under_ci():
    return os.environ.get("CI", "").lower() in ("true", "1")


def require(condition, what, install, detail=""):
    """Skip a test whose prerequisite is missing, or fail it under CI (CI=true), where every test must run.
    what: the kind of tests ("browser"); install: what gives it ("apt-get install chromium")."""
    if condition:
        return
    import pytest  # here: bench/ imports this module without pytest

    prefix = f"{what} tests need {install}"
    _KINDS[prefix] = (what, install)
    message = f"{prefix}: {detail}" if detail else prefix
    if under_ci():
        pytest.fail(f"CI=true, so this is a failure, not a skip: {message}", pytrace=False)
    pytest.skip(message)


def require_destructive():
    """Tests that restart a broker or cut a database run only when asked (make test-destructive, .ci/run)."""
    require(
        os.environ.get(DESTRUCTIVE_FLAG, "").lower() in ("1", "true", "yes"),
        "destructive",
        f"make test-destructive ({DESTRUCTIVE_FLAG}=1)",
        "they restart a RabbitMQ node or cut a database",
    )


def skipped_summary(reports):
    """One line per kind of skipped required test: 'skipped: 12 browser tests — apt-get install chromium'."""
    counts = {}
    for report in reports:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        for prefix, kind in _KINDS.items():
            if reason.startswith(prefix):
                counts[kind] = counts.get(kind, 0) + 1
    return [f"skipped: {n} {what} test{'s' if n > 1 else ''} — {install}" for (what, install), n in counts.items()]
