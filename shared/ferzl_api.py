"""ФЕРЗЛ API versions: the namespaces, URL paths and contract files of each version ОЗСП speaks.

The one home of the version: the bridge's fast path and zeep clients, the emulator and shared.config all
take their namespaces from here. ФЕРЗЛ versions the whole solution at once: the version is part of every
namespace and of the URL (description v5.07, «Версионирование в ФЕРЗЛ»). A version is supported only when
its schemas are known: today 24.2.6 (the official WSDL/XSD in shared/reference, our subset in contracts/ferzl).
"""

from dataclasses import dataclass
from pathlib import Path

DEFAULT_VERSION = "24.2.6"
PERSON_INFO = "mpiPersonInfoServiceWs"
ASYNC_OPERATIONS = "mpiAsyncOperationsServiceWs"


def _contracts() -> Path:
    """contracts/ferzl of the source tree, else of the working directory (a non-editable install)."""
    beside = Path(__file__).resolve().parents[1] / "contracts" / "ferzl"
    return beside if beside.exists() else Path.cwd() / "contracts" / "ferzl"


CONTRACTS = _contracts()
# version -> the folder of its WSDL/XSD (wsdl/*.wsdl, xsd/*.xsd)
SUPPORTED = {DEFAULT_VERSION: CONTRACTS}


class UnsupportedVersion(ValueError):
    """A version whose namespaces ОЗСП does not know; the message is for the operator, in Russian."""


def unsupported_message(version: str) -> str:
    known = ", ".join(sorted(SUPPORTED))
    return (
        f"Версия API ФЕРЗЛ «{version}» не поддерживается (FERZL_API_VERSION). "
        f"Поддерживаемые версии: {known}. Для новой версии нужны её схемы WSDL/XSD в contracts/ferzl."
    )


@dataclass(frozen=True)
class FerzlApi:
    """One API version: its namespaces, the paths of its endpoints and the files of its contract (api() makes it)."""

    version: str
    contracts: Path
    types: str  # mpiPersonInfoSchema
    common: str  # commonTypes
    async_types: str  # mpiAsyncOperationsSchema
    binding: str  # zeep's name of the mpiPersonInfoService binding
    async_binding: str
    base_path: str  # %хост_стенда%/api/t-foms/integration/ws/%номер_версии% without the host

    @property
    def person_info_path(self) -> str:
        return f"{self.base_path}/wsdl/{PERSON_INFO}"

    @property
    def async_path(self) -> str:
        return f"{self.base_path}/wsdl/{ASYNC_OPERATIONS}"

    def wsdl(self, service: str) -> Path:
        """The WSDL file of PERSON_INFO or ASYNC_OPERATIONS."""
        return self.contracts / "wsdl" / f"{service}.wsdl"

    def xsd_files(self) -> dict[str, Path]:
        return {p.name: p for p in (self.contracts / "xsd").glob("*.xsd")}

    # Clark names {namespace}local: t mpiPersonInfoSchema, c commonTypes, a mpiAsyncOperationsSchema
    def t(self, name: str) -> str:
        return f"{{{self.types}}}{name}"

    def c(self, name: str) -> str:
        return f"{{{self.common}}}{name}"

    def a(self, name: str) -> str:
        return f"{{{self.async_types}}}{name}"


def api(version: str = DEFAULT_VERSION) -> FerzlApi:
    """The supported version `version`; UnsupportedVersion otherwise."""
    contracts = SUPPORTED.get(version)
    if contracts is None:
        raise UnsupportedVersion(unsupported_message(version))
    types, services = f"http://ffoms.ru/types/{version}", f"http://ffoms.ru/services/{version}"
    return FerzlApi(
        version,
        contracts,
        types=f"{types}/mpiPersonInfoSchema",
        common=f"{types}/commonTypes",
        async_types=f"{types}/mpiAsyncOperationsSchema",
        binding=f"{{{services}/mpiPersonInfoService}}TFOMS_SoapBinding",
        async_binding=f"{{{services}/mpiAsyncOperationsService}}TFOMS_SoapBinding",
        base_path=f"/api/t-foms/integration/ws/{version}",
    )


DEFAULT = api()
