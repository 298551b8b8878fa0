"""Every test under tests/integration carries the `integration` marker (`pytest -m "not integration"` runs the
rest without RabbitMQ and PostgreSQL)."""

import pathlib

import pytest

HERE = pathlib.Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in pathlib.Path(item.fspath).parents:
            item.add_marker(pytest.mark.integration)
