"""Fixtures for the GOST tests."""

import pytest

from shared.gost import TrustStore

from .gost_world import Pki


@pytest.fixture(scope="session")
def world() -> Pki:
    return Pki()


@pytest.fixture(scope="session")
def store(world) -> TrustStore:
    return world.store()
