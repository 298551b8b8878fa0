"""shared.domain: the domain types and their dict forms (messages, database rows)."""

from shared.domain import Answer, Attachment, Outcome, Policy, RequestParams, as_answer, sorted_attachments
from shared.params import FIELDS

ENP = "5096989785000017"
POLICY = dict(
    type="П",
    series=None,
    number=ENP,
    enp=ENP,
    status="ДПП",
    date_begin="2013-01-10",
    date_end=None,
    okato="46000",
    smo_name='АО "ТЕСТОВАЯ СК"',
    smo_ogrn="1055000004047",
    smo_code="50004",
)
ATTACHMENT = {"status": "ДПП", "mo_code": "501000", "date_begin": "2020-01-02", "date_end": None, "area_type": "1"}
ANSWER = {"oip": "123456789012", "enp": ENP, "policy": POLICY, "attachments": [ATTACHMENT]}


def test_request_params_hold_the_16_fields():
    params = RequestParams.from_dict({"oip": "123456789012", "as_of": "2026-01-02", "unknown": "x"})
    assert params.oip == "123456789012" and params.as_of == "2026-01-02" and params.enp is None
    assert list(params.to_dict()) == list(FIELDS)
    assert RequestParams.from_dict(params.to_dict()) == params
    assert RequestParams.from_dict(None) == RequestParams()


def test_answer_round_trips_its_message_form():
    answer = Answer.from_dict(ANSWER)
    assert answer.policy == Policy(**POLICY) and answer.attachments == (Attachment(**ATTACHMENT),)
    assert answer.to_dict() == ANSWER
    assert Answer().to_dict() == {"oip": None, "enp": None, "policy": None, "attachments": []}


def test_the_enp_is_the_policys():
    assert Answer.from_dict(ANSWER).enp == ENP
    assert Answer(oip="1").enp is None
    # older answers (and the export's rows) may carry it at the top only
    top_only = {"enp": ENP, "policy": {k: v for k, v in POLICY.items() if k != "enp"}}
    assert Answer.from_dict(top_only).policy.enp == ENP


def test_mo_names_are_part_of_the_stored_form_only():
    named = Answer.from_dict(ANSWER).with_mo_names({"501000": "ГБУЗ МО Тест"})
    assert named.attachments[0].mo_name == "ГБУЗ МО Тест"
    assert named.to_dict() == ANSWER  # the bridge's messages have no names
    assert named.to_dict(named=True)["attachments"][0]["mo_name"] == "ГБУЗ МО Тест"
    unknown = Answer.from_dict(ANSWER).with_mo_names({})
    assert unknown.to_dict(named=True)["attachments"][0]["mo_name"] is None


def test_current_attachments_are_the_active_ones_in_order():
    codes = ["ДПП", "НСМ", "ДПУ", "ДВП", "ДПП"]
    answer = Answer(attachments=tuple(Attachment(s, str(i), None, None, None) for i, s in enumerate(codes)))
    assert [a.mo_code for a in answer.current_attachments()] == ["0", "2", "3", "4"]
    assert [a.mo_code for a in answer.current_attachments(3)] == ["0", "2", "3"]


def test_display_order_active_therapy_first_then_newest():
    rows = [
        Attachment("ДПП", "3", "2023-01-01", None, "3"),
        Attachment("ДПП", "old-active", "2019-01-01", None, "1"),
        Attachment("НСМ", "closed", "2015-01-01", "2018-12-31", "1"),
        Attachment("ДПУ", "new-active", "2021-05-05", None, "1"),
        Attachment("ДПП", "undated", None, None, "2"),
        Attachment("ДПП", "2", "2016-01-01", None, "2"),
    ]
    order = [a.mo_code for a in sorted_attachments(rows)]
    assert order == ["new-active", "old-active", "3", "2", "closed", "undated"]


def test_answer_of_takes_either_form():
    answer = Answer.from_dict(ANSWER)
    assert as_answer(answer) is answer
    assert as_answer(ANSWER) == answer
    assert as_answer(None) is None and as_answer({}) is None


def test_outcome_message_forms():
    answered = Outcome.answered(7, Answer.from_dict(ANSWER), "2026-01-02T03:04:05+00:00")
    assert answered.to_dict() == {
        "request_id": 7,
        "status": "answered",
        "answer": ANSWER,
        "answered_at": "2026-01-02T03:04:05+00:00",
    }
    failed = Outcome.failed(8, "409", "Персона не найдена", "2026-01-02T03:04:05+00:00")
    assert failed.to_dict() == {
        "request_id": 8,
        "status": "error",
        "error_code": "409",
        "error_message": "Персона не найдена",
        "answered_at": "2026-01-02T03:04:05+00:00",
    }
    assert Outcome.from_dict(answered.to_dict()) == answered
    assert Outcome.from_dict(failed.to_dict()) == failed
    assert Outcome.from_dict({**failed.to_dict(), "answer": None}) == failed
