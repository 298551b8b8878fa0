"""The audit trail for administrators and auditors: filters by period, user, organisation and action, a search by a
person's identifier (matched by the journal against the stored requests and never shown), CSV export; an auditor
opens the card of any request from it (the read is audited)."""

import csv
import io
from typing import Any

from nameko.web.handlers import http
from werkzeug import Request, Response

from services.gateway import messages
from services.gateway.needs import AdminBase
from services.gateway.pages import views
from services.gateway.pages.admin import role_required
from services.gateway.pages.admin_directory import actor_name
from services.gateway.web.errors import ADMIN_PAGE, handled
from services.gateway.web.templating import PAGE_HEADERS, error_page, render

PER_PAGE = 50
CSV_ROWS = 100_000


def audit_filters(args: Any) -> dict[str, Any]:
    """The page's query as the journal's filters (bad numbers are dropped, not errors)."""

    def number(key: str) -> int | None:
        value = (args.get(key) or "").strip()
        return int(value) if value.isdigit() and len(value) < 10 else None

    action = args.get("action", "")
    return {
        "date_from": (args.get("date_from") or "")[:10],
        "date_to": (args.get("date_to") or "")[:10],
        "user_id": number("user"),
        "organization_id": number("org"),
        "action": action if action in messages.AUDIT_FILTERS else "",
        "person": (args.get("person") or "").strip()[:40],
    }


def entry(row: dict[str, Any]) -> dict[str, Any]:
    """What one line of the trail shows: never an identifier, only its kind."""
    details = dict(row.get("details") or {})
    action = row["action"]
    if action == "lookup":
        what = f"запрос № {row['object_id']}" + (
            f" (групповой № {row['group_id']}, строка {row['line_no']})" if row.get("group_id") else ""
        )
    elif action == "group":
        what = f"групповой запрос № {row['object_id']}, строк: {details.get('rows', '')}"
    else:
        what = row.get("object_id") or ""
    summary = ""
    if "old" in details or "new" in details:
        summary = f"было: {_short(details.get('old'))}; стало: {_short(details.get('new'))}"
    elif details:
        summary = _short({k: v for k, v in details.items() if k != "actor"})
    return {
        "at": views.datetime_text(row["at"]),
        "user": f"{row.get('user_name') or ''} ({row['user_id']})" if row.get("user_id") else "",
        "organization": row.get("organization_name") or "",
        "action": messages.AUDIT_ACTIONS.get(action, action),
        "actor": details.get("actor") or "",
        "object": what,
        "request_id": row["object_id"] if action == "lookup" else None,
        "kinds": ", ".join(messages.IDENTIFIER_KINDS.get(k, k) for k in row.get("kinds") or []),
        "details": summary,
    }


def _short(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)[:200]


class AuditPagesMixin(AdminBase):
    """Needs: needs.AdminNeeds."""

    @http("GET", "/admin/audit")
    @handled(ADMIN_PAGE)
    @role_required("admin", "auditor")
    def admin_audit(self, request: Request) -> Response:
        filters = audit_filters(request.args)
        page = max(1, request.args.get("page", 1, type=int) or 1)
        result = self.journal.audit_trail(filters, page, PER_PAGE)
        who = request.environ.get("ozsp.user") or {}
        query = {
            "date_from": filters["date_from"],
            "date_to": filters["date_to"],
            "user": filters["user_id"] or "",
            "org": filters["organization_id"] or "",
            "action": filters["action"],
            "person": filters["person"],
        }
        return render(
            "admin_audit.html",
            active=None,
            banner=None,
            who=who,
            admin_active="audit",
            query=query,
            filters=messages.AUDIT_FILTERS,
            rows=[entry(r) for r in result["rows"]],
            page=result["page"],
            more=result["more"],
            auditor="auditor" in (who.get("roles") or []),
        )

    @http("GET", "/admin/audit.csv")
    @handled(ADMIN_PAGE)
    @role_required("admin", "auditor")
    def admin_audit_csv(self, request: Request) -> Response:
        filters = audit_filters(request.args)
        who = request.environ.get("ozsp.user") or {}
        result = self.journal.audit_trail(filters, 1, CSV_ROWS)
        self.journal.audit(
            "audit.export",
            None,
            {
                "actor": actor_name(who),
                "rows": len(result["rows"]),
                "action": filters["action"],
                "person": bool(filters["person"]),
            },
            who.get("user_id"),
            who.get("organization_id"),
        )
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([title for _, title in messages.AUDIT_COLUMNS])
        for row in result["rows"]:
            line = entry(row)
            writer.writerow([line[key] for key, _ in messages.AUDIT_COLUMNS])
        headers = {**PAGE_HEADERS, "Content-Disposition": 'attachment; filename="audit.csv"'}
        headers.pop("Content-Security-Policy", None)
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers=headers)

    @http("GET", "/admin/audit/request/<int:request_id>")
    @handled(ADMIN_PAGE)
    @role_required("auditor")
    def admin_audit_request(self, request: Request, request_id: int) -> Response:
        who = request.environ.get("ozsp.user") or {}
        viewer = {"user_id": who.get("user_id"), "organization_id": who.get("organization_id"), "name": actor_name(who)}
        card = self.journal.audit_request_card(request_id, viewer)
        if card is None:
            return error_page(404, messages.NOT_FOUND)
        return render(
            "admin_audit_card.html",
            active=None,
            banner=None,
            who=who,
            admin_active="audit",
            card=views.card_view(card),
            csrf_token=None,  # the auditor reads: no «Обновить из ФЕРЗЛ»
            csrf_field=None,
            expanded=True,
        )
