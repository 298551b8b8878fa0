"""Issue 17 §3: client addresses in the audit and in the gateway's log are keyed hashes (HMAC with SECRET_KEY,
shared.masking.address_tag), not the address and not a plain SHA-256 anyone can recompute."""

import hashlib
import time

import pytest
from sqlalchemy import text

from shared.masking import address_tag
from tests.security.attack import client, login_attempt

pytestmark = pytest.mark.integration

ADDRESS = "127.0.17.13"


def test_login_audit_and_access_log_carry_a_keyed_hash_of_the_address(stack, pki, engine):
    user = pki["users"]["hashed"]
    assert login_attempt(stack, client(ADDRESS), user.sign_challenge).status_code == 200
    tag = address_tag(ADDRESS, stack.env.get("SECRET_KEY") or "dev-secret-change-me")
    with engine.connect() as conn:
        details = conn.execute(
            text("SELECT details FROM audit WHERE action = 'login.ok' AND object_id = :s ORDER BY id DESC LIMIT 1"),
            {"s": user.cert.serial_hex},
        ).scalar_one()
    assert details["address"] == tag and details["verified"] is True
    assert tag[2:] not in hashlib.sha256(ADDRESS.encode()).hexdigest()
    time.sleep(0.5)  # the access log line is written after the answer
    with open(stack.log_path, encoding="utf-8") as log:
        gateway = [line for line in log if line.startswith("[gateway]")]
    assert any(tag in line and "POST /login HTTP" in line for line in gateway)
    assert not any(ADDRESS in line for line in gateway)
