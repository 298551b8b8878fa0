"""Container healthchecks (docker-compose.yml): standard library only, exit code 0 when healthy.

python -m shared.health heartbeat FILE [--max-age 30]  a nameko service touched FILE lately (shared/heartbeat.py)
python -m shared.health http URL                       URL answers 2xx
python -m shared.health smtp HOST:PORT                 an SMTP server greets with 220
"""

import argparse
import os
import smtplib
import sys
import time
import urllib.request

TIMEOUT = 5.0


def touch(path: str) -> None:
    with open(path, "a"):
        pass
    os.utime(path)


def check_heartbeat(path: str, max_age: float) -> tuple[bool, str]:
    """(healthy, message) for a heartbeat file at most max_age seconds old."""
    try:
        age = time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        return False, f"файла {path} нет: сервис не запущен или HEARTBEAT_FILE не задан"
    if age > max_age:
        return False, f"файл {path} не обновлялся {age:.0f} с (допустимо {max_age:g} с)"
    return True, f"сервис жив: {path} обновлён {age:.0f} с назад"


def check_http(url: str, timeout: float = TIMEOUT) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return True, f"{url}: HTTP {response.status}"
    except Exception as exc:  # HTTPError (non-2xx), URLError, timeout
        return False, f"{url} не отвечает: {exc}"


def check_smtp(address: str, timeout: float = TIMEOUT) -> tuple[bool, str]:
    host, _, port = address.rpartition(":")
    try:
        server = smtplib.SMTP(host or "127.0.0.1", int(port), timeout=timeout)  # reads the 220 greeting
        server.quit()
        return True, f"SMTP {address}: приветствие 220"
    except Exception as exc:  # SMTPConnectError (not 220), OSError
        return False, f"SMTP {address} не отвечает: {exc}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shared.health", description="проверка живости контейнера")
    sub = parser.add_subparsers(dest="kind", required=True)
    p = sub.add_parser("heartbeat", help="файл сердцебиения сервиса nameko свежий")
    p.add_argument("file")
    p.add_argument("--max-age", type=float, default=30.0, help="секунд с последнего обновления, не больше")
    sub.add_parser("http", help="адрес отвечает HTTP 2xx").add_argument("url")
    sub.add_parser("smtp", help="SMTP-сервер приветствует кодом 220").add_argument("address", help="ХОСТ:ПОРТ")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.kind == "heartbeat":
        healthy, message = check_heartbeat(args.file, args.max_age)
    elif args.kind == "http":
        healthy, message = check_http(args.url)
    else:
        healthy, message = check_smtp(args.address)
    print(message)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
