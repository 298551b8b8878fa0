"""`ozsp directory` as an administrator runs it: real process, real database, files from the test PKI."""

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from shared.gost.testpki import TestPki

pytestmark = pytest.mark.integration


def ozsp(database_url, *args):
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "directory", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_directory_commands_manage_and_audit(database_url, engine, tmp_path):
    ca = TestPki(seed="cli").ca("УЦ ДЛЯ КОМАНДЫ")
    user_cert = ca.issue("КОМАНДОВ ТЕСТ")
    (tmp_path / "ca.cer").write_text(ca.cert.pem)
    (tmp_path / "ca.crl").write_bytes(ca.crl().der)
    (tmp_path / "user.cer").write_bytes(user_cert.cert.der)
    (tmp_path / "junk.cer").write_bytes(b"not a certificate")

    r = ozsp(database_url, "org-add", "--name", 'ООО "ТЕСТОВАЯ СМО"', "--kind", "smo", "--code", "50999")
    assert r.returncode == 0, r.stderr
    org = int(r.stdout.split()[1])
    r = ozsp(
        database_url,
        "user-add",
        "--org",
        str(org),
        "--surname",
        "Командов",
        "--first-name",
        "Тест",
        "--email",
        "komandov@example.test",
    )
    assert r.returncode == 0, r.stderr
    user = int(r.stdout.split()[1])
    for args in (
        ("ca-import", str(tmp_path / "ca.cer")),
        ("crl-import", str(tmp_path / "ca.crl")),
        ("cert-add", str(user), str(tmp_path / "user.cer")),
        ("user-deactivate", str(user)),
    ):
        r = ozsp(database_url, *args)
        assert r.returncode == 0, (args, r.stderr)
    assert user_cert.cert.serial_hex in ozsp(database_url, "cert-add", str(user), str(tmp_path / "user.cer")).stdout

    listing = json.loads(ozsp(database_url, "list").stdout)
    me = next(u for u in listing["users"] if u["id"] == user)
    assert me["active"] is False and me["emails"] == ["komandov@example.test"]
    assert me["certificates"] == [user_cert.cert.serial_hex]
    assert me["application"] == f"/admin/application/{me['organization_id']}?user={user}"  # Приложение 1
    assert all(o["application"] == f"/admin/application/{o['id']}" for o in listing["organizations"])

    bad = ozsp(database_url, "cert-add", str(user), str(tmp_path / "junk.cer"))
    assert bad.returncode == 2 and bad.stderr.startswith("Ошибка:") and "Traceback" not in bad.stderr
    missing = ozsp(database_url, "user-activate", "999999")
    assert missing.returncode == 2 and "не найден" in missing.stderr

    with engine.connect() as conn:
        actions = (
            conn.execute(
                text(
                    "SELECT action FROM audit WHERE details->>'actor' IS NOT NULL "
                    "AND (object_id = :u OR object_id = :o)"
                ),
                {"u": str(user), "o": str(org)},
            )
            .scalars()
            .all()
        )
    assert {"directory.organization.add", "directory.user.add", "directory.user.deactivate"} <= set(actions)


def test_an_unreachable_database_is_a_russian_message_not_a_traceback(database_url):
    from sqlalchemy.engine import make_url

    closed = make_url(database_url).set(host="127.0.0.1", port=9).render_as_string(False)  # nothing listens on 9
    for args in (("list",), ("crl-refresh",)):
        done = ozsp(closed, *args)
        assert done.returncode == 2
        assert done.stderr.strip() == "Ошибка: база данных недоступна (DATABASE_URL); ничего не изменено."
