"""RPC of group requests (manual §5): create, read, list, the finished notices, export pages."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from services.journal import groups, store
from shared import export


def create_group(
    engine: Engine,
    identity: Mapping[str, Any],
    name: str,
    filename: str,
    columns: list[str],
    rows: list[list[Any]],
    encoding: str | None = None,
    idempotency_key: str | None = None,
    reuse_minutes: float | str = 0,
) -> dict[str, Any] | None:
    """All rows of a file that passed ФЛК become requests in one transaction (the caller then dispatches);
    rows with a fresh answer (within `reuse_minutes`) are answered from it."""
    with engine.begin() as conn:
        store.check_pair(conn, store.Identity(identity))
        return groups.create_group(
            conn,
            store.Identity(identity),
            name,
            filename,
            columns,
            rows,
            encoding,
            idempotency_key,
            float(reuse_minutes or 0),
        )


def get_group(engine: Engine, identity: Mapping[str, Any], group_id: int | str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return groups.get_group(conn, store.Identity(identity), int(group_id))


def list_groups(
    engine: Engine,
    identity: Mapping[str, Any],
    date_from: str | None = None,
    date_to: str | None = None,
    page: int | str = 1,
    per_page: int | str = 50,
) -> dict[str, Any]:
    with engine.connect() as conn:
        return groups.list_groups(
            conn,
            store.Identity(identity),
            store.parse_date(date_from),
            store.parse_date(date_to),
            int(page),
            int(per_page),
        )


def take_finished_notices(engine: Engine, identity: Mapping[str, Any]) -> list[dict[str, Any]]:
    with engine.begin() as conn:
        return groups.take_finished_notices(conn, store.Identity(identity))


def export_page(
    engine: Engine,
    identity: Mapping[str, Any],
    group_id: int | str,
    after_line: int | str = 0,
    limit: int | str = 5000,
    form: str = "cells",
) -> list[dict[str, Any]]:
    """The next rows of a group in file order: export cells (shared.export.row) or, with form "csv", each
    row's finished CSV line (one string instead of 26 on the wire: the export is bound by this process)."""
    with engine.connect() as conn:
        page = groups.export_page(conn, store.Identity(identity), int(group_id), int(after_line), int(limit))
    cells = [export.row(r) for r in page]
    if form == "csv":
        return [{"line_no": r["line_no"], "csv": line} for r, line in zip(page, export.csv_lines(cells))]
    return [{"line_no": r["line_no"], "cells": c} for r, c in zip(page, cells)]
