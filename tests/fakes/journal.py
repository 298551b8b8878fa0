"""The journal's RPC surface in memory, for the gateway's and certmail's unit tests. Its answers come from plain
attributes a test sets (groups, items, sender, material...); what the callers sent is kept (created,
groups_created, list_args, calls...)."""

import base64
import uuid

from shared import export
from tests.fakes.rpc import FakeProxy

OWNER = {
    "certificate_id": 1,
    "certificate_active": True,
    "user_id": 2,
    "user_active": True,
    "roles": ["web"],
    "organization_id": 3,
    "organization_active": True,
}


class FakeJournal(FakeProxy):
    SERVICE = "journal"

    def __init__(self, delay=0.0):
        super().__init__(delay)
        self.captchas = {}  # id -> answer hash
        self.hits, self.kept = {}, {}  # rate_hit: key -> hits (one window for ever); kept uploads: token -> record
        # login
        self.login_attempts, self.challenge = 0, "ozsp-login-x"
        self.material = {"cas": [], "crls": []}  # trust_material(): base64 DER
        self.owner = dict(OWNER)
        self.crl_answer, self.crl_downloadable, self.crl_asked = None, None, []
        # individual requests
        self.created, self.recent, self.items, self.list_args = [], 0, [], None
        self.cards = {}  # request id -> card (get_request)
        self.subsystems, self.once = {}, {}  # subsystem name -> organisation id; idempotency key -> request id
        # groups
        self.groups, self.groups_created, self.new_group_id, self.in_progress = {}, [], 42, 0
        self.watchlists = {}
        self.notices, self.export_lines = [], {}  # line_no -> the answer file's cells of that line
        # certmail's letters
        self.sender, self.rows, self.signatures, self.calls = {}, {}, {}, []
        self.register_result = {"ok": True, "certificate_id": 1}
        self.quarantined, self.quarantine_due = {}, []  # held certificates; result letters due

    # --- the gateway's shared state ------------------------------------------------------------------------------

    def rate_hit(self, key, limit, seconds=60):
        self.hits[key] = min(self.hits.get(key, 0) + 1, int(limit) + 1)
        return self.hits[key] <= int(limit)

    def keep_upload(self, user_id, filename, content_b64):
        token = uuid.uuid4().hex
        self.kept[token] = {"user_id": user_id, "filename": filename, "content_b64": content_b64}
        return token

    def kept_upload(self, user_id, token):
        found = self.kept.get(token)
        if not found or found["user_id"] != user_id:
            return None
        return {"filename": found["filename"], "content_b64": found["content_b64"]}

    def discard_kept_upload(self, user_id, token):
        if (self.kept.get(token) or {}).get("user_id") == user_id:
            del self.kept[token]

    # --- login -------------------------------------------------------------------------------------------------

    def count_login_attempts(self, address, serial_hex=None, seconds=60):
        return self.login_attempts

    def issue_challenge(self, ttl_seconds=120, live_max=None):
        return {"id": "c1", "challenge": self.challenge}

    def consume_challenge(self, challenge_id):
        return self.challenge

    def trust_material(self):
        return self.material

    def certificate_owner(self, issuer, serial_hex):
        return self.owner

    def crl_fetch_for(self, cert_b64):
        """-> crl_answer; "stored" adds crl_downloadable (base64 DER) to the trust material."""
        self.crl_asked.append(base64.b64decode(cert_b64))
        if self.crl_answer == "stored" and self.crl_downloadable:
            self.material = {**self.material, "crls": [*self.material["crls"], self.crl_downloadable]}
        return self.crl_answer

    def captcha_issue(self, answer_hash, ttl):
        captcha_id = str(uuid.uuid4())
        self.captchas[captcha_id] = answer_hash
        return captcha_id

    def captcha_check(self, captcha_id, answer_hash):
        return self.captchas.pop(captcha_id, None) == answer_hash

    # --- individual requests -----------------------------------------------------------------------------------

    def count_recent_requests(self, identity, seconds=60):
        return self.recent

    def create_request(self, identity, params, reuse_minutes=None):
        self.created.append(params)
        return {"id": 100 + len(self.created), "status": "sent"}

    def get_request(self, identity, request_id):
        return self.cards.get(request_id)

    def get_requests(self, identity, request_ids):
        return [self.cards[i] for i in sorted(set(request_ids)) if i in self.cards]

    # --- subsystems (public_api) -------------------------------------------------------------------------------

    def subsystem_call(self, name, action, calls_per_minute, details=None):
        self.calls.append(("subsystem_call", name, action))
        if name not in self.subsystems:
            return {"ok": False, "error": "unknown_subsystem", "message": "Подсистема не найдена."}
        identity = {"user_id": 7, "organization_id": self.subsystems[name]}
        return {"ok": True, "identity": identity, "subsystem_id": 1, "subsystem": name, **identity}

    def create_request_once(self, admitted, params, key, reuse_minutes=None):
        if key not in self.once:
            self.created.append(params)
            self.once[key] = 100 + len(self.created)
            return {"id": self.once[key], "status": "sent", "repeated": False}
        return {"id": self.once[key], "repeated": True}

    def subsystem_events(self, kind, ids):
        return [{"subsystem": name, "payload": {"id": i}} for i in ids for name in sorted(self.subsystems)]

    def list_requests(self, identity, filters=None, page=1, per_page=50):
        self.list_args = filters
        return {"items": self.items, "total": len(self.items), "total_exact": True, "page": page, "per_page": per_page}

    # --- groups ------------------------------------------------------------------------------------------------

    def create_group(
        self, identity, name, filename, columns, rows, encoding=None, idempotency_key=None, reuse_minutes=None
    ):
        self.groups_created.append((name, filename, rows, idempotency_key))
        return {"id": self.new_group_id, "total": len(rows), "repeated": False}

    def get_group(self, identity, group_id):
        return self.groups.get(group_id)

    def list_groups(self, identity, date_from=None, date_to=None, page=1, per_page=50):
        self.list_args = (date_from, date_to, page, per_page)
        items = list(self.groups.values())
        return {
            "items": items,
            "total": len(items),
            "page": page,
            "per_page": per_page,
            "in_progress": self.in_progress,
        }

    def take_finished_notices(self, identity):
        taken, self.notices = self.notices, []
        return taken

    # --- watch lists (#22): kept in self.watchlists by id ----------------------------------------------------

    def watchlist_create(self, identity, group_id, period, email=False, name=None):
        if period not in ("weekly", "monthly"):
            return {"error": "Выберите периодичность: раз в неделю или раз в месяц."}
        wl = {"id": len(self.watchlists) + 1, "name": name or "список", "period": period, "email": email}
        wl.update(paused=False, total=0, group_id=group_id)
        self.watchlists[wl["id"]] = wl
        return wl

    def watchlist_list(self, identity):
        return list(self.watchlists.values())

    def watchlist_get(self, identity, list_id):
        return self.watchlists.get(list_id)

    def watchlist_update(self, identity, list_id, changes):
        if list_id not in self.watchlists:
            return None
        self.watchlists[list_id].update(changes)
        return self.watchlists[list_id]

    def watchlist_replace(self, identity, list_id, filename, columns, rows):
        return self.watchlist_update(identity, list_id, {"filename": filename, "total": len(rows)})

    def watchlist_delete(self, identity, list_id):
        return self.watchlists.pop(list_id, None) is not None

    def export_page(self, identity, group_id, after_line=0, limit=5000, form="cells"):
        lines = sorted(n for n in self.export_lines if n > after_line)[:limit]
        if form == "csv":
            return [{"line_no": n, "csv": export.csv_lines([self.export_lines[n]])[0]} for n in lines]
        return [{"line_no": n, "cells": self.export_lines[n]} for n in lines]

    # --- certmail's letters ------------------------------------------------------------------------------------

    def mail_claim(self, letter):
        row = self.rows.get(letter["key"])
        if row is None:
            self.rows[letter["key"]] = {"holder": letter["holder"], "outcome": None, "delivered": False}
            return {"state": "new", "sender": self.sender}
        if row["outcome"] is None:
            return {"state": "mine" if row["holder"] == letter["holder"] else "busy", "sender": self.sender}
        return {
            "state": "done",
            "outcome": row["outcome"],
            "reply_text": row["reply"],
            "detail": row["detail"],
            "reply_due": not row["delivered"] and row["holder"] == letter["holder"],
            "sender": self.sender,
        }

    def mail_signature(self, key, signature_key):
        return self.signatures.setdefault(signature_key, key) == key

    def mail_finish(self, key, outcome, reply_text=None, detail=None, user_id=None, deliver=True):
        self.rows[key].update(outcome=outcome, reply=reply_text, detail=detail, delivered=not deliver)

    def mail_register(self, key, user_id, cert_b64, ca_b64, reply_text, detail=None):
        self.calls.append(("register", user_id))
        if self.register_result["ok"]:
            self.rows[key].update(outcome="installed", reply=reply_text, detail=detail)
        return self.register_result

    def mail_delivered(self, key):
        self.rows[key]["delivered"] = True

    def mail_quarantine(self, key, user_id, sender, cert_b64):
        self.calls.append(("quarantine", user_id))
        self.quarantined.setdefault(key, {"user_id": user_id, "sender": sender, "cert_b64": cert_b64})

    def mail_quarantine_due(self, limit=20):
        due, self.quarantine_due = self.quarantine_due[:limit], self.quarantine_due[limit:]
        return due

    def mail_quarantine_replied(self, entry_id):
        self.calls.append(("quarantine_replied", entry_id))
