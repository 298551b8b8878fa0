"""Each service package imports only itself, shared/ and the project's top-level tools (services/*.py): what two
services both need lives in shared/, what they tell each other goes through contracts/ — so that any service can
be changed, scaled or deployed alone."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.name for p in (ROOT / "services").iterdir() if (p / "__init__.py").is_file())


def foreign_imports(package):
    """(file, module) of every import of another service package by `package`."""
    found = []
    for path in (ROOT / "services" / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [f"services.{alias.name}" for alias in node.names] if node.module == "services" else []
                modules = names or [node.module]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                if parts[0] == "services" and len(parts) > 1 and parts[1] in SERVICES and parts[1] != package:
                    found.append((str(path.relative_to(ROOT)), module))
    return found


def test_there_are_service_packages_to_check():
    assert {"gateway", "journal", "flk", "ferzl_bridge", "certmail", "public_api"} <= set(SERVICES)


def test_no_service_imports_another():
    assert {name: foreign_imports(name) for name in SERVICES if foreign_imports(name)} == {}


def test_the_check_sees_an_import_of_another_service(tmp_path, monkeypatch):
    package = tmp_path / "services" / "gateway"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "bad.py").write_text("from services.certmail.messages import X\nfrom services import journal\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert [module for _, module in foreign_imports("gateway")] == ["services.certmail.messages", "services.journal"]
