"""GOST R 34.10/34.11-2012 core: Streebog, signatures, X.509, CRL, CMS login.

Main entry points:
    verify_signed_challenge(p7s, challenge, trusted_cas, crls, now, crl_grace)
    verify_certificate(cert, trusted_cas, crls, now, crl_grace)
    load_certificate(data) / load_crl(data)   (DER, PEM or bare base64)
    TrustStore(cas, crls)                     (build once, reuse)
    streebog.digest(data, bits) / streebog.backend()
Refusals are GostError subclasses with a stable ``reason`` (see errors.py).
"""

from . import errors, streebog
from .certs import Certificate, Crl, DistinguishedName, load_certificate, load_crl
from .cms import VerifiedSigner, verify_signed_challenge
from .curves import Curve, curve_for_oid
from .ec import PrivateKey, PublicKey
from .errors import GostError, Malformed
from .trust import TrustStore, verify_certificate

__all__ = [
    "Certificate",
    "Crl",
    "Curve",
    "DistinguishedName",
    "GostError",
    "Malformed",
    "PrivateKey",
    "PublicKey",
    "TrustStore",
    "VerifiedSigner",
    "curve_for_oid",
    "errors",
    "load_certificate",
    "load_crl",
    "streebog",
    "verify_certificate",
    "verify_signed_challenge",
]
