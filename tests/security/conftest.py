"""A test PKI in the run's directory for the attacks: a CA with its CRL, an organisation and users holding
certificates (the `stack` and `engine` fixtures come from tests/conftest.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from services.journal import directory as D
from shared.gost.testpki import TestPki

NOW = datetime.now(UTC)


@pytest.fixture(scope="session")
def pki(engine):
    """{"ca", "users": {name: TestUser}, "ids": {name: user id}}."""
    pki = TestPki(seed="security-17")
    ca = pki.ca("УЦ ПРОВЕРКИ ЗАЩИТЫ")
    names = ("victim", "withdrawn", "redirected", "hashed")
    users = {name: ca.issue(f"ЗАЩИТОВ {name.upper()}") for name in names}
    with engine.begin() as conn:
        D.import_ca(conn, ca.cert)
        D.import_crl(conn, ca.crl(this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(days=7)))
        org = D.add_organization(conn, 'ГБУЗ МО "БОЛЬНИЦА ПРОВЕРКИ ЗАЩИТЫ"', "mo")
        ids = {}
        for name in names:
            ids[name] = D.add_user(conn, org, f"ЗАЩИТОВ{len(ids)}", "ТЕСТ")
            D.add_certificate(conn, ids[name], users[name].cert)
    return {"ca": ca, "users": users, "ids": ids}


# Chromium for the attacks a browser makes (the run's `browser`, tests/conftest.py; skipped locally without it)
from tests.browser.conftest import _page  # noqa: E402


@pytest.fixture
def anonymous_page(browser, stack):
    yield from _page(browser, stack)


@pytest.fixture
def victim_page(browser, stack):
    """Chromium signed in as the demo user with a session of its own (an attack that worked would not end the
    suite's session)."""
    from shared.gost.testpki import DevPki

    session = stack.login(DevPki().sign)
    yield from _page(browser, stack, session.cookies.get("ozsp_session"))
