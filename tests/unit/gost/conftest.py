"""Fixtures for the GOST tests."""
import pytest
from .gost_world import Pki

from shared.gost import TrustStore


@pytest.fixture(scope="session")
def world() -> Pki:
    return Pki()


@pytest.fixture(scope="session")
def store(world) -> TrustStore:
    return world.store()
