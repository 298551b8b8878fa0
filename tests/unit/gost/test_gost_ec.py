import os

import pytest
from gostcrypto.gostsignature import CURVES_R_1323565_1_024_2019 as GC
from gostcrypto.gostsignature import MODE_256, MODE_512, new

from shared.gost import curves, ec
from shared.gost.curves import Curve
from shared.gost.errors import Malformed, UnsupportedAlgorithm

# RFC 7091 section 7, example 1 (256-bit test curve).
EX1 = Curve(
    "rfc7091-ex1",
    p=0x8000000000000000000000000000000000000000000000000000000000000431,
    a=7,
    b=0x5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E,
    q=0x8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3,
    x=2,
    y=0x08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8,
)
EX1_D = 0x7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28
EX1_QX = 0x7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B
EX1_QY = 0x26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA
EX1_E = 0x2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5
EX1_K = 0x77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3
EX1_R = 0x41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493
EX1_S = 0x01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40

# RFC 7091 section 7, example 2 (512-bit test curve).
EX2 = Curve(
    "rfc7091-ex2",
    p=int(
        "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D"
        "F1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373",
        16,
    ),
    a=7,
    b=int(
        "1CFF0806A31116DA29D8CFA54E57EB748BC5F377E49400FDD788B649ECA1AC43"
        "61834013B2AD7322480A89CA58E0CF74BC9E540C2ADD6897FAD0A3084F302ADC",
        16,
    ),
    q=int(
        "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D"
        "A82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF",
        16,
    ),
    x=int(
        "24D19CC64572EE30F396BF6EBBFD7A6C5213B3B3D7057CC825F91093A68CD762"
        "FD60611262CD838DC6B60AA7EEE804E28BC849977FAC33B4B530F1B120248A9A",
        16,
    ),
    y=int(
        "2BB312A43BD2CE6E0D020613C857ACDDCFBF061E91E5F2C3F32447C259F39B2C"
        "83AB156D77F1496BF7EB3351E1EE4E43DC1A18B91B24640B6DBB92CB1ADD371E",
        16,
    ),
)
EX2_D = int(
    "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B1020"
    "72E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
    16,
)
EX2_QX = int(
    "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD"
    "5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1",
    16,
)
EX2_QY = int(
    "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61"
    "EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC",
    16,
)
EX2_E = int(
    "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591"
    "7184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
    16,
)
EX2_K = int(
    "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F3658"
    "86748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
    16,
)
EX2_R = int(
    "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3"
    "5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
    16,
)
EX2_S = int(
    "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5"
    "823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
    16,
)

RFC_EXAMPLES = [
    (EX1, EX1_D, EX1_QX, EX1_QY, EX1_E, EX1_K, EX1_R, EX1_S),
    (EX2, EX2_D, EX2_QX, EX2_QY, EX2_E, EX2_K, EX2_R, EX2_S),
]


@pytest.mark.parametrize("curve,d,qx,qy,e,k,r,s", RFC_EXAMPLES, ids=["ex1-256", "ex2-512"])
def test_rfc7091_examples(curve, d, qx, qy, e, k, r, s):
    key = ec.PrivateKey(curve, d)
    assert (key.public_key.x, key.public_key.y) == (qx, qy)
    assert key.sign_rs(e, k) == (r, s)
    pub = ec.PublicKey(curve, qx, qy)
    assert pub.verify_rs(e, r, s)
    assert not pub.verify_rs(e + 1, r, s)
    assert not pub.verify_rs(e, r, s ^ 1)
    assert pub.precompute().verify_rs(e, r, s)


@pytest.mark.parametrize("curve", curves.ALL_CURVES, ids=lambda c: c.name)
def test_curve_constants(curve):
    assert curve.contains(curve.x, curve.y)
    assert ec._var_mul(curve, curve.x, curve.y, curve.q) is None  # G has order q
    assert curve.bits == (512 if "512" in curve.name else 256)


def test_all_param_set_oids_map():
    assert len(curves.CURVES_BY_OID) == 12
    assert curves.curve_for_oid("1.2.643.2.2.35.1") is curves.curve_for_oid("1.2.643.7.1.2.1.1.2")
    assert curves.curve_for_oid("1.2.643.2.2.36.0") is curves.CRYPTOPRO_A
    assert curves.curve_for_oid("1.2.643.2.2.35.2") is curves.TC26_256_C
    assert curves.curve_for_oid("1.2.643.2.2.35.3") is curves.TC26_256_D
    assert curves.curve_for_oid("1.2.643.2.2.36.1") is curves.TC26_256_D
    with pytest.raises(UnsupportedAlgorithm):
        curves.curve_for_oid("1.2.643.2.2.35.0")


def _gostcrypto(curve):
    name = next(n for n, v in GC.items() if v["p"] == curve.p and v["q"] == curve.q)
    return new(MODE_512 if curve.bits == 512 else MODE_256, GC[name])


@pytest.mark.parametrize("curve", curves.ALL_CURVES, ids=lambda c: c.name)
def test_cross_check_with_gostcrypto(curve):
    n = curve.size
    key = ec.PrivateKey.from_seed(curve, b"cross-" + curve.name.encode())
    pub = key.public_key
    ref = _gostcrypto(curve)
    pub_be = pub.x.to_bytes(n, "big") + pub.y.to_bytes(n, "big")
    assert bytes(ref.public_key_generate(key.d.to_bytes(n, "big"))) == pub_be
    digest = os.urandom(n)
    sig = key.sign(digest)  # s||r; gostcrypto wants r||s and a big-endian digest
    assert ref.verify(pub_be, bytearray(digest[::-1]), bytearray(sig[n:] + sig[:n]))
    theirs = bytes(ref.sign(bytearray(key.d.to_bytes(n, "big")), bytearray(digest[::-1])))
    assert pub.verify(digest, theirs[n:] + theirs[:n])


@pytest.mark.parametrize("curve", curves.ALL_CURVES, ids=lambda c: c.name)
def test_sign_verify_and_tamper(curve):
    key = ec.PrivateKey.from_seed(curve, b"tamper")
    digest = os.urandom(curve.size)
    sig = key.sign(digest)
    pub = key.public_key
    assert pub.verify(digest, sig)
    assert not pub.verify(digest, bytes([sig[0] ^ 0x80]) + sig[1:])
    assert not pub.verify(bytes([digest[0] ^ 1]) + digest[1:], sig)
    n = curve.size
    assert not pub.verify(digest, sig[n:] + sig[:n])  # r||s is the wrong order
    assert not pub.verify(digest, sig[:-1])
    assert not pub.verify(digest, bytes(2 * n))
    assert not pub.verify(digest, b"\xff" * (2 * n))  # r, s >= q


def test_deterministic_signatures_and_keys():
    c = curves.CRYPTOPRO_A
    a = ec.PrivateKey.from_seed(c, b"seed")
    b = ec.PrivateKey.from_seed(c, b"seed")
    assert a.d == b.d
    assert a.sign(b"\x01" * 32) == b.sign(b"\x01" * 32)
    assert a.sign(b"\x01" * 32) != a.sign(b"\x02" * 32)


def test_public_key_must_be_on_curve():
    c = curves.CRYPTOPRO_A
    with pytest.raises(Malformed):
        ec.PublicKey(c, c.x, c.y + 1)
    with pytest.raises(Malformed):
        ec.PublicKey(c, c.p + c.x, c.y)
    with pytest.raises(Malformed):
        ec.PublicKey.from_le_bytes(c, b"\x00" * 63)


def test_le_bytes_roundtrip():
    c = curves.TC26_512_B
    pub = ec.PrivateKey.from_seed(c, b"rt").public_key
    assert ec.PublicKey.from_le_bytes(c, pub.to_le_bytes()) == pub
    assert ec.digest_to_e(c, bytes(64)) == 1  # e = 0 is replaced by 1


@pytest.mark.parametrize("curve", [c for c in curves.ALL_CURVES if c.cofactor > 1], ids=lambda c: c.name)
def test_small_order_keys_are_refused(curve):
    p = curve.p
    assert p % 4 == 3
    x = 5
    while True:  # a random curve point, then q * it has order dividing the cofactor
        rhs = (x * x * x + curve.a * x + curve.b) % p
        y = pow(rhs, (p + 1) // 4, p)
        if y * y % p == rhs:
            small = ec._var_mul(curve, x, y, curve.q)
            if small is not None:
                break
        x += 1
    sx, sy = ec._affine(small, p)
    assert curve.contains(sx, sy)
    with pytest.raises(Malformed):
        ec.PublicKey(curve, sx, sy)
