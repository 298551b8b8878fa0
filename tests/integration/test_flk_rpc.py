"""The flk service over the real broker: the RPC adapter around the plain rule modules."""

import base64

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.flk.group import COLUMNS

pytestmark = pytest.mark.integration

HEADER = ";".join(COLUMNS)


@pytest.fixture(scope="module")
def flk(stack):
    with ClusterRpcProxy({"AMQP_URI": stack.env["AMQP_URI"]}, timeout=30) as rpc:
        yield rpc.flk


def b64(text, encoding="utf-8"):
    return base64.b64encode(text.encode(encoding)).decode()


def test_check_request_over_rpc(flk):
    ok = flk.check_request({"name": "rpc", "enp": "5096989785000017"})
    assert ok["ok"] and ok["normalized"]["enp"] == "5096989785000017" and ok["normalized"]["as_of"]
    bad = flk.check_request({"name": "rpc", "enp": "123"})
    assert not bad["ok"] and [e["field"] for e in bad["errors"]] == ["enp"]


def test_group_rows_travel_as_compact_lists(flk):
    rows = ["RQ1;;5096989785000017;;;;;;;;;;;;;", "RQ2,,,,,,,14,46 12,123456,,,,,,"]
    result = flk.check_group(b64("\r\n".join([HEADER, *rows]) + "\r\n", "cp1251"), "группа.csv")
    assert result["ok"], result["errors"]
    assert result["encoding"] == "cp1251"
    assert result["columns"][:3] == ["line", "name", "oip"]
    as_dicts = [dict(zip(result["columns"], row)) for row in result["rows"]]
    assert [(r["line"], r["name"], r["enp"], r["dul_series"]) for r in as_dicts] == [
        (2, "RQ1", "5096989785000017", None),
        (3, "RQ2", None, "46 12"),
    ]


def test_group_errors_and_garbage(flk):
    rows = ["RQ1;;5096989785000018;;;;;;;;;;;;;", "RQ2;;;;;;;;;;;;;;;"]
    result = flk.check_group(b64("\r\n".join([HEADER, *rows])), "bad.csv")
    assert not result["ok"] and result["rows"] == []
    assert sorted({e["line"] for e in result["errors"]}) == [2, 3]
    garbage = flk.check_group("not base64!", "x.csv")
    assert not garbage["ok"] and garbage["errors"][0]["message"].startswith("Не удалось прочитать файл")
