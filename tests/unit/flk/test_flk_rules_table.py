"""Table of individual-request cases: every rule of ФЛК and its boundaries (manual §4.1–4.2)."""

import pytest
from flk_samples import ENP, SNILS, TODAY

from services.flk import messages as M
from services.flk.rules import check_request

OK = "ok"
BASE = {"name": "RQ1"}


def ok(fields, **normalized):
    return (fields, OK, normalized)


def err(fields, field, message=None):
    return (fields, field, message)


# (fields besides the name, expected: OK or the field in error, normalized values / message fragment)
CASES = {
    # --- Имя запроса
    "name missing": ({"name": None, "enp": ENP}, "name", M.NAME_REQUIRED),
    "name blank": ({"name": "   ", "enp": ENP}, "name", M.NAME_REQUIRED),
    "name 100 chars": ok({"name": "Я" * 100, "enp": ENP}),
    "name 101 chars": err({"name": "Я" * 101, "enp": ENP}, "name", M.NAME_FORMAT),
    "name control char": err({"name": "RQ\x01", "enp": ENP}, "name"),
    "name NUL": err({"name": "RQ\x00", "enp": ENP}, "name", M.NAME_FORMAT),
    "name line break": err({"name": "RQ\r\n1", "enp": ENP}, "name", M.NAME_FORMAT),
    "name bidi override": err({"name": "RQ\u202egsc.exe", "enp": ENP}, "name", M.NAME_FORMAT),
    "name bidi isolate": err({"name": "RQ\u2066x", "enp": ENP}, "name", M.NAME_FORMAT),
    "name lone surrogate": err({"name": "RQ\ud800", "enp": ENP}, "name", M.NAME_FORMAT),
    "name free text": ok({"name": 'Мой запрос; "по ЕНП", №1', "enp": ENP}),
    "name trimmed": ok({"name": "  RQ 7  ", "enp": ENP}, name="RQ 7"),
    # --- at least one identifying group
    "only fio and birth": err(
        {"surname": "Тестов", "first_name": "Тест", "birth_date": "01.01.1990"}, "oip", M.IDENTITY_REQUIRED
    ),
    "only name": err({}, "oip", M.IDENTITY_REQUIRED),
    "only as_of": err({"as_of": "01.01.2024"}, "oip", M.IDENTITY_REQUIRED),
    "only blanks": err({"oip": " ", "enp": "", "snils": "\t"}, "oip", M.IDENTITY_REQUIRED),
    # --- ОИП
    "oip 12": ok({"oip": "123456789012"}, oip="123456789012"),
    "oip spaces": ok({"oip": "1234 5678 9012"}, oip="123456789012"),
    "oip 11": err({"oip": "12345678901"}, "oip", M.OIP_FORMAT),
    "oip 13": err({"oip": "1234567890123"}, "oip", M.OIP_FORMAT),
    "oip letter": err({"oip": "12345678901a"}, "oip", M.OIP_FORMAT),
    "oip arabic digits": err({"oip": "١٢٣٤٥٦٧٨٩٠١٢"}, "oip", M.OIP_FORMAT),
    "oip int": ok({"oip": 123456789012}, oip="123456789012"),
    # --- ЕНП
    "enp valid": ok({"enp": ENP}, enp=ENP),
    "enp spaces": ok({"enp": "5096 9897 8500 0017"}, enp=ENP),
    "enp trimmed": ok({"enp": "  5096989785000017 \t"}, enp=ENP),
    "enp 15 digits (manual figure 7)": err(
        {"enp": "507636083600007"}, "enp", "Введите данные в указанном формате. 16 цифр"
    ),
    "enp 17 digits": err({"enp": ENP + "0"}, "enp", M.ENP_FORMAT),
    "enp letters": err({"enp": "50969897850000I7"}, "enp", M.ENP_FORMAT),
    "enp luhn last digit": err({"enp": "5096989785000018"}, "enp", M.ENP_CHECKSUM),
    "enp luhn middle digit": err({"enp": "5096989885000017"}, "enp", M.ENP_CHECKSUM),
    "enp luhn transposed": err({"enp": "5096989758000017"}, "enp", M.ENP_CHECKSUM),
    "enp manual example fails luhn": err({"enp": "5072360829000830"}, "enp", M.ENP_CHECKSUM),
    "enp other valid": ok({"enp": "5055120840001936"}),
    # --- СНИЛС
    "snils dashed": ok({"snils": SNILS}, snils="11223344595"),
    "snils digits": ok({"snils": "11223344595"}, snils="11223344595"),
    "snils spaced": ok({"snils": "112 233 445 95"}, snils="11223344595"),
    "snils all dashes": ok({"snils": "112-233-445-95"}, snils="11223344595"),
    "snils wrong control": err({"snils": "112-233-445 96"}, "snils", M.SNILS_CHECKSUM),
    "snils sum 175 -> 74": ok({"snils": "112-855-899 74"}),
    "snils sum 99 -> 99": ok({"snils": "001-474-049 99"}),
    "snils sum 99 wrong": err({"snils": "001-474-049 00"}, "snils", M.SNILS_CHECKSUM),
    "snils sum 98 -> 98": ok({"snils": "032-146-123 98"}),
    "snils sum 100 -> 00": ok({"snils": "402-102-488 00"}),
    "snils sum 100 not 100": err({"snils": "402-102-488 01"}, "snils", M.SNILS_CHECKSUM),
    "snils sum 101 -> 00": ok({"snils": "141-141-702 00"}),
    "snils sum 101 not 01": err({"snils": "141-141-702 01"}, "snils", M.SNILS_CHECKSUM),
    "snils sum 102 -> 01": ok({"snils": "030-356-132 01"}),
    "snils sum 102 not 02": err({"snils": "030-356-132 02"}, "snils", M.SNILS_CHECKSUM),
    "snils sum 201 -> 00": ok({"snils": "642-185-924 00"}),
    "snils sum 202 -> 00": ok({"snils": "742-363-655 00"}),
    "snils 001-001-998 unchecked": ok({"snils": "001-001-998 57"}),
    "snils 001-001-998 unchecked 00": ok({"snils": "001-001-998 00"}),
    "snils low number unchecked": ok({"snils": "000-000-001 42"}),
    "snils 001-001-999 checked bad": err({"snils": "001-001-999 00"}, "snils", M.SNILS_CHECKSUM),
    "snils 001-001-999 checked good": ok({"snils": "001-001-999 65"}),
    "snils zeros": err({"snils": "000-000-000 00"}, "snils", M.SNILS_ZEROS),
    "snils 10 digits": err({"snils": "1122334459"}, "snils", M.SNILS_FORMAT),
    "snils 12 digits": err({"snils": "112233445955"}, "snils", M.SNILS_FORMAT),
    "snils letter": err({"snils": "112-233-445 9a"}, "snils", M.SNILS_FORMAT),
    "snils manual example fails": err({"snils": "158-361-694 89"}, "snils", M.SNILS_CHECKSUM),
    "snils manual format valid": ok({"snils": "158-361-694 96"}, snils="15836169496"),
    # --- ДПФС: types
    "policy С cyrillic": ok({"dpfs_type": "С", "dpfs_number": "670162"}, dpfs_type="С", dpfs_number="670162"),
    "policy C latin": ok(
        {"dpfs_type": "C", "dpfs_series": "46-23 ", "dpfs_number": "670162"}, dpfs_type="С", dpfs_series="46-23"
    ),
    "policy с lower": ok({"dpfs_type": "с", "dpfs_number": "1"}, dpfs_type="С"),
    "policy С series upper": ok({"dpfs_type": "С", "dpfs_series": "мог", "dpfs_number": "1"}, dpfs_series="МОГ"),
    "policy С number 20": ok({"dpfs_type": "С", "dpfs_number": "1" * 20}),
    "policy С number 21": err({"dpfs_type": "С", "dpfs_number": "1" * 21}, "dpfs_number", M.DPFS_NUMBER_OLD_FORMAT),
    "policy С number letters": err({"dpfs_type": "С", "dpfs_number": "12АБ"}, "dpfs_number", M.DPFS_NUMBER_OLD_FORMAT),
    "policy С no number": err({"dpfs_type": "С", "dpfs_series": "46-23"}, "dpfs_number", M.DPFS_NUMBER_REQUIRED),
    "policy С series 10": ok({"dpfs_type": "С", "dpfs_series": "1234567890", "dpfs_number": "1"}),
    "policy С series 11": err({"dpfs_type": "С", "dpfs_series": "12345678901", "dpfs_number": "1"}, "dpfs_series"),
    "policy С series symbol": err({"dpfs_type": "С", "dpfs_series": "46/23!", "dpfs_number": "1"}, "dpfs_series"),
    "policy С with vs": err(
        {"dpfs_type": "С", "dpfs_number": "1", "vs_number": "124112965"}, "vs_number", M.VS_ONLY_VS
    ),
    "policy В": ok({"dpfs_type": "В", "vs_number": "124112965"}, dpfs_type="В", vs_number="124112965"),
    "policy B latin": ok({"dpfs_type": "B", "vs_number": "124112965"}, dpfs_type="В"),
    "policy в lower": ok({"dpfs_type": "в", "vs_number": "124112965"}, dpfs_type="В"),
    "policy Е": ok({"dpfs_type": "Е", "vs_number": "000000001"}, dpfs_type="Е"),
    "policy E latin": ok({"dpfs_type": "E", "vs_number": "000000001"}, dpfs_type="Е"),
    "policy В no vs": err({"dpfs_type": "В"}, "vs_number", M.VS_REQUIRED),
    "policy В vs 8": err({"dpfs_type": "В", "vs_number": "12411296"}, "vs_number", M.VS_FORMAT),
    "policy В vs 10": err({"dpfs_type": "В", "vs_number": "1241129650"}, "vs_number", M.VS_FORMAT),
    "policy В vs letter": err({"dpfs_type": "В", "vs_number": "12411296O"}, "vs_number", M.VS_FORMAT),
    "policy В with number": err(
        {"dpfs_type": "В", "vs_number": "124112965", "dpfs_number": "124112965"}, "dpfs_number", M.NUMBER_NOT_FOR_VS
    ),
    "policy В with series": err(
        {"dpfs_type": "В", "vs_number": "124112965", "dpfs_series": "1"}, "dpfs_series", M.SERIES_ONLY_OLD
    ),
    "policy П": ok({"dpfs_type": "П", "dpfs_number": ENP}, dpfs_type="П", dpfs_number=ENP),
    "policy P latin": ok({"dpfs_type": "P", "dpfs_number": ENP}, dpfs_type="П"),
    "policy Э": ok({"dpfs_type": "Э", "dpfs_number": ENP}, dpfs_type="Э"),
    "policy К": ok({"dpfs_type": "К", "dpfs_number": ENP}, dpfs_type="К"),
    "policy K latin": ok({"dpfs_type": "K", "dpfs_number": ENP}, dpfs_type="К"),
    "policy Ц": ok({"dpfs_type": "Ц", "dpfs_number": ENP}, dpfs_type="Ц"),
    "policy П spaced enp": ok({"dpfs_type": "П", "dpfs_number": "5096 9897 8500 0017"}, dpfs_number=ENP),
    "policy П no number": err({"dpfs_type": "П"}, "dpfs_number", M.DPFS_NUMBER_ENP_REQUIRED),
    "policy П 15 digits": err({"dpfs_type": "П", "dpfs_number": ENP[:-1]}, "dpfs_number", M.DPFS_NUMBER_ENP_FORMAT),
    "policy Э luhn": err({"dpfs_type": "Э", "dpfs_number": "5096989785000018"}, "dpfs_number", M.ENP_CHECKSUM),
    "policy П with series": err(
        {"dpfs_type": "П", "dpfs_number": ENP, "dpfs_series": "46"}, "dpfs_series", M.SERIES_ONLY_OLD
    ),
    "policy Ц with vs": err(
        {"dpfs_type": "Ц", "dpfs_number": ENP, "vs_number": "124112965"}, "vs_number", M.VS_ONLY_VS
    ),
    "policy Х not requestable": err({"dpfs_type": "Х", "dpfs_number": ENP}, "dpfs_type", M.DPFS_TYPE_FORMAT),
    "policy М not requestable": err({"dpfs_type": "М", "dpfs_number": ENP}, "dpfs_type", M.DPFS_TYPE_FORMAT),
    "policy Z unknown": err({"dpfs_type": "Z", "dpfs_number": "1"}, "dpfs_type", M.DPFS_TYPE_FORMAT),
    "policy digit type": err({"dpfs_type": "1", "dpfs_number": "1"}, "dpfs_type", M.DPFS_TYPE_FORMAT),
    "policy two letters": err({"dpfs_type": "СВ", "dpfs_number": "1"}, "dpfs_type", M.DPFS_TYPE_FORMAT),
    "policy number no type": err({"dpfs_number": "670162"}, "dpfs_type", M.DPFS_TYPE_REQUIRED),
    "policy series no type": err({"dpfs_series": "46-23"}, "dpfs_type", M.DPFS_TYPE_REQUIRED),
    "policy vs no type": err({"vs_number": "124112965"}, "dpfs_type", M.DPFS_TYPE_REQUIRED),
    "policy bad vs no type": err({"vs_number": "12"}, "vs_number", M.VS_FORMAT),
    # --- ДУЛ 14 паспорт РФ «99 99» + 6–7 digits
    "dul 14": ok(
        {"dul_type": "14", "dul_series": "46 12", "dul_number": "485468"},
        dul_type="14",
        dul_series="46 12",
        dul_number="485468",
    ),
    "dul 14 series no space": ok({"dul_type": "14", "dul_series": "4612", "dul_number": "485468"}, dul_series="46 12"),
    "dul 14 series hyphen": ok({"dul_type": "14", "dul_series": "46-12", "dul_number": "485468"}, dul_series="46 12"),
    "dul 14 series two spaces": ok(
        {"dul_type": "14", "dul_series": "46  12", "dul_number": "485468"}, dul_series="46 12"
    ),
    "dul 14 number 7": ok({"dul_type": "14", "dul_series": "46 12", "dul_number": "4854681"}),
    "dul 14 number 5": err(
        {"dul_type": "14", "dul_series": "46 12", "dul_number": "48546"}, "dul_number", M.fmt("6 или 7 цифр")
    ),
    "dul 14 number 8": err({"dul_type": "14", "dul_series": "46 12", "dul_number": "48546811"}, "dul_number"),
    "dul 14 number letter": err({"dul_type": "14", "dul_series": "46 12", "dul_number": "48546A"}, "dul_number"),
    "dul 14 series 3 digits": err(
        {"dul_type": "14", "dul_series": "461", "dul_number": "485468"}, "dul_series", M.DUL_SERIES_FORMATS["99 99"]
    ),
    "dul 14 series 5 digits": err({"dul_type": "14", "dul_series": "46123", "dul_number": "485468"}, "dul_series"),
    "dul 14 series letters": err({"dul_type": "14", "dul_series": "АБ 12", "dul_number": "485468"}, "dul_series"),
    "dul 14 no series": err({"dul_type": "14", "dul_number": "485468"}, "dul_series", M.DUL_SERIES_REQUIRED),
    "dul 14 no number": err({"dul_type": "14", "dul_series": "46 12"}, "dul_number", M.DUL_NUMBER_REQUIRED),
    "dul 014": ok({"dul_type": "014", "dul_series": "46 12", "dul_number": "485468"}, dul_type="14"),
    "dul 14 int": ok({"dul_type": 14, "dul_series": "46 12", "dul_number": "485468"}, dul_type="14"),
    # --- ДУЛ 3 свидетельство о рождении «R-ББ» + 6 digits
    "dul 3": ok({"dul_type": "3", "dul_series": "IV-МЮ", "dul_number": "123456"}, dul_series="IV-МЮ"),
    "dul 3 lower": ok({"dul_type": "3", "dul_series": "iv-мю", "dul_number": "123456"}, dul_series="IV-МЮ"),
    "dul 3 no hyphen": ok({"dul_type": "3", "dul_series": "IVМЮ", "dul_number": "123456"}, dul_series="IV-МЮ"),
    "dul 3 space": ok({"dul_type": "3", "dul_series": "IV МЮ", "dul_number": "123456"}, dul_series="IV-МЮ"),
    "dul 3 cyrillic roman 1У": ok({"dul_type": "3", "dul_series": "1У-МЮ", "dul_number": "123456"}, dul_series="IV-МЮ"),
    "dul 3 cyrillic roman ХII": ok(
        {"dul_type": "3", "dul_series": "ХII-АБ", "dul_number": "123456"}, dul_series="XII-АБ"
    ),
    "dul 3 cyrillic roman ЛХ": ok({"dul_type": "3", "dul_series": "лх-аб", "dul_number": "123456"}, dul_series="LX-АБ"),
    "dul 3 latin look-alike letters": ok(
        {"dul_type": "3", "dul_series": "IV-MЮ", "dul_number": "123456"}, dul_series="IV-МЮ"
    ),
    "dul 3 bad roman IIII": err(
        {"dul_type": "3", "dul_series": "IIII-МЮ", "dul_number": "123456"}, "dul_series", M.DUL_SERIES_FORMATS["R-ББ"]
    ),
    "dul 3 no roman": err({"dul_type": "3", "dul_series": "-МЮ", "dul_number": "123456"}, "dul_series"),
    "dul 3 one letter": err({"dul_type": "3", "dul_series": "IV-М", "dul_number": "123456"}, "dul_series"),
    "dul 3 three letters": err({"dul_type": "3", "dul_series": "IV-МЮЯ", "dul_number": "123456"}, "dul_series"),
    "dul 3 digits as letters": err({"dul_type": "3", "dul_series": "IV-12", "dul_number": "123456"}, "dul_series"),
    "dul 3 number 7": err(
        {"dul_type": "3", "dul_series": "IV-МЮ", "dul_number": "1234567"}, "dul_number", M.fmt("6 цифр")
    ),
    "dul 3 no series": err({"dul_type": "3", "dul_number": "123456"}, "dul_series", M.DUL_SERIES_REQUIRED),
    # --- ДУЛ 1 паспорт СССР «R-ББ» + 6
    "dul 1": ok({"dul_type": "1", "dul_series": "XXV-АБ", "dul_number": "123456"}),
    "dul 1 number 5": err({"dul_type": "1", "dul_series": "I-АБ", "dul_number": "12345"}, "dul_number"),
    # --- ДУЛ «ББ» masks: 4 (7 digits), 6 (6), 7 (6–7), 16 (6–7), 17 (6)
    "dul 4": ok({"dul_type": "4", "dul_series": "АБ", "dul_number": "1234567"}),
    "dul 4 lower": ok({"dul_type": "4", "dul_series": "аб", "dul_number": "1234567"}, dul_series="АБ"),
    "dul 4 latin look-alikes": ok({"dul_type": "4", "dul_series": "AB", "dul_number": "1234567"}, dul_series="АВ"),
    "dul 4 letter digit": err(
        {"dul_type": "4", "dul_series": "А1", "dul_number": "1234567"}, "dul_series", M.DUL_SERIES_FORMATS["ББ"]
    ),
    "dul 4 number 6": err({"dul_type": "4", "dul_series": "АБ", "dul_number": "123456"}, "dul_number", M.fmt("7 цифр")),
    "dul 6": ok({"dul_type": "6", "dul_series": "МФ", "dul_number": "123456"}),
    "dul 6 number 7": err({"dul_type": "6", "dul_series": "МФ", "dul_number": "1234567"}, "dul_number"),
    "dul 7 six": ok({"dul_type": "7", "dul_series": "ВБ", "dul_number": "123456"}),
    "dul 7 seven": ok({"dul_type": "7", "dul_series": "ВБ", "dul_number": "1234567"}),
    "dul 7 eight": err({"dul_type": "7", "dul_series": "ВБ", "dul_number": "12345678"}, "dul_number"),
    "dul 7 no series": err({"dul_type": "7", "dul_number": "123456"}, "dul_series", M.DUL_SERIES_REQUIRED),
    "dul 16": ok({"dul_type": "16", "dul_series": "МК", "dul_number": "1234567"}),
    "dul 16 three letters": err({"dul_type": "16", "dul_series": "МКА", "dul_number": "1234567"}, "dul_series"),
    "dul 17": ok({"dul_type": "17", "dul_series": "ОЗ", "dul_number": "123456"}),
    "dul 17 number 7": err({"dul_type": "17", "dul_series": "ОЗ", "dul_number": "1234567"}, "dul_number"),
    # --- ДУЛ «99» masks: 8, 15, 25 (7 digits)
    "dul 8": ok({"dul_type": "8", "dul_series": "12", "dul_number": "1234567"}),
    "dul 8 series 1": err(
        {"dul_type": "8", "dul_series": "1", "dul_number": "1234567"}, "dul_series", M.DUL_SERIES_FORMATS["99"]
    ),
    "dul 8 number 6": err({"dul_type": "8", "dul_series": "12", "dul_number": "123456"}, "dul_number"),
    "dul 15": ok({"dul_type": "15", "dul_series": "75", "dul_number": "1234567"}),
    "dul 15 series letters": err({"dul_type": "15", "dul_series": "АБ", "dul_number": "1234567"}, "dul_series"),
    "dul 15 number 8": err({"dul_type": "15", "dul_series": "75", "dul_number": "12345678"}, "dul_number"),
    "dul 25": ok({"dul_type": "25", "dul_series": "01", "dul_number": "1234567"}),
    # --- ДУЛ free series «S»/«S1», numbers «00000009» (1–8), «0000000009» (1–10), free text
    "dul 2 no series": ok({"dul_type": "2", "dul_number": "12345678"}),
    "dul 2 number 1": ok({"dul_type": "2", "dul_number": "1"}),
    "dul 2 number 9": err({"dul_type": "2", "dul_number": "123456789"}, "dul_number", M.fmt("от 1 до 8 цифр")),
    "dul 2 free series": ok({"dul_type": "2", "dul_series": "ab 12", "dul_number": "1"}, dul_series="AB 12"),
    "dul 2 series 11": err(
        {"dul_type": "2", "dul_series": "ABCDEFGHIJK", "dul_number": "1"}, "dul_series", M.DUL_SERIES_FORMATS["S"]
    ),
    "dul 5": ok({"dul_type": "5", "dul_number": "00000001"}),
    "dul 9 ten digits": ok({"dul_type": "9", "dul_series": "X", "dul_number": "1234567890"}),
    "dul 9 eleven digits": err({"dul_type": "9", "dul_number": "12345678901"}, "dul_number", M.fmt("от 1 до 10 цифр")),
    "dul 10": ok({"dul_type": "10", "dul_number": "12345678"}),
    "dul 11": ok({"dul_type": "11", "dul_series": "82", "dul_number": "1234567"}),
    "dul 11 number letter": err({"dul_type": "11", "dul_number": "123A"}, "dul_number"),
    "dul 12": ok({"dul_type": "12", "dul_number": "12345678"}),
    "dul 13": ok({"dul_type": "13", "dul_number": "1234"}),
    "dul 18 free number": ok({"dul_type": "18", "dul_number": "ab-123"}, dul_number="AB-123"),
    "dul 18 number 21": err({"dul_type": "18", "dul_number": "A" * 21}, "dul_number", M.DUL_NUMBER_FREE_FORMAT),
    "dul 21": ok({"dul_type": "21", "dul_series": "PA", "dul_number": "X1234"}),
    "dul 24": ok({"dul_type": "24", "dul_number": "12 34"}),
    "dul 28": ok({"dul_type": "28", "dul_number": "1"}),
    "dul 18 number symbol": err({"dul_type": "18", "dul_number": "12#4"}, "dul_number"),
    # --- ДУЛ type
    "dul type 19 unknown": err({"dul_type": "19", "dul_number": "1"}, "dul_type", M.DUL_TYPE_FORMAT),
    "dul type 0": err({"dul_type": "0", "dul_number": "1"}, "dul_type", M.DUL_TYPE_FORMAT),
    "dul type 29": err({"dul_type": "29", "dul_number": "1"}, "dul_type", M.DUL_TYPE_FORMAT),
    "dul type text": err({"dul_type": "паспорт", "dul_number": "1"}, "dul_type", M.DUL_TYPE_FORMAT),
    "dul number no type": err({"dul_number": "485468"}, "dul_type", M.DUL_TYPE_REQUIRED),
    "dul series no type": err({"dul_series": "46 12"}, "dul_type", M.DUL_TYPE_REQUIRED),
    "dul type only": err({"dul_type": "14"}, "dul_number", M.DUL_NUMBER_REQUIRED),
    # --- ФИО
    "fio lower to upper": ok(
        {"enp": ENP, "surname": "тестов", "first_name": "тест", "patronymic": "тестович"},
        surname="ТЕСТОВ",
        first_name="ТЕСТ",
        patronymic="ТЕСТОВИЧ",
    ),
    "fio ё": ok({"enp": ENP, "surname": "Ёлкина", "first_name": "Алёна"}, surname="ЁЛКИНА", first_name="АЛЁНА"),
    "fio hyphen": ok({"enp": ENP, "surname": "Тестова-Примерова"}, surname="ТЕСТОВА-ПРИМЕРОВА"),
    "fio hyphen spaced": ok({"enp": ENP, "surname": "Тестова - Примерова"}, surname="ТЕСТОВА-ПРИМЕРОВА"),
    "fio apostrophe": ok({"enp": ENP, "surname": "д'Образцов"}, surname="Д'ОБРАЗЦОВ"),
    "fio typographic apostrophe": ok({"enp": ENP, "surname": "Д’Образцов"}, surname="Д'ОБРАЗЦОВ"),
    "fio space": ok({"enp": ENP, "first_name": "Анна  Мария"}, first_name="АННА МАРИЯ"),
    "fio one letter": ok({"enp": ENP, "patronymic": "Я"}, patronymic="Я"),
    "fio 40": ok({"enp": ENP, "surname": "Т" * 40}),
    "fio 41": err({"enp": ENP, "surname": "Т" * 41}, "surname", M.FIO_LENGTH),
    "fio latin": err({"enp": ENP, "surname": "Testov"}, "surname", M.FIO_LATIN),
    "fio latin look-alike": err({"enp": ENP, "first_name": "AННА"}, "first_name", M.FIO_LATIN),
    "fio digit": err({"enp": ENP, "patronymic": "Тестович2"}, "patronymic", M.FIO_CHARS),
    "fio dot": err({"enp": ENP, "surname": "Тестов."}, "surname", M.FIO_CHARS),
    "fio leading hyphen": err({"enp": ENP, "surname": "-Тестов"}, "surname", M.FIO_SHAPE),
    "fio trailing apostrophe": err({"enp": ENP, "surname": "Тестов'"}, "surname", M.FIO_SHAPE),
    "fio double hyphen": err({"enp": ENP, "surname": "Тест--ов"}, "surname", M.FIO_SHAPE),
    # --- dates: formats and calendar
    "birth dd-mm-yyyy": ok({"enp": ENP, "birth_date": "22-05-2002"}, birth_date="2002-05-22"),
    "birth dd.mm.yyyy": ok({"enp": ENP, "birth_date": "22.05.2002"}, birth_date="2002-05-22"),
    "birth iso": ok({"enp": ENP, "birth_date": "2002-05-22"}, birth_date="2002-05-22"),
    "birth one-digit day": ok({"enp": ENP, "birth_date": "1.5.2002"}, birth_date="2002-05-01"),
    "birth 29.02 leap 2000": ok({"enp": ENP, "birth_date": "29.02.2000"}, birth_date="2000-02-29"),
    "birth 29.02 leap 2024": ok({"enp": ENP, "birth_date": "29-02-2024"}),
    "birth 29.02 non-leap 2023": err({"enp": ENP, "birth_date": "29.02.2023"}, "birth_date", M.DATE_NOT_IN_CALENDAR),
    "birth 29.02 1900 not leap": err({"enp": ENP, "birth_date": "29.02.1900"}, "birth_date", M.DATE_NOT_IN_CALENDAR),
    "birth 31.04": err({"enp": ENP, "birth_date": "31.04.2020"}, "birth_date", M.DATE_NOT_IN_CALENDAR),
    "birth day 32": err({"enp": ENP, "birth_date": "32.01.2020"}, "birth_date", M.DATE_NOT_IN_CALENDAR),
    "birth day 0": err({"enp": ENP, "birth_date": "00.01.2020"}, "birth_date", M.DATE_NOT_IN_CALENDAR),
    "birth month 13": err({"enp": ENP, "birth_date": "01.13.2020"}, "birth_date", M.DATE_NOT_IN_CALENDAR),
    "birth iso month 13": err({"enp": ENP, "birth_date": "2020-13-01"}, "birth_date", M.DATE_NOT_IN_CALENDAR),
    "birth slashes": err({"enp": ENP, "birth_date": "01/02/2000"}, "birth_date", M.DATE_FORMAT),
    "birth two-digit year": err({"enp": ENP, "birth_date": "01.02.00"}, "birth_date", M.DATE_FORMAT),
    "birth mixed separators": err({"enp": ENP, "birth_date": "01-02.2000"}, "birth_date", M.DATE_FORMAT),
    "birth year first dots": err({"enp": ENP, "birth_date": "2000.02.01"}, "birth_date", M.DATE_FORMAT),
    "birth text": err({"enp": ENP, "birth_date": "вчера"}, "birth_date", M.DATE_FORMAT),
    "birth today": ok({"enp": ENP, "birth_date": "15.06.2024"}),
    "birth tomorrow": err({"enp": ENP, "birth_date": "16.06.2024"}, "birth_date", M.BIRTH_FUTURE),
    "birth 01.01.1900": ok({"enp": ENP, "birth_date": "01.01.1900"}, birth_date="1900-01-01"),
    "birth 31.12.1899": err({"enp": ENP, "birth_date": "31.12.1899"}, "birth_date", M.BIRTH_TOO_EARLY),
    # --- as-of date
    "as_of empty is today": ok({"enp": ENP}, as_of="2024-06-15"),
    "as_of blank is today": ok({"enp": ENP, "as_of": "  "}, as_of="2024-06-15"),
    "as_of manual example": ok({"enp": ENP, "as_of": "19.06.2023"}, as_of="2023-06-19"),
    "as_of today": ok({"enp": ENP, "as_of": "15-06-2024"}, as_of="2024-06-15"),
    "as_of tomorrow": err({"enp": ENP, "as_of": "16.06.2024"}, "as_of", M.AS_OF_FUTURE),
    "as_of iso": ok({"enp": ENP, "as_of": "2024-01-31"}, as_of="2024-01-31"),
    "as_of 31.02": err({"enp": ENP, "as_of": "31.02.2024"}, "as_of", M.DATE_NOT_IN_CALENDAR),
    "as_of 1899": err({"enp": ENP, "as_of": "31.12.1899"}, "as_of", M.AS_OF_TOO_EARLY),
    "as_of bad format": err({"enp": ENP, "as_of": "2024.01.31"}, "as_of", M.DATE_FORMAT),
    "birth after as_of": err(
        {"enp": ENP, "birth_date": "02.01.2020", "as_of": "01.01.2020"}, "birth_date", M.BIRTH_AFTER_AS_OF
    ),
    "birth equals as_of": ok({"enp": ENP, "birth_date": "01.01.2020", "as_of": "2020-01-01"}),
    "birth after bad as_of not compared": err({"enp": ENP, "birth_date": "02.01.2020", "as_of": "x"}, "as_of"),
    # --- several groups at once, types of values
    "all groups": ok(
        {
            "oip": "123456789012",
            "enp": ENP,
            "dpfs_type": "П",
            "dpfs_number": ENP,
            "dul_type": "14",
            "dul_series": "4612",
            "dul_number": "485468",
            "snils": SNILS,
            "surname": "Тестов",
            "first_name": "Тест",
            "patronymic": "Тестович",
            "birth_date": "01.01.1990",
            "as_of": "01.06.2024",
        }
    ),
    "list value": err({"enp": ENP, "snils": ["112"]}, "snils", M.NOT_TEXT),
    "bool value": err({"enp": ENP, "oip": True}, "oip", M.NOT_TEXT),
    "unknown key ignored": ok({"enp": ENP, "captcha": "x"}),
}


@pytest.mark.parametrize("fields, expected, detail", CASES.values(), ids=list(CASES))
def test_case(fields, expected, detail):
    request = {**BASE, **fields}
    result = check_request(request, today=TODAY)
    named = [e["field"] for e in result["errors"]]
    if expected == OK:
        assert result["ok"], result["errors"]
        for key, value in (detail or {}).items():
            assert result["normalized"][key] == value, key
    else:
        assert not result["ok"]
        assert expected in named, result["errors"]
        if detail:
            assert any(e["field"] == expected and detail in e["message"] for e in result["errors"]), result["errors"]


def test_table_is_big_enough():
    assert len(CASES) >= 150


def test_all_errors_reported_at_once():
    result = check_request(
        {
            "oip": "1",
            "enp": "2",
            "snils": "3",
            "surname": "Ivanov",
            "birth_date": "31.02.2000",
            "as_of": "01.01.2999",
            "dul_type": "14",
            "dpfs_type": "Z",
        },
        today=TODAY,
    )
    named = {e["field"] for e in result["errors"]}
    assert {
        "name",
        "oip",
        "enp",
        "snils",
        "surname",
        "birth_date",
        "as_of",
        "dul_series",
        "dul_number",
        "dpfs_type",
    } <= named


def test_normalized_has_all_sixteen_keys_and_none_for_empty():
    result = check_request({"name": "RQ", "enp": ENP, "surname": " "}, today=TODAY)
    from shared.params import FIELDS

    assert list(result["normalized"]) == list(FIELDS)
    assert result["normalized"]["surname"] is None and result["normalized"]["oip"] is None


def test_messages_contain_no_input_values():
    result = check_request(
        {"name": "RQ", "enp": "5096989785000018", "snils": "112-233-445 96", "surname": "Testov"}, today=TODAY
    )
    for error in result["errors"]:
        assert "5096989785000018" not in error["message"] and "Testov" not in error["message"]


def test_non_dict_input_is_refused_not_raised():
    assert not check_request(None, today=TODAY)["ok"]
    assert not check_request(["x"], today=TODAY)["ok"]


def test_today_defaults_to_the_moscow_date():
    from shared import clock

    assert check_request({"name": "RQ", "enp": ENP})["normalized"]["as_of"] == clock.today().isoformat()
