"""The administrator's pages in Chromium: add a user, register a certificate, withdraw it and see the holder's
session end; a clerk is refused."""

import re

import pytest
from playwright.sync_api import expect

from shared.gost.testpki import TestPki
from tests import support
from tests.browser.conftest import _page, shot

pytestmark = pytest.mark.integration


@pytest.fixture
def holder_world(engine):
    """A CA with its CRL in the directory and a certificate of it that nobody holds yet."""
    from services.journal import directory as D

    ca = TestPki(seed="browser-admin").ca("УЦ БРАУЗЕРНЫХ АДМИНИСТРАТОРОВ")
    with engine.begin() as conn:
        D.import_ca(conn, ca.cert)
        D.import_crl(conn, ca.crl())
    return ca.issue("БРАУЗЕРОВ ТЕСТ")


def test_add_a_user_register_a_certificate_withdraw_it_and_the_session_ends(
    page, browser, stack, holder_world, tmp_path, request
):
    page.goto("/admin/directory/organization/1")
    page.fill("#u-surname", "Браузеров")
    page.fill("#u-first", "Тест")
    page.fill("#u-snils", "112-233-445 95")
    page.fill("#u-email", "brauzerov@example.test")
    shot(page, "admin-user-add")
    page.click("#user-add button[type=submit]")
    expect(page.locator("#change-result")).to_contain_text(re.compile(r"Пользователь \d+ добавлен"))
    user_id = int(re.search(r"Пользователь (\d+)", page.inner_text("#change-result")).group(1))

    page.goto(f"/admin/directory/user/{user_id}")
    expect(page.locator("#user-name")).to_have_text("БРАУЗЕРОВ ТЕСТ")
    expect(page.locator("#user-emails")).to_contain_text("brauzerov@example.test")
    cer = tmp_path / "user.cer"
    cer.write_bytes(holder_world.cert.der)
    page.set_input_files("#cert-file", str(cer))
    page.click("#cert-add button[type=submit]")
    expect(page.locator("#change-result")).to_contain_text(holder_world.cert.serial_hex)

    session = stack.login(holder_world.sign_challenge).cookies.get("ozsp_session")
    holder_pages = _page(browser, stack, session, request)
    holder = next(holder_pages)
    holder.goto("/journal")
    expect(holder).to_have_url(re.compile(r"/journal$"))

    page.goto(f"/admin/directory/user/{user_id}")
    row = page.locator(f"#user-certificates tr[data-serial='{holder_world.cert.serial_hex}']")
    expect(row.locator(".sessions")).to_have_text("1")
    row.locator("button.withdraw").click()
    expect(page.locator("#lockout-notice")).to_contain_text("открытые сеансы (1) завершатся сразу")
    shot(page, "admin-withdraw-confirm")
    page.click("#confirm")
    expect(page.locator("#change-result")).to_contain_text("завершено сеансов: 1")
    page.click("#back")
    expect(row.locator(".state")).to_have_text("исключён")

    holder.goto("/journal")
    expect(holder).to_have_url(re.compile(r"/login"))
    next(holder_pages, None)


def test_a_clerk_gets_403_on_every_administrators_page(browser, stack, engine, request):
    user, _, _ = support.registered_user(
        engine, "browser-clerk", "УЦ БРАУЗЕРНЫХ КЛЕРКОВ", "КЛЕРКОВСКИЙ", "ГБУЗ МО КЛЕРКИ"
    )
    session = stack.login(user.sign_challenge).cookies.get("ozsp_session")
    pages = _page(browser, stack, session, request)
    clerk = next(pages)
    for path in ("/admin/directory", "/admin/directory/organization/1", "/admin/mail"):
        response = clerk.goto(path)
        assert response.status == 403, path
        expect(clerk.locator("body")).to_contain_text("только администраторам")
    expect(clerk.locator("#admin-nav")).to_have_count(0)
    next(pages, None)


def test_find_a_lookup_of_a_person_in_the_audit_trail_and_open_its_card(page, browser, stack, engine, request):
    person = stack.samples(1)[0]
    created = stack.api("POST", "/api/v1/requests", json={"name": "Аудит в браузере", "enp": person["enp"]}).json()
    page.goto("/admin/audit")
    page.fill("#a-person", person["enp"])
    page.click("#audit-search")
    rows = page.locator("#audit-table tbody tr")
    expect(rows.first).to_contain_text(f"запрос № {created['id']}")
    expect(rows.first.locator(".kinds")).to_have_text("ЕНП")
    expect(page.locator("#audit-table")).not_to_contain_text(person["enp"])
    shot(page, "admin-audit-person")

    user, user_id, _ = support.registered_user(
        engine, "browser-auditor", "УЦ БРАУЗЕРНЫХ АУДИТОРОВ", "АУДИТОРСКИЙ", "ТФОМС"
    )
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET roles = '{web,auditor}' WHERE id = :u"), {"u": user_id})
    pages = _page(browser, stack, stack.login(user.sign_challenge).cookies.get("ozsp_session"), request)
    auditor = next(pages)
    auditor.goto("/")
    auditor.click("#nav-admin")
    expect(auditor).to_have_url(re.compile(r"/admin/audit$"))
    auditor.fill("#a-person", person["enp"])
    auditor.click("#audit-search")
    auditor.locator("#audit-table a.request-card").first.click()
    expect(auditor.locator("#card")).to_contain_text("Аудит в браузере")
    next(pages, None)
