"""Helpers of the gateway page tests: a request as a browser sends it, a form page read like a browser (the fake
RPC proxies are in tests/fakes)."""

import re

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway.web import csrf


def page_request(path, method="GET", data=None, cookie=None, query=None):
    builder = EnvironBuilder(path=path, method=method, data=data, query_string=query, base_url="http://127.0.0.1:8000")
    if cookie:
        builder.headers["Cookie"] = f"{csrf.COOKIE}={cookie}"
    return Request(builder.get_environ())


def read_form(response):
    """A form page -> (html, the fields a browser posts back: CSRF token and CAPTCHA, the CSRF cookie)."""
    html = response.get_data(as_text=True)
    cookie = re.search(rf"{csrf.COOKIE}=([^;]+)", response.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    captcha_id = re.search(r'name="captcha_id" id="captcha-id" value="([^"]+)"', html).group(1)
    return (
        html,
        {"csrf_token": token, "captcha_id": captcha_id, "captcha": response.headers["X-Captcha-Answer"]},
        cookie,
    )
