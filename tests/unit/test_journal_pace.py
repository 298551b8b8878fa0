"""services.journal.pace: at most every so many seconds, by the clock it is given."""

from services.journal.pace import Pace


def test_due_at_first_then_once_the_seconds_have_passed():
    now = [100.0]
    pace = Pace(lambda: now[0])
    assert pace.due(5) is True
    now[0] = 104.9
    assert pace.due(5) is False
    now[0] = 105.0
    assert pace.due(5) is True
    now[0] = 109.9
    assert pace.due(0.5) is False  # the time set by the last due call counts, not this call's seconds
    now[0] = 110.0
    assert pace.due(60) is True
    now[0] = 169.0
    assert pace.due(60) is False
