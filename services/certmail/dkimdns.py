"""Where DKIM public keys come from: real DNS (dkimpy's lookup through dnspython) in production, or, in dev mode
only, a local file of TXT records (DKIM_DNS_FILE), so `make run` and the tests need no DNS zone.

A lookup is `lookup(name: bytes, timeout=5) -> bytes | None` (dkimpy's dnsfunc): the TXT record of
`<selector>._domainkey.<domain>.`, None when there is none; raises dkim.DnsTimeoutError when DNS does not answer.
File format: one record a line, `<name> <TXT value>`; blank lines and lines starting with # are skipped."""

import base64
import logging
import os
from collections.abc import Callable, Iterable

import dkim.dnsplug
from asn1crypto import keys

from shared.config import Settings

DEV_KEY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "devkey", "dkim-private.pem")
DEV_DNS_FILE = os.path.join(os.path.dirname(DEV_KEY), "dkim-dns.txt")
DEV_SELECTOR = "ozsp-dev"
DEV_DOMAIN = "mo.example.test"
Lookup = Callable[..., bytes | None]  # dkimpy's dnsfunc: (name, timeout=5) -> TXT value or None


def _name(value: str) -> str:
    return value.strip().rstrip(".").lower()


def read_records(path: str) -> dict[str, bytes]:
    """{name: TXT value} of a DKIM DNS file."""
    records: dict[str, bytes] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, value = line.partition(" ")
            records[_name(name)] = value.strip().strip('"').encode()
    return records


def file_lookup(path: str) -> Lookup:
    """A lookup answering from the file (read at each call: a test may add records while the stack runs)."""

    def lookup(name: str | bytes, timeout: float = 5) -> bytes | None:
        if isinstance(name, bytes):
            name = name.decode("ascii", "replace")
        return read_records(path).get(_name(name))

    return lookup


def lookup_for(settings: Settings) -> Lookup:
    """The DNS lookup certmail uses: the file only in dev mode (production refuses to start with it set)."""
    if settings.dkim_dns_file and settings.ozsp_mode == "dev":
        return file_lookup(settings.dkim_dns_file)
    return dkim.dnsplug.get_txt


def txt_record(private_pem: bytes) -> str:
    """The TXT value publishing the public half of a PEM RSA private key (PKCS#1, as dkimpy signs with)."""
    body = b"".join(line for line in private_pem.strip().splitlines() if not line.startswith(b"-----"))
    private = keys.RSAPrivateKey.load(base64.b64decode(body))
    public = keys.RSAPublicKey({"modulus": private["modulus"], "public_exponent": private["public_exponent"]})
    spki = keys.PublicKeyInfo({"algorithm": {"algorithm": "rsa"}, "public_key": public})
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(spki.dump()).decode()


def record_line(selector: str, domain: str, private_pem: bytes) -> str:
    return f"{selector}._domainkey.{domain} {txt_record(private_pem)}"


# Headers the dev signer covers (Message-ID too: a replay under a new Message-ID breaks the signature); a header
# signed while absent cannot be added later without breaking it (RFC 6376, 5.4).
SIGNED_HEADERS = ("from", "to", "subject", "date", "message-id", "mime-version", "content-type")
_quiet = logging.getLogger("services.certmail.dkimdns.dkimpy")
_quiet.addHandler(logging.NullHandler())
_quiet.propagate = False


def sign(
    raw: bytes,
    private_pem: bytes | None = None,
    selector: str = DEV_SELECTOR,
    domain: str = DEV_DOMAIN,
    headers: Iterable[str] = SIGNED_HEADERS,
) -> bytes:
    """The letter (bytes with CRLF line ends, as sent) with a DKIM-Signature header prepended, the dev key by
    default: what the sender's MTA does. Only for the demo and the tests."""
    if private_pem is None:
        with open(DEV_KEY, "rb") as f:
            private_pem = f.read()
    signature = dkim.sign(
        raw,
        selector.encode(),
        domain.encode(),
        private_pem,
        include_headers=[h.encode() for h in headers],
        logger=_quiet,
    )
    return signature + raw
