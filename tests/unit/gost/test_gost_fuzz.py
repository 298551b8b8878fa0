"""Parsers and the verifier must refuse junk with GostError (Malformed for parsers)."""

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.gost import load_certificate, load_crl, verify_signed_challenge
from shared.gost.errors import GostError, Malformed

from .gost_world import CHALLENGE, NOW

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

junk = st.one_of(
    st.binary(max_size=600),
    st.binary(max_size=600).map(lambda b: b"\x30" + b),
    st.binary(max_size=400).map(base64.b64encode),
    st.binary(max_size=400).map(
        lambda b: b"-----BEGIN CERTIFICATE-----\n" + base64.b64encode(b) + b"\n-----END CERTIFICATE-----\n"
    ),
    st.text(max_size=300),
)


def _parse_all(data, store):
    for fn in (load_certificate, load_crl, lambda d: verify_signed_challenge(d, CHALLENGE, store, now=NOW)):
        try:
            fn(data)
        except Malformed:
            pass


@FUZZ
@given(data=junk)
def test_junk_raises_only_malformed(store, data):
    _parse_all(data, store)


def _mutations():
    return st.tuples(st.integers(min_value=0), st.integers(0, 255), st.sampled_from(["set", "cut", "insert", "delete"]))


def _mutate(der: bytes, spec) -> bytes:
    pos, val, kind = spec
    i = pos % len(der)
    if kind == "set":
        return der[:i] + bytes([val]) + der[i + 1 :]
    if kind == "cut":
        return der[:i]
    if kind == "insert":
        return der[:i] + bytes([val]) + der[i:]
    return der[:i] + der[i + 1 :]


@FUZZ
@given(spec=_mutations())
def test_mutated_certificate_and_crl(world, spec):
    for der, fn in ((world.user.cert.der, load_certificate), (world.crl.der, load_crl)):
        try:
            fn(_mutate(der, spec))
        except Malformed:
            pass


@pytest.fixture(scope="module")
def signed(world):
    return world.user.sign_challenge(CHALLENGE, signing_time=NOW, detached=False)


@FUZZ
@given(spec=_mutations())
def test_mutated_cms_raises_only_gost_errors(store, signed, spec):
    try:
        verify_signed_challenge(_mutate(signed, spec), CHALLENGE, store, now=NOW)
    except GostError:
        pass
