"""Property-based tests: valid requests pass, one corrupted field is named, no input makes ФЛК raise."""

from datetime import date, timedelta

from flk_samples import TODAY, csv_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.flk.group import check_group
from services.flk.rules import check_request
from shared.checksums import luhn_digit, luhn_ok, snils_control
from shared.dictionaries.f011 import F011, FREE_NUMBER
from shared.params import FIELDS

RU = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
settings.register_profile("flk", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("flk")

digits = lambda n: st.text("0123456789", min_size=n, max_size=n)  # noqa: E731


@st.composite
def enps(draw):
    body = draw(digits(15))
    return body + luhn_digit(body)


@st.composite
def snilses(draw):
    body = f"{draw(st.integers(1_002_000, 999_999_999)):09d}"
    control = f"{snils_control(body):02d}"
    style = draw(st.sampled_from(["{a}-{b}-{c} {d}", "{a}{b}{c}{d}", "{a} {b} {c} {d}"]))
    return style.format(a=body[:3], b=body[3:6], c=body[6:], d=control)


names = st.text(alphabet=RU, min_size=1, max_size=12)
past_dates = st.dates(date(1900, 1, 1), TODAY)


def date_text(d, style):
    return d.strftime(("%d.%m.%Y", "%d-%m-%Y", "%Y-%m-%d")[style])


def _mask_value(draw, mask, kind):
    """A value that fits a F011 series/number mask."""
    if kind == "number":
        if mask == FREE_NUMBER:
            return draw(st.text("0123456789АБВ", min_size=1, max_size=20)).strip() or "1"
        return draw(digits(draw(st.integers(mask.count("9"), len(mask)))))
    if mask == "99 99":
        return draw(st.sampled_from(["{}{} {}{}", "{}{}{}{}", "{}{}-{}{}"])).format(*draw(digits(4)))
    if mask == "99":
        return draw(digits(2))
    if mask == "ББ":
        return draw(st.text("АБВГДЕЖЗИК", min_size=2, max_size=2))
    if mask == "R-ББ":
        roman = draw(st.sampled_from(["I", "II", "III", "IV", "V", "IX", "XII", "XIV", "XL", "LXX", "CC"]))
        return roman + "-" + draw(st.text("АБВГДЕЖЗИК", min_size=2, max_size=2))
    return draw(st.text("0123456789ABCDАБВГ", min_size=1, max_size=10))


@st.composite
def valid_requests(draw):
    """A valid request with one or more identifying groups and optional additional fields."""
    fields = {"name": draw(st.text(alphabet=RU + "0123456789 №-", min_size=1, max_size=30).filter(str.strip))}
    groups = draw(st.sets(st.sampled_from(["oip", "enp", "policy", "dul", "snils"]), min_size=1))
    if "oip" in groups:
        fields["oip"] = draw(digits(12))
    if "enp" in groups:
        fields["enp"] = draw(enps())
    if "policy" in groups:
        kind = draw(st.sampled_from("СВЕПЭКЦCBEPK"))
        fields["dpfs_type"] = kind
        if kind in "СC":
            fields["dpfs_number"] = draw(st.text("0123456789", min_size=1, max_size=20))
            if draw(st.booleans()):
                fields["dpfs_series"] = draw(st.text("0123456789АБВ-", min_size=1, max_size=10)).strip() or "1"
        elif kind in "ВЕBE":
            fields["vs_number"] = draw(digits(9))
        else:
            fields["dpfs_number"] = draw(enps())
    if "dul" in groups:
        code = draw(st.sampled_from(sorted(F011)))
        _name, series_mask, number_mask = F011[code]
        fields["dul_type"] = str(code)
        fields["dul_number"] = _mask_value(draw, number_mask, "number")
        if series_mask not in ("S", "S1") or draw(st.booleans()):
            fields["dul_series"] = _mask_value(draw, series_mask, "series")
    if "snils" in groups:
        fields["snils"] = draw(snilses())
    for key in ("surname", "first_name", "patronymic"):
        if draw(st.booleans()):
            fields[key] = draw(names)
    as_of = draw(past_dates)
    if draw(st.booleans()):
        fields["as_of"] = date_text(as_of, draw(st.integers(0, 2)))
    if draw(st.booleans()):
        birth = draw(st.dates(date(1900, 1, 1), as_of))
        fields["birth_date"] = date_text(birth, draw(st.integers(0, 2)))
    return fields


@given(valid_requests())
def test_valid_requests_are_accepted(fields):
    result = check_request(fields, today=TODAY)
    assert result["ok"], (fields, result["errors"])
    assert set(result["normalized"]) == set(FIELDS)


@given(valid_requests())
def test_normalizing_is_idempotent(fields):
    first = check_request(fields, today=TODAY)["normalized"]
    again = check_request(first, today=TODAY)
    assert again["ok"] and again["normalized"] == first


def _corruptions(fields, draw):
    """(field, bad value) pairs applicable to this valid request."""
    out = [
        ("name", "Я" * 101),
        ("surname", draw(st.text("ABCXYZabc", min_size=1, max_size=10))),
        ("first_name", draw(st.text("0123456789!?", min_size=1, max_size=5))),
        ("birth_date", draw(st.sampled_from(["31.02.2000", "29.02.2023", "01/01/2000", "16.06.2024", "31.12.1899"]))),
        ("as_of", draw(st.sampled_from(["30.02.2020", "2024/01/01", "01.01.2999", "1.1.1"]))),
    ]
    if "oip" in fields:
        out.append(("oip", draw(st.sampled_from([fields["oip"][:-1], fields["oip"] + "1", "x" * 12]))))
    if "enp" in fields:
        enp = fields["enp"]
        i = draw(st.integers(0, 15))
        changed = enp[:i] + str((int(enp[i]) + draw(st.integers(1, 9))) % 10) + enp[i + 1 :]
        assert not luhn_ok(changed)  # Luhn catches every single-digit error
        out.append(("enp", draw(st.sampled_from([changed, enp[:-1], enp + "0"]))))
    if "snils" in fields:
        digits_only = "".join(c for c in fields["snils"] if c.isdigit())
        wrong = f"{(int(digits_only[9:]) + draw(st.integers(1, 99))) % 100:02d}"
        if digits_only[:9] != "000000000":
            out.append(("snils", digits_only[:9] + wrong))
    if "dpfs_type" in fields:
        out.append(("dpfs_type", draw(st.sampled_from(["Z", "Х", "1", "ПП"]))))
        if "vs_number" in fields:
            out.append(("vs_number", fields["vs_number"][:-1]))
        else:
            out.append(("dpfs_number", "Q" + fields["dpfs_number"]))
    if "dul_type" in fields:
        out.append(("dul_type", draw(st.sampled_from(["19", "20", "99", "паспорт"]))))
        out.append(("dul_number", "#" + fields["dul_number"]))
        if F011[int(fields["dul_type"])][1] not in ("S", "S1"):
            out.append(("dul_series", "!"))
    return out


@given(st.data())
def test_one_corrupted_field_is_refused_and_named(data):
    fields = data.draw(valid_requests())
    field, bad = data.draw(st.sampled_from(_corruptions(fields, data.draw)))
    result = check_request({**fields, field: bad}, today=TODAY)
    assert not result["ok"]
    assert field in {e["field"] for e in result["errors"]}, (field, bad, result["errors"])


@given(
    st.dictionaries(
        st.sampled_from(FIELDS + ("other",)),
        st.one_of(
            st.none(),
            st.text(max_size=30),
            st.integers(),
            st.booleans(),
            st.floats(),
            st.lists(st.integers(), max_size=2),
        ),
    )
)
def test_arbitrary_fields_never_raise(fields):
    result = check_request(fields, today=TODAY)
    assert set(result) == {"ok", "errors", "normalized"}
    assert all(e["field"] in FIELDS and e["message"] for e in result["errors"])


@settings(max_examples=300)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(content):
    result = check_group(content, "x.csv", today=TODAY)
    assert set(result) == {"ok", "rows", "errors", "warnings", "encoding", "total"}
    assert result["ok"] or result["errors"]


@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list(';,"\r\n \t') + list("0123456789АБЯяABz.-'\ufeff")), max_size=80),
        max_size=20,
    )
)
def test_arbitrary_text_after_a_valid_header_never_raises(lines):
    cp1251_ok = "\ufeff" not in "".join(lines)
    content = csv_bytes(lines, encoding=("cp1251" if cp1251_ok and len(lines) % 2 else "utf-8"))
    result = check_group(content, "x.csv", today=TODAY)
    assert result["ok"] or result["errors"]
    for error in result["errors"]:
        assert error["line"] is None or 1 <= error["line"] <= content.count(b"\n") + content.count(b"\r") + 1


@given(st.lists(valid_requests(), min_size=1, max_size=15), st.sampled_from([";", ","]))
def test_valid_requests_as_a_file_are_accepted(requests, delimiter):
    rows = []
    for fields in requests:
        values = [str(fields.get(key, "")) for key in FIELDS]
        rows.append(
            delimiter.join('"' + v.replace('"', '""') + '"' if (delimiter in v or '"' in v) else v for v in values)
        )
    result = check_group(csv_bytes(rows, delimiter=delimiter), "x.csv", today=TODAY)
    assert result["ok"], result["errors"]
    assert [r["line"] for r in result["rows"]] == list(range(2, len(requests) + 2))
    for row, fields in zip(result["rows"], requests):
        assert {k: v for k, v in row.items() if k != "line"} == check_request(fields, TODAY)["normalized"]


def test_dates_of_a_whole_century_round_trip():
    day = date(1900, 1, 1)
    while day <= TODAY:
        for style in range(3):
            result = check_request(
                {"name": "RQ", "enp": "5096989785000017", "birth_date": date_text(day, style)}, today=TODAY
            )
            assert result["ok"] and result["normalized"]["birth_date"] == day.isoformat()
        day += timedelta(days=97)
