"""Every dependency pyproject.toml declares is imported somewhere (runtime ones by the services, dev ones by the
tests or benchmarks), or is named below with the reason it is needed without an import."""

import ast
import re
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_IMPORTED = {
    "setuptools": "nameko 2.14 imports pkg_resources",
    "psycopg2-binary": "SQLAlchemy's driver, named by the postgresql+psycopg2 URL",
    "tzdata": "zone data for zoneinfo where the system has none (shared/clock.py)",
    "pytest-timeout": "a pytest plugin (timeout in pyproject.toml)",
    "ruff": "a command: make lint (run by make test)",
    "mypy": "a command: make lint (run by make test)",
}


def _name(requirement):
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return ({_name(r) for r in project["dependencies"]}, {_name(r) for r in project["optional-dependencies"]["dev"]})


def imported_modules(folders):
    found = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found


def distributions_of(modules):
    by_module = packages_distributions()
    return {d.lower().replace("_", "-") for m in modules for d in by_module.get(m, [])}


def test_every_runtime_dependency_is_imported_by_the_services():
    runtime, _ = declared()
    used = distributions_of(imported_modules(["services", "shared"]))
    assert runtime - used - set(NOT_IMPORTED) == set()


def test_every_dev_dependency_is_imported_by_the_tests_or_benchmarks():
    _, dev = declared()
    used = distributions_of(imported_modules(["tests", "bench"]))
    assert dev - used - set(NOT_IMPORTED) == set()


def test_the_check_sees_a_dependency_nobody_imports():
    assert "pyasn1" not in distributions_of(imported_modules(["services", "shared"]))
    assert distributions_of({"yaml", "PIL"}) >= {"pyyaml", "pillow"}


OWN = {"services", "shared", "bench", "tests", "examples"}
TYPING_ONLY = {"_typeshed"}  # imported under TYPE_CHECKING: mypy's stubs, nothing at run time


def test_every_package_the_services_import_is_declared():
    """A package imported only because another one depends on it (urllib3 under requests) breaks the day that one
    changes its own dependencies: the services import only what pyproject.toml declares."""
    import sys

    runtime, _ = declared()
    third = imported_modules(["services", "shared"]) - set(sys.stdlib_module_names) - OWN - TYPING_ONLY
    undeclared = {m: sorted(distributions_of({m})) for m in third if not distributions_of({m}) & runtime}
    assert undeclared == {}
