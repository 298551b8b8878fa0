"""Journal business logic over a SQLAlchemy connection: no nameko here, tested without a broker."""

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, TextClause, text

from services.journal import changes, directory, reuse
from shared import clock
from shared import params as P
from shared.domain import Outcome
from shared.status import ANSWERED, ERROR, SENT, STATUSES, label

COUNT_CAP = 10_000  # list_requests counts up to this many; beyond it "total_exact" is false


class Identity(dict):
    """Who acts: {"user_id", "organization_id"}; every read is scoped to the organisation."""

    @property
    def organization_id(self) -> int:
        return int(self["organization_id"])

    @property
    def user_id(self) -> int:
        return int(self["user_id"])


class IdentityMismatch(ValueError):
    """The user does not belong to the organisation they act for (#20: the journal checks what it can)."""


def check_pair(conn: Connection, identity: Identity) -> None:
    """Refuse an identity whose user is not of its organisation (one indexed read; once per call, not per row)."""
    if not conn.execute(
        text("SELECT 1 FROM users WHERE id = :u AND organization_id = :o"),
        {"u": identity.user_id, "o": identity.organization_id},
    ).first():
        raise IdentityMismatch(
            f"Пользователь {identity.user_id} не состоит в организации {identity.organization_id}: запрос не создан."
        )


# One statement creates a request (one round trip, as a user waits on it): who acts (the CTE `who`: the pair of the
# identity, or the live session of the user), the newest fresh answer of the same person (reuse.py), the row --
# answered from that answer, or «Отправлен» and, with :claim, claimed for its dispatch at once as claim_pending
# would -- and its history. No row when `who` is empty.
def _create_sql(who: str) -> TextClause:
    return text(
        "WITH " + who + ", fresh AS (" + reuse.FRESH_SQL + "), "
        "ins AS (INSERT INTO requests (organization_id, user_id, group_id, line_no, name, params, fio_search, "
        "  person_key, status, answer, answered_at, dispatched_at, dispatch_count, reused_from, ferzl_answered_at, "
        "  person_ref, changes_since) "
        "  SELECT w.organization_id, w.user_id, :group, :line, :name, CAST(:params AS jsonb), :fio, :key, "
        "  CASE WHEN f.id IS NULL THEN 'sent' ELSE 'answered' END, f.answer, "
        "  CASE WHEN f.id IS NULL THEN NULL ELSE CAST(:now AS timestamptz) END, "
        "  CASE WHEN f.id IS NOT NULL THEN CAST(:now AS timestamptz) WHEN :claim THEN now() END, "
        "  CASE WHEN f.id IS NULL AND :claim THEN 1 ELSE 0 END, "
        "  f.id, f.answered_at, f.person_ref, f.changes_since "
        "  FROM who w LEFT JOIN fresh f ON true "
        "  RETURNING id, external_id, status, created_at, reused_from, params), "
        "h AS (INSERT INTO request_history (request_id, event) SELECT ins.id, e.event FROM ins CROSS JOIN LATERAL "
        "  unnest(CASE WHEN ins.status = 'sent' THEN ARRAY['created'] ELSE ARRAY['created', 'answered'] END) "
        "  WITH ORDINALITY AS e(event, n) ORDER BY ins.id, e.n) "
        "SELECT id, external_id, status, created_at, reused_from, params FROM ins"
    )


_CREATE = _create_sql(
    "who AS (SELECT id AS user_id, organization_id FROM users WHERE id = :user AND organization_id = :org)"
)
_CREATE_IN_SESSION = _create_sql(
    directory.SESSION_CTES + ", who AS (SELECT user_id, organization_id FROM live WHERE user_id = :user)"
)


def create_request(
    conn: Connection,
    identity: Identity,
    params: Mapping[str, Any],
    group_id: int | None = None,
    line_no: int | None = None,
    reuse_minutes: float = 0,
    claim: bool = False,
) -> dict[str, Any]:
    """A new request, «Отправлен»; answered at once from a fresh answer (services/journal/reuse.py) when
    `reuse_minutes` > 0 and this organisation has one for the same person. IdentityMismatch when the user is not
    of the organisation. With `claim`, a request left «Отправлен» is claimed for its dispatch at once and "work"
    holds its work item ([] otherwise): the caller publishes it after the commit (Dispatcher.dispatch_new)."""
    binds = {"org": identity.organization_id, "user": identity.user_id}
    created = _create(conn, _CREATE, binds, params, group_id, line_no, reuse_minutes, claim)
    if created is None:
        raise IdentityMismatch(
            f"Пользователь {identity.user_id} не состоит в организации {identity.organization_id}: запрос не создан."
        )
    return created


def create_request_in_session(
    conn: Connection,
    token: str,
    idle_minutes: int,
    absolute_hours: int,
    user_id: int,
    params: Mapping[str, Any],
    reuse_minutes: float = 0,
    claim: bool = False,
) -> dict[str, Any] | None:
    """create_request for the live session of this token (directory.session_identity's rules, its idle timer
    refreshed likewise) when it is `user_id`'s, in the same statement; None, and nothing made, otherwise."""
    binds = {**directory.session_binds(token, idle_minutes, absolute_hours), "user": int(user_id)}
    return _create(conn, _CREATE_IN_SESSION, binds, params, None, None, reuse_minutes, claim)


def _create(
    conn: Connection,
    statement: TextClause,
    binds: dict[str, Any],
    params: Mapping[str, Any],
    group_id: int | None,
    line_no: int | None,
    reuse_minutes: float,
    claim: bool,
) -> dict[str, Any] | None:
    row = (
        conn.execute(
            statement,
            {
                **binds,
                "group": group_id,
                "line": line_no,
                "name": params.get("name") or "",
                "params": json.dumps(params, ensure_ascii=False),
                "fio": P.fio_search_key(params),
                "key": reuse.person_key(params),
                "seconds": 60 * float(reuse_minutes) if reuse_minutes and reuse_minutes > 0 else 0,
                "now": clock.now(),
                "claim": bool(claim),
            },
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    claimed = claim and row["status"] == SENT
    return {
        "id": row["id"],
        "status": row["status"],
        "status_label": label(row["status"]),
        "created_at": row["created_at"].isoformat(),
        "reused_from": row["reused_from"],
        **({"work": [_work_item(row)] if claimed else []} if claim else {}),
    }


def _work_item(row: RowMapping) -> dict[str, Any]:
    return {"request_id": row["id"], "external_id": str(row["external_id"]), "params": row["params"], "group_id": None}


def unclaim(conn: Connection, request_ids: Sequence[int]) -> None:
    """Give back requests claimed at creation whose publish failed: the sweeping dispatch sends them at once,
    not after their lease."""
    conn.execute(
        text("UPDATE requests SET dispatched_at = NULL WHERE id = ANY(:ids) AND status = 'sent'"),
        {"ids": list(request_ids)},
    )


DISPATCH_LOCK = 0x6F7A7370  # pg advisory lock key ("ozsp"): one dispatcher at a time counts and claims
FAIR_PASSES = 6  # rounds of sharing the capacity between groups before the catch-all
# Claims lock the chosen ids first (an array, so the UPDATE never turns into a join over the whole table).
# Every choice reads a partial index holding only its candidates (migration 0008): requests never published
# (dispatched_at IS NULL) or, by ix_requests_in_flight, those whose lease ran out -- never the rows in flight,
# which the journal would otherwise walk past on every dispatch (up to the whole window, 5 ms each time).
_CLAIM = (
    "UPDATE requests SET dispatched_at = now(), dispatch_count = dispatch_count + 1 "
    "WHERE id = ANY(ARRAY({ids})) RETURNING id, external_id, params, group_id"
)
_CLAIM_EXPIRED = _CLAIM.format(
    ids=(  # ix_requests_in_flight: published, not answered, lease run out
        "SELECT id FROM requests WHERE status = 'sent' AND dispatched_at < now() - make_interval(secs => :lease) "
        "ORDER BY dispatched_at LIMIT :limit FOR UPDATE SKIP LOCKED"
    )
)
_CLAIM_INDIVIDUAL = _CLAIM.format(
    ids=(  # ix_requests_new_single
        "SELECT id FROM requests WHERE status = 'sent' AND dispatched_at IS NULL AND group_id IS NULL "
        "ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
    )
)
# Up to :share rows of each group, groups in the given order, from ix_requests_new_group. The group is
# matched by a range, not "=", so that only that index gives the order (group_id, id): with "=" the planner
# may walk another index by id and filter, past every pending row of the older groups (measured).
_CLAIM_GROUPS = _CLAIM.format(
    ids=(
        "SELECT r.id FROM unnest(CAST(:groups AS bigint[])) WITH ORDINALITY AS g(id, n) CROSS JOIN LATERAL ("
        "  SELECT id FROM requests WHERE status = 'sent' AND dispatched_at IS NULL AND group_id IS NOT NULL "
        "  AND group_id >= g.id AND group_id <= g.id "
        "  ORDER BY group_id, id LIMIT :share FOR UPDATE SKIP LOCKED) r ORDER BY g.n, r.id LIMIT :limit"
    )
)
_CLAIM_ANY = _CLAIM.format(
    ids=(  # ix_requests_new
        "SELECT id FROM requests WHERE status = 'sent' AND dispatched_at IS NULL "
        "ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
    )
)


# the dispatcher's turn, and plain index scans for the rest of the transaction (SET LOCAL, in the same round trip)
_TAKE_TURN = text("SELECT pg_try_advisory_xact_lock(:key) FROM set_config('enable_bitmapscan', 'off', true)")
_ANY_WORK = text(  # anything to claim: a request never published, or one whose lease ran out
    "SELECT EXISTS (SELECT FROM requests WHERE status = 'sent' AND dispatched_at IS NULL) OR EXISTS ("
    "SELECT FROM requests WHERE status = 'sent' AND dispatched_at < now() - make_interval(secs => :lease))"
)


def dispatch_window(
    chunk_size: int,
    concurrency: int,
    lease_seconds: float,
    rate_limit: float | None = 0.0,
    configured: int | None = 0,
    bridges: int | None = 1,
) -> int:
    """How many requests the journal keeps in flight (published, not answered, lease alive).

    `configured` (DISPATCH_WINDOW) > 0 is the window; 0 means automatic: what the bridge processes prefetch,
    max_workers (FERZL_CONCURRENCY + 10) chunks each, `bridges` of them (at least one). With a rate limit
    either is capped so that everything in flight can be looked up within half a lease:
    max(chunk_size, rate × lease / 2) — otherwise leases would run out in the queue and the same requests
    would be looked up twice."""
    chunk_size = max(1, int(chunk_size))
    configured = int(configured or 0)
    per_bridge = chunk_size * (max(0, int(concurrency)) + 10)
    window = configured if configured > 0 else per_bridge * max(1, int(bridges or 1))
    rate = float(rate_limit or 0)
    if rate > 0:
        window = min(window, max(chunk_size, int(rate * float(lease_seconds) / 2)))
    return max(1, window)


def in_flight(conn: Connection, lease_seconds: float) -> int:
    """Requests published and still awaited: «Отправлен» with a live lease (parked ones have it in the future)."""
    return conn.execute(
        text(
            "SELECT count(*) FROM requests WHERE status = 'sent' "
            "AND dispatched_at >= now() - make_interval(secs => :lease)"
        ),
        {"lease": lease_seconds},
    ).scalar_one()


def dispatch_room(conn: Connection, window: int, lease_seconds: float) -> int:
    """How many requests this transaction may claim: window − in flight; 0 when nothing waits to be claimed or
    while another dispatcher's transaction has the turn (a transaction-scoped advisory lock, so two journal
    processes never overshoot)."""
    return dispatch_turn(conn, window, lease_seconds)[0]


def dispatch_turn(conn: Connection, window: int, lease_seconds: float) -> tuple[int, bool]:
    """(dispatch_room, whether anything may wait to be claimed: False only when this transaction looked and
    found nothing).

    The rest of the transaction reads the partial indexes by plain index scans, not bitmaps: every claim and
    every answer leaves a dead version of the row in them until vacuum, and only a plain scan marks such an
    entry dead for the next one (a bitmap scan visited all of them at every dispatch: 3 ms with 40,000)."""
    if not conn.execute(_TAKE_TURN, {"key": DISPATCH_LOCK}).scalar_one():
        return 0, True
    if not conn.execute(_ANY_WORK, {"lease": lease_seconds}).scalar_one():
        return 0, False  # nothing to claim: no need to count what is in flight (the whole window, at every tick)
    return max(0, int(window) - in_flight(conn, lease_seconds)), True


def claim_pending(conn: Connection, limit: int, lease_seconds: float, sweep: bool = True) -> list[dict[str, Any]]:
    """Take up to `limit` requests that wait for ФЕРЗЛ and have no live dispatch; mark them dispatched.

    Fair order: requests whose lease ran out (published long ago, rare) first; then individual requests (a user
    waits on screen), oldest first; then the rest shared evenly between the groups in progress (each group's
    rows by id; what a group cannot use goes to the others); then anything left, by id. The caller publishes
    them and commits; a rollback (failed publish) leaves them pending. The catch-all by id (rows of a group
    already marked finished; it walks the dead versions of every claimed row) runs when groups still have
    shares to hand out or with `sweep` — the service sweeps every few seconds, not at every dispatch.
    Returns [{request_id, external_id, params, group_id}] sorted by request_id."""
    lease = {"lease": lease_seconds}
    rows: list[RowMapping] = []
    for query in (_CLAIM_EXPIRED, _CLAIM_INDIVIDUAL):
        if limit - len(rows) > 0:
            rows += conn.execute(text(query), {**lease, "limit": limit - len(rows)}).mappings().all()
    remaining = limit - len(rows)
    active: Sequence[int] = (
        conn.execute(text("SELECT id FROM groups WHERE finished_at IS NULL ORDER BY id")).scalars().all()
        if remaining > 0
        else []
    )
    for _ in range(FAIR_PASSES):
        if remaining <= 0 or not active:
            break
        share = max(1, remaining // len(active))
        got = (
            conn.execute(text(_CLAIM_GROUPS), {"groups": list(active), "share": share, "limit": remaining})
            .mappings()
            .all()
        )
        per_group: dict[int, int] = {}
        for r in got:
            per_group[r["group_id"]] = per_group.get(r["group_id"], 0) + 1
        active = [g for g in active if per_group.get(g, 0) >= share]  # the others have nothing more now
        rows += got
        remaining -= len(got)
    if remaining > 0 and (active or sweep):  # shares not handed out above; with `sweep` also anything missed
        rows += conn.execute(text(_CLAIM_ANY), {"limit": remaining}).mappings().all()
    return [
        {"request_id": r["id"], "external_id": str(r["external_id"]), "params": r["params"], "group_id": r["group_id"]}
        for r in sorted(rows, key=lambda r: r["id"])
    ]


def dispatch_chunks(items: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """Claimed items -> work chunks of up to `size`: individual requests first, in chunks of their own; then
    group rows, each group's rows together (the bridge's mass path wants many rows of a group in one chunk)."""
    size = max(1, int(size))
    single = [i for i in items if i["group_id"] is None]
    grouped = sorted((i for i in items if i["group_id"] is not None), key=lambda i: (i["group_id"], i["request_id"]))
    return [part[n : n + size] for part in (single, grouped) for n in range(0, len(part), size)]


def mo_names(conn: Connection, codes: Iterable[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = conn.execute(
        text("SELECT code, name FROM mo_dictionary WHERE code = ANY(:codes)"), {"codes": sorted(codes)}
    ).all()
    return dict(rows)


_STORE = text(
    "WITH v AS (SELECT * FROM jsonb_to_recordset(CAST(:data AS jsonb)) AS v(id bigint, status text, answer jsonb, "
    "  error_code text, error_message text, answered_at timestamptz, person_ref text) ORDER BY id), "
    "u AS (UPDATE requests r SET status = v.status, answer = v.answer, error_code = v.error_code, "
    "  error_message = v.error_message, answered_at = v.answered_at, person_ref = v.person_ref "
    "  FROM v WHERE r.id = v.id AND r.status = 'sent' RETURNING r.id, r.status, r.group_id, r.organization_id), "
    "h AS (INSERT INTO request_history (request_id, event) SELECT id, status FROM u) "
    "SELECT id, status, group_id, organization_id FROM u ORDER BY id"
)


def store_outcomes(conn: Connection, outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """Store answers idempotently: only requests still «Отправлен» change; repeats are counted and ignored.
    -> {"stored", "duplicates", "singles": ids of the individual requests this finished (their pages wait),
    "groups": ids of the groups whose last row this stored (announced to subsystems, #20)}.

    One statement a chunk: the rows, their history events. No SELECT … FOR UPDATE first: the UPDATE locks each
    row itself (a row answered meanwhile by another transaction is re-checked and skipped), and a separate lock
    wrote every row twice (~13 µs a row of PostgreSQL's time). Two transactions storing the same requests at
    once (a redelivered chunk) may deadlock: PostgreSQL ends one, its message is redelivered, nothing is lost."""
    by_id = {o.request_id: o for o in outcomes}
    if not by_id:
        return {"stored": 0, "duplicates": 0, "singles": [], "groups": []}
    codes = {a.mo_code for o in by_id.values() if o.answer for a in o.answer.attachments}
    names = mo_names(conn, {c for c in codes if c is not None})
    records = [
        {
            "id": i,
            "status": o.status,
            "answer": o.answer.with_mo_names(names).to_dict(named=True) if o.answer else None,
            "error_code": o.error_code,
            "error_message": o.error_message,
            "answered_at": o.answered_at,
            "person_ref": changes.person_ref(o.answer),
        }
        for i, o in sorted(by_id.items())
    ]
    updated = conn.execute(_STORE, {"data": json.dumps(records, ensure_ascii=False)}).mappings().all()
    changes.record(  # what changed since this organisation's previous answer for the person (#22)
        conn,
        [
            {
                "id": u["id"],
                "organization_id": u["organization_id"],
                "person_ref": r["person_ref"],
                "answer": r["answer"],
            }
            for u, r in _with_records(updated, records)
            if u["status"] == ANSWERED
        ],
    )
    groups = _count_group_answers(conn, updated)
    singles = [u["id"] for u in updated if u["group_id"] is None]
    return {"stored": len(updated), "duplicates": len(by_id) - len(updated), "singles": singles, "groups": groups}


def _with_records(
    updated: Sequence[RowMapping], records: Sequence[dict[str, Any]]
) -> list[tuple[RowMapping, dict[str, Any]]]:
    by_id = {r["id"]: r for r in records}
    return [(u, by_id[u["id"]]) for u in updated]


def _count_group_answers(conn: Connection, updated: Sequence[RowMapping]) -> list[int]:
    """The groups' counters moved on -> the groups this finished (their row locked first, with the lock the
    UPDATE takes anyway, so exactly one transaction sees a group go from unfinished to finished)."""
    per_group: dict[int, tuple[int, int]] = {}
    for u in updated:
        if u["group_id"] is not None:
            answered, failed = per_group.get(u["group_id"], (0, 0))
            per_group[u["group_id"]] = (answered + (u["status"] == ANSWERED), failed + (u["status"] == ERROR))
    finished = []
    for group_id, (answered, failed) in sorted(per_group.items()):
        was_open = conn.execute(
            text("SELECT finished_at IS NULL FROM groups WHERE id = :g FOR NO KEY UPDATE"), {"g": group_id}
        ).scalar()
        now_done = conn.execute(
            text(
                "UPDATE groups SET answered = answered + :a, failed = failed + :f, "
                "finished_at = CASE WHEN answered + :a + failed + :f >= total THEN now() ELSE finished_at END "
                "WHERE id = :g RETURNING finished_at IS NOT NULL"
            ),
            {"a": answered, "f": failed, "g": group_id},
        ).scalar()
        if was_open and now_done:
            finished.append(group_id)
    return finished


def _card(row: RowMapping) -> dict[str, Any]:
    params = row["params"]
    return {
        "id": row["id"],
        "name": row["name"],
        "status": row["status"],
        "status_label": label(row["status"]),
        "created_at": row["created_at"].isoformat(),
        "answered_at": row["answered_at"].isoformat() if row["answered_at"] else None,
        "group_id": row["group_id"],
        "line_no": row["line_no"],
        "params": params,
        "params_text": P.describe_text(params),
        "answer": row["answer"],
        "error": ({"code": row["error_code"], "message": row["error_message"]} if row["status"] == ERROR else None),
        "reused_from": row["reused_from"],
        "ferzl_answered_at": _ferzl_answered_at(row),
        "mismatch": list((row["answer"] or {}).get("mismatch") or []) if row["status"] == ANSWERED else [],
        "changes_since": row["changes_since"] if row["status"] == ANSWERED else None,
    }


def _ferzl_answered_at(row: RowMapping) -> str | None:
    """When ФЕРЗЛ gave the answer the card shows: its own answer's time, or that of the answer it reused."""
    if row["status"] != ANSWERED:
        return None
    at = row["ferzl_answered_at"] or row["answered_at"]
    return at.isoformat() if at else None


def get_card(conn: Connection, identity: Identity, request_id: int) -> dict[str, Any] | None:
    row = (
        conn.execute(
            text("SELECT * FROM requests WHERE id = :id AND organization_id = :org"),
            {"id": request_id, "org": identity.organization_id},
        )
        .mappings()
        .first()
    )
    return _card(row) if row else None


def get_cards(conn: Connection, identity: Identity, request_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The cards of these requests that are this organisation's, in id order (others are left out)."""
    rows = conn.execute(
        text("SELECT * FROM requests WHERE id = ANY(:ids) AND organization_id = :org ORDER BY id"),
        {"ids": list(request_ids), "org": identity.organization_id},
    ).mappings()
    return [_card(row) for row in rows]


def where_created(where: list[str], args: dict[str, Any], date_from: date | None, date_to: date | None) -> None:
    """Add the created_at conditions of an inclusive Moscow date range to a WHERE list and its arguments."""
    start, end = clock.day_bounds(date_from, date_to)
    if start:
        where.append("created_at >= :start")
        args["start"] = start
    if end:
        where.append("created_at < :end")
        args["end"] = end


def list_requests(
    conn: Connection, identity: Identity, filters: Mapping[str, Any] | None = None, page: int = 1, per_page: int = 50
) -> dict[str, Any]:
    """A page of the journal, newest first; one group's requests in the order of its file.
    Filters: date_from, date_to (date), fio, status, group_id, mine."""
    filters = filters or {}
    where = ["organization_id = :org"]
    args: dict[str, Any] = {"org": identity.organization_id}
    if filters.get("group_id") is not None:
        where.append("group_id = :group")
        args["group"] = int(filters["group_id"])
    elif not filters.get("all_groups"):
        where.append("group_id IS NULL")
    if filters.get("mine"):  # only the acting user's requests (the summary under the form)
        where.append("user_id = :user")
        args["user"] = identity.user_id
    where_created(where, args, filters.get("date_from"), filters.get("date_to"))
    if filters.get("changed"):  # «изменилось с прошлой проверки» (#22)
        where.append("jsonb_array_length(changes_since->'fields') > 0")
    if filters.get("status") in STATUSES:
        where.append("status = :status")
        args["status"] = filters["status"]
    if filters.get("fio"):
        where.append("fio_search LIKE :fio")
        args["fio"] = "%" + _escape_like(P.fold(filters["fio"].strip())) + "%"
    clause = " AND ".join(where)
    order = "line_no, id" if filters.get("group_id") is not None else "created_at DESC, id DESC"
    # Counting is capped: an exact count of a broad filter over millions of rows costs seconds.
    counted: int = conn.execute(
        text(f"SELECT count(*) FROM (SELECT 1 FROM requests WHERE {clause} LIMIT :cap) s"),
        {**args, "cap": COUNT_CAP + 1},
    ).scalar_one()
    rows = (
        conn.execute(
            text(
                f"SELECT id, name, params, status, created_at, answered_at, group_id, line_no, changes_since FROM requests "
                f"WHERE {clause} ORDER BY {order} LIMIT :limit OFFSET :offset"
            ),
            {**args, "limit": per_page, "offset": (max(page, 1) - 1) * per_page},
        )
        .mappings()
        .all()
    )
    items = [
        {
            "id": r["id"],
            "name": r["name"],
            "created_at": r["created_at"].isoformat(),
            "params_text": P.describe_text(r["params"]),
            "status": r["status"],
            "status_label": label(r["status"]),
            "group_id": r["group_id"],
            "line_no": r["line_no"],
            "changes_since": r["changes_since"],
        }
        for r in rows
    ]
    return {
        "items": items,
        "total": min(counted, COUNT_CAP),
        "total_exact": counted <= COUNT_CAP,
        "page": page,
        "per_page": per_page,
    }


def count_recent(conn: Connection, identity: Identity, seconds: float) -> int:
    """Individual requests the user created in the last `seconds` (the per-user submission limit)."""
    return conn.execute(
        text(
            "SELECT count(*) FROM requests WHERE organization_id = :org AND user_id = :user AND group_id IS NULL "
            "AND created_at > now() - make_interval(secs => :secs)"
        ),
        {"org": identity.organization_id, "user": identity.user_id, "secs": float(seconds)},
    ).scalar_one()


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def parse_date(value: date | str | None) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
