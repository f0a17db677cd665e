// The coordinators' panel: reads Telegram's initData, loads each page's HTML from the
// server with it, sends card moves and asks for downloads. No inline scripts anywhere (the
// CSP forbids them).
(function () {
  "use strict";

  var tg = window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  // Telegram opens the page with "#tgWebAppData=<initData>&tgWebAppThemeParams=...";
  // telegram-web-app.js reads the same fragment. Without it (tests, a plain browser) the
  // fragment is read here.
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var initData = (tg && tg.initData) || fragment.get("tgWebAppData") || "";
  var app = document.getElementById("app");
  var current = { view: "overview", params: {} };
  var loads = 0;

  function applyTheme(params) {
    var root = document.documentElement;
    Object.keys(params || {}).forEach(function (key) {
      root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), params[key]);
    });
  }

  if (tg) {
    tg.ready();
    tg.expand();
    applyTheme(tg.themeParams);
    tg.onEvent("themeChanged", function () { applyTheme(tg.themeParams); });
  } else if (fragment.get("tgWebAppThemeParams")) {
    try { applyTheme(JSON.parse(fragment.get("tgWebAppThemeParams"))); } catch (e) { /* none */ }
  }

  function show(id) {
    app.hidden = true;
    document.getElementById(id).hidden = false;
    document.body.dataset.state = id;
  }

  function toast(text) {
    var box = document.getElementById("toast");
    box.textContent = text || "";
    box.hidden = !text;
    window.clearTimeout(toast.timer);
    toast.timer = window.setTimeout(function () { box.hidden = true; }, 4000);
  }

  function request(url, options) {
    options = options || {};
    options.headers = options.headers || {};
    options.headers.Authorization = "tma " + initData;
    options.credentials = "omit";
    options.cache = "no-store";
    return fetch(url, options);
  }

  function load(view, params) {
    var query = new URLSearchParams(params || {}).toString();
    return request("api/view/" + encodeURIComponent(view) + (query ? "?" + query : ""))
      .then(function (response) {
        if (response.status === 401) { show("denied"); return; }
        return response.text().then(function (html) {
          if (!response.ok && response.status !== 403) { show("failed"); return; }
          current = { view: view, params: params || {} };
          app.innerHTML = html;  // the server's HTML, escaped there (Jinja2 autoescape)
          loads += 1;
          document.body.dataset.shown = view;
          document.body.dataset.loads = String(loads);
          document.body.dataset.state = response.ok ? "ready" : "forbidden";
          var tab = app.querySelector("nav .active");
          if (tab) { tab.scrollIntoView({ block: "nearest", inline: "nearest" }); }
        });
      })
      .catch(function () { show("failed"); });
  }

  function move(id, body) {
    return request("api/contributions/" + encodeURIComponent(id) + "/status", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 401) { show("denied"); return; }
      return response.json().then(function (data) {
        toast(data.message);
        return load(current.view, current.params);
      });
    }).catch(function () { show("failed"); });
  }

  function failedText() {
    return document.getElementById("failed").textContent;
  }

  // A file: Telegram's own download (Bot API 8.0+; on phones a page cannot save a file
  // itself), else the browser opens the link (the server sends it as an attachment).
  function save(url, name) {
    if (tg && typeof tg.downloadFile === "function" && tg.isVersionAtLeast &&
        tg.isVersionAtLeast("8.0") && url.indexOf("https:") === 0) {
      try {
        tg.downloadFile({ url: url, file_name: name });
        return;
      } catch (e) { /* refused (an older client, a popup open): the link itself below */ }
    }
    window.location.assign(url);
  }

  // The server checks who asks and answers a link valid for a few minutes: a download
  // cannot carry the initData header itself.
  function download(button) {
    var path = "api/downloads/" + encodeURIComponent(button.dataset.download) +
      (button.dataset.id ? "/" + encodeURIComponent(button.dataset.id) : "");
    button.disabled = true;
    return request(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}"
    }).then(function (response) {
      if (response.status === 401) { show("denied"); return; }
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok || !data.ok) { toast(data.message || failedText()); return; }
        save(new URL(data.url, document.baseURI).href, data.file_name);
      });
    }).catch(function () { toast(failedText()); })
      .then(function () { button.disabled = false; });
  }

  function paramsOf(element) {
    var params = {};
    Object.keys(element.dataset).forEach(function (key) {
      if (key !== "view") { params[key] = element.dataset[key]; }
    });
    return params;
  }

  app.addEventListener("click", function (event) {
    var target = event.target.closest("[data-view]");
    if (target) { load(target.dataset.view, paramsOf(target)); return; }
    var button = event.target.closest("[data-move]");
    if (button) {
      button.disabled = true;
      move(button.dataset.move, { status: button.dataset.status });
      return;
    }
    var file = event.target.closest("[data-download]");
    if (file && !file.disabled) { download(file); }
  });

  app.addEventListener("submit", function (event) {
    var form = event.target;
    event.preventDefault();
    if (form.dataset.reject) {
      move(form.dataset.reject, { status: "rejected", reason: form.elements.reason.value });
      return;
    }
    if (form.dataset.form) {
      var params = {};
      new FormData(form).forEach(function (value, key) { if (value) { params[key] = value; } });
      load(form.dataset.form, params);
    }
  });

  app.addEventListener("change", function (event) {
    var form = event.target.form;
    if (event.target.tagName === "SELECT" && form && form.dataset.form) { form.requestSubmit(); }
  });

  if (!initData) { show("denied"); } else { load("overview", {}); }
}());
