import json

import pytest

from services.gateway import messages
from services.gateway.api.parsing import parse_list_args, parse_request_fields
from services.gateway.web.errors import ApiError


def test_fields_are_read_and_missing_ones_are_none():
    fields = parse_request_fields(json.dumps({"name": "Мой запрос", "enp": "5072360829000830"}).encode())
    assert fields["enp"] == "5072360829000830" and fields["name"] == "Мой запрос" and fields["oip"] is None
    assert len(fields) == 16


@pytest.mark.parametrize(
    "raw, code",
    [
        (b"", "bad_json"),
        (b"[1]", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        (b"{", "bad_json"),
        (b'{"enpp": "1"}', "unknown_fields"),
        (b'{"enp": 5072360829000830}', "flk"),
        (b"[" * 100000, "bad_json"),
        (b'{"name": "\\ud800"}', "bad_json"),
        (b'{"name": ' + b"[" * 5000, "bad_json"),
    ],
)
def test_bad_bodies_are_refused_in_russian(raw, code):
    with pytest.raises(ApiError) as err:
        parse_request_fields(raw)
    assert err.value.code == code
    assert any("а" <= ch <= "я" for ch in err.value.message.lower())


def test_list_filters():
    filters, page, per_page = parse_list_args(
        {"fio": " петров ", "status": "answered", "date_from": "2026-01-01", "page": "2", "per_page": "1000"}
    )
    assert filters == {"fio": "петров", "status": "answered", "date_from": "2026-01-01"}
    assert (page, per_page) == (2, 500)
    with pytest.raises(ApiError) as err:
        parse_list_args({"fio": "ИВАНОВ АЛЕКСЕЙ"})
    assert err.value.message == messages.COMBINED_FIO
    for bad in ({"status": "done"}, {"date_to": "31.12.2026"}, {"page": "0"}, {"per_page": "x"}):
        with pytest.raises(ApiError):
            parse_list_args(bad)


def _raising(exc):
    def handler(self, request):
        raise exc

    return handler


@pytest.mark.parametrize(
    "exc, status",
    [
        (__import__("nameko.exceptions", fromlist=["UnknownService"]).UnknownService("journal"), 503),
        (
            __import__("nameko.exceptions", fromlist=["RemoteError"]).RemoteError(
                "OperationalError", "FATAL: database is not currently accepting connections"
            ),
            503,
        ),
        (__import__("kombu.exceptions", fromlist=["OperationalError"]).OperationalError("ECONNREFUSED"), 503),
        (__import__("nameko.exceptions", fromlist=["RemoteError"]).RemoteError("KeyError", "'x'"), 500),
        (ValueError("a bug"), 500),
    ],
    ids=["service-down", "database-away", "broker-away", "remote-bug", "bug"],
)
def test_a_service_away_is_503_try_later_a_bug_is_500(exc, status):
    from services.gateway.web.errors import API, PAGE, SIGN_IN, handled

    response = handled(API)(_raising(exc))(None, None)
    body = json.loads(response.get_data())
    assert response.status_code == status
    assert body["message"] == (messages.API_UNAVAILABLE if status == 503 else "Внутренняя ошибка сервиса.")
    response = handled(SIGN_IN)(_raising(exc))(None, None)  # the sign-in page's script reads JSON
    assert response.status_code == status
    assert json.loads(response.get_data()) == {
        "ok": False,
        "title": messages.LOGIN_TITLE,
        "message": messages.UNAVAILABLE if status == 503 else messages.INTERNAL,
    }
    response = handled(PAGE)(_raising(exc))(None, None)  # a page: the error page, no details
    assert response.status_code == status and response.mimetype == "text/html"
    assert (messages.UNAVAILABLE if status == 503 else messages.INTERNAL) in response.get_data(as_text=True)


def test_one_handling_answers_each_kind_of_client():
    """A refusal and a missing session: the API's JSON envelope, the page's error page and login redirect."""
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from services.gateway.web.errors import ADMIN_PAGE, API, PAGE, SIGN_IN, ApiError, NotAuthenticated, handled

    request = Request(EnvironBuilder(path="/journal", query_string="status=sent").get_environ())
    refused = ApiError(404, "not_found", messages.GROUP_NOT_FOUND)
    api = handled(API)(_raising(refused))(None, request)
    assert (api.status_code, json.loads(api.get_data())) == (
        404,
        {"error": "not_found", "message": messages.GROUP_NOT_FOUND},
    )
    page = handled(PAGE)(_raising(refused))(None, request)
    assert page.status_code == 404 and messages.GROUP_NOT_FOUND in page.get_data(as_text=True)
    api = handled(API)(_raising(NotAuthenticated()))(None, request)
    assert (api.status_code, json.loads(api.get_data())["message"]) == (401, messages.NOT_SIGNED_IN)
    page = handled(PAGE)(_raising(NotAuthenticated()))(None, request)
    assert (page.status_code, page.headers["Location"]) == (303, "/login?next=%2Fjournal%3Fstatus%3Dsent")
    admin = handled(ADMIN_PAGE)(_raising(NotAuthenticated()))(None, request)
    assert (admin.status_code, admin.headers["Location"]) == (303, "/login?next=/journal")
    sign_in = handled(SIGN_IN)(_raising(NotAuthenticated()))(None, request)  # no session is a failure there
    assert sign_in.status_code == 500


@pytest.mark.parametrize(
    "args, key",
    [
        ({"page": "1" + "0" * 30}, "page"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "0001-01-01"}, "date_from"),
        ({"page": "9" * 5000}, "page"),
    ],
)
def test_values_the_journal_cannot_take_are_refused_in_russian(args, key):
    with pytest.raises(ApiError) as err:
        parse_list_args(args)
    assert err.value.status == 400 and f"«{key}»" in err.value.message


def test_the_last_page_and_the_calendar_edges_are_taken():
    filters, page, _ = parse_list_args({"page": "100000", "date_from": "1900-01-01", "date_to": "2099-12-31"})
    assert page == 100000 and filters == {"date_from": "1900-01-01", "date_to": "2099-12-31"}


def test_api_answers_are_no_store_and_nosniff_and_posts_must_be_json():
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    from services.gateway.api.parsing import require_json
    from services.gateway.web.responses import json_response

    response = json_response(200, {}, headers={"Location": "/x"})
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Content-Type-Options"] == "nosniff"
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        request = Request(EnvironBuilder(method="POST", data=b"{}", content_type=content_type).get_environ())
        with pytest.raises(ApiError) as err:
            require_json(request)
        assert err.value.status == 415
    require_json(
        Request(EnvironBuilder(method="POST", data=b"{}", content_type="application/json; charset=utf-8").get_environ())
    )
