"""Archive records: a chunk's exchanges packed into one compressed record and back; MTOM answers
summarised when shown."""

from services import admin
from services.ferzl_bridge import archive
from shared.domain import Answer, Outcome
from shared.messages import OutcomeChunk, pack_archive, unpack_archive


def entry(ids, operation="getPersonData", request=b"<request/>", response=b"<response/>", status=200):
    capture = archive.Capture()
    capture.add(request, response, status, 12.7)
    return capture.entries(operation, ids)


def test_a_chunk_packs_into_one_record_and_back():
    entries = []
    for i in range(200):
        entries += entry(
            [i],
            request=f"<Envelope><enp>{i:016d}</enp>ТЕСТОВ</Envelope>".encode(),
            response=b"<pd>" + b"<x>answer</x>" * 100 + b"</pd>",
        )
    entries += entry([1, 2, 3], "getMassInsuranceStatusStart", b"<start/>", None, None)
    record = pack_archive(entries)
    assert record["request_ids"] == list(range(200)) and record["exchanges"] == 201
    raw = sum(len(e["request"] or b"") + len(e["response"] or b"") for e in entries)
    assert len(record["content"]) * 3 / 4 < raw / 10, "one stream for the chunk compresses well"
    back = unpack_archive(record["content"])
    assert [
        (e["request_ids"], e["operation"], e["request"], e["response"], e["http_status"], e["duration_ms"])
        for e in back
    ] == [
        (e["request_ids"], e["operation"], e["request"], e["response"], e["http_status"], e["duration_ms"])
        for e in entries
    ]
    assert back[-1]["response"] is None and back[0]["duration_ms"] == 12
    assert pack_archive([]) is None


def test_the_record_travels_in_the_outcome_chunk():
    record = pack_archive(entry([5]))
    chunk = OutcomeChunk().load(
        {"chunk_id": "c", "outcomes": [], "archive": [record], "held": [{"request_id": 5, "seconds": 0.5}]}
    )
    assert chunk["archive"] == [record] and chunk["held"] == [{"request_id": 5, "seconds": 0.5}]
    assert OutcomeChunk().load({"chunk_id": "c", "outcomes": []})["archive"] == []  # from older bridges


def test_mtom_answers_are_summarised_when_shown():
    mtom = (
        b"--b\r\nContent-Type: application/xop+xml\r\n\r\n<Envelope/>\r\n--b\r\n"
        b"Content-Type: application/zip\r\nContent-ID: <z>\r\n\r\nPK\x03\x04binary\r\n--b--\r\n"
    )
    shown = admin._printable(mtom)
    assert "<Envelope/>" in shown and "PK" not in shown and "двоичное вложение" in shown
    assert admin._printable(b"<x/>") == "<x/>" and admin._printable(None) == "(нет)"


def test_fast_work_chunk_loading_agrees_with_the_schema():
    import pytest
    from marshmallow import ValidationError

    from shared.messages import WorkChunk, load_work_chunk

    good = {
        "chunk_id": "c",
        "items": [
            {"request_id": 1, "external_id": "e", "params": {"enp": "1"}},
            {
                "request_id": 2,
                "external_id": "e",
                "params": {},
                "attempt": 3,
                "first_try_at": "2026-01-01T00:00:00",
                "group_id": 7,
                "extra": "ignored",
            },
        ],
    }
    assert load_work_chunk(good) == WorkChunk().load(good)
    for bad in (
        {"chunk_id": "c"},
        {"chunk_id": "c", "items": [{"request_id": "x", "external_id": "e", "params": {}}]},
        {"chunk_id": "c", "items": [{"request_id": 1, "params": {}}]},
    ):
        with pytest.raises(ValidationError):
            load_work_chunk(bad)
    odd = {"chunk_id": "c", "items": [{"request_id": 1, "external_id": "e", "params": {}, "attempt": "2"}]}
    assert load_work_chunk(odd) == WorkChunk().load(odd)  # unusual but valid: the schema decides


def test_fast_outcome_chunk_loading_agrees_with_the_schema():
    import pytest
    from marshmallow import ValidationError

    from shared.messages import load_outcome_chunk

    good = {
        "chunk_id": "c",
        "outcomes": [
            {
                "request_id": 1,
                "status": "answered",
                "answer": {"enp": "1", "attachments": []},
                "answered_at": "2026-11-26T10:00:00+00:00",
                "extra": "ignored",
            },
            {
                "request_id": 2,
                "status": "error",
                "error_code": "409",
                "error_message": "Не найден",
                "answered_at": "2026-11-26T10:00:01+00:00",
            },
        ],
        "archive": [{"at": "x", "request_ids": [1], "exchanges": 1, "content": "eJw="}],
        "held": [{"request_id": 3, "seconds": 5}],
        "newer_field": 1,
    }
    assert load_outcome_chunk(good) == OutcomeChunk().load(good)
    first, second = load_outcome_chunk(good)["outcomes"]
    assert first == Outcome.answered(1, Answer(policy=None), "2026-11-26T10:00:00+00:00")  # shared.domain types
    assert second == Outcome.failed(2, "409", "Не найден", "2026-11-26T10:00:01+00:00")
    assert load_outcome_chunk({"chunk_id": "c", "outcomes": []}) == OutcomeChunk().load(
        {"chunk_id": "c", "outcomes": []}
    )
    for bad in (
        {"chunk_id": "c"},
        {"chunk_id": "c", "outcomes": [{"request_id": 1, "status": "lost", "answered_at": "x"}]},
        {"chunk_id": "c", "outcomes": [{"request_id": 1, "status": "answered"}]},
        {"chunk_id": "c", "outcomes": [], "archive": None},
        {"chunk_id": "c", "outcomes": [{"request_id": 1, "status": "error", "error_code": 409, "answered_at": "x"}]},
        # an answer not of the domain's shape: the chunk is malformed (it never reaches the database)
        {"chunk_id": "c", "outcomes": [{**good["outcomes"][0], "answer": {"policy": "ДПП"}}]},
        {"chunk_id": "c", "outcomes": [{**good["outcomes"][0], "answer": {"attachments": [{"mo_code": 500101}]}}]},
        {"chunk_id": "c", "outcomes": [{**good["outcomes"][0], "answer": {"enp": 5000}}]},
    ):
        with pytest.raises(ValidationError):
            load_outcome_chunk(bad)
    odd = {"chunk_id": "c", "outcomes": [{"request_id": "7", "status": "answered", "answered_at": "x"}]}
    assert load_outcome_chunk(odd) == OutcomeChunk().load(odd)  # unusual but valid: the schema decides
    full = {"enp": "1", "policy": {"enp": "1", "smo_code": "50001"}, "attachments": [{"mo_code": "500101"}]}
    odd = {"chunk_id": "c", "outcomes": [{**good["outcomes"][0], "answer": {**full, "newer": {"x": 1}}}]}
    (loaded,) = load_outcome_chunk(odd)["outcomes"]
    assert loaded == OutcomeChunk().load(odd)["outcomes"][0] and loaded.answer == Answer.from_dict(full)


def test_an_archive_record_of_an_unknown_shape_costs_nothing_but_itself():
    from services.journal import archive as journal_archive

    chunk = OutcomeChunk().load(
        {"chunk_id": "c", "outcomes": [], "archive": [{"operation": "old style"}], "held": [{"request_id": "x"}]}
    )
    assert chunk["archive"] == [{"operation": "old style"}]  # the outcomes load; the record is judged later

    class Conn:
        def __init__(self):
            self.rows = None

        def execute(self, statement, rows):
            self.rows = rows

    conn = Conn()
    good = pack_archive(entry([7]))
    assert journal_archive.store(conn, [{"operation": "old style"}, {**good, "content": "%%%"}, good]) == 1
    assert [r["request_ids"] for r in conn.rows] == [[7]]


def test_a_repeated_attempt_keeps_its_note():
    capture = archive.Capture()
    capture.add(
        b"<request/>",
        None,
        None,
        5000.4,
        "нет ответа за 5 с на соединении, простоявшем 12 с; запрос повторён на новом соединении",
    )
    capture.add(
        b"<request/>",
        b"<response/>",
        200,
        8.0,
        "повтор на новом соединении: нет ответа за 5 с на соединении, простоявшем 12 с",
    )
    capture.add(b"<request/>", b"<response/>", 200, 3.0)
    assert capture.repeated() and not archive.Capture().repeated()
    back = unpack_archive(pack_archive(capture.entries("getPersonData", [7]))["content"])
    assert [e.get("note") for e in back] == [n for *_, n in capture.exchanges]
    assert "note" not in back[2], "an ordinary exchange carries no note (records of older bridges neither)"
