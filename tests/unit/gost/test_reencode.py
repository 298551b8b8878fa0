"""Issuing certificates never trips over asn1crypto's missing GOST key spec (any names, any seeds)."""

import pytest

from shared.gost import load_certificate
from shared.gost.testpki import TestPki


@pytest.mark.parametrize("seed", range(12))
def test_any_ca_name_issues_a_readable_certificate(seed):
    user = TestPki(str(seed)).ca("УЦ ОБРАБОТКИ").issue()
    again = load_certificate(user.cert.der)
    assert again.serial_hex == user.cert.serial_hex and again.public_key == user.cert.public_key
