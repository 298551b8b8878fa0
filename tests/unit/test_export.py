from shared import export

MANUAL_HEADER = (
    '"Строка", "Имя Запроса", "Отправлен", "Статус Запроса", "ЕНП", "Дата начала действия полиса", '
    '"Дата окончания действия полиса", "Тип полиса", "Статус полиса", "ОКАТО территории ОМС", '
    '"Наименование СМО", "ОГРН СМО", "Реестровый код СМО", "Статус прикрепления 1", '
    '"Код МО прикрепления 1", "Наименование МО прикрепления 1", "Дата начала прикрепления 1", '
    '"Статус прикрепления 2", "Код МО прикрепления 2", "Наименование МО прикрепления 2", '
    '"Дата начала прикрепления 2", "Статус прикрепления 3", "Код МО прикрепления 3", '
    '"Наименование МО прикрепления 3", "Дата начала прикрепления 3", "Ответ получен"'
)


def test_header_is_the_manuals_list():
    assert export.HEADER == [h.strip().strip('"') for h in MANUAL_HEADER.split(",")]


def answered(attachments):
    return {
        "line_no": 5,
        "name": "RQ5",
        "created_at": "2026-11-26T10:00:00+00:00",
        "status": "answered",
        "answered_at": "2026-11-26T10:00:03+00:00",
        "answer": {
            "enp": "5096989785000017",
            "policy": {
                "type": "П",
                "status": "ДПП",
                "date_begin": "2013-01-10",
                "date_end": None,
                "okato": "46000",
                "smo_name": 'АО "ТЕСТОВАЯ СК"',
                "smo_ogrn": "1055000004047",
                "smo_code": "50004",
            },
            "attachments": attachments,
        },
    }


def test_row_holds_at_most_three_current_attachments():
    attachments = [
        {"status": s, "mo_code": f"50000{i}", "mo_name": f"МО {i}", "date_begin": "2021-10-21"}
        for i, s in enumerate(["ДПП", "НСМ", "ДПУ", "ДВП", "ДПП"])
    ]
    cells = export.row(answered(attachments))
    assert len(cells) == len(export.HEADER)
    assert cells[:9] == [
        "5",
        "RQ5",
        "26.11.2026 13:00",
        "Получен Ответ",
        "5096989785000017",
        "10.01.2013",
        "",
        "Бумажный полис ОМС единого образца",
        "ДПП",
    ]
    assert cells[13:25] == [
        "ДПП",
        "500000",
        "МО 0",
        "21.10.2021",
        "ДПУ",
        "500002",
        "МО 2",
        "21.10.2021",
        "ДВП",
        "500003",
        "МО 3",
        "21.10.2021",
    ]
    assert cells[-1] == "26.11.2026 13:00"


def test_error_row_keeps_the_message_and_formulas_are_neutralised():
    cells = export.row(
        {
            "line_no": 2,
            "name": '=HYPERLINK("x")',
            "created_at": "2026-11-26T10:00:00+00:00",
            "status": "error",
            "error_message": "Персона не найдена",
            "answer": None,
            "answered_at": None,
        }
    )
    assert cells[1] == '\'=HYPERLINK("x")'
    assert cells[3] == "Ошибка: Персона не найдена"
    assert all(c == "" for c in cells[4:])
    for start in ("+1", "-1", "@SUM(A1)"):
        assert export.safe_cell(start) == "'" + start


def test_csv_uses_semicolons_and_crlf():
    text = export.csv_text([["1", "a;b"]], with_header=True)
    assert text.startswith("Строка;Имя Запроса;") and text.endswith('1;"a;b"\r\n') and "\r\n" in text


def test_csv_lines_one_string_per_row_quoted_only_when_needed():
    lines = export.csv_lines([["2", "a;b", 'say "x"'], ["3", "two\nlines", ""]])
    assert lines == ['2;"a;b";"say ""x"""\r\n', '3;"two\nlines";\r\n']
    assert export.csv_text([["2", "a;b"]], with_header=True) == ";".join(export.HEADER) + '\r\n2;"a;b"\r\n'
