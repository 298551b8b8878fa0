"""Issue 17 §3: /individual/captcha for someone without a session draws nothing and stores nothing, and each
address gets a limited number of hits a minute (signed-in users a limited number of refreshes)."""

import pytest
from sqlalchemy import text

from services.gateway.pages.individual import CAPTCHA_REFRESH_PER_MINUTE
from tests.security.attack import client

pytestmark = pytest.mark.integration


def captcha_rows(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM captchas")).scalar_one()


def test_anonymous_hits_store_nothing_and_are_limited_per_address(stack, engine):
    before = captcha_rows(engine)
    anonymous = client("127.0.17.11")
    codes = [
        anonymous.get(stack.base_url + "/individual/captcha", timeout=30).status_code
        for _ in range(CAPTCHA_REFRESH_PER_MINUTE + 2)
    ]
    assert codes[:CAPTCHA_REFRESH_PER_MINUTE] == [401] * CAPTCHA_REFRESH_PER_MINUTE and codes[-2:] == [429, 429]
    assert captcha_rows(engine) == before  # no database row per anonymous hit
    other = client("127.0.17.12").get(stack.base_url + "/individual/captcha", timeout=30)
    assert other.status_code == 401  # another address is counted apart


def test_a_signed_in_user_still_refreshes_the_picture(stack):
    r = stack.api("GET", "/individual/captcha")
    assert r.status_code == 200 and r.json()["image"].startswith("data:image/png;base64,") and r.json()["id"]
