"""All configuration in one place: environment variables with working local defaults."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import unquote, urlsplit

from shared import ferzl_api

API_VERSION = ferzl_api.DEFAULT_VERSION
SETTINGS_KEY = "OZSP_SETTINGS"  # the Settings object in a nameko config (nameko_config, from_nameko)
_VAR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "var")  # git-ignored


def _async_url(person_info_url: str) -> str:
    """mpiAsyncOperationsServiceWs beside mpiPersonInfoServiceWs (same host, version and path scheme)."""
    return person_info_url.rsplit("/", 1)[0] + "/" + ferzl_api.ASYNC_OPERATIONS


@dataclass(frozen=True)
class Settings:
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/ozsp"  # a vhost of its own (created by ozsp infra)
    rabbit_management_url: str = "http://guest:guest@127.0.0.1:15672"
    public_api_calls_per_minute: int = 600  # public RPC API calls of one subsystem per minute (all processes)
    public_api_wait_max: float = 30.0  # seconds public_api.lookup waits for the answer at most
    public_api_max_bytes: int = 30_000_000  # a public API message larger than this is refused (a group's CSV)
    broker_secret: str = ""  # each service's and subsystem's RabbitMQ password derives from it (ozsp broker setup)
    database_url: str = "postgresql+psycopg2://postgres@127.0.0.1:5432/ozsp"
    web_address: str = "127.0.0.1:8000"
    ferzl_api_version: str = API_VERSION
    ferzl_url: str = ""  # derived from emulator_address when empty
    ferzl_token: str = "dev-token"
    ferzl_timeout: float = 30.0  # seconds to wait for ФЕРЗЛ's answer (the read timeout)
    ferzl_connect_timeout: float = 5.0  # seconds to connect; also for the answer's head on a connection idle 1 s+
    ferzl_idle_seconds: float = 50.0  # a kept-alive connection idle longer is closed, not reused
    ferzl_concurrency: int = 50
    emulator_address: str = "127.0.0.1:8100"
    emulator_seed: int = 20231
    emulator_size: int = 100_000
    emulator_token: str = "dev-token"
    chunk_size: int = 200
    dispatch_lease_seconds: int = 300
    dispatch_window: int = 0  # requests in flight to ferzl_bridge at most; 0: automatic (docs/decisions.md)
    smtp_address: str = "127.0.0.1:2525"
    demo_user_id: int = 1
    demo_organization_id: int = 1
    log_level: str = "INFO"
    heartbeat_file: str = ""  # a nameko service touches it every few seconds (shared/heartbeat.py); empty: off
    secret_key: str = "dev-secret-change-me"  # signs cookies and CSRF tokens; set in production
    ozsp_mode: str = "production"  # "dev" allows the dev flags below; `make run` and the tests set it
    dev_login: str = ""  # "1": the login page offers a dev signing stand-in (refused in production)
    captcha_test_mode: str = ""  # "1": pages reveal CAPTCHA answers to browser tests (refused in production)
    captcha_ttl_seconds: int = 300
    submit_limit_per_minute: int = 20
    answer_reuse_minutes: float = 60.0  # a ФЕРЗЛ answer this fresh is reused for the same person (#22); 0: off
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    session_cookie_secure: str = "auto"  # auto: Secure except on loopback addresses
    login_attempts_per_minute: int = 10  # per client address and per certificate (attempts whose signature verified)
    login_challenges_max: int = 1000  # unanswered login challenges alive at once, all addresses together
    trusted_proxies: str = ""  # addresses of TLS proxies in front of the gateway whose X-Forwarded-For is believed
    crl_grace_hours: int = 0  # how long past its nextUpdate a CRL is still accepted
    crl_refresh_minutes: float = 120.0  # the journal downloads CAs' CRLs from their distribution points; 0: never
    # ferzl_bridge (issue 4): throughput, retries, circuit, mass path, archive
    ferzl_async_url: str = ""  # mpiAsyncOperationsServiceWs; derived from the ФЕРЗЛ URL when empty
    ferzl_client: str = "fast"  # fast: lxml envelopes on the hot path; zeep: zeep for every call
    queue_type: str = "classic"  # classic | quorum: the durable queues (work, answers, retries, letters)
    ferzl_rate_limit: float = 0.0  # ФЕРЗЛ calls per second, shared by all bridge processes; 0 = no limit
    ferzl_retry_tiers: str = "5,30,120,600"  # seconds of the delay queues, by attempt
    ferzl_retry_horizon_hours: float = 24.0  # give up (with «Ошибка») after this long; never for a token problem
    ferzl_hold_budget: float = 120.0  # seconds a chunk may wait for rate tokens before it goes to a delay queue
    ferzl_probe_seconds: float = 15.0  # while down: one probe call this often (across all processes)
    ferzl_trip_failures: int = 10  # consecutive unavailable answers that mark ФЕРЗЛ down
    ferzl_degraded_ratio: float = 0.2  # share of failed calls (last 30 s) that marks ФЕРЗЛ degraded
    ferzl_mass_min: int = 50  # group rows (ЕНП/ОИП only) in one chunk from which the mass path is used
    ferzl_mass_batch: int = 1000  # persons per getMassInsuranceStatusStart (ФЕРЗЛ allows up to 1000)
    ferzl_mass_wait: float = 0.5  # seconds a mass batch waits for more chunks before it starts
    ferzl_mass_poll: float = 1.0  # seconds between getMassInsuranceStatusPoll calls
    ferzl_mass_timeout: float = 600.0  # a mass operation not ready by then is retried
    ferzl_archive_days: int = 30  # raw SOAP exchanges are kept this many days; 0: not kept at all
    audit_retention_days: int = 1095  # audit rows (logins, refusals, directory changes, reads) kept this many days
    # certmail (issue 8): certificate registration by e-mail (contracts/certmail.md)
    smtp_relay: str = ""  # host:port of the outgoing SMTP relay; empty: replies go to mail_outbox_dir as .eml
    mail_outbox_dir: str = os.path.join(_VAR, "mail", "outbox")
    mail_from: str = "reestrin@ozsp.test"  # sender of the replies (the manual's reestrin@ address)
    admin_email: str = "admin@ozsp.test"  # administrative notices (certificate of an unknown CA)
    cert_store_dir: str = os.path.join(_VAR, "certstore")  # installed certificates, one .cer each
    cert_quarantine_dir: str = os.path.join(_VAR, "certquarantine")  # the technical folder (unknown CA)
    mail_other_templates: str = ""  # comma-separated subjects of other mail processes (not answered here)
    mail_max_bytes: int = 10_000_000  # a larger letter is refused by the intake (552)
    mail_max_attachment_bytes: int = 1_000_000
    mail_retry_tiers: str = "10,60,600"  # seconds a letter waits after a failed try (journal or relay away)
    mail_retry_attempts: int = 30  # tries before a letter is parked for the administrator (~4.7 h by default)
    zip_max_entries: int = 16
    zip_max_total_bytes: int = 1_000_000  # unpacked size of all entries
    zip_max_ratio: int = 100  # unpacked / packed size of one entry
    # certmail (issue 17): a letter counts only from an authenticated sender (docs/security.md)
    mail_trusted_authserv_ids: str = ""  # comma-separated authserv-ids whose Authentication-Results are believed
    mail_trusted_mta_addresses: str = ""  # IPs/networks of that MTA; its headers count only on letters it hands in
    dkim_dns_file: str = ""  # dev mode only: DKIM TXT records from this file instead of DNS ("<name> <TXT>" lines)
    # metrics (issue 21): each process serves /metrics on METRICS_HOST, port METRICS_PORT_<SERVICE> + copy index
    metrics_host: str = "127.0.0.1"
    metrics_copies: int = 4  # ports tried per service (copies on one host); 0: no metrics endpoint
    metrics_port_gateway: int = 9110
    metrics_port_flk: int = 9120
    metrics_port_journal: int = 9130
    metrics_port_ferzl_bridge: int = 9140
    metrics_port_certmail: int = 9150
    metrics_port_certmail_intake: int = 9160

    @property
    def ferzl_api(self) -> ferzl_api.FerzlApi:
        """Namespaces, paths and contract files of FERZL_API_VERSION (load() refuses an unknown one)."""
        return ferzl_api.api(self.ferzl_api_version)

    @property
    def effective_ferzl_url(self) -> str:
        return self.ferzl_url or f"http://{self.emulator_address}{self.ferzl_api.person_info_path}"

    @property
    def effective_ferzl_async_url(self) -> str:
        return self.ferzl_async_url or _async_url(self.effective_ferzl_url)


def flag(value: object) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "yes", "on")


def production_problems(settings: Settings) -> list[str]:
    """Why this configuration must not run in production mode (empty when it may)."""
    if settings.ozsp_mode != "production":
        return []
    problems: list[str] = []
    if flag(settings.dev_login):
        problems.append("DEV_LOGIN включён (вход без сертификата-токена допустим только при OZSP_MODE=dev)")
    if flag(settings.captcha_test_mode):
        problems.append("CAPTCHA_TEST_MODE включён (ответы CAPTCHA раскрываются)")
    if settings.dkim_dns_file:
        problems.append("DKIM_DNS_FILE задан (ключи DKIM из локального файла допустимы только при OZSP_MODE=dev)")
    if (urlsplit(settings.amqp_uri).username or "guest") == "guest":
        problems.append("AMQP_URI с пользователем guest (допустим только при OZSP_MODE=dev)")
    user = unquote(urlsplit(settings.amqp_uri).username or "guest")
    vhost = unquote(urlsplit(settings.amqp_uri).path[1:])
    own_user = bool(vhost) and user.startswith(vhost + ".")  # a service process after `ozsp run` took its user
    if not settings.broker_secret and not own_user:
        problems.append("BROKER_SECRET не задан (у каждого сервиса свой пользователь RabbitMQ: ozsp broker setup)")
    if settings.secret_key == Settings.secret_key:
        problems.append("SECRET_KEY не задан (используется ключ для разработки)")
    return problems


class SettingError(ValueError):
    """A setting that cannot be read; the message is for the operator, in Russian."""


QUEUE_TYPES = ("classic", "quorum")


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read every setting from its upper-case environment variable, e.g. AMQP_URI. An unknown
    FERZL_API_VERSION is refused here, so no service starts with namespaces ФЕРЗЛ would not understand."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for f in fields(Settings):
        raw = env.get(f.name.upper())
        if raw is None or raw == "":
            continue
        try:
            values[f.name] = f.type(raw) if f.type in (int, float) else raw
        except ValueError:
            kind = "целое число" if f.type is int else "число"
            raise SettingError(f"Настройка {f.name.upper()}: нужно {kind}, а задано «{raw}».") from None
    settings = Settings(**values)  # type: ignore[arg-type]  # each value converted to its field's type above
    if settings.queue_type not in QUEUE_TYPES:
        raise SettingError(f"Настройка QUEUE_TYPE: classic или quorum, а задано «{settings.queue_type}».")
    if settings.ferzl_api_version not in ferzl_api.SUPPORTED:
        raise SettingError(ferzl_api.unsupported_message(settings.ferzl_api_version))
    return settings


def from_nameko(nameko: Mapping[str, Any], env: Mapping[str, str] | None = None) -> Settings:
    """The Settings a nameko config was made from (nameko_config), else those of the environment with the config's
    own upper-case keys first: the one way a service reads its settings (shared.settings.SettingsProvider)."""
    found = nameko.get(SETTINGS_KEY)
    if isinstance(found, Settings):
        return found
    given = {k: str(v) for k, v in nameko.items() if k.isupper() and isinstance(v, str | int | float) and v != ""}
    return load({**(os.environ if env is None else env), **given})


def nameko_config(settings: Settings, service: str) -> dict[str, Any]:
    """The dict nameko's ServiceRunner takes, for one service process: the Settings themselves (SETTINGS_KEY),
    nameko's own keys, and the upper-case keys the gateway's handlers still read from it."""
    # the gateway: 50 for requests, 100 more for pages waiting for answers (services/gateway/pages/waiting.py)
    workers = {"ferzl_bridge": max(10, settings.ferzl_concurrency + 10), "gateway": 150, "public_api": 50}.get(
        service, 10
    )
    return {
        SETTINGS_KEY: settings,
        "AMQP_URI": settings.amqp_uri,
        "SECRET_KEY": settings.secret_key,
        "OZSP_MODE": settings.ozsp_mode,
        "DEV_LOGIN": settings.dev_login,
        "SESSION_IDLE_MINUTES": settings.session_idle_minutes,
        "SESSION_ABSOLUTE_HOURS": settings.session_absolute_hours,
        "SESSION_COOKIE_SECURE": settings.session_cookie_secure,
        "LOGIN_ATTEMPTS_PER_MINUTE": settings.login_attempts_per_minute,
        "LOGIN_CHALLENGES_MAX": settings.login_challenges_max,
        "TRUSTED_PROXIES": settings.trusted_proxies,
        "CRL_GRACE_HOURS": settings.crl_grace_hours,
        "WEB_SERVER_ADDRESS": settings.web_address,
        "max_workers": workers,
        "parent_calls_tracked": 10,
        "HEARTBEAT": 30,
        "HEARTBEAT_FILE": settings.heartbeat_file,
        "LOGGING": logging_config(settings.log_level),
    }


def logging_config(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask": {"()": "shared.masking.MaskingFilter"}, "outages": {"()": "shared.outage.QuietOutages"}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["outages", "mask"]}
        },
        "root": {"level": level, "handlers": ["console"]},
    }
