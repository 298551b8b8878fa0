"""«Состояние сервиса»: ФЕРЗЛ's circuit, backlog, queues, groups, CRLs about to expire, mail outcomes, in one page;
only for administrators."""

import re

import pytest
from sqlalchemy import text

from tests import support

pytestmark = pytest.mark.integration


def test_the_state_page_shows_each_part_and_says_what_needs_attention(stack, engine):
    page = stack.api("GET", "/admin/state")
    assert page.status_code == 200
    assert re.search(r'id="ferzl-state">Состояние: <strong>доступен', page.text)
    assert 'id="backlog"' in page.text and 'id="in-flight"' in page.text
    queues = page.text[page.text.index('id="queues"') :]
    assert re.search(r"<td>ozsp\.ferzl\.work</td><td>\d+</td><td>[1-9]\d*</td>", queues)  # the bridge consumes
    vhost = stack.env["AMQP_URI"].rsplit("/", 1)[1]
    assert f"/#/queues/{vhost}" in page.text and "guest:guest" not in page.text

    with engine.begin() as conn:  # a CA whose CRL runs out tomorrow
        ca = conn.execute(text("SELECT id FROM cas WHERE active ORDER BY id LIMIT 1")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO crls (ca_id, this_update, next_update, der) SELECT ca_id, now(), now() + interval '1 day', "
                "der FROM crls WHERE ca_id = :c ORDER BY id DESC LIMIT 1"
            ),
            {"c": ca},
        )
    try:
        page = stack.api("GET", "/admin/state")
        assert 'id="crls"' in page.text and "Списки отзыва истекают или отсутствуют" in page.text
    finally:
        with engine.begin() as conn:
            conn.execute(
                text("DELETE FROM crls WHERE next_update < now() + interval '2 days' AND ca_id = :c"), {"c": ca}
            )


def test_a_clerk_never_sees_the_state_page(stack, engine):
    user, _, _ = support.registered_user(engine, "state-clerk", "УЦ КЛЕРКОВ СОСТОЯНИЯ", "СОСТОЯНИЕВ", "ГБУЗ МО С")
    session = stack.login(user.sign_challenge)
    assert session.get(stack.base_url + "/admin/state", timeout=30).status_code == 403
