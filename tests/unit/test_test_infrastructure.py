"""The tests' choice of RabbitMQ and PostgreSQL (tests/infra.py): local where they answer, containers where only
Docker is, containers always with OZSP_TEST_CONTAINERS=1."""

import contextlib
import os

import pytest

from tests import infra


@pytest.mark.parametrize(
    "env, local, docker, expected",
    [
        ({}, True, True, infra.LOCAL),
        ({}, True, False, infra.LOCAL),
        ({}, False, True, infra.CONTAINERS),
        ({"OZSP_TEST_CONTAINERS": "1"}, True, True, infra.CONTAINERS),
        ({"OZSP_TEST_CONTAINERS": "0"}, True, True, infra.LOCAL),
    ],
)
def test_choice(env, local, docker, expected):
    assert infra.choose(env, local, docker) == expected


@pytest.mark.parametrize("env, local", [({}, False), ({"OZSP_TEST_CONTAINERS": "1"}, True)])
def test_no_docker_where_it_is_needed_says_what_to_do(env, local):
    with pytest.raises(infra.NoInfrastructure) as raised:
        infra.choose(env, local, False)
    assert "Docker" in str(raised.value)


def test_containers_point_the_run_at_them_and_the_environment_is_restored(monkeypatch):
    monkeypatch.setenv("OZSP_TEST_CONTAINERS", "1")
    monkeypatch.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/ozsp")
    monkeypatch.delenv("RABBIT_MANAGEMENT_URL", raising=False)
    monkeypatch.setattr(infra, "local_answers", lambda settings: True)
    monkeypatch.setattr(infra, "docker_available", lambda: True)
    started = {
        "AMQP_URI": "amqp://ozsp:x@127.0.0.1:32771/",
        "RABBIT_MANAGEMENT_URL": "http://ozsp:x@127.0.0.1:32772",
        "DATABASE_URL": "postgresql+psycopg2://postgres:x@127.0.0.1:32773/ozsp",
    }

    @contextlib.contextmanager
    def fake_containers():
        yield started

    monkeypatch.setattr(infra, "containers", fake_containers)
    report = []
    with infra.for_tests(report) as where:
        assert where == infra.CONTAINERS
        assert {key: os.environ[key] for key in started} == started
    assert report == ["infrastructure: testcontainers (rabbitmq:3.13-management, postgres:15)"]
    assert os.environ["AMQP_URI"] == "amqp://guest:guest@127.0.0.1:5672/ozsp"
    assert "RABBIT_MANAGEMENT_URL" not in os.environ


def test_local_services_are_used_as_they_are(monkeypatch):
    monkeypatch.delenv("OZSP_TEST_CONTAINERS", raising=False)
    monkeypatch.setattr(infra, "local_answers", lambda settings: True)
    monkeypatch.setattr(infra, "docker_available", lambda: pytest.fail("Docker is not asked when local answers"))
    report = []
    with infra.for_tests(report) as where:
        assert where == infra.LOCAL
    assert report[0].startswith("infrastructure: local RabbitMQ and PostgreSQL")
