"""All configuration in one place: environment variables with working local defaults."""
import os
from dataclasses import dataclass, fields

API_VERSION = "24.2.6"


def _ferzl_url(base: str, version: str) -> str:
    return f"{base}/api/t-foms/integration/ws/{version}/wsdl/mpiPersonInfoServiceWs"


@dataclass(frozen=True)
class Settings:
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    rabbit_management_url: str = "http://guest:guest@127.0.0.1:15672"
    database_url: str = "postgresql+psycopg2://postgres@127.0.0.1:5432/ozsp"
    web_address: str = "127.0.0.1:8000"
    ferzl_api_version: str = API_VERSION
    ferzl_url: str = ""  # derived from emulator_address when empty
    ferzl_token: str = "dev-token"
    ferzl_timeout: float = 30.0
    ferzl_concurrency: int = 50
    emulator_address: str = "127.0.0.1:8100"
    emulator_seed: int = 20231
    emulator_size: int = 100_000
    emulator_token: str = "dev-token"
    chunk_size: int = 200
    dispatch_lease_seconds: int = 300
    smtp_address: str = "127.0.0.1:2525"
    demo_user_id: int = 1
    demo_organization_id: int = 1
    log_level: str = "INFO"
    secret_key: str = "dev-secret-change-me"  # signs cookies and CSRF tokens; set in production

    @property
    def effective_ferzl_url(self) -> str:
        return self.ferzl_url or _ferzl_url(f"http://{self.emulator_address}", self.ferzl_api_version)


def load(env=None) -> Settings:
    """Read every setting from its upper-case environment variable, e.g. AMQP_URI."""
    env = os.environ if env is None else env
    values = {}
    for f in fields(Settings):
        raw = env.get(f.name.upper())
        if raw is None or raw == "":
            continue
        values[f.name] = f.type(raw) if f.type in (int, float) else raw
    return Settings(**values)


def nameko_config(settings: Settings, service: str) -> dict:
    """The dict nameko's ServiceRunner takes, for one service process."""
    workers = {"ferzl_bridge": max(10, settings.ferzl_concurrency + 10), "gateway": 50}.get(service, 10)
    return {
        "AMQP_URI": settings.amqp_uri,
        "DATABASE_URL": settings.database_url,
        "CHUNK_SIZE": settings.chunk_size,
        "DEMO_USER_ID": settings.demo_user_id,
        "SECRET_KEY": settings.secret_key,
        "DEMO_ORGANIZATION_ID": settings.demo_organization_id,
        "FERZL_URL": settings.effective_ferzl_url,
        "FERZL_TOKEN": settings.ferzl_token,
        "FERZL_TIMEOUT": settings.ferzl_timeout,
        "FERZL_CONCURRENCY": settings.ferzl_concurrency,
        "DISPATCH_LEASE_SECONDS": settings.dispatch_lease_seconds,
        "WEB_SERVER_ADDRESS": settings.web_address,
        "max_workers": workers,
        "parent_calls_tracked": 10,
        "HEARTBEAT": 30,
        "LOGGING": logging_config(settings.log_level),
    }


def logging_config(level: str) -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask": {"()": "shared.masking.MaskingFilter"}},
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["mask"]}},
        "root": {"level": level, "handlers": ["console"]},
    }
