"""Body limits per route and the gateway's JSON reader (issue 17 §2–3): plain functions, no services."""

import pytest

from services.gateway.web import bodies

KB = 1024


def environ(method, path, length=None, chunked=False):
    env = {"REQUEST_METHOD": method, "PATH_INFO": path}
    if length is not None:
        env["CONTENT_LENGTH"] = str(length)
    if chunked:
        env["HTTP_TRANSFER_ENCODING"] = "chunked"
    return env


@pytest.mark.parametrize(
    "method, path, limit",
    [
        ("POST", "/login/challenge", 4 * KB),
        ("POST", "/dev/sign", 4 * KB),
        ("POST", "/logout", 4 * KB),
        ("POST", "/login", 64 * KB),
        ("POST", "/api/v1/requests", 1024 * KB),
        ("POST", "/individual", 64 * KB),
        ("POST", "/group/flk-errors.csv", 1024 * KB),
        ("GET", "/journal", 64 * KB),
    ],
)
def test_each_route_has_its_limit(method, path, limit):
    assert bodies.limit_for(method, path) == limit
    assert bodies.refusal(environ(method, path, limit)) is None
    status, message = bodies.refusal(environ(method, path, limit + 1))
    assert status == 413 and bodies.size_text(limit) in message


def test_group_uploads_check_their_size_themselves():
    for path in ("/group", "/api/v1/groups"):
        assert bodies.refusal(environ("POST", path, 30 * 1024 * KB)) is None
        assert bodies.refusal(environ("POST", path, chunked=True)) is None


def test_unknown_or_broken_lengths():
    assert bodies.refusal(environ("POST", "/login", chunked=True))[0] == 411
    assert bodies.refusal(environ("POST", "/login", "12abc"))[0] == 413
    assert bodies.refusal(environ("POST", "/login")) is None  # no body at all


def test_refusals_speak_the_callers_language():
    assert bodies.refusal_body("/login", 413, "м")[1] == {"ok": False, "title": "Ошибка аутентификации", "message": "м"}
    assert bodies.refusal_body("/api/v1/requests", 413, "м") == ("json", {"error": "too_big", "message": "м"})
    assert bodies.refusal_body("/api/v1/requests", 411, "м")[1]["error"] == "length_required"
    assert bodies.refusal_body("/individual", 413, "м") == ("page", "м")


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100000, b'{"a": ' * 5000, b"\xff\xfe", b"{", b'{"name": "\\ud800"}', b'{"\\udc00": 1}', b'[["\\ud83d"]]'],
)
def test_json_that_cannot_be_taken_is_bad_json(raw):
    with pytest.raises(bodies.BadJson):
        bodies.load_json(raw)


def test_json_that_can_be_taken():
    assert bodies.load_json('{"name": "Мой запрос \\ud83d\\ude00"}'.encode()) == {"name": "Мой запрос 😀"}
    assert bodies.load_json(b"[1, 2]") == [1, 2]
