"""Login verification speed: full verify_signed_challenge per second, one core.

Prints, from one run on one machine: the Streebog backend, the bare
Streebog-256 rate for 1 KiB, and verified logins/s for 256- and 512-bit keys
(each a fresh challenge and signature, CA trusted through a prebuilt
TrustStore with its CRL). Goal: >= 100 logins/s for 256-bit keys.

    .venv/bin/python bench/login.py [--seconds 3] [--quick]
    OZSP_STREEBOG=python .venv/bin/python bench/login.py   # pure-Python hash
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.goals import report  # noqa: E402
from shared.gost import TrustStore, curves, streebog, testpki, verify_signed_challenge  # noqa: E402

GOAL_256 = 100
QUICK_SECONDS = 0.2


def rate(fn, seconds: float) -> float:
    """Calls per second of fn() over about `seconds`."""
    fn()  # warm-up (tables, caches)
    n, start = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def login_rate(ca, store, curve, seconds: float) -> float:
    user = ca.issue(curve=curve)
    now = datetime.now(UTC)
    signed = []
    for _i in range(64):
        challenge = os.urandom(16).hex().encode()
        signed.append((user.sign_challenge(challenge, signing_time=now), challenge))
    it = iter(range(1 << 62))

    def one():
        p7, challenge = signed[next(it) % len(signed)]
        verify_signed_challenge(p7, challenge, store, now=now)

    return rate(one, seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    ap.add_argument(
        "--quick", action="store_true", help=f"{QUICK_SECONDS} s per measurement: the code paths, not a measurement"
    )
    args = ap.parse_args()
    if args.quick:
        args.seconds = QUICK_SECONDS

    pki = testpki.TestPki(seed=b"bench")
    ca = pki.ca()
    store = TrustStore([ca.cert], [ca.crl()])
    kib = os.urandom(1024)

    hash_rate = rate(lambda: streebog.digest(kib, 256), args.seconds)
    login256 = login_rate(ca, store, curves.CRYPTOPRO_A, args.seconds)
    login512 = login_rate(ca, store, curves.TC26_512_A, args.seconds)

    print(
        f"machine: {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPU(s); one process, one core"
    )
    print(f"streebog backend:            {streebog.backend()}")
    print(f"streebog-256, 1 KiB:         {hash_rate:10.0f} /s  ({hash_rate / 1024:.2f} MiB/s)")
    print(f"login verify, 256 (CP-A):    {login256:10.1f} /s  ({1000 / login256:.2f} ms)")
    print(f"login verify, 512 (tc26-A):  {login512:10.1f} /s  ({1000 / login512:.2f} ms)")
    print(
        f"one 256-bit login costs as much as {hash_rate / login256:.0f} hashes of 1 KiB; "
        f"512/256 time ratio {login256 / login512:.2f}"
    )
    report([(f">= {GOAL_256} logins/s per core (256-bit)", login256 >= GOAL_256)], quick=args.quick)


if __name__ == "__main__":
    main()
