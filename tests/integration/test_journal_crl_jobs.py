"""services.journal.crl_jobs: the on-demand CRL download, at most once a minute per issuer, and the paced
refresh (the downloads themselves: tests/integration/test_crl_refresh.py). Real PostgreSQL."""

import base64
import logging
import uuid

import pytest
from sqlalchemy import create_engine, text

from services.journal import crl_refresh
from services.journal.crl_jobs import ASK_SECONDS, REFRESH_TURN, CrlJobs, ask_turn
from shared.gost.testpki import TestPki
from tests.integration.test_certmail_kit import issue, make_ca

pytestmark = pytest.mark.integration


def b64(cert):
    return base64.b64encode(cert.der).decode()


def due_now(engine, name):
    """The turn comes round: as if its time had passed."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE job_turns SET next_at = now() WHERE name = :n"), {"n": name})


def test_a_download_for_a_certificate_is_throttled_per_issuer_across_journal_copies(quiet_engine):
    jobs, other_copy = CrlJobs(), CrlJobs()
    pki = TestPki(seed=uuid.uuid4().hex)
    unknown = issue(make_ca(pki, "УЦ НЕИЗВЕСТНЫЙ"), "ТРОТТЛИНГ", crl_urls=["http://127.0.0.1:1/x.crl"]).cert
    other = issue(make_ca(pki, "УЦ ДРУГОЙ"), "ТРОТТЛИНГ", crl_urls=["http://127.0.0.1:1/y.crl"]).cert
    assert jobs.fetch_for(quiet_engine, b64(unknown)) == "unknown_ca"
    assert jobs.fetch_for(quiet_engine, b64(unknown)) == "throttled"
    assert other_copy.fetch_for(quiet_engine, b64(unknown)) == "throttled"  # another journal process too
    assert jobs.fetch_for(quiet_engine, b64(other)) == "unknown_ca"  # another issuer
    with quiet_engine.connect() as conn:
        left = conn.execute(
            text("SELECT extract(epoch FROM next_at - now()) FROM job_turns WHERE name = :n"),
            {"n": ask_turn(str(unknown.issuer))},
        ).scalar_one()
    assert ASK_SECONDS - 5 < left <= ASK_SECONDS
    due_now(quiet_engine, ask_turn(str(unknown.issuer)))
    assert other_copy.fetch_for(quiet_engine, b64(unknown)) == "unknown_ca"
    assert jobs.fetch_for(quiet_engine, "not base64 der") == "invalid"


def test_the_refresh_runs_every_so_many_minutes_in_all_copies_and_never_raises(quiet_engine, monkeypatch, caplog):
    runs = []

    def refresh(engine, parse):
        runs.append(engine)
        raise RuntimeError("a distribution point misbehaved")

    monkeypatch.setattr(crl_refresh, "refresh", refresh)
    with quiet_engine.begin() as conn:
        conn.execute(text("DELETE FROM job_turns WHERE name = :n"), {"n": REFRESH_TURN})
    copies = [CrlJobs(), CrlJobs(), CrlJobs()]  # three journal processes
    copies[0].refresh(quiet_engine, 0)  # 0: never
    assert runs == []
    with caplog.at_level(logging.ERROR):
        for jobs in copies:
            jobs.refresh(quiet_engine, 2)
    assert len(runs) == 1 and "CRL refresh failed; it runs again in 2 minutes" in caplog.text
    copies[1].refresh(quiet_engine, 2)
    assert len(runs) == 1
    due_now(quiet_engine, REFRESH_TURN)
    for jobs in copies:
        jobs.refresh(quiet_engine, 2)
    assert len(runs) == 2
    away = create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none")
    copies[2].refresh(away, 2)  # the database away: quiet, the timer comes back
