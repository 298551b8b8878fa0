"""deploy/: the scrape config finds every service on its metrics port, the alert rules and the dashboard parse as
PromQL (Prometheus's grammar, through node) and name only metrics that shared/metrics.py exposes, and the alerts of
issue 21 are there."""

import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

from shared import metrics
from shared.config import Settings
from tests.conftest import METRICS_SERVICES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPLOY = os.path.join(ROOT, "deploy")
PARSER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "promql_names.cjs")
BUILTIN = {"up"}  # series Prometheus itself writes for every target


def load(name):
    with open(os.path.join(DEPLOY, name), encoding="utf-8") as f:
        return yaml.safe_load(f)


def parsed(expressions):
    node = shutil.which("node")
    assert node, "node не найден: установите Node.js (make install ставит и пакеты npm)"
    assert os.path.isdir(os.path.join(ROOT, "node_modules", "@prometheus-io", "lezer-promql")), "npm ci"
    out = subprocess.run([node, PARSER], input=json.dumps(expressions), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def unknown_names(expressions):
    """{expression: problem} for each expression that does not parse or names a metric nobody exposes."""
    known = metrics.exposed_names() | BUILTIN
    problems = {}
    for expr, result in zip(expressions, parsed(expressions)):
        if result["errors"]:
            problems[expr] = "does not parse"
        elif not result["names"]:
            problems[expr] = "names no metric"
        elif set(result["names"]) - known:
            problems[expr] = f"unknown {sorted(set(result['names']) - known)}"
    return problems


ALERTS = [rule for group in load("alerts.yml")["groups"] for rule in group["rules"]]
DASHBOARD = json.load(open(os.path.join(DEPLOY, "grafana", "dashboards", "ozsp.json"), encoding="utf-8"))


def test_alert_expressions_parse_and_name_known_metrics():
    assert unknown_names([rule["expr"] for rule in ALERTS]) == {}


def test_dashboard_expressions_parse_and_name_known_metrics():
    exprs = [t["expr"] for panel in DASHBOARD["panels"] for t in panel["targets"]]
    assert unknown_names(exprs) == {}


def test_the_dashboard_shows_every_metric():
    text = json.dumps(DASHBOARD)
    assert [n for n in metrics.NAMES if n not in text] == []


@pytest.mark.parametrize(
    "expr, problem",
    [
        ('max(ozsp_ferzl_circuit_state{state="down"} == 1', "does not parse"),
        ("rate(ozsp_ferzl_calls[5m])", "unknown"),  # a counter is exposed as _total
        ("sum(rate(ozsp_no_such_metric_total[5m]))", "unknown"),
    ],
)
def test_a_broken_or_unknown_expression_is_caught(expr, problem):
    assert unknown_names([expr])[expr].startswith(problem)


def _minutes(duration):
    number, unit = re.fullmatch(r"(\d+)([smh])", duration).groups()
    return int(number) * {"s": 1 / 60, "m": 1, "h": 60}[unit]


def test_the_alerts_of_issue_21_are_there():
    by_name = {rule["alert"]: rule for rule in ALERTS}
    assert 'ozsp_ferzl_circuit_state{state="down"}' in by_name["FerzlCircuitOpen"]["expr"]
    assert _minutes(by_name["FerzlCircuitOpen"]["for"]) == 5
    assert "ozsp_dispatch_backlog" in by_name["DispatchBacklogGrowing"]["expr"]
    assert _minutes(by_name["DispatchBacklogGrowing"]["for"]) >= 10
    assert "ozsp_crl_expires_seconds" in by_name["CrlExpiresSoon"]["expr"]
    assert "ozsp_mail_intake_total" in by_name["MailIntakeFailing"]["expr"]
    assert all(rule["annotations"]["summary"] for rule in ALERTS)


def test_the_scrape_config_finds_each_service_on_its_metrics_port():
    config = load("prometheus.yml")
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(METRICS_SERVICES)
    for service, job in jobs.items():
        (sd,) = job["dns_sd_configs"]
        assert sd["names"] == [service] and sd["port"] == metrics.port_of(Settings(), service), service


def test_compose_profile_metrics_mounts_these_files():
    with open(os.path.join(ROOT, "docker-compose.yml"), encoding="utf-8") as f:
        services = yaml.safe_load(f)["services"]
    mounts = {v.split(":")[0]: v.split(":")[1] for v in services["prometheus"]["volumes"]}
    assert mounts["./deploy/prometheus.yml"] == "/etc/prometheus/prometheus.yml"
    assert mounts["./deploy/alerts.yml"] == "/etc/prometheus/alerts.yml"
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["metrics"]
    for name in METRICS_SERVICES:
        assert name in services, name
