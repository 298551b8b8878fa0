/* Login by certificate: list the certificates the CryptoPro plug-in sees, sign the server's challenge
   (CAdES-BES, content encoding binary, detached) and send it. In dev mode a test certificate is offered
   whose signature the server makes itself (POST /dev/sign). */
(function () {
  "use strict";
  var root = document.getElementById("login");
  if (!root) { return; }
  var DEV = "dev";
  var csrfToken = root.getAttribute("data-csrf");

  function show(id, visible) { document.getElementById(id).hidden = !visible; }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrfToken},
      body: JSON.stringify(body)
    }).then(function (r) { return r.json().then(function (data) { data.httpStatus = r.status; return data; }); });
  }

  function day(value) {
    var d = new Date(value);
    if (isNaN(d)) { return ""; }
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getDate()) + "." + two(d.getMonth() + 1) + "." + d.getFullYear();
  }

  function addCert(list, value, title, detail, checked) {
    var item = document.createElement("li");
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "radio"; input.name = "cert"; input.value = value; input.checked = checked;
    var text = document.createElement("span");
    text.className = "certs__text";
    var name = document.createElement("strong"); name.textContent = title;
    var more = document.createElement("span"); more.className = "mono"; more.textContent = detail;
    text.appendChild(name); text.appendChild(more);
    label.appendChild(input); label.appendChild(text); item.appendChild(label); list.appendChild(item);
  }

  /* {certs, missing}: missing when the plug-in itself is not there (its cadesplugin promise is rejected). */
  function pluginCertificates() {
    if (!window.cryptoPro) { return Promise.resolve({certs: [], missing: false}); }
    return window.cryptoPro.getUserCertificates().then(function (certs) {
      return {certs: certs, missing: false};
    }, function () {
      if (!window.cadesplugin) { return {certs: [], missing: true}; }
      return Promise.resolve(window.cadesplugin).then(function () { return {certs: [], missing: false}; },
                                                      function () { return {certs: [], missing: true}; });
    });
  }

  function signWithPlugin(thumbprint, challenge) {
    var cp = window.cadesplugin;
    return Promise.resolve(cp).then(function () {
      return cp.CreateObjectAsync("CAdESCOM.Store");
    }).then(function (store) {
      return store.Open(cp.CAPICOM_CURRENT_USER_STORE, cp.CAPICOM_MY_STORE,
                        cp.CAPICOM_STORE_OPEN_MAXIMUM_ALLOWED).then(function () {
        return store.Certificates;
      }).then(function (all) {
        return all.Find(cp.CAPICOM_CERTIFICATE_FIND_SHA1_HASH, thumbprint);
      }).then(function (found) {
        return found.Item(1);
      }).then(function (cert) {
        return cp.CreateObjectAsync("CAdESCOM.CPSigner").then(function (signer) {
          return signer.propset_Certificate(cert).then(function () {
            return signer.propset_Options(cp.CAPICOM_CERTIFICATE_INCLUDE_END_ENTITY_ONLY);
          }).then(function () { return signer; });
        });
      }).then(function (signer) {
        return cp.CreateObjectAsync("CAdESCOM.CadesSignedData").then(function (data) {
          /* binary encoding BEFORE the content: otherwise the plug-in signs UTF-16LE */
          return data.propset_ContentEncoding(cp.CADESCOM_BASE64_TO_BINARY).then(function () {
            return data.propset_Content(btoa(challenge));
          }).then(function () { return data.SignCades(signer, cp.CADESCOM_CADES_BES, true); });
        });
      }).then(function (signature) { store.Close(); return signature; },
              function (error) { store.Close(); throw error; });
    });
  }

  function sign(choice, challenge) {
    if (choice === DEV) {
      return post("/dev/sign", {challenge: challenge}).then(function (r) { return r.signature; });
    }
    return signWithPlugin(choice, challenge);
  }

  /* The plug-in's error when the user closes the PIN dialog: SCARD_W_CANCELLED_BY_USER. */
  var CANCELLED = /0x8010006E/i;
  var CANCELLED_TEXT = "Ввод PIN-кода отменён, вход не выполнен. Чтобы войти, нажмите «Войти» и введите PIN-код " +
    "носителя ключа.";

  function fail(message, serial) {
    document.getElementById("login-error-text").textContent = message;
    document.getElementById("login-error-serial").textContent = serial ? "s/n: " + serial : "";
    show("login-error", true);
    document.getElementById("login-submit").disabled = false;
  }

  function submit(event) {
    event.preventDefault();
    var chosen = document.querySelector("input[name=cert]:checked");
    if (!chosen) { return; }
    show("login-error", false);
    document.getElementById("login-submit").disabled = true;
    post("/login/challenge", {}).then(function (issued) {
      if (!issued.challenge) { throw {message: issued.message}; }
      return sign(chosen.value, issued.challenge).then(function (signature) {
        return post("/login", {challenge_id: issued.id, signature: signature, next: root.getAttribute("data-next")});
      });
    }).then(function (result) {
      if (result.ok) { window.location.assign(result.redirect || "/"); return; }
      fail(result.message, result.serial);
    }).catch(function (error) {
      var message = error && error.message;
      fail(CANCELLED.test(message || "") ? CANCELLED_TEXT
           : message || "Не удалось подписать данные. Проверьте носитель ключа и повторите вход.");
    });
  }

  pluginCertificates().then(function (found) {
    var certs = found.certs;
    var list = document.getElementById("login-certs");
    if (root.getAttribute("data-dev-login")) {
      addCert(list, DEV, "ТЕСТОВЫЙ СЕРТИФИКАТ (режим разработки)", "без токена", true);
    }
    certs.forEach(function (cert, index) {
      addCert(list, cert.thumbprint, cert.name, cert.thumbprint + "  " + day(cert.validFrom) + " – " + day(cert.validTo),
              index === 0 && !list.children.length);
    });
    show("login-loading", false);
    if (!list.children.length) { show("login-no-plugin", found.missing); show("login-none", true); return; }
    show("login-form", true);
    document.getElementById("login-form").addEventListener("submit", submit);
  });
}());
