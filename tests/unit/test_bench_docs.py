"""Every benchmark (a bench/*.py with a main) has a quick mode, ends with bench/goals.py's line, and is listed in the
README's «Benchmarks» section (its full command and its goal) and in docs/benchmarks.md."""

import os
import re

import pytest

from tests import support

BENCH_DIR = os.path.join(support.ROOT, "bench")


def _is_bench(path):
    with open(path, encoding="utf-8") as f:
        return 'if __name__ == "__main__":' in f.read()


BENCHES = sorted(
    name for name in os.listdir(BENCH_DIR) if name.endswith(".py") and _is_bench(os.path.join(BENCH_DIR, name))
)


def _read(*parts):
    with open(os.path.join(support.ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def readme_benchmarks():
    text = _read("README.md")
    match = re.search(r"^## Benchmarks\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, "README.md has no «## Benchmarks» section"
    return match.group(1)


def test_the_known_benchmarks_are_found():
    assert {
        "bridge.py",
        "bridge_core.py",
        "flk.py",
        "flk_core.py",
        "group.py",
        "journal.py",
        "login.py",
        "xlsx.py",
    } <= set(BENCHES)
    assert not {"goals.py", "resources.py", "signin.py"} & set(BENCHES)


@pytest.mark.parametrize("name", BENCHES)
def test_a_benchmark_has_a_quick_mode_and_the_goals_line(name):
    source = _read("bench", name)
    assert '"--quick"' in source
    assert "from bench.goals import report" in source and "quick=args.quick" in source


@pytest.mark.parametrize("name", BENCHES)
def test_a_benchmark_is_in_the_readme_and_the_figures(name):
    entry = re.search(
        rf"^- `\.venv/bin/python bench/{re.escape(name)}`(.*?)(?=^- |^$)", readme_benchmarks(), re.S | re.M
    )
    assert entry, f"README «Benchmarks»: no item «- `.venv/bin/python bench/{name}`»"
    assert re.search(r"Goals?:\s", entry.group(1)), f"README: no goal for bench/{name}"
    assert f"bench/{name}" in _read("docs", "benchmarks.md")
