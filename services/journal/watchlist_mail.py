"""The optional e-mail of a finished watch-list re-check (#22): to the list owner's first address, through
the mail path certmail uses too (shared.outbox.Mailer: SMTP_RELAY, else .eml files in MAIL_OUTBOX_DIR), from
MAIL_FROM. Only the list's name and counts go into the letter, no personal data. Each group is claimed
(FOR UPDATE SKIP LOCKED) and marked mailed before sending; a failed send unmarks it for the next tick, unless the
relay refused the letter for good (5xx): that one stays marked and is not tried again."""

import logging
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import Engine, text

from services.journal.groups import changed_count
from shared.outbox import Mailer, PermanentFailure

log = logging.getLogger(__name__)

_CLAIM = text(
    "UPDATE groups SET mailed_at = now() WHERE id = ("
    "  SELECT g.id FROM groups g JOIN watchlists w ON w.id = g.watchlist_id "
    "  WHERE g.finished_at IS NOT NULL AND g.mailed_at IS NULL AND w.email ORDER BY g.id LIMIT 1 "
    "  FOR UPDATE OF g SKIP LOCKED) "
    "RETURNING id, name, total, watchlist_id, user_id"
)
_ADDRESS = text("SELECT email FROM user_emails WHERE user_id = :u ORDER BY id LIMIT 1")


def letter(
    list_name: str, group_id: int, group_name: str, changed: int, total: int, to: str, sender: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, to
    msg["Subject"] = f"ОЗСП: перепроверка «{list_name}» — изменилось у {changed} из {total}"
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "ozsp.test")
    msg.set_content(
        f"Завершена перепроверка списка наблюдения «{list_name}».\n"
        f"Групповой запрос «{group_name}» (№ {group_id}): людей в списке {total}, "
        f"изменилось с прошлой проверки у {changed}.\n"
        f"Журнал Группового запроса: /group/{group_id}?changed=1\n"
    )
    return msg


def send_finished(engine: Engine, mailer: Mailer, sender: str, limit: int = 20) -> int:
    """Letters for up to `limit` finished re-checks of lists with e-mail on; -> how many were sent."""
    sent = 0
    for _ in range(limit):
        with engine.begin() as conn:
            group = conn.execute(_CLAIM).mappings().first()
            if group is None:
                return sent
            to = conn.execute(_ADDRESS, {"u": group["user_id"]}).scalar_one_or_none()
            list_name: str = conn.execute(
                text("SELECT name FROM watchlists WHERE id = :w"), {"w": group["watchlist_id"]}
            ).scalar_one()
            changed = changed_count(conn, group["id"])
        if not to:
            log.warning("re-check group %s: the user has no e-mail address; no letter", group["id"])
            continue
        try:
            mailer.send(letter(list_name, group["id"], group["name"], changed, group["total"], to, sender))
        except PermanentFailure as exc:  # sending it again would be refused again
            log.warning("re-check group %s: the relay refused the letter for good (%s)", group["id"], exc.code)
            continue
        except Exception as exc:  # the relay is away: the next tick tries again
            log.warning("re-check group %s: letter not sent (%s)", group["id"], type(exc).__name__)
            with engine.begin() as conn:
                conn.execute(text("UPDATE groups SET mailed_at = NULL WHERE id = :g"), {"g": group["id"]})
            return sent
        sent += 1
    return sent
