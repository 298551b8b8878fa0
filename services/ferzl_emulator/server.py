"""WSGI app of the ФЕРЗЛ emulator: the SOAP endpoint, WSDL/XSD, samples, health and admin knobs.

Meant to run under eventlet.wsgi: every request is a green thread and artificial latency is
eventlet.sleep, so hundreds of calls can be in flight at once. Request bodies are never logged.
"""
import json
import random
import time
from collections import Counter
from datetime import date
from pathlib import Path

import eventlet
from werkzeug.wrappers import Request, Response

from services.ferzl_emulator import soap
from services.ferzl_emulator.register import KINDS

BASE = "/api/t-foms/integration/ws/24.2.6"
SOAP_PATH = f"{BASE}/wsdl/mpiPersonInfoServiceWs"
CONTRACTS = Path(__file__).resolve().parents[2] / "contracts" / "ferzl"
if not CONTRACTS.exists():  # a non-editable install: the contracts sit in the working directory
    CONTRACTS = Path.cwd() / "contracts" / "ferzl"
WSDL_PLACEHOLDER = "http://localhost:8080" + SOAP_PATH
XML = "text/xml; charset=utf-8"
MAX_BODY = 1024 * 1024
MAX_SAMPLE = 1000

# name -> (type, default). token None: the one given at start.
KNOBS = {
    "latency_ms": (float, 0.0),  # mean added delay of a SOAP answer
    "latency_jitter_ms": (float, 0.0),  # its standard deviation
    "error_rate": (float, 0.0),  # share answered with errorItem code 500
    "http_error_rate": (float, 0.0),  # share answered with HTTP 503
    "down": (bool, False),  # every SOAP call gets HTTP 503
    "rate_limit": (int, 0),  # max SOAP calls per second, 0 = no limit; excess gets HTTP 429
    "token": (str, None),  # the X-Auth-Token accepted; empty = no check
}


def _json(data, status=200):
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


def _text(message, status, **headers):
    return Response(message, status, headers=headers, content_type="text/plain; charset=utf-8")


class Emulator:
    def __init__(self, register, token, **knobs):
        self.register = register
        self.defaults = {name: default for name, (_, default) in KNOBS.items()}
        self.defaults.update(token=token, **self._checked(knobs))
        self.knobs = dict(self.defaults)
        self.counters = Counter()
        self.rng = random.Random()
        self._second, self._calls_this_second = 0, 0
        self._samples = {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = MAX_BODY
        return self.dispatch(request)(environ, start_response)

    def dispatch(self, request):
        path, method = request.path, request.method
        if path == SOAP_PATH and method == "POST":
            return self.soap(request)
        if (path == SOAP_PATH and "wsdl" in request.args or path == SOAP_PATH + ".wsdl") and method == "GET":
            return self.wsdl(request)
        if path.startswith(f"{BASE}/xsd/") and method == "GET":
            return self.xsd(path.rsplit("/", 1)[1])
        if path == "/emulator/health":
            return _json({"status": "ok", "down": self.knobs["down"], "seed": self.register.seed,
                          "size": self.register.size, "api_version": "24.2.6"})
        if path == "/emulator/sample" and method == "GET":
            return self.sample(request)
        if path == "/emulator/admin" and method in ("GET", "POST"):
            return self.admin(request)
        return _text("Not Found", 404)

    # ---- SOAP ----

    def soap(self, request):
        knobs = self.knobs
        if knobs["down"]:
            return self._refuse(503, "Service Unavailable")
        if knobs["token"] and request.headers.get("X-Auth-Token") != knobs["token"]:
            self.counters["http_401"] += 1
            return Response(soap.fault(soap.AUTH_FAULT), 401, content_type=XML)
        if knobs["rate_limit"] and self._over_rate(knobs["rate_limit"]):
            return self._refuse(429, "Too Many Requests", **{"Retry-After": "1"})
        self._delay()
        if knobs["http_error_rate"] and self.rng.random() < knobs["http_error_rate"]:
            return self._refuse(503, "Service Unavailable")
        try:
            call = soap.parse(request.get_data())
        except soap.BadEnvelope as exc:
            self.counters["http_400"] += 1
            return Response(soap.fault(str(exc)), 400, content_type=XML)
        self.counters[call.operation] += 1
        if knobs["error_rate"] and self.rng.random() < knobs["error_rate"]:
            self.counters["error_500"] += 1
            body = soap.error_response(call.operation, call.external_id, [soap.SYSTEM_ERROR])
        else:
            body = soap.respond(self.register, call, date.today())
        return Response(body, 200, content_type=XML)

    def _refuse(self, status, message, **headers):
        self.counters[f"http_{status}"] += 1
        return _text(message, status, **headers)

    def _over_rate(self, limit):
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._calls_this_second = second, 0
        self._calls_this_second += 1
        return self._calls_this_second > limit

    def _delay(self):
        mean, jitter = self.knobs["latency_ms"], self.knobs["latency_jitter_ms"]
        delay = max(0.0, self.rng.gauss(mean, jitter) if jitter else mean)
        if delay:
            eventlet.sleep(delay / 1000)

    # ---- contract files ----

    def wsdl(self, request):
        text = (CONTRACTS / "wsdl" / "mpiPersonInfoServiceWs.wsdl").read_text(encoding="utf-8")
        text = text.replace(WSDL_PLACEHOLDER, request.host_url.rstrip("/") + SOAP_PATH)
        return Response(text.encode("utf-8"), 200, content_type=XML)

    def xsd(self, name):
        files = {p.name: p for p in (CONTRACTS / "xsd").glob("*.xsd")}
        if name not in files:
            return _text("Not Found", 404)
        return Response(files[name].read_bytes(), 200, content_type=XML)

    # ---- test helpers ----

    def sample(self, request):
        try:
            n = min(max(int(request.args.get("n", 10)), 1), MAX_SAMPLE)
            kind = request.args.get("kind") or None
            kind = None if kind == "any" else kind
            if kind is not None and kind not in KINDS:
                raise ValueError(f"kind must be one of: any, {', '.join(KINDS)}")
            dt = date.fromisoformat(request.args["dt"]) if request.args.get("dt") else date.today()
        except ValueError as exc:
            return _json({"error": str(exc)}, 400)
        key = (n, kind, dt)
        if key not in self._samples:
            if len(self._samples) > 64:
                self._samples.clear()
            self._samples[key] = [self.register.describe(p, dt) for p in self.register.sample(n, kind)]
        return _json(self._samples[key])

    def admin(self, request):
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
            if reset or reset_counters:
                self.counters.clear()
            self.knobs.update(checked)
        return _json({"knobs": self.knobs, "counters": dict(self.counters)})

    @staticmethod
    def _checked(changes):
        out = {}
        for name, value in changes.items():
            if name not in KNOBS:
                raise ValueError(f"unknown knob {name!r}; known: {', '.join(KNOBS)}")
            kind = KNOBS[name][0]
            if kind is bool:
                if not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            elif kind is str:
                if not isinstance(value, str):
                    raise ValueError(f"{name} must be a string")
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{name} must be a number >= 0")
                if name.endswith("error_rate") and value > 1:
                    raise ValueError(f"{name} must be within 0..1")
                value = kind(value)
            out[name] = value
        return out
