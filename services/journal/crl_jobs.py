"""The journal's CRL jobs with their per-process pacing: the periodic refresh (CRL_REFRESH_MINUTES) and the
on-demand download for one certificate, at most once a minute per issuer (services.journal.crl_refresh does
the work). One CrlJobs per process, held by services.journal.dependencies.Crls."""

import base64
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine

from services.journal import crl_refresh
from services.journal.pace import Pace
from shared.gost import GostError, load_certificate, load_crl

log = logging.getLogger(__name__)
ASK_SECONDS = 60.0  # an issuer's CRL is downloaded on demand at most this often
ASKED_MAX = 1000  # issuers remembered before the memory starts again


class CrlJobs:
    """parse: bytes -> CRL (the service parses in a real thread); clock: monotonic seconds."""

    def __init__(self, parse: Callable[[bytes], Any] = load_crl, clock: Callable[[], float] = time.monotonic) -> None:
        self.parse, self.clock = parse, clock
        self.asked: dict[str, float] = {}  # issuer -> monotonic time of its last on-demand download
        self.refreshes = Pace(clock)

    def fetch_for(self, engine: Engine, cert_b64: str) -> str:
        """Download now the CRL of the CA that issued this certificate (base64 DER), from its distribution points;
        at most once a minute per issuer. -> stored | current | failed | no_urls | unknown_ca | throttled | invalid"""
        try:
            cert = load_certificate(base64.b64decode(cert_b64))
        except (GostError, ValueError):
            return "invalid"
        issuer, now = str(cert.issuer), self.clock()
        if now - self.asked.get(issuer, -ASK_SECONDS) < ASK_SECONDS:
            return "throttled"
        if len(self.asked) > ASKED_MAX:
            self.asked.clear()
        self.asked[issuer] = now
        result: str = crl_refresh.fetch_for(engine, cert, parse=self.parse)
        return result

    def refresh(self, engine: Engine, minutes: float) -> None:
        """Every `minutes` (0: never) the CRLs of the CAs from their distribution points; errors are logged."""
        if minutes <= 0 or not self.refreshes.due(minutes * 60):
            return
        try:
            crl_refresh.refresh(engine, parse=self.parse)
        except Exception:
            log.exception("CRL refresh failed; it runs again in %g minutes", minutes)
