/* Test-only stand-in for the CryptoPro ЭЦП Browser plug-in 2.x in Chromium. tests/browser/plugin.py injects it
   with Playwright's add_init_script; the gateway never serves it.

   In a real browser the page's cadesplugin_api.js (bundled in npm crypto-pro) appends the extension's script
   chrome-extension://iifchhfnnmpdbibifmljnfjhpififfog/nmcades_plugin_api.js, trades the messages
   "cadesplugin_echo_request" / "cadesplugin_loaded" with the extension and calls
   cpcsp_chrome_nmcades.check_chrome_plugin(), which hands over the plug-in object (cadesplugin.set) and
   resolves the cadesplugin promise. This script plays the extension and the native host behind it, so
   CryptoPro's own cadesplugin_api.js runs unchanged (its constants, async_spawn, CreateObjectAsync).

   Objects have the shape nmcades_plugin_api.js gives them: every property is a getter returning a promise,
   with a propset_<Name>() method beside it; methods return promises; anything else is undefined, so calling
   a misspelt method throws a TypeError as in the real plug-in. The host's refusals reject with an Error
   whose message is the CSP's text with its code, "… (0x80070057)". Arguments left out or undefined take
   the COM defaults. SignCades asks the Python test signer (Playwright binding config.binding) for the CMS
   over the bytes the real plug-in would sign. */
(function (config) {
  "use strict";
  var EXTENSION_SCRIPT = "chrome-extension://iifchhfnnmpdbibifmljnfjhpififfog/nmcades_plugin_api.js";

  // Refusals as the CSP words them (Windows texts and codes where the plug-in passes those on).
  var INVALID_ARG = "Параметр задан неверно. (0x80070057)";            // E_INVALIDARG
  var BAD_CLASS = "Недопустимая строка с указанием класса. (0x800401F3)"; // CO_E_CLASSSTRING
  var BAD_DATA = "Недопустимые данные. (0x8007000D)";                    // ERROR_INVALID_DATA
  var NO_KEY = "Набор ключей не существует. (0x80090016)";               // NTE_BAD_KEYSET
  var STORE_CLOSED = "Хранилище сертификатов не открыто.";
  var READ_ONLY = "Свойство доступно только для чтения.";
  var NO_SIGNER_CERT = "Не задан сертификат подписи (CPSigner.Certificate).";
  var NO_CONTENT = "Не заданы данные для подписи (CadesSignedData.Content).";
  var NO_TSA = "Не задан адрес службы штампов времени (CPSigner.TSAAddress).";

  // Constant values of cadesplugin_api.js the host checks arguments against.
  var CURRENT_USER_STORE = 2, STORE_LOCATIONS = [0, 1, 2, 3, 4, 100];
  var FIND_SHA1_HASH = 0, FIND_SUBJECT_NAME = 1, FIND_ISSUER_NAME = 2, FIND_EXTENDED_PROPERTY = 6,
      FIND_TIME_VALID = 9, PROPID_KEY_PROV_INFO = 2;
  var STRING_TO_UCS2LE = 0, BASE64_TO_BINARY = 1;
  var CADES_DEFAULT = 0, CADES_BES = 1, CADES_T = 5, CADES_X_LONG_TYPE_1 = 0x5d, PKCS7_TYPE = 0xffff;
  var ENCODE_BASE64 = 0;

  var nextId = 1;
  var objects = {};  // objid -> host object

  function fault(message) { return new Error(message); }

  function journal(event) {  // what the test reads back (stores opened and closed)
    var record = window[config.journal];
    if (record) { record(event).catch(function () {}); }
  }

  /* The host answers through the extension: later, never synchronously. */
  function later(work) {
    return new Promise(function (resolve, reject) {
      setTimeout(function () {
        try { resolve(work()); } catch (error) { reject(error); }
      }, 0);
    });
  }

  /* An argument as nmcades_plugin_api.js sends it: plug-in objects by their objid (null throws a TypeError
     there too), dates as strings, the rest as is. */
  function marshal(value) {
    if (typeof value === "object") {
      if (value instanceof Date) { return {type: "string", value: value.toISOString()}; }
      return {type: "object", value: value["objid"]};
    }
    return {type: typeof value, value: value};
  }

  function unmarshal(arg) {
    if (arg.type !== "object") { return arg.value; }
    var host = objects[arg.value];
    if (!host) { throw fault(INVALID_ARG); }
    return host;
  }

  function result(value) {
    return value && value.kind ? viewOf(value) : value;
  }

  /* The page's view of a host object {kind, props: {Name: {get, set}}, methods: {Name: fn}}. */
  function viewOf(host) {
    if (host.view) { return host.view; }
    host.objid = nextId++;
    objects[host.objid] = host;
    var view = {objid: host.objid};
    Object.keys(host.props).forEach(function (name) {
      var prop = host.props[name];
      Object.defineProperty(view, name, {get: function () {
        return later(function () {
          if (!prop.get) { throw fault(INVALID_ARG); }
          return result(prop.get());
        });
      }});
      view["propset_" + name] = function (value) {
        var arg = marshal(value);
        return later(function () {
          if (!prop.set) { throw fault(READ_ONLY); }
          prop.set(unmarshal(arg));
        });
      };
    });
    Object.keys(host.methods).forEach(function (name) {
      view[name] = function () {
        var args = Array.prototype.map.call(arguments, marshal);
        return later(function () { return result(host.methods[name].apply(host, args.map(unmarshal))); });
      };
    });
    host.view = view;
    return view;
  }

  function given(value, otherwise) { return value === undefined ? otherwise : value; }

  function integer(value, allowed) {
    if (typeof value !== "number" || Math.floor(value) !== value || (allowed && allowed.indexOf(value) < 0)) {
      throw fault(INVALID_ARG);
    }
    return value;
  }

  function readOnly(value) { return {get: function () { return value; }}; }

  /* ---- CAdESCOM.About ---- */

  function version(text) {
    var parts = text.split(".").map(Number);
    return {kind: "Version", props: {MajorVersion: readOnly(parts[0]), MinorVersion: readOnly(parts[1]),
                                     BuildVersion: readOnly(parts[2])},
            methods: {toString: function () { return text; }}};
  }

  function about() {
    return {kind: "About",
            props: {Version: readOnly(config.versions.plugin),
                    PluginVersion: readOnly(version(config.versions.plugin))},
            methods: {CSPVersion: function () { return version(config.versions.csp); },
                      CSPName: function () { return "Crypto-Pro GOST R 34.10-2012 Cryptographic Service Provider"; }}};
  }

  /* ---- certificates ---- */

  function certificate(record) {
    return {kind: "Certificate", record: record,
            props: {Thumbprint: readOnly(record.thumbprint), SubjectName: readOnly(record.subject),
                    IssuerName: readOnly(record.issuer), SerialNumber: readOnly(record.serial),
                    ValidFromDate: readOnly(record.validFrom), ValidToDate: readOnly(record.validTo),
                    Version: readOnly(3)},
            methods: {
              HasPrivateKey: function () { return record.key; },
              IsValid: function () {
                var now = Date.now();
                var valid = Date.parse(record.validFrom) <= now && now <= Date.parse(record.validTo);
                return {kind: "CertificateStatus", props: {Result: readOnly(valid)}, methods: {}};
              },
              Export: function (encoding) {
                integer(given(encoding, ENCODE_BASE64), [ENCODE_BASE64]);
                return record.der;
              },
              GetInfo: function (type) {
                var which = integer(type, [0, 1]);  // CAPICOM_CERT_INFO_SUBJECT/ISSUER_SIMPLE_NAME
                var name = which ? record.issuer : record.subject;
                var cn = /(?:^|, )CN=("(?:[^"]|"")*"|[^,]*)/.exec(name);
                return cn ? cn[1].replace(/^"|"$/g, "").replace(/""/g, "\"") : "";
              }
            }};
  }

  function timeValid(record, at) {
    return Date.parse(record.validFrom) <= at && at <= Date.parse(record.validTo);
  }

  function collection(records) {
    var certs = records.map(function (record) { return record.host || (record.host = certificate(record)); });
    return {kind: "Certificates", props: {Count: {get: function () { return certs.length; }}},
            methods: {
              Item: function (index) {
                if (typeof index !== "number" || index < 1 || index > certs.length) { throw fault(INVALID_ARG); }
                return certs[index - 1];
              },
              Find: function (type, criteria, validOnly) {
                var found;
                integer(type);
                if (type === FIND_SHA1_HASH) {
                  if (typeof criteria !== "string") { throw fault(INVALID_ARG); }
                  var wanted = criteria.replace(/\s/g, "").toUpperCase();
                  found = certs.filter(function (c) { return c.record.thumbprint === wanted; });
                } else if (type === FIND_SUBJECT_NAME || type === FIND_ISSUER_NAME) {
                  if (typeof criteria !== "string") { throw fault(INVALID_ARG); }
                  found = certs.filter(function (c) {
                    var name = type === FIND_SUBJECT_NAME ? c.record.subject : c.record.issuer;
                    return name.toLowerCase().indexOf(criteria.toLowerCase()) >= 0;
                  });
                } else if (type === FIND_TIME_VALID) {
                  var at = criteria === undefined ? Date.now() : Date.parse(criteria);
                  if (isNaN(at)) { throw fault(INVALID_ARG); }
                  found = certs.filter(function (c) { return timeValid(c.record, at); });
                } else if (type === FIND_EXTENDED_PROPERTY) {
                  if (criteria !== PROPID_KEY_PROV_INFO) {
                    throw fault("stand-in: Find by property " + criteria + " is not modelled");
                  }
                  found = certs.filter(function (c) { return c.record.key; });
                } else {
                  throw fault("stand-in: Find type " + type + " is not modelled");
                }
                if (validOnly) { found = found.filter(function (c) { return timeValid(c.record, Date.now()); }); }
                return collection(found.map(function (c) { return c.record; }));
              }
            }};
  }

  /* ---- CAdESCOM.Store: the token's certificates are in the current user's "My" store ---- */

  function store() {
    var opened = null;
    var host = {kind: "Store", props: {
      Certificates: {get: function () {
        if (!opened) { throw fault(STORE_CLOSED); }
        var mine = opened.location === CURRENT_USER_STORE && opened.name.toLowerCase() === "my";
        return collection(mine ? config.certificates : []);
      }},
      Location: {get: function () { return opened ? opened.location : CURRENT_USER_STORE; }},
      Name: {get: function () { return opened ? opened.name : ""; }}
    }, methods: {
      Open: function (location, name, mode) {
        location = integer(given(location, CURRENT_USER_STORE), STORE_LOCATIONS);
        name = given(name, "My");
        mode = integer(given(mode, 0));
        if (typeof name !== "string" || !name || (mode & 3) === 3) { throw fault(INVALID_ARG); }
        opened = {location: location, name: name};
        journal({op: "open", store: host.objid});
      },
      Close: function () {
        if (opened) { journal({op: "close", store: host.objid}); }
        opened = null;
      }
    }};
    return host;
  }

  /* ---- CAdESCOM.CPSigner ---- */

  function signer() {
    var state = {certificate: null, options: 0 /* CAPICOM_CERTIFICATE_INCLUDE_CHAIN_EXCEPT_ROOT */, tsa: "",
                 check: false};
    return {kind: "CPSigner", state: state, props: {
      Certificate: {get: function () { return state.certificate; }, set: function (value) {
        if (!value || value.kind !== "Certificate") { throw fault(INVALID_ARG); }
        state.certificate = value;
      }},
      Options: {get: function () { return state.options; },
                set: function (value) { state.options = integer(value, [0, 1, 2]); }},
      TSAAddress: {get: function () { return state.tsa; }, set: function (value) {
        if (typeof value !== "string") { throw fault(INVALID_ARG); }
        state.tsa = value;
      }},
      CheckCertificate: {get: function () { return state.check; }, set: function (value) {
        if (typeof value !== "boolean") { throw fault(INVALID_ARG); }
        state.check = value;
      }},
      KeyPin: {set: function (value) {
        if (typeof value !== "string") { throw fault(INVALID_ARG); }
      }}
    }, methods: {}};
  }

  /* ---- CAdESCOM.CadesSignedData: Content is converted when it is set, with the encoding set by then ---- */

  function utf16le(text) {
    var bytes = "";
    for (var i = 0; i < text.length; i++) {
      var unit = text.charCodeAt(i);
      bytes += String.fromCharCode(unit & 0xff, unit >> 8);
    }
    return bytes;
  }

  /* Base64 as CryptBinaryToString writes it: lines of 64 characters ending in CR LF. */
  function base64Lines(text) {
    return text.replace(/\s/g, "").replace(/.{1,64}/g, "$&\r\n");
  }

  function signedData() {
    var state = {encoding: STRING_TO_UCS2LE, content: null, text: ""};
    return {kind: "CadesSignedData", props: {
      ContentEncoding: {get: function () { return state.encoding; },
                        set: function (value) {
                          state.encoding = integer(value, [STRING_TO_UCS2LE, BASE64_TO_BINARY]);
                        }},
      Content: {get: function () { return state.text; }, set: function (value) {
        if (typeof value !== "string") { throw fault(INVALID_ARG); }
        if (state.encoding === BASE64_TO_BINARY) {
          try { state.content = atob(value.replace(/[\r\n]/g, "")); } catch (e) { throw fault(BAD_DATA); }
        } else {
          state.content = utf16le(value);
        }
        state.text = value;
      }}
    }, methods: {
      SignCades: function (cpSigner, type, detached, encoding) {
        if (!cpSigner || cpSigner.kind !== "CPSigner") { throw fault(INVALID_ARG); }
        type = integer(given(type, CADES_DEFAULT),
                       [CADES_DEFAULT, CADES_BES, CADES_T, CADES_X_LONG_TYPE_1, PKCS7_TYPE]);
        detached = given(detached, false);
        if (typeof detached !== "boolean") { throw fault(INVALID_ARG); }
        integer(given(encoding, ENCODE_BASE64), [ENCODE_BASE64]);
        var cert = cpSigner.state.certificate;
        if (!cert) { throw fault(NO_SIGNER_CERT); }
        if (state.content === null) { throw fault(NO_CONTENT); }
        if (type !== CADES_BES && type !== PKCS7_TYPE && !cpSigner.state.tsa) { throw fault(NO_TSA); }
        if (type !== CADES_BES && type !== PKCS7_TYPE) { throw fault("stand-in: CAdES-T/X Long are not modelled"); }
        if (!cert.record.key) { throw fault(NO_KEY); }
        return window[config.binding](cert.record.thumbprint, btoa(state.content),
                                      {type: type, detached: detached, include: cpSigner.state.options})
          .then(function (answer) {
            if (answer.error) { throw fault(answer.error); }
            return base64Lines(answer.signature);
          });
      }
    }};
  }

  var CLASSES = {
    "cadescom.about": about,
    "cadescom.store": store,
    "cadescom.cpsigner": signer,
    "cadescom.cadessigneddata": signedData
  };

  /* ---- the extension: cpcsp_chrome_nmcades and the content script's answers ---- */

  function createPluginObject() {
    return later(function () {
      return {objid: nextId++, CreateObjectAsync: function (name) {
        return later(function () {
          var make = typeof name === "string" && CLASSES[name.toLowerCase()];
          if (!make) { throw fault(BAD_CLASS); }
          return viewOf(make());
        });
      }};
    });
  }

  var extension = {
    check_chrome_plugin: function (loaded, failed) {
      createPluginObject().then(function (plugin) {
        return plugin.CreateObjectAsync("CAdESCOM.About").then(function () {
          window.cadesplugin.set(plugin);
          loaded();
        });
      }).catch(function () { failed("Плагин недоступен"); });
    },
    CreatePluginObject: createPluginObject,
    ReleasePluginObjects: function () { return later(function () { return true; }); }
  };

  var appendChild = Node.prototype.appendChild;
  Node.prototype.appendChild = function (node) {
    if (node instanceof HTMLScriptElement && node.src === EXTENSION_SCRIPT) {  // the extension's script "loads"
      window.cpcsp_chrome_nmcades = window.cpcsp_chrome_nmcades || extension;
      setTimeout(function () { if (node.onload) { node.onload(new Event("load")); } }, 0);
      return node;
    }
    return appendChild.call(this, node);
  };

  window.addEventListener("message", function (event) {
    if (event.source !== window) { return; }
    if (event.data === "cadesplugin_echo_request") { window.postMessage("cadesplugin_loaded", "*"); }
    if (event.data === "cadesplugin_extension_version_request") {
      window.postMessage("cadesplugin_extension_version_response:" + config.versions.extension, "*");
    }
  });
}(__OZSP_PLUGIN_CONFIG__));
