"""services.journal.crl_jobs: the on-demand CRL download, at most once a minute per issuer, and the paced
refresh (the downloads themselves: tests/integration/test_crl_refresh.py). Real PostgreSQL."""

import base64
import logging
import uuid

import pytest

from services.journal import crl_refresh
from services.journal.crl_jobs import ASK_SECONDS, CrlJobs
from shared.gost.testpki import TestPki
from tests.integration.test_certmail_kit import issue, make_ca

pytestmark = pytest.mark.integration


def b64(cert):
    return base64.b64encode(cert.der).decode()


def test_a_download_for_a_certificate_is_throttled_per_issuer(quiet_engine):
    now = [1000.0]
    jobs = CrlJobs(clock=lambda: now[0])
    pki = TestPki(seed=uuid.uuid4().hex)
    unknown = issue(make_ca(pki, "УЦ НЕИЗВЕСТНЫЙ"), "ТРОТТЛИНГ", crl_urls=["http://127.0.0.1:1/x.crl"]).cert
    other = issue(make_ca(pki, "УЦ ДРУГОЙ"), "ТРОТТЛИНГ", crl_urls=["http://127.0.0.1:1/y.crl"]).cert
    assert jobs.fetch_for(quiet_engine, b64(unknown)) == "unknown_ca"
    assert jobs.fetch_for(quiet_engine, b64(unknown)) == "throttled"
    assert jobs.fetch_for(quiet_engine, b64(other)) == "unknown_ca"  # another issuer
    now[0] += ASK_SECONDS
    assert jobs.fetch_for(quiet_engine, b64(unknown)) == "unknown_ca"
    assert jobs.fetch_for(quiet_engine, "not base64 der") == "invalid"


def test_the_refresh_runs_every_so_many_minutes_and_never_raises(quiet_engine, monkeypatch, caplog):
    runs = []

    def refresh(engine, parse):
        runs.append(engine)
        raise RuntimeError("a distribution point misbehaved")

    monkeypatch.setattr(crl_refresh, "refresh", refresh)
    now = [0.0]
    jobs = CrlJobs(clock=lambda: now[0])
    jobs.refresh(quiet_engine, 0)  # 0: never
    assert runs == []
    with caplog.at_level(logging.ERROR):
        jobs.refresh(quiet_engine, 2)
    jobs.refresh(quiet_engine, 2)
    now[0] = 119.0
    jobs.refresh(quiet_engine, 2)
    assert len(runs) == 1 and "CRL refresh failed; it runs again in 2 minutes" in caplog.text
    now[0] = 120.0
    jobs.refresh(quiet_engine, 2)
    assert len(runs) == 2
