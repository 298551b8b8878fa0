"""What keeps the tests from drifting apart from the code and from each other (issue #18 §5): every test file that
starts the services carries the `integration` marker itself, and bench/ never imports tests/."""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The folders whose tests need RabbitMQ and PostgreSQL and start the services (the `stack` fixture and its kin):
# `pytest -m "not integration"` leaves them out. tests/contract only starts the ФЕРЗЛ emulator: not among them.
INTEGRATION_FOLDERS = ("tests/integration", "tests/security", "tests/browser")


def marks_of(source):
    """The marker names of a module's `pytestmark = pytest.mark.x` or `= [pytest.mark.x, ...]` (empty: none)."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "pytestmark" for t in node.targets):
            values = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else [node.value]
            for value in values:
                if isinstance(value, ast.Call):  # pytest.mark.x(...)
                    value = value.func
                if isinstance(value, ast.Attribute) and ast.unparse(value.value) == "pytest.mark":
                    names.add(value.attr)
    return names


def integration_files():
    return sorted(path for folder in INTEGRATION_FOLDERS for path in (ROOT / folder).glob("test_*.py"))


def test_every_integration_file_carries_the_marker():
    files = integration_files()
    assert len(files) > 40  # the folders were found
    unmarked = [str(p.relative_to(ROOT)) for p in files if "integration" not in marks_of(p.read_text("utf-8"))]
    assert not unmarked, f"add `pytestmark = pytest.mark.integration` to: {unmarked}"


@pytest.mark.parametrize(
    "source, marked",
    [
        ("import pytest\npytestmark = pytest.mark.integration\n", True),
        ("pytestmark = [pytest.mark.destructive, pytest.mark.integration]\n", True),
        ("pytestmark = (pytest.mark.timeout(600), pytest.mark.integration)\n", True),
        ("pytestmark = pytest.mark.destructive\n", False),
        ("import pytest\n\n\n@pytest.mark.integration\ndef test_x():\n    pass\n", False),  # one test, not the file
        ("def f():\n    pytestmark = pytest.mark.integration\n", False),
        ("", False),
    ],
)
def test_the_marker_is_read_from_the_module_level_assignment(source, marked):
    assert ("integration" in marks_of(source)) is marked


# `import tests`, `from tests import x`, `from tests.support import y`, also inside a function or a code string
TESTS_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+tests(?:\.[\w.]+)?[ \t]+import\b|import[ \t]+tests\b)", re.MULTILINE)


def imports_of_tests(source):
    return [m.group(0).strip() for m in TESTS_IMPORT.finditer(source)] + [
        "import_module(tests…)" for _ in re.finditer(r"import_module\(\s*[\"']tests\b", source)
    ]


def test_benchmarks_do_not_import_the_tests():
    files = sorted((ROOT / "bench").rglob("*.py"))
    assert files
    found = {str(p.relative_to(ROOT)): imports_of_tests(p.read_text("utf-8")) for p in files}
    assert not {k: v for k, v in found.items() if v}, "bench/ takes what it needs from bench/ or shared/"


@pytest.mark.parametrize(
    "source, found",
    [
        ("from tests import support\n", True),
        ("    from tests.support import wait_for  # noqa\n", True),
        ("import tests.group_support as G\n", True),
        ('CODE = """\nfrom tests import support\n"""\n', True),
        ('importlib.import_module("tests.support")\n', True),
        ("from bench import sandbox\nfrom shared import config\n", False),
        ("from testsuite import x\nimport testing\n", False),
        ("# tests/integration/test_bench_quick.py runs it\n", False),
    ],
)
def test_an_import_of_the_tests_is_recognised(source, found):
    assert bool(imports_of_tests(source)) is found
