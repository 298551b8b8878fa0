"""What the mixins of GatewayService need from the service, as protocols mypy checks.

Each mixin names its needs as its base class (`class PagesMixin(needs.PagesBase)`): to mypy that is the protocol,
so the mixin's use of self.journal or self.identity() is checked against it, and service.py checks that
GatewayService provides every need of every mixin; at run time the base is `object`.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from werkzeug import Request, Response

from services.gateway.settings import PageSettings

Identity = dict[str, int]  # {"user_id", "organization_id"}: who acts (auth/login.py)
Record = dict[str, Any]  # a row or card as the journal's RPC gives it


class Rpc(Protocol):
    """The RPC proxies and the nameko config of the service (nameko gives them untyped)."""

    flk: Any
    journal: Any
    bridge: Any
    config: Any


class SignedIn(Protocol):
    def identity(self, request: Request) -> Identity:
        """The acting user and organisation; NotAuthenticated without a session (auth/login.py)."""
        ...

    def ask_identity_early(self, request: Request) -> None:
        """Start the session check now; identity() takes its answer (auth/login.py)."""
        ...

    def accept_session(self, request: Request, found: Record | None) -> Identity:
        """The identity of a session the journal checked on the way of another call (auth/login.py)."""
        ...


class LoginNeeds(Protocol):
    journal: Any
    config: Any


class ApiNeeds(Rpc, SignedIn, Protocol):
    pass


class AdminNeeds(SignedIn, Protocol):
    journal: Any  # the directory's pages and changes, the audit, the quarantine, the service's state
    bridge: Any  # ФЕРЗЛ's circuit for the state page
    config: Any


class PagesNeeds(Rpc, SignedIn, Protocol):
    def client_address(self, request: Request) -> str:
        """The client's address as the per-address limits count it (auth/login.py)."""
        ...


class GroupPagesNeeds(PagesNeeds, Protocol):
    """The page helpers of PagesMixin and the upload and export of GroupsApiMixin."""

    def _settings(self) -> PageSettings: ...

    def _page(
        self, name: str, active: str, status: int = 200, headers: Mapping[str, str] | None = None, **context: Any
    ) -> Response: ...

    def _captcha_form(
        self, request: Request, identity: Identity, template: str, active: str, status: int, **context: Any
    ) -> Response: ...

    def submit_group(self, request: Request, idempotency_key: str | None = None) -> tuple[int, Record]: ...

    def export_response(self, request: Request, group_id: int, kind: str) -> Response: ...


class WatchlistPagesNeeds(GroupPagesNeeds, Protocol):
    """And WatchlistsApiMixin's file replacement."""

    def replace_watchlist_file(self, request: Request, identity: Identity, list_id: int) -> tuple[int, Record]: ...


if TYPE_CHECKING:
    WatchlistPagesBase = WatchlistPagesNeeds
    LoginBase = LoginNeeds
    ApiBase = ApiNeeds
    AdminBase = AdminNeeds
    PagesBase = PagesNeeds
    GroupPagesBase = GroupPagesNeeds
else:
    LoginBase = ApiBase = AdminBase = PagesBase = GroupPagesBase = WatchlistPagesBase = object
