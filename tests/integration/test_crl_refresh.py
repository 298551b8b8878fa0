"""CRLs downloaded from the distribution points of registered certificates (CRL_REFRESH_MINUTES): stored when newer
and signed by the CA, ignored otherwise, an alarm when none can be had; by the journal's timer in the stack and by
`ozsp directory crl-refresh`. A local HTTP server plays the CA's distribution point."""

import logging
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text

from services.journal import crl_refresh
from services.journal import directory as D
from shared.gost.testpki import TestPki
from tests import support
from tests.integration.test_certmail_kit import cert_zip, letter, send, sink  # noqa: F401 (sink is a fixture)
from tests.support import wait_for

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC)


class Point(BaseHTTPRequestHandler):
    files = {}  # path -> bytes, shared by the server's threads

    def do_GET(self):
        data = self.files.get(self.path)
        self.send_response(200 if data is not None else 404)
        self.send_header("Content-Length", str(len(data or b"")))
        self.end_headers()
        self.wfile.write(data or b"")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def point():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Point)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Point.files
    server.shutdown()


@pytest.fixture
def fresh(settings):
    with support.fresh_engine(settings) as engine:
        yield engine


def world(engine, urls, name="УЦ СПИСКОВ ОТЗЫВА"):
    """A CA in the directory and a user whose registered certificate names `urls` as distribution points."""
    ca = TestPki(seed=uuid.uuid4().hex).ca(name)
    cert = ca.issue("ОТЗЫВОВ ТЕСТ ТЕСТОВИЧ", surname="ОТЗЫВОВ", crl_urls=urls).cert
    with engine.begin() as conn:
        ca_id = D.import_ca(conn, ca.cert, actor="test")
        org = D.add_organization(conn, 'ГБУЗ МО "ОТЗЫВНАЯ БОЛЬНИЦА"', "mo", "509966", actor="test")
        user = D.add_user(conn, org, "Отзывов", "Тест", "Тестович", actor="test")
        D.add_certificate(conn, user, cert, "admin", "test")
    return ca, ca_id


def stored(engine, ca_id):
    with engine.connect() as conn:
        return (
            conn.execute(text("SELECT this_update FROM crls WHERE ca_id = :c ORDER BY id"), {"c": ca_id})
            .scalars()
            .all()
        )


def test_newer_crls_are_stored_repeats_and_forgeries_are_not(fresh, point):
    base, files = point
    tag = uuid.uuid4().hex
    ca, ca_id = world(fresh, [f"{base}/{tag}-forged.crl", f"{base}/{tag}.crl"])
    first = ca.crl(this_update=NOW - timedelta(days=2), next_update=NOW + timedelta(days=5))
    files[f"/{tag}-forged.crl"] = TestPki(seed="other").ca("УЦ СПИСКОВ ОТЗЫВА").crl().der  # same name, other key
    files[f"/{tag}.crl"] = first.der

    assert crl_refresh.refresh(fresh)[ca_id] == "stored"  # the look-alike skipped, the real one taken
    assert stored(fresh, ca_id) == [first.this_update]
    assert crl_refresh.refresh(fresh)[ca_id] == "current"  # the same CRL again: nothing new
    assert len(stored(fresh, ca_id)) == 1

    newer = ca.crl(revoked=[12345], this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(days=7))
    files[f"/{tag}.crl"] = newer.pem.encode()  # PEM is read too
    assert crl_refresh.refresh(fresh)[ca_id] == "stored"
    with fresh.connect() as conn:
        assert D.trust_material(conn)["crls"] == [newer.der]
        audit = conn.execute(
            text("SELECT details FROM audit WHERE action = 'directory.crl.import' ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    assert audit == {
        "actor": "crl-refresh",
        "ca_id": ca_id,
        "source": f"{base}/{tag}.crl",
        "old": None,  # a directory change is audited with its old and new values (#23)
        "new": {"this_update": str(newer.this_update), "next_update": str(newer.next_update)},
    }


def test_an_unreachable_point_changes_nothing_and_raises_the_alarm_near_expiry(fresh, point, caplog):
    base, files = point
    tag = uuid.uuid4().hex
    ca, ca_id = world(fresh, [f"{base}/{tag}-absent.crl", "http://127.0.0.1:9/closed.crl"])
    with fresh.begin() as conn:
        D.store_crl(conn, ca_id, ca.crl(this_update=NOW - timedelta(days=7), next_update=NOW + timedelta(hours=3)))
    with caplog.at_level(logging.WARNING, logger="services.journal.crl_refresh"):
        assert crl_refresh.refresh(fresh)[ca_id] == "failed"
    assert len(stored(fresh, ca_id)) == 1
    alarms = [r for r in caplog.records if r.levelno == logging.ERROR and f"CA #{ca_id}" in r.getMessage()]
    assert len(alarms) == 1 and "ALARM" in alarms[0].getMessage()


def test_download_refuses_what_is_not_a_small_http_answer(point):
    base, files = point
    files["/big.crl"] = b"0" * 2048
    with pytest.raises(ValueError):
        crl_refresh.download(f"{base}/big.crl", limit=1024)
    with pytest.raises(ValueError):
        crl_refresh.download("file:///etc/passwd")
    assert crl_refresh.download(f"{base}/big.crl", limit=4096) == b"0" * 2048


def test_the_command_refreshes_at_once(fresh, point):
    base, files = point
    tag = uuid.uuid4().hex
    ca, ca_id = world(fresh, [f"{base}/{tag}.crl"])
    files[f"/{tag}.crl"] = ca.crl(this_update=NOW - timedelta(hours=2), next_update=NOW + timedelta(days=7)).der
    done = subprocess.run(
        [sys.executable, "-m", "services.cli", "directory", "crl-refresh"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": fresh.url.render_as_string(False)},
    )
    assert done.returncode == 0, done.stderr
    assert f"УЦ {ca_id}: загружен новый список отзыва" in done.stdout
    assert len(stored(fresh, ca_id)) == 1


def test_the_journal_refreshes_on_its_own(stack, engine, point):
    base, files = point
    tag = uuid.uuid4().hex
    ca, ca_id = world(engine, [f"{base}/{tag}.crl"], name=f"УЦ ТАЙМЕРА {tag[:8]}")
    assert stored(engine, ca_id) == []
    crl = ca.crl(this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(days=7))
    files[f"/{tag}.crl"] = crl.der
    assert wait_for(lambda: stored(engine, ca_id), 30, 0.5, "the CRL downloaded by the journal") == [crl.this_update]


def test_fetch_for_a_letters_certificate(fresh, point):
    base, files = point
    tag = uuid.uuid4().hex
    ca = TestPki(seed=uuid.uuid4().hex).ca("УЦ БЕЗ СПИСКА")
    with fresh.begin() as conn:
        ca_id = D.import_ca(conn, ca.cert, actor="test")
    files[f"/{tag}.crl"] = ca.crl(this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(days=7)).der
    letter_cert = ca.issue("ПИСЬМОВ ТЕСТ ТЕСТОВИЧ", surname="ПИСЬМОВ", crl_urls=[f"{base}/{tag}.crl"]).cert
    assert crl_refresh.fetch_for(fresh, letter_cert) == "stored"
    assert len(stored(fresh, ca_id)) == 1
    assert crl_refresh.fetch_for(fresh, ca.issue("БЕЗТОЧКИН", surname="БЕЗТОЧКИН").cert) == "no_urls"
    stranger = TestPki(seed="stranger").ca("УЦ БЕЗ СПИСКА").issue(crl_urls=[f"{base}/{tag}.crl"]).cert
    assert crl_refresh.fetch_for(fresh, stranger) == "unknown_ca"  # same CA name, another key


def test_a_letter_under_a_ca_without_crl_installs_after_the_download(stack, engine, sink, point):
    """Приложение 2 end to end: the CA is in the directory but its CRL is not; the certificate names its
    distribution point, so certmail has the journal download it and installs the certificate."""
    base, files = point
    tag = uuid.uuid4().hex
    ca = TestPki(seed=uuid.uuid4().hex).ca(f"УЦ ПО ЗАПРОСУ {tag[:8]}")
    with engine.begin() as conn:
        D.import_ca(conn, ca.cert, actor="test")
        org = D.add_organization(conn, 'ГБУЗ МО "БОЛЬНИЦА НОВОГО УЦ"', "mo", "509967", actor="test")
        address = f"user.{tag[:12]}@mo.example.test"
        D.add_user(conn, org, "Новоуцев", "Тест", "Тестович", emails=[address], actor="test")
    files[f"/{tag}.crl"] = ca.crl(this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(days=7)).der
    user = ca.issue("НОВОУЦЕВ ТЕСТ ТЕСТОВИЧ", surname="НОВОУЦЕВ", snils="11223344595", crl_urls=[f"{base}/{tag}.crl"])
    message_id = send(stack, letter(address, attachments=[cert_zip(user.cert.der, "novo")]))
    reply = sink.wait_reply(message_id)
    assert (
        reply.get_body(("plain",))
        .get_content()
        .startswith("Установка сертификата ключа проверки электронной подписи выполнена успешно.")
    )
