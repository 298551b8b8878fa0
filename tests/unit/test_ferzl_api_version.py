"""FERZL_API_VERSION selects the namespaces, paths and contract files of the bridge (fast path and zeep) and of the
emulator from one place (shared.ferzl_api); an unknown version is refused at start, in Russian. No broker."""

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from lxml import etree
from nameko.containers import ServiceContainer
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ferzl_support as support  # noqa: E402

from services.ferzl_bridge import fast, mapping  # noqa: E402
from services.ferzl_bridge.client import FerzlClient, MassClient  # noqa: E402
from services.ferzl_bridge.errors import FerzlRejected  # noqa: E402
from services.ferzl_bridge.fast import FastClient  # noqa: E402
from services.ferzl_emulator.register import Register  # noqa: E402
from services.ferzl_emulator.server import Emulator  # noqa: E402
from shared import clock, config, ferzl_api  # noqa: E402
from shared.settings import SettingsProvider  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OTHER = "99.1.1"  # a version made up for these tests: our contract files with its namespaces
REGISTER = Register(7, 50)
TOKEN = "version-token"


def target_namespace(path):
    return etree.parse(str(path)).getroot().get("targetNamespace")


@pytest.mark.parametrize("folder", [ferzl_api.CONTRACTS, support.OFFICIAL], ids=["contracts", "official"])
def test_the_default_version_has_the_namespaces_of_its_schemas(folder):
    if not folder.exists():
        pytest.skip(f"{folder} is not here")
    api = config.load({}).ferzl_api
    assert api.version == config.Settings.ferzl_api_version == ferzl_api.DEFAULT_VERSION
    assert target_namespace(folder / "xsd" / "mpiPersonInfoSchema.xsd") == api.types
    assert target_namespace(folder / "xsd" / "commonTypes.xsd") == api.common
    assert target_namespace(folder / "xsd" / "mpiAsyncOperationsSchema.xsd") == api.async_types
    assert "{" + target_namespace(folder / "wsdl" / "mpiPersonInfoServiceWs.wsdl") + "}" in api.binding
    assert "{" + target_namespace(folder / "wsdl" / "mpiAsyncOperationsServiceWs.wsdl") + "}" in api.async_binding


def test_an_unknown_version_is_refused_with_the_supported_ones_named():
    with pytest.raises(config.SettingError) as refused:
        config.load({"FERZL_API_VERSION": "24.1.2"})
    assert "Версия API ФЕРЗЛ «24.1.2» не поддерживается" in str(refused.value)
    assert "Поддерживаемые версии: 24.2.6" in str(refused.value)
    with pytest.raises(ferzl_api.UnsupportedVersion):
        ferzl_api.api("24.1.2")


@pytest.mark.parametrize("module", ["services.cli", "services.ferzl_emulator"])
def test_the_commands_refuse_an_unknown_version_before_they_start(module):
    args = [sys.executable, "-m", module] + (["migrate"] if module == "services.cli" else [])
    done = subprocess.run(
        args, cwd=ROOT, env={**os.environ, "FERZL_API_VERSION": "9.9.9"}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "Версия API ФЕРЗЛ «9.9.9» не поддерживается" in done.stderr
    assert "Traceback" not in done.stderr


class Probe:
    name = "probe"
    settings = SettingsProvider()


def test_a_service_gets_the_settings_its_nameko_config_was_made_from():
    settings = config.load({"FERZL_API_VERSION": ferzl_api.DEFAULT_VERSION, "CHUNK_SIZE": "7"})
    nameko = {**config.nameko_config(settings, "probe"), "AMQP_URI": "memory://"}
    assert config.from_nameko(nameko) is settings
    container = ServiceContainer(Probe, config=nameko)
    provider = next(d for d in container.dependencies if isinstance(d, SettingsProvider))
    provider.setup()
    assert provider.get_dependency(None) is settings
    assert config.from_nameko({}) == config.load()  # a config without them: the environment's


@pytest.fixture
def other_version(tmp_path, monkeypatch):
    """OTHER made a supported version whose contract files are ours with its namespaces and paths."""
    for kind in ("wsdl", "xsd"):
        (tmp_path / kind).mkdir()
        for path in (ferzl_api.CONTRACTS / kind).iterdir():
            text = path.read_text(encoding="utf-8").replace(ferzl_api.DEFAULT_VERSION, OTHER)
            (tmp_path / kind / path.name).write_text(text, encoding="utf-8")
    monkeypatch.setitem(ferzl_api.SUPPORTED, OTHER, tmp_path)
    return ferzl_api.api(OTHER)


@contextlib.contextmanager
def emulator(api):
    """The emulator of that version on a free port (a thread of this process) -> its address."""
    server = make_server("127.0.0.1", 0, Emulator(REGISTER, TOKEN, api=api), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_the_bridge_and_the_emulator_agree_on_another_version(other_version):
    person = REGISTER.sample(1)[0]
    params = support.blank_params(enp=person.enp)
    with emulator(other_version) as address:
        settings = config.load({"FERZL_API_VERSION": OTHER, "EMULATOR_ADDRESS": address})
        api, url = settings.ferzl_api, settings.effective_ferzl_url
        assert (
            api == other_version
            and url == f"http://{address}/api/t-foms/integration/ws/{OTHER}/wsdl/{ferzl_api.PERSON_INFO}"
        )

        sent = fast.envelope(mapping.build_request(params, str(uuid.uuid4())), api)
        assert f"http://ffoms.ru/types/{OTHER}/mpiPersonInfoSchema".encode() in sent and b"24.2.6" not in sent
        for client in (FastClient(url, TOKEN, api=api), FerzlClient(url, TOKEN, api=api)):
            assert client.get_person_data(params, str(uuid.uuid4())).to_dict() == REGISTER.answer(person, clock.today())

        mass = MassClient(settings.effective_ferzl_async_url, TOKEN, api=api)
        token = mass.start([{"enp": person.enp}], str(uuid.uuid4()))
        deadline = time.monotonic() + 10
        while (status := mass.poll(token, str(uuid.uuid4())))[0] != "готов" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert status[0] == "готов" and status[1]  # the zip of the answers


def test_a_bridge_of_one_version_is_refused_by_an_emulator_of_another(other_version):
    params = support.blank_params(enp=REGISTER.sample(1)[0].enp)
    with emulator(ferzl_api.DEFAULT) as address:
        url = f"http://{address}{ferzl_api.DEFAULT.person_info_path}"
        with pytest.raises(FerzlRejected, match="неизвестная операция"):
            FastClient(url, TOKEN, api=other_version).get_person_data(params, str(uuid.uuid4()))
