"""Helpers of the ferzl_bridge integration tests (no tests here): requests put straight into the journal's
outbox, waiting for their answers, the bridge's state over RPC, the emulator's counters."""

import json
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from services.journal import store
from tests.ferzl_support import blank_params
from tests.support import wait_for

pytestmark = pytest.mark.integration

IDENTITY = store.Identity({"user_id": 1, "organization_id": 1})
params = blank_params  # search parameters with every key present


def create(engine, params_list, group=None):
    """Requests (individual, or the rows of a new group when group is a name); returns their ids in order.

    They go into the requests table (the outbox) exactly as the journal's own create calls put them; the
    journal's dispatcher publishes them to the bridge."""
    with engine.begin() as conn:
        group_id = None
        if group:
            group_id = conn.execute(
                text(
                    "INSERT INTO groups (organization_id, user_id, name, total) VALUES (1, 1, :name, :total) RETURNING id"
                ),
                {"name": group, "total": len(params_list)},
            ).scalar_one()
        return [
            store.create_request(conn, IDENTITY, p, group_id=group_id, line_no=(n + 1) if group else None)["id"]
            for n, p in enumerate(params_list)
        ]


def rows(engine, ids):
    with engine.connect() as conn:
        found = (
            conn.execute(
                text("SELECT id, status, answer, error_code, error_message FROM requests WHERE id = ANY(:ids)"),
                {"ids": list(ids)},
            )
            .mappings()
            .all()
        )
    return {r["id"]: dict(r) for r in found}


def statuses(engine, ids):
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text("SELECT status, count(*) FROM requests WHERE id = ANY(:ids) GROUP BY status"), {"ids": list(ids)}
            ).all()
        )


def wait_final(engine, ids, timeout=60):
    wait_for(
        lambda: statuses(engine, ids).get("sent", 0) == 0, timeout, 0.2, f"all {len(ids)} requests to get an answer"
    )
    return rows(engine, ids)


def history_counts(engine, ids):
    """{request_id: number of answered/error history rows}: exactly one each when answered once."""
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT request_id, count(*) FROM request_history WHERE event IN ('answered', 'error') "
                    "AND request_id = ANY(:ids) GROUP BY request_id"
                ),
                {"ids": list(ids)},
            ).all()
        )


def without_mo_names(answer):
    """The bridge's answer without the МО names the journal adds."""
    answer = json.loads(json.dumps(answer))
    for a in (answer or {}).get("attachments") or []:
        a.pop("mo_name", None)
    return answer


def bridge_state(stack):
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=10) as rpc:
        return rpc.ferzl_bridge.get_state()


def wait_state(stack, state, timeout=30, reason=None):
    def reached():
        try:
            current = bridge_state(stack)
        except Exception:  # a bridge being restarted has no RPC queue for a moment (UnknownService)
            return None
        return current if current["state"] == state and (reason is None or current["reason"] == reason) else None

    return wait_for(reached, timeout, 0.2, f"ФЕРЗЛ state {state}")


def counters(stack):
    return stack.emulator("GET", "/emulator/admin").json()["counters"]


@contextmanager
def knobs(stack, **values):
    """Set emulator knobs; afterwards reset them and wait until the bridge sees ФЕРЗЛ up again."""
    start = stack.emulator("GET", "/emulator/admin").json()["knobs"]
    stack.set_knobs(**values)
    try:
        yield
    finally:
        restore = {k: start[k] for k in values if k in start}
        restore.update({"outage_s": 0, "down": False, "token": start["token"], "token_ttl_s": 0})
        stack.set_knobs(**restore)
        wait_state(stack, "up", 30)


def timed(fn):
    started = time.monotonic()
    value = fn()
    return value, time.monotonic() - started
