"""`next` after login, normalised as browsers read URLs (issue 17 §3)."""

import pytest

from services.gateway.auth.redirects import safe_next


@pytest.mark.parametrize(
    "value",
    [
        "/\t/evil.example",
        "//evil.example",
        " //evil.example",
        "\n//evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "\x00/\x00/evil.example",
        "https://evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
        None,
        5,
        "/" + "a" * 3000,
        "/\x7f/x",
    ],
)
def test_anything_that_would_leave_the_site_goes_home(value):
    assert safe_next(value) == "/"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/journal?status=sent", "/journal?status=sent"),
        ("/individual/5", "/individual/5"),
        ("  /group/journal  ", "/group/journal"),
        ("/jour\tnal", "/journal"),
        ("/a\\b", "/a/b"),
    ],
)
def test_local_paths_are_kept_as_the_browser_reads_them(value, expected):
    assert safe_next(value) == expected
