"""A RabbitMQ node of the tests' own, for tests that restart the broker: never the shared node on :5672.

Its name, ports, data, logs and plugins are its own (a temporary folder); no management plugin, so it binds
nothing but its AMQP and distribution ports. Debian's rabbitmq-server and rabbitmqctl switch to the rabbitmq
user when run as root, which is what lets rabbitmqctl reach the node with that user's Erlang cookie.
"""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid

from tests import support

# rabbitmqctl's own distribution ports (rabbitmq-env: RABBITMQ_CTL_DIST_PORT_MIN 35672, +10): never ours
CLI_PORTS = range(35672, 35683)


def unavailable():
    """Why a private node cannot start here, or None."""
    if not (shutil.which("rabbitmq-server") and shutil.which("rabbitmqctl")):
        return "rabbitmq-server is not installed"
    if os.geteuid() != 0:
        return "starting a RabbitMQ node of the tests' own needs root (the server runs as the rabbitmq user)"
    try:
        pwd.getpwnam("rabbitmq")
    except KeyError:
        return "no rabbitmq user (Debian's rabbitmq-server package creates it)"
    return None


def _port():
    while True:
        port = support.free_port()
        if port not in CLI_PORTS:
            return port


class RabbitNode:
    def __init__(self, folder):
        self.folder = folder
        self.name = f"ozsp-test-{uuid.uuid4().hex[:8]}@localhost"
        self.port = _port()
        self.amqp_uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        files = {
            "enabled_plugins": "[].\n",
            "rabbitmq.conf": "\n",  # not /etc/rabbitmq's: no :5672, no plugins
            "rabbitmq-env.conf": 'SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"\n',
        }
        for name, text in files.items():
            with open(os.path.join(folder, name), "w") as f:
                f.write(text)
        path = lambda name: os.path.join(folder, name)  # noqa: E731
        self.env = {
            **os.environ,
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(_port()),
            "RABBITMQ_MNESIA_BASE": path("mnesia"),
            "RABBITMQ_LOG_BASE": path("log"),
            "RABBITMQ_PID_FILE": path("pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": path("enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": path("rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": path("rabbitmq-env.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": path("advanced.config"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def ctl(self, *args, timeout=120, check=True):
        return subprocess.run(
            ["rabbitmqctl", "-n", self.name, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=check,
        )

    def start(self, timeout=90):
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True, capture_output=True, timeout=60)
        deadline = time.monotonic() + timeout
        while True:  # await_startup fails at once until the node has registered with epmd
            done = self.ctl("await_startup", timeout=timeout, check=False)
            if done.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"private RabbitMQ node {self.name} did not start: {done.stderr[-500:]}; log: {self.log_tail()}"
                )
            time.sleep(0.5)

    def stop_app(self):
        self.ctl("stop_app")

    def start_app(self):
        self.ctl("start_app")

    def stop(self):
        self.ctl("stop", os.path.join(self.folder, "pid"), check=False)  # waits for the process to end

    def log_tail(self, chars=2000):
        try:
            with open(os.path.join(self.folder, "log", f"{self.name}.log"), errors="replace") as f:
                return f.read()[-chars:]
        except OSError:
            return "(no log)"


@contextlib.contextmanager
def private_node():
    """A started RabbitMQ node on free ports, stopped and removed afterwards."""
    folder = tempfile.mkdtemp(prefix="ozsp-rabbit-")
    user = pwd.getpwnam("rabbitmq")
    os.chown(folder, user.pw_uid, user.pw_gid)
    node = RabbitNode(folder)
    try:
        node.start()
        yield node
    finally:
        node.stop()
        shutil.rmtree(folder, ignore_errors=True)
