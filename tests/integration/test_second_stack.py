"""A second start beside a running stack refuses with a Russian message instead of joining it (issue 16 §2):
its ports are taken, or its vhost is consumed by a journal of another database."""

import os
import subprocess
import sys

import pytest

from services import stackcheck
from tests import support

pytestmark = pytest.mark.integration


def ozsp(env, *args, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=support.ROOT,
    )


def free_addresses():
    return {
        "WEB_ADDRESS": f"127.0.0.1:{support.free_port()}",
        "EMULATOR_ADDRESS": f"127.0.0.1:{support.free_port()}",
        "SMTP_ADDRESS": f"127.0.0.1:{support.free_port()}",
    }


def test_a_second_up_on_the_same_ports_refuses_and_names_each_port(stack):
    done = ozsp(stack.env, "up")
    assert done.returncode != 0
    for key in ("WEB_ADDRESS", "EMULATOR_ADDRESS", "SMTP_ADDRESS"):
        assert f"Порт {stack.env[key]}" in done.stderr and key in done.stderr, done.stderr
    assert "уже занят" in done.stderr
    assert "Эмулятор ФЕРЗЛ слушает" not in done.stdout, "nothing was started"


def test_a_second_gateway_on_a_taken_port_fails_instead_of_sharing_it(stack):
    done = ozsp(stack.env, "run", "gateway", timeout=90)
    assert done.returncode != 0
    assert "Address already in use" in done.stdout + done.stderr


def test_a_second_up_with_another_database_on_the_same_vhost_refuses(stack, settings):
    url, drop = support.make_test_database(settings)
    try:
        env = {**stack.env, **free_addresses(), "DATABASE_URL": url}
        done = ozsp(env, "up", "--no-emulator")
        assert done.returncode != 0
        assert "уже работает ОЗСП с другой базой данных" in done.stderr, done.stderr
        journal = ozsp(env, "run", "journal")
        assert journal.returncode != 0 and "с другой базой данных" in journal.stderr, journal.stderr
    finally:
        drop()


def test_another_copy_with_the_same_database_may_join(stack):
    assert stackcheck.other_stack_problem(stack.env["AMQP_URI"], stack.env["DATABASE_URL"]) is None


def test_an_unused_vhost_has_no_other_stack(stack, settings):
    vhost = support.unique_name("ozsp-test-empty")
    delete = support.create_vhost(settings, vhost)
    try:
        uri = support.amqp_uri_for_vhost(settings, vhost)
        assert stackcheck.running_identity(uri) is None
    finally:
        delete()
