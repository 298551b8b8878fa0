"""Archive records: compressed both ways, MTOM answers summarised when shown."""
from services import admin
from services.ferzl_bridge import archive
from shared.messages import OutcomeChunk


def test_pack_unpack_and_record_shape():
    request, response = "<Envelope>ТЕСТОВ</Envelope>".encode() * 20, b"<r/>" * 200
    rec = archive.record("getPersonData", [5], request, response, 200, 12.7)
    assert archive.unpack(rec["request"]) == request and archive.unpack(rec["response"]) == response
    assert len(rec["response"]) < len(response)
    assert (rec["request_ids"], rec["http_status"], rec["duration_ms"]) == ([5], 200, 12)
    assert archive.record("x", [1], None, None)["request"] is None
    chunk = OutcomeChunk().load({"chunk_id": "c", "outcomes": [], "archive": [rec],
                                 "held": [{"request_id": 5, "seconds": 0.5}]})
    assert chunk["archive"][0]["request"] == rec["request"] and chunk["held"] == [{"request_id": 5, "seconds": 0.5}]
    assert OutcomeChunk().load({"chunk_id": "c", "outcomes": []})["archive"] == []  # older bridges


def test_capture_collects_exchanges():
    capture = archive.Capture()
    capture.add(b"a", b"b", 200, 1.5)
    capture.add(b"c", None, None, 30000)
    records = capture.records("getPersonData", [1])
    assert [(archive.unpack(r["request"]), archive.unpack(r["response"]), r["http_status"]) for r in records] == [
        (b"a", b"b", 200), (b"c", None, None)]


def test_mtom_answers_are_summarised_when_shown():
    mtom = (b"--b\r\nContent-Type: application/xop+xml\r\n\r\n<Envelope/>\r\n--b\r\n"
            b"Content-Type: application/zip\r\nContent-ID: <z>\r\n\r\nPK\x03\x04binary\r\n--b--\r\n")
    shown = admin._printable(mtom)
    assert "<Envelope/>" in shown and "PK" not in shown and "двоичное вложение" in shown
    assert admin._printable(b"<x/>") == "<x/>" and admin._printable(None) == "(нет)"
