"""The RabbitMQ virtual host of a stack: each stack (make run, a second copy, every test run) has its own, so two
stacks on one broker never consume each other's queues."""

import subprocess
from urllib.parse import quote, unquote, urlsplit

import requests

DEFAULT_VHOST = "ozsp"


def vhost_of(amqp_uri: str) -> str:
    """'amqp://u:p@host:5672/ozsp' -> 'ozsp'; no path or '/' -> '/' (RabbitMQ's default vhost)."""
    path = urlsplit(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def with_vhost(amqp_uri: str, vhost: str) -> str:
    """The same broker address with another vhost."""
    parts = urlsplit(amqp_uri)
    return parts._replace(path="/" + quote(vhost, safe="")).geturl()


def _management(management_url: str) -> tuple[str, tuple[str, str]]:
    parts = urlsplit(management_url)
    api = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
    return api, (unquote(parts.username or "guest"), unquote(parts.password or "guest"))


def ensure_vhost(amqp_uri: str, management_url: str, timeout: float = 10) -> str | None:
    """Create the vhost of amqp_uri with full rights for its user, when missing (management API, else
    rabbitmqctl on this machine). -> None when it exists now, else a Russian reason."""
    vhost = vhost_of(amqp_uri)
    if vhost == "/":
        return None
    user = unquote(urlsplit(amqp_uri).username or "guest")
    api, auth = _management(management_url)
    name = quote(vhost, safe="")
    try:
        requests.put(f"{api}/vhosts/{name}", auth=auth, timeout=timeout).raise_for_status()
        requests.put(
            f"{api}/permissions/{name}/{quote(user, safe='')}",
            auth=auth,
            timeout=timeout,
            json={"configure": ".*", "write": ".*", "read": ".*"},
        ).raise_for_status()
        return None
    except requests.RequestException:
        pass
    try:
        for args in (["add_vhost", vhost], ["set_permissions", "-p", vhost, user, ".*", ".*", ".*"]):
            done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, timeout=60)
            if done.returncode != 0 and b"already" not in done.stderr + done.stdout:
                raise OSError(done.stderr.decode(errors="replace").strip())
        return None
    except (OSError, subprocess.SubprocessError):
        return (
            f"виртуальный узел RabbitMQ «{vhost}» не найден и не создан (нет доступа к API управления "
            f"{api} и к rabbitmqctl). Создайте его: rabbitmqctl add_vhost {vhost} && "
            f"rabbitmqctl set_permissions -p {vhost} {user} '.*' '.*' '.*'"
        )


def delete_vhost(amqp_uri: str, management_url: str, timeout: float = 10) -> None:
    vhost = vhost_of(amqp_uri)
    api, auth = _management(management_url)
    try:
        requests.delete(f"{api}/vhosts/{quote(vhost, safe='')}", auth=auth, timeout=timeout)
    except requests.RequestException:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], capture_output=True, timeout=60)
