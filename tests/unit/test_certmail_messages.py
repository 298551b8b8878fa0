"""Reply texts against the manual (Приложение 2): the quoted texts appear there literally, placeholders aside."""

import os
import re

import pytest

from services.certmail import messages as M

MANUAL = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "spec", "reglament-ozsp.txt")


@pytest.fixture(scope="module")
def manual():
    if not os.path.exists(MANUAL):
        pytest.skip("the manual is not beside the checkout")
    with open(MANUAL, encoding="utf-8") as f:
        return re.sub(r"\s+", " ", f.read())


@pytest.mark.parametrize(
    "text",
    [
        M.NO_CER,
        M.INVALID_FILES,
        M.SNILS_MISMATCH,
        M.UNKNOWN_CA.format(serial="<Серийный номер сертификата>"),
        M.INSTALL_ERROR.format(message="<Сообщение об ошибке>"),
    ],
)
def test_quoted_replies_are_literal(manual, text):
    assert f"«{text}»" in manual


def test_unknown_template_is_the_manuals_wording(manual):
    assert "тема полученного письма не соответствует ни одному из известных шаблонов" in manual
    assert M.UNKNOWN_TEMPLATE == "Тема полученного письма не соответствует ни одному из известных шаблонов"


def test_success_keeps_the_manuals_words_around_its_placeholders(manual):
    head, tail = M.SUCCESS.split("{cn}")
    assert head in manual and "Срок действия сертификата: с <Действителен с...> по <Действителен по...>" in manual
    assert tail == ". Срок действия сертификата: с {not_before} по {not_after}"


def test_invalid_certificate_reconstruction_keeps_the_manuals_fragments(manual):
    """The manual's text is garbled: «Сертификат ключа проверки электронной подписи: «Сертификата не может быть
    выполнена». The reconstruction follows the unknown-CA text (contracts/certmail.md)."""
    assert "«Сертификат ключа проверки электронной подписи: «Сертификата не может быть выполнена»" in manual
    assert M.CERT_INVALID == (
        "Сертификат ключа проверки электронной подписи: {serial} недействителен. "
        "Установка сертификата не может быть выполнена"
    )


def test_every_outcome_of_the_rules_has_a_russian_name():
    from services.certmail import rules
    from shared.mail_outcomes import OUTCOME_NAMES

    codes = {v for k, v in vars(rules).items() if k.isupper() and isinstance(v, str) and k != "RECORD_WITHOUT_SNILS"}
    assert codes == set(OUTCOME_NAMES)
