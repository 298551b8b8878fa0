"""The administrator's directory pages over HTTP: changes through the same code as `ozsp directory`, audited under
the administrator's name with old and new values; confirmation of changes that lock someone out; role separation."""

import re

import pytest
from sqlalchemy import text

from shared.gost.testpki import TestPki
from tests import support

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clerk(stack, engine):
    """A user with the role «Веб» only."""
    user, user_id, org_id = support.registered_user(
        engine, "admin-dir", "УЦ КЛЕРКОВ ДИРЕКТОРИИ", "ДИРЕКТОРИЕВ", "ГБУЗ МО КЛЕРКОВ"
    )
    return stack.login(user.sign_challenge), user_id


def change(stack, action, files=None, session=None, **fields):
    http = session or stack.http
    data = {"action": action, "back": "/admin/directory", "csrf_token": http.cookies.get("ozsp_csrf"), **fields}
    return http.post(stack.base_url + "/admin/directory/change", data=data, files=files, timeout=30)


def result_text(response):
    found = re.search(r'id="change-result"[^>]*><p>(.*?)</p>', response.text, re.S)
    return found.group(1) if found else response.text[:300]


def audit_rows(engine, action, object_id):
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT user_id, details FROM audit WHERE action = :a AND object_id = :o ORDER BY id"),
            {"a": action, "o": str(object_id)},
        ).all()


def test_an_administrator_manages_the_directory_and_each_change_is_audited(stack, engine):
    r = change(stack, "org-add", name='ГБУЗ МО "БОЛЬНИЦА АДМИНИСТРАТОРОВ"', kind="mo", code="509901")
    assert r.status_code == 200, result_text(r)
    org = int(re.search(r"Организация (\d+) добавлена", result_text(r)).group(1))
    found = stack.api("GET", "/admin/directory", params={"tab": "organizations", "q": "администраторов"})
    assert f'data-organization="{org}"' in found.text and "Найдено: 1" in found.text

    bad = change(stack, "user-add", org=org, surname="Страницев", first_name="Тест", snils="112-233-445 96")
    assert bad.status_code == 400 and "СНИЛС" in result_text(bad) and "не изменён" in bad.text
    r = change(
        stack,
        "user-add",
        org=org,
        surname="Страницев",
        first_name="Тест",
        snils="112-233-445 95",
        email="s@example.test",
        roles="web",
    )
    assert r.status_code == 200, result_text(r)
    user = int(re.search(r"Пользователь (\d+) добавлен", result_text(r)).group(1))

    (details,) = [row.details for row in audit_rows(engine, "directory.user.add", user)]
    assert details["actor"].startswith("ДЕМОНСТРАЦИОННЫЙ") and f"(пользователь {support_demo_id()})" in details["actor"]
    assert details["old"] is None and details["new"]["roles"] == ["web"] and details["new"]["snils"] is True

    page = stack.api("GET", f"/admin/directory/user/{user}")
    assert page.status_code == 200 and "s@example.test" in page.text and "112-233-445 95" in page.text
    assert f"/admin/application/{org}?user={user}" in page.text  # Приложение 1 from the user's page


def support_demo_id():
    from services.admin import DEMO_USER

    return DEMO_USER["id"]


def test_a_certificate_registered_on_the_page_signs_in_and_its_withdrawal_ends_the_session(stack, engine):
    ca = TestPki(seed="admin-pages-cert").ca("УЦ СТРАНИЦ АДМИНИСТРАТОРА")
    holder = ca.issue("СЕРТИФИКАТОВ ТЕСТ")
    assert change(stack, "ca-import", files={"file": ("ca.cer", ca.cert.pem)}).status_code == 200
    assert change(stack, "crl-import", files={"file": ("ca.crl", ca.crl().der)}).status_code == 200
    junk = change(stack, "cert-add", files={"file": ("junk.cer", b"not a certificate")}, user_id=1)
    assert junk.status_code == 400 and "не является сертификатом" in result_text(junk)
    cas = stack.api("GET", "/admin/directory", params={"tab": "cas"})
    assert "УЦ СТРАНИЦ АДМИНИСТРАТОРА" in cas.text

    r = change(stack, "user-add", org=1, surname="Сертификатов", first_name="Тест", roles="web")
    user = int(re.search(r"Пользователь (\d+) добавлен", result_text(r)).group(1))
    r = change(stack, "cert-add", files={"file": ("user.cer", holder.cert.der)}, user_id=user)
    assert r.status_code == 200 and holder.cert.serial_hex in result_text(r)
    cert_id = int(re.search(r"запись (\d+)", result_text(r)).group(1))

    signed_in = stack.login(holder.sign_challenge)
    assert signed_in.get(stack.base_url + "/journal", timeout=30).status_code == 200

    asked = change(stack, "cert-withdraw", id=cert_id)
    assert asked.status_code == 200 and 'id="confirm-form"' in asked.text
    assert "открытые сеансы (1)" in asked.text  # the confirmation says whom it locks out
    assert signed_in.get(stack.base_url + "/journal", timeout=30).status_code == 200  # not yet withdrawn

    done = change(stack, "cert-withdraw", id=cert_id, confirmed="1")
    assert done.status_code == 200 and "завершено сеансов: 1" in result_text(done)
    after = signed_in.get(stack.base_url + "/journal", allow_redirects=False, timeout=30)
    assert after.status_code == 303 and "/login" in after.headers["Location"]
    (row,) = audit_rows(engine, "directory.certificate.withdraw", cert_id)
    assert row.details["old"] == {"active": True} and row.details["new"] == {"active": False}
    assert row.details["sessions_ended"] == 1 and "ДЕМОНСТРАЦИОННЫЙ" in row.details["actor"]


def test_a_change_without_the_forms_token_changes_nothing(stack, engine):
    data = {"action": "org-add", "name": "БЕЗ ТОКЕНА", "kind": "mo", "csrf_token": "forged.token"}
    r = stack.http.post(stack.base_url + "/admin/directory/change", data=data, timeout=30)
    assert r.status_code == 403
    with engine.connect() as conn:
        assert not conn.execute(text("SELECT 1 FROM organizations WHERE name = 'БЕЗ ТОКЕНА'")).first()


def test_a_clerk_never_sees_the_directory_and_the_refusal_is_audited(stack, engine, clerk):
    session, clerk_id = clerk
    for path in ("/admin/directory", "/admin/directory/user/1", "/admin/directory?tab=cas"):
        r = session.get(stack.base_url + path, timeout=30)
        assert r.status_code == 403 and "только администраторам" in r.text
    r = change(stack, "org-add", session=session, name="ОТ КЛЕРКА", kind="mo")
    assert r.status_code == 403
    with engine.connect() as conn:
        assert not conn.execute(text("SELECT 1 FROM organizations WHERE name = 'ОТ КЛЕРКА'")).first()
        refused = (
            conn.execute(
                text("SELECT object_id FROM audit WHERE action = 'admin.refused' AND user_id = :u"), {"u": clerk_id}
            )
            .scalars()
            .all()
        )
    assert "/admin/directory" in refused and "/admin/directory/change" in refused
