"""Settings of the web pages: from the nameko config when it carries them, else from the environment.

CAPTCHA_TEST_MODE      off unless "1"/"true"/"yes"; exposes CAPTCHA answers for browser tests. Never in production.
CAPTCHA_TTL_SECONDS    how long a CAPTCHA may be answered (300)
SUBMIT_LIMIT_PER_MINUTE  individual requests one user may send per minute through the form (20)
SECRET_KEY             signs CSRF tokens and CAPTCHA answer hashes (shared/config.py)
"""

import os
from dataclasses import dataclass

DEV_SECRET = "dev-secret-change-me"


@dataclass(frozen=True)
class PageSettings:
    secret_key: str = DEV_SECRET
    captcha_test_mode: bool = False
    captcha_ttl: int = 300
    submit_limit: int = 20


def _read(config, env, key):
    value = config.get(key) if config else None
    return env.get(key) if value in (None, "") else value


def _flag(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def load(config, env=None):
    env = os.environ if env is None else env
    ttl = _read(config, env, "CAPTCHA_TTL_SECONDS")
    limit = _read(config, env, "SUBMIT_LIMIT_PER_MINUTE")
    return PageSettings(
        secret_key=str(_read(config, env, "SECRET_KEY") or DEV_SECRET),
        captcha_test_mode=_flag(_read(config, env, "CAPTCHA_TEST_MODE") or ""),
        captcha_ttl=max(30, int(ttl)) if ttl not in (None, "") else 300,
        submit_limit=max(1, int(limit)) if limit not in (None, "") else 20,
    )
