"""«Состояние сервиса»: one page that answers "is everything all right?" — ФЕРЗЛ's circuit (from ferzl_bridge,
asked with a short timeout), the journal's backlog, errors, groups, CRLs, mail outcomes and the queue depths, with
a link to the RabbitMQ management UI for details."""

from typing import Any

from nameko.web.handlers import http
from werkzeug import Request, Response

from services.gateway import messages
from services.gateway.needs import AdminBase
from services.gateway.pages import ferzl_state
from services.gateway.pages.admin import admins_only
from services.gateway.web.errors import ADMIN_PAGE, handled
from services.gateway.web.templating import render
from shared.mail_outcomes import OUTCOME_NAMES

BRIDGE_TIMEOUT = 2.0


def problems(state: dict[str, Any], ferzl: dict[str, Any] | None) -> list[str]:
    """What needs the administrator's attention, in Russian; empty when everything is all right."""
    found = []
    if ferzl is None:
        found.append(messages.STATE_BRIDGE_SILENT)
    elif ferzl.get("state") != "up":
        name = str(ferzl.get("state"))
        found.append(messages.STATE_FERZL.format(state=messages.FERZL_STATES.get(name, name)))
    if state.get("queues") is None:
        found.append(messages.STATE_BROKER_SILENT)
    if state.get("crls"):
        found.append(messages.STATE_CRLS.format(n=len(state["crls"])))
    if state.get("quarantine_waiting"):
        found.append(messages.STATE_QUARANTINE.format(n=state["quarantine_waiting"]))
    if state.get("error_count"):
        found.append(messages.STATE_ERRORS.format(n=state["error_count"]))
    return found


class StatePagesMixin(AdminBase):
    """Needs: needs.AdminNeeds and the bridge's proxy."""

    @http("GET", "/admin/state")
    @handled(ADMIN_PAGE)
    @admins_only
    def admin_state(self, request: Request) -> Response:
        state = self.journal.service_state()
        ferzl = ferzl_state.ask(self.bridge, BRIDGE_TIMEOUT)
        return render(
            "admin_state.html",
            active=None,
            banner=None,
            who=request.environ.get("ozsp.user"),
            admin_active="state",
            state=state,
            ferzl=ferzl,
            ferzl_states=messages.FERZL_STATES,
            outcomes={**OUTCOME_NAMES, "in_progress": messages.STATE_MAIL_IN_PROGRESS},
            problems=problems(state, ferzl),
        )
