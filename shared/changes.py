"""What changed since the last check (#22, item 3): the values of an answer compared with the organisation's
previous answer for the same person, and their Russian names (services/journal/changes.py stores the result)."""

from collections.abc import Mapping, Sequence
from typing import Any

from shared.domain import Answer, as_answer

FIELDS = ("smo", "policy_status", "policy_dates", "attachment_mo", "attachment_status")
NAMES = {
    "smo": "СМО",
    "policy_status": "статус полиса",
    "policy_dates": "даты действия полиса",
    "attachment_mo": "МО прикрепления",
    "attachment_status": "статус прикрепления",
}


def fingerprint(answer: Answer | Mapping[str, Any] | None) -> dict[str, Any]:
    """The compared values of an answer."""
    a = as_answer(answer)
    p = a.policy if a else None
    main = a.attachments[0] if a and a.attachments else None
    return {
        "smo": (p.smo_code or p.smo_name) if p else None,
        "policy_status": p.status if p else None,
        "policy_dates": [p.date_begin, p.date_end] if p else None,
        "attachment_mo": main.mo_code if main else None,
        "attachment_status": main.status if main else None,
    }


def diff(before: Answer | Mapping[str, Any] | None, after: Answer | Mapping[str, Any] | None) -> list[str]:
    old, new = fingerprint(before), fingerprint(after)
    return [f for f in FIELDS if old[f] != new[f]]


def describe(fields: Sequence[str]) -> str:
    return ", ".join(NAMES[f] for f in fields if f in NAMES)
