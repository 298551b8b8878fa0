"""The group JSON API with fake RPC proxies: upload statuses, Idempotency-Key, Server-Timing, 404s, exports."""

import io
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.api import groups as groups_api
from services.gateway.files import exports
from tests.fakes.rpc import Reply
from tests.unit.test_gateway_group_pages import BAD, GOOD, App


def call(method, path, data=None, headers=None, query=None, content_type=None):
    if method == "POST":  # a page of this site (CSRF: services/gateway/csrf.py api_allowed)
        headers = {"Origin": "http://127.0.0.1:8000", **(headers or {})}
    builder = EnvironBuilder(
        path=path,
        method=method,
        data=data,
        headers=headers,
        query_string=query,
        content_type=content_type,
        base_url="http://127.0.0.1:8000",
    )
    return Request(builder.get_environ())


def body(response):
    return json.loads(response.get_data(as_text=True))


def post(app, content=GOOD, name="Группа", headers=None):
    data = {"name": name, "file": (io.BytesIO(content), "g.csv")}
    return app.api_create_group(call("POST", "/api/v1/groups", data=data, headers=headers))


def test_accepted_upload_is_202_with_location_and_stage_times():
    app = App()
    response = post(app, headers={"Idempotency-Key": " k-1 "})
    assert response.status_code == 202 and response.headers["Location"] == "/api/v1/groups/42"
    assert body(response)["id"] == 42 and body(response)["status_label"] == "Отправлен"
    assert app.journal.groups_created[0][3] == "k-1"
    assert "flk;dur=" in response.headers["Server-Timing"] and "journal;dur=" in response.headers["Server-Timing"]


def test_refused_upload_is_422_with_the_report():
    response = post(App(), BAD)
    report = body(response)
    assert response.status_code == 422 and report["error"] == "flk"
    assert [e["line"] for e in report["errors"]] == [2, 3]


def test_missing_name_and_file():
    app = App()
    response = app.api_create_group(
        call("POST", "/api/v1/groups", data={"name": ""}, content_type="multipart/form-data")
    )
    assert response.status_code == 422
    assert [e["field"] for e in body(response)["errors"]] == ["name", "file"]


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_a_bad_idempotency_key_is_400(key):
    assert post(App(), headers={"Idempotency-Key": key}).status_code == 400


def test_not_multipart_is_400_and_a_declared_big_body_is_413():
    app = App()
    assert (
        app.api_create_group(call("POST", "/api/v1/groups", data=b"{}", content_type="application/json")).status_code
        == 400
    )
    big = call("POST", "/api/v1/groups", data=b"x", content_type="multipart/form-data; boundary=b")
    big.environ["CONTENT_LENGTH"] = str(groups_api.MAX_UPLOAD + groups_api.MULTIPART_SLACK + 1)
    response = app.api_create_group(big)
    assert response.status_code == 413 and body(response)["error"] == "too_big"


def test_group_list_card_requests_and_404():
    app = App()
    listed = body(app.api_list_groups(call("GET", "/api/v1/groups", query={"date_from": "2026-11-01"})))
    assert listed["in_progress"] == 1 and app.journal.list_args[0] == "2026-11-01"
    assert app.api_list_groups(call("GET", "/api/v1/groups", query={"date_from": "1.11"})).status_code == 400
    assert body(app.api_get_group(call("GET", "/api/v1/groups/8"), 8))["status_label"] == "Получен ответ"
    assert app.api_get_group(call("GET", "/api/v1/groups/99"), 99).status_code == 404
    page = app.api_group_requests(call("GET", "/api/v1/groups/8/requests", query={"status": "answered"}), 8)
    assert page.status_code == 200 and app.journal.list_args == {"status": "answered", "group_id": 8}
    assert app.api_group_requests(call("GET", "/api/v1/groups/99/requests"), 99).status_code == 404


def test_exports_carry_length_name_and_encoding():
    app = App()
    response = app.api_export_csv(call("GET", "/api/v1/groups/8/export.csv", query={"encoding": "cp1251"}), 8)
    response.direct_passthrough = False
    data = response.get_data()
    assert response.headers["Content-Type"] == "text/csv; charset=windows-1251"
    assert int(response.headers["Content-Length"]) == len(data) and data.decode("cp1251").startswith("Строка;")
    xlsx = app.api_export_xlsx(call("GET", "/api/v1/groups/8/export.xlsx"), 8)
    xlsx.direct_passthrough = False
    assert xlsx.get_data()[:2] == b"PK" and xlsx.headers["Content-Disposition"].endswith(".xlsx")
    assert app.api_export_csv(call("GET", "/api/v1/groups/99/export.csv"), 99).status_code == 404


def test_pages_are_asked_ahead_and_blank_line_gaps_are_kept_in_order():
    lines = [n for n in range(2, 40) if n not in (7, 8, 9, 20)]  # blank lines 7–9 and 20 were skipped by ФЛК
    asked = []

    def start(after, limit):
        asked.append(after)
        return Reply([{"line_no": n, "cells": [str(n)]} for n in lines if n > after][:limit])

    got = [int(c[0]) for c in exports.rows_ahead(start, page_size=5, window=3)]
    assert got == lines
    assert asked[:3] == [0, 5, 10] and asked[-1] == 50  # three in flight; the empty page from 40 ends it
