"""GOST R 34.10-2012 sign / verify, written from the standard's math.

Points are Jacobian (X, Y, Z) with x = X/Z^2, y = Y/Z^3; None is infinity.
The base point (and any key asked to ``precompute``) gets a signed
fixed-window table, so k*P costs only additions; other keys use wNAF.

Byte order as in X.509/CMS: keys X||Y little-endian, digests read
little-endian, signatures s||r big-endian.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import cast

from .curves import Curve
from .errors import Malformed

Jacobian = tuple[int, int, int]
Point = Jacobian | None  # None: infinity
Affine = tuple[int, int]

_FIXED_W = 7  # fixed-base window bits
_WNAF_W = 5  # variable-base wNAF width


# --- field / group arithmetic -------------------------------------------


def _dbl(P: Point, p: int, a: int) -> Point:
    """2P in Jacobian coordinates (a is a mod p; a == p-3 takes the short path)."""
    if P is None:
        return None
    X, Y, Z = P
    if not Y:
        return None
    yy = Y * Y % p
    zz = Z * Z % p
    s = 4 * X * yy % p
    if a == p - 3:
        m = 3 * (X - zz) * (X + zz) % p
    else:
        m = (3 * X * X + a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    return x3, (m * (s - x3) - 8 * yy * yy) % p, 2 * Y * Z % p


def _madd(P: Point, x2: int, y2: int, p: int, a: int) -> Point:
    """P + (x2, y2) with the second point affine."""
    if P is None:
        return x2, y2, 1
    X, Y, Z = P
    zz = Z * Z % p
    h = (x2 * zz - X) % p
    r = (y2 * zz * Z - Y) % p
    if not h:
        return _dbl(P, p, a) if not r else None
    hh = h * h % p
    hhh = h * hh % p
    v = X * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    return x3, (r * (v - x3) - Y * hhh) % p, Z * h % p


def _add(P: Point, Q: Point, p: int, a: int) -> Point:
    """P + Q, both Jacobian."""
    if P is None:
        return Q
    if Q is None:
        return P
    X1, Y1, Z1 = P
    X2, Y2, Z2 = Q
    z1z1 = Z1 * Z1 % p
    z2z2 = Z2 * Z2 % p
    u1 = X1 * z2z2 % p
    s1 = Y1 * z2z2 * Z2 % p
    h = (X2 * z1z1 - u1) % p
    r = (Y2 * z1z1 * Z1 - s1) % p
    if not h:
        return _dbl(P, p, a) if not r else None
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    return x3, (r * (v - x3) - s1 * hhh) % p, Z1 * Z2 * h % p


def _to_affine_many(points: list[Jacobian], p: int) -> list[Affine]:
    """Affine forms of non-infinite Jacobian points with one inversion."""
    acc = [1] * len(points)
    run = 1
    for i, (_, _, z) in enumerate(points):
        acc[i] = run
        run = run * z % p
    inv = pow(run, -1, p)
    out: list[Affine] = [(0, 0)] * len(points)
    for i in range(len(points) - 1, -1, -1):
        x, y, z = points[i]
        zi = inv * acc[i] % p
        inv = inv * z % p
        zi2 = zi * zi % p
        out[i] = (x * zi2 % p, y * zi2 * zi % p)
    return out


def _affine(P: Jacobian, p: int) -> Affine:
    X, Y, Z = P
    zi = pow(Z, -1, p)
    zi2 = zi * zi % p
    return X * zi2 % p, Y * zi2 * zi % p


# --- scalar multiplication ----------------------------------------------


class _FixedTable:
    """Signed fixed-window table: rows[i][j-1] = j * 2^(w*i) * P, affine."""

    def __init__(self, curve: Curve, x: int, y: int, w: int = _FIXED_W):
        p, a = curve.p, curve.a
        self.w = w
        half = 1 << (w - 1)
        nwin = curve.q.bit_length() // w + 2
        jac: list[Jacobian] = []
        base: Jacobian = (x, y, 1)
        for _ in range(nwin):
            row = [base]
            for _ in range(half - 1):  # multiples of a point of large order: never infinity
                row.append(cast(Jacobian, _add(row[-1], base, p, a)))
            jac.extend(row)
            base = cast(Jacobian, _dbl(row[-1], p, a))  # 2^w * previous base
        flat = _to_affine_many(jac, p)
        self.rows = [flat[i * half : (i + 1) * half] for i in range(nwin)]

    def mul(self, k: int, curve: Curve) -> Point:
        """k * P (Jacobian), k >= 0."""
        p, a, w = curve.p, curve.a, self.w
        mask, full, half = (1 << w) - 1, 1 << w, 1 << (w - 1)
        acc: Point = None
        for row in self.rows:
            if not k:
                break
            d = k & mask
            k >>= w
            if d > half:
                d -= full
                k += 1
            if d > 0:
                x, y = row[d - 1]
                acc = _madd(acc, x, y, p, a)
            elif d < 0:
                x, y = row[-d - 1]
                acc = _madd(acc, x, p - y, p, a)
        return acc


def _wnaf(k: int, w: int) -> list[int]:
    """Width-w NAF digits, least significant first."""
    out = []
    full, half = 1 << w, 1 << (w - 1)
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        out.append(d)
        k >>= 1
    return out


def _var_mul(curve: Curve, x: int, y: int, k: int) -> Point:
    """k * (x, y) by wNAF with affine odd multiples."""
    p, a = curve.p, curve.a
    base: Jacobian = (x, y, 1)
    two = _dbl(base, p, a)
    odd = [base]
    for _ in range((1 << (_WNAF_W - 2)) - 1):  # no infinity: keys of small order are refused
        odd.append(cast(Jacobian, _add(odd[-1], two, p, a)))
    table = _to_affine_many(odd, p)
    acc: Point = None
    for d in reversed(_wnaf(k, _WNAF_W)):
        acc = _dbl(acc, p, a)
        if d > 0:
            ox, oy = table[d >> 1]
            acc = _madd(acc, ox, oy, p, a)
        elif d < 0:
            ox, oy = table[(-d) >> 1]
            acc = _madd(acc, ox, p - oy, p, a)
    return acc


def _has_small_order(curve: Curve, x: int, y: int) -> bool:
    """True if the point's order divides the cofactor (1, 2 or 4 here)."""
    P: Point = (x, y, 1)
    for _ in range(curve.cofactor.bit_length() - 1):
        P = _dbl(P, curve.p, curve.a)
    return P is None


_BASE_TABLES: dict[str, _FixedTable] = {}


def _base_table(curve: Curve) -> _FixedTable:
    t = _BASE_TABLES.get(curve.name)
    if t is None:
        t = _BASE_TABLES[curve.name] = _FixedTable(curve, curve.x, curve.y)
    return t


def base_mul(curve: Curve, k: int) -> Affine | None:
    """k * G as affine (x, y), or None for infinity."""
    P = _base_table(curve).mul(k % curve.q, curve)
    return None if P is None else _affine(P, curve.p)


def digest_to_e(curve: Curve, digest: bytes) -> int:
    """The integer e of the standard from a Streebog digest (little-endian)."""
    e = int.from_bytes(digest, "little") % curve.q
    return e or 1


# --- keys ----------------------------------------------------------------


class PublicKey:
    """A validated GOST public key."""

    __slots__ = ("curve", "x", "y", "_table")

    def __init__(self, curve: Curve, x: int, y: int):
        if not curve.contains(x, y):
            raise Malformed("public key is not on its curve")
        if curve.cofactor > 1 and _has_small_order(curve, x, y):
            raise Malformed("public key has a small order")
        self.curve, self.x, self.y = curve, x, y
        self._table: _FixedTable | None = None

    @classmethod
    def from_le_bytes(cls, curve: Curve, raw: bytes) -> PublicKey:
        """Parse X||Y little-endian as stored in an X.509 SPKI."""
        n = curve.size
        if len(raw) != 2 * n:
            raise Malformed("public key has the wrong length")
        return cls(curve, int.from_bytes(raw[:n], "little"), int.from_bytes(raw[n:], "little"))

    def to_le_bytes(self) -> bytes:
        n = self.curve.size
        return self.x.to_bytes(n, "little") + self.y.to_bytes(n, "little")

    def precompute(self) -> PublicKey:
        """Build a fixed-base table (worth it for CA keys used many times)."""
        if self._table is None:
            self._table = _FixedTable(self.curve, self.x, self.y)
        return self

    def _mul(self, k: int) -> Point:
        if self._table is not None:
            return self._table.mul(k, self.curve)
        return _var_mul(self.curve, self.x, self.y, k)

    def verify_rs(self, e: int, r: int, s: int) -> bool:
        """The verification equation with e already reduced (non-zero)."""
        c = self.curve
        q = c.q
        if not (0 < r < q and 0 < s < q):
            return False
        e %= q
        v = pow(e or 1, -1, q)
        z1 = s * v % q
        z2 = (q - r) * v % q
        P = _add(_base_table(c).mul(z1, c), self._mul(z2), c.p, c.a)
        if P is None:
            return False
        return _affine(P, c.p)[0] % q == r

    def verify(self, digest: bytes, signature: bytes) -> bool:
        """Check a CMS/X.509 signature (s||r big-endian) over a Streebog digest."""
        n = self.curve.size
        if len(signature) != 2 * n or len(digest) != n:
            return False
        s = int.from_bytes(signature[:n], "big")
        r = int.from_bytes(signature[n:], "big")
        return self.verify_rs(digest_to_e(self.curve, digest), r, s)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and self.curve is other.curve and self.x == other.x and self.y == other.y

    def __hash__(self) -> int:
        return hash((self.curve.name, self.x, self.y))


class PrivateKey:
    """A GOST private key d, for tests and the dev stand-in only (not constant-time)."""

    __slots__ = ("curve", "d", "_public")

    def __init__(self, curve: Curve, d: int):
        if not 0 < d < curve.q:
            raise ValueError("private key out of range")
        self.curve, self.d = curve, d
        self._public: PublicKey | None = None

    @classmethod
    def from_seed(cls, curve: Curve, seed: bytes) -> PrivateKey:
        """Derive a key deterministically from seed bytes."""
        d = _expand(seed, b"gost-key", curve.q)
        return cls(curve, d)

    @property
    def public_key(self) -> PublicKey:
        if self._public is None:
            x, y = cast(Affine, base_mul(self.curve, self.d))  # 0 < d < q: never infinity
            self._public = PublicKey(self.curve, x, y)
        return self._public

    def to_le_bytes(self) -> bytes:
        return self.d.to_bytes(self.curve.size, "little")

    def sign_rs(self, e: int, k: int | None = None) -> tuple[int, int]:
        """(r, s) for e; k defaults to a deterministic nonce."""
        c = self.curve
        q = c.q
        e = e % q or 1
        counter = 0
        while True:
            kk = (
                k
                if k is not None
                else _expand(
                    self.d.to_bytes(c.size, "big") + e.to_bytes(c.size, "big"), b"gost-nonce" + bytes([counter]), q
                )
            )
            counter += 1
            point = base_mul(c, kk)
            r = point[0] % q if point else 0
            s = (r * self.d + kk * e) % q
            if r and s:
                return r, s
            if k is not None:
                raise ValueError("bad nonce")

    def sign(self, digest: bytes, k: int | None = None) -> bytes:
        """Sign a Streebog digest; returns s||r big-endian (CMS/X.509 form)."""
        r, s = self.sign_rs(digest_to_e(self.curve, digest), k)
        n = self.curve.size
        return s.to_bytes(n, "big") + r.to_bytes(n, "big")


def _expand(seed: bytes, label: bytes, q: int) -> int:
    """A non-zero integer below q derived from seed (HMAC-SHA512 stream)."""
    n = 0
    while True:
        block = b"".join(hmac.new(seed, label + bytes([n, i]), hashlib.sha512).digest() for i in range(2))
        v = int.from_bytes(block, "big") % q
        if v:
            return v
        n += 1
