"""Helpers for the ФЕРЗЛ tests: the emulator on a free port, search parameters, schemas, a load run.

Run as a script it measures FerzlClient against a running emulator from green threads:
    python tests/ferzl_support.py --url http://127.0.0.1:8100/api/... --token T --calls 2000 --concurrency 20
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shared.params import FIELDS

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL = ROOT.parent / "shared" / "reference" / "ferzl-wsdl-24.2.6"
OWN = ROOT / "contracts" / "ferzl"
SEED, SIZE, TOKEN = 20231, 100_000, "test-token"
SOAP_PATH = "/api/t-foms/integration/ws/24.2.6/wsdl/mpiPersonInfoServiceWs"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
PARAM_KEYS = FIELDS  # the 16 fields in the manual's order (shared/params.py)


def blank_params(**values):
    """Normalised search parameters: every key present, None when empty."""
    unknown = set(values) - set(PARAM_KEYS)
    assert not unknown, unknown
    return {key: values.get(key) for key in PARAM_KEYS}


def params_for(person, kind):
    """Parameters that find person (a Register Person) by one identifier kind."""
    current = person.policies[-1]
    old = next((p for p in person.policies if p.type == "С"), None)
    temporary = next((p for p in person.policies if p.tmpcert), None)
    doc = person.document
    return {
        "oip": lambda: blank_params(oip=person.oip),
        "enp": lambda: blank_params(enp=person.enp),
        "unified": lambda: blank_params(dpfs_type=current.type, dpfs_number=person.enp),
        "old_policy": lambda: blank_params(dpfs_type="С", dpfs_series=old.series, dpfs_number=old.number),
        "temporary": lambda: blank_params(dpfs_type=temporary.type, vs_number=temporary.tmpcert),
        "document": lambda: blank_params(dul_type=doc.type, dul_series=doc.series, dul_number=doc.number),
        "snils": lambda: blank_params(snils=person.snils),
        "snils_birth": lambda: blank_params(snils=person.snils, birth_date=person.birth_date.isoformat()),
        "fio_enp": lambda: blank_params(enp=person.enp, surname=person.surname, first_name=person.first_name),
        "all": lambda: blank_params(
            oip=person.oip,
            enp=person.enp,
            dul_type=doc.type,
            dul_series=doc.series,
            dul_number=doc.number,
            snils=person.snils,
            surname=person.surname,
            first_name=person.first_name,
            patronymic=person.patronymic,
        ),
    }[kind]()


def ask_as_of(params, person, as_of):
    """Set params' as-of date for a test case's `as_of` ("old": early in the person's first policy, "vs": just after
    the current one began, None: today, no date sent); returns the date the answer is for."""
    from datetime import timedelta

    from shared import clock

    dt = clock.today()  # ФЕРЗЛ answers «на дату» in Moscow time
    if as_of == "old":
        dt = person.policies[0].date_b + timedelta(days=3)
    elif as_of == "vs":
        dt = person.policies[-1].date_b + timedelta(days=1)
    if as_of:
        params["as_of"] = dt.isoformat()
    return dt


def oip_request(oip, external_id="123e4567-e89b-12d3-a456-426614174000"):
    """A hand-written getPersonData envelope searching by ОИП (the emulator's own tests, no client involved)."""
    from services.ferzl_emulator import soap

    return (
        f'<s:Envelope xmlns:s="{soap.SOAP}" xmlns:t="{soap.TYPES}" xmlns:c="{soap.COMMON}"><s:Body>'
        f"<t:getPersonDataRequest><c:externalRequestId>{external_id}</c:externalRequestId>"
        f"<t:personDataSearchParams><t:personSearchInfo><t:oip>{oip}</t:oip></t:personSearchInfo>"
        f"</t:personDataSearchParams></t:getPersonDataRequest></s:Body></s:Envelope>"
    ).encode()


def official_schema():
    """lxml XMLSchema of the official mpiPersonInfoSchema.xsd, or None when the reference folder is absent."""
    path = OFFICIAL / "xsd" / "mpiPersonInfoSchema.xsd"
    return _schema(path) if path.exists() else None


def own_schema():
    return _schema(OWN / "xsd" / "mpiPersonInfoSchema.xsd")


def _schema(path):
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(path)))


def payload(envelope):
    """The first element inside soap:Body of an envelope (bytes or element)."""
    from lxml import etree

    root = etree.fromstring(envelope) if isinstance(envelope, bytes) else envelope
    body = root.find(f"{{{SOAP_NS}}}Body")
    return next(body.iterchildren(tag=etree.Element))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunningEmulator:
    def __init__(self, port, token):
        import requests

        self.base_url = f"http://127.0.0.1:{port}"
        self.soap_url = self.base_url + SOAP_PATH
        self.token = token
        self.http = requests.Session()

    def admin(self, **changes):
        """POST knobs (e.g. down=True, reset=True); returns {"knobs", "counters"}."""
        response = self.http.post(f"{self.base_url}/emulator/admin", json=changes, timeout=10)
        response.raise_for_status()
        return response.json()

    def state(self):
        return self.http.get(f"{self.base_url}/emulator/admin", timeout=10).json()

    def sample(self, n=10, kind=None, dt=None):
        args = {"n": n, **({"kind": kind} if kind else {}), **({"dt": dt} if dt else {})}
        response = self.http.get(f"{self.base_url}/emulator/sample", params=args, timeout=60)
        response.raise_for_status()
        return response.json()


@contextlib.contextmanager
def running_emulator(seed=SEED, size=SIZE, token=TOKEN, startup_timeout=30):
    """Start `python -m services.ferzl_emulator` on a free port; stop it on exit."""
    import requests

    port = free_port()
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.ferzl_emulator",
            "--address",
            f"127.0.0.1:{port}",
            "--seed",
            str(seed),
            "--size",
            str(size),
            "--token",
            token,
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/emulator/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"emulator did not start:\n{log.read().decode(errors='replace')}")
            time.sleep(0.1)
        yield RunningEmulator(port, token)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def load_run(url, token, calls, concurrency, seed=SEED, size=SIZE, timeout=30):
    """Call getPersonData `calls` times from `concurrency` green threads; needs eventlet.monkey_patch() first."""
    import uuid

    import eventlet

    from services.ferzl_bridge.client import FerzlClient
    from services.ferzl_bridge.errors import FerzlError
    from services.ferzl_emulator.register import Register

    register = Register(seed, size)
    params = [blank_params(enp=register.person(i * 7 % size).enp) for i in range(calls)]
    client = FerzlClient(url, token, timeout=timeout)
    client.get_person_data(params[0], str(uuid.uuid4()))  # warm up: connections, lazy imports
    failures = []

    def one(p):
        try:
            client.get_person_data(p, str(uuid.uuid4()))
        except FerzlError as exc:
            failures.append(exc.code)

    pool = eventlet.GreenPool(concurrency)
    started = time.perf_counter()
    for p in params:
        pool.spawn_n(one, p)
    pool.waitall()
    seconds = time.perf_counter() - started
    return {
        "calls": calls,
        "concurrency": concurrency,
        "seconds": round(seconds, 3),
        "rate": round(calls / seconds, 1),
        "failures": len(failures),
    }


if __name__ == "__main__":
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    import argparse
    import json

    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(load_run(args.url, args.token, args.calls, args.concurrency)))
