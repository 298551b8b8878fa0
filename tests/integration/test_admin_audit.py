"""The audit trail: who looked up a person (found by the identifier, which is never shown), filters, CSV export,
the auditor's request card (audited), retention with several journal copies."""

import pytest
from sqlalchemy import text

from services.journal import audit_trail
from services.journal.calls import audit as audit_calls
from tests import support

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def auditor(stack, engine):
    """A user with the roles «Веб» and auditor in another organisation."""
    user, user_id, _ = support.registered_user(engine, "auditor", "УЦ АУДИТОРОВ", "АУДИТОРОВ", "ТФОМС АУДИТОРЫ")
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET roles = '{web,auditor}' WHERE id = :u"), {"u": user_id})
    return stack.login(user.sign_challenge), user_id


@pytest.fixture(scope="module")
def lookup(stack):
    """An individual request of the demo user about one synthetic person: (request id, ЕНП, СНИЛС)."""
    person = stack.samples(1)[0]
    created = stack.api("POST", "/api/v1/requests", json={"name": "Проверка аудита", "enp": person["enp"]})
    assert created.status_code in (200, 201), created.text
    return created.json()["id"], person["enp"], person.get("snils") or ""


def test_who_looked_up_this_person_is_found_by_the_identifier_without_showing_it(stack, lookup):
    request_id, enp, _ = lookup
    page = stack.api("GET", "/admin/audit", params={"person": enp})
    assert page.status_code == 200
    assert f"запрос № {request_id}" in page.text and "ЕНП" in page.text and "ДЕМОНСТРАЦИОННЫЙ" in page.text
    assert enp not in table_of(page.text)  # the form and its links keep what the auditor typed; the list never
    other = "9" * 16 if enp != "9" * 16 else "8" * 16
    assert f"запрос № {request_id}" not in stack.api("GET", "/admin/audit", params={"person": other}).text
    listing = stack.api("GET", "/admin/audit", params={"action": "lookup"}).text
    assert f"запрос № {request_id}" in listing and enp not in listing


def table_of(html):
    return html[html.index('id="audit-table"') : html.index("</table>")]


def test_filters_and_csv_export(stack, engine, lookup):
    request_id, enp, _ = lookup
    logins = stack.api("GET", "/admin/audit", params={"action": "login"}).text
    assert "Вход" in logins and f"запрос № {request_id}" not in logins
    future = stack.api("GET", "/admin/audit", params={"date_from": "2099-01-01"}).text
    assert 'id="audit-empty"' in future
    mine = stack.api("GET", "/admin/audit", params={"user": "1", "action": "lookup"}).text
    assert f"запрос № {request_id}" in mine
    assert f"запрос № {request_id}" not in stack.api("GET", "/admin/audit", params={"user": "999999"}).text

    exported = stack.api("GET", "/admin/audit.csv", params={"person": enp})
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    lines = exported.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Дата и время (МСК);Пользователь") and any(f"запрос № {request_id}" in x for x in lines)
    assert enp not in exported.text
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit WHERE action = 'audit.export'")).scalar() >= 1


def test_an_auditor_opens_the_card_and_the_read_is_audited(stack, engine, lookup, auditor):
    request_id, _, _ = lookup
    session, auditor_id = auditor
    trail = session.get(stack.base_url + "/admin/audit", params={"action": "lookup"}, timeout=30)
    assert trail.status_code == 200 and f'href="/admin/audit/request/{request_id}"' in trail.text
    card = session.get(stack.base_url + f"/admin/audit/request/{request_id}", timeout=30)
    assert card.status_code == 200 and "Проверка аудита" in card.text
    with engine.connect() as conn:
        read = (
            conn.execute(
                text("SELECT user_id FROM audit WHERE action = 'audit.request_read' AND object_id = :r"),
                {"r": str(request_id)},
            )
            .scalars()
            .all()
        )
    assert auditor_id in read
    # the auditor is no administrator; the administrator (not an auditor) opens no cards of other organisations
    assert session.get(stack.base_url + "/admin/directory", timeout=30).status_code == 403
    assert stack.api("GET", f"/admin/audit/request/{request_id}").status_code == 403
    # the auditor's own journal still shows only their organisation's requests
    assert session.get(stack.base_url + f"/individual/{request_id}", timeout=30).status_code == 404


def test_retention_drops_old_rows_once_whatever_the_number_of_journal_copies(engine):
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit (at, action, object_id) VALUES (now() - interval '1200 days', 'test.old', 'r1'), "
                "(now() - interval '10 days', 'test.recent', 'r2')"
            )
        )
    with engine.begin() as holder:  # another journal copy is purging: this one leaves it alone
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": audit_trail.PURGE_LOCK})
        with engine.begin() as conn:
            assert audit_trail.purge_batch(conn, 1095) is None
    audit_calls.purge(engine, 1095)
    with engine.connect() as conn:
        left = conn.execute(text("SELECT action FROM audit WHERE action LIKE 'test.%'")).scalars().all()
    assert left == ["test.recent"]


def test_the_person_search_uses_the_indexes(engine):
    """«Who looked up this person last month» can be answered without reading the whole requests table (the test
    database is small, so the planner is told to avoid sequential scans where it can; bench/audit.py measures)."""
    for person in ("1234567890123456", "11223344595"):
        sql, params = audit_trail._sql({"person": person})
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(conn.execute(text(f"EXPLAIN {sql}"), params).scalars())
        assert "ix_requests_person_" in plan, plan
