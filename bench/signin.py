"""Sign in as the demo user through the real login flow of a dev-mode stack (README, «Try it»; tests/conftest.py
Stack.login): GET /login (CSRF cookie) -> POST /login/challenge -> POST /dev/sign (the dev certificate signs the
challenge in place of a token) -> POST /login (session cookie). The stack runs with OZSP_MODE=dev, DEV_LOGIN=1 and a
database seeded with the dev login (bench.resources.Resources.database(dev_login=True))."""

import requests

DEV_ENV = {"OZSP_MODE": "dev", "DEV_LOGIN": "1"}


def sign_in(base_url, timeout=30):
    """-> a requests.Session holding the demo user's session cookie and sending the API's X-CSRF-Token."""
    session = requests.Session()
    session.get(f"{base_url}/login", timeout=timeout).raise_for_status()
    csrf = {"X-CSRF-Token": session.cookies["ozsp_csrf"]}
    issued = session.post(f"{base_url}/login/challenge", json={}, headers=csrf, timeout=timeout)
    issued.raise_for_status()
    issued = issued.json()
    signed = session.post(
        f"{base_url}/dev/sign", json={"challenge": issued["challenge"]}, headers=csrf, timeout=timeout
    )
    signed.raise_for_status()
    done = session.post(
        f"{base_url}/login",
        json={"challenge_id": issued["id"], "signature": signed.json()["signature"]},
        headers=csrf,
        timeout=timeout,
    )
    if done.status_code != 200:
        raise RuntimeError(f"вход не выполнен: {done.status_code} {done.text[:300]}")
    session.headers["X-CSRF-Token"] = session.cookies["ozsp_csrf"]  # the JSON API wants it on every POST
    return session
