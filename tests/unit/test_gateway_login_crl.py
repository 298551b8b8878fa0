"""A login whose CA's CRL is missing: the gateway has the journal download it from the signer certificate's
distribution point and verifies again (real GOST signatures, a fake journal)."""

import base64
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from services.gateway import messages
from services.gateway.auth import login
from shared.gost.testpki import TestPki
from tests.fakes.journal import FakeJournal

CHALLENGE = "ozsp-login-CrlOnDemand0123456789abcdefghijklmnopq"
NOW = datetime.now(UTC)


def attempt(urls, fetched):
    ca = TestPki(seed=f"login-crl-{fetched}-{len(urls)}").ca("УЦ ВХОДА БЕЗ СПИСКА")
    user = ca.issue("ВХОДОВ ТЕСТ", crl_urls=urls)
    journal = FakeJournal()
    journal.challenge, journal.crl_answer = CHALLENGE, fetched
    journal.material = {"cas": [base64.b64encode(ca.cert.der).decode()], "crls": []}
    crl = ca.crl(this_update=NOW - timedelta(hours=1), next_update=NOW + timedelta(days=7))
    journal.crl_downloadable = base64.b64encode(crl.der).decode()
    gateway = login.LoginMixin()
    gateway.journal, gateway.config = (
        journal,
        {"LOGIN_ATTEMPTS_PER_MINUTE": 10, "OZSP_MODE": "dev", "SECRET_KEY": "s", "CRL_GRACE_HOURS": 0},
    )
    signature = base64.b64encode(user.sign_challenge(CHALLENGE.encode())).decode()
    result = gateway._authenticate(SimpleNamespace(remote_addr="127.0.0.1", headers={}), "id", signature)
    return result, journal, user


def test_the_crl_is_fetched_and_the_login_succeeds():
    result, journal, user = attempt(["http://cdp.example.test/ca.crl"], "stored")
    assert result.ok, result.message
    assert journal.crl_asked == [user.cert.der]


@pytest.mark.parametrize(
    "urls, fetched, asked",
    [
        (["http://cdp.example.test/ca.crl"], "failed", 1),
        (["http://cdp.example.test/ca.crl"], "throttled", 1),
        ([], None, 0),
    ],
)
def test_without_a_fresh_crl_the_refusal_stays(urls, fetched, asked):
    result, journal, _ = attempt(urls, fetched)
    assert (result.ok, result.reason, result.message) == (False, "crl_missing", messages.LOGIN_REASONS["crl_missing"])
    assert len(journal.crl_asked) == asked
