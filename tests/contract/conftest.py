"""Fixtures of the ФЕРЗЛ contract tests: the emulator of a module, its knobs reset after each test, and the
report of a check that could not use the official schemas (each module defines its own `schemas`)."""

import pytest

from tests import ferzl_support as support


@pytest.fixture(scope="module")
def emulator():
    with support.running_emulator() as emu:
        yield emu


@pytest.fixture(autouse=True)
def clean_knobs(request):
    yield
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").admin(reset=True)


@pytest.fixture
def official_checked(schemas):
    """Run the test; at its end, report it skipped when the official schemas could not be checked."""
    yield
    if "official" not in schemas:
        pytest.skip(
            f"official ФЕРЗЛ schemas not found in {support.OFFICIAL} (expected ../shared beside the "
            f"repo): only contracts/ferzl was checked"
        )
