"""DKIM in the tests: the dev key (services/certmail/devkey) signs letters of mo.example.test, the domain of the
tests' users, as their mail server would; a key of attacker.example.test, a domain an attacker owns, signs forged
letters. Both are published in a DNS file the test stacks read (DKIM_DNS_FILE, dev mode). A trusted MTA
(Authentication-Results) hands letters in from 127.0.0.2."""

import os
from pathlib import Path

from services.certmail import dkimdns

ATTACKER_KEY = (Path(__file__).resolve().parent / "keys" / "dkim-attacker.pem").read_bytes()
ATTACKER_SELECTOR, ATTACKER_DOMAIN = "evil", "attacker.example.test"
MTA_AUTHSERV_ID, MTA_ADDRESS = "mx.ozsp.test", "127.0.0.2"


def write_dns_file(path):
    """The DKIM DNS file of a test stack; returns its path."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(dkimdns.DEV_KEY, "rb") as f:
        dev = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(dkimdns.record_line(dkimdns.DEV_SELECTOR, dkimdns.DEV_DOMAIN, dev) + "\n")
        f.write(dkimdns.record_line(ATTACKER_SELECTOR, ATTACKER_DOMAIN, ATTACKER_KEY) + "\n")
    return path


def as_bytes(msg):
    """An EmailMessage as the bytes that go over SMTP (CRLF line ends), which is what a signature covers."""
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def sign(raw, attacker=False):
    """raw signed with the dev key of mo.example.test, or with the attacker's key of attacker.example.test."""
    if attacker:
        return dkimdns.sign(raw, ATTACKER_KEY, ATTACKER_SELECTOR, ATTACKER_DOMAIN)
    return dkimdns.sign(raw)
