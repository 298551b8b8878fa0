"""docker-compose.yml and the Dockerfile agree with the code: there is no Docker engine on the test machine, so
these checks stand in for `docker compose up` — every process `make run` starts has a container running the same
command, every setting given is one the code reads, the addresses point at the right containers and ports, and
the image holds what the services import and serve. Section 5 of issue 16 adds the rules of a fresh Docker host
(passwords, ports, healthchecks, one image): each is a function listing problems, run on the file and, mutated,
shown to catch its fault. `docker compose config` itself runs where a client exists."""

import ast
import copy
import functools
import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import zoneinfo
from dataclasses import fields
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from services.ferzl_emulator.server import SOAP_PATH
from services.gateway.web.static import VENDOR
from services.supervisor import NAMEKO_SERVICES, START_ORDER
from shared import health, heartbeat
from shared.config import Settings, load

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def interpolate(text):
    """What compose reads with none of the variables set: ${NAME:-default} becomes its default."""
    return _VARIABLE.sub(lambda m: m[2] or "", text)


with open(os.path.join(ROOT, "docker-compose.yml"), encoding="utf-8") as _f:
    RAW_TEXT = _f.read()
RAW = yaml.safe_load(RAW_TEXT)  # ${...} kept: shows which values come from the environment
COMPOSE = yaml.safe_load(interpolate(RAW_TEXT))
SERVICES = COMPOSE["services"]
KNOWN = {f.name.upper() for f in fields(Settings)}
PROCESS_VARIABLES = {"TZ"}  # read by the C library and Python's time module, not by shared.config
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
            unknown = set(env(name)) - KNOWN - PROCESS_VARIABLES
            assert not unknown, f"{name}: settings nobody reads: {sorted(unknown)}"
            load(env(name))  # numbers are numbers (SettingError otherwise)


def test_addresses_point_at_the_right_containers_and_ports():
    emulator = env("ferzl_emulator")
    for name in START_ORDER:
        settings = env(name)
        assert urlsplit(settings["AMQP_URI"]).hostname == "rabbitmq"
        assert urlsplit(settings["DATABASE_URL"]).hostname == "postgres"
        ferzl = urlsplit(load(settings).effective_ferzl_url)
        assert (ferzl.hostname, ferzl.port, ferzl.path) == (
            "ferzl_emulator",
            port(emulator["EMULATOR_ADDRESS"]),
            SOAP_PATH,
        )
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
            if source.startswith("./"):  # a bind mount of a file of this repository (deploy/)
                assert os.path.exists(os.path.join(ROOT, source)), f"{name}: {source} is not in the repository"
                continue
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
    out = subprocess.run(
        [*client, "-f", os.path.join(ROOT, "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr


# ---- section 5 of issue 16: a fresh Docker host ----

FORWARDED = {5432: "postgres", 5672: "rabbitmq", 15672: "rabbitmq"}  # opened to 127.0.0.1 by profile `ports`


def _env(service):
    return {k: str(v) for k, v in (service.get("environment") or {}).items()}


def _value(raw):
    return interpolate(str(raw))


def _from_environment(raw, variable):
    return str(raw).startswith("${" + variable + ":-") and _value(raw) != ""


def _port_spec(spec):
    """(host ip, host port, container port) of a `ports:` entry."""
    parts = str(spec).split(":")
    target = int(parts[-1].split("/")[0])
    return (parts[0] if len(parts) == 3 else "0.0.0.0"), int(parts[-2]) if len(parts) > 1 else target, target


def _depends(service):
    deps = service.get("depends_on") or {}
    return (
        {d: "service_started" for d in deps}
        if isinstance(deps, list)
        else {d: (c or {}).get("condition", "service_started") for d, c in deps.items()}
    )


def _one_shots(compose):
    return {
        d for s in compose["services"].values() for d, c in _depends(s).items() if c == "service_completed_successfully"
    }


def _long_running(compose):
    return [n for n, s in compose["services"].items() if not s.get("profiles") and n not in _one_shots(compose)]


def check_store_ports(compose):
    """PostgreSQL and RabbitMQ only inside the network; profile `ports` forwards them to 127.0.0.1 alone."""
    services, problems, forwarded = compose["services"], [], {}
    for name in set(FORWARDED.values()):
        problems += [f"{name} publishes {spec}" for spec in services[name].get("ports") or []]
    for name, service in services.items():
        in_profile = "ports" in (service.get("profiles") or [])
        for spec in service.get("ports") or []:
            ip, host_port, target = _port_spec(spec)
            if host_port in FORWARDED or target in FORWARDED or in_profile:
                if not in_profile or ip != "127.0.0.1":
                    problems.append(f"{name} publishes {spec}: only profile `ports`, only on 127.0.0.1")
        if in_profile:
            listen, to = service["command"]
            _, host, to_port = to.split(":")
            forwarded[int(listen.split(":")[1].split(",")[0])] = (name, host, int(to_port))
            if host not in _depends(service):
                problems.append(f"{name} forwards to {host} but does not depend on it")
    for port, target in FORWARDED.items():
        if forwarded.get(port, (None, target, port))[1:] != (target, port) or port not in forwarded:
            problems.append(f"profile `ports` does not forward 127.0.0.1:{port} to {target}:{port}")
    from services import admin  # `ozsp infra --start` starts these forwarders by name

    for target, names in admin.FORWARDERS.items():
        for name in names:
            if (
                name not in services
                or "ports" not in (services[name].get("profiles") or [])
                or services[name]["command"][1].split(":")[1] != target
            ):
                problems.append(f"admin.FORWARDERS names {name}, not a forwarder of {target} in profile `ports`")
    return problems


def check_broker_users(compose):
    """The broker's one user, password and vhost come from the environment, no guest; every AMQP_URI uses them."""
    rabbit, problems = _env(compose["services"]["rabbitmq"]), []
    wanted = {
        "RABBITMQ_DEFAULT_USER": "RABBITMQ_USER",
        "RABBITMQ_DEFAULT_PASS": "RABBITMQ_PASSWORD",
        "RABBITMQ_DEFAULT_VHOST": "RABBITMQ_VHOST",
    }
    for key, variable in wanted.items():
        if not _from_environment(rabbit.get(key), variable):
            problems.append(f"rabbitmq {key} is not ${{{variable}:-...}}")
    user, password, vhost = (_value(rabbit.get(k)) for k in wanted)
    if "guest" in interpolate(json.dumps(compose)).lower():
        problems.append("guest in docker-compose.yml")
    for name, service in compose["services"].items():
        uri = _env(service).get("AMQP_URI")
        if uri is None:
            continue
        parts = urlsplit(_value(uri))
        if (unquote(parts.username or ""), unquote(parts.password or ""), unquote(parts.path[1:]) or "/") != (
            user,
            password,
            vhost,
        ) or parts.hostname != "rabbitmq":
            problems.append(f"{name}: AMQP_URI is not the rabbitmq user, password and vhost")
        if not all("${" + v + ":-" in uri for v in wanted.values()):
            problems.append(f"{name}: AMQP_URI does not take {', '.join(wanted.values())} from the environment")
    return problems


def check_database_login(compose):
    """scram with a password from the environment, never trust; every DATABASE_URL carries that password."""
    from sqlalchemy.engine import make_url

    postgres, problems = _env(compose["services"]["postgres"]), []
    if postgres.get("POSTGRES_HOST_AUTH_METHOD") != "scram-sha-256":
        problems.append(f"postgres POSTGRES_HOST_AUTH_METHOD is {postgres.get('POSTGRES_HOST_AUTH_METHOD')}")
    if not _from_environment(postgres.get("POSTGRES_PASSWORD"), "POSTGRES_PASSWORD"):
        problems.append("postgres POSTGRES_PASSWORD is not ${POSTGRES_PASSWORD:-...}")
    for name, service in compose["services"].items():
        url = _env(service).get("DATABASE_URL")
        if url is None:
            continue
        parsed = make_url(_value(url))
        if (parsed.username, parsed.password, parsed.host) != (
            "postgres",
            _value(postgres.get("POSTGRES_PASSWORD")),
            "postgres",
        ) or "${POSTGRES_PASSWORD:-" not in url:
            problems.append(f"{name}: DATABASE_URL lacks the password of POSTGRES_PASSWORD")
    return problems


def check_postgres_healthcheck(compose):
    """pg_isready over TCP: the socket answers while the first-start server does not listen on the network."""
    test = compose["services"]["postgres"].get("healthcheck", {}).get("test") or []
    if "pg_isready" not in test or "-h" not in test or test[test.index("-h") + 1] != "127.0.0.1":
        return [f"postgres healthcheck {test} is not pg_isready -h 127.0.0.1"]
    return [] if "-U" in test else ["pg_isready without -U"]


def check_time_zone(compose):
    """TZ from the environment, defaulting to a real zone, on every long-running container (logs only)."""
    problems = []
    for name in _long_running(compose):
        raw = (compose["services"][name].get("environment") or {}).get("TZ")
        if not _from_environment(raw, "TZ"):
            problems.append(f"{name}: no TZ from the environment")
        else:
            zoneinfo.ZoneInfo(_value(raw))
    return problems


@functools.cache
def _serves(service, path):
    """Whether the code of `service` answers GET `path`."""
    if service == "ferzl_emulator":
        from werkzeug.test import Client

        from services.ferzl_emulator.register import Register
        from services.ferzl_emulator.server import Emulator

        return Client(Emulator(Register(), "token")).get(path).status_code == 200
    module, cls = NAMEKO_SERVICES[service].split(":")
    cls = getattr(importlib.import_module(module), cls)
    return any(
        getattr(e, "method", None) == "GET" and getattr(e, "url", None) == path
        for n in dir(cls)
        for e in getattr(getattr(cls, n), "nameko_entrypoints", None) or ()
    )


def _has_heartbeat(service):
    module, cls = NAMEKO_SERVICES[service].split(":")
    cls = getattr(importlib.import_module(module), cls)
    return any(isinstance(getattr(cls, n, None), heartbeat.Heartbeat) for n in dir(cls))


def check_healthchecks(compose):
    """Every long-running container has a healthcheck; ours run `python -m shared.health` (no curl in the image)
    against what the code really serves: the heartbeat of a nameko service, a route, the SMTP greeting."""
    problems = []
    for name in _long_running(compose):
        service = compose["services"][name]
        test = (service.get("healthcheck") or {}).get("test") or []
        if not test or test[0] not in ("CMD", "CMD-SHELL") or service["healthcheck"].get("disable"):
            problems.append(f"{name}: no healthcheck")
            continue
        if not str(service.get("image", "")).startswith("ozsp"):
            continue
        if test[1:4] != ["python", "-m", "shared.health"]:
            problems.append(f"{name}: healthcheck {test} is not python -m shared.health")
            continue
        args, settings = health.build_parser().parse_args(test[4:]), _env(service)
        command = service.get("command") or []
        runs = command[2] if command[:2] == ["ozsp", "run"] else name
        if args.kind == "heartbeat":
            if runs not in NAMEKO_SERVICES or not _has_heartbeat(runs):
                problems.append(f"{name}: no Heartbeat dependency in {runs}")
            if _value(settings.get("HEARTBEAT_FILE")) != args.file:
                problems.append(f"{name}: checks {args.file}, HEARTBEAT_FILE is {settings.get('HEARTBEAT_FILE')}")
            if args.max_age < 3 * heartbeat.INTERVAL:
                problems.append(f"{name}: --max-age {args.max_age} leaves no room for a late heartbeat")
        elif args.kind == "http":
            url = urlsplit(args.url)
            address = settings.get("WEB_ADDRESS") or settings.get("EMULATOR_ADDRESS") or ":"
            if url.hostname != "127.0.0.1" or str(url.port) != address.rsplit(":", 1)[1]:
                problems.append(f"{name}: {args.url} is not the address it listens on ({address})")
            elif not _serves(runs, url.path):
                problems.append(f"{name}: {runs} does not answer GET {url.path}")
        else:
            if runs != "certmail_intake" or args.address != "127.0.0.1:" + settings["SMTP_ADDRESS"].rsplit(":", 1)[1]:
                problems.append(f"{name}: SMTP check of {args.address} is not its SMTP_ADDRESS")
    return problems


def check_one_image(compose):
    """One service builds the image; every other user of it takes the tag (never pulled) and depends on the
    builder, so compose v1 (dependency order) and v2 (builds first) both have it before starting anything."""
    services = compose["services"]
    builders = [n for n, s in services.items() if "build" in s]
    if len(builders) != 1:
        return [f"{len(builders)} services build an image: {builders}"]
    builder, problems = builders[0], []
    tag = services[builder].get("image")
    for name, service in services.items():
        command = " ".join(service.get("command") or [])
        ours = command.startswith(("ozsp", "python")) or "ozsp " in command
        if name == builder or not (ours or service.get("image") == tag):
            continue
        if service.get("image") != tag:
            problems.append(f"{name} runs our code from image {service.get('image')}, not {tag}")
        if builder not in _depends(service):
            problems.append(f"{name} uses {tag} but does not depend on {builder}, which builds it")
        if service.get("pull_policy") != "never":
            problems.append(f"{name}: pull_policy is not never (compose v2 would ask a registry for {tag})")
    return problems


def _migrate_arguments(compose):
    script = " ".join(compose["services"]["migrate"]["command"])
    words = shlex.split(script.split("-c", 1)[-1]) if "sh -c" in script else shlex.split(script)
    start = words.index("migrate")
    end = next((i for i in range(start, len(words)) if words[i] in ("&&", ";", "||")), len(words))
    return words[start:end]


def check_migrate_waits(compose):
    """`ozsp migrate --wait N`: PostgreSQL answering on TCP after its healthcheck may still take a moment."""
    problems = []
    arguments = _migrate_arguments(compose)
    if "--wait" not in arguments or float(arguments[arguments.index("--wait") + 1]) < 30:
        problems.append(f"migrate runs `ozsp {' '.join(arguments)}` without --wait of 30 s or more")
    if _depends(compose["services"]["migrate"]).get("postgres") != "service_healthy":
        problems.append("migrate does not wait for a healthy postgres")
    return problems


def check_dependencies(compose):
    """Services start after a healthy broker and a completed migration."""
    problems = []
    for name, service in compose["services"].items():
        settings, deps = _env(service), _depends(service)
        if "AMQP_URI" in settings and deps.get("rabbitmq") != "service_healthy":
            problems.append(f"{name} does not wait for a healthy rabbitmq")
        if "DATABASE_URL" in settings and name != "migrate" and deps.get("migrate") != "service_completed_successfully":
            problems.append(f"{name} does not wait for migrate to complete")
    return problems


CHECKS = [
    check_store_ports,
    check_broker_users,
    check_database_login,
    check_postgres_healthcheck,
    check_time_zone,
    check_healthchecks,
    check_one_image,
    check_migrate_waits,
    check_dependencies,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_compose_file_passes(check):
    assert check(RAW) == []


def _set(path, value):
    """A mutation: put `value` at services.<path> (dots), or delete it when value is None."""

    def mutate(compose):
        *parents, last = path.split(".")
        node = compose["services"]
        for key in parents:
            node[key] = copy.copy(node[key])  # anchors share objects: change this service only
            node = node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value

    return mutate


FAULTS = [
    (check_store_ports, "postgres.ports", ["5432:5432"]),
    (check_store_ports, "rabbitmq.ports", ["15672:15672"]),
    (check_store_ports, "rabbitmq_port.ports", ["5672:5672"]),
    (check_store_ports, "postgres_port.profiles", None),
    (check_store_ports, "rabbitmq_management_port.command", ["TCP-LISTEN:15672,fork", "TCP:postgres:15672"]),
    (check_broker_users, "rabbitmq.environment.RABBITMQ_DEFAULT_USER", "guest"),
    (check_broker_users, "rabbitmq.environment.RABBITMQ_DEFAULT_PASS", "secret"),
    (check_broker_users, "journal.environment.AMQP_URI", "amqp://guest:guest@rabbitmq:5672/"),
    (
        check_broker_users,
        "gateway.environment.AMQP_URI",
        "amqp://${RABBITMQ_USER:-ozsp}:${RABBITMQ_PASSWORD:-ozsp-dev}@rabbitmq:5672/",
    ),
    (check_database_login, "postgres.environment.POSTGRES_HOST_AUTH_METHOD", "trust"),
    (check_database_login, "postgres.environment.POSTGRES_PASSWORD", "ozsp-dev"),
    (check_database_login, "migrate.environment.DATABASE_URL", "postgresql+psycopg2://postgres@postgres:5432/ozsp"),
    (check_postgres_healthcheck, "postgres.healthcheck.test", ["CMD", "pg_isready", "-U", "postgres"]),
    (check_time_zone, "gateway.environment.TZ", None),
    (check_time_zone, "postgres.environment.TZ", "Europe/Moscow"),
    (check_healthchecks, "ferzl_emulator.healthcheck", None),
    (check_healthchecks, "rabbitmq.healthcheck", None),
    (check_healthchecks, "gateway.healthcheck.test", ["CMD", "curl", "-f", "http://127.0.0.1:8000/api/v1/health"]),
    (
        check_healthchecks,
        "gateway.healthcheck.test",
        ["CMD", "python", "-m", "shared.health", "http", "http://127.0.0.1:8000/api/v1/healthz"],
    ),
    (
        check_healthchecks,
        "ferzl_emulator.healthcheck.test",
        ["CMD", "python", "-m", "shared.health", "http", "http://127.0.0.1:8100/emulator/healthz"],
    ),
    (
        check_healthchecks,
        "ferzl_emulator.healthcheck.test",
        ["CMD", "python", "-m", "shared.health", "http", "http://127.0.0.1:8000/emulator/health"],
    ),
    (check_healthchecks, "certmail_intake.healthcheck.test", ["CMD", "python", "-m", "shared.health", "smtp", ":25"]),
    (
        check_healthchecks,
        "journal.healthcheck.test",
        ["CMD", "python", "-m", "shared.health", "heartbeat", "/tmp/elsewhere", "--max-age", "30"],
    ),
    (
        check_healthchecks,
        "flk.healthcheck.test",
        ["CMD", "python", "-m", "shared.health", "heartbeat", "/tmp/ozsp-heartbeat", "--max-age", "5"],
    ),
    (
        check_healthchecks,
        "certmail_intake.healthcheck",
        {"test": ["CMD", "python", "-m", "shared.health", "heartbeat", "/tmp/ozsp-heartbeat"]},
    ),
    (check_one_image, "flk.build", "."),
    (check_one_image, "gateway.depends_on", {"rabbitmq": {"condition": "service_healthy"}}),
    (check_one_image, "ferzl_emulator.depends_on", None),
    (check_one_image, "certmail.image", "ozsp:other"),
    (check_one_image, "journal.pull_policy", None),
    (check_migrate_waits, "migrate.command", ["sh", "-c", "ozsp migrate && ozsp seed"]),
    (check_migrate_waits, "migrate.command", ["sh", "-c", "ozsp migrate --wait 5 && ozsp seed"]),
    (check_migrate_waits, "migrate.depends_on", {"postgres": {"condition": "service_started"}}),
    (
        check_dependencies,
        "journal.depends_on",
        {"rabbitmq": {"condition": "service_started"}, "migrate": {"condition": "service_completed_successfully"}},
    ),
    (
        check_dependencies,
        "gateway.depends_on",
        {"rabbitmq": {"condition": "service_healthy"}, "migrate": {"condition": "service_started"}},
    ),
]


@pytest.mark.parametrize("check,path,value", FAULTS, ids=[f"{c.__name__}-{p}" for c, p, _ in FAULTS])
def test_each_check_catches_its_fault(check, path, value):
    compose = copy.deepcopy(RAW)
    _set(path, value)(compose)
    assert check(compose), f"{check.__name__} missed {path} = {value}"


def test_the_migrate_command_of_the_file_is_one_the_cli_takes(monkeypatch):
    from services import admin, cli

    calls = []
    monkeypatch.setattr(admin, "migrate", lambda **kw: calls.append(kw))
    cli.main(_migrate_arguments(COMPOSE))
    assert calls == [{"wait": 60.0}]
