"""Steps a clerk takes on the pages, shared by the browser tests."""

import re

from playwright.sync_api import expect


def solve_captcha(page):
    """The answer is exposed only in CAPTCHA_TEST_MODE (set by the test stack)."""
    answer = page.get_attribute("#captcha-image", "data-answer")
    assert answer, "CAPTCHA_TEST_MODE is off: no answer to type"
    page.fill("#f-captcha", answer)


def fill_form(page, **fields):
    for name, value in fields.items():
        selector = f"#f-{name}"
        if name in ("dpfs_type", "dul_type"):
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def send_request(page, **fields):
    """Fill the form, solve the CAPTCHA, send; returns the new request's id from the summary."""
    page.goto("/individual")
    fill_form(page, **fields)
    solve_captcha(page)
    page.click("#submit")
    page.wait_for_url(re.compile(r"/individual\?sent=\d+$"))
    return int(page.url.rsplit("=", 1)[1])


def summary_row(page, request_id):
    return page.locator(f"#summary tr[data-id='{request_id}']")


def wait_final_in_summary(page, request_id, timeout=30000):
    """The summary updates by itself: no reload here."""
    row = summary_row(page, request_id)
    expect(row.locator(".status")).to_have_text(re.compile("Получен|Ошибка"), timeout=timeout)
    return row.locator(".status").inner_text()
