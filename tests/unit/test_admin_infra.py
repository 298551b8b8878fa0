"""`ozsp infra --start` picks the Compose client that exists; `ozsp migrate --wait` waits for PostgreSQL, bounded."""

import socket
import subprocess
import time
from types import SimpleNamespace

import pytest

from services import admin, cli

LOCAL = SimpleNamespace(
    amqp_uri="amqp://ozsp:s3cret@127.0.0.1:5672/ozsp",
    database_url="postgresql+psycopg2://postgres:pg%40pass@127.0.0.1:5432/ozsp",
)


def fake_docker(monkeypatch, binaries, v2_answers=True, up_code=0):
    """Only `binaries` are on PATH; `docker compose version` answers when v2_answers. Returns the commands run."""
    runs = []

    def run(command, **kwargs):
        runs.append((command, kwargs))
        if command[:3] == ["docker", "compose", "version"]:
            return subprocess.CompletedProcess(command, 0 if v2_answers else 1)
        return subprocess.CompletedProcess(command, up_code if "up" in command else 0)

    monkeypatch.setattr(admin.shutil, "which", lambda name: f"/usr/bin/{name}" if name in binaries else None)
    monkeypatch.setattr(admin.subprocess, "run", run)
    return runs


@pytest.mark.parametrize(
    "binaries,v2_answers,client",
    [
        ({"docker", "docker-compose"}, True, ["docker", "compose"]),
        ({"docker", "docker-compose"}, False, ["docker-compose"]),  # an old docker without the compose plugin
        ({"docker-compose"}, True, ["docker-compose"]),
        ({"docker"}, False, None),
        (set(), True, None),
    ],
)
def test_the_compose_client_is_v2_when_it_answers_else_v1(monkeypatch, binaries, v2_answers, client):
    fake_docker(monkeypatch, binaries, v2_answers)
    assert admin.compose_command() == client


@pytest.mark.parametrize(
    "binaries,v2_answers,client,said",
    [
        ({"docker"}, True, ["docker", "compose"], "Запускаем через docker compose (Compose v2): postgres, rabbitmq"),
        (
            {"docker", "docker-compose"},
            False,
            ["docker-compose"],
            "Запускаем через docker-compose (Compose v1): postgres, rabbitmq",
        ),
    ],
)
def test_infra_start_says_which_client_it_ran(monkeypatch, capsys, binaries, v2_answers, client, said):
    runs = fake_docker(monkeypatch, binaries, v2_answers)
    assert admin.start_in_docker(LOCAL, ["postgres", "rabbitmq"])
    assert said in capsys.readouterr().out
    command, kwargs = runs[-1]
    assert command == [
        *client,
        "--profile",
        "ports",
        "up",
        "-d",
        "postgres",
        "postgres_port",
        "rabbitmq",
        "rabbitmq_port",
        "rabbitmq_management_port",
    ]
    assert {
        k: kwargs["env"][k] for k in ("RABBITMQ_USER", "RABBITMQ_PASSWORD", "RABBITMQ_VHOST", "POSTGRES_PASSWORD")
    } == {
        "RABBITMQ_USER": "ozsp",
        "RABBITMQ_PASSWORD": "s3cret",
        "RABBITMQ_VHOST": "ozsp",
        "POSTGRES_PASSWORD": "pg@pass",
    }  # the containers take the local settings' users


def test_infra_start_refuses_guest_and_passwordless_settings(monkeypatch, capsys):
    runs = fake_docker(monkeypatch, {"docker"})
    settings = SimpleNamespace(
        amqp_uri="amqp://guest:guest@127.0.0.1:5672/ozsp",
        database_url="postgresql+psycopg2://postgres@127.0.0.1:5432/ozsp",
    )
    assert not admin.start_in_docker(settings, ["postgres", "rabbitmq"])
    out = capsys.readouterr().out
    assert "не guest" in out and "postgres с паролем" in out and "export AMQP_URI=amqp://ozsp:" in out
    assert not [c for c, _ in runs if "up" in c]


def test_infra_start_reports_a_failed_compose(monkeypatch, capsys):
    fake_docker(monkeypatch, {"docker-compose"}, up_code=1)
    assert not admin.start_in_docker(LOCAL, ["postgres"])
    assert "docker-compose завершился с кодом 1" in capsys.readouterr().out


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_migrate_wait_gives_up_after_its_bound_with_a_russian_message(capsys):
    url = f"postgresql+psycopg2://postgres:secret@127.0.0.1:{closed_port()}/ozsp"
    started = time.monotonic()
    with pytest.raises(SystemExit) as stop:
        admin.wait_for_database(url, 1.5, interval=0.2)
    assert 1.5 <= time.monotonic() - started < 5
    assert "PostgreSQL не ответил за 1.5 с" in str(stop.value) and "secret" not in str(stop.value)
    assert "PostgreSQL пока не отвечает" in capsys.readouterr().out  # said once while waiting


def test_ozsp_migrate_wait_through_the_command_line(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg2://postgres:x@127.0.0.1:{closed_port()}/ozsp")
    started = time.monotonic()
    with pytest.raises(SystemExit, match="PostgreSQL не ответил за 1 с"):
        cli.main(["migrate", "--wait", "1"])
    assert time.monotonic() - started < 5


def test_migrate_without_wait_tries_once(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg2://postgres@127.0.0.1:{closed_port()}/ozsp")
    with pytest.raises(SystemExit, match=r"PostgreSQL не ответил \("):
        cli.main(["migrate"])
