"""Fixtures shared by all tests: a migrated and seeded database of its own for the run."""
import os

import pytest

from tests import support


@pytest.fixture(scope="session")
def settings():
    return support.base_settings()


@pytest.fixture(scope="session")
def database_url(settings):
    """A fresh database, migrated and seeded; dropped after the run."""
    from services import admin
    url, drop = support.make_test_database(settings)
    admin.migrate(url)
    admin.seed(url)
    yield url
    drop()


@pytest.fixture(scope="session")
def engine(database_url):
    from sqlalchemy import create_engine
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def output_dir():
    os.makedirs(support.OUTPUT, exist_ok=True)
    return support.OUTPUT
