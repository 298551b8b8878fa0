import base64
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from shared.gost import load_certificate, load_crl
from shared.gost.errors import CrlStale, Malformed, UnsupportedAlgorithm
from shared.gost.testpki import TestPki


def test_subject_fields(world):
    c = world.user.cert
    assert c.cn == "ТЕСТОВ ТЕСТ ТЕСТОВИЧ"
    assert c.surname == "ТЕСТОВ"
    assert c.given_name == "ТЕСТ ТЕСТОВИЧ"
    assert c.snils == "11223344595"
    assert c.inn == "500000000029"
    assert c.ogrn == "1005000000004"
    assert c.subject.get("1.2.643.100.3") == "11223344595"
    assert c.subject.as_dict()["SNILS"] == "11223344595"
    assert world.ca.cert.innle == "7700000009"
    assert "CN=ТЕСТОВ ТЕСТ ТЕСТОВИЧ" in str(c.subject)


def test_serial_thumbprint_dates(world):
    c = world.user.cert
    raw = bytes.fromhex(c.serial_hex)
    assert int.from_bytes(raw, "big") == c.serial
    assert c.serial_hex == c.serial_hex.upper()
    assert c.thumbprint == hashlib.sha1(c.der).hexdigest().upper()
    assert c.not_before == datetime(2024, 1, 1, tzinfo=UTC)
    assert c.not_after == datetime(2074, 1, 1, tzinfo=UTC)
    assert c.issuer == world.ca.cert.subject


def test_serial_hex_keeps_leading_zero():
    # a serial with the top bit set gets a 00 byte in DER, as CryptoPro shows it
    ca = TestPki(seed=b"s").ca()
    u = ca.issue(serial=0x951FA3477C61043AADFA858627823442)
    assert u.cert.serial_hex == "00951FA3477C61043AADFA858627823442"


def test_key_params(world):
    assert world.user.cert.key_param_oid == "1.2.643.2.2.35.1"
    assert world.user.cert.info()["key_param_name"] == "CryptoPro-A"
    assert world.user_xa.cert.key_param_oid == "1.2.643.2.2.36.0"
    assert world.user512.cert.key_bits == 512
    info = world.user512.cert.info()
    assert info["key_param_name"] == "tc26-512-A"
    assert info["snils"] == "11223344595"


@pytest.mark.parametrize("form", ["der", "pem", "pem_str", "b64", "b64_crlf", "bom_pem"])
def test_load_forms(world, form):
    c = world.user.cert
    b64 = base64.b64encode(c.der).decode()
    data = {
        "der": c.der,
        "pem": c.pem.encode(),
        "pem_str": c.pem,
        "b64": b64.encode(),
        "b64_crlf": "\r\n".join(b64[i : i + 76] for i in range(0, len(b64), 76)).encode() + b"\r\n",
        "bom_pem": b"\xef\xbb\xbf" + c.pem.replace("\n", "\r\n").encode(),
    }[form]
    assert load_certificate(data) == c


def test_issued_by(world):
    u, ca = world.user.cert, world.ca.cert
    assert u.is_issued_by(ca)
    assert ca.is_issued_by(ca)
    assert ca.is_ca and not u.is_ca
    assert not u.is_issued_by(world.foreign.cert)
    assert not u.is_issued_by(world.forged.cert)  # same name, other key
    assert world.user512.cert.is_issued_by(ca)


def test_tampered_certificate_fails_signature(world):
    der = bytearray(world.user.cert.der)
    i = der.find("ТЕСТОВ".encode())
    der[i + 1] ^= 0x01  # still valid UTF-8 Cyrillic, different name
    tampered = load_certificate(bytes(der))
    assert not tampered.is_issued_by(world.ca.cert)


@pytest.mark.parametrize(
    "old,new",
    [
        ("06082a85030701010101", "06082a85030701010109"),  # key algorithm -> 1.2.643.7.1.1.1.9
        ("06082a85030701010302", "06082a85030701010309"),  # signature algorithm -> ...3.9
        ("06072a850302022301", "06072a850302022309"),  # CryptoPro-A param set -> ...35.9
    ],
)
def test_unknown_algorithms_are_unsupported(world, old, new):
    old, new = bytes.fromhex(old), bytes.fromhex(new)
    assert old in world.user.cert.der
    with pytest.raises(UnsupportedAlgorithm) as exc:
        load_certificate(world.user.cert.der.replace(old, new))
    assert isinstance(exc.value, Malformed)  # parsers raise only Malformed


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"0",
        b"\x30\x03\x02\x01",
        b"hello world",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        b"-----BEGIN CERTIFICATE-----\nbroken",
        "кириллица",
        42,
        None,
    ],
)
def test_junk_is_malformed(junk):
    with pytest.raises(Malformed):
        load_certificate(junk)


def test_wrong_pem_label(world):
    with pytest.raises(Malformed):
        load_certificate(world.crl.pem)


def test_crl_parse_and_signature(world):
    crl = load_crl(world.crl.der)
    assert load_crl(world.crl.pem).der == crl.der
    assert crl.is_revoked(world.revoked.cert.serial)
    assert not crl.is_revoked(world.user.cert.serial)
    assert crl.is_issued_by(world.ca.cert)
    assert not crl.is_issued_by(world.foreign.cert)
    assert not crl.is_issued_by(world.forged.cert)
    assert crl.this_update == datetime(2025, 1, 1, tzinfo=UTC)
    assert crl.number is not None
    assert crl.issuer == world.ca.cert.subject


def test_crl_freshness(world):
    crl = world.crl
    crl.check_fresh(datetime(2029, 12, 31, tzinfo=UTC))
    late = datetime(2030, 1, 2, tzinfo=UTC)
    with pytest.raises(CrlStale):
        crl.check_fresh(late)
    crl.check_fresh(late, grace=timedelta(days=2))
    no_next = world.ca.crl(next_update=None)
    with pytest.raises(CrlStale):
        no_next.check_fresh(late)


def test_crl_junk_is_malformed(world):
    with pytest.raises(Malformed):
        load_crl(world.user.cert.der)
    with pytest.raises(Malformed):
        load_crl(world.crl.der[:-5])


def test_deterministic_with_seed():
    a = TestPki(seed=b"same").ca()
    b = TestPki(seed=b"same").ca()
    assert a.cert.der == b.cert.der
    assert a.issue().cert.der == b.issue().cert.der
    assert TestPki(seed=b"other").ca().cert.der != a.cert.der


def test_private_key_export_roundtrip(world):
    from shared.gost.testpki import load_private_key

    key, oid = load_private_key(world.user512.key_pem)
    assert key.d == world.user512.key.d
    assert oid == world.user512.cert.key_param_oid


def test_test_ca_is_marked(world):
    from shared.gost.testpki import is_test_ca

    assert is_test_ca(world.ca.cert) and is_test_ca(world.foreign.cert.der)
    assert not is_test_ca(world.user.cert)
    sub = world.ca.issue("Тестовый подчинённый УЦ", ca=True, snils=None)
    assert is_test_ca(sub.cert)


def test_crl_distribution_points_are_read_http_only_without_repeats():
    from shared.gost.testpki import TestPki

    ca = TestPki(seed=b"cdp").ca()
    cert = ca.issue(
        crl_urls=[
            "http://cdp.example.test/ca.crl",
            "ldap://cdp.example.test/cn=ca",
            "HTTPS://cdp2.example.test/ca.crl",
            "http://cdp.example.test/ca.crl",
        ]
    ).cert
    assert cert.crl_urls == ("http://cdp.example.test/ca.crl", "https://cdp2.example.test/ca.crl")
    assert ca.issue().cert.crl_urls == ()
