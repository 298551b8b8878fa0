"""Domain types of a lookup: its parameters, ФЕРЗЛ's answer (policy, attachments) and its outcome.

Messages and database rows keep their plain JSON shape (contracts/messages.md). shared.messages loads an
answers message into Outcome (its schema checks the answer has this module's shape); from_dict and to_dict
convert at the other edges (the bridge's mapping, the journal's rows). Dates are ISO texts ('YYYY-MM-DD').
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from shared.dictionaries.statuses import is_active
from shared.params import FIELDS
from shared.status import ANSWERED, ERROR

Data = Mapping[str, Any]


@dataclass(slots=True)
class RequestParams:
    """The 16 parameters of a request as ФЛК normalised them (None: not given)."""

    name: str | None = None
    oip: str | None = None
    enp: str | None = None
    dpfs_type: str | None = None
    dpfs_series: str | None = None
    dpfs_number: str | None = None
    vs_number: str | None = None
    dul_type: str | None = None
    dul_series: str | None = None
    dul_number: str | None = None
    snils: str | None = None
    surname: str | None = None
    first_name: str | None = None
    patronymic: str | None = None
    birth_date: str | None = None
    as_of: str | None = None

    @classmethod
    def from_dict(cls, data: Data | None) -> RequestParams:
        """Unknown keys are ignored, missing ones are None."""
        data = data or {}
        return cls(*(data.get(f) for f in FIELDS))

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in FIELDS}


@dataclass(slots=True)
class Policy:
    """The policy (ДПФС) an answer shows; `enp` is the answer's ЕНП."""

    type: str | None
    series: str | None
    number: str | None
    enp: str | None
    status: str | None
    date_begin: str | None
    date_end: str | None
    okato: str | None
    smo_name: str | None
    smo_ogrn: str | None
    smo_code: str | None

    @classmethod
    def from_dict(cls, data: Data) -> Policy:
        g = data.get
        return cls(
            g("type"),
            g("series"),
            g("number"),
            g("enp"),
            g("status"),
            g("date_begin"),
            g("date_end"),
            g("okato"),
            g("smo_name"),
            g("smo_ogrn"),
            g("smo_code"),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "series": self.series,
            "number": self.number,
            "enp": self.enp,
            "status": self.status,
            "date_begin": self.date_begin,
            "date_end": self.date_end,
            "okato": self.okato,
            "smo_name": self.smo_name,
            "smo_ogrn": self.smo_ogrn,
            "smo_code": self.smo_code,
        }


@dataclass(slots=True)
class Attachment:
    """Attachment of the person to an МО; mo_name comes from the journal's МО dictionary (ФЕРЗЛ sends codes)."""

    status: str | None
    mo_code: str | None
    date_begin: str | None
    date_end: str | None
    area_type: str | None
    mo_name: str | None = None

    @property
    def active(self) -> bool:
        return is_active(self.status)

    @classmethod
    def from_dict(cls, data: Data) -> Attachment:
        g = data.get
        return cls(g("status"), g("mo_code"), g("date_begin"), g("date_end"), g("area_type"), g("mo_name"))

    def to_dict(self, named: bool = False) -> dict[str, Any]:
        """named: with mo_name (the journal's stored form); the bridge's messages have none."""
        out = {
            "status": self.status,
            "mo_code": self.mo_code,
            "date_begin": self.date_begin,
            "date_end": self.date_end,
            "area_type": self.area_type,
        }
        if named:
            out["mo_name"] = self.mo_name
        return out


@dataclass(slots=True)
class Answer:
    """What ФЕРЗЛ says of the person: the policy shown and the attachments in display order."""

    oip: str | None = None
    policy: Policy | None = None
    attachments: tuple[Attachment, ...] = ()
    mismatch: tuple[str, ...] = ()  # fields of the request the register's person differs in (shared.person_match)

    @property
    def enp(self) -> str | None:
        return self.policy.enp if self.policy else None

    def current_attachments(self, limit: int | None = None) -> list[Attachment]:
        """The active attachments, in display order, at most `limit`."""
        return [a for a in self.attachments if a.active][:limit]

    def with_mo_names(self, names: Mapping[str, str]) -> Answer:
        attachments = tuple(
            Attachment(a.status, a.mo_code, a.date_begin, a.date_end, a.area_type, names.get(a.mo_code or ""))
            for a in self.attachments
        )
        return Answer(self.oip, self.policy, attachments, self.mismatch)

    @classmethod
    def from_dict(cls, data: Data) -> Answer:
        """A message's or a stored answer; the ЕНП stands in the policy (older answers: at the top only)."""
        policy = Policy.from_dict(data["policy"]) if data.get("policy") else None
        if policy is not None and not policy.enp and data.get("enp"):
            policy = replace(policy, enp=data["enp"])
        attachments = tuple(Attachment.from_dict(a) for a in data.get("attachments") or ())
        return cls(data.get("oip"), policy, attachments, tuple(data.get("mismatch") or ()))

    def to_dict(self, named: bool = False) -> dict[str, Any]:
        """With "mismatch" only when there is one (answers without stay as they were)."""
        out: dict[str, Any] = {
            "oip": self.oip,
            "enp": self.enp,
            "policy": self.policy.to_dict() if self.policy else None,
            "attachments": [a.to_dict(named) for a in self.attachments],
        }
        if self.mismatch:
            out["mismatch"] = list(self.mismatch)
        return out


def as_answer(value: Answer | Data | None) -> Answer | None:
    """An Answer from an Answer, its dict form, or nothing (None or an empty dict)."""
    if isinstance(value, Answer) or value is None:
        return value
    return Answer.from_dict(value) if value else None


@dataclass(slots=True)
class Outcome:
    """How a request ended: answered (with the answer) or error (with ФЕРЗЛ's or our code and message)."""

    request_id: int
    status: str
    answered_at: str
    answer: Answer | None = None
    error_code: str | None = None
    error_message: str | None = None

    @classmethod
    def answered(cls, request_id: int, answer: Answer, at: str) -> Outcome:
        return cls(request_id, ANSWERED, at, answer=answer)

    @classmethod
    def failed(cls, request_id: int, code: str, message: str, at: str) -> Outcome:
        return cls(request_id, ERROR, at, error_code=code, error_message=message)

    @classmethod
    def from_dict(cls, data: Data) -> Outcome:
        return cls(
            data["request_id"],
            data["status"],
            data["answered_at"],
            as_answer(data.get("answer")),
            data.get("error_code"),
            data.get("error_message"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The message form (shared.messages.Outcome): an answer or an error, not both."""
        out: dict[str, Any] = {"request_id": self.request_id, "status": self.status}
        if self.status == ANSWERED:
            out["answer"] = self.answer.to_dict() if self.answer else None
        else:
            out["error_code"], out["error_message"] = self.error_code, self.error_message
        out["answered_at"] = self.answered_at
        return out


def sorted_attachments(attachments: Iterable[Attachment]) -> tuple[Attachment, ...]:
    """Display order: active therapy (areaType 1) attachments first, then the rest; each group newest first."""
    return tuple(sorted(attachments, key=_attachment_order))


def _attachment_order(a: Attachment) -> tuple[bool, int]:
    begin = -date.fromisoformat(a.date_begin).toordinal() if a.date_begin else 0
    return not (a.area_type == "1" and a.active), begin
