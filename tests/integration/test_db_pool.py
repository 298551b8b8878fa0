"""shared.db.service_engine: the services' pools ping a connection only after it sat idle, and a connection cut
meanwhile (a restarted PostgreSQL) is replaced before a statement meets it."""

import pytest
from sqlalchemy import create_engine, exc, text

from shared import db

pytestmark = pytest.mark.integration


def _pid(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _cut(admin, pid):
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()


@pytest.fixture
def admin(database_url):
    made = create_engine(database_url, isolation_level="AUTOCOMMIT")
    yield made
    made.dispose()


def test_a_connection_idle_past_the_limit_is_pinged_and_replaced_when_cut(database_url, admin, monkeypatch):
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)  # every checkout finds its connection idle long enough
    engine = db.service_engine(database_url, pool_size=1, max_overflow=0)
    try:
        first = _pid(engine)
        _cut(admin, first)
        assert _pid(engine) != first  # no error: the ping found it cut, the pool opened another
    finally:
        engine.dispose()


def test_a_connection_in_steady_use_is_not_pinged(database_url, admin, monkeypatch):
    """The trade-off: cut within PING_IDLE_SECONDS of its last use, the next statement fails (as one in flight at
    a restart does); the pool is renewed, and the statement after it runs."""
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 3600.0)
    engine = db.service_engine(database_url, pool_size=1, max_overflow=0)
    try:
        first = _pid(engine)
        _cut(admin, first)
        with pytest.raises(exc.OperationalError):
            _pid(engine)
        assert _pid(engine) != first
    finally:
        engine.dispose()
