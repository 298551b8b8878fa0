"""services/public_api/calls.py with the journal's and ФЛК's fakes: who may call, ФЛК as the web form gets it,
the wait for the answer, one request per idempotency key, groups from rows or a file."""

import base64

import pytest

from services.flk.service import _checked_group
from services.public_api import calls
from services.public_api.entrypoint import CALLER, CORRELATION, SIZE, PublicRpc, replies_to_sender
from tests.fakes.flk import FakeFlk
from tests.fakes.journal import FakeJournal

GOOD = {"name": "rpc", "enp": "5096989785000017"}
US = ("ozsp.sub.tfoms_a", "corr-1", 100)


class Flk(FakeFlk):
    """FakeFlk checking groups in this thread: eventlet's thread pool is not what these tests are about."""

    def check_group(self, content_b64, filename):
        return _checked_group(base64.b64decode(content_b64), filename)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def journal():
    j = FakeJournal()
    j.subsystems = {"tfoms_a": 5}
    return j


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def api(journal, clock):
    return calls.PublicApi(journal, Flk(), "ozsp", 600, 30.0, 1000, sleep=clock.sleep, clock=clock)


@pytest.mark.parametrize("user", [None, "ozsp.gateway", "guest", "other.sub.tfoms_a"])
def test_only_a_subsystem_user_of_this_vhost_may_call(api, journal, user):
    answer = api.lookup((user, "c", 10), GOOD)
    assert answer["ok"] is False and answer["error"] == "unknown_subsystem" and "user_id" in answer["message"]
    assert journal.created == [] and journal.calls == []


def test_a_subsystem_missing_from_the_directory_is_refused(api, journal):
    answer = api.lookup(("ozsp.sub.tfoms_b", "c", 10), GOOD)
    assert answer == {"ok": False, "error": "unknown_subsystem", "message": "Подсистема не найдена."}
    assert journal.created == []


def test_a_too_big_message_is_refused_before_the_journal(api, journal):
    answer = api.submit_group(("ozsp.sub.tfoms_a", "c", 1001), "g", csv_b64="eA==")
    assert answer["error"] == "too_big" and journal.calls == [] and journal.groups_created == []


def test_flk_errors_as_the_web_form_gets_them(api, journal):
    answer = api.lookup(US, {"name": "rpc", "enp": "123"})
    assert answer["ok"] is False and answer["error"] == "flk" and [e["field"] for e in answer["errors"]] == ["enp"]
    assert journal.created == []


def test_lookup_returns_the_card_once_answered(api, journal, clock):
    def answer_later(identity, request_id):
        return {"id": request_id, "status": "answered" if clock.now >= 2 else "sent"}

    journal.get_request = answer_later
    answer = api.lookup(US, GOOD, wait_seconds=10)
    assert answer["ok"] and answer["status"] == "answered" and answer["card"]["id"] == answer["id"]
    assert 2 <= clock.now < 3


def test_lookup_returns_the_id_to_poll_after_the_wait_capped_by_the_setting(api, journal, clock):
    journal.cards = {101: {"id": 101, "status": "sent"}}
    assert api.lookup(US, GOOD, wait_seconds=1000) == {"ok": True, "id": 101, "status": "sent"}
    assert clock.now == 30.0
    assert api.lookup(("ozsp.sub.tfoms_a", "corr-2", 1), GOOD, wait_seconds=0)["status"] == "sent"


def test_a_redelivered_lookup_creates_no_second_request(api, journal):
    journal.cards = {101: {"id": 101, "status": "sent"}}
    first = api.lookup(US, GOOD, wait_seconds=0)
    again = api.lookup(US, GOOD, wait_seconds=0)  # the same correlation id: the same message delivered again
    assert first["id"] == again["id"] == 101 and len(journal.created) == 1
    assert api.lookup(US, GOOD, wait_seconds=0, key="k2")["id"] == 102, "an explicit key wins"


@pytest.mark.parametrize("fields", [None, "enp=1", [GOOD]])
def test_malformed_fields_change_nothing(api, journal, fields):
    assert api.lookup(US, fields)["error"] == "bad_request" and journal.created == []


def test_get_request_of_another_organisation_is_not_found(api, journal):
    journal.cards = {5: {"id": 5, "status": "answered"}}
    assert api.get_request(US, 5) == {"ok": True, "card": {"id": 5, "status": "answered"}}
    assert api.get_request(US, 6)["error"] == "not_found"
    assert api.get_request(US, "x")["error"] == "bad_request"


def test_a_group_from_rows_goes_through_flk_and_the_journal(api, journal):
    row = {"Имя запроса": "r1", "ЕНП": "5096989785000017"}
    answer = api.submit_group(US, "группа", rows=[row], idempotency_key="g-1")
    assert answer["ok"] and answer["id"] == 42
    name, filename, rows, key = journal.groups_created[0]
    assert (name, key, len(rows)) == ("группа", "g-1", 1)
    csv_text = base64.b64decode(calls.rows_to_csv_b64([row])).decode()
    assert csv_text.splitlines()[0].startswith("Имя запроса;ОИП;ЕНП")


def test_a_group_file_failing_flk_queues_nothing(api, journal):
    answer = api.submit_group(US, "g", csv_b64=base64.b64encode(b"not;a;header\n").decode())
    assert answer["ok"] is False and answer["error"] == "flk" and answer["errors"] and journal.groups_created == []
    assert api.submit_group(US, "g")["error"] == "bad_request"
    assert api.submit_group(US, "g", rows=["x"])["error"] == "bad_request"


def test_group_pages_only_of_a_visible_group(api, journal):
    journal.groups = {42: {"id": 42}}
    journal.export_lines = {1: ["a"], 2: ["b"], 3: ["c"]}
    page = api.group_page(US, "group_requests", 42, 1, 1)
    assert page == {"ok": True, "rows": [{"line_no": 2, "cells": ["b"]}], "next_after_line": 2}
    assert api.group_page(US, "export_group", 42, 0, 10)["rows"][0]["csv"]
    assert api.group_page(US, "export_group", 43, 0, 10)["error"] == "not_found"


def test_the_entrypoint_takes_the_caller_from_the_message_not_its_headers():
    class Message:
        headers = {"nameko.ozsp_broker_user": "ozsp.sub.forged"}
        properties = {"user_id": "ozsp.sub.tfoms_a", "correlation_id": "c9"}
        body = b"x" * 12

    data = PublicRpc.unpack_message_headers(object.__new__(PublicRpc), Message())
    assert (data[CALLER], data[CORRELATION], data[SIZE]) == ("ozsp.sub.tfoms_a", "c9", 12)
    Message.properties = {}
    assert PublicRpc.unpack_message_headers(object.__new__(PublicRpc), Message())[CALLER] is None


def test_a_reply_goes_back_to_its_sender_only():
    assert replies_to_sender("ozsp.sub.tfoms_a", "ozsp.sub.tfoms_a.0b1c")
    assert not replies_to_sender("ozsp.sub.tfoms_a", "ozsp.sub.tfoms_b.0b1c")
    assert not replies_to_sender("ozsp.sub.tfoms_a", "journal.create_request_once"), "no confused deputy"
    assert not replies_to_sender("ozsp.sub.tfoms_a", None) and not replies_to_sender(None, "")
    assert replies_to_sender(None, "3f2504e0-4f89-11d3-9a0c-0305e82c3301"), "a nameko caller (told: no subsystem)"
    assert not replies_to_sender(None, "journal.start_session")


def test_finished_requests_are_announced_to_each_subsystem_under_its_own_routing_key(journal):
    journal.subsystems = {"tfoms_a": 5, "tfoms_b": 5}
    sent = []
    count = calls.announce(journal, lambda kind, payload: sent.append((kind, payload)), "request_answered", [7, 8])
    assert count == 4 and sent == [
        ("request_answered.tfoms_a", {"id": 7}),
        ("request_answered.tfoms_b", {"id": 7}),
        ("request_answered.tfoms_a", {"id": 8}),
        ("request_answered.tfoms_b", {"id": 8}),
    ]


@pytest.mark.parametrize("ids", [None, [], ["7"], "7", [True]])
def test_an_event_without_ids_announces_nothing_and_asks_nothing(ids):
    class Journal:
        def subsystem_events(self, kind, ids):
            raise AssertionError("not asked")

    assert calls.announce(Journal(), lambda *a: None, "group_finished", ids) == 0


@pytest.mark.parametrize("handler", ["announce_requests", "announce_groups"])
def test_with_no_subsystem_active_the_journals_event_costs_no_call(journal, handler):
    """The journal's event says "subsystems": False (services/journal/subsystems.py Presence): nobody to tell,
    nothing asked; True or an event from an older journal without the key: asked as before."""
    from types import SimpleNamespace

    from services.public_api.service import PublicApiService

    journal.subsystems = {"tfoms_a": 5}
    asked = []
    journal.subsystem_events = lambda kind, ids: asked.append(ids) or []
    me = SimpleNamespace(journal=journal, events=lambda kind, payload: None)
    getattr(PublicApiService, handler)(me, {"ids": [7], "subsystems": False})
    assert asked == []
    getattr(PublicApiService, handler)(me, {"ids": [7], "subsystems": True})
    getattr(PublicApiService, handler)(me, {"ids": [8]})
    assert asked == [[7], [8]]
