"""A pure-Python GOST test PKI: CAs, user certificates, CRLs, CAdES-BES.

For tests and the dev-only login stand-in; never trust these CAs in
production. With a seed, everything (keys, serials, signatures) is
deterministic; dates are explicit or fixed defaults.

    pki = TestPki(seed=b"demo")
    ca = pki.ca()
    user = ca.issue(cn="ТЕСТОВ ТЕСТ ТЕСТОВИЧ", snils="11223344595")
    crl = ca.crl(revoked=[other.cert.serial])
    p7s = user.sign_challenge(b"challenge")
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms, core, keys, tsp, x509
from asn1crypto import crl as asn1_crl

from . import curves, oids, streebog
from .certs import CertData, Certificate, Crl, GostKeyAlgorithm, load_certificate, make_spki
from .der import to_der, to_pem
from .ec import PrivateKey

DEFAULT_CA_NAME = "Тестовый УЦ ОЗСП"
TEST_CA_MARK = "ТЕСТОВЫЙ УЦ - НЕ ДОВЕРЯТЬ"  # OU of every CA made here
CA_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
CA_NOT_AFTER = datetime(2120, 1, 1, tzinfo=UTC)
USER_NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)
USER_NOT_AFTER = datetime(2074, 1, 1, tzinfo=UTC)
_NUMERIC = {oids.SNILS, oids.OGRN, oids.OGRNIP, oids.INN, oids.INNLE}


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _time(dt: datetime) -> x509.Time:
    dt = _utc(dt).replace(microsecond=0)
    return x509.Time(name="utc_time" if 1950 <= dt.year < 2050 else "general_time", value=dt)


def build_name(attrs: Iterable[tuple[str, str]]) -> x509.Name:
    """x509.Name from (key or OID, value) pairs, in encoding order."""
    rdns = []
    for key, value in attrs:
        oid = oids.NAME_OIDS.get(key, key)
        if oid in _NUMERIC:
            val = core.NumericString(value)
        elif oid == "2.5.4.6":
            val = x509.DirectoryString(name="printable_string", value=value)
        elif oid == "1.2.840.113549.1.9.1":
            val = x509.EmailAddress(value)
        else:
            val = x509.DirectoryString(name="utf8_string", value=value)
        atv = x509.NameTypeAndValue({"type": oid, "value": val})
        rdns.append(x509.RelativeDistinguishedName([atv]))
    return x509.Name(name="", value=x509.RDNSequence(rdns))


def _sign_tbs(tbs_der: bytes, key: PrivateKey) -> bytes:
    return key.sign(streebog.digest(tbs_der, key.curve.bits))


def _ski(key: PrivateKey) -> bytes:
    """Key identifier: SHA-1 of the public key bits (RFC 5280 method 1)."""
    return hashlib.sha1(key.public_key.to_le_bytes()).digest()


class _GostPrivateKeyInfo(core.Sequence):
    _fields = [("version", core.Integer), ("algorithm", GostKeyAlgorithm), ("private_key", core.OctetString)]


def export_private_key(key: PrivateKey, param_oid: str | None = None) -> str:
    """PKCS#8 PEM as gost-engine writes it (privateKey = d, little-endian)."""
    param_oid = param_oid or key.curve.oids[0]
    params = {"public_key_param_set": param_oid}
    if key.curve.bits == 256:
        params["digest_param_set"] = oids.DIGEST_256
    info = _GostPrivateKeyInfo(
        {
            "version": 0,
            "algorithm": {"algorithm": oids.KEY_OID[key.curve.bits], "parameters": params},
            "private_key": key.to_le_bytes(),
        }
    )
    return to_pem(info.dump(), "PRIVATE KEY")


def load_private_key(data: bytes | str) -> tuple[PrivateKey, str]:
    """(key, parameter-set OID) from export_private_key output."""
    info = _GostPrivateKeyInfo.load(to_der(data, ("PRIVATE KEY",)))
    param_oid = info["algorithm"]["parameters"]["public_key_param_set"].dotted
    curve = curves.curve_for_oid(param_oid)
    raw = info["private_key"].native
    if len(raw) == curve.size:  # gost-engine form: d little-endian
        d = int.from_bytes(raw, "little")
    elif raw[:1] == b"\x04":  # d little-endian wrapped in an OCTET STRING
        d = int.from_bytes(core.OctetString.load(raw).native, "little")
    else:  # INTEGER d
        d = core.Integer.load(raw).native
    return PrivateKey(curve, d), param_oid


def _default_param(curve: curves.Curve) -> str:
    """CryptoPro-A keeps its CryptoPro OID, as CryptoPro CSP issues it."""
    return "1.2.643.2.2.35.1" if curve is curves.CRYPTOPRO_A else curve.oids[0]


USUAL = "usual"  # the extension as an accredited CA issues it (None: no such extension)


def _extensions(
    ca: bool,
    key: PrivateKey,
    issuer_key: PrivateKey,
    key_usage: Iterable[str] | str | None = USUAL,
    extended_key_usage: Iterable[str] | str | None = USUAL,
    path_length: int | None = None,
    crl_urls: Iterable[str] = (),
) -> list[Any]:
    basic = {"ca": ca, "path_len_constraint": path_length} if path_length is not None else {"ca": ca}
    exts = [
        {"extn_id": "key_identifier", "extn_value": _ski(key)},
        {"extn_id": "authority_key_identifier", "extn_value": {"key_identifier": _ski(issuer_key)}},
        {"extn_id": "basic_constraints", "critical": True, "extn_value": basic},
    ]
    if key_usage == USUAL:
        key_usage = (
            {"key_cert_sign", "crl_sign", "digital_signature"} if ca else {"digital_signature", "non_repudiation"}
        )
    if key_usage is not None:
        exts.append({"extn_id": "key_usage", "critical": True, "extn_value": set(key_usage)})
    if extended_key_usage == USUAL:
        extended_key_usage = None if ca else ["client_auth", "email_protection"]
    if extended_key_usage is not None:
        exts.append({"extn_id": "extended_key_usage", "extn_value": list(extended_key_usage)})
    if crl_urls:
        exts.append(
            {
                "extn_id": "crl_distribution_points",
                "extn_value": [
                    {"distribution_point": {"full_name": [x509.GeneralName("uniform_resource_identifier", url)]}}
                    for url in crl_urls
                ],
            }
        )
    return exts


def make_certificate(
    issuer: x509.Name,
    issuer_key: PrivateKey,
    subject: x509.Name,
    key: PrivateKey,
    param_oid: str,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    ca: bool,
    **extensions: Any,
) -> Certificate:
    """A certificate of key signed by issuer_key; extensions: key_usage, extended_key_usage,
    path_length, crl_urls (see _extensions)."""
    sig_oid = oids.SIG_OID[issuer_key.curve.bits]
    tbs_der = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": {"algorithm": sig_oid},
            "issuer": issuer,
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": subject,
            "subject_public_key_info": keys.PublicKeyInfo.load(make_spki(key.public_key, param_oid)),
            "extensions": _extensions(ca, key, issuer_key, **extensions),
        }
    ).dump()
    cert = x509.Certificate(
        {
            "tbs_certificate": x509.TbsCertificate.load(tbs_der),
            "signature_algorithm": {"algorithm": sig_oid},
            "signature_value": _sign_tbs(tbs_der, issuer_key),
        }
    )
    return load_certificate(cert.dump())


class TestUser:
    """A user certificate with its private key."""

    __test__ = False  # not a pytest class

    def __init__(self, cert: Certificate, key: PrivateKey, issuer: TestCa):
        self.cert, self.key, self.issuer = cert, key, issuer

    @property
    def key_pem(self) -> str:
        return export_private_key(self.key, self.cert.key_param_oid)

    def sign_challenge(self, challenge: bytes, **options: Any) -> bytes:
        """CAdES-BES CMS (DER) over challenge; see ``sign_cms`` for options."""
        return sign_cms(challenge, self.cert, self.key, **options)


class TestCa(TestUser):
    """A CA that issues user certificates and CRLs."""

    def __init__(self, pki: TestPki, cert: Certificate, key: PrivateKey, param_oid: str, issuer: TestCa | None = None):
        super().__init__(cert, key, issuer or self)
        self.pki, self.param_oid = pki, param_oid
        self._name = x509.Name.load(cert.subject.der)
        self._crl_number = 0

    def issue(
        self,
        cn: str = "ТЕСТОВ ТЕСТ ТЕСТОВИЧ",
        *,
        surname: str | None = "ТЕСТОВ",
        given_name: str | None = "ТЕСТ ТЕСТОВИЧ",
        snils: str | None = "11223344595",
        inn: str | None = None,
        ogrn: str | None = None,
        innle: str | None = None,
        organization: str | None = None,
        title: str | None = None,
        curve: curves.Curve | None = None,
        param_oid: str | None = None,
        not_before: datetime = USER_NOT_BEFORE,
        not_after: datetime = USER_NOT_AFTER,
        serial: int | None = None,
        ca: bool = False,
        label: str | None = None,
        **extensions: Any,
    ) -> TestUser:
        """Issue a certificate; curve defaults to CryptoPro-A (256 bit). extensions: key_usage,
        extended_key_usage (names or dotted OIDs; None leaves the extension out), path_length,
        crl_urls (cRLDistributionPoints)."""
        curve = curves.curve_for_oid(param_oid) if param_oid else (curve or curves.CRYPTOPRO_A)
        param_oid = param_oid or _default_param(curve)
        label = label or self.pki.next_label(cn)
        key = self.pki.key(curve, label)
        fields = (
            ("C", "RU"),
            ("O", organization),
            ("OU", TEST_CA_MARK if ca else None),
            ("T", title),
            ("SN", surname),
            ("G", given_name),
            ("CN", cn),
            ("SNILS", snils),
            ("INN", inn),
            ("OGRN", ogrn),
            ("INNLE", innle),
        )
        attrs = [(k, v) for k, v in fields if v]
        serial = serial if serial is not None else self.pki.serial(label)
        cert = make_certificate(
            self._name, self.key, build_name(attrs), key, param_oid, serial, not_before, not_after, ca, **extensions
        )
        if ca:
            return TestCa(self.pki, cert, key, param_oid, issuer=self)
        return TestUser(cert, key, self)

    def crl(
        self,
        revoked: Iterable[int | TestUser | Certificate] = (),
        this_update: datetime = USER_NOT_BEFORE,
        next_update: datetime | None = CA_NOT_AFTER,
        revocation_date: datetime | None = None,
    ) -> Crl:
        """A CRL listing serials (ints, TestUsers or Certificates)."""
        self._crl_number += 1
        entries = []
        for item in revoked:
            serial = item if isinstance(item, int) else (item.cert if isinstance(item, TestUser) else item).serial
            entries.append(
                {
                    "user_certificate": serial,
                    "revocation_date": _time(revocation_date or this_update),
                    "crl_entry_extensions": [{"extn_id": "crl_reason", "extn_value": "key_compromise"}],
                }
            )
        sig_oid = oids.SIG_OID[self.key.curve.bits]
        fields = {
            "version": "v2",
            "signature": {"algorithm": sig_oid},
            "issuer": self._name,
            "this_update": _time(this_update),
            "crl_extensions": [
                {"extn_id": "authority_key_identifier", "extn_value": {"key_identifier": _ski(self.key)}},
                {"extn_id": "crl_number", "extn_value": self._crl_number},
            ],
        }
        if next_update is not None:
            fields["next_update"] = _time(next_update)
        if entries:
            fields["revoked_certificates"] = entries
        tbs_der = asn1_crl.TbsCertList(fields).dump()
        cl = asn1_crl.CertificateList(
            {
                "tbs_cert_list": asn1_crl.TbsCertList.load(tbs_der),
                "signature_algorithm": {"algorithm": sig_oid},
                "signature": _sign_tbs(tbs_der, self.key),
            }
        )
        return Crl(cl.dump())


class TestPki:
    """Factory of test CAs; deterministic when seeded."""

    __test__ = False

    def __init__(self, seed: bytes | str | None = None):
        if isinstance(seed, str):
            seed = seed.encode("utf-8")
        self.seed = seed if seed is not None else os.urandom(32)
        self._labels: dict[str, int] = {}

    def next_label(self, base: str) -> str:
        n = self._labels.get(base, 0)
        self._labels[base] = n + 1
        return f"{base}#{n}"

    def key(self, curve: curves.Curve, label: str) -> PrivateKey:
        return PrivateKey.from_seed(curve, self.seed + b"/key/" + label.encode("utf-8"))

    def serial(self, label: str) -> int:
        h = hashlib.sha256(self.seed + b"/serial/" + label.encode("utf-8")).digest()
        return int.from_bytes(h[:17], "big") >> 7 or 1  # 129 bits, like CryptoPro serials

    def ca(
        self,
        name: str = DEFAULT_CA_NAME,
        *,
        curve: curves.Curve | None = None,
        param_oid: str | None = None,
        not_before: datetime = CA_NOT_BEFORE,
        not_after: datetime = CA_NOT_AFTER,
        label: str | None = None,
    ) -> TestCa:
        """A self-signed CA (CryptoPro-A 256 bit by default)."""
        curve = curves.curve_for_oid(param_oid) if param_oid else (curve or curves.CRYPTOPRO_A)
        param_oid = param_oid or _default_param(curve)
        label = label or self.next_label("CA:" + name)
        key = self.key(curve, label)
        subject = build_name(
            [
                ("C", "RU"),
                ("O", name),
                ("OU", TEST_CA_MARK),
                ("CN", name),
                ("OGRN", "1007700000000"),
                ("INNLE", "7700000009"),
            ]
        )
        cert = make_certificate(
            subject, key, subject, key, param_oid, self.serial(label), not_before, not_after, ca=True
        )
        return TestCa(self, cert, key, param_oid)


def is_test_ca(cert: CertData) -> bool:
    """True for a CA certificate made by this module (production must refuse it)."""
    cert = load_certificate(cert)
    return any(k == oids.NAME_OIDS["OU"] and v == TEST_CA_MARK for k, v in cert.subject.attrs)


class DevPki:
    """The fixed dev-mode world: same CA, CRL and user on every start.

    For the DEV_LOGIN stand-in only: the gateway signs challenges with
    ``user`` and trusts ``ca`` / ``crl``.
    """

    def __init__(self, seed: bytes | str = b"ozsp-dev"):
        pki = TestPki(seed)
        self.ca = pki.ca()
        self.crl = self.ca.crl()
        self.user = self.ca.issue()

    def sign(self, challenge: bytes) -> bytes:
        """Detached CAdES-BES of challenge, as the browser plug-in would send."""
        return self.user.sign_challenge(challenge)


# --- CMS -------------------------------------------------------------------------


def _attr(oid: str, value: core.Asn1Value) -> bytes:
    """DER of an Attribute with one value (independent of asn1crypto's registry)."""
    body = core.ObjectIdentifier(oid).dump() + core.SetOf(contents=value.dump()).dump()
    return core.Sequence(contents=body).dump()


def signing_certificate_v2(cert: Certificate, bits: int = 256) -> tsp.SigningCertificateV2:
    """ESS signingCertificateV2 naming cert with a Streebog hash."""
    return tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "hash_algorithm": {"algorithm": oids.DIGEST_OID[bits]},
                    "cert_hash": streebog.digest(cert.der, bits),
                    "issuer_serial": {
                        "issuer": [x509.GeneralName(name="directory_name", value=x509.Name.load(cert.issuer.der))],
                        "serial_number": cert.serial,
                    },
                }
            ]
        }
    )


def sign_cms(
    challenge: bytes,
    cert: Certificate,
    key: PrivateKey,
    *,
    detached: bool = True,
    signing_time: datetime | None | bool = True,
    signing_cert_v2: bool = True,
    include_cert: bool = True,
    message_digest: bytes | None = None,
    ess_cert: Certificate | None = None,
    extra_certs: Iterable[Certificate] = (),
    signed_attributes: bool = True,
) -> bytes:
    """CAdES-BES SignedData (DER) as the CryptoPro plug-in makes it.

    signing_time: True = now, a datetime, or None/False to omit it.
    message_digest, ess_cert: overrides for deliberately wrong signatures.
    extra_certs: more certificates to carry (e.g. intermediate CAs).
    signed_attributes=False signs the content itself (plain CMS, not CAdES).
    """
    bits = key.curve.bits
    digest = streebog.digest(challenge, bits)
    if signing_time is True:
        signing_time = datetime.now(UTC)
    attrs = [
        _attr(oids.ATTR_CONTENT_TYPE, core.ObjectIdentifier(oids.DATA)),
        _attr(oids.ATTR_MESSAGE_DIGEST, core.OctetString(message_digest or digest)),
    ]
    if signing_time:
        attrs.append(_attr(oids.ATTR_SIGNING_TIME, _time(signing_time)))
    if signing_cert_v2:
        attrs.append(_attr(oids.ATTR_SIGNING_CERT_V2, signing_certificate_v2(ess_cert or cert)))
    signed_attrs = core.SetOf(contents=b"".join(sorted(attrs))).dump()  # DER: sorted SET OF
    signature = key.sign(streebog.digest(signed_attrs if signed_attributes else challenge, bits))
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": x509.Name.load(cert.issuer.der), "serial_number": cert.serial},
            ),
            "digest_algorithm": {"algorithm": oids.DIGEST_OID[bits]},
            "signed_attrs": cms.CMSAttributes.load(signed_attrs) if signed_attributes else None,
            "signature_algorithm": {"algorithm": oids.KEY_OID[bits]},
            "signature": signature,
        }
    )
    certs = ([cert] if include_cert else []) + [load_certificate(c) for c in extra_certs]
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": oids.DIGEST_OID[bits]}],
            "encap_content_info": {"content_type": "data", "content": None if detached else challenge},
            "certificates": [x509.Certificate.load(c.der) for c in certs] or None,
            "signer_infos": [signer],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
