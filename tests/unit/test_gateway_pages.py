"""Page handlers with fake RPC proxies: CSRF, CAPTCHA, the submission limit, escaping, the ФЕРЗЛ banner."""

import time

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.pages import ferzl_state, individual
from services.gateway.web import csrf, static, templating
from tests.fakes.ferzl_bridge import FakeBridge
from tests.fakes.flk import FakeFlk
from tests.fakes.journal import FakeJournal
from tests.unit.gateway_support import page_request, read_form

SECRET = "unit-secret"
ME = {"user_id": 1, "organization_id": 1}
ENP = "5096989785000017"  # Luhn-valid: the real ФЛК (tests/fakes/flk.py) takes it


class Pages(individual.PagesMixin):
    def __init__(self, state=None, **config):
        self.journal, self.flk, self.bridge = FakeJournal(), FakeFlk(), FakeBridge(state or {"state": "up"})
        self.config = {"SECRET_KEY": SECRET, "CAPTCHA_TEST_MODE": "1", **config}

    def identity(self, request):
        return ME


@pytest.fixture(autouse=True)
def fresh_state_cache(monkeypatch):
    monkeypatch.setattr(individual, "_state_cache", ferzl_state.StateCache())


def request(path="/individual", method="GET", form=None, cookie=None):
    return page_request(path, method, form, cookie)


def open_form(app):
    """GET the form like a browser: the CSRF cookie, the token and the CAPTCHA as the page gives them."""
    return read_form(app.individual_form(request()))


def test_form_page_has_csrf_cookie_token_and_a_fresh_captcha():
    app = Pages()
    html, form, cookie = open_form(app)
    assert form["csrf_token"] == cookie and csrf.valid(SECRET, 1, cookie)
    assert 'src="data:image/png;base64,' in html and len(app.journal.captchas) == 1
    for label in (
        "Имя запроса",
        "ОИП",
        "ЕНП",
        "СНИЛС",
        "Тип ДПФС",
        "Серия",
        "Номер",
        "Номер ВС",
        "Тип ДУЛ",
        "Серия ДУЛ",
        "Номер ДУЛ",
        "По состоянию на дату",
        "Фамилия",
        "Имя",
        "Отчество",
        "Дата Рождения",
        "Обновить",
        "Направить запрос",
    ):
        assert f">{label}<" in html, label


def test_valid_submission_is_created_and_redirected():
    app = Pages()
    _, form, cookie = open_form(app)
    response = app.individual_submit(request(method="POST", form={**form, "name": "x", "enp": ENP}, cookie=cookie))
    assert response.status_code == 303 and response.headers["Location"].endswith("/individual?sent=101")
    assert app.journal.created[0]["enp"] == ENP


def test_captcha_is_single_use():
    app = Pages()
    _, form, cookie = open_form(app)
    ok = {**form, "name": "x", "enp": ENP}
    assert app.individual_submit(request(method="POST", form=ok, cookie=cookie)).status_code == 303
    again = app.individual_submit(request(method="POST", form=ok, cookie=cookie))
    assert again.status_code == 422 and "Символы с картинки введены неверно" in again.get_data(as_text=True)
    assert len(app.journal.created) == 1


def test_missing_csrf_token_is_refused_and_values_stay():
    app = Pages()
    _, form, cookie = open_form(app)
    response = app.individual_submit(request(method="POST", form={**form, "csrf_token": "", "enp": ENP}, cookie=cookie))
    html = response.get_data(as_text=True)
    assert response.status_code == 403 and "Форма устарела" in html and f'value="{ENP}"' in html
    assert not app.journal.created


def test_submission_limit_per_minute_comes_from_the_journal():
    app = Pages(SUBMIT_LIMIT_PER_MINUTE="3")
    _, form, cookie = open_form(app)
    app.journal.recent = 3
    response = app.individual_submit(request(method="POST", form={**form, "enp": ENP}, cookie=cookie))
    assert response.status_code == 429
    assert "Превышено допустимое число запросов: не более 3 в минуту" in response.get_data(as_text=True)
    assert not app.journal.created


def test_flk_errors_are_shown_beside_the_field_and_user_text_is_escaped():
    app = Pages()
    _, form, cookie = open_form(app)
    response = app.individual_submit(
        request(
            method="POST", cookie=cookie, form={**form, "name": '<script>alert("x")</script>', "enp": "507636083600007"}
        )
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-enp-err">Введите данные в указанном формате. 16 цифр<' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_summary_escapes_request_names():
    app = Pages()
    app.journal.items = [
        {
            "id": 5,
            "name": "<img src=x onerror=alert(1)>",
            "created_at": "2026-06-26T12:09:00+00:00",
            "params_text": "ЕНП: 5072360829000830",
            "status": "sent",
            "status_label": "Отправлен",
        }
    ]
    html = app.individual_summary(request("/individual/summary")).get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert 'data-pending="true"' in html and "26-06-2026 15:09" in html


def test_banner_says_requests_are_queued_when_ferzl_is_down(monkeypatch):
    app = Pages(state={"state": "down", "since": "2026-11-26T10:00:00+00:00"})
    html = app.index_page(request("/")).get_data(as_text=True)
    assert "banner--down" in html and "Сервис ФЕРЗЛ временно недоступен" in html
    assert "ставятся в очередь" in html and "С 26.11.2026 13:00" in html
    monkeypatch.setattr(individual, "_state_cache", ferzl_state.StateCache())
    assert 'class="banner' not in Pages(state={"state": "up"}).index_page(request("/")).get_data(as_text=True)


def test_banner_for_a_degraded_ferzl_and_none_for_garbage():
    assert ferzl_state.banner({"state": "degraded"})["level"] == "degraded"
    assert ferzl_state.banner(None) is None and ferzl_state.banner({"state": "up"}) is None


def test_a_silent_bridge_does_not_hold_the_page_and_is_asked_once_per_ttl():
    bridge = FakeBridge({"state": "down"}, delay=5)
    started = time.monotonic()
    assert ferzl_state.ask(bridge, timeout=0.2) is None
    assert time.monotonic() - started < 1.5
    now = [0.0]
    cache = ferzl_state.StateCache(ttl=5, clock=lambda: now[0])
    fast = FakeBridge({"state": "down"})
    assert cache.get(lambda: ferzl_state.ask(fast))["state"] == "down"
    cache.get(lambda: ferzl_state.ask(fast))
    assert fast.calls == 1
    now[0] = 6.0
    cache.get(lambda: ferzl_state.ask(fast))
    assert fast.calls == 2


def test_pages_are_not_cached_and_forbid_inline_script():
    response = Pages().index_page(request("/"))
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.mimetype == "text/html"


def test_autoescape_is_on_for_every_template():
    assert templating.ENV.autoescape is True


def test_static_files_have_types_and_long_cache_only_for_the_current_version():
    content, version = static.load("app.css")
    fresh = static.response(request(f"/static/app.css?v={version}"), "app.css")
    assert fresh.status_code == 200 and fresh.headers["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in fresh.headers["Cache-Control"]
    old = static.response(request("/static/app.js?v=old"), "app.js")
    assert (
        old.headers["Content-Type"] == "text/javascript; charset=utf-8" and old.headers["Cache-Control"] == "no-cache"
    )
    builder = EnvironBuilder(path="/static/app.css", headers={"If-None-Match": f'"{version}"'})
    assert static.response(Request(builder.get_environ()), "app.css").status_code == 304
    assert static.url("app.css") == f"/static/app.css?v={version}"
    for name in ("../service.py", "vendor/other.js", "templates/base.html", "nothing.css"):
        assert static.response(request("/static/x"), name).status_code == 404


def test_air_datepicker_is_served_from_node_modules_when_installed():
    if not static.available("vendor/air-datepicker.js"):
        pytest.skip("node_modules missing: run npm ci (make install does)")
    assert b"AirDatepicker" in static.load("vendor/air-datepicker.js")[0]
