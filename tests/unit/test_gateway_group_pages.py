"""Group pages with fake RPC proxies: upload (CSRF, CAPTCHA, fields), the ФЛК page and its CSV, the journal's
30 days and live part, one group's journal, exports and the completion notices."""

import io
import re
from datetime import timedelta

import pytest

from services.flk.group import COLUMNS
from services.flk.messages import field_count
from services.gateway.api import groups as groups_api
from services.gateway.pages import ferzl_state, individual
from services.gateway.pages import groups as group_pages
from services.gateway.web.errors import NotAuthenticated
from shared import clock
from shared.params import FIELDS
from tests.fakes.ferzl_bridge import FakeBridge
from tests.fakes.flk import FakeFlk
from tests.fakes.journal import FakeJournal
from tests.unit.gateway_support import page_request, read_form

SECRET = "unit-secret"
ME = {"user_id": 1, "organization_id": 1}
ROW = {
    "id": 7,
    "name": "Группа <b>1</b>",
    "filename": "g.csv",
    "created_at": "2026-11-20T10:00:00+00:00",
    "total": 4,
    "answered": 1,
    "failed": 1,
    "received": 2,
    "status": "sent",
    "status_label": "Отправлен",
    "finished_at": None,
}
DONE = {
    **ROW,
    "id": 8,
    "name": "Готовая",
    "answered": 3,
    "received": 4,
    "status": "answered",
    "status_label": "Получен ответ",
}


ENP = "5096989785000017"  # Luhn-valid: the real ФЛК (tests/fakes/flk.py) takes it
NEW = {**ROW, "id": 42, "name": "Новая", "total": 2}  # the group the fake journal makes (FakeJournal.new_group_id)
REQUEST = {
    "id": 100,
    "name": "RQ1",
    "created_at": ROW["created_at"],
    "params_text": "ЕНП: 5072360829000830",
    "status": "answered",
    "status_label": "Получен Ответ",
    "group_id": 8,
    "line_no": 2,
}


def group_file(*lines):
    """A group file as the manual has it (§5.1): the header, then lines of name=value fields, or ready-made ones."""
    rows = [ln if isinstance(ln, str) else ";".join(ln.get(f, "") for f in FIELDS) for ln in lines]
    return ("\r\n".join([";".join(COLUMNS), *rows]) + "\r\n").encode("cp1251")


# The real ФЛК takes this one with a warning (line 3 repeats line 2) and refuses BAD: line 2's ЕНП, line 3's fields.
GOOD = group_file({"name": "RQ1", "enp": ENP}, {"name": "RQ2", "enp": ENP})
BAD = group_file({"name": "RQ1", "enp": ENP[:-1]}, "=HYPERLINK(1);x;y")


class App(group_pages.GroupPagesMixin, groups_api.GroupsApiMixin, individual.PagesMixin):
    def __init__(self, signed_in=True):
        self.journal, self.flk, self.bridge = FakeJournal(), FakeFlk(), FakeBridge()
        self.journal.groups, self.journal.in_progress = {7: ROW, 8: DONE, 42: NEW}, 1
        self.journal.items = [REQUEST]
        self.journal.export_lines = {2: ["2", "RQ1"] + [""] * 24}
        self.config = {"SECRET_KEY": SECRET, "CAPTCHA_TEST_MODE": "1"}
        self.signed_in = signed_in

    def identity(self, request):
        if not self.signed_in:
            raise NotAuthenticated()
        return ME


@pytest.fixture(autouse=True)
def fresh_state_cache(monkeypatch):
    monkeypatch.setattr(individual, "_state_cache", ferzl_state.StateCache())


def request(path="/group", method="GET", data=None, cookie=None, query=None):
    return page_request(path, method, data, cookie, query)


def open_upload(app):
    return read_form(app.group_page(request()))


def upload(app, content=GOOD, name="Мой групповой запрос", **changes):
    _, form, cookie = open_upload(app)
    data = {**form, "name": name, "file": (io.BytesIO(content), "список.csv"), **changes}
    return app.group_submit(request(method="POST", data=data, cookie=cookie))


def test_upload_form_has_the_manuals_fields():
    html, form, _ = open_upload(App())
    for text in ("Имя запроса", "Выберите файл", "Обновить", "Направить запрос"):
        assert f">{text}<" in html, text
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html and form["captcha"]


def test_valid_file_creates_the_group_and_redirects_to_the_journal():
    app = App()
    response = upload(app)
    assert response.status_code == 303
    assert response.headers["Location"] == "/group/journal?created=42&warnings=1"
    name, filename, rows, key = app.journal.groups_created[0]
    assert (name, filename, key) == ("Мой групповой запрос", "список.csv", None)
    assert [row[:2] for row in rows] == [[2, "RQ1"], [3, "RQ2"]]


def test_refused_file_lists_every_error_and_queues_nothing():
    app = App()
    response = upload(app, BAD)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and not app.journal.groups_created
    assert "Результаты ФЛК группового запроса" in html and ">Загрузить другой файл<" in html
    rows = re.findall(r"<tr><td class=\"num\">([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    assert rows == [
        ("2", "ЕНП", "Введите данные в указанном формате. 16 цифр"),
        ("3", "—", field_count(3)),
    ]


def test_error_list_downloads_as_csv_only_with_the_pages_signed_report():
    app = App()
    html = upload(app, BAD).get_data(as_text=True)
    report = re.search(r'name="report" value="([^"]+)"', html).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = app.group_flk_errors(
        request("/group/flk-errors.csv", "POST", {"csrf_token": token, "report": report}, cookie=token)
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.split("\r\n") == [
        "\ufeffСтрока;Колонка;Ошибка",
        "2;ЕНП;Введите данные в указанном формате. 16 цифр",
        '3;;"' + field_count(3) + '"',
        "",
    ]
    forged = app.group_flk_errors(
        request("/group/flk-errors.csv", "POST", {"csrf_token": token, "report": report[:-2] + "00"}, cookie=token)
    )
    assert forged.status_code == 400
    no_csrf = app.group_flk_errors(request("/group/flk-errors.csv", "POST", {"report": report}, cookie=token))
    assert no_csrf.status_code == 403


def test_missing_name_file_and_captcha_are_shown_beside_their_fields():
    app = App()
    response = upload(app, name="", captcha="11111", file=(io.BytesIO(b""), ""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and not app.journal.groups_created
    assert 'id="f-name-err">Заполните поле «Имя запроса»<' in html
    assert 'id="f-file-err">Выберите файл группового запроса<' in html
    assert 'id="f-captcha-err">Символы с картинки введены неверно' in html


def test_upload_without_csrf_is_refused():
    app = App()
    response = upload(app, csrf_token="")
    assert response.status_code == 403 and "Форма устарела" in response.get_data(as_text=True)
    assert not app.journal.groups_created


def test_a_file_over_20_mb_is_refused_before_flk(monkeypatch):
    monkeypatch.setattr(groups_api, "MAX_UPLOAD", 10)
    app = App()
    response = upload(app, b"x" * 11)
    assert response.status_code == 413 and "Размер файла превышает 20 МБ" in response.get_data(as_text=True)
    monkeypatch.setattr(groups_api, "MULTIPART_SLACK", 0)  # the body itself over the limit: werkzeug refuses it
    response = upload(App(), b"x" * 500)
    assert response.status_code == 413


def test_journal_shows_the_last_30_days_and_the_processing_notice():
    app = App()
    html = app.group_journal_page(request("/group/journal", query={"created": "42", "warnings": "1"})).get_data(
        as_text=True
    )
    today = clock.today()
    assert app.journal.list_args == ((today - timedelta(days=29)).isoformat(), today.isoformat(), 1, 25)
    assert "Идет обработка результатов группового запроса. Пожалуйста ожидайте" in html
    assert "«Новая» прошёл форматно-логический контроль" in html and "Предупреждений ФЛК: 1" in html
    heads = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', html)
    assert heads == [
        "Дата запроса",
        "Наименование группового запроса",
        "Число вложенных запросов",
        "Получено ответов",
        "Статус",
        "Выгрузка",
    ]
    assert "Группа &lt;b&gt;1&lt;/b&gt;" in html and "<b>1</b>" not in html
    assert 'data-pending="true"' in html and '<progress class="progress" max="4" value="2"' in html
    assert html.count(">Выгрузить<") == 1 and 'href="/group/8/export.csv"' in html
    assert 'href="/group/7/export.csv"' not in html


def test_live_part_stops_when_nothing_is_processed():
    app = App()
    app.journal.groups, app.journal.in_progress = {8: DONE}, 0
    html = app.group_journal_page(request("/group/journal", query={"part": "table"})).get_data(as_text=True)
    assert html.startswith("\n<section") or html.lstrip().startswith("<section")
    assert 'data-pending="false"' in html and "Идет обработка" not in html and "<html" not in html


def test_journal_period_can_be_chosen_and_a_bad_one_is_explained():
    app = App()
    app.group_journal_page(request("/group/journal", query={"period": "01.01.2026 – 31.01.2026"}))
    assert app.journal.list_args[:2] == ("2026-01-01", "2026-01-31")
    html = app.group_journal_page(request("/group/journal", query={"period": "январь"})).get_data(as_text=True)
    assert "Укажите период в формате" in html


def test_one_groups_journal_uses_the_individual_journals_filters():
    app = App()
    html = app.group_requests_page(request("/group/8", query={"fio": "иван", "status": "answered"}), 8).get_data(
        as_text=True
    )
    assert app.journal.list_args == {"fio": "иван", "status": "answered", "group_id": 8}
    assert "Журнал Группового запроса" in html and "Готовая" in html and 'action="/group/8"' in html
    assert 'href="/individual/100"' in html and ">Выгрузить<" in html and "Результаты поиска" in html
    combined = app.group_requests_page(request("/group/8", query={"fio": "ИВАНОВ АЛЕКСЕЙ"}), 8)
    assert "Соединение реквизитов" in combined.get_data(as_text=True)
    assert app.group_requests_page(request("/group/99"), 99).status_code == 404


def test_page_export_and_unknown_group():
    app = App()
    response = app.group_export_csv(request("/group/8/export.csv"), 8)
    response.direct_passthrough = False  # a file wrapper for the WSGI server; read it here
    body = response.get_data()
    assert response.status_code == 200 and body.startswith(b"\xef\xbb\xbf") and body.count(b"\r\n") == 2
    assert "%D0%93%D0%BE%D1%82%D0%BE%D0%B2%D0%B0%D1%8F.csv" in response.headers["Content-Disposition"]
    assert app.group_export_csv(request("/group/99/export.csv"), 99).status_code == 404
    bad = app.group_export_csv(request("/group/8/export.csv", query={"encoding": "koi8-r"}), 8)
    assert bad.status_code == 400


def test_notices_are_json_and_401_without_a_session():
    app = App()
    app.journal.notices = [{"id": 8, "name": "Готовая"}]
    first = app.group_notices(request("/group/notices"))
    assert first.status_code == 200 and first.json == {"notices": [{"id": 8, "name": "Готовая"}]}
    assert app.group_notices(request("/group/notices")).json == {"notices": []}
    assert App(signed_in=False).group_notices(request("/group/notices")).status_code == 401


def test_pages_redirect_to_login_without_a_session():
    response = App(signed_in=False).group_journal_page(request("/group/journal"))
    assert response.status_code == 303 and response.headers["Location"].startswith("/login?")
