"""Administrative commands: infrastructure check, database creation and migrations, demo data."""

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from shared import config, db

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parent.parent

DEMO_ORGANIZATION = {"id": 1, "name": 'ГБУЗ МО "ДЕМОНСТРАЦИОННАЯ ПОЛИКЛИНИКА"', "kind": "mo", "registry_code": "509901"}
DEMO_USER: dict[str, Any] = {
    "id": 1,
    "organization_id": 1,
    "surname": "ДЕМОНСТРАЦИОННЫЙ",
    "first_name": "ПОЛЬЗОВАТЕЛЬ",
    "patronymic": "ТЕСТОВИЧ",
}


def _rabbit_ok(uri: str) -> bool:
    from kombu import Connection

    try:
        with Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def _postgres_error(url: str) -> str | None:
    """None when PostgreSQL at `url` accepts a connection (to its `postgres` database), else the reason."""
    try:
        engine = db.engine(make_url(url).set(database="postgres"), connect_args={"connect_timeout": 3})
        try:
            with engine.connect():
                pass
        finally:
            engine.dispose()
        return None
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip()
        return reason.splitlines()[0] if reason else type(exc).__name__


def _postgres_ok(url: str) -> bool:
    return _postgres_error(url) is None


def wait_for_database(url: str, seconds: float, interval: float = 2.0) -> None:
    """Return once PostgreSQL answers; stop with a Russian message when it has not within `seconds`."""
    where = make_url(url).render_as_string(hide_password=True)
    deadline = time.monotonic() + seconds
    told = False
    while (error := _postgres_error(url)) is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            waited = f" за {seconds:g} с" if seconds > 0 else ""
            raise SystemExit(
                f"PostgreSQL не ответил{waited} ({where}): {error}. "
                "Проверьте, что он запущен, и настройку DATABASE_URL."
            )
        if not told:
            print(f"PostgreSQL пока не отвечает ({where}); ждём до {seconds:g} с…", flush=True)
            told = True
        time.sleep(min(interval, left))


def _vhost_ready(settings: config.Settings) -> str | None:
    """The stack's RabbitMQ vhost exists (created when missing) -> None, else a Russian reason."""
    from shared import broker

    if _rabbit_ok(settings.amqp_uri):
        return None
    problem = broker.ensure_vhost(settings.amqp_uri, settings.rabbit_management_url)
    if problem is None and not _rabbit_ok(settings.amqp_uri):
        problem = f"RabbitMQ не принимает подключение к виртуальному узлу «{broker.vhost_of(settings.amqp_uri)}»"
    return problem


def check_infra(start: bool = False, containers_ok: bool = False) -> bool:
    """True when RabbitMQ (with the stack's vhost) and PostgreSQL answer; start: from docker-compose.yml where
    Docker is; containers_ok: for the tests, which start containers of their own (tests/infra.py)."""
    settings = config.load()
    missing = []
    if not _broker_listening(settings.amqp_uri):
        missing.append(("rabbitmq", "RabbitMQ", settings.amqp_uri.split("@")[-1], "rabbitmq-server -detached"))
    if not _postgres_ok(settings.database_url):
        missing.append(
            (
                "postgres",
                "PostgreSQL",
                make_url(settings.database_url).render_as_string(hide_password=True),
                "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            )
        )
    if not missing:
        return report_vhost(settings)
    if containers_ok and _docker_engine_ok() and shutil.which("docker"):
        print(
            ", ".join(m[1] for m in missing) + " не отвечает: тесты запустят RabbitMQ и PostgreSQL в контейнерах "
            "(testcontainers).",
            flush=True,
        )
        return True
    if start and start_in_docker(settings, [m[0] for m in missing]):
        for _ in range(60):
            if _broker_listening(settings.amqp_uri) and _postgres_ok(settings.database_url):
                return report_vhost(settings)
            time.sleep(2)
    for _, name, where, how in missing:
        print(
            f"{name} не отвечает по адресу {where}. Запустите его, например: {how}\n"
            f"  (или, где есть Docker: ozsp infra --start).",
            flush=True,
        )
    return False


def _broker_listening(amqp_uri: str) -> bool:
    """Whether RabbitMQ accepts connections at all, whatever the stack's own vhost."""
    import socket

    parts = urlsplit(amqp_uri)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=3).close()
        return True
    except OSError:
        return False


def report_vhost(settings: config.Settings) -> bool:
    problem = _vhost_ready(settings)
    if problem:
        print(problem, flush=True)
    return problem is None


# ---- RabbitMQ and PostgreSQL from docker-compose.yml (ozsp infra --start) ----

FORWARDERS = {"rabbitmq": ["rabbitmq_port", "rabbitmq_management_port"], "postgres": ["postgres_port"]}


def compose_command() -> list[str] | None:
    """`docker compose` (v2) when it answers, else `docker-compose` (v1); None without either."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def _docker_engine_ok() -> bool:
    """False when the docker client says no engine answers (docker-compose v1 alone: let it try)."""
    return not shutil.which("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def compose_environment(settings: config.Settings) -> tuple[dict[str, str], list[str]]:
    """(docker-compose.yml variables matching the local settings, problems): the containers have no guest
    and no password-less login, so the settings must name such users."""
    amqp, database = urlsplit(settings.amqp_uri), make_url(settings.database_url)
    problems: list[str] = []
    if not amqp.username or unquote(amqp.username) == "guest" or not amqp.password:
        problems.append("в AMQP_URI нужен пользователь RabbitMQ с паролем, не guest")
    if database.username != "postgres" or not database.password:
        problems.append("в DATABASE_URL нужен пользователь postgres с паролем")
    env = {
        "RABBITMQ_USER": unquote(amqp.username or ""),
        "RABBITMQ_PASSWORD": unquote(amqp.password or ""),
        "RABBITMQ_VHOST": unquote(amqp.path[1:]) or "/",
        "POSTGRES_PASSWORD": database.password or "",
    }
    return env, problems


def start_in_docker(settings: config.Settings, names: Sequence[str]) -> bool:
    """Start `names` (rabbitmq, postgres) with their 127.0.0.1 forwarders (compose profile `ports`)."""
    client = compose_command()
    if client is None or not _docker_engine_ok():
        return False
    env, problems = compose_environment(settings)
    if problems:
        print(
            "RabbitMQ и PostgreSQL из docker-compose.yml не запущены: " + "; ".join(problems) + ". Например, "
            "с паролями docker-compose.yml по умолчанию:\n  export AMQP_URI=amqp://ozsp:ozsp-dev@127.0.0.1:5672/ozsp"
            " DATABASE_URL=postgresql+psycopg2://postgres:ozsp-dev@127.0.0.1:5432/ozsp",
            flush=True,
        )
        return False
    version = "Compose v2" if client[0] == "docker" else "Compose v1"
    print(f"Запускаем через {' '.join(client)} ({version}): {', '.join(names)}", flush=True)
    services = [s for name in names for s in (name, *FORWARDERS[name])]
    done = subprocess.run([*client, "--profile", "ports", "up", "-d", *services], cwd=ROOT, env={**os.environ, **env})
    if done.returncode != 0:
        print(f"{' '.join(client)} завершился с кодом {done.returncode}; см. сообщения выше.", flush=True)
    return done.returncode == 0


def create_database(url: str) -> bool:
    parsed = make_url(url)
    engine = db.engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    engine.dispose()
    return not exists


def alembic_config(url: str) -> "Config":
    """Alembic's configuration for the journal's migrations on the database at `url`."""
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "services/journal/migrations"))
    cfg.attributes["url"] = url
    return cfg


def migrate(url: str | None = None, wait: float = 0) -> None:
    """Create the database when missing and apply the migrations; wait up to `wait` seconds for PostgreSQL."""
    from alembic import command

    url = url or config.load().database_url
    wait_for_database(url, wait)
    if create_database(url):
        print(f"Создана база данных {make_url(url).database}")
    command.upgrade(alembic_config(url), "head")


def seed(url: str | None = None, dev_login: bool | None = None) -> None:
    """Idempotent demo data: one organisation, one user, the МО dictionary; with dev login also the dev test CA,
    its CRL and the dev certificate registered for the demo user."""
    from shared.dictionaries.mo import mo_dictionary

    engine = db.engine(url or config.load().database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organizations (id, name, kind, registry_code) VALUES (:id, :name, :kind, :registry_code) "
                "ON CONFLICT (id) DO NOTHING"
            ),
            DEMO_ORGANIZATION,
        )
        conn.execute(
            text(
                "INSERT INTO users (id, organization_id, surname, first_name, patronymic, roles) "
                "VALUES (:id, :organization_id, :surname, :first_name, :patronymic, '{web,admin}') "
                "ON CONFLICT (id) DO NOTHING"
            ),
            DEMO_USER,
        )
        for table in ("organizations", "users"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT max(id) FROM {table}), 1))"
                )
            )
        rows = [{"code": code, "name": name} for code, name in mo_dictionary()]
        conn.execute(
            text(
                "INSERT INTO mo_dictionary (code, name) VALUES (:code, :name) "
                "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name"
            ),
            rows,
        )
        if dev_login is None:
            settings = config.load()
            dev_login = config.flag(settings.dev_login) and settings.ozsp_mode == "dev"
        if dev_login:
            _seed_dev_pki(conn)
    engine.dispose()
    print(
        f"Демонстрационные данные загружены: 1 организация, 1 пользователь, {len(rows)} МО в справочнике"
        + (", тестовый УЦ и сертификат для входа без токена." if dev_login else ".")
    )


def _seed_dev_pki(conn: Connection) -> None:
    from services.journal import directory
    from shared.gost.testpki import DevPki

    conn.execute(
        text("UPDATE users SET roles = array_append(roles, 'admin') WHERE id = :id AND NOT 'admin' = ANY(roles)"),
        {"id": DEMO_USER["id"]},
    )  # the demo user administers
    dev = DevPki()
    directory.import_ca(conn, dev.ca.cert, actor="seed")
    if not conn.execute(
        text("SELECT 1 FROM crls c JOIN cas a ON a.id = c.ca_id WHERE a.thumbprint = :t"), {"t": dev.ca.cert.thumbprint}
    ).first():
        directory.import_crl(conn, dev.crl, actor="seed")
    if not conn.execute(
        text("SELECT 1 FROM certificates WHERE thumbprint = :t"), {"t": dev.user.cert.thumbprint}
    ).first():
        directory.add_certificate(conn, DEMO_USER["id"], dev.user.cert, source="admin", actor="seed")


def test_cas_in_directory(url: str | None = None) -> list[str]:
    """Thumbprints of test-PKI CAs in the directory: production refuses to start with any."""
    from shared.gost import load_certificate
    from shared.gost.testpki import is_test_ca

    engine = db.engine(url or config.load().database_url)
    try:
        with engine.connect() as conn:
            ders: list[bytes] = list(conn.execute(text("SELECT der FROM cas WHERE active")).scalars())
    finally:
        engine.dispose()
    return [load_certificate(bytes(d)).thumbprint for d in ders if is_test_ca(bytes(d))]


# ---- МО dictionary from the FFOMS register of medical organisations (F003) ----


def parse_mo_register(data: bytes, okato: str | None = None) -> tuple[list[tuple[str, str]], int]:
    """(rows [(code, name)], skipped) from an F003 XML file (packet/medCompany with mcod, nam_mok, nam_mop).

    Element names are matched without regard to case or namespace; the short name (nam_mok) is used,
    else the full one (nam_mop). okato: keep only МО of that territory (tf_okato), e.g. "46000"."""
    from lxml import etree

    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))

    def local(el: Any) -> str:
        return etree.QName(el).localname.lower() if isinstance(el.tag, str) else ""

    rows: dict[str, str] = {}
    skipped = 0
    for record in root.iter():
        if local(record) not in ("medcompany", "zap"):
            continue
        fields = {local(child): (child.text or "").strip() for child in record if local(child)}
        code, name = fields.get("mcod", ""), fields.get("nam_mok") or fields.get("nam_mop")
        if okato and fields.get("tf_okato") and fields["tf_okato"] != okato:
            continue
        if not (len(code) == 6 and code.isdigit() and name):
            skipped += 1
            continue
        rows[code] = " ".join(name.split())
    return sorted(rows.items()), skipped


def load_mo(path: str | Path, url: str | None = None, okato: str | None = None) -> tuple[int, int]:
    """Upsert the МО dictionary from an F003 XML file; returns (loaded, skipped)."""
    rows, skipped = parse_mo_register(Path(path).read_bytes(), okato)
    if rows:
        engine = db.engine(url or config.load().database_url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO mo_dictionary (code, name) VALUES (:code, :name) "
                    "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name"
                ),
                [{"code": code, "name": name} for code, name in rows],
            )
        engine.dispose()
    print(f"Справочник МО: загружено {len(rows)} записей, пропущено {skipped} (нет кода МО или наименования).")
    return len(rows), skipped


# ---- the support archive of ФЕРЗЛ exchanges (administrators only) ----


def archive_show(
    request_id: int, url: str | None = None, out: str | None = None, actor: str = "admin"
) -> list[dict[str, Any]]:
    """Print the raw ФЕРЗЛ exchanges of a request; with out, also save them as files. Each read is audited."""
    from services.journal import archive

    engine = db.engine(url or config.load().database_url)
    with engine.begin() as conn:
        records = archive.for_request(conn, int(request_id))
        conn.execute(
            text(
                "INSERT INTO audit (action, object_id, details) VALUES ('archive_show', :id, CAST(:details AS jsonb))"
            ),
            {"id": str(request_id), "details": f'{{"records": {len(records)}, "actor": "{actor}"}}'},
        )
    engine.dispose()
    if not records:
        print(f"В архиве нет обменов с ФЕРЗЛ по запросу {request_id} (или срок хранения истёк).")
        return records
    for n, r in enumerate(records, 1):
        print(
            f"--- {n}. {r['at']} {r['operation']} HTTP {r['http_status']} "
            f"{r['duration_ms']} мс, персон в вызове: {r['persons']}"
        )
        if r.get("note"):
            print(f"примечание: {r['note']}")
        for part in ("request", "response"):
            print(f"[{part}]")
            print(_printable(r[part]))
            if out:
                folder = Path(out)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{request_id}-{n}-{r['operation']}-{part}.bin").write_bytes(r[part] or b"")
    return records


def _printable(data: bytes | None) -> str:
    """XML as text; the binary parts of an MTOM message (the zip) are summarised, not printed."""
    if data is None:
        return "(нет)"
    if not data.lstrip().startswith(b"--"):
        return data.decode("utf-8", "replace")
    out = []
    for part in data.split(b"\r\n--"):
        head, _, body = part.partition(b"\r\n\r\n")
        if b"application/zip" in head or b"octet-stream" in head:
            out.append(head.decode("latin-1").strip() + f"\n(двоичное вложение, {len(body)} байт; --out сохранит его)")
        else:
            out.append(part.decode("utf-8", "replace").strip())
    return "\n".join(out)


def letters_requeue(amqp_uri: str | None = None) -> int:
    """Send the parked certificate-registration letters (MAIL_RETRY_ATTEMPTS failed tries) through again."""
    from services.certmail import retry

    try:
        moved = retry.requeue_parked(amqp_uri or config.load().amqp_uri)
    except OSError as exc:
        raise SystemExit(f"RabbitMQ недоступен ({type(exc).__name__}): письма остались отложенными.") from None
    print(f"Возвращено в обработку писем: {moved}." if moved else "Отложенных писем нет.")
    return moved
