"""`ozsp directory …`: manage the subscriber directory (organisations, users, e-mails, certificates, CAs, CRLs).
Every change is written to the audit table with the operating-system user as actor."""

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from services.journal import directory as D
from services.journal import directory_actions
from shared import config, db


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ozsp directory", description="Справочник абонентов")
    sub = p.add_subparsers(dest="action", required=True)
    a = sub.add_parser("org-add", help="добавить организацию")
    a.add_argument("--name", required=True)
    a.add_argument("--kind", required=True, choices=["mo", "smo", "tfoms"])
    a.add_argument("--code", help="реестровый код")
    a.add_argument("--ogrn")
    for name in ("org-deactivate", "org-activate"):
        sub.add_parser(name, help="пометить организацию как (не) действующую").add_argument("id", type=int)
    a = sub.add_parser("user-add", help="добавить пользователя")
    a.add_argument("--org", type=int, required=True)
    a.add_argument("--surname", required=True)
    a.add_argument("--first-name", required=True)
    a.add_argument("--patronymic")
    a.add_argument("--snils")
    a.add_argument("--position")
    a.add_argument("--email", action="append", default=[], help="доверенный адрес (можно несколько)")
    a.add_argument("--role", action="append", default=None, help="роль (по умолчанию web)")
    for name in ("user-deactivate", "user-activate"):
        sub.add_parser(name, help="пометить пользователя как (не) действующего").add_argument("id", type=int)
    a = sub.add_parser("email-add", help="добавить доверенный адрес пользователю")
    a.add_argument("user_id", type=int)
    a.add_argument("email")
    a = sub.add_parser("cert-add", help="зарегистрировать сертификат (.cer: DER, PEM или base64) пользователю")
    a.add_argument("user_id", type=int)
    a.add_argument("file", type=Path)
    for name, text in (
        ("cert-withdraw", "исключить сертификат из справочника (его сеансы завершаются)"),
        ("cert-activate", "вернуть исключённый сертификат"),
    ):
        a = sub.add_parser(name, help=text)
        a.add_argument("serial", nargs="?", help="серийный номер (hex, как в list)")
        a.add_argument("--id", type=int, help="номер записи сертификата")
    sub.add_parser("ca-import", help="добавить удостоверяющий центр (.cer)").add_argument("file", type=Path)
    sub.add_parser("crl-import", help="загрузить список отозванных сертификатов (.crl)").add_argument("file", type=Path)
    sub.add_parser("crl-refresh", help="скачать списки отзыва УЦ из точек распространения (CDP) их сертификатов")
    sub.add_parser("list", help="показать справочник")
    return p


def params_of(args: argparse.Namespace) -> dict[str, Any]:
    """The command line's arguments as directory_actions' params (files read into bytes)."""
    act = args.action
    if act == "org-add":
        return {"name": args.name, "kind": args.kind, "code": args.code, "ogrn": args.ogrn}
    if act == "user-add":
        return {
            "org": args.org,
            "surname": args.surname,
            "first_name": args.first_name,
            "patronymic": args.patronymic,
            "snils": args.snils,
            "position": args.position,
            "emails": args.email,
            "roles": args.role or ["web"],
        }
    if act == "email-add":
        return {"user_id": args.user_id, "email": args.email}
    if act == "cert-add":
        return {"user_id": args.user_id, "file": args.file.read_bytes()}
    if act in ("cert-withdraw", "cert-activate"):
        return {"id": args.id, "serial": args.serial}
    if act in ("ca-import", "crl-import"):
        return {"file": args.file.read_bytes()}
    return {"id": args.id}


def run(args: argparse.Namespace, conn: Connection, actor: str) -> str | None:
    if args.action == "list":
        listing = D.listing(conn)
        for org in listing["organizations"]:  # Приложение 1 to print, on the gateway (role «admin»)
            org["application"] = f"/admin/application/{org['id']}"
        for user in listing["users"]:
            user["application"] = f"/admin/application/{user['organization_id']}?user={user['id']}"
        return json.dumps(listing, ensure_ascii=False, indent=2, default=str)
    return directory_actions.perform(conn, args.action, params_of(args), actor)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    from shared.gost import GostError

    args = _parser().parse_args(argv)
    engine = db.engine(config.load().database_url)
    try:
        if args.action == "crl-refresh":
            return _crl_refresh(engine, out)
        with engine.begin() as conn:
            print(run(args, conn, getpass.getuser()), file=out)
        return 0
    except OperationalError:
        print("Ошибка: база данных недоступна (DATABASE_URL); ничего не изменено.", file=sys.stderr)
        return 2
    except (D.DirectoryError, GostError) as exc:
        message = exc if isinstance(exc, D.DirectoryError) else "файл не является сертификатом или списком отзыва ГОСТ"
        print(f"Ошибка: {message}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Ошибка: не удалось прочитать файл: {exc.strerror}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


REFRESH_WORDS = {
    "stored": "загружен новый список отзыва",
    "current": "список отзыва актуален",
    "no_urls": "в сертификатах нет точек распространения: только crl-import",
    "failed": "скачать список отзыва не удалось (подробности в журнале)",
}


def _crl_refresh(engine: Engine, out: TextIO) -> int:
    from services.journal import crl_refresh

    results = crl_refresh.refresh(engine)
    for ca_id, result in sorted(results.items()):
        print(f"УЦ {ca_id}: {REFRESH_WORDS[result]}", file=out)
    if not results:
        print("В справочнике нет действующих удостоверяющих центров.", file=out)
    return 1 if "failed" in results.values() else 0
