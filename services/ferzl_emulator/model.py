"""What the synthetic register is made of: persons, their documents, policies and attachments."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.dictionaries.mo import smo_dictionary

TEMPORARY = ("В", "Е")  # temporary certificates: a tmpcertNum
UNIFIED = ("П", "Э", "К", "Ц")  # unified policies: the number is the ЕНП
SMO = {code: (name, ogrn) for code, name, ogrn in smo_dictionary()}


@dataclass(frozen=True)
class Document:
    type: str  # F011 code: "14" passport of the RF, "3" birth certificate
    series: str
    number: str
    date_b: date


@dataclass(frozen=True)
class Policy:
    type: str
    enp: str
    date_b: date
    date_e: date | None  # planned end for В/Е; None while open-ended
    status_open: str  # status while in force
    status_closed: str | None  # status after date_e
    okato: str
    smo_code: str
    series: str | None = None  # С only
    number: str | None = None  # С only
    tmpcert: str | None = None  # В/Е only

    def on(self, dt: date) -> tuple[str | None, date | None]:
        """(status, end date to show) as of dt."""
        if self.date_e is None or dt <= self.date_e:
            return self.status_open, (self.date_e if self.type in TEMPORARY else None)
        return self.status_closed, self.date_e


@dataclass(frozen=True)
class Attachment:
    area_type: str  # 1 therapy, 2 obstetrics-gynaecology, 3 dental
    mo_code: str
    method: str
    date_b: date
    date_e: date | None
    status_open: str
    status_closed: str | None

    def on(self, dt: date) -> tuple[str | None, date | None]:
        if self.date_e is None or dt <= self.date_e:
            return self.status_open, None
        return self.status_closed, self.date_e


@dataclass(frozen=True)
class Person:
    index: int
    oip: str
    enp: str
    snils: str  # 11 digits
    surname: str
    first_name: str
    patronymic: str | None
    sex: int  # 1 male, 2 female
    birth_date: date
    death_date: date | None
    okato: str
    document: Document
    policies: tuple  # of Policy, by start date; the last one is current
    attachments: tuple  # of Attachment, by start date

    def policy_on(self, dt: date) -> Policy | None:
        """The policy in force on dt: the latest one started by then (None before the first)."""
        started = [p for p in self.policies if p.date_b <= dt]
        return started[-1] if started else None

    def attachments_on(self, dt: date) -> list[Attachment]:
        return [a for a in self.attachments if a.date_b <= dt]


def iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def attachment_order(item: dict[str, Any]) -> tuple[bool, int]:
    """Active therapy (areaType 1) attachments first, then the rest; each group newest first."""
    active_therapy = item["area_type"] == "1" and (item["status"] or "").startswith("Д")
    return not active_therapy, -date.fromisoformat(item["date_begin"]).toordinal()
