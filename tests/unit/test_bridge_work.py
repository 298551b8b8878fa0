"""A chunk through the bridge with fake clients (eventlet green threads, no network, no broker):
single calls, mass batches gathered across chunks, holds while down or out of rate tokens, retries,
fallbacks, and the archive records of every exchange."""

import time
from dataclasses import replace

import eventlet

from services.ferzl_bridge import lookup, mass
from services.ferzl_bridge.batcher import Batcher
from services.ferzl_bridge.calls import CallWorkers
from services.ferzl_bridge.circuit import DOWN, Circuit, MemoryStore
from services.ferzl_bridge.errors import FerzlAuthError, FerzlNotFound, FerzlRejected, FerzlUnavailable
from services.ferzl_bridge.ratelimit import Limiter, MemoryBucket
from services.ferzl_bridge.retry import Tiers
from services.ferzl_bridge.work import Bridge
from services.ferzl_emulator import mass as emulator_mass
from services.ferzl_emulator.register import Register
from shared import clock
from shared.config import Settings
from shared.dictionaries.mo import smo_dictionary
from shared.domain import Answer
from shared.messages import unpack_archive

REGISTER = Register(20231, 100_000)
SMO = {code: (name, ogrn) for code, name, ogrn in smo_dictionary()}


def item(i, group_id=None, **params):
    return {
        "request_id": i,
        "external_id": f"00000000-0000-0000-0000-{i:012d}",
        "group_id": group_id,
        "attempt": 0,
        "first_try_at": None,
        "params": {"enp": None, "oip": None, **params},
    }


class Single:
    """get_person_data by ЕНП: the register's answer, or a scripted error per ЕНП."""

    def __init__(self, errors=None, delay=0.0):
        self.errors, self.delay, self.calls = errors or {}, delay, 0

    def get_person_data(self, params, external_id, capture=None):
        self.calls += 1
        if self.delay:
            eventlet.sleep(self.delay)
        if capture is not None:
            capture.add(b"<request/>", b"<response/>", 200, 1.0)
        error = self.errors.get(params.get("enp") or params.get("oip"))
        if error:
            raise error
        person = REGISTER.by_enp(params["enp"]) if params.get("enp") else REGISTER.by_oip(params.get("oip"))
        if person is None:
            raise FerzlNotFound("409", "Персона не найдена")
        return Answer.from_dict(REGISTER.answer(person, clock.today()))


class Mass:
    def __init__(self, fail=None, polls_until_ready=1):
        self.fail, self.polls_until_ready = fail, polls_until_ready
        self.starts, self.jobs = [], {}

    def start(self, requests_, external_id, capture=None):
        if capture is not None:
            capture.add(b"<start/>", b"<token/>", 200, 1.0)
        if self.fail:
            raise self.fail
        self.starts.append(len(requests_))
        token = f"t{len(self.starts)}"
        triples = [(r.get("dt"), r.get("enp"), r.get("oip")) for r in requests_]
        self.jobs[token] = [emulator_mass.zipped(emulator_mass.items_xml(REGISTER, triples, clock.today())), 0]
        return token

    def poll(self, token, external_id, capture=None):
        job = self.jobs[token]
        job[1] += 1
        if capture is not None:
            capture.add(b"<poll/>", b"<zip/>", 200, 1.0)
        if job[1] < self.polls_until_ready:
            return "в обработке", None
        return "готов", job[0]


def bridge(
    single=None,
    mass_client=None,
    rate=0,
    trip=10,
    mass_min=5,
    batch=1000,
    wait=0.05,
    hold_budget=Settings.ferzl_hold_budget,
):
    circuit = Circuit(MemoryStore(), trip_failures=trip, refresh=0.0)
    limiter = Limiter(MemoryBucket(), rate, sleep=eventlet.sleep)
    settings = replace(Settings(), ferzl_concurrency=20, ferzl_hold_budget=hold_budget, ferzl_mass_poll=0.01)
    settings = replace(
        settings, ferzl_mass_min=mass_min, ferzl_mass_batch=batch, ferzl_mass_wait=wait, ferzl_mass_timeout=2
    )
    return Bridge(
        single or Single(), limiter, circuit, Tiers("0.5,1,2"), mass_client=mass_client, smo=SMO, settings=settings
    )


def test_every_kind_of_single_result():
    persons = REGISTER.sample(6)
    enps = [p.enp for p in persons]
    single = Single(
        {
            enps[1]: FerzlRejected("400", "Неверная контрольная цифра ЕНП"),
            enps[2]: FerzlUnavailable("503", "down"),
            enps[3]: FerzlUnavailable("429", "busy"),
            enps[4]: RuntimeError("bug"),
        }
    )
    result = bridge(single).process([item(i, enp=e) for i, e in enumerate(enps)])
    by_id = {o["request_id"]: o for o in result.outcomes}
    assert by_id[0]["status"] == "answered" and by_id[0]["answer"]["enp"] == enps[0]
    assert by_id[1]["status"] == "error" and by_id[1]["error_message"] == "Неверная контрольная цифра ЕНП"
    assert by_id[4]["status"] == "error" and by_id[4]["error_code"] == "internal"
    assert by_id[4]["error_message"] == lookup.INTERNAL_ERROR
    assert by_id[5]["status"] == "answered"
    assert list(result.later) == [0.5]
    assert sorted(i["request_id"] for i in result.later[0.5]) == [2, 3]
    assert all(i["attempt"] == 1 for i in result.later[0.5])
    assert sorted(h["request_id"] for h in result.held) == [2, 3] and {h["seconds"] for h in result.held} == {0.5}
    [record] = result.archive
    assert record["request_ids"] == list(range(6)) and record["exchanges"] == 6
    assert {(tuple(e["request_ids"]), e["operation"]) for e in unpack_archive(record["content"])} == {
        ((i,), "getPersonData") for i in range(6)
    }


def test_a_refused_token_holds_everything_and_trips_the_circuit():
    persons = REGISTER.sample(5)
    single = Single({p.enp: FerzlAuthError("401", "token") for p in persons})
    b = bridge(single)
    result = b.process([item(i, enp=p.enp) for i, p in enumerate(persons)])
    assert result.outcomes == [] and sorted(result.later) == [1.0]  # the hold tier
    assert all(i["attempt"] == 0 for i in result.later[1.0])
    assert b.circuit.state()["state"] == DOWN and b.circuit.state()["reason"] == "auth"
    assert single.calls <= 5


def test_while_down_nothing_is_called_and_work_is_held():
    single = Single()
    b = bridge(single)
    b.circuit.trip("unavailable")
    result = b.process([item(i, enp=p.enp) for i, p in enumerate(REGISTER.sample(3))])
    assert single.calls == 0 and result.outcomes == [] and len(result.later[1.0]) == 3


def test_probe_brings_the_circuit_back():
    single = Single()
    b = bridge(single)
    b.circuit.trip("unavailable")
    assert b.probe() is None  # the first probe comes probe_seconds after the trip
    b.circuit.store.row["probe_at"] = None
    assert b.probe() == "up" and b.circuit.allows()
    assert b.probe() is None  # nothing to probe while up
    b.circuit.trip("auth")
    b.client = Single({"000000000000": FerzlAuthError("401", "token")})
    b.circuit.store.row["probe_at"] = None
    assert b.probe() == "auth" and not b.circuit.allows()


def test_unavailable_in_a_row_trips_and_the_rest_of_the_chunk_is_held():
    persons = REGISTER.sample(30)
    single = Single({p.enp: FerzlUnavailable("503", "down") for p in persons})
    b = bridge(single, trip=5)
    b.calls = CallWorkers(1)  # one at a time, so the trip is seen before the next call
    result = b.process([item(i, enp=p.enp) for i, p in enumerate(persons)])
    assert single.calls == 5
    assert len(result.later[0.5]) == 5 and len(result.later[1.0]) == 25


def test_out_of_rate_tokens_by_the_deadline_means_hold():
    persons = REGISTER.sample(20)
    b = bridge(rate=5, hold_budget=0.3)
    started = time.monotonic()
    result = b.process([item(i, enp=p.enp) for i, p in enumerate(persons)])
    assert time.monotonic() - started < 1.5
    assert 1 <= len(result.outcomes) <= 4 and len(result.later[1.0]) == 20 - len(result.outcomes)


def test_group_rows_go_the_mass_path_in_batches_across_chunks_and_equal_the_single_path():
    persons = REGISTER.sample(120)
    mass_client = Mass(polls_until_ready=2)
    b = bridge(mass_client=mass_client, batch=50, wait=0.2)
    chunks = [
        [item(n * 20 + i, group_id=1, enp=p.enp) for i, p in enumerate(persons[n * 20 : (n + 1) * 20])]
        for n in range(6)
    ]
    pool = eventlet.GreenPool()
    results = list(pool.imap(b.process, chunks))
    assert sorted(mass_client.starts) == [20, 50, 50]
    answers = {o["request_id"]: o for r in results for o in r.outcomes}
    assert len(answers) == 120 and all(o["status"] == "answered" for o in answers.values())
    for n, p in enumerate(persons):
        assert answers[n]["answer"] == REGISTER.answer(p, clock.today())
    entries = [e for res in results for r in res.archive for e in unpack_archive(r["content"])]
    assert (
        sorted(e["operation"] for e in entries)
        == ["getMassInsuranceStatusPoll"] * 3 + ["getMassInsuranceStatusStart"] * 3
    )
    assert sorted(len(e["request_ids"]) for e in entries) == [20, 20, 50, 50, 50, 50]


def test_a_poll_in_progress_is_archived_only_when_it_was_repeated_on_a_new_connection():
    class Repeating(Mass):
        def poll(self, token, external_id, capture=None):
            if capture is not None and self.jobs[token][1] == 0:  # the first poll met a stale connection
                capture.add(b"<poll/>", None, None, 5.0, "соединение сброшено; запрос повторён на новом соединении")
            return super().poll(token, external_id, capture)

    mass_client = Repeating(polls_until_ready=3)
    result = bridge(mass_client=mass_client).process(
        [item(i, group_id=1, enp=p.enp) for i, p in enumerate(REGISTER.sample(10))]
    )
    assert {o["status"] for o in result.outcomes} == {"answered"}
    polls = [
        e
        for r in result.archive
        for e in unpack_archive(r["content"])
        if e["operation"] == "getMassInsuranceStatusPoll"
    ]
    assert [(e["http_status"], e.get("note")) for e in polls] == [
        (None, "соединение сброшено; запрос повторён на новом соединении"),
        (200, None),
        (200, None),
    ]


def test_small_or_mixed_chunks_go_single():
    persons = REGISTER.sample(8)
    mass_client = Mass()
    b = bridge(mass_client=mass_client, mass_min=5)
    rows = [item(i, group_id=1, enp=p.enp) for i, p in enumerate(persons[:4])] + [
        item(10 + i, group_id=1, enp=p.enp, surname=p.surname) for i, p in enumerate(persons[4:])
    ]
    result = b.process(rows)
    assert mass_client.starts == [] and b.client.calls == 8 and len(result.outcomes) == 8


def test_a_refused_mass_batch_falls_back_to_single_calls_and_a_failed_one_is_retried():
    persons = REGISTER.sample(10)
    rows = [item(i, group_id=1, enp=p.enp) for i, p in enumerate(persons)]
    b = bridge(mass_client=Mass(fail=FerzlRejected("400", "Не более 1000 персон в запросе")))
    result = b.process(rows)
    assert b.client.calls == 10 and all(o["status"] == "answered" for o in result.outcomes)
    b = bridge(mass_client=Mass(fail=FerzlUnavailable("500", "Системная ошибка")))
    result = b.process(rows)
    assert result.outcomes == [] and len(result.later[0.5]) == 10 and b.client.calls == 0


def test_nobody_in_a_mass_answer_is_not_found():
    unknown = REGISTER.sample(6, "unknown")
    rows = [item(i, group_id=1, enp=p.enp) for i, p in enumerate(unknown)]
    result = bridge(mass_client=Mass()).process(rows)
    assert {(o["status"], o["error_code"], o["error_message"]) for o in result.outcomes} == {
        ("error", "409", "Персона не найдена")
    }


def test_batcher_wakes_every_waiter_when_a_batch_fails():
    def run(items):
        raise RuntimeError("boom")

    batcher = Batcher(run, size=3, wait=0.01)
    results, extra = batcher.submit([item(i) for i in range(5)])
    assert set(results) == set(range(5)) and all(r[0] == "error" for r in results.values()) and extra == []


def test_mass_key_helper_is_consistent_with_split():
    rows = [item(i, group_id=1, enp=p.enp) for i, p in enumerate(REGISTER.sample(3))]
    assert [mass.key(r)[0] for r in rows] == ["enp"] * 3


def test_concurrency_is_bounded_for_all_chunks_together():
    in_flight, peak = [0], [0]

    class Counting(Single):
        def get_person_data(self, params, external_id, capture=None):
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            try:
                eventlet.sleep(0.01)
                return super().get_person_data(params, external_id, capture)
            finally:
                in_flight[0] -= 1

    b = bridge(Counting())
    b.calls = CallWorkers(7)
    persons = REGISTER.sample(60)
    chunks = [[item(n * 20 + i, enp=p.enp) for i, p in enumerate(persons[n * 20 : (n + 1) * 20])] for n in range(3)]
    results = list(eventlet.GreenPool().imap(b.process, chunks))
    assert sum(len(r.outcomes) for r in results) == 60 and peak[0] == 7


def test_a_chunk_stops_calling_when_its_budget_is_spent():
    persons = REGISTER.sample(40)
    b = bridge(Single(delay=0.05), hold_budget=0.12)
    b.calls = CallWorkers(2)  # 40 calls of 50 ms two at a time would take a second
    started = time.monotonic()
    result = b.process([item(i, enp=p.enp) for i, p in enumerate(persons)])
    assert time.monotonic() - started < 0.5
    assert 2 <= len(result.outcomes) <= 10 and len(result.later[1.0]) == 40 - len(result.outcomes)


def test_a_broken_chunk_is_retried_later_not_at_once():
    rows = [item(i, enp=p.enp, attempt=0) for i, p in enumerate(REGISTER.sample(3))]
    result = bridge().failed_chunk(rows)
    assert result.outcomes == [] and [i["attempt"] for i in result.later[0.5]] == [1, 1, 1]
    assert [h["seconds"] for h in result.held] == [0.5] * 3
