"""flk: the single authority on what a request may contain. Thin RPC adapter over plain rule modules."""

import base64
import binascii
import time
from typing import Any

from eventlet import tpool
from nameko.rpc import rpc

from services.flk import group, rules
from services.flk.messages import FILE_NOT_BASE64
from shared import memory, metrics
from shared.heartbeat import Heartbeat
from shared.metrics import MetricsEndpoint
from shared.params import FIELDS
from shared.settings import SettingsProvider

# Group checks run on native threads; glibc gives each thread its own heap arena, so keep them few.
CHECK_THREADS = 2
tpool.set_num_threads(CHECK_THREADS)


class FlkService(memory.ReleasesMemory):
    name = "flk"
    heartbeat = Heartbeat()  # HEARTBEAT_FILE for the container healthcheck
    metrics = MetricsEndpoint()  # /metrics on METRICS_PORT_<service> (shared/metrics.py)
    settings = SettingsProvider()

    @rpc
    def ping(self) -> str:
        return "ok"

    @rpc
    def check_request(self, fields: dict[str, Any] | None) -> dict[str, Any]:
        return rules.check_request(fields or {})

    @rpc
    def check_group(self, content_b64: str | None, filename: str | None) -> dict[str, Any]:
        try:
            content = base64.b64decode(content_b64 or "", validate=True)
        except (binascii.Error, ValueError, TypeError):
            return {
                "ok": False,
                "rows": [],
                "errors": [{"line": None, "field": None, "message": FILE_NOT_BASE64}],
                "warnings": [],
                "encoding": None,
                "total": 0,
            }
        # CPU-bound for up to a second or two: run it off the event loop so other calls keep flowing.
        return tpool.execute(_checked_group, content, filename or "")


ROW_COLUMNS = ["line", *FIELDS]


def _checked_group(content: bytes, filename: str) -> dict[str, Any]:
    """check_group with rows sent compactly: {"columns": [...], "rows": [[line, v1..v16], ...]}."""
    started = time.perf_counter()
    result = group.check_group(content, filename)
    seconds, rows = time.perf_counter() - started, int(result.get("total") or 0)
    metrics.FLK_ROWS.inc(rows)
    metrics.FLK_CHECK_SECONDS.inc(seconds)
    if rows:
        metrics.FLK_ROWS_PER_SECOND.set(rows / max(seconds, 1e-6))
    result["columns"] = ROW_COLUMNS
    result["rows"] = [[row[c] for c in ROW_COLUMNS] for row in result["rows"]]
    return result
