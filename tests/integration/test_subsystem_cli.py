"""`ozsp subsystem add|disable` as an operator runs them (a real process, a database and a vhost of their own): the
broker's users follow the directory — a new subsystem can connect at once, a disabled one no longer can."""

import os
import subprocess
import sys

import pytest
from kombu import Connection
from sqlalchemy import text

from services import broker_setup
from tests import support
from tests.conftest import BROKER_SECRET

pytestmark = pytest.mark.integration

NAME = "tfoms_cli"


@pytest.fixture(scope="module")
def place(settings):
    with support.own_vhost_and_database(settings, "ozsp-subsys") as (amqp, url, engine):
        env = {
            "AMQP_URI": amqp,
            "DATABASE_URL": url,
            "RABBIT_MANAGEMENT_URL": settings.rabbit_management_url,
            "BROKER_SECRET": BROKER_SECRET,
        }
        yield env, engine


def ozsp(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=support.ROOT,
    )


def connects(env, name):
    try:
        with Connection(broker_setup.party_uri(env["AMQP_URI"], BROKER_SECRET, f"sub.{name}"), connect_timeout=5) as c:
            c.connect()
        return True
    except Exception as exc:  # the broker refuses the credentials
        return type(exc).__name__


def test_a_subsystem_added_can_connect_and_one_disabled_cannot(place):
    env, engine = place
    added = ozsp(env, "subsystem", "add", NAME, "--organization", "1")
    assert added.returncode == 0, added.stderr
    assert f"Подсистема «{NAME}» добавлена." in added.stdout and "права настроены" in added.stdout
    assert connects(env, NAME) is True
    kept = ozsp(env, "subsystem", "add", "tfoms_kept", "--organization", "1")
    assert kept.returncode == 0, kept.stderr

    disabled = ozsp(env, "subsystem", "disable", NAME)
    assert disabled.returncode == 0, disabled.stderr
    assert "отключена" in disabled.stdout and f"sub.{NAME}" in disabled.stdout
    assert connects(env, NAME) == "AccessRefused"
    assert connects(env, "tfoms_kept") is True, "the other subsystem keeps its user"
    with engine.connect() as conn:
        assert not conn.execute(text("SELECT active FROM subsystems WHERE name = :n"), {"n": NAME}).scalar_one()
        assert (
            conn.execute(
                text(
                    "SELECT count(*) FROM audit WHERE action = 'directory.subsystem.disable' AND details->>'name' = :n"
                ),
                {"n": NAME},
            ).scalar_one()
            == 1
        )


def test_an_unknown_subsystem_is_refused_in_russian_and_nothing_changes(place):
    env, engine = place
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM audit")).scalar_one()
    r = ozsp(env, "subsystem", "disable", "tfoms_nobody")
    assert r.returncode == 1 and "Подсистемы «tfoms_nobody» нет в справочнике." in r.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit")).scalar_one() == before


def test_setup_with_an_unreadable_directory_revokes_no_subsystem(place):
    env, _ = place
    assert connects(env, "tfoms_kept") is True
    r = ozsp({**env, "DATABASE_URL": "postgresql+psycopg2://postgres@127.0.0.1:1/none"}, "broker", "setup")
    assert r.returncode == 0 and "не прочитаны" in r.stderr and "Удалены" not in r.stdout
    assert connects(env, "tfoms_kept") is True
