"""Run the ФЕРЗЛ emulator: python -m services.ferzl_emulator [--address HOST:PORT] [--seed N] [--size N] ...

Defaults come from shared.config (EMULATOR_ADDRESS, EMULATOR_SEED, EMULATOR_SIZE, EMULATOR_TOKEN); it speaks
FERZL_API_VERSION (its namespaces and paths, shared.ferzl_api).
Needs neither RabbitMQ nor PostgreSQL.
"""

import argparse
import sys

from shared.quiet import quiet_eventlet

quiet_eventlet()  # before eventlet is imported

import eventlet  # noqa: E402
import eventlet.wsgi  # noqa: E402

from services.ferzl_emulator.register import Register  # noqa: E402
from services.ferzl_emulator.server import Emulator  # noqa: E402
from shared import config  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    try:
        settings = config.load()
    except config.SettingError as exc:
        sys.exit(str(exc))
    parser = argparse.ArgumentParser(prog="python -m services.ferzl_emulator", description="Эмулятор ФЕРЗЛ")
    parser.add_argument("--address", default=settings.emulator_address, help="HOST:PORT to listen on")
    parser.add_argument("--seed", type=int, default=settings.emulator_seed)
    parser.add_argument("--size", type=int, default=settings.emulator_size, help="persons in the register")
    parser.add_argument("--token", default=settings.emulator_token, help="accepted X-Auth-Token; empty: no check")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--latency-jitter-ms", type=float, default=0.0)
    parser.add_argument("--access-log", action="store_true", help="log request lines (paths only)")
    args = parser.parse_args(argv)

    host, _, port = args.address.rpartition(":")
    app = Emulator(
        Register(args.seed, args.size),
        args.token,
        api=settings.ferzl_api,
        latency_ms=args.latency_ms,
        latency_jitter_ms=args.latency_jitter_ms,
    )
    sock = eventlet.listen((host or "127.0.0.1", int(port)), backlog=1024, reuse_port=False)  # one emulator a port
    print(
        f"Эмулятор ФЕРЗЛ слушает http://{host}:{port}{app.api.person_info_path} (seed {args.seed}, {args.size} персон)",
        flush=True,
    )
    eventlet.wsgi.server(sock, app, log_output=args.access_log, max_size=4096, keepalive=True, socket_timeout=120)


if __name__ == "__main__":
    main()
