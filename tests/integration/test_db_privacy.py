"""A failing SQL statement's message names no parameter: the engines of the services hide them (shared.db), so
no birth date, policy number or name reaches a log line or an RPC error through a database error."""

from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.journal.dependencies import Database
from shared import db

pytestmark = pytest.mark.integration

SECRET = {"birth": "1980-02-29", "policy": "ПОЛИС-НОМЕР-TEST"}
FAILING = text("SELECT CAST(:birth AS text), CAST(:policy AS text), 1 / 0")  # fails for a reason of its own


def failure(engine):
    with pytest.raises(DBAPIError) as caught:
        with engine.connect() as conn:
            conn.execute(FAILING, SECRET)
    engine.dispose()
    return str(caught.value)


def test_the_shared_engine_hides_statement_parameters(database_url):
    message = failure(db.engine(database_url))
    assert "division by zero" in message and "hide_parameters" in message
    assert not any(value in message for value in SECRET.values()), message


def test_the_journal_database_hides_them_too(database_url):
    provider = Database()
    provider.container = SimpleNamespace(config={"DATABASE_URL": database_url, "max_workers": 2})
    provider.setup()
    message = failure(provider.engine)
    assert not any(value in message for value in SECRET.values()), message
