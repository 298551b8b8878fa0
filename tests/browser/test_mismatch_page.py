"""Policy found, but the birth date differs (#22, item 2): the form's request ends «Получен Ответ» and the card
says which field differs."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.browser.helpers import send_request, wait_final_in_summary

pytestmark = pytest.mark.integration


def test_the_card_names_the_differing_birth_date(page, stack):
    person = stack.samples(1)[0]
    wrong = (date.fromisoformat(person["birth_date"]) + timedelta(days=1)).strftime("%d-%m-%Y")
    request_id = send_request(page, name="сверка ДР", enp=person["enp"], birth_date=wrong)
    assert wait_final_in_summary(page, request_id) == "Получен Ответ"
    page.goto(f"/individual/{request_id}")
    expect(page.locator("#mismatch")).to_have_text("Полис найден, но ФИО/дата рождения отличаются: дата рождения")
    expect(page.locator("#card")).to_contain_text("Дата начала действия полиса")  # the policy is shown all the same
    shot(page, "card-mismatch")
