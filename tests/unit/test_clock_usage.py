"""One clock (issue 16): no code reads the process's local date or zone; shared/clock.py answers in Moscow time."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("services", "shared", "bench")
ALLOWED = {"shared/clock.py"}
DATE_TYPES = {"date", "datetime"}


def _owner(func):
    """`date` of date.today, `datetime` of dt.datetime.now; None for other callees."""
    value = func.value
    return value.id if isinstance(value, ast.Name) else value.attr if isinstance(value, ast.Attribute) else None


def _local_clock(call):
    """What a call reads from the local clock or zone, or None."""
    func = call.func
    if isinstance(func, ast.Name):
        return "localtime()" if func.id == "localtime" else None
    if not isinstance(func, ast.Attribute):
        return None
    name, owner, bare = func.attr, _owner(func), not call.args and not call.keywords
    tz_given = len(call.args) > 1 or any(k.arg == "tz" for k in call.keywords)
    if name == "today" and owner in DATE_TYPES:
        return f"{owner}.today()"
    if name == "now" and owner == "datetime" and bare:
        return "datetime.now() without tz"
    if name in ("utcnow", "utcfromtimestamp") and owner == "datetime":
        return f"datetime.{name}() (naive)"
    if name == "fromtimestamp" and (owner == "date" or owner == "datetime" and not tz_given):
        return f"{owner}.fromtimestamp() without tz"
    if name == "localtime" and owner == "time":
        return "time.localtime()"
    if name == "astimezone" and bare:
        return ".astimezone() to the local zone"
    return None


def offences(source, filename="<sample>"):
    """-> ['file:line: what'] for every call that uses the process's clock or zone."""
    return [
        f"{filename}:{node.lineno}: {what}"
        for node in ast.walk(ast.parse(source, filename))
        if isinstance(node, ast.Call) and (what := _local_clock(node))
    ]


def sources():
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in ALLOWED:
                yield relative, path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "code",
    [
        "date.today()",
        "datetime.date.today()",
        "datetime.today()",
        "datetime.now()",
        "dt.datetime.now()",
        "time.localtime()",
        "time.localtime(0)",
        "localtime()",
        "datetime.fromtimestamp(0)",
        "date.fromtimestamp(0)",
        "datetime.utcnow()",
        "moment.astimezone()",
        "x = (\n    date.today()\n)",
    ],
)
def test_the_check_finds_a_local_clock(code):
    assert len(offences(code)) == 1


@pytest.mark.parametrize(
    "code",
    [
        "clock.today()",
        "clock.now()",
        "datetime.now(timezone.utc)",
        "datetime.now(tz=MOSCOW)",
        "datetime.fromtimestamp(0, MOSCOW)",
        "datetime.fromtimestamp(0, tz=timezone.utc)",
        "moment.astimezone(MOSCOW)",
        "time.time()",
        "date.fromisoformat('2026-01-01')",
        "'date.today()'  # text is not a call",
    ],
)
def test_the_check_lets_the_one_clock_pass(code):
    assert offences(code) == []


def test_no_code_reads_the_local_clock():
    found = [o for relative, text in sources() for o in offences(text, relative)]
    assert not found, "use shared.clock (Moscow time) or datetime.now(timezone.utc) instead:\n" + "\n".join(found)


def test_the_scan_fails_on_a_tree_with_a_local_clock(tmp_path, monkeypatch):
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "late.py").write_text("from datetime import date\nTODAY = date.today()\n")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    with pytest.raises(AssertionError, match=r"services/late.py:2: date.today\(\)"):
        test_no_code_reads_the_local_clock()
