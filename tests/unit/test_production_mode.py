import subprocess
import sys

from shared import config


def test_production_refuses_dev_flags_and_the_dev_secret():
    unsafe = config.load(
        {"OZSP_MODE": "production", "DEV_LOGIN": "1", "CAPTCHA_TEST_MODE": "yes", "DKIM_DNS_FILE": "/tmp/dkim.txt"}
    )
    problems = config.production_problems(unsafe)
    assert len(problems) == 6 and any("DEV_LOGIN" in p for p in problems) and any("SECRET_KEY" in p for p in problems)
    assert any("DKIM_DNS_FILE" in p for p in problems)
    assert any("guest" in p for p in problems) and any("BROKER_SECRET" in p for p in problems)
    safe = {"OZSP_MODE": "production", "SECRET_KEY": "x" * 32, "BROKER_SECRET": "b" * 32}
    assert config.production_problems(config.load({**safe, "AMQP_URI": "amqp://ozsp:pw@rabbit:5672/ozsp"})) == []
    assert any("guest" in p for p in config.production_problems(config.load(safe)))
    # a service process: `ozsp run` gave it its own broker user and removed BROKER_SECRET from its environment
    service = {**safe, "BROKER_SECRET": "", "AMQP_URI": "amqp://ozsp.gateway:pw@rabbit:5672/ozsp"}
    assert config.production_problems(config.load(service)) == []
    admin = {**service, "AMQP_URI": "amqp://ozsp:pw@rabbit:5672/ozsp"}
    assert any("BROKER_SECRET" in p for p in config.production_problems(config.load(admin)))
    assert (
        config.production_problems(
            config.load({"OZSP_MODE": "dev", "DEV_LOGIN": "1", "DKIM_DNS_FILE": "/tmp/dkim.txt"})
        )
        == []
    )


def test_a_service_refuses_to_start_in_unsafe_production():
    env = {"OZSP_MODE": "production", "DEV_LOGIN": "1", "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [sys.executable, "-m", "services.cli", "run", "flk"], env=env, capture_output=True, text=True, timeout=60
    )
    assert r.returncode != 0 and "ОЗСП не запущен в рабочем режиме" in r.stderr and "DEV_LOGIN" in r.stderr


def test_a_service_passes_the_production_check_after_taking_its_own_broker_user(monkeypatch):
    from services import cli

    for name, value in {
        "OZSP_MODE": "production",
        "SECRET_KEY": "x" * 32,
        "BROKER_SECRET": "b" * 32,
        "AMQP_URI": "amqp://ozsp:pw@rabbit:5672/ozsp",
    }.items():
        monkeypatch.setenv(name, value)
    cli.use_own_broker_user("flk")
    settings = config.load()
    assert settings.amqp_uri.startswith("amqp://ozsp.flk:") and settings.broker_secret == ""
    assert config.production_problems(settings) == []
