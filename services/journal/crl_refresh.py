"""CRLs kept fresh without an administrator: every CRL_REFRESH_MINUTES the journal downloads the CRL of each active
CA from the distribution points (cRLDistributionPoints, http/https) named in the newest certificates registered
under it, and stores it when it is newer than the stored one and signed by that CA. A CA none of whose
certificates names a distribution point still needs `ozsp directory crl-import`.

Plain functions: the download and the clock are passed in, so tests need no network beyond a local server."""

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from sqlalchemy import Row, text
from sqlalchemy.engine import Connection, Engine
from urllib3 import exceptions as u3

from services.journal import directory as D
from shared.gost import Certificate, Crl, GostError, load_certificate, load_crl

log = logging.getLogger(__name__)
MAX_CRL_BYTES = 50 * 1024 * 1024  # the largest CRLs of accredited CAs are a few MB
CONNECT_TIMEOUT = 5.0  # seconds to connect to a distribution point (reading has the caller's timeout)
CERTS_PER_CA = 20  # distribution points are read from this many of the newest certificates of a CA
STALE_AHEAD = timedelta(hours=24)  # a CRL this close to its nextUpdate that cannot be refreshed is an alarm

_CAS_SQL = (
    "SELECT c.id, c.subject, c.der, l.this_update, l.next_update FROM cas c LEFT JOIN LATERAL ("
    "  SELECT this_update, next_update FROM crls WHERE ca_id = c.id ORDER BY this_update DESC, id DESC LIMIT 1"
    ") l ON true WHERE c.active {also} ORDER BY c.id"
)
_CAS = text(_CAS_SQL.format(also=""))
_CAS_NAMED = text(_CAS_SQL.format(also="AND c.subject = :subject"))  # the CAs that may have issued a certificate
_CERTS = text("SELECT thumbprint, der FROM certificates WHERE issuer = :issuer AND active ORDER BY id DESC LIMIT :n")
# certificate thumbprint -> its distribution points (parsed once: a certificate never changes)
_URLS: dict[str, tuple[str, ...]] = {}
Fetch = Callable[[str], bytes]  # url -> the CRL's bytes
Parse = Callable[[bytes], Crl]


def download(url: str, timeout: float = 30.0, limit: int = MAX_CRL_BYTES) -> bytes:
    """The body of an http(s) GET, at most `limit` bytes; `timeout`: seconds of silence while reading,
    CONNECT_TIMEOUT (at most) to connect. Each download has a connection of its own (refreshes are hours apart:
    nothing is kept alive to go stale); one that breaks after it was made -- reset, closed before the whole CRL
    came -- is repeated at once, once (a GET is safe to repeat). A timeout or a refused connection is not
    repeated: the next URL or the next pass is tried."""
    if not url.lower().startswith(("http://", "https://")):
        raise ValueError("only http and https distribution points are read")
    try:
        return _get(url, timeout, limit)
    except requests.RequestException as exc:
        if not _broke(exc):
            raise
        log.info("CRL download from %s broke (%s); repeated at once on a new connection", url, type(exc).__name__)
    return _get(url, timeout, limit)


def _get(url: str, timeout: float, limit: int) -> bytes:
    with requests.get(url, timeout=(min(CONNECT_TIMEOUT, timeout), timeout), stream=True) as response:
        response.raise_for_status()
        data = bytearray()
        for part in response.iter_content(65536):
            data += part
            if len(data) > limit:
                raise ValueError(f"the CRL is larger than {limit} bytes")
    return bytes(data)


def _broke(exc: Exception) -> bool:
    """True for a connection that broke once made (reset, EOF, broken pipe), not one never made or a timeout."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return True
    if not isinstance(exc, requests.ConnectionError) or isinstance(exc, requests.Timeout):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", None) or reason  # a MaxRetryError carries the cause
    return not isinstance(reason, (u3.TimeoutError, TimeoutError))  # u3's: read, connect, refused, name unknown


def distribution_points(conn: Connection, issuer: str) -> list[str]:
    """http(s) URLs named by the newest active certificates of an issuer, in order of first appearance."""
    urls: list[str] = []
    rows: Sequence[Any] = conn.execute(_CERTS, {"issuer": issuer, "n": CERTS_PER_CA}).all()
    for thumbprint, der in rows:
        found = _URLS.get(thumbprint)
        if found is None:
            try:
                found = load_certificate(bytes(der)).crl_urls
            except GostError:
                found = ()
            if len(_URLS) > 10_000:
                _URLS.clear()
            _URLS[thumbprint] = found
        urls += [u for u in found if u not in urls]
    return urls


def refresh(
    engine: Engine, fetch: Fetch = download, now: datetime | None = None, parse: Parse = load_crl
) -> dict[int, str]:
    """One pass over the active CAs -> {ca_id: "stored" | "current" | "no_urls" | "failed"}."""
    now = now or datetime.now(UTC)
    with engine.connect() as conn:
        cas = [(row, distribution_points(conn, row.subject)) for row in conn.execute(_CAS).all()]
    results = {}
    for row, urls in cas:
        results[row.id] = "no_urls" if not urls else _refresh_one(engine, row, urls, fetch, parse)
        stale = row.next_update is None or row.next_update - now < STALE_AHEAD
        if stale and (results[row.id] == "failed" or (results[row.id] == "no_urls" and row.this_update is not None)):
            log.error(
                "ALARM: the CRL of CA #%s %s and no fresh one could be downloaded: logins of its users will be "
                "refused once it is out of date; import one with `ozsp directory crl-import`",
                row.id,
                "is missing" if row.this_update is None else f"runs out at {row.next_update}",
            )
    return results


def fetch_for(
    engine: Engine, cert: Certificate, fetch: Fetch = lambda url: download(url, timeout=10.0), parse: Parse = load_crl
) -> str:
    """At once, the CRL of the active CA that issued `cert`, from the certificate's own distribution points (a
    letter's or a login's certificate under a CA whose CRL is missing or stale; someone waits, so 10 s a
    download at most) -> "stored" | "current" | "failed" |
    "no_urls" | "unknown_ca"."""
    if not cert.crl_urls:
        return "no_urls"
    with engine.connect() as conn:
        rows = conn.execute(_CAS_NAMED, {"subject": str(cert.issuer)}).all()
    row = next((r for r in rows if cert.is_issued_by(load_certificate(bytes(r.der)))), None)
    if row is None:
        return "unknown_ca"
    return _refresh_one(engine, row, list(cert.crl_urls), fetch, parse)


def _refresh_one(engine: Engine, row: Row[Any], urls: list[str], fetch: Fetch, parse: Parse) -> str:
    ca = load_certificate(bytes(row.der))
    for url in urls:
        try:
            crl = parse(fetch(url))
        except (OSError, ValueError, requests.RequestException, GostError) as exc:
            log.warning("CRL of CA #%s not read from %s (%s)", row.id, url, type(exc).__name__)
            continue
        if not crl.is_issued_by(ca):
            log.warning("CRL from %s is not signed by CA #%s: ignored", url, row.id)
            continue
        if row.this_update is not None and crl.this_update <= row.this_update:
            return "current"
        with engine.begin() as conn:
            D.store_crl(conn, row.id, crl, actor="crl-refresh", source=url)
        log.info(
            "CRL of CA #%s refreshed from %s: thisUpdate %s, nextUpdate %s, %d revoked",
            row.id,
            url,
            crl.this_update.isoformat(),
            crl.next_update.isoformat() if crl.next_update else "-",
            len(crl.revoked),
        )
        return "stored"
    return "failed"
