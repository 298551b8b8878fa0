"""Group files (manual §5.1–5.2), generated here: encodings, delimiters, quoting, header, rows, limits."""

import pytest
from flk_samples import ENP, SNILS, TODAY, csv_bytes, row, valid_rows

from services.flk import messages as M
from services.flk.group import COLUMNS, MAX_BYTES, MAX_ERRORS, MAX_ROWS, check_group

HEADER_SEMI = ";".join(COLUMNS)


def check(content):
    return check_group(content, "ГрупповойЗапросСП.csv", today=TODAY)


def messages(result):
    return [e["message"] for e in result["errors"]]


# --- encodings


@pytest.mark.parametrize(
    "encoding, bom, expected", [("cp1251", False, "cp1251"), ("utf-8", False, "utf-8"), ("utf-8", True, "utf-8-sig")]
)
@pytest.mark.parametrize("delimiter", [";", ","])
def test_valid_file_in_each_encoding_and_delimiter(encoding, bom, expected, delimiter):
    rows = valid_rows(25)
    result = check(csv_bytes(rows, delimiter=delimiter, encoding=encoding, bom=bom))
    assert result["ok"], result["errors"]
    assert result["encoding"] == expected
    assert result["total"] == 25 and len(result["rows"]) == 25
    assert [r["line"] for r in result["rows"]] == list(range(2, 27))
    assert result["rows"][1]["surname"] == "ТЕСТОВА" and result["rows"][1]["first_name"] == "АННА"
    assert result["rows"][3]["dpfs_type"] == "С"  # Latin C in the file
    assert result["rows"][2]["dul_series"][2] == " "  # «4612» shown back as «46 12»
    assert result["warnings"] == []


def test_windows_1251_is_not_mistaken_for_utf8():
    content = csv_bytes([row(name="Ёжик", snils=SNILS, surname="Тестова", first_name="Анна")], encoding="cp1251")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    result = check(content)
    assert result["ok"] and result["encoding"] == "cp1251" and result["rows"][0]["name"] == "Ёжик"


def test_utf16_is_refused_with_a_message():
    content = ("\ufeff" + HEADER_SEMI + "\r\n").encode("utf-16-le")
    result = check(content)
    assert not result["ok"] and messages(result) == [M.ENCODING_UTF16]


def test_undecodable_bytes_are_refused():
    result = check(b"\x98\x98\x98;;;\r\n")  # 0x98 is undefined in Windows-1251 and invalid UTF-8
    assert messages(result) == [M.ENCODING_UNKNOWN] and result["encoding"] is None


def test_bom_followed_by_invalid_utf8_is_refused():
    result = check(b"\xef\xbb\xbf" + HEADER_SEMI.encode("cp1251"))
    assert messages(result) == [M.ENCODING_BAD_BOM]


# --- line ends and blank lines


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_line_ends(newline):
    result = check(csv_bytes(valid_rows(4), newline=newline))
    assert result["ok"] and [r["line"] for r in result["rows"]] == [2, 3, 4, 5]


def test_trailing_empty_lines_are_ignored():
    content = csv_bytes(valid_rows(2)) + b"\r\n\r\n  \r\n;;;;;;;;;;;;;;;\r\n,,,,,,,,,,,,,,,\r\n\r\n"
    result = check(content)
    assert result["ok"] and result["total"] == 2 and result["warnings"] == []


def test_blank_line_in_the_middle_is_skipped_with_a_warning():
    rows = valid_rows(2)
    result = check(csv_bytes([rows[0], "", ";;;;;;;;;;;;;;;", rows[1]]))
    assert result["ok"] and [r["line"] for r in result["rows"]] == [2, 5]
    assert result["warnings"] == [{"line": 3, "message": M.BLANK_LINE}, {"line": 4, "message": M.BLANK_LINE}]


# --- delimiters


def test_mixed_delimiters_line_by_line():
    rows = valid_rows(6)
    lines = [";".join(r) if i % 2 else ",".join(r) for i, r in enumerate(rows)]
    result = check(csv_bytes(lines, header=",".join(COLUMNS)))
    assert result["ok"], result["errors"]
    assert len(result["rows"]) == 6


def test_header_with_comma_rows_with_semicolon():
    result = check(csv_bytes([";".join(r) for r in valid_rows(3)], header=",".join(COLUMNS)))
    assert result["ok"], result["errors"]


def test_unquoted_other_delimiter_inside_a_value():
    # 15 «;» decide the line; the commas belong to the name
    line = ";".join(row(name="RQ,1,2,3", enp=ENP))
    result = check(csv_bytes([line]))
    assert result["ok"] and result["rows"][0]["name"] == "RQ,1,2,3"


def test_quoted_values_with_delimiters_and_doubled_quotes():
    lines = [
        ";".join(['"RQ;1"'] + row(enp=ENP)[1:]),
        ",".join(['"RQ,2"'] + row(enp=ENP)[1:]),
        ";".join(['"RQ ""3"""'] + row(enp=ENP)[1:]),
        ";".join(['"' + ",".join(["x"] * 15) + '"'] + row(enp=ENP)[1:]),  # 15 commas inside quotes
        ",".join(['"' + ";".join(["x"] * 15) + '"'] + row(enp=ENP)[1:]),  # 15 semicolons inside quotes
        ";".join(['  "RQ 6"  ', '""', '"' + ENP + '"'] + [""] * 13),
    ]
    result = check(csv_bytes(lines))
    assert result["ok"], result["errors"]
    assert [r["name"] for r in result["rows"]] == [
        "RQ;1",
        "RQ,2",
        'RQ "3"',
        ",".join(["x"] * 15),
        ";".join(["x"] * 15),
        "RQ 6",
    ]
    assert len(result["warnings"]) == 5  # same ЕНП on every line


def test_unclosed_quote_is_an_error_of_that_line():
    line = ";".join(['"RQ1'] + row(enp=ENP)[1:])
    result = check(csv_bytes([valid_rows(1)[0], line]))
    assert not result["ok"]
    assert result["errors"] == [{"line": 3, "field": None, "message": M.QUOTE_UNCLOSED}]


def test_text_after_closing_quote_is_an_error():
    line = ";".join(['"RQ"1'] + row(enp=ENP)[1:])
    result = check(csv_bytes([line]))
    assert result["errors"] == [{"line": 2, "field": None, "message": M.QUOTE_TRAILING}]


# --- header


def test_header_tolerates_case_and_spaces():
    header = " ; ".join(c.upper() for c in COLUMNS[:-1]) + ";  дата по состоянию на  "
    result = check(csv_bytes(valid_rows(2), header=header))
    assert result["ok"], result["errors"]


def test_header_quoted_is_accepted():
    header = ",".join(f'"{c}"' for c in COLUMNS)
    assert check(csv_bytes(valid_rows(2), delimiter=",", header=header))["ok"]


def test_wrong_header_names_each_wrong_column():
    columns = list(COLUMNS)
    columns[2], columns[10] = "ЕНП полиса", "SNILS"
    result = check(csv_bytes(valid_rows(2), header=";".join(columns)))
    assert not result["ok"] and result["rows"] == []
    assert [(e["line"], e["field"]) for e in result["errors"]] == [(1, "ЕНП"), (1, "СНИЛС")]
    assert "Колонка 3" in result["errors"][0]["message"]


def test_header_with_fewer_columns():
    result = check(csv_bytes(valid_rows(2), header=";".join(COLUMNS[:-1])))
    assert result["errors"][0]["line"] == 1 and "Получено 15" in result["errors"][0]["message"]


def test_missing_header_row_of_data_first():
    rows = valid_rows(2)
    result = check(csv_bytes(rows[1:], header=";".join(rows[0])))
    assert not result["ok"] and all(e["line"] == 1 for e in result["errors"])


# --- rows


def test_manual_example_rows_are_short_and_refused():
    lines = [
        "RQST1;;5072360829000830;;;;;;;;;;19.06.2023",
        "RQST2;;;C;46-23 ;670162;;;;;;;19.06.2023",
        "RQST5;;;;;;;;158-361-694 89;Петрова;Анастасия;Андреевна;22.05.2002;19.06.2023",
    ]
    result = check(csv_bytes(lines, encoding="cp1251"))
    assert not result["ok"]
    assert result["errors"] == [
        {"line": 2, "field": None, "message": M.field_count(13)},
        {"line": 3, "field": None, "message": M.field_count(13)},
        {"line": 4, "field": None, "message": M.field_count(14)},
    ]
    assert M.field_count(13).startswith("В строке 13 полей, а нужно 16: ")
    assert M.field_count(14).startswith("В строке 14 полей, а нужно 16: ")
    assert M.field_count(2).startswith("В строке 2 поля, а нужно 16: ")


def test_manual_example_rows_padded_to_16_fields_pass():
    lines = [
        "RQST1;;" + ENP + ";;;;;;;;;;;;;19.06.2023",
        "RQST2;;;C;46-23 ;670162;;;;;;;;;;19.06.2023",
        "RQST3;;;B;;;124112965;;;;;;;;;19.06.2023",
        "RQST4;;;;;;;14;46 03;485468;;;;;;19.06.2023",
        "RQST5;;;;;;;;;;158-361-694 96;Петрова;Анастасия;Андреевна;22.05.2002;19.06.2023",
        "RQST6;305245311456;;;;;;;;;;;;;;19.06.2023",
    ]
    result = check(csv_bytes(lines, encoding="cp1251"))
    assert result["ok"], result["errors"]
    assert result["rows"][4]["snils"] == "15836169496" and result["rows"][4]["surname"] == "ПЕТРОВА"
    assert result["rows"][0]["as_of"] == "2023-06-19"


def test_long_row_is_refused():
    result = check(csv_bytes([";".join(row(name="RQ", enp=ENP) + ["extra"])]))
    assert messages(result) == [M.field_count(17)]


def test_row_errors_carry_line_and_column_name():
    rows = valid_rows(3)
    rows[1] = row(name="RQ", enp="5096989785000018", surname="Testov", birth_date="29.02.2023")
    rows.append(row(name="", snils="000-000-000 00"))
    result = check(csv_bytes(rows))
    assert not result["ok"] and result["rows"] == []
    assert [(e["line"], e["field"]) for e in result["errors"]] == [
        (3, "ЕНП"),
        (3, "Фамилия"),
        (3, "Дата рождения"),
        (5, "Имя запроса"),
        (5, "СНИЛС"),
    ]
    assert result["total"] == 4


def test_fio_and_birth_only_is_refused_in_a_file():
    result = check(csv_bytes([row(name="RQ", surname="Тестов", first_name="Тест", birth_date="01.01.1990")]))
    assert result["errors"] == [{"line": 2, "field": "ОИП", "message": M.IDENTITY_REQUIRED}]


def test_duplicates_are_warnings_naming_the_earlier_line():
    rows = valid_rows(3)
    again = list(rows[0])
    again[0] = "RQ-again"  # another name, same identifying data
    result = check(csv_bytes(rows + [again, rows[1]]))
    assert result["ok"] and len(result["rows"]) == 5
    assert result["warnings"] == [{"line": 5, "message": M.duplicate(2)}, {"line": 6, "message": M.duplicate(3)}]


def test_duplicates_compare_normalized_values():
    a = row(name="A", snils="112-233-445 95")
    b = row(name="B", snils="11223344595")
    result = check(csv_bytes([a, b]))
    assert result["warnings"] == [{"line": 3, "message": M.duplicate(2)}]


# --- empty files and limits


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", b"   ", b"\xef\xbb\xbf", b";;;\r\n"])
def test_empty_file(content):
    assert messages(check(content)) == [M.FILE_EMPTY]


@pytest.mark.parametrize("tail", ["", "\r\n", "\r\n\r\n;;;\r\n"])
def test_header_only(tail):
    result = check((HEADER_SEMI + tail).encode("utf-8"))
    assert messages(result) == [M.HEADER_ONLY] and result["total"] == 0


def test_file_over_20_mb_is_refused():
    content = csv_bytes(valid_rows(1))
    result = check(content + b" " * (MAX_BYTES + 1 - len(content)))
    assert messages(result) == [M.FILE_TOO_BIG]


def test_file_of_exactly_20_mb_is_read():
    content = csv_bytes(valid_rows(1))
    result = check(content + b"\r\n" * ((MAX_BYTES - len(content)) // 2))
    assert result["ok"] and result["total"] == 1


def test_100000_rows_are_accepted_and_100001_refused():
    line = ";".join(row(name="RQ", enp=ENP)).encode()
    base = HEADER_SEMI.encode() + b"\r\n" + (line + b"\r\n") * MAX_ROWS
    result = check(base)
    assert result["ok"] and result["total"] == MAX_ROWS and len(result["rows"]) == MAX_ROWS
    assert len(result["warnings"]) == 1001 and "Показаны первые 1000" in result["warnings"][-1]["message"]
    too_many = check(base + line + b"\r\n")
    assert not too_many["ok"] and too_many["total"] == MAX_ROWS + 1
    assert messages(too_many) == [M.too_many_rows(MAX_ROWS + 1, MAX_ROWS)]
    assert "100 000" in messages(too_many)[0]


def test_error_list_is_capped_with_a_final_note():
    bad = row(name="RQ", oip="1")
    result = check(csv_bytes([bad] * 1500))
    assert len(result["errors"]) == MAX_ERRORS + 1
    assert result["errors"][-1] == {"line": None, "field": None, "message": M.more_errors(MAX_ERRORS, 1500)}
    assert result["errors"][MAX_ERRORS - 1]["line"] == MAX_ERRORS + 1


def test_content_must_be_bytes():
    with pytest.raises(TypeError):
        check_group("text", "x.csv")
    assert check_group(bytearray(csv_bytes(valid_rows(1))), "x.csv", today=TODAY)["ok"]
