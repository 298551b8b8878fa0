"""Through the real journal, broker, bridge and emulator: every identifier kind of the manual round-trips
(getPersonData), and group rows that go the mass path (getMassInsuranceStatusStart/Poll) get the very
cards the single path gives for the same persons."""

from datetime import timedelta

import pytest

from services.ferzl_emulator.register import Register
from tests.ferzl_support import ask_as_of, params_for
from tests.integration.test_bridge_support import counters, create, params, wait_final, without_mo_names

pytestmark = pytest.mark.integration

REGISTER = Register.from_settings()

# (identifier kind, register sample kind, as of)
CASES = [
    ("oip", None, None),
    ("enp", None, None),
    ("unified", None, None),
    ("old_policy", "old_policy", None),
    ("old_policy", "old_policy", "old"),
    ("old_policy", "old_style", None),
    ("temporary", "temporary", "vs"),
    ("temporary", "temporary_history", None),
    ("document", "passport", None),
    ("document", "birth_certificate", None),
    ("snils", None, None),
    ("snils_birth", "several_therapeutic", None),
    ("all", "dental", None),
    ("enp", "inactive_policy", None),
    ("enp", "no_attachments", None),
    ("enp", "moscow", None),
    ("fio_enp", "no_patronymic", None),
    ("enp", "dead", None),
]


def test_every_identifier_kind_round_trips(stack, engine):
    requests, expected = [], []
    for kind, sample, as_of in CASES:
        persons = REGISTER.sample(12, sample)
        if kind == "unified":  # a current policy of unified form: its number is the ЕНП
            persons = [p for p in persons if p.policies[-1].type in ("П", "Э", "К", "Ц")]
        for person in persons[:2]:
            p = params_for(person, kind)
            dt = ask_as_of(p, person, as_of)
            p["name"] = f"вид {kind}"
            requests.append(p)
            expected.append(REGISTER.answer(person, dt))
    nobody = REGISTER.sample(1, "unknown")[0]
    requests.append(params(enp=nobody.enp))
    person = REGISTER.person(40)
    requests.append(params(oip=person.oip, birth_date=(person.birth_date + timedelta(days=1)).isoformat()))
    ids = create(engine, requests)
    found = wait_final(engine, ids, 60)
    for request_id, want in zip(ids, expected):
        row = found[request_id]
        assert row["status"] == "answered", row
        assert without_mo_names(row["answer"]) == want
        assert all(a["mo_name"] for a in row["answer"]["attachments"]), "МО names come from the dictionary"
    unknown, mismatch = found[ids[-2]], found[ids[-1]]
    assert (unknown["status"], unknown["error_code"], unknown["error_message"]) == (
        "error",
        "409",
        "Персона не найдена",
    )
    # the birth date is not sent beside an ОИП: the register's person is compared with it (#22, item 2)
    assert mismatch["status"] == "answered" and mismatch["answer"]["mismatch"] == ["birth_date"], mismatch
    assert mismatch["answer"]["oip"] == person.oip


@pytest.mark.parametrize("by", ["enp", "oip"])
def test_mass_path_gives_the_cards_of_the_single_path(stack, engine, by):
    persons = list(
        {
            p.index: p
            for kind in ("old_policy", "temporary", "several_attachments", "dental", "moscow", "inactive_policy", None)
            for p in REGISTER.sample(20, kind)
        }.values()
    )
    rows = []
    for n, person in enumerate(persons):
        p = params(**{by: getattr(person, by)})
        if n % 6 == 0:
            p["as_of"] = (person.policies[0].date_b + timedelta(days=2)).isoformat()
        rows.append(p)
    rows += [params(**{by: getattr(p, by)}) for p in REGISTER.sample(3, "unknown")]
    before = counters(stack)
    group_ids = create(engine, rows, group=f"массовый по {by}")
    single_ids = create(engine, rows)  # the same searches one by one: getPersonData
    grouped, single = wait_final(engine, group_ids, 90), wait_final(engine, single_ids, 90)
    after = counters(stack)

    assert after.get("getMassInsuranceStatusStart", 0) > before.get("getMassInsuranceStatusStart", 0)
    # a chunk with fewer than FERZL_MASS_MIN (10) group rows -- the group's tail -- goes one by one
    assert after.get("mass_persons", 0) - before.get("mass_persons", 0) >= len(rows) - 10
    for g, s in zip(group_ids, single_ids):
        keys = ("status", "answer", "error_code", "error_message")
        assert {k: grouped[g][k] for k in keys} == {k: single[s][k] for k in keys}
    assert sum(grouped[g]["status"] == "answered" for g in group_ids) == len(persons)
