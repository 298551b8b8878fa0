"""Flow control of the journal's dispatch on a real PostgreSQL, without a broker: the fair order of a claim
(individual requests first, groups sharing the rest) and the dispatch window (requests in flight)."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from services.journal import groups, held, store
from services.journal.dispatch import Dispatcher
from shared.checksums import luhn_digit
from shared.config import from_nameko
from shared.domain import Outcome
from shared.params import FIELDS
from tests import support

pytestmark = pytest.mark.integration

ME = store.Identity(user_id=1, organization_id=1)
COLUMNS = ["line", *FIELDS]
LEASE = 300


def enp(n):
    """A synthetic ЕНП with a valid check digit."""
    body = f"50{n:013d}"
    return body + luhn_digit(body)


def params(n):
    return {f: None for f in FIELDS} | {"name": f"ИНД{n}", "enp": enp(n), "as_of": "2026-11-26"}


def rows(count, start=0):
    out = []
    for i in range(count):
        values = params(start + i) | {"name": f"RQ{i + 1}"}
        out.append([i + 2, *[values[f] for f in FIELDS]])
    return out


@pytest.fixture(scope="module")
def window_engine(settings):
    """A database of this module only: the window counts every request in flight, so no other test's rows."""
    with support.fresh_engine(settings) as engine:
        yield engine


@pytest.fixture
def db(window_engine):
    yield window_engine
    with window_engine.begin() as conn:
        conn.execute(text("TRUNCATE request_history, requests, groups RESTART IDENTITY CASCADE"))


def individual(db, n):
    with db.begin() as conn:
        return store.create_request(conn, ME, params(n))["id"]


def group(db, count, start=0):
    with db.begin() as conn:
        gid = groups.create_group(conn, ME, f"группа {start}", "группа.csv", COLUMNS, rows(count, start))["id"]
        ids = conn.execute(text("SELECT id FROM requests WHERE group_id = :g ORDER BY id"), {"g": gid}).scalars().all()
    return gid, ids


def claim(db, limit, lease=LEASE, sweep=True):
    with db.begin() as conn:
        return store.claim_pending(conn, limit, lease, sweep)


def room(db, window, lease=LEASE):
    with db.begin() as conn:
        return store.dispatch_room(conn, window, lease)


def answer(request_ids):
    return [
        Outcome.from_dict(
            {
                "request_id": i,
                "status": "answered",
                "answered_at": "2026-11-26T10:00:00+00:00",
                "answer": {"enp": "1", "policy": None, "attachments": []},
            }
        )
        for i in request_ids
    ]


def per_group(items):
    out = {}
    for i in items:
        out[i["group_id"]] = out.get(i["group_id"], 0) + 1
    return out


def test_individual_requests_are_claimed_before_older_group_rows(db):
    gid, group_ids = group(db, 30)
    singles = [individual(db, 100 + n) for n in range(3)]
    assert min(singles) > max(group_ids)  # the group rows are older
    first = claim(db, 3)
    assert [i["request_id"] for i in first] == singles and {i["group_id"] for i in first} == {None}
    late = individual(db, 200)
    second = claim(db, 5)
    assert [i["request_id"] for i in second] == [*group_ids[:4], late]  # the shape: sorted by request id
    assert second[-1]["group_id"] is None and second[0]["group_id"] == gid
    assert second[-1]["params"]["enp"] == enp(200) and len(second[-1]["external_id"]) == 36


def test_two_groups_of_different_sizes_share_one_claim(db):
    big, big_ids = group(db, 300)
    small, small_ids = group(db, 40, start=1000)
    even = claim(db, 20)
    assert per_group(even) == {big: 10, small: 10}
    assert [i["request_id"] for i in even if i["group_id"] == big] == big_ids[:10]  # each group's rows by id
    rest = claim(db, 100)  # the small group has 30 left, less than its share: the big one gets the rest
    assert per_group(rest) == {big: 70, small: 30}
    assert [i["request_id"] for i in rest if i["group_id"] == small] == small_ids[10:]
    assert per_group(claim(db, 1000)) == {big: 220}


def test_many_groups_and_individuals_in_one_claim(db):
    sizes = [5, 50, 17, 200]
    made = [group(db, size, start=1000 * n) for n, size in enumerate(sizes)]
    singles = [individual(db, 9000 + n) for n in range(7)]
    got = claim(db, 107)  # 7 individual, then 25 for each of four groups; the 28 two small ones leave go
    counts = per_group(got)
    assert counts.pop(None) == 7 and sorted(i["request_id"] for i in got if i["group_id"] is None) == singles
    assert [counts.get(gid, 0) for gid, _ in made] == [5, 25 + 14, 17, 25 + 14]  # ... to the other two
    assert len({i["request_id"] for i in got}) == 107


def test_rows_of_a_group_marked_finished_are_still_claimed_at_the_end(db):
    gid, ids = group(db, 3)
    with db.begin() as conn:
        conn.execute(text("UPDATE groups SET finished_at = now() WHERE id = :g"), {"g": gid})
    single = individual(db, 1)
    assert [i["request_id"] for i in claim(db, 10)] == [*ids, single]


def test_only_a_sweeping_claim_looks_past_the_fair_order(db):
    gid, ids = group(db, 3)
    with db.begin() as conn:
        conn.execute(text("UPDATE groups SET finished_at = now() WHERE id = :g"), {"g": gid})
    single = individual(db, 1)
    assert [i["request_id"] for i in claim(db, 10, sweep=False)] == [single]
    assert [i["request_id"] for i in claim(db, 10, sweep=False)] == []
    assert [i["request_id"] for i in claim(db, 10, sweep=True)] == ids


def test_fair_shares_fill_a_claim_without_a_sweep(db):
    made = [group(db, 40, start=1000 * n) for n in range(3)]
    got = claim(db, 120, sweep=False)
    assert len(got) == 120 and per_group(got) == {gid: 40 for gid, _ in made}


def test_the_window_holds_back_requests_until_answers_or_lease_expiry(db):
    ids = [individual(db, n) for n in range(80)]
    assert room(db, 50) == 50
    sent = claim(db, room(db, 50))
    assert [i["request_id"] for i in sent] == ids[:50]
    assert room(db, 50) == 0  # W in flight: nothing more is claimed
    with db.begin() as conn:
        assert store.in_flight(conn, LEASE) == 50
        assert store.store_outcomes(conn, answer(ids[:20]))["stored"] == 20
    assert room(db, 50) == 20  # answers give the capacity back
    assert [i["request_id"] for i in claim(db, 20)] == ids[50:70]
    assert room(db, 50) == 0
    with db.begin() as conn:  # ten leases run out (the bridge lost them): they are no longer in flight
        conn.execute(
            text("UPDATE requests SET dispatched_at = now() - make_interval(secs => :s) WHERE id = ANY(:ids)"),
            {"s": LEASE + 5, "ids": ids[20:30]},
        )
    assert room(db, 50) == 10
    assert [i["request_id"] for i in claim(db, 10)] == ids[20:30]  # ... and are published again, oldest first


def test_no_room_is_counted_when_nothing_waits(db):
    ids = [individual(db, n) for n in range(3)]
    assert room(db, 50) == 50
    claim(db, 3)
    assert room(db, 50) == 0  # 47 free places, but nothing to put there
    with db.begin() as conn:
        conn.execute(
            text("UPDATE requests SET dispatched_at = now() - make_interval(secs => :s) WHERE id = :id"),
            {"s": LEASE + 5, "id": ids[0]},
        )
    assert room(db, 50) == 48  # a lease ran out: that one waits again
    individual(db, 99)
    assert room(db, 2) == 0  # waiting, but the window is full


def test_requests_parked_in_delay_queues_count_as_in_flight(db):
    ids = [individual(db, n) for n in range(30)]
    claim(db, 30)
    with db.begin() as conn:  # the bridge parks 20 (ФЕРЗЛ away); the other 10 leases ran out long ago
        assert held.touch(conn, [{"request_id": i, "seconds": 600} for i in ids[:20]]) == 20
        conn.execute(
            text("UPDATE requests SET dispatched_at = now() - interval '1 hour' WHERE id = ANY(:ids)"),
            {"ids": ids[20:]},
        )
        ahead = conn.execute(
            text("SELECT min(dispatched_at - now()) FROM requests WHERE id = ANY(:ids)"), {"ids": ids[:20]}
        ).scalar_one()
    assert ahead > timedelta(seconds=590)  # a lease in the future
    assert room(db, 20) == 0 and room(db, 25) == 5
    with db.begin() as conn:
        assert store.in_flight(conn, LEASE) == 20
        assert store.in_flight(conn, 0) == 20  # counted however short the lease


def test_one_dispatcher_at_a_time_takes_the_window(db):
    [individual(db, n) for n in range(5)]
    with db.connect() as first, db.connect() as second:
        with first.begin():
            assert store.dispatch_room(first, 10, LEASE) == 10
            with second.begin():
                assert store.dispatch_room(second, 10, LEASE) == 0  # the other transaction has the turn
        with second.begin():
            assert store.dispatch_room(second, 10, LEASE) == 10


class Recorder:
    def __init__(self):
        self.chunks = []

    def __call__(self, body, routing_key=None):
        self.chunks.append(body["items"])


def dispatcher(db, bridges=1, **config):
    """A Dispatcher on this database with `bridges` bridge processes counted on the work queue, and a publisher
    that records the chunks -> (the recorder, one dispatch)."""
    conf = {
        "CHUNK_SIZE": 10,
        "DISPATCH_LEASE_SECONDS": LEASE,
        "FERZL_CONCURRENCY": 50,
        "FERZL_RATE_LIMIT": 0.0,
        "DISPATCH_WINDOW": 0,
    } | config
    dispatch, publish = Dispatcher(from_nameko(conf)), Recorder()
    dispatch.bridges = lambda: bridges  # type: ignore[method-assign]
    return publish, lambda: dispatch.run(db, publish)


def test_dispatch_publishes_up_to_the_window_individual_requests_in_their_own_chunks(db):
    gid, group_ids = group(db, 120)
    singles = [individual(db, 500 + n) for n in range(12)]
    publish, tick = dispatcher(db, DISPATCH_WINDOW=75)
    tick()
    chunks = [[i["request_id"] for i in c] for c in publish.chunks]
    assert chunks[:2] == [singles[:10], singles[10:]]
    assert all(i not in singles for c in chunks[2:] for i in c) and sum(map(len, chunks)) == 75
    tick()  # the window is full: nothing more
    assert sum(map(len, publish.chunks)) == 75
    with db.begin() as conn:
        store.store_outcomes(conn, answer(singles))
    tick()
    assert sum(map(len, publish.chunks)) == 87 and len(publish.chunks[-1]) <= 10


def test_dispatch_keeps_to_a_rate_limited_window(db):
    group(db, 500)
    publish, tick = dispatcher(db, FERZL_RATE_LIMIT=1.0, DISPATCH_LEASE_SECONDS=60)  # max(10, 1 × 60 / 2) = 30
    tick()
    tick()
    assert sum(map(len, publish.chunks)) == 30


def test_the_automatic_window_grows_with_the_bridge_processes(db):
    group(db, 500)
    publish, tick = dispatcher(db, bridges=2, FERZL_CONCURRENCY=0)  # 10 × (0 + 10) a bridge, two of them
    tick()
    tick()
    assert sum(map(len, publish.chunks)) == 200
    publish, tick = dispatcher(db, bridges=3, FERZL_CONCURRENCY=0, DISPATCH_WINDOW=150)  # a set window stays
    tick()
    assert sum(map(len, publish.chunks)) == 0  # 200 in flight already, over 150


def test_a_dispatch_never_raises(db, caplog):
    """Dispatcher.dispatch (the timer's and the RPC methods'): an outage is logged once, any other error with
    its traceback; the requests stay pending either way."""
    from sqlalchemy import create_engine

    [individual(db, n) for n in range(3)]
    dispatch = Dispatcher(from_nameko({"CHUNK_SIZE": 10, "DISPATCH_LEASE_SECONDS": LEASE, "DISPATCH_WINDOW": 100}))
    dispatch.dispatch(create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none"), Recorder())
    assert dispatch.outage.failures == 1

    def broken(body, routing_key=None):
        raise ValueError("not a broker error")

    dispatch.dispatch(db, broken)
    assert "dispatch failed; pending requests stay in the journal" in caplog.text
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM requests WHERE dispatched_at IS NULL")).scalar() == 3
    assert dispatch.outage.failures == 1  # a failure that is not an outage does not end it
    publish = Recorder()
    dispatch.dispatch(db, publish)
    assert sum(map(len, publish.chunks)) == 3 and dispatch.outage.failures == 0


def test_a_new_individual_request_goes_out_at_once_in_a_chunk_of_its_own(db):
    """calls.requests.create_request with the dispatcher's dispatch_new (the journal's create_request RPC): the
    request is created claimed and published on the connection that created it; the timer's dispatch, while its
    lease runs, finds nothing to send."""
    from services.journal.calls import requests as calls

    group(db, 30)
    dispatch, publish = Dispatcher(from_nameko({"CHUNK_SIZE": 10, "DISPATCH_LEASE_SECONDS": LEASE})), Recorder()
    created = calls.create_request(
        db, ME, params(900), 0, lambda conn, work: dispatch.dispatch_new(conn, publish, work)
    )
    assert [[i["request_id"] for i in c] for c in publish.chunks] == [[created["id"]]]
    assert set(publish.chunks[0][0]) == {"request_id", "external_id", "params", "group_id"}
    assert publish.chunks[0][0]["params"]["enp"] == params(900)["enp"] and "work" not in created
    with db.begin() as conn:
        row = conn.execute(
            text("SELECT dispatch_count, dispatched_at FROM requests WHERE id = :i"), {"i": created["id"]}
        ).one()
        assert row.dispatch_count == 1 and row.dispatched_at is not None
    later = Recorder()
    dispatch.dispatch(db, later)
    assert created["id"] not in [i["request_id"] for c in later.chunks for i in c]  # claimed once only


def test_a_failed_publish_of_a_new_request_leaves_it_to_the_sweeping_dispatch(db, caplog):
    from services.journal.calls import requests as calls

    dispatch = Dispatcher(from_nameko({"CHUNK_SIZE": 10, "DISPATCH_LEASE_SECONDS": LEASE, "DISPATCH_WINDOW": 100}))

    def broken(body, routing_key=None):
        raise ValueError("not a broker error")

    created = calls.create_request(db, ME, params(901), 0, lambda conn, work: dispatch.dispatch_new(conn, broken, work))
    assert "dispatch failed; pending requests stay in the journal" in caplog.text
    with db.connect() as conn:
        assert (
            conn.execute(text("SELECT dispatched_at FROM requests WHERE id = :i"), {"i": created["id"]}).scalar()
            is None
        )
    publish = Recorder()
    dispatch.dispatch(db, publish)  # the timer's dispatch sends it
    assert [i["request_id"] for c in publish.chunks for i in c] == [created["id"]]


def test_a_failed_publish_is_given_back_on_a_connection_that_is_not_in_autocommit(db):
    """The public API's path: the request is created claimed in a transaction of its own (with the idempotency
    key), committed; the give-back after a failed publish is committed too, not rolled back when the connection
    goes back to the pool."""
    dispatch = Dispatcher(from_nameko({"CHUNK_SIZE": 10, "DISPATCH_LEASE_SECONDS": LEASE, "DISPATCH_WINDOW": 100}))

    def broken(body, routing_key=None):
        raise ValueError("not a broker error")

    with db.connect() as conn:
        with conn.begin():
            created = store.create_request(conn, ME, params(902), claim=True)
        dispatch.dispatch_new(conn, broken, created["work"])
    with db.connect() as conn:
        row = conn.execute(text("SELECT dispatched_at FROM requests WHERE id = :i"), {"i": created["id"]}).scalar()
    assert row is None


def test_answers_refill_the_window_only_when_a_dispatch_left_requests_pending(db):
    """Dispatcher.refill (after each answers message): a dispatch that claimed everything pending leaves nothing
    to refill with, so the answers of individual requests cost no claim; a full window does."""
    from sqlalchemy import create_engine

    away = create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/none")  # any use of it is an outage
    dispatch = Dispatcher(from_nameko({"CHUNK_SIZE": 10, "DISPATCH_LEASE_SECONDS": LEASE, "DISPATCH_WINDOW": 20}))
    publish = Recorder()
    dispatch.dispatch(db, publish)  # nothing pending at all
    assert publish.chunks == [] and dispatch.backlog is False
    dispatch.backlog = True
    [individual(db, 700 + n) for n in range(3)]
    dispatch.dispatch(db, publish)
    assert sum(map(len, publish.chunks)) == 3 and dispatch.backlog is False
    dispatch.refill(away, publish)
    assert dispatch.outage.failures == 0  # not even tried
    _, group_ids = group(db, 40)
    dispatch.refill(db, publish)  # a group created elsewhere: this process's timer finds it, not its answers
    assert sum(map(len, publish.chunks)) == 3
    dispatch.dispatch(db, publish)  # the timer: the window (20) holds the rest back
    assert sum(map(len, publish.chunks)) == 20 and dispatch.backlog is True
    with db.begin() as conn:
        store.store_outcomes(conn, answer(group_ids[:10]))
    dispatch.refill(db, publish)  # answers freed 10: refilled at once
    assert sum(map(len, publish.chunks)) == 30 and dispatch.backlog is True
