"""What the bridge counts for /metrics (shared/metrics.py): each call by outcome with its duration, each request
put off by reason, each mass batch by outcome."""

from prometheus_client import REGISTRY

from services.ferzl_bridge.errors import FerzlAuthError, FerzlRejected, FerzlUnavailable
from tests.unit.test_bridge_work import REGISTER, Mass, Single, bridge, item


def sample(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def deltas(run, *series):
    before = [sample(n, **labels) for n, labels in series]
    run()
    return [sample(n, **labels) - b for (n, labels), b in zip(series, before)]


def test_each_single_call_counts_by_outcome_and_is_timed():
    enps = [p.enp for p in REGISTER.sample(6)]
    single = Single(
        {
            enps[1]: FerzlRejected("400", "Неверная контрольная цифра ЕНП"),
            enps[2]: FerzlUnavailable("503", "down"),
            enps[3]: FerzlUnavailable("429", "busy"),
            enps[4]: RuntimeError("bug"),
        }
    )
    outcomes = ("ok", "rejected", "unavailable", "limited", "internal")
    got = deltas(
        lambda: bridge(single).process([item(i, enp=e) for i, e in enumerate(enps)]),
        *[("ozsp_ferzl_calls_total", {"outcome": o}) for o in outcomes],
        ("ozsp_ferzl_call_seconds_count", {}),
        ("ozsp_ferzl_retries_total", {"reason": "unavailable"}),
    )
    assert got == [2, 1, 1, 1, 1, 6, 2]


def test_a_refused_token_counts_auth_and_the_held_requests():
    enp = REGISTER.sample(1)[0].enp
    got = deltas(
        lambda: bridge(Single({enp: FerzlAuthError("401", "token")})).process([item(1, enp=enp)]),
        ("ozsp_ferzl_calls_total", {"outcome": "auth"}),
        ("ozsp_ferzl_retries_total", {"reason": "auth"}),
    )
    assert got == [1, 1]


def test_a_mass_batch_counts_once_with_its_persons():
    persons = REGISTER.sample(10)
    b = bridge(mass_client=Mass(), mass_min=5, wait=0.01)
    got = deltas(
        lambda: b.process([item(i, group_id=1, enp=p.enp) for i, p in enumerate(persons)]),
        ("ozsp_ferzl_mass_batches_total", {"outcome": "ok"}),
        ("ozsp_ferzl_mass_persons_total", {}),
        ("ozsp_ferzl_calls_total", {"outcome": "ok"}),
    )
    assert got == [1, 10, 0]
