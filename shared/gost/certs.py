"""X.509 certificates and CRLs with GOST R 34.10-2012 keys (asn1crypto).

asn1crypto cannot read a GOST SubjectPublicKeyInfo, so that part is re-read
with the small schema below. Every parse error becomes ``Malformed``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import core, keys, x509
from asn1crypto import crl as asn1_crl

from . import oids, streebog
from .curves import OID_NAMES, curve_for_oid
from .der import parsing, to_der, to_pem
from .ec import PublicKey
from .errors import CaInvalid, CrlStale, Expired, Malformed, NotYetValid, UnsupportedAlgorithm

# --- GOST SubjectPublicKeyInfo ---------------------------------------------

# asn1crypto knows no GOST key algorithm: re-encoding a certificate that holds a GOST key made it look up a
# spec by algorithm name and fail with KeyError. For unknown algorithms the bits are read as the OCTET STRING GOST puts there.
_known_key_spec = keys.PublicKeyInfo._public_key_spec


def _public_key_spec(info: keys.PublicKeyInfo) -> type:
    try:
        return _known_key_spec(info)
    except KeyError:
        return core.OctetString  # GOST: the bits wrap an OCTET STRING with the key


keys.PublicKeyInfo._public_key_spec = _public_key_spec
keys.PublicKeyInfo._spec_callbacks = {**keys.PublicKeyInfo._spec_callbacks, "public_key": _public_key_spec}


class GostKeyParams(core.Sequence):
    _fields = [
        ("public_key_param_set", core.ObjectIdentifier),
        ("digest_param_set", core.ObjectIdentifier, {"optional": True}),
        ("encryption_param_set", core.ObjectIdentifier, {"optional": True}),
    ]


class GostKeyAlgorithm(core.Sequence):
    _fields = [
        ("algorithm", core.ObjectIdentifier),
        ("parameters", GostKeyParams, {"optional": True}),
    ]


class GostSpki(core.Sequence):
    _fields = [("algorithm", GostKeyAlgorithm), ("public_key", core.OctetBitString)]


def parse_spki(spki_der: bytes) -> tuple[PublicKey, str]:
    """(public key, parameter-set OID) from a GOST SubjectPublicKeyInfo."""
    spki = GostSpki.load(spki_der, strict=True)
    alg = spki["algorithm"]["algorithm"].dotted
    bits = oids.KEY_BITS.get(alg)
    if bits is None:
        raise UnsupportedAlgorithm("not a GOST R 34.10-2012 key")
    params = spki["algorithm"]["parameters"]
    if isinstance(params, core.Void):
        raise Malformed("GOST key without parameters")
    param_oid = params["public_key_param_set"].dotted
    curve = curve_for_oid(param_oid)
    if curve.bits != bits:
        raise UnsupportedAlgorithm("key size does not match its parameter set")
    raw = core.OctetString.load(spki["public_key"].native, strict=True).native
    return PublicKey.from_le_bytes(curve, raw), param_oid


def make_spki(key: PublicKey, param_oid: str) -> bytes:
    """DER SubjectPublicKeyInfo for a GOST public key."""
    bits = key.curve.bits
    params = {"public_key_param_set": param_oid}
    if bits == 256:
        params["digest_param_set"] = oids.DIGEST_256
    return GostSpki(
        {
            "algorithm": {"algorithm": oids.KEY_OID[bits], "parameters": params},
            "public_key": core.OctetString(key.to_le_bytes()).dump(),
        }
    ).dump()


# --- names -----------------------------------------------------------------


def _text(value: Any) -> str:
    v = value.native
    if isinstance(v, bytes):
        return v.hex().upper()
    return str(v)


class DistinguishedName:
    """A Name as ordered (OID, value) pairs plus its exact DER."""

    def __init__(self, name: x509.Name):
        self.der = name.dump()
        self.attrs: list[tuple[str, str]] = []
        for rdn in name.chosen:
            for atv in rdn:
                self.attrs.append((atv["type"].dotted, _text(atv["value"])))

    def get(self, key: str) -> str | None:
        """First value of a short key (CN, SN, G, SNILS, INN, ...) or OID."""
        oid = oids.NAME_OIDS.get(key, key)
        for k, v in self.attrs:
            if k == oid:
                return v
        return None

    def as_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in self.attrs:
            out.setdefault(oids.NAME_KEYS.get(k, k), v)
        return out

    def __str__(self) -> str:
        parts = []
        for k, v in reversed(self.attrs):
            v = v.replace("\\", "\\\\").replace(",", "\\,").replace("+", "\\+")
            parts.append(f"{oids.NAME_KEYS.get(k, k)}={v}")
        return ", ".join(parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DistinguishedName) and self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)


# --- helpers ---------------------------------------------------------------


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def now_utc(now: datetime | None = None) -> datetime:
    return datetime.now(UTC) if now is None else _utc(now)


def _ext_value(exts: Any, oid: str) -> Any:
    """Parsed value of an extension (asn1crypto object) or None."""
    if isinstance(exts, core.Void):
        return None
    for ext in exts:
        if ext["extn_id"].dotted == oid:
            return ext["extn_value"].parsed
    return None


def _crl_urls(points: Any) -> tuple[str, ...]:
    """http(s) URLs of the full names in cRLDistributionPoints (others, e.g. ldap:, are skipped)."""
    urls: list[str] = []
    for point in points or ():
        name = point["distribution_point"]
        if name.name != "full_name":
            continue
        for general in name.chosen:
            if general.name == "uniform_resource_identifier":
                url = str(general.native)
                if url.lower().startswith(("http://", "https://")) and url not in urls:
                    urls.append(url)
    return tuple(urls)


def verify_tbs(sig_oid: str, tbs: bytes, signature: bytes, issuer_key: PublicKey) -> bool:
    """True if signature (X.509 form) over tbs verifies with issuer_key."""
    bits = oids.SIG_BITS.get(sig_oid)
    if bits is None:
        raise UnsupportedAlgorithm("not a GOST R 34.10-2012 signature")
    if bits != issuer_key.curve.bits:
        return False
    return issuer_key.verify(streebog.digest(tbs, bits), signature)


def _signed_by(obj: Certificate | Crl, ca: Certificate) -> bool:
    """obj (certificate or CRL) names ca as issuer and ca's key verifies it."""
    if obj.issuer != ca.subject:
        return False
    aki, ski = obj.authority_key_id, ca.subject_key_id
    if aki and ski and aki != ski:
        return False
    return verify_tbs(obj.signature_oid, obj.tbs, obj.signature, ca.public_key)


# --- certificate -------------------------------------------------------------


class Certificate:
    """A parsed GOST certificate. Build with ``load_certificate``."""

    def __init__(self, der: bytes):
        with parsing("certificate"):
            cert = x509.Certificate.load(der, strict=True)
            tbs = cert["tbs_certificate"]
            self.der = der
            self.tbs = tbs.dump()
            self.serial: int = tbs["serial_number"].native
            self.serial_hex = tbs["serial_number"].contents.hex().upper()
            self.signature_oid = cert["signature_algorithm"]["algorithm"].dotted
            self.signature: bytes = cert["signature_value"].native
            self.issuer = DistinguishedName(tbs["issuer"])
            self.subject = DistinguishedName(tbs["subject"])
            self.not_before = _utc(tbs["validity"]["not_before"].native)
            self.not_after = _utc(tbs["validity"]["not_after"].native)
            self.public_key, self.key_param_oid = parse_spki(tbs["subject_public_key_info"].dump())
            exts = tbs["extensions"]
            ski = _ext_value(exts, oids.EXT_SKI)
            self.subject_key_id: bytes | None = ski.native if ski is not None else None
            aki = _ext_value(exts, oids.EXT_AKI)
            self.authority_key_id: bytes | None = aki["key_identifier"].native if aki is not None else None
            bc = _ext_value(exts, oids.EXT_BASIC)
            self.is_ca = bool(bc["ca"].native) if bc is not None else False
            self.path_length: int | None = bc["path_len_constraint"].native if bc is not None else None
            ku = _ext_value(exts, oids.EXT_KEY_USAGE)
            self.key_usage: frozenset | None = frozenset(ku.native) if ku is not None else None
            eku = _ext_value(exts, oids.EXT_EKU)
            self.extended_key_usage: frozenset | None = frozenset(p.dotted for p in eku) if eku is not None else None
            self.crl_urls: tuple[str, ...] = _crl_urls(_ext_value(exts, oids.EXT_CDP))
            if self.signature_oid not in oids.SIG_BITS:
                raise UnsupportedAlgorithm("certificate is not signed with GOST R 34.10-2012")
        self.thumbprint = hashlib.sha1(der).hexdigest().upper()

    # subject shortcuts
    cn = property(lambda self: self.subject.get("CN"))
    surname = property(lambda self: self.subject.get("SN"))
    given_name = property(lambda self: self.subject.get("G"))
    snils = property(lambda self: self.subject.get("SNILS"))
    inn = property(lambda self: self.subject.get("INN"))
    innle = property(lambda self: self.subject.get("INNLE"))
    ogrn = property(lambda self: self.subject.get("OGRN") or self.subject.get("OGRNIP"))

    @property
    def key_bits(self) -> int:
        return self.public_key.curve.bits

    @property
    def pem(self) -> str:
        return to_pem(self.der, "CERTIFICATE")

    def check_validity(self, now: datetime | None = None, ca: bool = False) -> None:
        """Raise Expired / NotYetValid (CaInvalid for ca=True) outside the dates."""
        now = now_utc(now)
        if now < self.not_before:
            raise (CaInvalid if ca else NotYetValid)("certificate is not yet valid")
        if now > self.not_after:
            raise (CaInvalid if ca else Expired)("certificate has expired")

    def is_issued_by(self, ca: Certificate) -> bool:
        """Names chain and ca's key verifies this certificate's signature."""
        return _signed_by(self, ca)

    def info(self) -> dict:
        """Plain fields for display and registration."""
        return {
            "serial": self.serial,
            "serial_hex": self.serial_hex,
            "thumbprint": self.thumbprint,
            "issuer": str(self.issuer),
            "subject": str(self.subject),
            "cn": self.cn,
            "surname": self.surname,
            "given_name": self.given_name,
            "snils": self.snils,
            "inn": self.inn,
            "innle": self.innle,
            "ogrn": self.ogrn,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "key_bits": self.key_bits,
            "key_param_set": self.key_param_oid,
            "key_param_name": OID_NAMES.get(self.key_param_oid, self.key_param_oid),
        }

    def __repr__(self) -> str:
        return f"Certificate(serial={self.serial_hex}, thumbprint={self.thumbprint})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)


CertData = Certificate | bytes | str  # a certificate, or its DER, PEM or base64


def load_certificate(data: CertData) -> Certificate:
    """Parse a certificate from DER, PEM or bare base64 (bytes or str)."""
    if isinstance(data, Certificate):
        return data
    return Certificate(to_der(data, ("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE")))


# --- CRL -----------------------------------------------------------------------


class Crl:
    """A parsed CRL. Build with ``load_crl``; check with ``is_issued_by``."""

    def __init__(self, der: bytes):
        with parsing("CRL"):
            cl = asn1_crl.CertificateList.load(der, strict=True)
            tbs = cl["tbs_cert_list"]
            self.der = der
            self.tbs = tbs.dump()
            self.signature_oid = cl["signature_algorithm"]["algorithm"].dotted
            self.signature: bytes = cl["signature"].native
            self.issuer = DistinguishedName(tbs["issuer"])
            self.this_update = _utc(tbs["this_update"].native)
            nu = tbs["next_update"].native
            self.next_update = _utc(nu) if nu is not None else None
            self.revoked: dict[int, datetime] = {}
            for entry in tbs["revoked_certificates"]:
                when = entry["revocation_date"].native
                self.revoked[entry["user_certificate"].native] = _utc(when)
            exts = tbs["crl_extensions"]
            aki = _ext_value(exts, oids.EXT_AKI)
            self.authority_key_id = aki["key_identifier"].native if aki is not None else None
            num = _ext_value(exts, oids.EXT_CRL_NUMBER)
            self.number = num.native if num is not None else None
            if self.signature_oid not in oids.SIG_BITS:
                raise UnsupportedAlgorithm("CRL is not signed with GOST R 34.10-2012")

    @property
    def pem(self) -> str:
        return to_pem(self.der, "X509 CRL")

    def is_revoked(self, serial: int) -> bool:
        return serial in self.revoked

    def check_fresh(self, now: datetime | None = None, grace: timedelta = timedelta(0)) -> None:
        """Raise CrlStale if nextUpdate (+ grace) is past or absent."""
        if self.next_update is None or now_utc(now) > self.next_update + grace:
            raise CrlStale("CRL is out of date")

    def is_issued_by(self, ca: Certificate) -> bool:
        """Names match and ca's key verifies this CRL's signature."""
        return _signed_by(self, ca)

    def __repr__(self) -> str:
        return f"Crl(issuer={self.issuer}, revoked={len(self.revoked)})"


CrlData = Crl | bytes | str  # a CRL, or its DER, PEM or base64


def load_crl(data: CrlData) -> Crl:
    """Parse a CRL from DER, PEM or bare base64."""
    if isinstance(data, Crl):
        return data
    return Crl(to_der(data, ("X509 CRL", "CRL")))
