"""WSGI app of the ФЕРЗЛ emulator: the SOAP endpoint, WSDL/XSD, samples, health and admin knobs.

Meant to run under eventlet.wsgi: every request is a green thread and artificial latency is
eventlet.sleep, so hundreds of calls can be in flight at once. Request bodies are never logged.
"""

import json
import math
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import eventlet
from werkzeug.wrappers import Request, Response

from services.ferzl_emulator import mass, soap
from services.ferzl_emulator.register import KINDS, Register
from shared import clock, ferzl_api

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

# paths of the default version; an Emulator serves those of its FerzlApi (FERZL_API_VERSION)
BASE = ferzl_api.DEFAULT.base_path
SOAP_PATH = ferzl_api.DEFAULT.person_info_path
ASYNC_PATH = ferzl_api.DEFAULT.async_path
WSDL_HOST = "http://localhost:8080"  # soap:address of the contract WSDL files, replaced by the request's host
XML = "text/xml; charset=utf-8"
MAX_BODY = 1024 * 1024
MAX_SAMPLE = 1000

# name -> (type, default). token None: the one given at start.
KNOBS = {
    "latency_ms": (float, 0.0),  # mean added delay of a SOAP answer
    "latency_jitter_ms": (float, 0.0),  # its spread: standard deviation (normal, lognormal) or half-width (uniform)
    "latency_dist": (str, "normal"),  # normal | lognormal (median latency_ms) | uniform
    "error_rate": (float, 0.0),  # share answered with errorItem code 500
    "http_error_rate": (float, 0.0),  # share answered with HTTP 503
    "errors": (dict, None),  # share per kind of failure, see ERROR_KINDS, e.g. {"http_500": 0.05}
    "hang_ms": (float, 60000.0),  # how long a "hang" failure holds the call before answering
    "down": (bool, False),  # every SOAP call gets HTTP 503
    "outage_s": (float, 0.0),  # an outage window starting now: HTTP 503 for this many seconds
    "rate_limit": (int, 0),  # max SOAP calls per second, 0 = no limit; excess gets HTTP 429
    "token": (str, None),  # the X-Auth-Token accepted; empty = no check
    "token_ttl_s": (float, 0.0),  # the token expires this many seconds after it is set (0 = never): then 401
    "mass_delay_ms": (float, 300.0),  # a getMassInsuranceStatus operation is ready this long after Start
    "mass_error_rate": (float, 0.0),  # share of mass operations that end with processingStatus «ошибка»
}
# Failures the "errors" knob can inject, each with its share of calls.
ERROR_KINDS = ("item_400", "item_409", "item_500", "http_400", "http_429", "http_500", "http_503", "hang")


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


def _text(message: str, status: int, **headers: str) -> Response:
    return Response(message, status, headers=headers, content_type="text/plain; charset=utf-8")


class Emulator:
    def __init__(
        self, register: Register, token: str | None, api: ferzl_api.FerzlApi = ferzl_api.DEFAULT, **knobs: Any
    ) -> None:
        self.register, self.api = register, api
        self.services = {api.person_info_path: ferzl_api.PERSON_INFO, api.async_path: ferzl_api.ASYNC_OPERATIONS}
        self.defaults: dict[str, Any] = {name: default for name, (_, default) in KNOBS.items()}
        self.defaults.update(token=token, **self._checked(knobs))
        self.knobs = dict(self.defaults)
        self.counters: Counter[str] = Counter()
        self.rng = random.Random()
        self._second, self._calls_this_second = 0, 0
        self._samples: dict[tuple[int, str | None, date], list[dict[str, Any]]] = {}
        self.jobs = mass.Jobs()
        self._outage_until = 0.0  # time.monotonic() until which the outage window lasts
        self._token_expires: float | None = None  # time.monotonic() after which the token is refused
        self._apply_timers(self.knobs)

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == self.api.person_info_path and method == "POST":
            return self.soap(request)
        if path == self.api.async_path and method == "POST":
            return self.soap_async(request)
        endpoint = path[: -len(".wsdl")] if path.endswith(".wsdl") else path
        if endpoint in self.services and (path != endpoint or "wsdl" in request.args) and method == "GET":
            return self.wsdl(request, endpoint)
        if path.startswith(f"{self.api.base_path}/xsd/") and method == "GET":
            return self.xsd(path.rsplit("/", 1)[1])
        if path == "/emulator/health":
            return _json(
                {
                    "status": "ok",
                    "down": self._down(),
                    "seed": self.register.seed,
                    "size": self.register.size,
                    "api_version": self.api.version,
                }
            )
        if path == "/emulator/sample" and method == "GET":
            return self.sample(request)
        if path == "/emulator/admin" and method in ("GET", "POST"):
            return self.admin(request)
        return _text("Not Found", 404)

    # ---- SOAP ----

    def _gate(self, request: Request) -> Response | None:
        """The Response every SOAP call of the moment gets regardless of its body, or None to go on."""
        knobs = self.knobs
        if self._down():
            return self._refuse(503, "Service Unavailable")
        if knobs["token"] and (request.headers.get("X-Auth-Token") != knobs["token"] or self._token_expired()):
            self.counters["http_401"] += 1
            return Response(soap.fault(soap.AUTH_FAULT), 401, content_type=XML)
        if knobs["rate_limit"] and self._over_rate(knobs["rate_limit"]):
            return self._refuse(429, "Too Many Requests", **{"Retry-After": "1"})
        self._delay()
        if knobs["http_error_rate"] and self.rng.random() < knobs["http_error_rate"]:
            return self._refuse(503, "Service Unavailable")
        return None

    def _injected(self) -> str | None:
        """One of ERROR_KINDS drawn by the "errors" knob, or None."""
        shares = self.knobs["errors"] or {}
        r = self.rng.random() if shares else 1.0
        for kind in ERROR_KINDS:
            r -= shares.get(kind, 0.0)
            if r < 0:
                return kind
        return None

    def _http_failure(self, kind: str | None) -> Response | None:
        """HTTP-level injected failures (and the hang, which then answers normally)."""
        if kind == "hang":
            self.counters["hang"] += 1
            eventlet.sleep(self.knobs["hang_ms"] / 1000)
            return None
        if kind == "http_400":
            self.counters["http_400"] += 1
            return Response(soap.fault("Ошибка в формате запроса"), 400, content_type=XML)
        if kind == "http_500":
            self.counters["http_500"] += 1
            return Response(soap.fault("Внутренняя ошибка сервера", code="Server"), 500, content_type=XML)
        if kind == "http_503":
            return self._refuse(503, "Service Unavailable")
        if kind == "http_429":
            return self._refuse(429, "Too Many Requests", **{"Retry-After": "1"})
        return None

    def _preflight(
        self, request: Request, parse: Callable[[bytes, ferzl_api.FerzlApi], Any], bad_envelope: type[Exception]
    ) -> tuple[Response | None, Any, soap.ErrorItem | None]:
        """What both SOAP services do first: token, injected HTTP failures, envelope, injected errorItem.
        -> (response, None, None) when the call ends here, else (None, call, errorItem or None)."""
        refused = self._gate(request)
        if refused is not None:
            return refused, None, None
        kind = self._injected()
        failure = self._http_failure(kind)
        if failure is not None:
            return failure, None, None
        try:
            call = parse(request.get_data(), self.api)
        except bad_envelope as exc:
            self.counters["http_400"] += 1
            return Response(soap.fault(str(exc)), 400, content_type=XML), None, None
        self.counters[call.operation] += 1
        item = {"item_400": soap.FORMAT_ERROR, "item_409": soap.CONFLICT, "item_500": soap.SYSTEM_ERROR}.get(kind or "")
        if item is None and self.knobs["error_rate"] and self.rng.random() < self.knobs["error_rate"]:
            item = soap.SYSTEM_ERROR
        if item is not None:
            self.counters[f"error_{item[0]}"] += 1
        return None, call, item

    def soap(self, request: Request) -> Response:
        response, call, item = self._preflight(request, soap.parse, soap.BadEnvelope)
        if response is not None:
            return response
        if item is not None:
            body = soap.error_response(call.operation, call.external_id, [item], self.api)
        else:
            body = soap.respond(self.register, call, clock.today(), self.api)
        return Response(body, 200, content_type=XML)

    def soap_async(self, request: Request) -> Response:
        """getMassInsuranceStatusStart / Poll: the same knobs as the person service."""
        response, call, item = self._preflight(request, mass.parse, mass.BadEnvelope)
        if response is not None:
            return response
        errors = [item] if item is not None else call.errors
        if call.operation == "getMassInsuranceStatusStart":
            if errors:
                return Response(
                    mass.start_response(call.external_id, errors=errors, api=self.api), 200, content_type=XML
                )
            self.counters["mass_persons"] += len(call.requests)
            content = mass.zipped(mass.items_xml(self.register, call.requests, clock.today()))
            failed = bool(self.knobs["mass_error_rate"]) and self.rng.random() < self.knobs["mass_error_rate"]
            token = self.jobs.add(content, self.knobs["mass_delay_ms"] / 1000, failed)
            return Response(mass.start_response(call.external_id, token, api=self.api), 200, content_type=XML)
        if errors:
            return Response(
                mass.poll_response(call.external_id, call.op_token, mass.FAILED, errors=errors, api=self.api),
                200,
                content_type=XML,
            )
        job = self.jobs.get(call.op_token)
        if job is None:
            return Response(
                mass.poll_response(
                    call.external_id,
                    call.op_token,
                    mass.FAILED,
                    errors=[("409", "Операция с указанным токеном не найдена", "opToken", call.op_token)],
                    api=self.api,
                ),
                200,
                content_type=XML,
            )
        if not self.jobs.ready(job):
            return Response(
                mass.poll_response(call.external_id, call.op_token, mass.RUNNING, api=self.api), 200, content_type=XML
            )
        if job.content is None:
            return Response(
                mass.poll_response(
                    call.external_id, call.op_token, mass.FAILED, errors=[soap.SYSTEM_ERROR], api=self.api
                ),
                200,
                content_type=XML,
            )
        content_id = f"{uuid.uuid4()}@ozsp.emulator"
        envelope = mass.poll_response(call.external_id, call.op_token, mass.READY, content_id, api=self.api)
        body, content_type = mass.mtom(envelope, content_id, job.content)
        return Response(body, 200, content_type=content_type)

    def _down(self) -> bool:
        return self.knobs["down"] or time.monotonic() < self._outage_until

    def _token_expired(self) -> bool:
        return self._token_expires is not None and time.monotonic() >= self._token_expires

    def _apply_timers(self, changes: Mapping[str, Any]) -> None:
        """outage_s opens an outage window now; token_ttl_s (or a new token) restarts the token's clock."""
        now = time.monotonic()
        if "outage_s" in changes:
            self._outage_until = now + changes["outage_s"] if changes["outage_s"] else 0.0
        if "token_ttl_s" in changes or "token" in changes:
            ttl = self.knobs["token_ttl_s"]
            self._token_expires = now + ttl if ttl else None

    def _refuse(self, status: int, message: str, **headers: str) -> Response:
        self.counters[f"http_{status}"] += 1
        return _text(message, status, **headers)

    def _over_rate(self, limit: int) -> bool:
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._calls_this_second = second, 0
        self._calls_this_second += 1
        return self._calls_this_second > limit

    def _delay(self) -> None:
        delay = latency(self.rng, self.knobs["latency_ms"], self.knobs["latency_jitter_ms"], self.knobs["latency_dist"])
        if delay:
            eventlet.sleep(delay / 1000)

    # ---- contract files ----

    def wsdl(self, request: Request, endpoint: str | None = None) -> Response:
        endpoint = endpoint or self.api.person_info_path
        text = self.api.wsdl(self.services[endpoint]).read_text(encoding="utf-8")
        text = text.replace(WSDL_HOST + endpoint, request.host_url.rstrip("/") + endpoint)
        return Response(text.encode("utf-8"), 200, content_type=XML)

    def xsd(self, name: str) -> Response:
        files = self.api.xsd_files()
        if name not in files:
            return _text("Not Found", 404)
        return Response(files[name].read_bytes(), 200, content_type=XML)

    # ---- test helpers ----

    def sample(self, request: Request) -> Response:
        try:
            n = min(max(int(request.args.get("n", 10)), 1), MAX_SAMPLE)
            kind = request.args.get("kind") or None
            kind = None if kind == "any" else kind
            if kind is not None and kind not in KINDS:
                raise ValueError(f"kind must be one of: any, {', '.join(KINDS)}")
            dt = date.fromisoformat(request.args["dt"]) if request.args.get("dt") else clock.today()
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        key = (n, kind, dt)
        if key not in self._samples:
            if len(self._samples) > 64:
                self._samples.clear()
            self._samples[key] = [self.register.describe(p, dt) for p in self.register.sample(n, kind)]
        return _json(self._samples[key])

    def admin(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                changes = json.loads(request.get_data() or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("a JSON object expected")
                reset, reset_counters = changes.pop("reset", False), changes.pop("reset_counters", False)
                checked = self._checked(changes)
            except ValueError as exc:
                return _json({"error": str(exc)}, 400)
            if reset:
                self.knobs = dict(self.defaults)
                self._outage_until, self._token_expires = 0.0, None
                self.jobs.clear()
            if reset or reset_counters:
                self.counters.clear()
            self.knobs.update(checked)
            self._apply_timers(checked)
        return _json(
            {
                "knobs": self.knobs,
                "counters": dict(self.counters),
                "down": self._down(),
                "token_expired": self._token_expired(),
            }
        )

    @staticmethod
    def _checked(changes: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, value in changes.items():
            if name not in KNOBS:
                raise ValueError(f"unknown knob {name!r}; known: {', '.join(KNOBS)}")
            kind = KNOBS[name][0]
            if kind is dict:
                value = _error_shares(name, value)
            elif kind is bool:
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            elif kind is str:
                if not isinstance(value, str):
                    raise ValueError(f"{name} must be a string")
                if name == "latency_dist" and value not in LATENCY_DISTS:
                    raise ValueError(f"latency_dist must be one of: {', '.join(LATENCY_DISTS)}")
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{name} must be a number >= 0")
                if name.endswith("error_rate") and value > 1:
                    raise ValueError(f"{name} must be within 0..1")
                value = kind(value)
            out[name] = value
        return out


LATENCY_DISTS = ("normal", "lognormal", "uniform")


def latency(rng: random.Random, mean: float, spread: float, dist: str = "normal") -> float:
    """One added delay in ms: normal(mean, sd), lognormal with median mean, or uniform mean ± spread."""
    if not mean and not spread:
        return 0.0
    if dist == "lognormal" and mean > 0:
        sigma = math.log1p(spread / mean) if spread else 0.0
        return mean * math.exp(rng.gauss(0.0, sigma))
    if dist == "uniform":
        return max(0.0, rng.uniform(mean - spread, mean + spread))
    return max(0.0, rng.gauss(mean, spread) if spread else mean)


def _error_shares(name: str, value: object) -> dict[str, float] | None:
    """{"http_500": 0.05, ...}: known kinds, shares within 0..1 that add up to at most 1 (None clears)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be an object of kind -> share, kinds: {', '.join(ERROR_KINDS)}")
    out = {}
    for kind, share in value.items():
        if kind not in ERROR_KINDS:
            raise ValueError(f"unknown error kind {kind!r}; known: {', '.join(ERROR_KINDS)}")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise ValueError(f"{name}.{kind} must be a share within 0..1")
        out[kind] = float(share)
    if sum(out.values()) > 1:
        raise ValueError(f"{name}: the shares add up to more than 1")
    return out or None
