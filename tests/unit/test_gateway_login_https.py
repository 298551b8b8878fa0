"""Login over plain http from another machine: the session cookie would be Secure and silently dropped, so the
login page and the sign-in steps say «Вход возможен только по HTTPS» instead (issue 16 §5)."""

import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway import messages
from services.gateway.auth import login
from services.gateway.web import csrf
from tests.fakes.journal import FakeJournal

SECRET = "unit-test-secret"


def gateway(**config):
    g = login.LoginMixin()
    g.journal = FakeJournal()
    g.config = {
        "SECRET_KEY": SECRET,
        "SESSION_COOKIE_SECURE": "auto",
        "LOGIN_ATTEMPTS_PER_MINUTE": 10,
        "OZSP_MODE": "production",
        **config,
    }
    return g


def request(base_url, path="/login", method="GET", body=None, headers=None):
    token = csrf.new_token(SECRET, login.ANONYMOUS)
    builder = EnvironBuilder(
        path=path,
        method=method,
        base_url=base_url,
        data=json.dumps(body or {}),
        headers={"X-CSRF-Token": token, **(headers or {})},
    )
    builder.headers["Cookie"] = f"{csrf.COOKIE}={token}"
    return Request(builder.get_environ())


@pytest.mark.parametrize(
    "base_url, headers, config, warned",
    [
        ("http://ozsp.example.test:8000", {}, {}, True),  # another machine, plain http
        ("http://ozsp.example.test:8000", {}, {"SESSION_COOKIE_SECURE": "1"}, True),
        ("http://ozsp.example.test:8000", {}, {"SESSION_COOKIE_SECURE": "0"}, False),  # the operator allowed http
        ("https://ozsp.example.test", {}, {}, False),
        ("http://ozsp.example.test:8000", {"X-Forwarded-Proto": "https"}, {}, False),  # a TLS proxy in front
        ("http://127.0.0.1:8000", {}, {}, False),  # loopback: no Secure flag
        ("http://localhost:8000", {}, {}, False),
    ],
)
def test_the_login_page_warns_exactly_when_the_cookie_would_be_lost(base_url, headers, config, warned):
    html = gateway(**config).login_page(request(base_url, headers=headers)).get_data(as_text=True)
    assert (messages.HTTPS_ONLY in html) is warned
    assert ("login.js" in html) is not warned, "no certificate list under the warning"


@pytest.mark.parametrize(
    "path, body", [("/login/challenge", {}), ("/login", {"challenge_id": "c1", "signature": "AAAA"})]
)
def test_the_sign_in_steps_refuse_over_plain_http_with_the_same_message(path, body):
    g = gateway()
    step = g.login_challenge if path == "/login/challenge" else g.login_submit
    response = step(request("http://ozsp.example.test:8000", path, "POST", body))
    assert response.status_code == 403
    assert json.loads(response.get_data()) == {
        "ok": False,
        "title": "Ошибка аутентификации",
        "message": messages.HTTPS_ONLY,
    }
    assert "ozsp_session" not in response.headers.get("Set-Cookie", "")


def test_over_https_the_challenge_is_issued():
    response = gateway().login_challenge(request("https://ozsp.example.test", "/login/challenge", "POST"))
    assert response.status_code == 200 and json.loads(response.get_data())["id"] == "c1"
