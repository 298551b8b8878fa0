"""The CryptoPro plug-in stand-in of the browser tests (cadesplugin_standin.js, injected before the page's
scripts): what a workstation's token holds, how its PIN dialog ends, and the Python test signer behind
CadesSignedData.SignCades, so the server's production verification checks what the page sent."""

import base64
import hashlib
import json
import os

from asn1crypto import cms

from shared.gost import oids

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cadesplugin_standin.js")
CANCELLED = "Действие было отменено пользователем. (0x8010006E)"  # SCARD_W_CANCELLED_BY_USER: PIN dialog closed
VERSIONS = {"plugin": "2.0.15400", "csp": "5.0.12998", "extension": "1.2.13"}
# CAPICOM_CERTIFICATE_INCLUDE_* (CPSigner.Options)
CHAIN_EXCEPT_ROOT, WHOLE_CHAIN, END_ENTITY_ONLY = 0, 1, 2
CADES_BES = 1  # CADESCOM_CADES_BES; PKCS7_TYPE (0xFFFF) signs without signingCertificateV2
# Name keys as CSP 5.0 shows the Russian attributes (CSP 4.0 writes OID.1.2.643.100.3=...).
_KEYS = {
    **oids.NAME_KEYS,
    oids.SNILS: "СНИЛС",
    oids.INN: "ИНН",
    oids.OGRN: "ОГРН",
    oids.OGRNIP: "ОГРНИП",
    oids.INNLE: "ИНН ЮЛ",
}


def windows_name(name):
    """A DistinguishedName as CAPICOM's SubjectName/IssuerName: 'CN=..., SN=..., C=RU', quoted where needed."""
    parts = []
    for oid, value in reversed(name.attrs):
        if any(ch in value for ch in ',+="\n<>#;') or value != value.strip():
            value = '"' + value.replace('"', '""') + '"'
        parts.append(f"{_KEYS.get(oid, 'OID.' + oid)}={value}")
    return ", ".join(parts)


def _iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _chain(holder):
    """The CAs above holder, nearest first, the root last."""
    cas, ca = [], holder.issuer
    while True:
        cas.append(ca)
        if ca.issuer is ca:
            return cas
        ca = ca.issuer


class Token:
    """The certificates in the user's "My" store (holders: testpki TestUsers; those in without_key have no
    private key container) and how the PIN dialog ends: pin="entered" or "cancel"."""

    __test__ = False

    def __init__(self, *holders, without_key=(), pin="entered"):
        self.holders = list(holders) + list(without_key)
        self.keyless = {h.cert.thumbprint for h in without_key}
        self.pin = pin
        self.events = []  # stores opened and closed, in order
        self.signed = []  # what SignCades was asked to sign: {thumbprint, content, type, detached, include}

    def config(self, binding, journal):
        certs = [
            {
                "der": base64.b64encode(h.cert.der).decode(),
                "thumbprint": h.cert.thumbprint,
                "serial": h.cert.serial_hex,
                "subject": windows_name(h.cert.subject),
                "issuer": windows_name(h.cert.issuer),
                "validFrom": _iso(h.cert.not_before),
                "validTo": _iso(h.cert.not_after),
                "key": h.cert.thumbprint not in self.keyless,
            }
            for h in self.holders
        ]
        return {"certificates": certs, "binding": binding, "journal": journal, "versions": VERSIONS}

    def install(self, page, binding="ozspPluginSign", journal="ozspPluginJournal"):
        """Before page.goto: the stand-in on every page this Playwright page loads."""
        page.expose_function(binding, self._sign)
        page.expose_function(journal, self._record)
        with open(SCRIPT, encoding="utf-8") as f:
            script = f.read()
        page.add_init_script(script=script.replace("__OZSP_PLUGIN_CONFIG__", json.dumps(self.config(binding, journal))))

    def open_stores(self, page=None):
        """Stores the page opened and has not closed; with page, after waiting up to a second for the Close calls
        under way (the plug-in answers later, and the binding's calls arrive while Playwright waits)."""
        for _ in range(10 if page else 0):
            if not self.open_stores():
                break
            page.wait_for_timeout(100)
        opened = set()
        for event in self.events:
            (opened.add if event["op"] == "open" else opened.discard)(event["store"])
        return opened

    def _record(self, event):
        self.events.append(event)

    def _sign(self, thumbprint, content_b64, options):
        """The key container behind the certificate: the PIN dialog, then the project's test signer."""
        holder = next(h for h in self.holders if h.cert.thumbprint == thumbprint)
        content = base64.b64decode(content_b64)
        self.signed.append({"thumbprint": thumbprint, "content": content, **options})
        if self.pin == "cancel":
            return {"error": CANCELLED}
        cas = _chain(holder)
        extra = {END_ENTITY_ONLY: [], CHAIN_EXCEPT_ROOT: cas[:-1], WHOLE_CHAIN: cas}[options["include"]]
        p7s = holder.sign_challenge(
            content,
            detached=options["detached"],
            extra_certs=[ca.cert for ca in extra],
            signing_cert_v2=options["type"] == CADES_BES,
        )
        return {"signature": base64.b64encode(p7s).decode()}


def signature_shape(signature_b64):
    """What a CMS carries: {detached, certificates (their thumbprints), signed attribute OIDs}."""
    signed = cms.ContentInfo.load(base64.b64decode(signature_b64))["content"]
    info = signed["signer_infos"][0]
    return {
        "detached": signed["encap_content_info"]["content"].native is None,
        "certificates": [hashlib.sha1(c.chosen.dump()).hexdigest().upper() for c in signed["certificates"]],
        "signed_attributes": sorted(a["type"].dotted for a in info["signed_attrs"]),
    }
