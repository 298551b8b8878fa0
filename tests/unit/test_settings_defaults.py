"""Every default has one home, shared.config.Settings: the README's settings tables show those values, and the
modules that took a default of their own now take it from there. No broker, no database."""

import inspect
import re
from dataclasses import fields
from pathlib import Path

import pytest

from services.certmail import letters, zipcheck
from services.ferzl_bridge import circuit, connections, fast, retry, work
from services.ferzl_emulator.register import Register
from shared import config, queues

README = Path(__file__).resolve().parents[2] / "README.md"
SETTINGS = {f.name.upper(): f for f in fields(config.Settings)}
ROW = re.compile(r"^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \| ([^|]+) \|", re.M)
WORDS = {"empty": "", "off": ""}  # the README's words for an empty default


def readme_defaults():
    """(variable, the README's default) for every row of a settings table that names one."""
    for names, shown in ROW.findall(README.read_text(encoding="utf-8")):
        variables = re.findall(r"`([A-Z_]+)`", names)
        values = re.findall(r"`([^`]*)`", shown) or [WORDS.get(shown.strip())]
        if len(values) == len(variables) and None not in values:
            yield from zip(variables, values)


def same(shown, default):
    if isinstance(default, int | float):
        return float(shown) == float(default)
    return default == shown or (shown.startswith("var/") and default.endswith(shown))  # var/ under the checkout


def test_the_readme_shows_the_defaults_of_shared_config():
    checked = [(name, shown) for name, shown in readme_defaults() if name in SETTINGS]
    assert len(checked) > 40  # the tables were read
    wrong = [
        (n, s, getattr(config.Settings, n.lower()))
        for n, s in checked
        if not same(s, getattr(config.Settings, n.lower()))
    ]
    assert wrong == []


def default_of(function, parameter):
    return inspect.signature(function).parameters[parameter].default


@pytest.mark.parametrize(
    "function, parameter, setting",
    [
        (retry.Tiers, "text", "ferzl_retry_tiers"),
        (queues.delay_queues, "tiers_text", "ferzl_retry_tiers"),
        (circuit.Circuit, "trip_failures", "ferzl_trip_failures"),
        (circuit.Circuit, "degraded_ratio", "ferzl_degraded_ratio"),
        (circuit.Circuit, "probe_seconds", "ferzl_probe_seconds"),
        (fast.FastClient, "timeout", "ferzl_timeout"),
        (fast.FastClient, "idle_seconds", "ferzl_idle_seconds"),
        (connections.Connections, "idle_seconds", "ferzl_idle_seconds"),
        (Register, "seed", "emulator_seed"),
        (Register, "size", "emulator_size"),
        (letters.parse, "max_attachment", "mail_max_attachment_bytes"),
        (zipcheck.Limits, "max_entries", "zip_max_entries"),
        (zipcheck.Limits, "max_total", "zip_max_total_bytes"),
        (zipcheck.Limits, "max_ratio", "zip_max_ratio"),
    ],
)
def test_a_module_default_is_the_setting_default(function, parameter, setting):
    assert default_of(function, parameter) == getattr(config.Settings, setting)


def test_the_bridge_takes_the_settings_whole():
    assert default_of(work.Bridge, "settings") == config.Settings()


def test_the_first_retry_tier_is_the_old_single_retry_queue():
    assert queues.retry_queue.name == queues.tier_name(queues.parse_tiers(config.Settings.ferzl_retry_tiers)[0])
