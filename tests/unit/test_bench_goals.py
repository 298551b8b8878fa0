"""bench/goals.py: the one shape of every benchmark's last line, written and read back."""

import pytest

from bench import goals


def test_a_line_joins_goals_with_their_verdicts():
    line = goals.line([("ФЛК <= 3 s", True), ("export <= 5 s", False)])
    assert line == "goals: ФЛК <= 3 s: met; export <= 5 s: NOT met"


def test_a_quick_run_says_its_timings_mean_nothing():
    line = goals.line([("ФЛК <= 3 s", True)], quick=True)
    assert line == "goals (quick run, not a measurement): ФЛК <= 3 s: met"


def test_a_verdict_string_is_kept():
    line = goals.line([("ratio >= 0.9 at 0 ms", "undecided (rounds 0.85–1.23, spread 17%)"), ("x: y", "met")])
    assert line.endswith("ratio >= 0.9 at 0 ms: undecided (rounds 0.85–1.23, spread 17%); x: y: met")


@pytest.mark.parametrize(
    "goal, said", [("", True), ("a; b", True), ("a;b", True), (" padded", True), ("fine", "maybe"), ("fine", "met!")]
)
def test_what_would_break_the_shape_is_refused(goal, said):
    with pytest.raises(ValueError):
        goals.line([(goal, said)])


def test_no_goals_is_refused():
    with pytest.raises(ValueError):
        goals.line([])


def test_parse_reads_back_what_line_writes():
    written = [
        ("ratio >= 0.9 at 0 ms (shared CPUs, reference only)", "NOT met"),
        ("100000 rows < 120 s", "met"),
        ("ratio at 200 ms", "undecided (rounds 0.88–0.93, spread 20%)"),
    ]
    for quick in (False, True):
        assert goals.parse(goals.line(written, quick=quick)) == (quick, written)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "goals:",
        "goals: x",
        "goals: x: fine",
        "goal: x: met",
        "goals (slow run): x: met",
        "rows: 100000",
        "goals: x: met;y: met",
    ],
)
def test_parse_refuses_other_lines(text):
    with pytest.raises(ValueError):
        goals.parse(text)


def test_all_met():
    assert goals.all_met("goals: a: met; b: met")
    assert not goals.all_met("goals: a: met; b: NOT met")
    assert not goals.all_met("goals (quick run, not a measurement): a: undecided (rounds 0.8–1.0, spread 20%)")


def test_report_prints_the_line_last(capsys):
    goals.report([("a", True)], quick=True)
    assert capsys.readouterr().out.splitlines()[-1] == "goals (quick run, not a measurement): a: met"
