from openpyxl import load_workbook

from services.gateway.files import exports
from shared import export


def pages_of(total):
    calls = []

    def fetch(after, limit):
        calls.append(after)
        lines = [n for n in range(2, total + 2) if n > after][:limit]
        return [{"line_no": n, "cells": [str(n), f"RQ{n}", "Ё-ЛКА №1"] + [""] * 23} for n in lines]

    return fetch, calls


def test_rows_are_fetched_page_by_page_until_a_short_page():
    fetch, calls = pages_of(25)
    assert [cells[0] for cells in exports.rows(fetch, page_size=10)] == [str(n) for n in range(2, 27)]
    assert calls == [0, 11, 21]


def test_csv_in_both_encodings():
    fetch, _ = pages_of(3)
    utf8 = exports.csv_file(export.csv_lines(exports.rows(fetch))).read()
    assert utf8.startswith(b"\xef\xbb\xbf" + "Строка;".encode()) and utf8.count(b"\xef\xbb\xbf") == 1
    lines = utf8.decode("utf-8-sig").split("\r\n")
    assert lines[0].split(";") == export.HEADER and lines[1].startswith("2;RQ2;Ё-ЛКА №1") and lines[-1] == ""
    assert len(lines) == 5
    ansi = exports.csv_file(export.csv_lines(exports.rows(fetch)), "cp1251").read().decode("cp1251")
    assert ansi.startswith("Строка;") and "Ё-ЛКА №1" in ansi


def test_xlsx_has_the_same_content(tmp_path):
    fetch, _ = pages_of(3)
    path = tmp_path / "x.xlsx"
    path.write_bytes(exports.xlsx_file(exports.rows(fetch), "Групповой запрос [1]").read())
    sheet = load_workbook(path).active
    values = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == export.HEADER and values[1][:3] == ["2", "RQ2", "Ё-ЛКА №1"] and len(values) == 4
    assert sheet.title == "Групповой запрос 1"


def test_content_disposition_keeps_the_russian_name():
    value = exports.content_disposition('Мой "запрос"/1', "csv")
    assert value.startswith('attachment; filename="') and "filename*=UTF-8''" in value
    assert value.endswith("%D0%9C%D0%BE%D0%B9%20%D0%B7%D0%B0%D0%BF%D1%80%D0%BE%D1%811.csv")


def test_content_disposition_drops_controls_bidi_and_header_breaks():
    value = exports.content_disposition("Отчёт\u202egsc.exe\r\nSet-Cookie: a=1\x00", "xlsx")
    assert "\r" not in value and "\n" not in value and "\x00" not in value and "\u202e" not in value
    assert value.endswith("filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82gsc.exeSet-Cookie%20a%3D1.xlsx")
    assert exports.content_disposition("\u202e\u2066", "csv").startswith('attachment; filename="group.csv"')
