"""Streebog (GOST R 34.11-2012) 256/512.

Backends, picked once at import:
- "openssl": hashlib with the gostprov provider (Debian libengine-gost-openssl),
  found through OPENSSL_CONF or, failing that, loaded into the libcrypto that
  hashlib uses;
- "python": the pure-Python compression below, using gostcrypto's
  precomputed LPS and round-constant tables.
OZSP_STREEBOG=python forces the pure-Python backend; =openssl makes the
absence of the provider an error.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import struct

_M1 = b"012345678901234567890123456789012345678901234567890123456789012"
_M1_256 = "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"
_OSSL_NAMES = {256: "md_gost12_256", 512: "md_gost12_512"}


# --- pure Python -----------------------------------------------------------


def _load_tables() -> tuple[list[list[int]], list[int]]:
    from gostcrypto.gosthash import gost_34_11_2012 as ref

    tables = [list(t) for t in ref._T]
    consts = [int.from_bytes(bytes(c), "little") for c in ref._C]
    if len(tables) != 8 or any(len(t) != 256 for t in tables) or len(consts) != 12:
        raise ImportError("unexpected gostcrypto tables")
    return tables, consts


(_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7), _C = _load_tables()
_pack8 = struct.Struct("<8Q").pack
_MASK512 = (1 << 512) - 1
_IV256 = int.from_bytes(b"\x01" * 64, "little")


def _lps(x: int) -> int:
    """The S, P and L transforms on a 512-bit state (a little-endian int).

    Output word i XORs table j at byte i of input word j (unrolled: the
    hot loop of the pure-Python backend).
    """
    b = x.to_bytes(64, "little")
    T0, T1, T2, T3, T4, T5, T6, T7 = _T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7
    return int.from_bytes(
        _pack8(
            T0[b[0]] ^ T1[b[8]] ^ T2[b[16]] ^ T3[b[24]] ^ T4[b[32]] ^ T5[b[40]] ^ T6[b[48]] ^ T7[b[56]],
            T0[b[1]] ^ T1[b[9]] ^ T2[b[17]] ^ T3[b[25]] ^ T4[b[33]] ^ T5[b[41]] ^ T6[b[49]] ^ T7[b[57]],
            T0[b[2]] ^ T1[b[10]] ^ T2[b[18]] ^ T3[b[26]] ^ T4[b[34]] ^ T5[b[42]] ^ T6[b[50]] ^ T7[b[58]],
            T0[b[3]] ^ T1[b[11]] ^ T2[b[19]] ^ T3[b[27]] ^ T4[b[35]] ^ T5[b[43]] ^ T6[b[51]] ^ T7[b[59]],
            T0[b[4]] ^ T1[b[12]] ^ T2[b[20]] ^ T3[b[28]] ^ T4[b[36]] ^ T5[b[44]] ^ T6[b[52]] ^ T7[b[60]],
            T0[b[5]] ^ T1[b[13]] ^ T2[b[21]] ^ T3[b[29]] ^ T4[b[37]] ^ T5[b[45]] ^ T6[b[53]] ^ T7[b[61]],
            T0[b[6]] ^ T1[b[14]] ^ T2[b[22]] ^ T3[b[30]] ^ T4[b[38]] ^ T5[b[46]] ^ T6[b[54]] ^ T7[b[62]],
            T0[b[7]] ^ T1[b[15]] ^ T2[b[23]] ^ T3[b[31]] ^ T4[b[39]] ^ T5[b[47]] ^ T6[b[55]] ^ T7[b[63]],
        ),
        "little",
    )


def _g(h: int, n: int, m: int) -> int:
    """The compression function g_N(h, m)."""
    k = _lps(h ^ n)
    s = k ^ m
    for c in _C:
        s = _lps(s)
        k = _lps(k ^ c)
        s ^= k
    return s ^ h ^ m


def py_digest(data: bytes, bits: int = 256) -> bytes:
    """Streebog in pure Python (always available)."""
    data = bytes(data)
    h = _IV256 if bits == 256 else 0
    n = sigma = 0
    full = len(data) // 64 * 64
    for off in range(0, full, 64):
        m = int.from_bytes(data[off : off + 64], "little")
        h = _g(h, n, m)
        n = (n + 512) & _MASK512
        sigma = (sigma + m) & _MASK512
    rest = data[full:]
    m = int.from_bytes(rest + b"\x01" + bytes(63 - len(rest)), "little")
    h = _g(h, n, m)
    n = (n + 8 * len(rest)) & _MASK512
    sigma = (sigma + m) & _MASK512
    h = _g(_g(h, 0, n), 0, sigma)
    return h.to_bytes(64, "little")[64 - bits // 8 :]


# --- OpenSSL ---------------------------------------------------------------


def _ossl_ok() -> bool:
    try:
        return hashlib.new(_OSSL_NAMES[256], _M1).hexdigest() == _M1_256
    except (ValueError, TypeError):
        return False


def _load_gostprov() -> None:
    """Load default + gostprov into the libcrypto that _hashlib links."""
    import _hashlib  # noqa: F401  (makes sure libcrypto is mapped)

    path = None
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                if "libcrypto.so" in line:
                    path = line.split()[-1]
                    break
    except OSError:
        return
    if not path:
        return
    try:
        lib = ctypes.CDLL(path)
        load = lib.OSSL_PROVIDER_load
    except (OSError, AttributeError):
        return
    load.restype = ctypes.c_void_p
    load.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    if load(None, b"default"):  # keep the default algorithms available
        load(None, b"gostprov")


def _pick_backend() -> str:
    wanted = os.environ.get("OZSP_STREEBOG", "auto").lower()
    if wanted == "python":
        return "python"
    if not _ossl_ok():
        _load_gostprov()
    if _ossl_ok():
        return "openssl"
    if wanted == "openssl":
        raise RuntimeError("OZSP_STREEBOG=openssl but the gostprov provider is unavailable")
    return "python"


_BACKEND = _pick_backend()


def backend() -> str:
    """The active backend: "openssl" or "python"."""
    return _BACKEND


if _BACKEND == "openssl":
    _new = hashlib.new

    def digest(data: bytes, bits: int = 256) -> bytes:
        """Streebog-256 or -512 of data."""
        return _new(_OSSL_NAMES[bits], data).digest()
else:

    def digest(data: bytes, bits: int = 256) -> bytes:
        """Streebog-256 or -512 of data."""
        if bits not in (256, 512):
            raise ValueError("bits must be 256 or 512")
        return py_digest(data, bits)


def streebog256(data: bytes) -> bytes:
    return digest(data, 256)


def streebog512(data: bytes) -> bytes:
    return digest(data, 512)
