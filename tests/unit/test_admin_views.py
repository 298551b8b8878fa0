"""The administrator's pages' plain parts: where a change may return to, the audit trail's filters and lines (never
an identifier), the person search's SQL by identifier kind, the state page's summary."""

from werkzeug.datastructures import MultiDict

from services.gateway.pages.admin_audit import audit_filters, entry
from services.gateway.pages.admin_directory import actor_name, safe_back
from services.gateway.pages.admin_state import problems
from services.journal.audit_trail import person_condition


def test_a_change_returns_only_to_a_directory_page():
    assert safe_back("/admin/directory/user/5") == "/admin/directory/user/5"
    for hostile in ("https://evil.test/", "//evil.test/admin/directory", "/admin/directory\\..\\x", "/journal", None):
        assert safe_back(hostile) == "/admin/directory"


def test_the_actor_is_named_with_the_directory_number():
    who = {"surname": "ИВАНОВ", "first_name": "ИВАН", "patronymic": None, "user_id": 7}
    assert actor_name(who) == "ИВАНОВ ИВАН (пользователь 7)"


def test_audit_filters_drop_what_is_not_a_number_or_a_known_action():
    f = audit_filters(MultiDict({"user": "12", "org": "x1", "action": "drop table", "person": " 1122334459 5 "}))
    assert f["user_id"] == 12 and f["organization_id"] is None and f["action"] == ""
    assert f["person"] == "1122334459 5"


def test_a_lookup_line_names_the_identifier_kind_never_the_identifier():
    row = {
        "at": "2026-12-01T09:00:00+00:00",
        "action": "lookup",
        "user_id": 1,
        "user_name": "ТЕСТОВ ТЕСТ",
        "organization_name": "ГБУЗ МО",
        "object_id": "42",
        "group_id": None,
        "line_no": None,
        "kinds": ["enp", "fio"],
        "details": {},
    }
    line = entry(row)
    assert line["kinds"] == "ЕНП, ФИО" and line["object"] == "запрос № 42" and line["request_id"] == "42"
    assert line["at"] == "01.12.2026 12:00"  # Moscow time


def test_a_directory_change_line_shows_old_and_new_and_the_actor():
    row = {
        "at": "2026-12-01T09:00:00+00:00",
        "action": "directory.user.deactivate",
        "user_id": 3,
        "object_id": "3",
        "details": {"actor": "АДМИНОВ (пользователь 1)", "old": {"active": True}, "new": {"active": False}},
    }
    line = entry(row)
    assert line["action"] == "Пользователь помечен как не действующий" and line["actor"] == "АДМИНОВ (пользователь 1)"
    assert line["details"] == "было: active=True; стало: active=False"


def test_the_person_search_picks_the_indexed_field_by_the_identifiers_shape():
    sql, params = person_condition("5099 9999 9999 9990")
    assert "params->>'enp'" in sql and params == {"person": "5099999999999990"}
    sql, params = person_condition("112-233-445 95")
    assert sql == "r.params->>'snils' = :person" and params == {"person": "11223344595"}
    sql, params = person_condition("45 06 123456")
    assert "dul_number" in sql and params == {"person": "4506123456"}
    assert person_condition("  ") is None


def test_the_state_summary_says_what_needs_attention():
    calm = {"queues": [], "crls": [], "quarantine_waiting": 0, "error_count": 0}
    assert problems(calm, {"state": "up"}) == []
    worried = problems({**calm, "queues": None, "quarantine_waiting": 2}, {"state": "down"})
    assert worried == [
        "ФЕРЗЛ: недоступен.",
        "Глубину очередей RabbitMQ прочитать не удалось.",
        "В карантине ждут решения сертификатов: 2.",
    ]
    assert problems(calm, None) == ["Сервис обращений к ФЕРЗЛ не ответил за 2 секунды."]
