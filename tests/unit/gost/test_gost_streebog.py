import os

import gostcrypto
import pytest

from shared.gost import streebog

# RFC 6986 / GOST R 34.11-2012 example M1 (63 bytes).
M1 = b"012345678901234567890123456789012345678901234567890123456789012"
M1_256 = "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"
M1_512 = (
    "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa"
    "00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
)


def test_backend_is_named():
    assert streebog.backend() in ("openssl", "python")


@pytest.mark.parametrize("fn", [streebog.digest, streebog.py_digest])
def test_m1_known_answers(fn):
    assert fn(M1, 256).hex() == M1_256
    assert fn(M1, 512).hex() == M1_512


def test_shortcuts():
    assert streebog.streebog256(M1).hex() == M1_256
    assert streebog.streebog512(M1).hex() == M1_512


@pytest.mark.parametrize("length", [0, 1, 55, 63, 64, 65, 127, 128, 129, 300])
def test_pure_python_matches_gostcrypto(length):
    data = os.urandom(length)
    for bits in (256, 512):
        ref = gostcrypto.gosthash.new(f"streebog{bits}", data=bytearray(data)).digest()
        assert streebog.py_digest(data, bits) == bytes(ref)


def test_active_backend_matches_pure_python():
    data = os.urandom(5000)
    assert streebog.digest(data, 256) == streebog.py_digest(data, 256)
    assert streebog.digest(data, 512) == streebog.py_digest(data, 512)


def test_accepts_bytearray_and_memoryview():
    assert streebog.digest(bytearray(M1)).hex() == M1_256
    assert streebog.py_digest(memoryview(M1)).hex() == M1_256


def test_falls_back_to_python_without_the_provider():
    import subprocess
    import sys

    code = (
        "from shared.gost import streebog; print(streebog.backend(), streebog.digest(b'0123456789' * 6 + b'012').hex())"
    )
    env = {"OPENSSL_MODULES": "/nonexistent", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["python", M1_256]
