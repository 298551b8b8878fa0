"""The plug-in stand-in (tests/browser/cadesplugin_standin.js) refuses what the real plug-in refuses, so a
mistake in login.js's plug-in calls fails a test instead of passing against a lenient fake."""

import base64

import pytest
from playwright.sync_api import expect

from services.gateway import messages
from tests.browser.plugin import Token

pytestmark = pytest.mark.integration

CALLS = """async () => {
  const cp = window.cadesplugin;
  await cp;
  const outcome = async (promise) => {
    try { await promise(); return "ok"; } catch (e) { return (e instanceof Error ? "" : "not an Error: ") + e.message; }
  };
  const store = await cp.CreateObjectAsync("CAdESCOM.Store");
  const signer = await cp.CreateObjectAsync("CAdESCOM.CPSigner");
  const data = await cp.CreateObjectAsync("CAdESCOM.CadesSignedData");
  const result = {
    unknownClass: await outcome(() => cp.CreateObjectAsync("CAdESCOM.Stor")),
    unknownMethod: await outcome(() => store.Opn()),
    unknownProperty: typeof store.Certificate,
    notOpened: await outcome(() => store.Certificates),
  };
  await store.Open(cp.CAPICOM_CURRENT_USER_STORE, cp.CAPICOM_MY_STORE, cp.CAPICOM_STORE_OPEN_MAXIMUM_ALLOWED);
  const all = await store.Certificates;
  result.count = await all.Count;
  result.itemZero = await outcome(() => all.Item(0));
  result.itemPastEnd = await outcome(() => all.Item(3));
  result.findWithoutHash = await outcome(() => all.Find(cp.CAPICOM_CERTIFICATE_FIND_SHA1_HASH));
  const none = await all.Find(cp.CAPICOM_CERTIFICATE_FIND_SHA1_HASH, "00".repeat(20));
  result.foundNone = await none.Count;
  result.itemOfNone = await outcome(() => none.Item(1));
  result.certificateAsText = await outcome(() => signer.propset_Certificate("thumbprint"));
  result.badOptions = await outcome(() => signer.propset_Options(7));
  result.badEncoding = await outcome(() => data.propset_ContentEncoding(5));
  result.readOnly = await outcome(() => all.propset_Count(1));
  result.noCertificate = await outcome(() => data.SignCades(signer, cp.CADESCOM_CADES_BES, true));
  const keyless = await (await all.Find(cp.CAPICOM_CERTIFICATE_FIND_SHA1_HASH, arguments_keyless)).Item(1);
  await signer.propset_Certificate(keyless);
  result.noContent = await outcome(() => data.SignCades(signer, cp.CADESCOM_CADES_BES, true));
  await data.propset_ContentEncoding(cp.CADESCOM_BASE64_TO_BINARY);
  result.notBase64 = await outcome(() => data.propset_Content("ozsp-login-not base64"));
  await data.propset_Content(btoa("ozsp-login-x"));
  result.defaultTypeNeedsTsa = await outcome(() => data.SignCades(signer));
  result.noPrivateKey = await outcome(() => data.SignCades(signer, cp.CADESCOM_CADES_BES, true));
  await store.Close();
  return result;
}"""

WRONG_ORDER = """async (thumbprint) => {
  const cp = window.cadesplugin;
  const csrf = document.getElementById("login").getAttribute("data-csrf");
  const post = (url, body) => fetch(url, {method: "POST", headers: {"Content-Type": "application/json",
    "X-CSRF-Token": csrf}, body: JSON.stringify(body)}).then(async r => ({status: r.status, ...(await r.json())}));
  const issued = await post("/login/challenge", {});
  const store = await cp.CreateObjectAsync("CAdESCOM.Store");
  await store.Open(cp.CAPICOM_CURRENT_USER_STORE, cp.CAPICOM_MY_STORE, cp.CAPICOM_STORE_OPEN_MAXIMUM_ALLOWED);
  const cert = await (await (await store.Certificates).Find(cp.CAPICOM_CERTIFICATE_FIND_SHA1_HASH, thumbprint)).Item(1);
  const signer = await cp.CreateObjectAsync("CAdESCOM.CPSigner");
  await signer.propset_Certificate(cert);
  await signer.propset_Options(cp.CAPICOM_CERTIFICATE_INCLUDE_END_ENTITY_ONLY);
  const data = await cp.CreateObjectAsync("CAdESCOM.CadesSignedData");
  await data.propset_Content(btoa(issued.challenge));                    // content first ...
  await data.propset_ContentEncoding(cp.CADESCOM_BASE64_TO_BINARY);      // ... then the encoding: too late
  const signature = await data.SignCades(signer, cp.CADESCOM_CADES_BES, true);
  await store.Close();
  return {challenge: issued.challenge, answer: await post("/login", {challenge_id: issued.id, signature})};
}"""

INVALID_ARG = "Параметр задан неверно. (0x80070057)"


def ready(page, token):
    token.install(page)
    page.goto("/login")
    expect(page.locator("#login-form")).to_be_visible(timeout=15000)


def test_the_stand_in_refuses_what_the_plugin_refuses(nodev_page, token_world):
    page, holders = nodev_page, token_world.holders
    token = Token(holders["first"], without_key=[holders["second"]])
    ready(page, token)
    result = page.evaluate(CALLS.replace("arguments_keyless", f'"{holders["second"].cert.thumbprint}"'))
    assert result == {
        "unknownClass": "Недопустимая строка с указанием класса. (0x800401F3)",
        "unknownMethod": "store.Opn is not a function",
        "unknownProperty": "undefined",
        "notOpened": "Хранилище сертификатов не открыто.",
        "count": 2,
        "itemZero": INVALID_ARG,  # collections count from 1
        "itemPastEnd": INVALID_ARG,
        "findWithoutHash": INVALID_ARG,
        "foundNone": 0,
        "itemOfNone": INVALID_ARG,
        "certificateAsText": INVALID_ARG,
        "badOptions": INVALID_ARG,
        "badEncoding": INVALID_ARG,
        "readOnly": "Свойство доступно только для чтения.",
        "noCertificate": "Не задан сертификат подписи (CPSigner.Certificate).",
        "noContent": "Не заданы данные для подписи (CadesSignedData.Content).",
        "notBase64": "Недопустимые данные. (0x8007000D)",
        "defaultTypeNeedsTsa": "Не задан адрес службы штампов времени (CPSigner.TSAAddress).",
        "noPrivateKey": "Набор ключей не существует. (0x80090016)",
    }
    assert token.signed == [] and token.open_stores(page) == set()


def test_content_set_before_the_binary_encoding_is_signed_as_utf16_and_refused(nodev_page, token_world):
    page, holder = nodev_page, token_world.holders["first"]
    token = Token(holder)
    ready(page, token)
    result = page.evaluate(WRONG_ORDER, holder.cert.thumbprint)
    as_text = base64.b64encode(result["challenge"].encode()).decode()
    assert token.signed[-1]["content"] == as_text.encode("utf-16-le")  # the plug-in signed the base64 text
    assert result["answer"] == {
        "status": 403,
        "ok": False,
        "title": messages.LOGIN_TITLE,
        "serial": holder.cert.serial_hex,
        "message": messages.LOGIN_REASONS["digest_mismatch"],
    }
