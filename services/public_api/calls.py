"""The public API's calls as plain code (#20; contracts/rpc-api.md): admit the caller, then the journal's and
ФЛК's own calls with the subsystem's identity. Every answer is a dict with "ok"; refusals carry "error" and a
Russian "message", ФЛК failures the same "errors" the web form shows."""

import base64
import csv
import functools
import io
import time
from collections.abc import Callable, Mapping
from typing import Any

from shared.params import COLUMNS
from shared.status import SENT

NOT_FOUND = "Запрос не найден."
GROUP_NOT_FOUND = "Групповой запрос не найден."
FLK_FAILED = "Запрос не прошёл форматно-логический контроль."
GROUP_FLK_FAILED = "Файл группового запроса не прошёл форматно-логический контроль."
PAGE_MAX = 5000
POLL_SECONDS = 0.5


def refusal(error: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": error, "message": message, **extra}


class Refused(Exception):
    """A call refused before it did anything; .answer is what the caller gets."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer["error"])
        self.answer = answer


def answers(method: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A refusal raised anywhere in the call is its answer."""

    @functools.wraps(method)
    def wrapped(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            return method(*args, **kwargs)
        except Refused as refused:
            return refused.answer

    return wrapped


class PublicApi:
    """journal, flk: RPC proxies (or the fakes of tests/fakes); limits from shared.config.Settings."""

    def __init__(
        self,
        journal: Any,
        flk: Any,
        vhost: str,
        calls_per_minute: int,
        wait_max: float,
        max_bytes: int,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.journal, self.flk, self.vhost = journal, flk, vhost
        self.calls_per_minute, self.wait_max, self.max_bytes = calls_per_minute, wait_max, max_bytes
        self.sleep, self.clock = sleep, clock

    def subsystem_of(self, broker_user: str | None) -> str | None:
        """'<vhost>.sub.<name>' -> name; None for any other user (a service, an administrator, no user_id)."""
        prefix = f"{self.vhost}.sub."
        return broker_user[len(prefix) :] if broker_user and broker_user.startswith(prefix) else None

    def admit(self, caller: tuple[str | None, str | None, int], action: str, **details: Any) -> dict[str, Any]:
        """-> what journal.subsystem_call admitted (identity, subsystem_id); raises Refused."""
        broker_user, _, size = caller
        name = self.subsystem_of(broker_user)
        if name is None:
            raise Refused(
                refusal(
                    "unknown_subsystem",
                    "Вызов без пользователя подсистемы: задайте свойство сообщения user_id "
                    "(пользователь RabbitMQ подсистемы).",
                )
            )
        if size > self.max_bytes:
            raise Refused(refusal("too_big", f"Сообщение больше {self.max_bytes} байт."))
        admitted: dict[str, Any] = self.journal.subsystem_call(name, action, self.calls_per_minute, details or None)
        if not admitted["ok"]:
            raise Refused(admitted)
        return admitted

    # --- individual requests ---

    @answers
    def lookup(
        self, caller: tuple[str | None, str | None, int], fields: Any, wait_seconds: Any = 10, key: Any = None
    ) -> dict[str, Any]:
        admitted = self.admit(caller, "lookup")
        if not isinstance(fields, Mapping):
            return refusal("bad_request", "fields: ожидается словарь полей запроса (contracts/rpc-api.md).")
        checked = self.flk.check_request(dict(fields))
        if not checked["ok"]:
            return refusal("flk", FLK_FAILED, errors=checked["errors"])
        key = str(key or caller[1] or "")[:200]
        if not key:
            return refusal("bad_request", "Нет ключа идемпотентности: задайте idempotency_key или correlation_id.")
        created = self.journal.create_request_once(admitted, checked["normalized"], key)
        identity = admitted["identity"]
        deadline = self.clock() + min(max(_number(wait_seconds), 0.0), self.wait_max)
        while True:
            card = self.journal.get_request(identity, created["id"])
            if card and card.get("status") != SENT:
                return {"ok": True, "id": created["id"], "status": card["status"], "card": card}
            if self.clock() >= deadline:
                return {"ok": True, "id": created["id"], "status": SENT}
            self.sleep(min(POLL_SECONDS, max(deadline - self.clock(), 0)))

    @answers
    def get_request(self, caller: tuple[str | None, str | None, int], request_id: Any) -> dict[str, Any]:
        admitted = self.admit(caller, "get_request", id=str(request_id)[:20])
        card = self.journal.get_request(admitted["identity"], _int(request_id))
        return {"ok": True, "card": card} if card else refusal("not_found", NOT_FOUND)

    @answers
    def list_requests(
        self, caller: tuple[str | None, str | None, int], filters: Any = None, page: Any = 1, per_page: Any = 50
    ) -> dict[str, Any]:
        admitted = self.admit(caller, "list_requests")
        if filters is not None and not isinstance(filters, Mapping):
            return refusal("bad_request", "filters: ожидается словарь (contracts/rpc-api.md).")
        per_page = min(max(_int(per_page), 1), 200)
        listed = self.journal.list_requests(admitted["identity"], dict(filters or {}), max(_int(page), 1), per_page)
        return {"ok": True, **listed}

    # --- groups ---

    @answers
    def submit_group(
        self,
        caller: tuple[str | None, str | None, int],
        name: Any,
        rows: Any = None,
        csv_b64: Any = None,
        idempotency_key: Any = None,
    ) -> dict[str, Any]:
        admitted = self.admit(caller, "submit_group", key=str(idempotency_key or "")[:200])
        if (rows is None) == (csv_b64 is None):
            return refusal("bad_request", "Задайте либо rows, либо csv_b64 (contracts/rpc-api.md).")
        if rows is not None:
            if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
                return refusal("bad_request", "rows: ожидается список словарей с полями по заголовку файла.")
            csv_b64 = rows_to_csv_b64(rows)
        if not isinstance(csv_b64, str):
            return refusal("bad_request", "csv_b64: ожидается строка base64.")
        checked = self.flk.check_group(csv_b64, "rpc.csv")
        if not checked["ok"]:
            return refusal("flk", GROUP_FLK_FAILED, errors=checked["errors"], warnings=checked.get("warnings", []))
        key = str(idempotency_key)[:200] if idempotency_key else None
        created = self.journal.create_group(
            admitted["identity"], str(name or "")[:200], "rpc.csv", checked["columns"], checked["rows"],
            checked.get("encoding"), key,
        )  # fmt: skip
        return {"ok": True, **created, "warnings": checked.get("warnings", [])}

    @answers
    def get_group(self, caller: tuple[str | None, str | None, int], group_id: Any) -> dict[str, Any]:
        admitted = self.admit(caller, "get_group", id=str(group_id)[:20])
        group = self.journal.get_group(admitted["identity"], _int(group_id))
        return {"ok": True, "group": group} if group else refusal("not_found", GROUP_NOT_FOUND)

    @answers
    def group_page(
        self, caller: tuple[str | None, str | None, int], action: str, group_id: Any, after_line: Any, limit: Any
    ) -> dict[str, Any]:
        """group_requests (form "cells": the answer file's cells) and export_group (form "csv": its lines)."""
        admitted = self.admit(caller, action, id=str(group_id)[:20])
        identity = admitted["identity"]
        if not self.journal.get_group(identity, _int(group_id)):
            return refusal("not_found", GROUP_NOT_FOUND)
        form = "csv" if action == "export_group" else "cells"
        limit = min(max(_int(limit), 1), PAGE_MAX)
        page = self.journal.export_page(identity, _int(group_id), max(_int(after_line), 0), limit, form)
        return {"ok": True, "rows": page, "next_after_line": page[-1]["line_no"] if page else None}


def rows_to_csv_b64(rows: list[Mapping[str, Any]]) -> str:
    """Rows keyed by the file's column names -> the group file (UTF-8, «;», the manual's header) in base64."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else str(row.get(c)) for c in COLUMNS])
    return base64.b64encode(out.getvalue().encode("utf-8")).decode()


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Refused(refusal("bad_request", f"Ожидается целое число, а передано «{str(value)[:40]}».")) from None


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise Refused(refusal("bad_request", f"Ожидается число, а передано «{str(value)[:40]}».")) from None


def announce(journal: Any, dispatch: Callable[[str, dict[str, Any]], None], kind: str, ids: Any) -> int:
    """The journal's finished requests or groups as events for their organisations' subsystems: event type
    "<kind>.<subsystem>" on public_api.events, the only routing key that subsystem may bind. -> events sent."""
    numbers = [i for i in ids or [] if isinstance(i, int) and not isinstance(i, bool)]
    if not numbers:
        return 0
    events = journal.subsystem_events(kind, numbers)
    for event in events:
        dispatch(f"{kind}.{event['subsystem']}", event["payload"])
    return len(events)
