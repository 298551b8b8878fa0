"""Issue 17 §3: answers of the JSON API (and the login calls) are never stored by a browser or proxy and never
sniffed as another type: Cache-Control: no-store, X-Content-Type-Options: nosniff — successes and refusals alike."""

import pytest
import requests

pytestmark = pytest.mark.integration


def answers(stack):
    enp = stack.samples(1)[0]["enp"]
    created = stack.api("POST", "/api/v1/requests", json={"name": "Заголовки", "enp": enp})
    yield "POST /api/v1/requests 201", created
    yield "GET /api/v1/requests", stack.api("GET", "/api/v1/requests")
    yield "GET /api/v1/requests/<id>", stack.api("GET", f"/api/v1/requests/{created.json()['id']}")
    yield "GET /api/v1/requests/<missing>", stack.api("GET", "/api/v1/requests/999999999")
    yield "POST /api/v1/requests 422", stack.api("POST", "/api/v1/requests", json={"name": "", "enp": "1"})
    yield "GET /api/v1/groups", stack.api("GET", "/api/v1/groups")
    yield "GET /api/v1/groups bad page", stack.api("GET", "/api/v1/groups", params={"page": "0"})
    yield "GET /api/v1/health", stack.anonymous("GET", "/api/v1/health")
    yield "anonymous 401", stack.anonymous("GET", "/api/v1/requests")
    yield (
        "413",
        stack.api(
            "POST", "/api/v1/requests", data=b"x" * (2 * 1024 * 1024), headers={"Content-Type": "application/json"}
        ),
    )
    yield "GET /group/notices", stack.api("GET", "/group/notices")
    yield "GET /individual/captcha", stack.api("GET", "/individual/captcha")
    session = requests.Session()
    session.get(stack.base_url + "/login", timeout=30)
    token = {"X-CSRF-Token": session.cookies.get("ozsp_csrf")}
    yield "POST /login/challenge", session.post(stack.base_url + "/login/challenge", json={}, headers=token, timeout=30)
    yield "POST /login 400", session.post(stack.base_url + "/login", json={}, headers=token, timeout=30)


def test_every_api_answer_is_no_store_and_nosniff(stack):
    for what, r in answers(stack):
        assert r.headers.get("Content-Type", "").startswith("application/json"), what
        assert r.headers.get("Cache-Control") == "no-store", what
        assert r.headers.get("X-Content-Type-Options") == "nosniff", what
