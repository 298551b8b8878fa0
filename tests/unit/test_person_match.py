"""shared.person_match: the request's ФИО/ДР against the register's person (#22, item 2)."""

from shared import person_match as M
from shared.domain import Answer
from shared.messages import load_outcome_chunk

PERSON = {"surname": "СЕМЁНОВА-ТЯН", "first_name": "АННА", "patronymic": "ТЕСТОВНА", "birth_date": "1990-01-02"}


def test_case_yo_hyphen_and_spaces_are_folded():
    asked = {"surname": "семенова тян", "first_name": " Анна", "patronymic": "Тестовна", "birth_date": "1990-01-02"}
    assert M.differences(asked, [PERSON]) == []


def test_each_differing_field_is_named_in_order():
    asked = {"surname": "ОБРАЗЦОВА", "first_name": "АННА", "birth_date": "1990-01-03"}
    assert M.differences(asked, [PERSON]) == ["surname", "birth_date"]
    assert M.note(["surname", "birth_date"]) == "Полис найден, но ФИО/дата рождения отличаются: фамилия, дата рождения"
    assert M.note([]) is None


def test_fields_not_asked_or_not_answered_are_not_compared():
    assert M.differences({"enp": "1"}, [PERSON]) == []
    assert M.differences({"patronymic": "ИВАНОВНА"}, [{**PERSON, "patronymic": None}]) == []
    assert M.differences({"surname": "ИНАЯ"}, []) == []


def test_any_person_of_the_answer_may_match():
    renamed = {**PERSON, "surname": "ПРЕЖНЯЯ"}
    assert M.differences({"surname": "Прежняя"}, [PERSON, renamed]) == []


def test_the_mismatch_travels_in_the_answers_message():
    answer = Answer("123456789012", None, (), ("birth_date",))
    body = {
        "chunk_id": "c1",
        "outcomes": [{"request_id": 7, "status": "answered", "answer": answer.to_dict(), "answered_at": "2026-12-04"}],
    }
    loaded = load_outcome_chunk(body)["outcomes"][0]
    assert loaded.answer.mismatch == ("birth_date",)
    assert Answer.from_dict(loaded.answer.to_dict(named=True)).mismatch == ("birth_date",)
    body["outcomes"][0]["answer"]["mismatch"] = ["password"]  # only the four fields
    try:
        load_outcome_chunk(body)
    except Exception as exc:  # the schema refuses it
        assert "mismatch" in str(exc)
    else:
        raise AssertionError("an unknown mismatch field was accepted")
