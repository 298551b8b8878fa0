"""One work chunk through ФЕРЗЛ: single calls, mass batches, holds and retries. No nameko here.

Collaborators are passed in (clients, limiter, circuit), so the whole path is tested with fakes.
process() never waits long: a call waits for a rate token at most `hold_budget` seconds from the
chunk's start, a mass batch at most `mass_timeout`; whatever cannot go on is held in a delay queue.
"""

import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import eventlet

from services.ferzl_bridge import archive, mass
from services.ferzl_bridge.batcher import Batcher
from services.ferzl_bridge.calls import CallWorkers
from services.ferzl_bridge.circuit import AUTH, DOWN, LIMITED, OK, REJECTED, UNAVAILABLE, Circuit
from services.ferzl_bridge.client import MassClient
from services.ferzl_bridge.errors import FerzlAuthError, FerzlRejected, FerzlUnavailable
from services.ferzl_bridge.lookup import INTERNAL_ERROR, answered, failed, settle
from services.ferzl_bridge.mapping import NOT_FOUND
from services.ferzl_bridge.ratelimit import Limiter
from services.ferzl_bridge.retry import Tiers
from shared import metrics as shared_metrics
from shared.config import Settings
from shared.domain import Answer, RequestParams
from shared.messages import pack_archive

log = logging.getLogger(__name__)
DEFAULTS = Settings()

PROBE_PARAMS = RequestParams(oip="000000000000")  # a well-formed ОИП of nobody: any real answer means ФЕРЗЛ is up
READY = ("готов", "ready", "completed", "done", "success")
FAILED = ("ошибка", "error", "failed", "fail")
MASS_FAILED = "ФЕРЗЛ не выполнил массовый запрос (processingStatus «ошибка»)"
MASS_TIMEOUT = "ФЕРЗЛ не подготовил ответ на массовый запрос за отведённое время"


Item = Mapping[str, Any]  # a shared.messages.WorkItem
Found = tuple[Any, ...]  # ("done", outcome) | ("retry", reason) | ("hold", reason) | ("single",)


@dataclass
class Result:
    outcomes: list[dict[str, Any]] = field(default_factory=list)  # shared.messages.Outcome
    later: dict[float, list[Any]] = field(default_factory=lambda: defaultdict(list))  # delay seconds -> items
    held: list[dict[str, Any]] = field(default_factory=list)  # [{"request_id", "seconds"}] for the journal's lease
    archive: list[dict[str, Any]] = field(default_factory=list)  # 0 or 1 shared.messages.ArchiveRecord


class PersonClient(Protocol):
    """getPersonData: FerzlClient (zeep) or FastClient."""

    def get_person_data(
        self, params: dict[str, Any], external_id: str, capture: archive.Capture | None = None
    ) -> Answer: ...


class Bridge:
    def __init__(
        self,
        client: PersonClient,
        limiter: Limiter,
        circuit: Circuit,
        tiers: Tiers,
        *,
        mass_client: MassClient | None = None,
        smo: mass.Smo | None = None,
        settings: Settings = DEFAULTS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = eventlet.sleep,
    ) -> None:
        self.client, self.mass_client = client, mass_client
        self.limiter, self.circuit, self.tiers = limiter, circuit, tiers
        s = settings  # FERZL_CONCURRENCY, FERZL_RETRY_HORIZON_HOURS, FERZL_HOLD_BUDGET, FERZL_MASS_*, FERZL_ARCHIVE_DAYS
        self.calls = CallWorkers(s.ferzl_concurrency)
        self.smo = smo or {}
        self.horizon, self.hold_budget = timedelta(hours=s.ferzl_retry_horizon_hours), s.ferzl_hold_budget
        self.mass_min, self.mass_poll, self.mass_timeout = s.ferzl_mass_min, s.ferzl_mass_poll, s.ferzl_mass_timeout
        self.clock, self.sleep = clock, sleep
        self.keep_archive = s.ferzl_archive_days > 0  # keep the raw exchanges
        self.batcher = Batcher(self._run_mass, min(s.ferzl_mass_batch, mass.MAX_PERSONS), s.ferzl_mass_wait)
        self.metrics: Counter[str] = Counter()

    # ---- a chunk ----

    def process(self, items: list[Item]) -> Result:
        now = datetime.now(UTC)
        deadline = self.clock() + self.hold_budget
        found: dict[int, Found] = {}
        records: list[dict[str, Any]] = []
        items_single: list[Item]
        items_mass: list[Item]
        if not self.circuit.allows():
            found = {i["request_id"]: ("hold", "down") for i in items}
            items_single, items_mass = [], []
        elif self.mass_client is not None:
            items_mass, items_single = mass.split(items, self.mass_min)
        else:
            items_mass, items_single = [], list(items)
        waiter = eventlet.spawn(self.batcher.submit, items_mass) if items_mass else None
        self._singles(items_single, deadline, found, records)
        if waiter is not None:
            results, extra = waiter.wait()
            records.extend(extra)
            again = []
            for item in items_mass:
                result = results.get(item["request_id"]) or ("error", None)
                if result[0] == "single":
                    again.append(item)
                elif result[0] == "error":
                    found[item["request_id"]] = ("retry", "unavailable")
                else:
                    found[item["request_id"]] = result
            self._singles(again, deadline, found, records)
        return self._settle(items, found, records, now)

    def failed_chunk(self, items: list[Item]) -> Result:
        """A chunk whose processing broke unexpectedly (a bug): every item is retried later like an
        unavailable call -- never requeued at once, which would call ФЕРЗЛ again in a hot loop -- and
        past the horizon it ends in «Ошибка»."""
        now = datetime.now(UTC)
        return self._settle(items, {i["request_id"]: ("retry", "unavailable") for i in items}, [], now)

    def _singles(
        self, items: list[Item], deadline: float, found: dict[int, Found], records: list[dict[str, Any]]
    ) -> None:
        # the process's call workers: FERZL_CONCURRENCY calls in flight for all chunks together
        for item, result, exchanges in self.calls.map(lambda i: self._single(i, deadline), items):
            found[item["request_id"]] = result
            records.extend(exchanges)

    def _single(self, item: Item, deadline: float) -> tuple[Item, Found, list[dict[str, Any]]]:
        if not self.circuit.allows():
            return item, ("hold", "down"), []
        if self.clock() > deadline:  # the chunk waited its budget for a free slot: no more calls for it
            return item, ("hold", "budget"), []
        if not self.limiter.acquire(deadline):
            return item, ("hold", "rate"), []
        capture = archive.Capture() if self.keep_archive else None
        self.metrics["calls"] += 1
        result: Found
        started, outcome = time.monotonic(), "internal"
        try:
            answer = self.client.get_person_data(item["params"], item["external_id"], capture)
            self.circuit.record(outcome := OK)
            result = ("done", answered(item, answer))
        except FerzlRejected as exc:
            self.circuit.record(outcome := REJECTED)
            result = ("done", failed(item, exc.code, exc.message))
        except FerzlAuthError:
            self.circuit.record(outcome := AUTH)
            result = ("hold", "auth")
        except FerzlUnavailable as exc:
            self.circuit.record(outcome := LIMITED if exc.code == "429" else UNAVAILABLE)
            self.metrics[f"unavailable_{exc.code}"] += 1
            result = ("retry", "unavailable")
        except Exception:
            log.exception("unexpected failure for request #%s", item["request_id"])
            result = ("done", failed(item, "internal", INTERNAL_ERROR))
        finally:
            shared_metrics.FERZL_CALL_SECONDS.observe(time.monotonic() - started)
            shared_metrics.FERZL_CALLS.labels(outcome=outcome).inc()
        return item, result, capture.entries("getPersonData", [item["request_id"]]) if capture else []

    def _settle(
        self, items: list[Item], found: dict[int, Found], entries: list[dict[str, Any]], now: datetime
    ) -> Result:
        packed = pack_archive(entries) if self.keep_archive else None  # the chunk's exchanges in one record
        out = Result(archive=[packed] if packed else [])
        reasons: Counter[str] = Counter()
        for item in items:
            kind, value = found.get(item["request_id"], ("retry", "unavailable"))
            if kind != "done":
                reasons[value] += 1
            disposition, result = settle(item, kind, value, now, self.horizon)
            if disposition == "done":
                out.outcomes.append(result)
                continue
            seconds = self.tiers.hold if disposition == "hold" else self.tiers.for_attempt(result["attempt"])
            out.later[seconds].append(result)
            out.held.append({"request_id": item["request_id"], "seconds": seconds})
        self.metrics["answered"] += sum(1 for o in out.outcomes if o["status"] == "answered")
        self.metrics["errors"] += sum(1 for o in out.outcomes if o["status"] == "error")
        self.metrics["later"] += len(out.held)
        for reason, count in reasons.items():
            shared_metrics.FERZL_RETRIES.labels(reason=reason).inc(count)
        if reasons:
            log.info(
                "%d requests wait for a later try (%s)",
                sum(reasons.values()),
                ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())),
            )
        return out

    # ---- a mass batch (runs in the batcher's green thread) ----

    def _run_mass(self, items: list[Item]) -> tuple[dict[int, Found], list[dict[str, Any]]]:
        requests, sent, single = mass.requests_for(items)
        results: dict[int, Found] = {i["request_id"]: ("single",) for i in single}
        if not sent:
            return results, []
        ids = [i["request_id"] for i in sent]

        def all_(result: Found) -> dict[int, Found]:
            results.update({i: result for i in ids})
            return results

        if not self.circuit.allows():
            return all_(("hold", "down")), []
        if not self.limiter.acquire(self.clock() + self.hold_budget):
            return all_(("hold", "rate")), []
        start, final = archive.Capture(), archive.Capture()
        self.metrics["mass_batches"] += 1
        self.metrics["mass_persons"] += len(sent)
        outcome = "internal"
        try:
            content = self._mass_call(requests, start, final)
            entries = mass.read_zip(content)
            answers = mass.match(sent, entries, self.smo)
            for item in sent:
                answer = answers.get(item["request_id"])
                results[item["request_id"]] = (
                    "done",
                    answered(item, answer) if answer else failed(item, "409", NOT_FOUND),
                )
            outcome = OK
        except FerzlRejected as exc:  # the batch as a whole refused: every row gets its own answer
            self.circuit.record(outcome := REJECTED)
            log.warning("mass request refused (%s); its %d rows go one by one", exc.code, len(sent))
            all_(("single",))
        except FerzlAuthError:
            self.circuit.record(outcome := AUTH)
            all_(("hold", "auth"))
        except FerzlUnavailable as exc:
            self.circuit.record(outcome := LIMITED if exc.code == "429" else UNAVAILABLE)
            log.warning("mass request failed (%s); its %d rows will be retried", exc.code, len(sent))
            all_(("retry", "unavailable"))
        except Exception:
            log.exception("mass answer not read; its %d rows go one by one", len(sent))
            all_(("single",))
        shared_metrics.FERZL_MASS_BATCHES.labels(outcome=outcome).inc()
        shared_metrics.FERZL_MASS_PERSONS.inc(len(sent))
        entries = start.entries("getMassInsuranceStatusStart", ids) + final.entries("getMassInsuranceStatusPoll", ids)
        return results, entries

    def _mass_call(self, requests: list[dict[str, Any]], start: archive.Capture, final: archive.Capture) -> bytes:
        client = self.mass_client
        assert client is not None  # the batcher gets items only with a mass client
        token = client.start(requests, str(uuid.uuid4()), start)
        self.circuit.record(OK)
        began = self.clock()
        while True:
            self.sleep(self.mass_poll)
            if self.clock() - began > self.mass_timeout:
                raise FerzlUnavailable("timeout", MASS_TIMEOUT)
            if not self.limiter.acquire(self.clock() + self.mass_poll):
                continue
            capture = archive.Capture()
            try:
                status, content = client.poll(token, str(uuid.uuid4()), capture)
            except Exception:
                final.exchanges.extend(capture.exchanges)  # a failed poll is archived too
                raise
            self.circuit.record(OK)
            word = (status or "").strip().lower()
            ready = word in READY and content is not None and len(content) > 0
            if word in FAILED or ready or capture.repeated():  # «в обработке» polls only when one was repeated
                final.exchanges.extend(capture.exchanges)
            if word in FAILED:
                raise FerzlUnavailable("500", MASS_FAILED)
            if ready and content:
                return content

    # ---- while down ----

    def probe(self) -> str | None:
        """One real call while the shared state is down (whoever claims the probe); up again on any answer."""
        if self.circuit.state()["state"] != DOWN or not self.circuit.claim_probe():
            return None
        try:
            self.client.get_person_data(PROBE_PARAMS.to_dict(), str(uuid.uuid4()))
        except FerzlRejected:
            pass
        except FerzlAuthError:
            self.circuit.trip(AUTH)
            return "auth"
        except FerzlUnavailable as exc:
            if exc.code != "429":
                log.info("probe: FERZL still unavailable (%s)", exc.code)
                return "down"
        except Exception:
            log.exception("probe failed")
            return "down"
        self.circuit.recovered()
        return "up"
