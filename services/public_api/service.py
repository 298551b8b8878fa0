"""public_api: the RPC API other subsystems of the fund call (#20, contracts/rpc-api.md). A thin nameko adapter
over services.public_api.calls; the caller is the message's broker user (entrypoint.PublicRpc), never an
argument."""

from collections.abc import Callable
from typing import Any

from nameko.events import EventDispatcher, event_handler
from nameko.rpc import RpcProxy

from services.public_api import calls
from services.public_api.entrypoint import Caller, public_rpc
from shared import broker
from shared.config import Settings
from shared.heartbeat import Heartbeat
from shared.messages import GROUP_FINISHED, GROUPS_FINISHED, REQUEST_ANSWERED, REQUESTS_FINISHED
from shared.settings import SettingsProvider

CallerInfo = tuple[str | None, str | None, int]


class PublicApiService:
    name = "public_api"
    heartbeat = Heartbeat()  # HEARTBEAT_FILE for the container healthcheck
    settings = SettingsProvider()
    caller = Caller()
    journal = RpcProxy("journal")
    flk = RpcProxy("flk")
    events = EventDispatcher()  # public_api.events: "<event>.<subsystem>" (contracts/rpc-api.md)

    def _api(self) -> calls.PublicApi:
        s: Settings = self.settings
        return calls.PublicApi(
            self.journal,
            self.flk,
            broker.vhost_of(s.amqp_uri),
            s.public_api_calls_per_minute,
            s.public_api_wait_max,
            s.public_api_max_bytes,
        )

    def _answer(self, call: Callable[[calls.PublicApi, CallerInfo], dict[str, Any]]) -> dict[str, Any]:
        return call(self._api(), self.caller)

    @public_rpc
    def lookup(self, fields: Any, wait_seconds: Any = 10, idempotency_key: Any = None) -> dict[str, Any]:
        return self._answer(lambda api, c: api.lookup(c, fields, wait_seconds, idempotency_key))

    @public_rpc
    def get_request(self, request_id: Any) -> dict[str, Any]:
        return self._answer(lambda api, c: api.get_request(c, request_id))

    @public_rpc
    def list_requests(self, filters: Any = None, page: Any = 1, per_page: Any = 50) -> dict[str, Any]:
        return self._answer(lambda api, c: api.list_requests(c, filters, page, per_page))

    @public_rpc
    def submit_group(
        self, name: Any, rows: Any = None, csv_b64: Any = None, idempotency_key: Any = None
    ) -> dict[str, Any]:
        return self._answer(lambda api, c: api.submit_group(c, name, rows, csv_b64, idempotency_key))

    @public_rpc
    def get_group(self, group_id: Any) -> dict[str, Any]:
        return self._answer(lambda api, c: api.get_group(c, group_id))

    @public_rpc
    def group_requests(self, group_id: Any, after_line: Any = 0, limit: Any = 1000) -> dict[str, Any]:
        return self._answer(lambda api, c: api.group_page(c, "group_requests", group_id, after_line, limit))

    @public_rpc
    def export_group(self, group_id: Any, after_line: Any = 0, limit: Any = 1000) -> dict[str, Any]:
        return self._answer(lambda api, c: api.group_page(c, "export_group", group_id, after_line, limit))

    @event_handler("journal", REQUESTS_FINISHED)
    def announce_requests(self, payload: Any) -> None:
        """request_answered for the subsystems of each answered individual request's organisation."""
        if _anyone(payload):
            calls.announce(self.journal, self.events, REQUEST_ANSWERED, _ids(payload))

    @event_handler("journal", GROUPS_FINISHED)
    def announce_groups(self, payload: Any) -> None:
        """group_finished for the subsystems of each finished group's organisation."""
        if _anyone(payload):
            calls.announce(self.journal, self.events, GROUP_FINISHED, _ids(payload))


def _anyone(payload: Any) -> bool:
    """False when the journal said no subsystem is active (services/journal/subsystems.py Presence)."""
    return not (isinstance(payload, dict) and payload.get("subsystems") is False)


def _ids(payload: Any) -> Any:
    return payload.get("ids") if isinstance(payload, dict) else None
