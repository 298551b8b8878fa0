"""Trusted CAs, their CRLs, and certificate path checks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from . import oids
from .certs import CertData, Certificate, Crl, CrlData, load_certificate, load_crl, now_utc
from .errors import CaInvalid, CrlInvalid, CrlMissing, Revoked, UnknownCa, WrongUsage

MAX_CHAIN = 5


class TrustStore:
    """Trusted CA certificates and CRLs, indexed by subject / issuer name.

    Build once and reuse: CA keys get precomputed tables and each CRL's
    signature is checked once, on first use.
    """

    def __init__(self, cas: Iterable[CertData] = (), crls: Iterable[CrlData] = (), precompute: bool = True) -> None:
        self._precompute = precompute
        self._cas: dict[bytes, list[Certificate]] = {}
        self._crls: dict[bytes, list[Crl]] = {}
        self._crl_ok: dict[tuple[int, bytes], bool] = {}
        for ca in cas:
            self.add_ca(ca)
        for crl in crls:
            self.add_crl(crl)

    @classmethod
    def of(cls, trusted_cas: TrustStore | Iterable[CertData], crls: Iterable[CrlData] = ()) -> TrustStore:
        """trusted_cas itself if it is a store (crls added), else a new store."""
        if isinstance(trusted_cas, TrustStore):
            for crl in crls:
                trusted_cas.add_crl(crl)
            return trusted_cas
        return cls(trusted_cas, crls, precompute=False)

    def add_ca(self, cert: CertData) -> Certificate:
        cert = load_certificate(cert)
        bucket = self._cas.setdefault(cert.subject.der, [])
        if cert not in bucket:
            bucket.append(cert)
            if self._precompute:
                cert.public_key.precompute()
        return cert

    def add_crl(self, crl: CrlData) -> Crl:
        crl = load_crl(crl)
        bucket = self._crls.setdefault(crl.issuer.der, [])
        if all(c.der != crl.der for c in bucket):
            bucket.append(crl)
            bucket.sort(key=lambda c: c.this_update, reverse=True)
        return crl

    @property
    def cas(self) -> list[Certificate]:
        return [c for bucket in self._cas.values() for c in bucket]

    def __contains__(self, cert: Certificate) -> bool:
        return cert in self._cas.get(cert.subject.der, ())

    def issuer_of(self, cert: Certificate) -> Certificate | None:
        """The trusted CA whose key verifies cert's signature, if any."""
        for ca in self._cas.get(cert.issuer.der, ()):
            if cert.is_issued_by(ca):
                return ca
        return None

    def crl_for(self, ca: Certificate) -> Crl:
        """The newest CRL of ca with a valid signature."""
        bucket = self._crls.get(ca.subject.der)
        if not bucket:
            raise CrlMissing("no CRL for the issuing CA")
        for crl in bucket:
            key = (id(crl), ca.der)
            ok = self._crl_ok.get(key)
            if ok is None:
                ok = self._crl_ok[key] = crl.is_issued_by(ca)
            if ok:
                return crl
        raise CrlInvalid("the CA's CRL signature does not verify")


def check_signer_usage(cert: Certificate) -> None:
    """RFC 5280 4.2.1.3 and 4.2.1.12: where the extensions are present they must allow a signature
    (digitalSignature) for client authentication (id-kp-clientAuth or anyExtendedKeyUsage)."""
    if cert.key_usage is not None and "digital_signature" not in cert.key_usage:
        raise WrongUsage("keyUsage does not allow digital signatures")
    if cert.extended_key_usage is not None and not (cert.extended_key_usage & {oids.EKU_CLIENT_AUTH, oids.EKU_ANY}):
        raise WrongUsage("extendedKeyUsage does not allow client authentication")


def check_issuer_usage(ca: Certificate, below: int) -> None:
    """A CA may sign certificates (keyCertSign) and has at most pathLenConstraint CAs below it
    (`below`: the intermediate CAs between it and the end certificate)."""
    if not ca.is_ca:
        raise CaInvalid("the issuer is not a CA")
    if ca.key_usage is not None and "key_cert_sign" not in ca.key_usage:
        raise CaInvalid("the issuer's keyUsage does not allow signing certificates")
    if ca.path_length is not None and below > ca.path_length:
        raise CaInvalid("the chain is longer than the issuer's pathLenConstraint")


def check_not_revoked(
    cert: Certificate, ca: Certificate, store: TrustStore, now: datetime, crl_grace: timedelta
) -> None:
    if ca.key_usage is not None and "crl_sign" not in ca.key_usage:
        raise CrlInvalid("the CA's keyUsage does not allow signing CRLs")
    crl = store.crl_for(ca)
    if crl.is_revoked(cert.serial):
        raise Revoked("certificate is revoked")
    crl.check_fresh(now, crl_grace)


def verify_certificate(
    cert: CertData,
    trusted_cas: TrustStore | Iterable[CertData],
    crls: Iterable[CrlData] = (),
    now: datetime | None = None,
    crl_grace: timedelta = timedelta(0),
    intermediates: Iterable[CertData] = (),
) -> list[Certificate]:
    """Check dates, key usage, chain to a trusted CA and revocation; return the chain.

    intermediates: untrusted CA certificates (e.g. from a CMS) that may link
    cert to a trusted CA. Raises a GostError subclass on refusal.
    """
    cert = load_certificate(cert)
    store = TrustStore.of(trusted_cas, crls)
    now = now_utc(now)
    cert.check_validity(now)
    check_signer_usage(cert)
    chain = [cert]
    current = cert
    for _ in range(MAX_CHAIN):
        ca = store.issuer_of(current)
        trusted = ca is not None
        if ca is None:
            ca = next((c for c in map(load_certificate, intermediates) if c.is_ca and current.is_issued_by(c)), None)
        if ca is None:
            raise UnknownCa("no trusted CA issued the certificate")
        check_issuer_usage(ca, len(chain) - 1)
        ca.check_validity(now, ca=True)
        check_not_revoked(current, ca, store, now, crl_grace)
        chain.append(ca)
        if trusted:
            return chain
        current = ca
    raise UnknownCa("certificate chain is too long")
