"""Administrative commands: infrastructure check, database creation and migrations, demo data."""
import shutil
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared import config

ROOT = Path(__file__).resolve().parent.parent

DEMO_ORGANIZATION = {"id": 1, "name": 'ГБУЗ МО "ДЕМОНСТРАЦИОННАЯ ПОЛИКЛИНИКА"', "kind": "mo", "registry_code": "509901"}
DEMO_USER = {"id": 1, "organization_id": 1, "surname": "ДЕМОНСТРАЦИОННЫЙ", "first_name": "ПОЛЬЗОВАТЕЛЬ",
             "patronymic": "ТЕСТОВИЧ"}


def _rabbit_ok(uri):
    from kombu import Connection
    try:
        with Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:
        return False


def _postgres_ok(url):
    try:
        engine = create_engine(make_url(url).set(database="postgres"), connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def _docker_available():
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], capture_output=True).returncode == 0


def check_infra(start=False):
    settings = config.load()
    missing = []
    if not _rabbit_ok(settings.amqp_uri):
        missing.append(("rabbitmq", "RabbitMQ", settings.amqp_uri.split("@")[-1], "rabbitmq-server -detached"))
    if not _postgres_ok(settings.database_url):
        missing.append(("postgres", "PostgreSQL", make_url(settings.database_url).render_as_string(hide_password=True),
                        "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"))
    if not missing:
        return True
    if start and _docker_available():
        print("Запускаем через docker compose: " + ", ".join(m[0] for m in missing), flush=True)
        subprocess.run(["docker", "compose", "up", "-d", *[m[0] for m in missing]], cwd=ROOT, check=True)
        for _ in range(60):
            if _rabbit_ok(settings.amqp_uri) and _postgres_ok(settings.database_url):
                return True
            time.sleep(2)
    for _, name, where, how in missing:
        print(f"{name} не отвечает по адресу {where}. Запустите его, например: {how}\n"
              f"  (или, где есть Docker: docker compose up -d {_}).", flush=True)
    return False


def create_database(url):
    url = make_url(url)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()
    return not exists


def migrate(url=None):
    from alembic import command
    from alembic.config import Config

    url = url or config.load().database_url
    if create_database(url):
        print(f"Создана база данных {make_url(url).database}")
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "services/journal/migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "heads")  # parallel branches are merged later; all heads apply


def seed(url=None):
    """Idempotent demo data: one organisation, one user, the МО dictionary."""
    from shared.dictionaries.mo import mo_dictionary

    engine = create_engine(url or config.load().database_url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO organizations (id, name, kind, registry_code) VALUES (:id, :name, :kind, :registry_code) "
            "ON CONFLICT (id) DO NOTHING"), DEMO_ORGANIZATION)
        conn.execute(text(
            "INSERT INTO users (id, organization_id, surname, first_name, patronymic) "
            "VALUES (:id, :organization_id, :surname, :first_name, :patronymic) ON CONFLICT (id) DO NOTHING"),
            DEMO_USER)
        for table in ("organizations", "users"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"GREATEST((SELECT max(id) FROM {table}), 1))"))
        rows = [{"code": code, "name": name} for code, name in mo_dictionary()]
        conn.execute(text("INSERT INTO mo_dictionary (code, name) VALUES (:code, :name) "
                          "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name"), rows)
    engine.dispose()
    print(f"Демонстрационные данные загружены: 1 организация, 1 пользователь, {len(rows)} МО в справочнике.")
