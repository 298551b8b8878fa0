"""Administrator's pages: only the role «admin» sees the certificate mail and the printable application."""

import pytest

from tests import support

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def clerk(stack, engine):
    """A user with the role «Веб» only."""
    user, _, _ = support.registered_user(engine, "admin-pages", "УЦ КЛЕРКОВ", "КЛЕРКОВ", organization_id=1)
    return stack.login(user.sign_challenge)


def test_admin_sees_the_mail_pages_and_the_application(stack):
    mail = stack.api("GET", "/admin/mail")
    assert mail.status_code == 200 and "Журнал входящих писем" in mail.text and "Отправленные ответы" in mail.text
    app = stack.api("GET", "/admin/application/1")
    assert app.status_code == 200 and "ДЕМОНСТРАЦИОННАЯ ПОЛИКЛИНИКА" in app.text and "Заявление" in app.text
    assert stack.api("GET", "/admin/application/999999").status_code == 404
    assert stack.api("GET", "/admin/mail/..%2Fetc%2Fpasswd").status_code == 404


def test_a_clerk_is_refused_and_a_stranger_sent_to_login(stack, clerk):
    r = clerk.get(stack.base_url + "/admin/mail", timeout=30)
    assert r.status_code == 403 and "только администраторам" in r.text
    assert clerk.get(stack.base_url + "/admin/application/1", timeout=30).status_code == 403
    anon = stack.anonymous("GET", "/admin/mail", allow_redirects=False)
    assert anon.status_code == 303 and "/login" in anon.headers["Location"]
