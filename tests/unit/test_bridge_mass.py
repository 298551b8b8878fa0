"""The mass path in plain logic: who goes there, what is sent, and that the zip answer gives the very
answer dict the single path gives (the register's expected answer) for the same persons."""

import io
import sys
import zipfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import ferzl_support as support  # noqa: E402

from services.ferzl_bridge import mass  # noqa: E402
from services.ferzl_emulator import mass as emulator_mass  # noqa: E402
from services.ferzl_emulator.register import KINDS, Register  # noqa: E402
from shared import clock  # noqa: E402
from shared.dictionaries.mo import smo_dictionary  # noqa: E402

REGISTER = Register(support.SEED, support.SIZE)
SMO = {code: (name, ogrn) for code, name, ogrn in smo_dictionary()}


def item(i, group_id=7, attempt=0, **params):
    return {
        "request_id": i,
        "external_id": f"00000000-0000-0000-0000-{i:012d}",
        "group_id": group_id,
        "attempt": attempt,
        "params": support.blank_params(**params),
    }


def answer_zip(requests_, today=None):
    triples = [(r.get("dt"), r.get("enp"), r.get("oip")) for r in requests_]
    return emulator_mass.zipped(emulator_mass.items_xml(REGISTER, triples, today or clock.today()))


def test_only_group_rows_searched_by_enp_or_oip_alone_qualify():
    assert mass.key(item(1, enp="1" * 16)) == ("enp", "1" * 16)
    assert mass.key(item(2, oip="1" * 12, as_of="2024-01-01")) == ("oip", "1" * 12)
    assert mass.key(item(3, group_id=None, enp="1" * 16)) is None  # a single request
    assert mass.key(item(4, enp="1" * 16, oip="1" * 12)) is None  # both: getPersonData checks they agree
    assert mass.key(item(5, enp="1" * 16, surname="ТЕСТОВ")) is None  # ФИО must be matched by ФЕРЗЛ
    assert mass.key(item(6, enp="1" * 16, dpfs_type="П")) is None  # a policy type restricts the search
    assert mass.key(item(7, enp="1" * 16, birth_date="2000-01-01")) is None  # the birth date is checked
    assert mass.key(item(8, enp="1" * 16, attempt=mass.MAX_MASS_ATTEMPTS)) is None  # failed there before


def test_a_chunk_goes_the_mass_path_only_with_enough_rows():
    rows = [item(i, enp=REGISTER.person(i).enp) for i in range(5)] + [item(9, snils="1" * 11)]
    assert mass.split(rows, 6) == ([], rows)
    chosen, single = mass.split(rows, 5)
    assert [i["request_id"] for i in chosen] == [0, 1, 2, 3, 4] and [i["request_id"] for i in single] == [9]


def test_requests_keep_dates_and_send_a_person_asked_as_of_two_dates_once():
    enp = REGISTER.person(3).enp
    rows = [item(1, enp=enp), item(2, enp=enp), item(3, enp=enp, as_of="2024-02-03"), item(4, oip="5" * 12)]
    requests_, sent, single = mass.requests_for(rows)
    assert requests_ == [{"enp": enp}, {"enp": enp}, {"oip": "5" * 12}]
    assert [i["request_id"] for i in sent] == [1, 2, 4] and [i["request_id"] for i in single] == [3]
    requests_, _, _ = mass.requests_for([item(5, enp=enp, as_of="2024-02-03")])
    assert requests_ == [{"enp": enp, "dt": date(2024, 2, 3)}]


def test_answers_equal_the_single_paths_for_every_kind_of_person():
    persons = list({p.index: p for kind in KINDS if kind != "unknown" for p in REGISTER.sample(4, kind)}.values())
    rows, expected = [], {}
    for n, person in enumerate(persons):
        dt = None
        if n % 5 == 0:
            dt = person.policies[-1].date_b + timedelta(days=2)  # as of a day in the current policy
        elif n % 7 == 0:
            dt = person.policies[0].date_b + timedelta(days=1)  # as of the first policy (С, В...)
        params = {"enp": person.enp} if n % 2 else {"oip": person.oip}
        if dt:
            params["as_of"] = dt.isoformat()
        rows.append(item(n, **params))
        expected[n] = REGISTER.answer(person, dt or clock.today())
    nobody = REGISTER.sample(2, "unknown")
    rows += [item(1000, enp=nobody[0].enp), item(1001, oip=nobody[1].oip)]
    expected.update({1000: None, 1001: None})

    requests_, sent, single = mass.requests_for(rows)
    assert single == []
    entries = mass.read_zip(answer_zip(requests_))
    assert {i: a and a.to_dict() for i, a in mass.match(sent, entries, SMO).items()} == expected


def test_answers_are_found_by_identifier_when_the_answer_skips_nobody_or_reorders():
    persons = REGISTER.sample(6)
    rows = [item(i, enp=p.enp) for i, p in enumerate(persons[:3])] + [
        item(i + 3, oip=p.oip) for i, p in enumerate(persons[3:])
    ]
    nobody = item(99, enp=REGISTER.sample(1, "unknown")[0].enp)
    requests_, sent, _ = mass.requests_for(rows + [nobody])
    entries = [e for e in mass.read_zip(answer_zip(requests_)) if e]  # ФЕРЗЛ leaving out the unknown
    entries.reverse()
    found = mass.match(sent, entries, SMO)
    assert found[99] is None
    assert all(found[i].to_dict() == REGISTER.answer(p, clock.today()) for i, p in enumerate(persons))


def test_zip_with_another_file_name_and_the_cyrillic_mocode_spelling():
    xml = (
        "<?xml version='1.0' encoding='UTF-8'?><Items><item><person><oip>111111111111</oip></person>"
        "<policy><pcyType>С</pcyType><pcySerNum>5012 0123456789</pcySerNum><pcyStatus>ДПП</pcyStatus>"
        "<enp>5000000000000001</enp><pcyDateB>2005-01-01</pcyDateB><okato>46000</okato>"
        "<insurfCode>50001</insurfCode></policy><attachItems><areaType>1</areaType>"
        "<dateAttachB>2020-01-01</dateAttachB><moСode>501000</moСode><attachStatus>ДПП</attachStatus>"
        "</attachItems></item></Items>"
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("result_1.XML", xml)
    [entry] = mass.read_zip(buffer.getvalue())
    answer = mass.answer_of(entry, SMO).to_dict()
    assert answer["policy"]["series"] == "5012" and answer["policy"]["number"] == "0123456789"
    assert answer["policy"]["smo_name"] == SMO["50001"][0]
    assert answer["attachments"] == [
        {"status": "ДПП", "mo_code": "501000", "date_begin": "2020-01-01", "date_end": None, "area_type": "1"}
    ]
