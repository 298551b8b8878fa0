"""What the security tests attack with: HTTP clients from other loopback addresses (each address has its own login
limit), signatures forged with a victim's public certificate, a CMS stuffed with signed attributes, a login as a
given test user."""

import base64
from datetime import UTC, datetime

import requests
from asn1crypto import cms, core, x509
from requests.adapters import HTTPAdapter

from shared.gost import oids, streebog
from shared.gost.testpki import _attr, _time, signing_certificate_v2


class _From(HTTPAdapter):
    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def client(address="127.0.0.1"):
    """A requests.Session whose connections come from this loopback address (127.0.0.0/8 all reach 127.0.0.1)."""
    session = requests.Session()
    session.mount("http://", _From(address))
    return session


def csrf_header(session, stack):
    session.get(stack.base_url + "/login", timeout=30).raise_for_status()
    return {"X-CSRF-Token": session.cookies.get("ozsp_csrf")}


def login_attempt(stack, session, sign):
    """challenge, sign(challenge bytes) -> CMS, POST /login; -> the /login response (or the refused challenge's).
    The session's first attempt fetches the CSRF cookie of the login page (later ones reuse it until one succeeds)."""
    headers = session.__dict__.setdefault("login_csrf", None) or csrf_header(session, stack)
    session.login_csrf = headers
    issued = session.post(stack.base_url + "/login/challenge", json={}, headers=headers, timeout=30)
    if issued.status_code != 200:
        return issued
    challenge = issued.json()
    signature = base64.b64encode(sign(challenge["challenge"].encode())).decode()
    answer = session.post(
        stack.base_url + "/login",
        json={"challenge_id": challenge["id"], "signature": signature},
        headers=headers,
        timeout=30,
    )
    if answer.status_code == 200:
        session.login_csrf = None  # signed in: the cookie now holds the user's token
    return answer


def forged(victim):
    """A sign function: a CAdES-BES carrying the victim's public certificate (what anyone may hold) with a signature
    the attacker made up; it is refused as «Электронная подпись не прошла проверку»."""
    bogus = bytes(range(64))
    return lambda challenge: build_cms(victim.cert, challenge, lambda digest: bogus)


def stuffed_cms(user, challenge, attributes=0, blob=0):
    """A well-formed CAdES-BES by user over challenge whose signed attributes hold `attributes` extra small entries
    and one octet string of `blob` bytes (what froze the gateway for 49 s at 20 MB)."""
    return build_cms(user.cert, challenge, user.key.sign, attributes, blob)


def build_cms(cert, challenge, sign, attributes=0, blob=0):
    """CAdES-BES SignedData (DER) as the plug-in makes it, with extra signed attributes; sign(digest) -> bytes."""
    bits = cert.key_bits
    attrs = [
        _attr(oids.ATTR_CONTENT_TYPE, core.ObjectIdentifier(oids.DATA)),
        _attr(oids.ATTR_MESSAGE_DIGEST, core.OctetString(streebog.digest(challenge, bits))),
        _attr(oids.ATTR_SIGNING_TIME, _time(datetime.now(UTC))),
        _attr(oids.ATTR_SIGNING_CERT_V2, signing_certificate_v2(cert, bits)),
    ]
    attrs += [_attr(f"1.2.643.999.{i}", core.OctetString(b"x" * 8)) for i in range(attributes)]
    if blob:
        attrs.append(_attr("1.2.643.999.0.1", core.OctetString(b"y" * blob)))
    signed_attrs = core.SetOf(contents=b"".join(sorted(attrs))).dump()
    signer = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": x509.Name.load(cert.issuer.der), "serial_number": cert.serial},
            ),
            "digest_algorithm": {"algorithm": oids.DIGEST_OID[bits]},
            "signed_attrs": cms.CMSAttributes.load(signed_attrs),
            "signature_algorithm": {"algorithm": oids.KEY_OID[bits]},
            "signature": sign(streebog.digest(signed_attrs, bits)),
        }
    )
    signed = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": oids.DIGEST_OID[bits]}],
            "encap_content_info": {"content_type": "data", "content": None},
            "certificates": [x509.Certificate.load(cert.der)],
            "signer_infos": [signer],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
