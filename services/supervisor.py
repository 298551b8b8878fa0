"""Start, watch and stop the service processes: one per service, or several copies of one ("ferzl_bridge#2", the
`--scale` of `ozsp up`)."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from typing import TextIO

NAMEKO_SERVICES = {
    "journal": "services.journal.service:JournalService",
    "flk": "services.flk.service:FlkService",
    "ferzl_bridge": "services.ferzl_bridge.service:FerzlBridgeService",
    "certmail": "services.certmail.service:CertmailService",
    "gateway": "services.gateway.service:GatewayService",
    "public_api": "services.public_api.service:PublicApiService",
}
START_ORDER = ("journal", "flk", "ferzl_bridge", "certmail", "certmail_intake", "public_api", "gateway")


SCALABLE = ("journal", "flk", "ferzl_bridge", "certmail", "gateway")  # certmail_intake: one SMTP port
ALIASES = {"bridge": "ferzl_bridge"}


class ScaleError(ValueError):
    pass


def parse_scale(text: str) -> dict[str, int]:
    """ "bridge=3,journal=2" -> {"ferzl_bridge": 3, "journal": 2}; ScaleError (a Russian message) when malformed."""
    found: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, count = part.partition("=")
        name = ALIASES.get(name.strip(), name.strip())
        if not sep or name not in SCALABLE or not count.strip().isdigit() or not 1 <= int(count) <= 32:
            raise ScaleError(
                f"--scale: ожидается «сервис=число» (1–32) через запятую, сервисы: {', '.join(SCALABLE)} "
                f"(bridge = ferzl_bridge); получено «{part}»"
            )
        found[name] = int(count)
    return found


def copy_name(name: str, number: int) -> str:
    """The supervisor's name of copy `number` (1: the service's own name)."""
    return name if number == 1 else f"{name}#{number}"


def base_name(name: str) -> str:
    return name.split("#", 1)[0]


def command(name: str) -> list[str]:
    name = base_name(name)
    if name == "ferzl_emulator":
        return [sys.executable, "-m", "services.ferzl_emulator"]
    if name == "certmail_intake":  # plain asyncio (aiosmtpd), not a nameko service
        return [sys.executable, "-m", "services.certmail.intake"]
    return [sys.executable, "-m", "services.cli", "run", name]


class Backoff:
    """Delays between restarts of one service: `first` seconds doubling up to `cap`; back to `first` once the
    service has run for `stable` seconds."""

    def __init__(self, first: float = 1.0, cap: float = 60.0, stable: float = 60.0) -> None:
        self.first, self.cap, self.stable = first, cap, stable
        self.delay = 0.0

    def after(self, ran_for: float) -> float:
        """The delay before the next start of a process that ran `ran_for` seconds."""
        self.delay = self.first if ran_for >= self.stable or not self.delay else min(self.cap, self.delay * 2)
        return self.delay


def _seconds(value: float) -> str:
    return f"{value:g} с" if value >= 1 else f"{value * 1000:.0f} мс"


class Supervisor:
    """Owns child processes; optionally restarts one that dies on its own, with a growing delay (Backoff)
    and the reason: its exit code and its last line of output."""

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        restart: bool = True,
        output: TextIO = sys.stdout,
        commands: Mapping[str, list[str]] | None = None,
        backoff: tuple[float, float, float] = (1.0, 60.0, 60.0),
    ) -> None:
        self.env = {**os.environ, **(env or {})}
        self.restart = restart
        self.output = output
        self.commands = commands or {}
        self.backoff_settings = backoff
        self.backoffs: dict[str, Backoff] = {}
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.extra_env: dict[str, dict[str, str]] = {}  # per process name: its own settings (a copy's port)
        self.stopping = False
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def start(self, name: str, env: Mapping[str, str] | None = None) -> "subprocess.Popen[bytes]":
        """Start process `name` (a service, or a copy "service#n"), with `env` on top of the supervisor's (kept
        for its restarts)."""
        if env is not None:
            self.extra_env[name] = dict(env)
        proc = subprocess.Popen(
            self.commands.get(name) or self.commands.get(base_name(name)) or command(name),
            env={**self.env, **self.extra_env.get(name, {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        with self._lock:
            self.procs[name] = proc
        threading.Thread(target=self._pump, args=(name, proc, time.monotonic()), daemon=True).start()
        return proc

    def _pump(self, name: str, proc: "subprocess.Popen[bytes]", started: float) -> None:
        last = ""
        for line in proc.stdout or ():  # a PIPE: never None
            text = line.decode("utf-8", "replace")
            last = text.strip() or last
            self.output.write(f"[{name}] {text}")
            self.output.flush()
        code = proc.wait()
        if self.restart and not self.stopping and self.procs.get(name) is proc:
            backoff = self.backoffs.setdefault(name, Backoff(*self.backoff_settings))
            delay = backoff.after(time.monotonic() - started)
            why = f"; последняя строка: {last[-300:]}" if last else ""
            self.output.write(
                f"[supervisor] {name} завершился с кодом {code}{why}. Перезапуск через {_seconds(delay)}\n"
            )
            self.output.flush()
            if not self._stopped.wait(delay) and not self.stopping:
                self.start(name)

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs[name]
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    def stop(self, timeout: float = 20) -> None:
        self.stopping = True
        self._stopped.set()
        procs = list(self.procs.values())
        for proc in procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_http(url: str, timeout: float = 60.0, proc: "subprocess.Popen[bytes] | None" = None) -> bool:
    """Poll url until it answers 200; False on timeout or when proc has exited."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False
