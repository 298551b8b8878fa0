"""`ozsp up --scale`: the copies asked for, and the names and commands of the copies (services/supervisor.py)."""

import pytest

from services.supervisor import ScaleError, base_name, command, copy_name, parse_scale


def test_scale_names_services_and_their_copies():
    assert parse_scale("bridge=3,journal=2") == {"ferzl_bridge": 3, "journal": 2}
    assert parse_scale(" gateway=2 , flk=1,") == {"gateway": 2, "flk": 1}
    assert parse_scale("") == {}


@pytest.mark.parametrize("bad", ["bridge", "bridge=0", "bridge=33", "bridge=x", "certmail_intake=2", "mail=2"])
def test_a_malformed_scale_is_refused_in_russian(bad):
    with pytest.raises(ScaleError, match="ожидается «сервис=число»"):
        parse_scale(bad)


def test_a_copy_runs_its_service():
    assert copy_name("ferzl_bridge", 1) == "ferzl_bridge" and copy_name("ferzl_bridge", 3) == "ferzl_bridge#3"
    assert base_name("ferzl_bridge#3") == "ferzl_bridge"
    assert command("ferzl_bridge#3") == command("ferzl_bridge")
