"""GOST R 34.10-2012 curve parameter sets keyed by OID.

Constants come from gostcrypto (R 1323565.1.024-2019 sets, all given in
short Weierstrass form y^2 = x^3 + a*x + b). CryptoPro OIDs map onto the
equal TC26 sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gostcrypto.gostsignature import CURVES_R_1323565_1_024_2019 as _SETS

from .errors import UnsupportedAlgorithm


@dataclass(frozen=True, eq=False)
class Curve:
    name: str
    p: int
    a: int
    b: int
    q: int  # order of the base point subgroup
    x: int  # base point
    y: int
    m: int = 0  # group order (q * cofactor); 0 = same as q
    oids: tuple = field(default=())

    @property
    def bits(self) -> int:
        """256 or 512: the key and digest size."""
        return 512 if self.p.bit_length() > 256 else 256

    @property
    def size(self) -> int:
        """Coordinate / signature half length in bytes."""
        return self.bits // 8

    @property
    def cofactor(self) -> int:
        return (self.m or self.q) // self.q

    def contains(self, x: int, y: int) -> bool:
        """True if (x, y) is an affine point of the curve."""
        p = self.p
        if not (0 <= x < p and 0 <= y < p):
            return False
        return (y * y - (x * x + self.a) * x - self.b) % p == 0

    def __repr__(self) -> str:
        return f"Curve({self.name})"


def _from_gostcrypto(name: str, key: str, oids: tuple) -> Curve:
    c = _SETS[key]
    return Curve(
        name=name, p=c["p"], a=c["a"] % c["p"], b=c["b"] % c["p"], q=c["q"], x=c["x"], y=c["y"], m=c["m"], oids=oids
    )


TC26_256_A = _from_gostcrypto("tc26-256-A", "id-tc26-gost-3410-2012-256-paramSetA", ("1.2.643.7.1.2.1.1.1",))
TC26_256_B = _from_gostcrypto(
    "tc26-256-B",
    "id-tc26-gost-3410-2012-256-paramSetB",
    ("1.2.643.7.1.2.1.1.2", "1.2.643.2.2.35.1", "1.2.643.2.2.36.0"),
)
TC26_256_C = _from_gostcrypto(
    "tc26-256-C", "id-tc26-gost-3410-2012-256-paramSetC", ("1.2.643.7.1.2.1.1.3", "1.2.643.2.2.35.2")
)
TC26_256_D = _from_gostcrypto(
    "tc26-256-D",
    "id-tc26-gost-3410-2012-256-paramSetD",
    ("1.2.643.7.1.2.1.1.4", "1.2.643.2.2.35.3", "1.2.643.2.2.36.1"),
)
TC26_512_A = _from_gostcrypto("tc26-512-A", "id-tc26-gost-3410-12-512-paramSetA", ("1.2.643.7.1.2.1.2.1",))
TC26_512_B = _from_gostcrypto("tc26-512-B", "id-tc26-gost-3410-12-512-paramSetB", ("1.2.643.7.1.2.1.2.2",))
TC26_512_C = _from_gostcrypto("tc26-512-C", "id-tc26-gost-3410-2012-512-paramSetC", ("1.2.643.7.1.2.1.2.3",))

# Friendlier aliases of the CryptoPro names.
CRYPTOPRO_A = TC26_256_B
CRYPTOPRO_B = TC26_256_C
CRYPTOPRO_C = TC26_256_D
CRYPTOPRO_XCH_A = TC26_256_B
CRYPTOPRO_XCH_B = TC26_256_D

ALL_CURVES = (TC26_256_A, TC26_256_B, TC26_256_C, TC26_256_D, TC26_512_A, TC26_512_B, TC26_512_C)

CURVES_BY_OID: dict[str, Curve] = {oid: c for c in ALL_CURVES for oid in c.oids}

# Readable OID names for reports.
OID_NAMES = {
    "1.2.643.7.1.2.1.1.1": "tc26-256-A",
    "1.2.643.7.1.2.1.1.2": "tc26-256-B",
    "1.2.643.7.1.2.1.1.3": "tc26-256-C",
    "1.2.643.7.1.2.1.1.4": "tc26-256-D",
    "1.2.643.2.2.35.1": "CryptoPro-A",
    "1.2.643.2.2.35.2": "CryptoPro-B",
    "1.2.643.2.2.35.3": "CryptoPro-C",
    "1.2.643.2.2.36.0": "CryptoPro-XchA",
    "1.2.643.2.2.36.1": "CryptoPro-XchB",
    "1.2.643.7.1.2.1.2.1": "tc26-512-A",
    "1.2.643.7.1.2.1.2.2": "tc26-512-B",
    "1.2.643.7.1.2.1.2.3": "tc26-512-C",
}


def curve_for_oid(oid: str) -> Curve:
    """The curve of a public-key parameter-set OID."""
    try:
        return CURVES_BY_OID[oid]
    except KeyError:
        raise UnsupportedAlgorithm("unknown GOST parameter set") from None
