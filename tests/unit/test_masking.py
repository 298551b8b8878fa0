import logging

from shared.masking import MaskingFilter, mask


def test_identifiers_and_names_are_hidden():
    line = mask("lookup enp=5072360829000830 snils=158-361-694 89 fio=ТЕСТОВА Анна dul=46 12 485468")
    for secret in ("5072360829000830", "158-361-694", "694 89", "ТЕСТОВА", "Анна", "485468"):
        assert secret not in line
    assert "enp=50***" in line


def test_short_numbers_and_english_text_stay():
    assert mask("chunk 7: 20 answered, 3 to retry in 5000 ms") == "chunk 7: 20 answered, 3 to retry in 5000 ms"


def test_filter_masks_formatted_records_and_tracebacks():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "person %s %s", ("ПРИМЕРОВ", "5072360829000830"), None)
    assert MaskingFilter().filter(record)
    assert record.getMessage() == "person П*** 50***"
    try:
        raise ValueError("bad snils 15836169489")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    MaskingFilter().filter(record)
    assert "15836169489" not in record.exc_text


def test_access_log_numbers_and_hash_ids_stay():
    line = '127.0.0.1 - - [26/Nov/2026 04:24:49] "POST /api/v1/requests HTTP/1.1" 500 262 0.003456 request #1234567'
    assert mask(line) == line


def test_percent_encoded_names_in_urls_are_hidden():
    assert mask("GET /api/v1/requests?fio=%D0%9F%D0%A0%D0%98 HTTP/1.1") == "GET /api/v1/requests?fio=%*** HTTP/1.1"


def test_keyed_hash_depends_on_the_secret_and_is_not_a_plain_hash():
    import hashlib

    from shared.masking import keyed_hash

    value = "petr@mo.example.test"
    assert keyed_hash("a", value) == keyed_hash("a", value) != keyed_hash("b", value)
    assert keyed_hash("a", value) != hashlib.sha256(value.encode()).hexdigest() and len(keyed_hash("a", value)) == 64


def test_address_tags_are_short_keyed_hashes():
    import hashlib

    from shared.masking import address_tag, keyed_hash

    tag = address_tag("192.0.2.7", secret="one")
    assert tag == "h:" + keyed_hash("one", "192.0.2.7")[:12] == address_tag("192.0.2.7", secret="one")
    assert tag != address_tag("192.0.2.8", secret="one") and tag != address_tag("192.0.2.7", secret="two")
    assert tag[2:] not in hashlib.sha256(b"192.0.2.7").hexdigest()  # not guessable without the secret
    assert address_tag("x\ud800").startswith("h:")  # odd input never raises
