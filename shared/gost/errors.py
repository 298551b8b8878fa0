"""Refusal reasons of the GOST core.

Each class carries a stable ``reason`` code; the web layer maps codes to
user messages. Messages here are English and never contain personal data.
"""


class GostError(Exception):
    """Base of every refusal raised by shared.gost."""

    reason = "error"
    signature_valid = False  # verify_signed_challenge: True when the signature verified and the certificate did not

    def __init__(self, message: str = ""):
        super().__init__(message or self.reason)


class Malformed(GostError):
    """Input cannot be parsed or is structurally invalid."""

    reason = "malformed"


class UnsupportedAlgorithm(Malformed):
    """Unknown curve, digest or signature algorithm, or a mismatched pair.

    A kind of Malformed: parsers promise to raise nothing else."""

    reason = "unsupported_algorithm"


class BadSignature(GostError):
    """A GOST signature does not verify."""

    reason = "bad_signature"


class DigestMismatch(GostError):
    """messageDigest differs from the hash of the content."""

    reason = "digest_mismatch"


class ContentMismatch(GostError):
    """Attached content is not the challenge."""

    reason = "content_mismatch"


class SigningTimeInvalid(GostError):
    """signingTime is absent or too far from now."""

    reason = "signing_time"


class CertMismatch(GostError):
    """signingCertificateV2 does not name the signer's certificate."""

    reason = "cert_mismatch"


class SignerCertMissing(GostError):
    """The CMS does not carry the signer's certificate."""

    reason = "signer_cert_missing"


class Expired(GostError):
    """The signer's certificate is past notAfter."""

    reason = "expired"


class NotYetValid(GostError):
    """The signer's certificate is before notBefore."""

    reason = "not_yet_valid"


class UnknownCa(GostError):
    """No trusted CA issued the certificate (or its signature fails)."""

    reason = "unknown_ca"


class CaInvalid(GostError):
    """The issuing CA certificate is outside its validity, not a CA, may not sign certificates (keyUsage)
    or the chain below it is longer than its pathLenConstraint."""

    reason = "ca_invalid"


class WrongUsage(GostError):
    """The certificate's keyUsage / extendedKeyUsage does not allow signing in to a service."""

    reason = "key_usage"


class Revoked(GostError):
    """The certificate's serial is on its CA's CRL."""

    reason = "revoked"


class CrlMissing(GostError):
    """No CRL of the issuing CA is available."""

    reason = "crl_missing"


class CrlStale(GostError):
    """The CRL's nextUpdate is past (beyond the grace period)."""

    reason = "crl_stale"


class CrlInvalid(GostError):
    """The CRL is not signed by its CA."""

    reason = "crl_invalid"


ALL_ERRORS = (
    Malformed,
    UnsupportedAlgorithm,
    BadSignature,
    DigestMismatch,
    ContentMismatch,
    SigningTimeInvalid,
    CertMismatch,
    SignerCertMissing,
    Expired,
    NotYetValid,
    UnknownCa,
    CaInvalid,
    WrongUsage,
    Revoked,
    CrlMissing,
    CrlStale,
    CrlInvalid,
)
