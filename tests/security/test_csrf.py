"""Issue 17 §3: the JSON API and /logout need the CSRF header token or our own Origin; a text/plain or form body is
refused (tried: a page on another port of the same host created a request in the victim's name — another port is
the same *site*, so SameSite cookies go along)."""

import json

import pytest
import requests

from shared.gost.testpki import DevPki
from tests import support

pytestmark = pytest.mark.integration

ATTACK_NAME = "Подделка CSRF"


@pytest.fixture
def victim(stack):
    """A session of the demo user, as a browser holds it: cookies only, no X-CSRF-Token header."""
    signed_in = stack.login(DevPki().sign)
    browser = requests.Session()
    browser.cookies.update(signed_in.cookies)
    browser.token = signed_in.headers["X-CSRF-Token"]
    return browser


def foreign_origin(stack):
    return stack.base_url.rsplit(":", 1)[0] + ":1"  # the same host, another port


def names(stack):
    return {item["name"] for item in stack.api("GET", "/api/v1/requests", params={"per_page": 200}).json()["items"]}


def post(stack, session, path, **kwargs):
    return session.post(stack.base_url + path, timeout=30, allow_redirects=False, **kwargs)


def test_cross_origin_posts_are_refused_and_create_nothing(stack, victim):
    enp = stack.samples(1)[0]["enp"]
    body = json.dumps({"name": ATTACK_NAME, "enp": enp})
    origin = {"Origin": foreign_origin(stack)}
    attempts = [
        post(stack, victim, "/api/v1/requests", data=body, headers={**origin, "Content-Type": "text/plain"}),
        post(stack, victim, "/api/v1/requests", data={"name": ATTACK_NAME, "enp": enp}, headers=origin),
        post(stack, victim, "/api/v1/requests", data=body, headers={**origin, "Content-Type": "application/json"}),
        post(stack, victim, "/api/v1/requests", data=body, headers={"Content-Type": "text/plain"}),  # no Origin
        post(
            stack,
            victim,
            "/api/v1/requests",
            data=body,  # even the token does not help a foreign page
            headers={**origin, "Content-Type": "application/json", "X-CSRF-Token": victim.token},
        ),
        post(
            stack,
            victim,
            "/api/v1/groups",
            data={"name": ATTACK_NAME},
            files={"file": ("g.csv", b"x", "text/csv")},
            headers=origin,
        ),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts), [r.text for r in attempts]
    assert all("X-CSRF-Token" in r.json()["message"] for r in attempts)
    assert ATTACK_NAME not in names(stack)


def test_a_program_sends_the_header_and_json(stack, victim):
    enp = stack.samples(1)[0]["enp"]
    token = {"X-CSRF-Token": victim.token}
    plain = post(
        stack,
        victim,
        "/api/v1/requests",
        data=json.dumps({"name": "Проверка CSRF", "enp": enp}),
        headers={**token, "Content-Type": "text/plain"},
    )
    assert plain.status_code == 415 and "application/json" in plain.json()["message"]
    wrong = post(
        stack,
        victim,
        "/api/v1/requests",
        json={"name": "Проверка CSRF", "enp": enp},
        headers={"X-CSRF-Token": victim.token[:-2] + "xx"},
    )
    assert wrong.status_code == 403
    created = post(stack, victim, "/api/v1/requests", json={"name": "Проверка CSRF", "enp": enp}, headers=token)
    assert created.status_code == 201, created.text


def test_a_page_of_this_site_needs_no_header(stack, victim):
    enp = stack.samples(1)[0]["enp"]
    r = post(
        stack,
        victim,
        "/api/v1/requests",
        json={"name": "Со страницы сервиса", "enp": enp},
        headers={"Origin": stack.base_url},
    )
    assert r.status_code == 201, r.text


def test_logout_from_another_origin_is_refused(stack, victim):
    refused = post(stack, victim, "/logout", headers={"Origin": foreign_origin(stack)})
    assert refused.status_code == 403 and "Выход не выполнен" in refused.text
    refused = post(stack, victim, "/logout")  # neither token nor Origin
    assert refused.status_code == 403
    assert victim.get(stack.base_url + "/api/v1/requests", timeout=30).status_code == 200  # still signed in
    done = post(stack, victim, "/logout", headers={"Origin": stack.base_url})  # «Выход» on our page
    assert done.status_code == 303 and victim.get(stack.base_url + "/api/v1/requests", timeout=30).status_code == 401


def test_finished_group_notices_are_not_taken_by_another_site(stack, victim):
    url = stack.base_url + "/group/notices"
    assert victim.get(url, headers={"Sec-Fetch-Site": "same-site"}, timeout=30).status_code == 403
    assert victim.get(url, headers={"Origin": foreign_origin(stack)}, timeout=30).status_code == 403
    assert victim.get(url, headers={"Sec-Fetch-Site": "same-origin"}, timeout=30).status_code == 200


ATTACK_PAGE = """<!doctype html><html><body>
<form id="form" method="post" action="{base}/api/v1/requests" enctype="text/plain">
<input name='{{"name": "{name}", "enp": "{enp}", "x": "' value='"}}'></form>
<form id="out" method="post" action="{base}/logout" target="hidden"></form><iframe name="hidden"></iframe>
<script>
fetch("{base}/api/v1/requests", {{method: "POST", mode: "no-cors", credentials: "include",
  headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{name: "{name}", enp: "{enp}"}})}})
  .catch(function () {{}}).then(function () {{ document.getElementById("out").submit(); }});
setTimeout(function () {{ document.getElementById("form").submit(); }}, 500);
</script></body></html>"""


@pytest.fixture
def attack_site(victim_page, stack):
    """A page on another port of the same host (http://127.0.0.1:<port>/), as in the report: Chromium gets it from
    the test (page.route) as if a server listened there, so its origin is that host and port."""
    enp = stack.samples(1)[0]["enp"]
    url = f"http://127.0.0.1:{support.free_port()}/"
    page = ATTACK_PAGE.format(base=stack.base_url, name=ATTACK_NAME, enp=enp)
    victim_page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page))
    return url


def test_a_page_on_another_port_cannot_act_for_the_signed_in_user(victim_page, attack_site, stack):
    page = victim_page
    page.goto("/individual")  # signed in
    with page.expect_navigation(url=stack.base_url + "/api/v1/requests"):
        page.goto(attack_site)
    assert '"error": "csrf"' in page.content()
    assert ATTACK_NAME not in names(stack)
    page.goto("/individual")
    assert page.url == stack.base_url + "/individual"  # the hidden logout did not end the session
