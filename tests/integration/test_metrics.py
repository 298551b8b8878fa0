"""Every process of the stack answers on /metrics with the names of issue 21 (shared/metrics.py), after some
traffic: a lookup, a group, a sign-in and a letter."""

import smtplib
import urllib.request
from email.message import EmailMessage

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import METRICS_SERVICES
from tests.group_support import by_enp, file_bytes, finished, upload
from tests.support import wait_for

pytestmark = pytest.mark.integration

EXPECTED = {
    "gateway": {"ozsp_http_requests_total", "ozsp_logins_total"},
    "flk": {"ozsp_flk_rows_total", "ozsp_flk_check_seconds_total", "ozsp_flk_rows_per_second"},
    "ferzl_bridge": {
        "ozsp_ferzl_calls_total",
        "ozsp_ferzl_call_seconds_bucket",
        "ozsp_ferzl_call_seconds_count",
        "ozsp_ferzl_circuit_state",
    },
    "journal": {
        "ozsp_dispatch_backlog",
        "ozsp_dispatch_in_flight",
        "ozsp_queue_depth",
        "ozsp_groups_in_progress",
        "ozsp_group_rows",
        "ozsp_crl_expires_seconds",
    },
    "certmail": {"ozsp_mail_letters_total"},
    "certmail_intake": {"ozsp_mail_intake_total"},
}


def scrape(stack, service):
    port = stack.env[f"METRICS_PORT_{service.upper()}"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(r.read().decode())
            for s in f.samples
        }


def names(samples):
    return {name for name, _ in samples}


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_every_service_shows_its_metrics_after_traffic(stack):
    people = stack.samples(3)
    r = stack.api("POST", "/api/v1/requests", json={"name": "метрики", "enp": people[0]["enp"]})
    assert r.status_code == 201, r.text
    r = upload(stack, "метрики", file_bytes([by_enp(f"строка {i}", p) for i, p in enumerate(people)]))
    assert r.status_code in (201, 202), r.text
    finished(stack, r.json()["id"])
    letter = EmailMessage()
    letter["From"], letter["To"], letter["Subject"] = "someone@example.test", "reestrin@ozsp.test", "метрики"
    letter.set_content("нет вложения")
    host, port = stack.env["SMTP_ADDRESS"].rsplit(":", 1)
    with smtplib.SMTP(host, int(port), timeout=10) as smtp:
        smtp.send_message(letter)

    def seen():
        found = {s: scrape(stack, s) for s in METRICS_SERVICES}
        missing = {s: sorted(EXPECTED[s] - names(found[s])) for s in METRICS_SERVICES}
        return found if not any(missing.values()) else None

    found = wait_for(seen, 30, message="every metric name on its service's endpoint")
    assert value(found["gateway"], "ozsp_http_requests_total", status="201") >= 1
    assert value(found["gateway"], "ozsp_logins_total", outcome="ok") >= 1  # the stack signed in
    assert value(found["ferzl_bridge"], "ozsp_ferzl_calls_total", outcome="ok") >= 1
    assert value(found["ferzl_bridge"], "ozsp_ferzl_circuit_state", state="up") == 1
    assert value(found["flk"], "ozsp_flk_rows_total") >= 3
    assert value(found["certmail_intake"], "ozsp_mail_intake_total", outcome="accepted") >= 1
    assert sum(v for (n, _), v in found["certmail"].items() if n == "ozsp_mail_letters_total") >= 1
    assert ("ozsp_queue_depth", (("queue", "ozsp.ferzl.work"),)) in found["journal"]
