"""docker-compose.yml and the Dockerfile agree with the code: there is no Docker engine on the test machine, so
these checks stand in for `docker compose up` — every process `make run` starts has a container running the same
command, every setting given is one the code reads, the addresses point at the right containers and ports, and
the image holds what the services import and serve. `docker compose config` itself runs where a client exists."""
import ast
import json
import os
import re
import shutil
import subprocess
from dataclasses import fields
from urllib.parse import urlsplit

import pytest
import yaml

from services.ferzl_emulator.server import SOAP_PATH
from services.gateway.static import VENDOR
from services.supervisor import START_ORDER
from shared.config import Settings, load

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(ROOT, "docker-compose.yml"), encoding="utf-8") as _f:
    COMPOSE = yaml.safe_load(_f)
SERVICES = COMPOSE["services"]
KNOWN = {f.name.upper() for f in fields(Settings)}
with open(os.path.join(ROOT, "Dockerfile"), encoding="utf-8") as _f:
    DOCKERFILE = _f.read()


def env(name):
    return {k: str(v) for k, v in (SERVICES[name].get("environment") or {}).items()}


def port(address):
    return int(address.rsplit(":", 1)[1])


def published(name):
    return {int(str(p).split(":")[-1]) for p in SERVICES[name].get("ports", [])}


def test_every_process_of_make_run_has_a_container_running_it():
    for name in START_ORDER:
        assert name in SERVICES, f"{name} is started by `make run` but has no service in docker-compose.yml"
        assert SERVICES[name]["command"] == ["ozsp", "run", name], name
    assert SERVICES["ferzl_emulator"]["command"] == ["python", "-m", "services.ferzl_emulator"]


def test_every_setting_given_is_read_by_the_code_and_valid():
    for name, service in SERVICES.items():
        if service.get("image", "").startswith("ozsp"):
            unknown = set(env(name)) - KNOWN
            assert not unknown, f"{name}: settings nobody reads: {sorted(unknown)}"
            load(env(name))  # numbers are numbers (SettingError otherwise)


def test_addresses_point_at_the_right_containers_and_ports():
    emulator = env("ferzl_emulator")
    for name in START_ORDER:
        settings = env(name)
        assert urlsplit(settings["AMQP_URI"]).hostname == "rabbitmq"
        assert urlsplit(settings["DATABASE_URL"]).hostname == "postgres"
        ferzl = urlsplit(settings["FERZL_URL"])
        assert (ferzl.hostname, ferzl.port, ferzl.path) == ("ferzl_emulator", port(emulator["EMULATOR_ADDRESS"]),
                                                          SOAP_PATH)
        assert settings["FERZL_TOKEN"] == emulator["EMULATOR_TOKEN"]
    assert env("migrate")["DATABASE_URL"] == env("journal")["DATABASE_URL"]
    assert port(env("gateway")["WEB_ADDRESS"]) in published("gateway")
    assert env("gateway")["WEB_ADDRESS"].startswith("0.0.0.0:")  # reachable from outside its container
    assert port(env("certmail_intake")["SMTP_ADDRESS"]) in published("certmail_intake")
    assert port(emulator["EMULATOR_ADDRESS"]) in published("ferzl_emulator")


def test_dependencies_name_existing_services():
    for name, service in SERVICES.items():
        for other in service.get("depends_on") or {}:
            assert other in SERVICES, f"{name} depends on {other}, which is not a service"
    for name, service in SERVICES.items():
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0]
            assert source in (COMPOSE.get("volumes") or {}), f"{name}: volume {source} is not declared"


def test_what_certmail_keeps_on_disk_survives_a_new_container():
    """Installed certificates, the quarantine and the letters written without SMTP_RELAY live under var/."""
    mounts = {v.split(":")[1] for v in SERVICES["certmail"].get("volumes") or []}
    assert "/app/var" in mounts
    for key in ("CERT_STORE_DIR", "CERT_QUARANTINE_DIR", "MAIL_OUTBOX_DIR"):
        assert key not in env("certmail")  # the defaults: under /app/var in the image
    defaults = Settings()
    for path in (defaults.cert_store_dir, defaults.cert_quarantine_dir, defaults.mail_outbox_dir):
        assert os.path.relpath(path, ROOT).startswith("var" + os.sep)


def _imports(path):
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_the_image_holds_what_the_services_import_and_serve():
    copied = set(re.findall(r"^COPY (?!--from)(.+) \S+$", DOCKERFILE, re.M))
    sources = {s for line in copied for s in line.split()}
    for source in sources:
        assert os.path.exists(os.path.join(ROOT, source)), source
    assert {"services", "shared", "contracts", "pyproject.toml", "alembic.ini"} <= sources
    for top in ("services", "shared"):
        for folder, _, files in os.walk(os.path.join(ROOT, top)):
            for file in files:
                if file.endswith(".py"):
                    outside = [m for m in _imports(os.path.join(folder, file)) if m.split(".")[0] in ("tests", "bench")]
                    assert not outside, f"{folder}/{file} imports {outside}, which the image does not hold"
    assert "COPY --from=assets /app/node_modules ./node_modules" in DOCKERFILE
    with open(os.path.join(ROOT, "package.json"), encoding="utf-8") as f:
        packages = set(json.load(f)["dependencies"])
    assert {path.split("/")[0] for path in VENDOR.values()} <= packages  # what the pages load comes from npm ci


def _compose_client():
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def test_docker_compose_accepts_the_file():
    client = _compose_client()
    if client is None:
        pytest.skip("no docker compose client on this machine")
    out = subprocess.run([*client, "-f", os.path.join(ROOT, "docker-compose.yml"), "config", "-q"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
