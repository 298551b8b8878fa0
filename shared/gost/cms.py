"""Verification of a CAdES-BES signed login challenge (CMS SignedData)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import cms, core, tsp, x509

from . import oids, streebog
from .certs import CertData, Certificate, CrlData, load_certificate, now_utc
from .der import parsing, to_der
from .errors import (
    BadSignature,
    CertMismatch,
    ContentMismatch,
    DigestMismatch,
    GostError,
    Malformed,
    SignerCertMissing,
    SigningTimeInvalid,
    UnsupportedAlgorithm,
)
from .trust import TrustStore, verify_certificate

DEFAULT_SKEW = timedelta(minutes=10)
# Bounds checked before the parts are parsed: a CAdES-BES of a login holds 4-5 signed attributes (well under
# 2 KB) and the signer's certificate (with its chain at most). A CMS stuffed with thousands of attributes or
# certificates is refused in microseconds instead of keeping the parser busy for seconds.
MAX_SIGNED_ATTRS_BYTES = 16 * 1024
MAX_SIGNED_ATTRS = 32
MAX_CERTS = 10
_PEM_LABELS = ("CMS", "PKCS7", "PKCS #7 SIGNED DATA")


class _AnySet(core.SetOf):
    _child_spec = core.Any


class _Attribute(core.Sequence):
    _fields = [("type", core.ObjectIdentifier), ("values", _AnySet)]


class _Attributes(core.SetOf):
    _child_spec = _Attribute


@dataclass(frozen=True)
class VerifiedSigner:
    """Who signed the challenge; every check has passed."""

    certificate: Certificate
    chain: tuple
    signing_time: datetime

    def info(self) -> dict:
        return {**self.certificate.info(), "signing_time": self.signing_time}


def _from_cert(name: str) -> property:
    return property(lambda self: getattr(self.certificate, name), doc=f"certificate.{name}")


for _name in (
    "serial",
    "serial_hex",
    "thumbprint",
    "issuer",
    "subject",
    "cn",
    "surname",
    "given_name",
    "snils",
    "inn",
    "innle",
    "ogrn",
    "not_before",
    "not_after",
    "key_bits",
):
    setattr(VerifiedSigner, _name, _from_cert(_name))


@dataclass
class _Parsed:
    content: bytes | None
    sid_issuer: bytes | None
    sid_serial: int | None
    sid_ski: bytes | None
    digest_oid: str
    sig_oid: str
    signature: bytes
    signed_bytes: bytes
    attrs: dict
    certs: list


def _parse(der: bytes) -> _Parsed:
    ci = cms.ContentInfo.load(der, strict=True)
    if ci["content_type"].dotted != oids.SIGNED_DATA:
        raise Malformed("not a CMS SignedData")
    sd = ci["content"]
    eci = sd["encap_content_info"]
    if eci["content_type"].dotted != oids.DATA:
        raise Malformed("signed content is not id-data")
    content = None if isinstance(eci["content"], core.Void) else eci["content"].native
    if content is not None and not isinstance(content, bytes):
        raise Malformed("signed content is not an OCTET STRING")
    infos = sd["signer_infos"]
    if len(infos) != 1:
        raise Malformed("exactly one signer is expected")
    si = infos[0]
    if isinstance(si["signed_attrs"], core.Void):
        raise Malformed("no signed attributes (not CAdES-BES)")
    signed_bytes = b"\x31" + si["signed_attrs"].dump()[1:]
    if len(signed_bytes) > MAX_SIGNED_ATTRS_BYTES:
        raise Malformed("signed attributes are too large")
    parsed_attrs = _Attributes.load(signed_bytes, strict=True)
    if len(parsed_attrs) > MAX_SIGNED_ATTRS:
        raise Malformed("too many signed attributes")
    attrs: dict[str, list] = {}
    for attr in parsed_attrs:
        oid = attr["type"].dotted
        if oid in attrs:
            raise Malformed("repeated signed attribute")
        attrs[oid] = [v.dump() for v in attr["values"]]
    sid = si["sid"]
    issuer = serial = ski = None
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
    else:
        ski = sid.chosen.native
    certs = []
    if not isinstance(sd["certificates"], core.Void):
        if len(sd["certificates"]) > MAX_CERTS:
            raise Malformed("too many certificates")
        for choice in sd["certificates"]:
            if choice.name == "certificate":
                certs.append(choice.chosen.dump())
    return _Parsed(
        content,
        issuer,
        serial,
        ski,
        si["digest_algorithm"]["algorithm"].dotted,
        si["signature_algorithm"]["algorithm"].dotted,
        si["signature"].native,
        signed_bytes,
        attrs,
        certs,
    )


def _single(attrs: dict, oid: str) -> bytes | None:
    values = attrs.get(oid)
    if values is None:
        return None
    if len(values) != 1:
        raise Malformed("signed attribute must have one value")
    return values[0]


def _find_signer(p: _Parsed) -> tuple[Certificate, list[Certificate]]:
    certs = [load_certificate(c) for c in p.certs]
    for cert in certs:
        if p.sid_ski is not None:
            if cert.subject_key_id == p.sid_ski:
                break
        elif cert.serial == p.sid_serial and cert.issuer.der == p.sid_issuer:
            break
    else:
        raise SignerCertMissing("the signer's certificate is not in the CMS")
    return cert, [c for c in certs if c is not cert]


def _ess_hash(alg_oid: str, data: bytes) -> bytes:
    if alg_oid in oids.DIGEST_BITS:
        return streebog.digest(data, oids.DIGEST_BITS[alg_oid])
    if alg_oid == oids.SHA256:
        return hashlib.sha256(data).digest()
    if alg_oid == oids.SHA1:
        return hashlib.sha1(data).digest()
    raise UnsupportedAlgorithm("unknown ESS hash algorithm")


def _check_ess(attrs: dict, cert: Certificate) -> None:
    """signingCertificateV2 / signingCertificate, when present, must name cert."""
    for oid, spec in (
        (oids.ATTR_SIGNING_CERT_V2, tsp.SigningCertificateV2),
        (oids.ATTR_SIGNING_CERT, tsp.SigningCertificate),
    ):
        raw = _single(attrs, oid)
        if raw is None:
            continue
        with parsing("signing certificate attribute"):
            ess = spec.load(raw, strict=True)
            first = ess["certs"][0]
            v2 = spec is tsp.SigningCertificateV2
            alg = first["hash_algorithm"]["algorithm"].dotted if v2 else oids.SHA1
            cert_hash = first["cert_hash"].native
            issuer_serial = first["issuer_serial"]
            if not isinstance(issuer_serial, core.Void):
                serial = issuer_serial["serial_number"].native
                names = [g.chosen.chosen.dump() for g in issuer_serial["issuer"] if g.name == "directory_name"]
            else:
                serial, names = None, []
        if _ess_hash(alg, cert.der) != cert_hash:
            raise CertMismatch("signing certificate hash does not match")
        if serial is not None and (serial != cert.serial or cert.issuer.der not in names):
            raise CertMismatch("signing certificate issuer/serial does not match")


def _check_digest(attrs: dict, challenge: bytes, bits: int) -> None:
    """contentType must be id-data and messageDigest the challenge's hash."""
    with parsing("contentType / messageDigest"):
        ctype = _single(attrs, oids.ATTR_CONTENT_TYPE)
        if ctype is None or core.ObjectIdentifier.load(ctype, strict=True).dotted != oids.DATA:
            raise Malformed("contentType attribute missing or wrong")
        md = _single(attrs, oids.ATTR_MESSAGE_DIGEST)
        if md is None:
            raise Malformed("messageDigest attribute missing")
        md = core.OctetString.load(md, strict=True).native
    if md != streebog.digest(challenge, bits):
        raise DigestMismatch("messageDigest does not match the challenge")


def _signing_time(attrs: dict, now: datetime, skew: timedelta) -> datetime:
    raw = _single(attrs, oids.ATTR_SIGNING_TIME)
    if raw is None:
        raise SigningTimeInvalid("signingTime is missing")
    with parsing("signingTime"):
        t = now_utc(x509.Time.load(raw, strict=True).native)
    if abs(t - now) > skew:
        raise SigningTimeInvalid("signingTime is too far from now")
    return t


def verify_signed_challenge(
    p7s: bytes | str,
    challenge: bytes | str,
    trusted_cas: TrustStore | Iterable[CertData],
    crls: Iterable[CrlData] = (),
    now: datetime | None = None,
    crl_grace: timedelta = timedelta(0),
    *,
    max_clock_skew: timedelta = DEFAULT_SKEW,
) -> VerifiedSigner:
    """Verify a CAdES-BES signature of challenge by a certificate of a trusted CA.

    p7s: DER, PEM or base64 (CR/LF allowed); attached or detached content.
    trusted_cas: a TrustStore (best: build once) or CA certificates.
    crls: CRLs (Crl, DER/PEM bytes) added to the trust data.
    Raises a GostError subclass; its ``reason`` names the refusal.
    """
    now = now_utc(now)
    if isinstance(challenge, str):
        challenge = challenge.encode("utf-8")
    der = to_der(p7s, _PEM_LABELS)
    with parsing("CMS"):
        p = _parse(der)
    cert, others = _find_signer(p)
    bits = cert.key_bits
    if oids.DIGEST_BITS.get(p.digest_oid) != bits or oids.CMS_SIG_BITS.get(p.sig_oid) != bits:
        raise UnsupportedAlgorithm("digest or signature algorithm does not fit the key")
    if p.content is not None and p.content != challenge:
        raise ContentMismatch("signed content is not the challenge")
    _check_digest(p.attrs, challenge, bits)
    _check_ess(p.attrs, cert)
    signing_time = _signing_time(p.attrs, now, max_clock_skew)
    if not cert.public_key.verify(streebog.digest(p.signed_bytes, bits), p.signature):
        raise BadSignature("signature does not verify")
    store = TrustStore.of(trusted_cas, crls)
    try:
        chain = verify_certificate(cert, store, now=now, crl_grace=crl_grace, intermediates=others)
    except GostError as exc:
        exc.signature_valid = True  # the key of this certificate did sign: only the certificate is refused
        raise
    return VerifiedSigner(cert, tuple(chain), signing_time)


def signer_certificate(p7s: bytes | str) -> Certificate | None:
    """The signer's certificate as carried in the CMS, unverified (for messages); None if unreadable."""
    try:
        with parsing("CMS"):
            parsed = _parse(to_der(p7s, _PEM_LABELS))
        return _find_signer(parsed)[0]
    except GostError:
        return None
