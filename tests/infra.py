"""Where the tests find RabbitMQ and PostgreSQL: the local ones where they answer (the default, as in CI), else
containers started with testcontainers where Docker is available, or always containers with
OZSP_TEST_CONTAINERS=1. The choice is made once per run (tests/conftest.py `settings`) and shown in the summary."""

import contextlib
import os
import warnings

from shared import config

RABBIT_IMAGE = "rabbitmq:3.13-management"
POSTGRES_IMAGE = "postgres:15"
LOCAL, CONTAINERS = "local", "containers"


class NoInfrastructure(RuntimeError):
    """Neither local services nor Docker: the message says what to start."""


def choose(env, local_answers, docker_available):
    """-> LOCAL or CONTAINERS; NoInfrastructure when neither can serve the tests."""
    if config.flag(env.get("OZSP_TEST_CONTAINERS")):
        if not docker_available:
            raise NoInfrastructure("OZSP_TEST_CONTAINERS=1, but no Docker engine answers")
        return CONTAINERS
    if local_answers:
        return LOCAL
    if docker_available:
        return CONTAINERS
    raise NoInfrastructure(
        "RabbitMQ or PostgreSQL does not answer and no Docker engine does: start them "
        "(`ozsp infra` says how) or run Docker for testcontainers"
    )


def local_answers(settings):
    from services import admin

    return admin._broker_listening(settings.amqp_uri) and admin._postgres_ok(settings.database_url)


def docker_available():
    try:
        import docker

        return bool(docker.from_env(timeout=5).ping())
    except Exception:
        return False


def _container_classes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            from testcontainers.community.postgres import PostgresContainer
            from testcontainers.community.rabbitmq import RabbitMqContainer
        except ImportError:  # testcontainers before its community namespace
            from testcontainers.postgres import PostgresContainer
            from testcontainers.rabbitmq import RabbitMqContainer
    return RabbitMqContainer, PostgresContainer


@contextlib.contextmanager
def containers():
    """RabbitMQ (with management) and PostgreSQL in containers; -> the environment pointing at them."""
    rabbit_cls, postgres_cls = _container_classes()
    rabbit = rabbit_cls(RABBIT_IMAGE, username="ozsp", password="ozsp-test").with_exposed_ports(15672)
    postgres = postgres_cls(POSTGRES_IMAGE, username="postgres", password="ozsp-test", dbname="ozsp")
    with rabbit, postgres:
        host = rabbit.get_container_host_ip()
        yield {
            "AMQP_URI": f"amqp://ozsp:ozsp-test@{host}:{rabbit.get_exposed_port(5672)}/",
            "RABBIT_MANAGEMENT_URL": f"http://ozsp:ozsp-test@{host}:{rabbit.get_exposed_port(15672)}",
            "DATABASE_URL": postgres.get_connection_url(),
        }


@contextlib.contextmanager
def for_tests(report):
    """Point this process (and the services it starts) at the chosen infrastructure for the run; `report` is a
    list that gets one line for the summary."""
    settings = config.load()
    local = local_answers(settings)
    asked = config.flag(os.environ.get("OZSP_TEST_CONTAINERS"))
    where = choose(os.environ, local, docker_available() if asked or not local else False)
    if where == LOCAL:
        report.append(
            f"infrastructure: local RabbitMQ and PostgreSQL ({settings.amqp_uri.split('@')[-1]}, "
            f"{settings.database_url.split('@')[-1]})"
        )
        yield where
        return
    with containers() as env:
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        report.append(f"infrastructure: testcontainers ({RABBIT_IMAGE}, {POSTGRES_IMAGE})")
        try:
            yield where
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
