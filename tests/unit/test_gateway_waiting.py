"""services.gateway.pages.waiting: the pages waiting for answers, woken by the journal's requests_finished."""

import eventlet

from services.gateway.pages import waiting


def test_a_waiter_is_woken_by_one_of_its_requests_and_leaves():
    board = waiting.Board()
    mine, other = board.enter([1, 2]), board.enter([3])
    waited = eventlet.spawn(board.wait, mine, 5)
    eventlet.sleep(0)
    assert board.finished([2, 7]) == 1
    assert waited.wait() == [2]
    assert list(board.waiters) == [other]  # the woken one left; the other still waits


def test_a_narrowed_waiter_is_not_woken_nor_told_of_another_organisations_request():
    """The page named its own request 1 and someone else's 9: only 1 may wake it or appear in its answer, even
    when 9 finished between the waiter's entry and its narrowing."""
    board = waiting.Board()
    key = board.enter([1, 9])
    board.finished([9])  # before the statuses were read
    board.narrow(key, [1])
    assert board.wait(key, 1) == []
    key = board.enter([1, 9])
    board.narrow(key, [1])
    assert board.finished([9]) == 0
    waited = eventlet.spawn(board.wait, key, 5)
    eventlet.sleep(0)
    assert board.finished([1, 9]) == 1
    assert waited.wait() == [1]


def test_a_wait_ends_empty_after_its_time():
    board = waiting.Board()
    key = board.enter([5])
    assert board.wait(key, 0.05) == []
    assert board.waiters == {}


def test_a_process_holds_at_most_max_waiters():
    board = waiting.Board(max_waiters=2)
    assert board.enter([1]) and board.enter([2])
    assert board.enter([3]) is None


def test_ids_are_parsed_strictly():
    assert waiting.parse_ids("3,1,3") == [1, 3]
    for bad in ("", ",", "1;2", "-1", "1" * 19, ",".join(["1"] * (waiting.MAX_IDS + 1)), "x"):
        assert waiting.parse_ids(bad) is None
