"""Приложение 1: the registration application pre-filled from the directory, as a printable page."""

from services.certmail.application import format_snils, render_application, short_name

ORG = {"name": 'ГБУЗ МО "ТЕСТОВАЯ ПОЛИКЛИНИКА"', "registry_code": "509901"}
USER = {
    "surname": "ТЕСТОВА",
    "first_name": "АННА",
    "patronymic": "СЕРГЕЕВНА",
    "position": "медицинская сестра",
    "snils": "11223344595",
    "emails": ["anna@mo.example.test", "reg@mo.example.test"],
}


def test_prefilled_fields():
    html = render_application(ORG, USER)
    for expected in (
        "ГБУЗ МО &#34;ТЕСТОВАЯ ПОЛИКЛИНИКА&#34;",
        "509901",
        "anna@mo.example.test, reg@mo.example.test",
        "Тестова Анна Сергеевна",
        "медицинская сестра",
        "112-233-445 95",
        "Тестова А.С.",
        "Я, Тестова Анна Сергеевна,",
    ):
        assert expected in html


def test_the_form_text_of_the_manual():
    html = render_application(ORG, USER)
    for text in (
        "Заявление",
        "(наименование организации, включая организационно-правовую форму)",
        "(должность)",
        "(фамилия, имя, отчество)",
        "действующего на основании",
        "Код медицинской организации, присвоенный",
        "Доверенный адрес электронной почты,",
        "ФИО участника ИВ",
        "Должность участника ИВ",
        "СНИЛС участника ИВ",
        "152-ФЗ",
        "Настоящее согласие действует со дня его подписания до дня отзыва в письменной форме.",
        "Субъект персональных данных",
        "Должность руководителя организации",
        "М.П.",
        "² Выбрать нужное.",
        '<link rel="stylesheet" href="/static/application.css">',  # @page and @media print live there (CSP)
        '<script src="/static/application.js" defer></script>',
    ):
        assert text in html
    assert "<style" not in html and "onclick" not in html and " style=" not in html  # nothing the CSP blocks


def test_values_are_escaped():
    html = render_application({"name": "<script>alert(1)</script>"}, {"surname": "<b>"})
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_without_a_user_the_participant_fields_are_blank():
    html = render_application(ORG)
    assert "ТЕСТОВАЯ ПОЛИКЛИНИКА" in html and 'Я, <span class="blank"></span>' in html
    assert html.count('<span class="blank blank--cell"') == 4  # e-mail, ФИО, должность, СНИЛС: filled by hand


def test_helpers():
    assert format_snils("112-233-445 95") == "112-233-445 95" and format_snils("123") == "123"
    assert format_snils(None) == ""
    assert short_name({"surname": "ПЕТРОВ-ВОДКИН", "first_name": "КУЗЬМА"}) == "Петров-Водкин К."
