"""ozsp command line: run one service, bring all up, migrate, seed, check the infrastructure, load the МО
dictionary, read the ФЕРЗЛ archive."""

import argparse
import sys
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.config import Settings


def use_own_broker_user(name: str) -> None:
    """With BROKER_SECRET set, the process talks to RabbitMQ as its own user (services/broker_setup.py) and
    forgets the secret, so it cannot derive another party's password."""
    import os

    from services import broker_setup
    from shared import config

    settings = config.load()
    if settings.broker_secret:
        os.environ["AMQP_URI"] = broker_setup.service_uri(settings.amqp_uri, settings.broker_secret, name)
        os.environ.pop("BROKER_SECRET", None)


def run_service(name: str) -> None:
    use_own_broker_user(name)
    if name in ("certmail_intake", "ferzl_emulator"):  # plain processes, no eventlet
        import runpy

        sys.argv = [name]
        runpy.run_module(
            "services.certmail.intake" if name == "certmail_intake" else "services.ferzl_emulator", run_name="__main__"
        )
        return
    import eventlet

    eventlet.monkey_patch()  # before anything else imports sockets
    import importlib
    import logging.config

    from nameko.cli.run import run

    from services.supervisor import NAMEKO_SERVICES
    from shared import config

    settings = config.load()
    refuse_unsafe_production(settings, name)
    if name == "journal":  # the only owner of the database: never beside a journal of another database
        refuse_other_stack(settings)
    nameko_config = config.nameko_config(settings, name)
    logging.config.dictConfig(nameko_config["LOGGING"])
    module, cls = NAMEKO_SERVICES[name].split(":")
    run([getattr(importlib.import_module(module), cls)], nameko_config)


def refuse_unsafe_production(settings: "Settings", name: str) -> None:
    """Production mode never runs with dev flags, the dev secret, or a test CA in the directory."""
    from shared import config

    problems = config.production_problems(settings)
    if settings.ozsp_mode == "production" and name == "gateway":
        from services import admin

        problems += [f"в справочнике УЦ тестовый удостоверяющий центр {t}" for t in admin.test_cas_in_directory()]
    if problems:
        sys.exit(
            "ОЗСП не запущен в рабочем режиме (OZSP_MODE=production): "
            + "; ".join(problems)
            + ". Для разработки задайте OZSP_MODE=dev."
        )


def refuse_other_stack(settings: "Settings") -> None:
    """Stop when a journal with another database already consumes this vhost's queues."""
    from services import stackcheck

    try:
        problem = stackcheck.other_stack_problem(settings.amqp_uri, settings.database_url)
    except Exception as exc:  # broker or database away: the services wait for them as usual
        print(f"Проверка других копий ОЗСП пропущена ({type(exc).__name__}).", file=sys.stderr, flush=True)
        return
    if problem:
        sys.exit(problem)


def refuse_taken_ports(settings: "Settings", with_emulator: bool) -> None:
    from services import stackcheck

    addresses = {"веб-интерфейс, WEB_ADDRESS": settings.web_address, "приём почты, SMTP_ADDRESS": settings.smtp_address}
    if with_emulator:
        addresses["эмулятор ФЕРЗЛ, EMULATOR_ADDRESS"] = settings.emulator_address
    taken = stackcheck.taken_ports(addresses)
    if taken:
        sys.exit(stackcheck.ports_message(taken))


def broker_setup_command(extra: list[str]) -> int:
    """The users of every service and of the directory's active subsystems (and of `extra`), with their rights."""
    from sqlalchemy.exc import SQLAlchemyError

    from services import broker_setup
    from services.journal import subsystems
    from shared import config, db

    settings = config.load()
    names = list(extra)
    directory_read = False
    try:
        with db.engine(settings.database_url).connect() as conn:
            names += subsystems.active_names(conn)
        directory_read = True
    except SQLAlchemyError as exc:
        print(f"Подсистемы из справочника не прочитаны ({type(exc).__name__}): только сервисы.", file=sys.stderr)
    try:
        users = broker_setup.apply(
            settings.amqp_uri, settings.rabbit_management_url, settings.broker_secret, sorted(set(names))
        )
        # only with the directory read: an unread one would revoke every subsystem
        gone = (
            broker_setup.prune_subsystems(settings.amqp_uri, settings.rabbit_management_url, names)
            if directory_read
            else []
        )
    except broker_setup.SetupError as exc:
        print(f"Настройка RabbitMQ не выполнена: {exc}", file=sys.stderr)
        return 1
    print("Пользователи RabbitMQ и их права настроены: " + ", ".join(users))
    if gone:
        print("Удалены пользователи отключённых подсистем: " + ", ".join(gone))
    return 0


def subsystem_command(action: str, name: str, organization_id: int | None = None) -> int:
    """`ozsp subsystem add|disable`: the directory changed, then the broker's users follow it (ozsp broker setup)
    when BROKER_SECRET is set; without it the operator is told to run that."""
    from services.journal import directory, subsystems
    from shared import config, db

    settings = config.load()
    try:
        with db.engine(settings.database_url).begin() as conn:
            if action == "add":
                assert organization_id is not None  # argparse requires --organization for add
                subsystems.add_subsystem(conn, name, organization_id, actor="ozsp subsystem add")
            else:
                subsystems.disable_subsystem(conn, name, actor="ozsp subsystem disable")
    except directory.DirectoryError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Подсистема «{name}» " + ("добавлена." if action == "add" else "отключена: её вызовы отклоняются."))
    if not settings.broker_secret:
        print("BROKER_SECRET не задан: пользователи RabbitMQ подсистем настраиваются командой ozsp broker setup.")
        return 0
    return broker_setup_command([])


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def up(with_emulator: bool = True, scale: dict[str, int] | None = None) -> None:
    """Every service (and the emulator); `scale`: copies of some services ({"ferzl_bridge": 3}). Copies of the
    gateway listen on the next ports after WEB_ADDRESS's (a load balancer goes in front of them)."""
    import signal
    import time

    from services.supervisor import START_ORDER, Supervisor, copy_name, wait_http
    from shared import config

    settings = config.load()
    refuse_unsafe_production(settings, "up")
    refuse_taken_ports(settings, with_emulator)
    refuse_other_stack(settings)
    sup = Supervisor()
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background, where SIGINT comes ignored
    try:
        if with_emulator:
            emulator = sup.start("ferzl_emulator")
            if not wait_http(f"http://{settings.emulator_address}/emulator/health", 60, emulator):
                sys.exit("Эмулятор ФЕРЗЛ не запустился; см. сообщения выше.")
        host, _, port = settings.web_address.rpartition(":")
        for name in START_ORDER:
            for number in range(1, (scale or {}).get(name, 1) + 1):
                own = {"WEB_ADDRESS": f"{host}:{int(port) + number - 1}"} if name == "gateway" else {}
                sup.start(copy_name(name, number), own)
        copies = ", ".join(f"{n} ×{c}" for n, c in sorted((scale or {}).items()) if c > 1)
        if copies:
            print(f"Копии сервисов: {copies}", flush=True)
        url = f"http://{settings.web_address}"
        if not wait_http(f"{url}/api/v1/health", 90):
            sys.exit("Сервисы ОЗСП не ответили за 90 секунд; см. сообщения выше.")
        print(f"\nОЗСП работает: {url}/  (JSON API: {url}/api/v1/requests)  Остановка: Ctrl-C\n", flush=True)
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nОстанавливаем сервисы…", flush=True)
    finally:
        sup.stop()
    print("Все сервисы остановлены.")


def main(argv: list[str] | None = None) -> int | None:
    from shared.quiet import quiet_eventlet

    quiet_eventlet()  # before eventlet/nameko are imported (shared/quiet.py)
    argv = sys.argv[1:] if argv is None else argv
    from shared import config

    try:
        config.load()  # a malformed setting stops every command with its name, before anything starts
    except config.SettingError as exc:
        sys.exit(str(exc))
    if argv[:1] == ["dead"]:
        from services import dead_cli

        sys.exit(dead_cli.main(argv[1:]))
    if argv[:1] == ["directory"]:
        from services import directory_cli

        sys.exit(directory_cli.main(argv[1:]))
    parser = argparse.ArgumentParser(prog="ozsp", description="ОЗСП: запуск и обслуживание")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="запустить один сервис")
    p.add_argument("service")
    p = sub.add_parser("up", help="запустить все сервисы (и эмулятор ФЕРЗЛ)")
    p.add_argument("--no-emulator", action="store_true", help="не запускать эмулятор (FERZL_URL — настоящий ФЕРЗЛ)")
    p.add_argument(
        "--scale",
        default="",
        metavar="СЕРВИС=N,…",
        help="число копий сервисов, например bridge=3,journal=2 (копии шлюза — на следующих портах)",
    )
    sub.add_parser("directory", help="справочник абонентов: ozsp directory --help")
    sub.add_parser("dead", help="сообщения, не прошедшие проверку схемы (очередь ozsp.dead): ozsp dead --help")
    sub.add_parser("migrate", help="создать базу данных при отсутствии и применить миграции").add_argument(
        "--wait", type=float, default=0, metavar="СЕКУНД", help="ждать ответа PostgreSQL до стольких секунд"
    )
    sub.add_parser("seed", help="загрузить демонстрационные данные")
    p = sub.add_parser("load-mo", help="загрузить справочник МО из XML реестра МО ФФОМС (F003)")
    p.add_argument("file", help="файл XML (packet/medCompany: mcod, nam_mok, nam_mop)")
    p.add_argument("--okato", help="только МО территории с этим ОКАТО (tf_okato), например 46000")
    p = sub.add_parser("archive", help="архив обменов с ФЕРЗЛ (только для администраторов)")
    archive_sub = p.add_subparsers(dest="archive_command", required=True)
    p = archive_sub.add_parser("show", help="показать запросы и ответы ФЕРЗЛ по запросу ОЗСП")
    p.add_argument("request_id", type=int)
    p.add_argument("--out", help="сохранить обмены в эту папку (в том числе zip-вложения)")
    p = sub.add_parser("letters", help="письма регистрации сертификатов, отложенные после неудачных попыток")
    letters_sub = p.add_subparsers(dest="letters_command", required=True)
    letters_sub.add_parser("requeue", help="вернуть отложенные письма в обработку (после устранения причины)")
    p = sub.add_parser("broker", help="пользователи и права RabbitMQ")
    broker_sub = p.add_subparsers(dest="broker_command", required=True)
    p = broker_sub.add_parser("setup", help="создать виртуальный узел, пользователей сервисов и подсистем, их права")
    p.add_argument(
        "--subsystem",
        action="append",
        default=[],
        metavar="ИМЯ",
        help="ещё и пользователь подсистемы (кроме подсистем справочника)",
    )
    p = sub.add_parser("subsystem", help="подсистемы ТФОМС, вызывающие RPC API (contracts/rpc-api.md)")
    subsystem_sub = p.add_subparsers(dest="subsystem_command", required=True)
    p = subsystem_sub.add_parser("add", help="добавить подсистему организации в справочник")
    p.add_argument("name", help="латинские строчные буквы, цифры и _ (часть имени пользователя RabbitMQ)")
    p.add_argument("--organization", type=int, required=True, metavar="ID", help="организация подсистемы")
    p = subsystem_sub.add_parser(
        "disable", help="отключить подсистему: её вызовы отклоняются, пользователь RabbitMQ удаляется"
    )
    p.add_argument("name")
    p = sub.add_parser("infra", help="проверить RabbitMQ и PostgreSQL")
    p.add_argument("--start", action="store_true", help="запустить их через docker compose, если они не отвечают")
    p.add_argument(
        "--or-containers",
        action="store_true",
        help="для тестов: если они не отвечают, но есть Docker, тесты запустят их в контейнерах",
    )
    args = parser.parse_args(argv)

    if args.command == "run":
        run_service(args.service)
        return None
    if args.command == "up":
        from services.supervisor import ScaleError, parse_scale

        try:
            scale = parse_scale(args.scale)
        except ScaleError as exc:
            sys.exit(str(exc))
        up(with_emulator=not args.no_emulator, scale=scale)
        return None
    from services import admin

    if args.command == "migrate":
        admin.migrate(wait=args.wait)
        return None
    if args.command == "seed":
        admin.seed()
        return None
    if args.command == "load-mo":
        loaded, _ = admin.load_mo(args.file, okato=args.okato)
        sys.exit(0 if loaded else 1)
    if args.command == "archive":
        admin.archive_show(args.request_id, out=args.out)
        return None
    if args.command == "letters":
        admin.letters_requeue()  # -> how many letters went back; the exit code stays 0
        return 0
    if args.command == "broker":
        return broker_setup_command(args.subsystem)
    if args.command == "subsystem":
        return subsystem_command(args.subsystem_command, args.name, getattr(args, "organization", None))
    if args.command == "infra":
        sys.exit(0 if admin.check_infra(start=args.start, containers_ok=args.or_containers) else 1)
    return None


if __name__ == "__main__":
    sys.exit(main())
