"""What the group pages show, as plain data: the 30-day journal, group rows, the ФЛК report and its CSV."""

from datetime import date

from services.gateway import messages
from services.gateway.files import flk_report
from services.gateway.pages import views

TODAY = date(2026, 11, 26)


def test_group_journal_defaults_to_the_last_30_days():
    query = views.group_journal_query({}, TODAY)
    assert query["filters"] == {"date_from": "2026-10-28", "date_to": "2026-11-26"}
    assert query["form"]["period"] == "28.10.2026 – 26.11.2026" and not query["searching"] and query["page"] == 1


def test_group_journal_takes_a_chosen_period_and_refuses_garbage():
    chosen = views.group_journal_query({"period": "01.01.2026 - 15.01.2026", "page": "2"}, TODAY)
    assert chosen["filters"] == {"date_from": "2026-01-01", "date_to": "2026-01-15"}
    assert chosen["searching"] and chosen["page"] == 2
    bad = views.group_journal_query({"period": "вчера"}, TODAY)
    assert (
        bad["errors"]["period"] == messages.PERIOD_FORMAT and bad["filters"] == {} and bad["form"]["period"] == "вчера"
    )


def test_group_rows_progress_and_export():
    rows = views.group_rows(
        [
            {
                "id": 1,
                "name": "а",
                "created_at": "x",
                "total": 3,
                "received": 1,
                "failed": 0,
                "status": "sent",
                "status_label": "Отправлен",
            },
            {
                "id": 2,
                "name": "б",
                "created_at": "x",
                "total": 3,
                "received": 3,
                "failed": 3,
                "status": "error",
                "status_label": "Ошибка",
            },
        ]
    )
    assert [(r["percent"], r["finished"]) for r in rows] == [(33, False), (100, True)]
    assert views.any_group_pending({"in_progress": 0}, rows)
    assert not views.any_group_pending({"in_progress": 0}, rows[1:])
    assert views.any_group_pending({"in_progress": 2}, rows[1:])


def test_flk_rows_keep_file_level_errors_without_line():
    assert views.flk_rows([{"line": None, "field": None, "message": "Файл пуст"}]) == [
        {"line": "", "field": "", "message": "Файл пуст"}
    ]


def test_report_round_trip_is_bound_to_the_user_and_the_secret():
    errors = [
        {"line": n, "field": "ЕНП", "message": "Введите данные в указанном формате. 16 цифр"} for n in range(2, 1003)
    ] + [{"line": None, "field": None, "message": "Показаны первые 1000 ошибок"}]
    token = flk_report.issue("s", 1, errors)
    assert len(token) < 20_000  # repetitive messages compress well: the hidden field stays small
    assert flk_report.read("s", 1, token) == errors
    assert flk_report.read("s", 2, token) is None and flk_report.read("other", 1, token) is None
    assert flk_report.read("s", 1, "garbage") is None and flk_report.read("s", 1, None) is None
    assert flk_report.read("s", 1, token.rpartition(".")[0] + ".подпись") is None  # not ASCII: refused, no crash


def test_report_refuses_a_signed_bomb():
    import base64
    import zlib

    payload = base64.urlsafe_b64encode(zlib.compress(b"[" + b" " * (flk_report.MAX_JSON + 10) + b"]"))
    token = payload.decode() + "." + flk_report._mac("s", 1, payload)
    assert flk_report.read("s", 1, token) is None


def test_errors_csv_neutralises_formulas():
    data = flk_report.csv_bytes([{"line": 2, "field": "Имя", "message": "@SUM(1)"}])
    assert data.decode("utf-8").split("\r\n") == ["\ufeffСтрока;Колонка;Ошибка", "2;Имя;'@SUM(1)", ""]
