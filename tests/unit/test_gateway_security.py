"""CSRF tokens, CAPTCHA hashing and images, page settings: plain functions, no services."""

import io

from PIL import Image
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway import settings
from services.gateway.pages import captcha
from services.gateway.web import csrf

SECRET = "test-secret"


def post(form, cookie=None, headers=None):
    builder = EnvironBuilder(
        path="/individual", method="POST", data=form, headers=headers or {}, base_url="http://127.0.0.1:8000"
    )
    if cookie:
        builder.headers["Cookie"] = f"{csrf.COOKIE}={cookie}"
    return Request(builder.get_environ())


def test_csrf_token_is_signed_for_the_user():
    token = csrf.new_token(SECRET, 1)
    assert csrf.valid(SECRET, 1, token)
    assert not csrf.valid(SECRET, 2, token)  # another user's token
    assert not csrf.valid("other", 1, token)
    nonce, _, _ = token.partition(".")
    assert (
        not csrf.valid(SECRET, 1, nonce + ".forged")
        and not csrf.valid(SECRET, 1, "")
        and not csrf.valid(SECRET, 1, None)
    )


def test_csrf_double_submit_check():
    token = csrf.new_token(SECRET, 1)
    assert csrf.check(post({csrf.FIELD: token}, cookie=token), SECRET, 1)
    assert not csrf.check(post({csrf.FIELD: token}), SECRET, 1)  # no cookie
    assert not csrf.check(post({}, cookie=token), SECRET, 1)  # no field
    assert not csrf.check(post({csrf.FIELD: csrf.new_token(SECRET, 1)}, cookie=token), SECRET, 1)
    assert not csrf.check(post({csrf.FIELD: token}, cookie=token), SECRET, 2)
    assert not csrf.check(post({csrf.FIELD: "токен"}, cookie=token), SECRET, 1)  # not ASCII: refused, no crash
    foreign = {"Origin": "http://evil.example"}
    assert not csrf.check(post({csrf.FIELD: token}, cookie=token, headers=foreign), SECRET, 1)
    assert csrf.check(post({csrf.FIELD: token}, cookie=token, headers={"Origin": "http://127.0.0.1:8000"}), SECRET, 1)


def test_csrf_cookie_is_reused_while_valid():
    token = csrf.new_token(SECRET, 1)
    assert csrf.token_for(post({}, cookie=token), SECRET, 1) == (token, False)
    fresh, is_new = csrf.token_for(post({}, cookie="garbage"), SECRET, 1)
    assert is_new and csrf.valid(SECRET, 1, fresh)


def test_captcha_answers_are_digits_and_hashes_ignore_spaces():
    answer = captcha.new_answer()
    assert len(answer) == captcha.LENGTH and set(answer) <= set(captcha.ALPHABET)
    assert captcha.answer_hash(SECRET, "12 345") == captcha.answer_hash(SECRET, " 12345 ")
    assert captcha.answer_hash(SECRET, "12345") != captcha.answer_hash("other", "12345")
    assert captcha.answer_hash(SECRET, "12345") != captcha.answer_hash(SECRET, "12346")


def test_captcha_image_is_a_png_of_the_declared_size():
    png = captcha.render_png("23456", seed=1)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (captcha.WIDTH, captcha.HEIGHT)
    assert captcha.render_png("23456", seed=1) == png and captcha.render_png("23456", seed=2) != png
    assert captcha.data_uri(png).startswith("data:image/png;base64,")


def test_page_settings_default_to_safe_values():
    conf = settings.load({}, env={})
    assert not conf.captcha_test_mode and conf.captcha_ttl == 300 and conf.submit_limit == 20
    conf = settings.load(
        {"SECRET_KEY": "s"},
        env={"CAPTCHA_TEST_MODE": "1", "SUBMIT_LIMIT_PER_MINUTE": "5", "CAPTCHA_TTL_SECONDS": "120"},
    )
    assert conf.captcha_test_mode and conf.submit_limit == 5 and conf.captcha_ttl == 120 and conf.secret_key == "s"
    assert not settings.load({}, env={"CAPTCHA_TEST_MODE": "0"}).captcha_test_mode


def api_call(headers=None, cookie=None, path="/api/v1/requests"):
    builder = EnvironBuilder(path=path, method="POST", headers=headers or {}, base_url="http://127.0.0.1:8000")
    if cookie:
        builder.headers["Cookie"] = f"{csrf.COOKIE}={cookie}"
    return Request(builder.get_environ())


def test_api_calls_need_the_header_token_or_our_origin():
    token = csrf.new_token(SECRET, 1)
    assert csrf.api_allowed(api_call({csrf.HEADER: token}, token), SECRET, 1)
    assert csrf.api_allowed(api_call({"Origin": "http://127.0.0.1:8000"}), SECRET, 1)
    assert not csrf.api_allowed(api_call(), SECRET, 1)  # nothing
    assert not csrf.api_allowed(api_call({"Origin": "http://127.0.0.1:9000"}), SECRET, 1)  # another port
    assert not csrf.api_allowed(api_call({"Origin": "null"}), SECRET, 1)
    assert not csrf.api_allowed(api_call({csrf.HEADER: token}), SECRET, 1)  # no cookie
    assert not csrf.api_allowed(api_call({csrf.HEADER: token}, token), SECRET, 2)  # another user's
    odd = token + "\u00e9"  # a header byte over 0x7f, as werkzeug decodes it: refused, no crash
    assert not csrf.api_allowed(api_call({csrf.HEADER: odd}, token), SECRET, 1)
    assert not csrf.api_allowed(api_call({csrf.HEADER: token, "Origin": "http://evil.example"}, token), SECRET, 1)


def test_notices_are_not_taken_for_another_site():
    assert csrf.fetch_ok(api_call({"Sec-Fetch-Site": "same-origin"}))
    assert csrf.fetch_ok(api_call())
    assert not csrf.fetch_ok(api_call({"Sec-Fetch-Site": "same-site"}))
    assert not csrf.fetch_ok(api_call({"Sec-Fetch-Site": "cross-site"}))
    assert not csrf.fetch_ok(api_call({"Origin": "http://127.0.0.1:9000"}))


def test_a_header_token_names_the_user_it_was_signed_for():
    """csrf.writer_of: the JSON API's create asks the journal to check the session in the same call, for this user."""
    token = csrf.new_token(SECRET, 7)
    assert token.startswith("7~")
    assert csrf.writer_of(api_call({csrf.HEADER: token}, token), SECRET) == 7
    assert csrf.writer_of(api_call({csrf.HEADER: token, "Origin": "http://127.0.0.1:8000"}, token), SECRET) == 7
    assert csrf.writer_of(api_call({csrf.HEADER: token}), SECRET) is None  # no cookie
    assert csrf.writer_of(api_call(cookie=token), SECRET) is None  # no header
    assert csrf.writer_of(api_call({csrf.HEADER: token}, csrf.new_token(SECRET, 7)), SECRET) is None  # unequal
    assert csrf.writer_of(api_call({csrf.HEADER: token, "Origin": "http://evil.example"}, token), SECRET) is None
    assert csrf.writer_of(api_call({csrf.HEADER: token}, token), "other") is None  # another key
    nonce, _, signature = token.partition(".")
    for forged in (
        "8" + nonce[1:] + "." + signature,  # another user's id on this user's signature
        nonce + ".forged",
        "٧" + nonce[1:] + "." + signature,  # not an ASCII digit
    ):
        assert csrf.writer_of(api_call({csrf.HEADER: forged}, forged), SECRET) is None
    older = "abc." + csrf._sign(SECRET, 7, "abc")  # a token issued before the id was in the nonce: still valid
    assert csrf.valid(SECRET, 7, older) and csrf.writer_of(api_call({csrf.HEADER: older}, older), SECRET) is None
