"""Cross-checks with OpenSSL + gost-engine (Debian libengine-gost-openssl).

Skipped, with the reason shown, when the openssl CLI or the engine is absent; under CI a failure
(tests/support.py require).
"""

import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from shared.gost import TrustStore, errors, load_certificate, load_crl, verify_signed_challenge
from shared.gost.testpki import load_private_key
from tests.support import require

from .gost_world import CHALLENGE

CONF = """openssl_conf = openssl_def
[openssl_def]
engines = engine_section
[engine_section]
gost = gost_section
[gost_section]
engine_id = gost
dynamic_path = {engine}
default_algorithms = ALL
"""

CA_CONF = """[ca]
default_ca = tca
[tca]
dir = {dir}
database = {dir}/index.txt
serial = {dir}/serial
crlnumber = {dir}/crlnumber
certificate = {dir}/ca.pem
private_key = {dir}/ca.key
default_md = md_gost12_256
default_crl_days = 3650
[v3_user]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


GOST, INSTALL = "GOST OpenSSL", "apt-get install openssl libengine-gost-openssl"


@pytest.fixture(scope="module")
def ossl(tmp_path_factory):
    """A runner of the openssl CLI with the gost engine loaded."""
    exe = shutil.which("openssl")
    require(exe is not None, GOST, INSTALL, "no openssl CLI")
    out = subprocess.run([exe, "version", "-e"], capture_output=True, text=True).stdout
    m = re.search(r'ENGINESDIR: "([^"]+)"', out)
    engine = os.path.join(m.group(1), "gost.so") if m else ""
    require(os.path.exists(engine), GOST, INSTALL, f"no gost engine at {engine or 'ENGINESDIR'}")
    d = tmp_path_factory.mktemp("ossl")
    conf = d / "openssl.cnf"
    conf.write_text(CONF.format(engine=engine))
    env = {**os.environ, "OPENSSL_CONF": str(conf)}

    def run(*args, check=True):
        res = subprocess.run([exe, *args], cwd=d, env=env, capture_output=True)
        if check and res.returncode:
            raise AssertionError(res.stderr.decode(errors="replace"))
        return res

    made = run("genpkey", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A", check=False)
    require(made.returncode == 0, GOST, INSTALL, "openssl cannot use the gost engine")
    run.dir = d
    return run


# --- OpenSSL verifies what testpki makes ------------------------------------------


@pytest.fixture(scope="module")
def ca_bundle(world, ossl):
    crl = world.ca.crl(revoked=[world.revoked])  # next update far ahead of the real clock
    path = ossl.dir / "ca_crl.pem"
    path.write_text(world.ca.cert.pem + crl.pem)
    return path


@pytest.mark.parametrize("who", ["user", "user_xa", "user_tc26a", "user512", "user512c"])
@pytest.mark.parametrize("detached", [True, False])
def test_openssl_accepts_testpki_cms(world, ossl, ca_bundle, who, detached):
    user = getattr(world, who)
    p7 = ossl.dir / f"{who}-{detached}.p7s"
    p7.write_bytes(user.sign_challenge(CHALLENGE, detached=detached))
    (ossl.dir / "challenge").write_bytes(CHALLENGE)
    args = [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        p7.name,
        "-CAfile",
        ca_bundle.name,
        "-crl_check",
        "-purpose",
        "any",
        "-out",
        "out.bin",
    ]
    if detached:
        args += ["-content", "challenge"]
    ossl(*args)
    assert (ossl.dir / "out.bin").read_bytes() == CHALLENGE


def test_openssl_sees_revocation(world, ossl, ca_bundle):
    (ossl.dir / "revoked.pem").write_text(world.revoked.cert.pem)
    (ossl.dir / "good.pem").write_text(world.user512.cert.pem)
    ossl("verify", "-crl_check", "-CAfile", ca_bundle.name, "good.pem")
    res = ossl("verify", "-crl_check", "-CAfile", ca_bundle.name, "revoked.pem", check=False)
    assert res.returncode != 0
    assert b"revoked" in res.stdout + res.stderr


def test_openssl_reads_exported_key(world, ossl):
    (ossl.dir / "k.pem").write_text(world.user512.key_pem)
    out = ossl("pkey", "-in", "k.pem", "-noout", "-text_pub").stdout.decode()
    x = re.search(r"X:([0-9A-F]+)", out).group(1)
    assert int(x, 16) == world.user512.key.public_key.x


# --- we verify what OpenSSL makes ---------------------------------------------------

SUBJ = (
    "/C=RU/SN=ТЕСТОВ/GN=ТЕСТ ТЕСТОВИЧ/CN=ТЕСТОВ ТЕСТ ТЕСТОВИЧ/1.2.643.100.3=11223344595/1.2.643.3.131.1.1=500000000029"
)


@pytest.fixture(scope="module")
def openssl_pki(ossl):
    d = ossl.dir / "pki"
    d.mkdir()
    (d / "index.txt").write_text("")
    (d / "crlnumber").write_text("01\n")
    (d / "serial").write_text("01\n")
    (d / "ca.cnf").write_text(CA_CONF.format(dir=d))

    def p(name):
        return f"pki/{name}"

    ossl("genpkey", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A", "-out", p("ca.key"))
    ossl(
        "req",
        "-x509",
        "-new",
        "-utf8",
        "-key",
        p("ca.key"),
        "-days",
        "3650",
        "-out",
        p("ca.pem"),
        "-subj",
        "/C=RU/O=Тестовый УЦ OpenSSL/CN=Тестовый УЦ OpenSSL",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    )
    users = {}
    for name, alg, paramset, serial in (
        ("u256", "gost2012_256", "XA", "0x00A1B2C3D4E5F60718"),
        ("u512", "gost2012_512", "A", "0x1234567890"),
        ("urev", "gost2012_256", "B", "0x0777"),
    ):
        key, csr = p(f"{name}.key"), p(f"{name}.csr")
        ossl("genpkey", "-algorithm", alg, "-pkeyopt", f"paramset:{paramset}", "-out", key)
        ossl("req", "-new", "-utf8", "-key", key, "-subj", SUBJ, "-out", csr)
        ossl(
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            p("ca.pem"),
            "-CAkey",
            p("ca.key"),
            "-set_serial",
            serial,
            "-days",
            "365",
            "-extfile",
            p("ca.cnf"),
            "-extensions",
            "v3_user",
            "-out",
            p(f"{name}.pem"),
        )
        users[name] = d / f"{name}.pem"
    ossl("ca", "-config", p("ca.cnf"), "-revoke", p("urev.pem"), "-crl_reason", "keyCompromise")
    ossl("ca", "-config", p("ca.cnf"), "-gencrl", "-out", p("crl.pem"))
    (d / "challenge").write_bytes(CHALLENGE)
    return d, users


def _openssl_sign(ossl, name, md, detach=True, stream=False):
    args = [
        "cms",
        "-sign",
        "-binary",
        "-cades",
        "-md",
        md,
        "-in",
        "pki/challenge",
        "-signer",
        f"pki/{name}.pem",
        "-inkey",
        f"pki/{name}.key",
        "-outform",
        "DER",
        "-out",
        f"pki/{name}.p7s",
    ]
    if not detach:
        args.append("-nodetach")
    if stream:
        args.append("-stream")  # BER, indefinite lengths, chunked content
    ossl(*args)
    return (ossl.dir / "pki" / f"{name}.p7s").read_bytes()


def test_we_parse_openssl_certificates(openssl_pki):
    d, users = openssl_pki
    ca = load_certificate((d / "ca.pem").read_bytes())
    u = load_certificate(users["u256"].read_bytes())
    assert u.snils == "11223344595" and u.inn == "500000000029"
    assert u.cn == "ТЕСТОВ ТЕСТ ТЕСТОВИЧ" and u.given_name == "ТЕСТ ТЕСТОВИЧ"
    assert u.serial_hex == "00A1B2C3D4E5F60718"
    assert u.key_param_oid == "1.2.643.2.2.36.0"
    assert u.is_issued_by(ca) and ca.is_ca
    u512 = load_certificate(users["u512"].read_bytes())
    assert u512.key_bits == 512 and u512.is_issued_by(ca)
    crl = load_crl((d / "crl.pem").read_bytes())
    assert crl.is_issued_by(ca) and crl.is_revoked(0x0777)


@pytest.mark.parametrize(
    "name,md,detach,stream",
    [
        ("u256", "streebog256", True, False),
        ("u256", "streebog256", False, False),
        ("u256", "streebog256", False, True),
        ("u512", "streebog512", True, False),
    ],
)
def test_we_verify_openssl_cms(ossl, openssl_pki, name, md, detach, stream):
    d, users = openssl_pki
    store = TrustStore([(d / "ca.pem").read_bytes()], [(d / "crl.pem").read_bytes()])
    p7 = _openssl_sign(ossl, name, md, detach, stream)
    signer = verify_signed_challenge(p7, CHALLENGE, store)  # real clock: OpenSSL signed just now
    assert signer.snils == "11223344595"
    assert signer.certificate == load_certificate(users[name].read_bytes())
    expected = errors.DigestMismatch if detach else errors.ContentMismatch
    with pytest.raises(expected):
        verify_signed_challenge(p7, CHALLENGE + b"x", store)


def test_we_refuse_openssl_revoked(ossl, openssl_pki):
    d, _ = openssl_pki
    store = TrustStore([(d / "ca.pem").read_bytes()], [(d / "crl.pem").read_bytes()])
    p7 = _openssl_sign(ossl, "urev", "streebog256")
    with pytest.raises(errors.Revoked):
        verify_signed_challenge(p7, CHALLENGE, store)
    later = datetime.now(UTC) + timedelta(days=20 * 365)
    with pytest.raises(errors.GostError):
        verify_signed_challenge(p7, CHALLENGE, store, now=later)


def test_openssl_key_signs_with_our_code(world, ossl, openssl_pki):
    d, users = openssl_pki
    key, _ = load_private_key((d / "u256.key").read_text())
    cert = load_certificate(users["u256"].read_bytes())
    assert key.public_key == cert.public_key
