"""Object identifiers used by the GOST core."""

KEY_256 = "1.2.643.7.1.1.1.1"  # id-tc26-gost3410-12-256
KEY_512 = "1.2.643.7.1.1.1.2"  # id-tc26-gost3410-12-512
SIG_256 = "1.2.643.7.1.1.3.2"  # id-tc26-signwithdigest-gost3410-12-256
SIG_512 = "1.2.643.7.1.1.3.3"  # id-tc26-signwithdigest-gost3410-12-512
DIGEST_256 = "1.2.643.7.1.1.2.2"  # id-tc26-gost3411-12-256
DIGEST_512 = "1.2.643.7.1.1.2.3"  # id-tc26-gost3411-12-512

KEY_BITS = {KEY_256: 256, KEY_512: 512}
KEY_OID = {256: KEY_256, 512: KEY_512}
SIG_BITS = {SIG_256: 256, SIG_512: 512}
SIG_OID = {256: SIG_256, 512: SIG_512}
DIGEST_BITS = {DIGEST_256: 256, DIGEST_512: 512}
DIGEST_OID = {256: DIGEST_256, 512: DIGEST_512}
# What a CMS SignerInfo.signatureAlgorithm may name.
CMS_SIG_BITS = {**KEY_BITS, **SIG_BITS}

# Subject attributes (short key, OID).
SNILS = "1.2.643.100.3"
OGRN = "1.2.643.100.1"
OGRNIP = "1.2.643.100.5"
INN = "1.2.643.3.131.1.1"
INNLE = "1.2.643.100.4"
NAME_KEYS = {
    "2.5.4.3": "CN",
    "2.5.4.4": "SN",
    "2.5.4.42": "G",
    "2.5.4.12": "T",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.8": "S",
    "2.5.4.7": "L",
    "2.5.4.9": "STREET",
    "1.2.840.113549.1.9.1": "E",
    SNILS: "SNILS",
    OGRN: "OGRN",
    OGRNIP: "OGRNIP",
    INN: "INN",
    INNLE: "INNLE",
}
NAME_OIDS = {v: k for k, v in NAME_KEYS.items()}

# X.509 extensions.
EXT_SKI = "2.5.29.14"
EXT_AKI = "2.5.29.35"
EXT_BASIC = "2.5.29.19"
EXT_KEY_USAGE = "2.5.29.15"
EXT_EKU = "2.5.29.37"
EXT_CDP = "2.5.29.31"  # cRLDistributionPoints
EKU_ANY = "2.5.29.37.0"  # anyExtendedKeyUsage
EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"  # id-kp-clientAuth
EXT_CRL_NUMBER = "2.5.29.20"
EXT_CRL_REASON = "2.5.29.21"

# CMS.
DATA = "1.2.840.113549.1.7.1"
SIGNED_DATA = "1.2.840.113549.1.7.2"
ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"
ATTR_SIGNING_CERT = "1.2.840.113549.1.9.16.2.12"
ATTR_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"
SHA1 = "1.3.14.3.2.26"
SHA256 = "2.16.840.1.101.3.4.2.1"
