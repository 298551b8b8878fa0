"""The journal's CRL jobs: the periodic refresh (CRL_REFRESH_MINUTES) and the on-demand download for one
certificate, at most once a minute per issuer (services.journal.crl_refresh does the work). Their pacing is shared
by every journal copy (services.journal.turns): N copies download as often as one. One CrlJobs per process, held
by services.journal.dependencies.Crls."""

import base64
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from services.journal import crl_refresh, turns
from shared import outage
from shared.gost import GostError, load_certificate, load_crl

log = logging.getLogger(__name__)
ASK_SECONDS = 60.0  # an issuer's CRL is downloaded on demand at most this often
REFRESH_TURN = "crl_refresh"


class CrlJobs:
    """parse: bytes -> CRL (the service parses in a real thread)."""

    def __init__(self, parse: Callable[[bytes], Any] = load_crl) -> None:
        self.parse = parse

    def fetch_for(self, engine: Engine, cert_b64: str) -> str:
        """Download now the CRL of the CA that issued this certificate (base64 DER), from its distribution points;
        at most once a minute per issuer. -> stored | current | failed | no_urls | unknown_ca | throttled | invalid"""
        try:
            cert = load_certificate(base64.b64decode(cert_b64))
        except (GostError, ValueError):
            return "invalid"
        if not turns.take_now(engine, ask_turn(str(cert.issuer)), ASK_SECONDS):
            return "throttled"
        result: str = crl_refresh.fetch_for(engine, cert, parse=self.parse)
        return result

    def refresh(self, engine: Engine, minutes: float) -> None:
        """Every `minutes` (0: never) the CRLs of the CAs from their distribution points; errors are logged."""
        if minutes <= 0:
            return
        try:
            if turns.take_now(engine, REFRESH_TURN, minutes * 60):  # one journal copy in all, not each
                crl_refresh.refresh(engine, parse=self.parse)
        except Exception as exc:
            if not outage.unavailable(exc):
                log.exception("CRL refresh failed; it runs again in %g minutes", minutes)


def ask_turn(issuer: str) -> str:
    """The turn of on-demand downloads for this issuer (its name digested: a fixed length, no personal text)."""
    return "crl_fetch:" + hashlib.sha256(issuer.encode()).hexdigest()[:32]
