"""bench/bridge.py's verdict on the ratio goal: decided by the medians unless the machine's drift straddles it."""

from bench.bridge import ratio_verdict


def test_steady_rounds_are_judged_by_the_medians():
    # session 4's recorded rounds: shared CPUs below the goal, the register apart above it
    assert ratio_verdict([2484, 2459, 2345], [1978, 1961, 2040], 0.9) == "NOT met"
    assert ratio_verdict([2462, 2502, 2605], [2169, 2403, 2355], 0.9) == "met"
    assert ratio_verdict([241, 241, 240], [241, 241, 240], 0.9) == "met"


def test_drifting_rounds_on_both_sides_of_the_goal_are_undecided():
    # session 5's slow day: a median ratio of 1.00 and of 0.78 from rounds that say 0.85–1.23 and 0.78–0.91
    assert ratio_verdict([611, 556, 521], [519, 556, 643], 0.9).startswith("undecided (rounds 0.85–1.23")
    assert ratio_verdict([651, 540, 655], [592, 488, 511], 0.9).startswith("undecided")


def test_drift_that_keeps_every_round_on_one_side_still_decides():
    assert ratio_verdict([1000, 700, 900], [600, 420, 540], 0.9) == "NOT met"  # 30 % spread, every round 0.60
    assert ratio_verdict([1000, 700, 900], [990, 700, 910], 0.9) == "met"
