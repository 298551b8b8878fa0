"""Issue 17 §3: `next` after login leads only to a path on this site, read as a browser reads a URL
(tried: /login?next=/%09/evil.example took the browser to evil.example)."""

import base64
import html
import re

import pytest

from tests.security.attack import client, csrf_header

pytestmark = pytest.mark.integration

LEAVING = [
    "/\t/evil.example",
    "//evil.example",
    " //evil.example",
    "\n//evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "\t//evil.example",
    "\x00//evil.example",
    "///evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\x0b/evil.example",
]
STAYING = [
    ("/journal?status=sent", "/journal?status=sent"),
    ("/individual/5", "/individual/5"),
    ("/group/journal", "/group/journal"),
]


def data_next(stack, value):
    page = stack.anonymous("GET", "/login", params={"next": value})
    assert page.status_code == 200
    return html.unescape(re.search(r'data-next="([^"]*)"', page.text).group(1))


@pytest.mark.parametrize("value", LEAVING, ids=repr)
def test_the_login_page_never_keeps_a_next_that_leaves_the_site(stack, value):
    assert data_next(stack, value) == "/"


@pytest.mark.parametrize("value, kept", STAYING)
def test_local_paths_are_kept(stack, value, kept):
    assert data_next(stack, value) == kept


def test_the_login_answer_redirects_only_within_the_site(stack, pki):
    user = pki["users"]["redirected"]
    for value, expected in [
        ("/\t/evil.example", "/"),
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/journal", "/journal"),
    ]:
        r = login_with_next(stack, client("127.0.17.10"), user, value)
        assert r.status_code == 200 and r.json()["redirect"] == expected, (value, r.text)


def login_with_next(stack, session, user, value):
    headers = csrf_header(session, stack)
    issued = session.post(stack.base_url + "/login/challenge", json={}, headers=headers, timeout=30).json()
    signature = base64.b64encode(user.sign_challenge(issued["challenge"].encode())).decode()
    return session.post(
        stack.base_url + "/login",
        headers=headers,
        timeout=30,
        json={"challenge_id": issued["id"], "signature": signature, "next": value},
    )


def test_the_browser_stays_on_the_site_after_login(anonymous_page, stack):
    """The reported attack, in Chromium: /login?next=/%09/evil.example, then «Войти»."""
    page, left = anonymous_page, []
    page.route(re.compile(r"https?://evil\.example.*"), lambda route: (left.append(route.request.url), route.abort()))
    page.goto("/login?next=/%09/evil.example")
    page.get_by_text("ТЕСТОВЫЙ СЕРТИФИКАТ (режим разработки)").wait_for()
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(stack.base_url + "/")
    assert not left and page.url == stack.base_url + "/"
