"""The mass path (getMassInsuranceStatusStart/Poll) in plain logic: who goes there, what is sent, how
the zip answer becomes the same Answer the single path (getPersonData) gives.

A work item goes the mass path when it is a row of a group searched only by ЕНП or only by ОИП
(optionally as of a date) and has not failed there repeatedly; anything else (a policy type, a
document, СНИЛС, ФИО, a birth date to check) needs getPersonData. The answer document is
`Items/item` with `person`, `policy`, `attachItems` (description v5.07). It has the СМО code only
(insurfCode): the name and ОГРН come from the F002 dictionary (shared.dictionaries.mo), as the МО
names do from F003 in the journal.
"""

import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from lxml import etree

from services.ferzl_bridge import mapping
from shared.dictionaries.policy_types import OLD_POLICY_TYPE
from shared.domain import Answer, Policy, RequestParams, sorted_attachments
from shared.params import FIELDS

Item = Mapping[str, Any]  # a shared.messages.WorkItem
Entry = dict[str, Any]  # an `item` of the answer document
Smo = Mapping[str, tuple[str | None, str | None]]  # СМО code -> (name, ОГРН)

MAX_PERSONS = 1000
MAX_MASS_ATTEMPTS = 3  # after that many failed tries a row goes the single path
OTHER_KEYS = tuple(f for f in FIELDS if f not in ("name", "oip", "enp", "as_of"))
REPEATED = {"item", "attachItems"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def key(item: Item) -> tuple[str, str] | None:
    """("enp", value) or ("oip", value) for an item the mass path can answer, else None."""
    if item.get("group_id") is None or item.get("attempt", 0) >= MAX_MASS_ATTEMPTS:
        return None
    params = RequestParams.from_dict(item.get("params"))
    if any(getattr(params, k) for k in OTHER_KEYS):
        return None
    enp, oip = params.enp, params.oip
    if enp and not oip:
        return ("enp", enp)
    if oip and not enp:
        return ("oip", oip)
    return None


def split(items: list[Item], minimum: int) -> tuple[list[Item], list[Item]]:
    """(mass items, single items): the mass path only when at least `minimum` rows of the chunk qualify."""
    eligible = [i for i in items if key(i)]
    if len(eligible) < max(minimum, 1):
        return [], list(items)
    chosen = {id(i) for i in eligible}
    return eligible, [i for i in items if id(i) not in chosen]


def requests_for(items: list[Item]) -> tuple[list[dict[str, Any]], list[Item], list[Item]]:
    """(PersonRequest dicts for getMassInsuranceStatusStart, items sent, items that must go single).

    The same person asked twice as of different dates cannot be told apart in the answer: the later
    ones go the single path."""
    sent: list[Item] = []
    single: list[Item] = []
    seen: dict[tuple[str, str], str | None] = {}
    requests: list[dict[str, Any]] = []
    for item in items:
        k = key(item)
        as_of = item["params"].get("as_of") or None
        if k is None or (k in seen and seen[k] != as_of):
            single.append(item)
            continue
        seen[k] = as_of
        request: dict[str, str | date] = {k[0]: k[1]}
        if as_of:
            request["dt"] = mapping.to_date(as_of)
        requests.append(request)
        sent.append(item)
    return requests, sent, single


def read_zip(content: bytes) -> list[Entry]:
    """The list of `item` dicts of the answer's XML document (by local names; lists for repeats)."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        names = [n for n in z.namelist() if n.lower().endswith(".xml")] or z.namelist()
        if not names:
            raise ValueError("empty zip")
        root = etree.fromstring(z.read(names[0]), _PARSER)
    return [_plain(el) for el in root if isinstance(el.tag, str) and _local(el.tag) == "item"]


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _plain(el: Any) -> Entry:
    out: Entry = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        name = "moCode" if name == "moСode" else name  # the description writes it with a Cyrillic С once
        value = _plain(child) if len(child) else (child.text.strip() or None if child.text else None)
        if name in REPEATED:
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out


def answer_of(entry: Entry, smo: Smo) -> Answer | None:
    """The Answer (as mapping.answer_from_response gives) of one item; None for an empty item."""
    person = entry.get("person") or {}
    if not person and not entry.get("policy"):
        return None
    policy = entry.get("policy")
    attachments = sorted_attachments(mapping.map_attachment(a) for a in entry.get("attachItems") or [] if a)
    return Answer(person.get("oip"), _policy(policy, smo) if policy else None, attachments)


def _policy(policy: Entry, smo: Smo) -> Policy:
    kind, ser_num = policy.get("pcyType"), policy.get("pcySerNum")
    series, number = None, ser_num
    if kind == OLD_POLICY_TYPE and ser_num and " " in ser_num.strip():
        series, number = ser_num.strip().rsplit(" ", 1)
    code = policy.get("insurfCode")
    name, ogrn = smo.get(code or "", (None, None))
    return Policy(
        type=kind,
        series=series,
        number=number or policy.get("enp"),
        enp=policy.get("enp"),
        status=policy.get("pcyStatus"),
        date_begin=mapping.iso(policy.get("pcyDateB")),
        date_end=mapping.iso(policy.get("pcyDateE")),
        okato=policy.get("okato"),
        smo_name=name,
        smo_ogrn=ogrn,
        smo_code=code,
    )


def _consistent(item: Item, entry: Entry | None) -> bool:
    kind, value = key(item) or (None, None)
    if not entry:
        return True
    if kind == "oip":
        return bool((entry.get("person") or {}).get("oip") == value)
    policy = entry.get("policy")
    return policy is None or policy.get("enp") == value


def match(items: Sequence[Item], entries: Sequence[Entry | None], smo: Smo) -> dict[int, Answer | None]:
    """{request_id: Answer or None (nobody)} for the items sent, in the answer's order.

    One item per request in request order is used as such (checked against the identifiers);
    otherwise items are found by ОИП (person/oip) or ЕНП (policy/enp)."""
    if len(entries) == len(items) and all(_consistent(i, e) for i, e in zip(items, entries)):
        return {i["request_id"]: answer_of(e, smo) if e else None for i, e in zip(items, entries)}
    by_key: dict[tuple[str, str], Entry] = {}
    for entry in entries:
        if not entry:
            continue
        oip = (entry.get("person") or {}).get("oip")
        enp = (entry.get("policy") or {}).get("enp")
        if oip:
            by_key.setdefault(("oip", oip), entry)
        if enp:
            by_key.setdefault(("enp", enp), entry)
    out: dict[int, Answer | None] = {}
    for item in items:
        k = key(item)
        entry = by_key.get(k) if k else None
        out[item["request_id"]] = answer_of(entry, smo) if entry else None
    return out
