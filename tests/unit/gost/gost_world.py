"""The seeded test PKI shared by the GOST tests (identical on every run)."""

from datetime import UTC, datetime

from shared.gost import TrustStore, curves, testpki

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CHALLENGE = b"ozsp-login-6f1c2a9b0e4d4c7f8a1b"


class Pki:
    """The fixture world: a trusted CA, users of several curves, a foreign CA."""

    def __init__(self):
        self.pki = testpki.TestPki(seed=b"ozsp-tests")
        self.ca = self.pki.ca()
        self.foreign = self.pki.ca("Посторонний УЦ (тест)")
        # same DN as the trusted CA, different key: a forgery
        self.forged = self.pki.ca(testpki.DEFAULT_CA_NAME, label="forged")
        self.user = self.ca.issue(inn="500000000029", ogrn="1005000000004")
        self.user_xa = self.ca.issue(
            "ТЕСТОВА ТЕСТА ТЕСТОВНА",
            surname="ТЕСТОВА",
            given_name="ТЕСТА ТЕСТОВНА",
            snils="12345678964",
            param_oid="1.2.643.2.2.36.0",
        )
        self.user_tc26a = self.ca.issue(param_oid="1.2.643.7.1.2.1.1.1")
        self.user512 = self.ca.issue(curve=curves.TC26_512_A)
        self.user512c = self.ca.issue(curve=curves.TC26_512_C)
        self.revoked = self.ca.issue("ОТОЗВАНОВ ТЕСТ ТЕСТОВИЧ", surname="ОТОЗВАНОВ")
        self.foreign_user = self.foreign.issue()
        self.crl = self.ca.crl(
            revoked=[self.revoked], this_update=datetime(2025, 1, 1), next_update=datetime(2030, 1, 1)
        )
        self.foreign_crl = self.foreign.crl(this_update=datetime(2025, 1, 1))

    def store(self, crls=None) -> TrustStore:
        return TrustStore([self.ca.cert], [self.crl] if crls is None else crls)
