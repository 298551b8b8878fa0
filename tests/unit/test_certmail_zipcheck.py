"""Safe ZIP inspection: exactly one .cer named like the archive; bombs, nesting, traversal, encryption refused."""

import io
import zipfile

import pytest

from services.certmail import zipcheck as Z

LIMITS = Z.Limits(max_entries=4, max_total=100_000, max_ratio=50)


def make_zip(entries, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def refused(name, data):
    with pytest.raises(Z.Refused) as exc:
        Z.extract_certificate(name, data, LIMITS)
    return exc.value.reason


def test_one_cer_named_like_the_archive_is_extracted():
    assert Z.extract_certificate("Ivanov.ZIP", make_zip([("ivanov.cer", b"\x30\x01")]), LIMITS) == (
        "ivanov.cer",
        b"\x30\x01",
    )


def test_cyrillic_names_from_windows_explorer_match():
    """Explorer writes names in cp866 without the UTF-8 flag."""
    info = zipfile.ZipInfo("x.cer")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, b"\x30\x01")
    data = buf.getvalue().replace(b"x.cer", "И.cer".encode("cp866"))  # same length: one byte per letter
    assert Z.extract_certificate("И.zip", data, LIMITS)[0] == "И.cer"


@pytest.mark.parametrize(
    "entries, reason",
    [
        ([], Z.NO_CER),
        ([("ivanov.txt", b"x")], Z.NO_CER),
        ([("ivanov.cer", b"x"), ("readme.txt", b"x")], Z.EXTRA),
        ([("ivanov.cer", b"x"), ("petrov.cer", b"x")], Z.EXTRA),
        ([("petrov.cer", b"x")], Z.NAME_MISMATCH),
        ([("../ivanov.cer", b"x")], Z.BAD_NAME),
        ([("/etc/ivanov.cer", b"x")], Z.BAD_NAME),
        ([("dir/ivanov.cer", b"x")], Z.BAD_NAME),
        ([("dir\\ivanov.cer", b"x")], Z.BAD_NAME),
        ([("c:ivanov.cer", b"x")], Z.BAD_NAME),
        ([("dir/", b"")], Z.BAD_NAME),
        ([("ivanov.zip", b"x")], Z.NESTED),
        ([("ivanov.rar", b"x")], Z.NESTED),
        ([("ivanov.cer", make_zip([("a.cer", b"x")]))], Z.NESTED),
        ([("ivanov.cer", b"\0" * 200_000)], Z.BOMB),
        ([("ivanov.cer", b"\0" * 50_000)], Z.BOMB),  # under the total, over the ratio
        ([(f"{i}.txt", b"x") for i in range(5)], Z.TOO_MANY),
    ],
)
def test_refusals(entries, reason):
    assert refused("ivanov.zip", make_zip(entries)) == reason


def test_stored_entries_are_not_mistaken_for_bombs():
    data = bytes(range(256)) * 200  # 51 200 bytes stored: ratio 1
    assert Z.extract_certificate("a.zip", make_zip([("a.cer", data)], zipfile.ZIP_STORED), LIMITS)[1] == data


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04" + b"\0" * 40])
def test_non_zip_and_damaged_archives(data):
    assert refused("ivanov.zip", data) == Z.NOT_ZIP


def test_truncated_and_corrupted_archives():
    good = make_zip([("ivanov.cer", b"certificate bytes " * 20)])
    assert refused("ivanov.zip", good[:-25]) == Z.NOT_ZIP
    at = good.find(b"ivanov.cer") + len("ivanov.cer") + 5  # inside the compressed data
    corrupted = good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1 :]
    assert refused("ivanov.zip", corrupted) == Z.NOT_ZIP


def test_encrypted_flag_is_refused():
    data = bytearray(make_zip([("ivanov.cer", b"x")]))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.find(signature) + offset] |= 1
    assert refused("ivanov.zip", bytes(data)) == Z.ENCRYPTED


def test_a_lying_size_in_the_directory_is_caught_while_reading():
    """The central directory declares 10 bytes; the stream inflates to far more: never more than the limit."""
    real = b"\0" * 200_000
    data = bytearray(make_zip([("ivanov.cer", real)]))
    central = data.find(b"PK\x01\x02")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size in the central directory
    assert refused("ivanov.zip", bytes(data)) in (Z.NOT_ZIP, Z.BOMB)


@pytest.mark.parametrize(
    "name, ok",
    [("a.cer", True), ("..", False), ("", False), ("a\x01.cer", False), ("a/b", False), ("Иванов.cer", True)],
)
def test_safe_name(name, ok):
    assert Z.safe_name(name) is ok
