"""Settings of the web pages, taken from shared.config.Settings (defaults there): those the nameko config carries
(config.nameko_config), else the environment's with the config's own upper-case keys first.

CAPTCHA_TEST_MODE      off unless "1"/"true"/"yes"; exposes CAPTCHA answers for browser tests. Never in production.
CAPTCHA_TTL_SECONDS    how long a CAPTCHA may be answered
SUBMIT_LIMIT_PER_MINUTE  individual requests one user may send per minute through the form
SECRET_KEY             signs CSRF tokens and CAPTCHA answer hashes
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shared import config as shared_config
from shared.config import Settings, flag


@dataclass(frozen=True)
class PageSettings:
    secret_key: str = Settings.secret_key
    captcha_test_mode: bool = False
    captcha_ttl: int = Settings.captcha_ttl_seconds
    submit_limit: int = Settings.submit_limit_per_minute


def load(config: Mapping[str, Any] | None, env: Mapping[str, str] | None = None) -> PageSettings:
    s = shared_config.from_nameko(config or {}, env)
    return PageSettings(
        secret_key=s.secret_key,
        captcha_test_mode=flag(s.captcha_test_mode),
        captcha_ttl=max(30, s.captcha_ttl_seconds),
        submit_limit=max(1, s.submit_limit_per_minute),
    )
