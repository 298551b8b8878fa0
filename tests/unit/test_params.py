from shared import params as P


def full(**values):
    return {f: values.get(f) for f in P.FIELDS}


def test_describe_follows_the_manual_labels_and_formats():
    text = P.describe_text(full(enp="5072360829000830", as_of="2023-06-19"))
    assert text == "ЕНП: 5072360829000830 По состоянию на дату: 19.06.2023"
    text = P.describe_text(full(dul_type="14", dul_series="46 03", dul_number="485468", as_of="2023-06-19"))
    assert text == "Тип ДУЛ: 14 Серия ДУЛ: 46 03 Номер ДУЛ: 485468 По состоянию на дату: 19.06.2023"
    text = P.describe_text(full(snils="15836169489", surname="ТЕСТОВА", birth_date="2002-05-22"))
    assert text == "СНИЛС: 158-361-694 89 Фамилия: ТЕСТОВА Дата Рождения: 22.05.2002"


def test_fio_key_is_upper_case_and_folds_yo():
    assert P.fio_search_key(full(surname="Тёмкина", first_name="алёна")) == "ТЕМКИНА АЛЕНА"
    assert P.fio_search_key(full()) == ""


def test_format_snils():
    assert P.format_snils("11223344595") == "112-233-445 95"
    assert P.format_snils("123") == "123" and P.format_snils(None) is None and P.format_snils("") == ""
