"""The last line of every benchmark: its goals and their verdicts, in one shape a reader or a script can read.

    goals: flk.check_group via RPC >= 50,000 rows/s: met; export <= 5 s: NOT met
    goals (quick run, not a measurement): flk.check_group via RPC >= 50,000 rows/s: met

Each goal is `<goal>: <verdict>`, goals joined by "; " (a goal has no ";"). A verdict is "met", "NOT met" or
"undecided (<why>)" (bench/bridge.py, when the machine's drift straddles the goal). A quick run (--quick) says so:
its sizes are too small for its timings to mean anything; it proves the benchmark's code paths still run.
"""

import re

MET, NOT_MET = "met", "NOT met"
QUICK = "quick run, not a measurement"
_VERDICT = re.compile(r"(met|NOT met|undecided \([^;]*\))")
_LINE = re.compile(r"goals(?: \((?P<quick>[^)]*)\))?: (?P<goals>.+)")


def verdict(ok):
    """True -> "met", False -> "NOT met"; a verdict string is kept as it is."""
    if isinstance(ok, str):
        if not _VERDICT.fullmatch(ok):
            raise ValueError(f"not a verdict: {ok!r}")
        return ok
    return MET if ok else NOT_MET


def line(goals, quick=False):
    """The goals line from [(goal, ok or verdict), ...]."""
    parts = []
    for goal, ok in goals:
        if not goal or ";" in goal or goal != goal.strip():
            raise ValueError(f"a goal must be one non-empty phrase without ';': {goal!r}")
        parts.append(f"{goal}: {verdict(ok)}")
    if not parts:
        raise ValueError("a benchmark has at least one goal")
    return f"goals{f' ({QUICK})' if quick else ''}: " + "; ".join(parts)


def report(goals, quick=False):
    """Print the goals line (the benchmark's last line of output)."""
    print("\n" + line(goals, quick), flush=True)


def parse(text):
    """A goals line -> (quick, [(goal, verdict), ...]); ValueError when the text is not one."""
    match = _LINE.fullmatch(text.strip())
    if not match or match["quick"] not in (None, QUICK):
        raise ValueError(f"not a goals line: {text!r}")
    goals = []
    for part in match["goals"].split("; "):
        goal, sep, said = part.rpartition(": ")
        if not sep or not goal or ";" in goal or not _VERDICT.fullmatch(said):
            raise ValueError(f"not a goal with its verdict: {part!r}")
        goals.append((goal, said))
    return match["quick"] is not None, goals


def all_met(text):
    """Whether every goal of a goals line is met."""
    return all(said == MET for _, said in parse(text)[1])
