"""A group file kept between two tries of the upload form (issue 19): only its user gets it back, and not for ever."""

import os

import pytest

from services.gateway.files import kept_uploads


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(kept_uploads, "KEPT_DIR", str(tmp_path / "kept"))
    return tmp_path / "kept"


def test_the_user_gets_the_file_back_by_its_token():
    kept = kept_uploads.store(7, "Список.csv", b"a;b\r\n")
    assert kept["filename"] == "Список.csv"
    assert kept_uploads.load(7, kept["token"]) == (kept, b"a;b\r\n")


def test_another_user_a_forged_token_and_a_discarded_file_get_nothing():
    kept = kept_uploads.store(7, "x.csv", b"x")
    assert kept_uploads.load(8, kept["token"]) is None
    assert kept_uploads.load(7, "../../etc/passwd") is None and kept_uploads.load(7, None) is None
    kept_uploads.discard(7, kept["token"])
    assert kept_uploads.load(7, kept["token"]) is None


def test_an_old_file_is_not_given_and_is_swept(folder):
    old = kept_uploads.store(7, "old.csv", b"x")
    past = os.path.getmtime(folder / f"7-{old['token']}.bin") - kept_uploads.KEPT_TTL - 1
    for name in os.listdir(folder):
        os.utime(folder / name, (past, past))
    assert kept_uploads.load(7, old["token"]) is None
    kept_uploads.store(7, "new.csv", b"y")
    assert not [n for n in os.listdir(folder) if old["token"] in n]
