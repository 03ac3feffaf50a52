// Pingjing kiosk: the tablet at a service window. Every tap goes into a queue in
// localStorage first (with its own idempotency key and tap time), then the queue is sent
// in order. A network failure leaves the tap queued: it survives reloads and is sent when
// the network returns; the server stores each key once, so a resend is harmless.
// The screen after a tap is the same for every level, and nothing keeps what was pressed.
(function () {
  "use strict";
  var T = {
    zh: {
      setup_title: "本设备尚未登记为评价终端",
      setup_body: "请管理员用登记网址打开本页面。",
      revoked: "本评价终端已停用，请联系管理员。",
      enroll_bad: "登记网址无效、已使用或已过期，请管理员重新生成。",
      signin_title: "民警登录", badge_no: "警号", pin: "密码", signin: "登录",
      cancel: "返回评价", signout: "退出登录", staff: "民警登录",
      wrong_pin: "警号或密码错误", locked: "密码错误次数过多，请15分钟后再试",
      need_net: "网络未连接，登录需要联网", you_rate: "您正在评价",
      signout_hint: "退出登录：请当前民警输入密码后点“退出登录”。",
      signout_pin: "请输入当前民警的密码", signout_wrong: "当前民警的密码错误",
      question: "您对本次服务满意吗？", thanks: "感谢您的评价！",
      thanks_body: "如需留言或回访，请用手机扫描民警工作证上的二维码。",
      queued: " 条评价待上传", police: "民警", auxiliary: "辅警", badge: "警号", lang: "English"
    },
    en: {
      setup_title: "This tablet is not registered as a kiosk",
      setup_body: "Ask an administrator to open this page with the enrolment URL.",
      revoked: "This kiosk has been withdrawn; please contact an administrator.",
      enroll_bad: "The enrolment URL is invalid, used or expired; ask for a new one.",
      signin_title: "Officer sign-in", badge_no: "Badge no.", pin: "PIN", signin: "Sign in",
      cancel: "Back to rating", signout: "Sign out", staff: "Officer sign-in",
      wrong_pin: "Wrong badge number or PIN", locked: "Too many wrong PINs; try in 15 minutes",
      need_net: "No network: signing in needs the network", you_rate: "You are rating",
      signout_hint: "To sign out, the officer on duty enters their PIN, then taps Sign out.",
      signout_pin: "Enter the PIN of the officer on duty", signout_wrong: "Wrong PIN for the officer on duty",
      question: "How satisfied are you with this service?", thanks: "Thank you for your rating!",
      thanks_body: "To add a comment or ask for a call back, scan the QR code on the officer's badge with your phone.",
      queued: " rating(s) waiting to upload", police: "Police officer",
      auxiliary: "Auxiliary officer", badge: "Badge no.", lang: "中文"
    }
  };
  var LEVELS = {
    zh: { 5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意" },
    en: { 5: "Very satisfied", 4: "Satisfied", 3: "Basically satisfied", 2: "Dissatisfied",
      1: "Very dissatisfied" }
  };
  var TOKEN = "pj_kiosk_token", STATE = "pj_kiosk_state", QUEUE = "pj_kiosk_queue";
  var IDLE_MS = 20000, RETRY_MS = 15000, STATE_MS = 60000;
  // Refusals that a resend cannot change: bad input, not on duty, retired, too soon.
  var FINAL = [400, 409, 410, 413, 415, 429];
  var interval = +document.body.getAttribute("data-interval-ms") || 0;
  // The thank-you screen outlasts the server's minimum interval between taps.
  var THANKS_MS = Math.max(4000, interval + 500);
  var lang = "zh", screen = "", setupKey = "setup_body", flushing = false;
  var idleTimer = 0, thanksTimer = 0;

  function $(id) { return document.getElementById(id); }
  function load(key, fallback) {
    try { var v = localStorage.getItem(key); return v ? JSON.parse(v) : fallback; }
    catch (e) { return fallback; }
  }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function queue() { return load(QUEUE, []); }
  function newKey() {
    // crypto.getRandomValues works on plain http too (randomUUID needs a secure context).
    var b = new Uint8Array(16), s = "";
    crypto.getRandomValues(b);
    for (var i = 0; i < b.length; i++) s += ("0" + b[i].toString(16)).slice(-2);
    return s;
  }

  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    var token = localStorage.getItem(TOKEN);
    if (token) headers.Authorization = "Bearer " + token;
    if (body) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: method, headers: headers, cache: "no-store", credentials: "omit",
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        j.status = r.status; return j;
      });
    });
  }

  function show(name) {
    screen = name;
    var all = document.querySelectorAll(".screen");
    for (var i = 0; i < all.length; i++) all[i].hidden = all[i].id !== name;
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
  }

  function applyLang() {
    var t = T[lang];
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    var els = document.querySelectorAll("[data-t]");
    for (var i = 0; i < els.length; i++) els[i].textContent = t[els[i].getAttribute("data-t")];
    $("setup-msg").textContent = t[setupKey];
    var bs = document.querySelectorAll("button.lv");
    for (var j = 0; j < bs.length; j++) bs[j].textContent = LEVELS[lang][bs[j].getAttribute("data-level")];
    $("lang").textContent = t.lang;
    var o = (load(STATE, {}) || {}).officer;
    $("o-name").textContent = o ? o.name : "";
    $("o-line").textContent = o ? t[o.kind] + " · " + t.badge + " " + o.badge_no + " · " + o.unit : "";
    status();
  }

  function status() {
    var n = queue().length, net = $("net");
    net.hidden = n === 0;
    net.textContent = n ? n + T[lang].queued : "";
  }

  function officer() { return (load(STATE, {}) || {}).officer; }

  // Back to the start for the next citizen: Chinese, the rating screen, nothing filled in.
  function reset() {
    clearTimeout(thanksTimer);
    lang = "zh";
    $("signin-form").reset();
    $("signin-msg").textContent = "";
    if (!localStorage.getItem(TOKEN)) show("setup");
    else show(officer() ? "rate" : "signin");
    $("signin-cancel").hidden = $("signout").hidden = $("signout-hint").hidden = true;
    applyLang();
  }

  function unregistered(key) {
    setupKey = key;
    applyLang();
    show("setup");
  }

  function flush() {
    if (flushing) return;
    var q = queue();
    status();
    if (!q.length || !localStorage.getItem(TOKEN)) return;
    // The browser knows it has no network: do not try; its "online" event sends at once.
    if (navigator.onLine === false) return;
    flushing = true;
    var item = q[0];
    api("POST", "/api/v1/kiosk/ratings", {
      key: item.key, officer: item.officer, level: item.level, lang: item.lang,
      tapped_at: item.tapped_at, sent_at: Date.now()
    }).then(function (r) {
      flushing = false;
      if (r.status === 401 || r.status === 403) { unregistered("revoked"); return; }
      // Off the queue only when stored (or already stored under this key), or refused for
      // good by the kiosk API itself. Anything else (a proxy's 404 or 502, a captive
      // portal's 200 page) is not an answer from Pingjing: keep the tap and try later.
      var stored = r.ok === true && !!r.receipt;
      var refused = r.ok === false && FINAL.indexOf(r.status) >= 0;
      if (!stored && !refused) { status(); return; }
      save(QUEUE, queue().filter(function (i) { return i.key !== item.key; }));
      flush();
    }, function () { flushing = false; status(); });
  }

  function tap(level) {
    var o = officer();
    if (screen !== "rate" || !o) return;
    var q = queue();
    q.push({ key: newKey(), officer: o.badge_no, level: level, lang: lang, tapped_at: Date.now() });
    save(QUEUE, q);
    show("thanks");
    thanksTimer = setTimeout(reset, THANKS_MS);
    flush();
  }

  function setState(j) {
    save(STATE, { kiosk: j.kiosk, officer: j.officer });
  }

  function refresh() {
    return api("GET", "/api/v1/kiosk/state").then(function (j) {
      if (j.status === 401 || j.status === 403) { unregistered("revoked"); return; }
      if (j.status === 200) {
        var before = officer();
        setState(j);
        var after = officer();
        // Reset only for a change of officer: never under a citizen's fingers.
        var changed = (before && before.badge_no) !== (after && after.badge_no);
        if (screen === "setup" || (changed && screen !== "thanks")) reset();
      }
    }, function () { /* offline: keep the cached state */ });
  }

  function enroll(code) {
    history.replaceState(null, "", location.pathname);
    return api("POST", "/api/v1/kiosk/enroll", { code: code }).then(function (j) {
      if (j.status === 201 && j.token) {
        localStorage.setItem(TOKEN, j.token);
        setState(j);
        reset();
      } else unregistered("enroll_bad");
    }, function () { unregistered("enroll_bad"); });
  }

  function signin(e) {
    e.preventDefault();
    var msg = $("signin-msg");
    api("POST", "/api/v1/kiosk/signin", { badge_no: $("badge").value.trim(), pin: $("pin").value })
      .then(function (j) {
        if (j.status === 200) { setState(j); reset(); return; }
        $("pin").value = "";
        msg.textContent = T[lang][j.status === 429 ? "locked" : "wrong_pin"];
      }, function () { msg.textContent = T[lang].need_net; });
  }

  // Only the officer on duty can sign out, with their own PIN (or an administrator, by
  // re-enrolling the kiosk): nobody at the counter can take them off duty.
  function signout() {
    var msg = $("signin-msg"), pin = $("pin").value;
    if (!pin) { msg.textContent = T[lang].signout_pin; $("pin").focus(); return; }
    api("POST", "/api/v1/kiosk/signout", { pin: pin }).then(function (j) {
      if (j.status === 200) { setState(j); reset(); return; }
      $("pin").value = "";
      msg.textContent = T[lang][j.status === 429 ? "locked" : "signout_wrong"];
    }, function () { msg.textContent = T[lang].need_net; });
  }

  function fullscreen() {
    // Full screen needs a touch to start it (browsers refuse it otherwise); a kiosk-mode
    // browser is already full screen and this does nothing.
    var root = document.documentElement;
    if (!document.fullscreenElement && root.requestFullscreen) {
      try { root.requestFullscreen().catch(function () {}); } catch (e) { /* not allowed */ }
    }
  }

  function poke() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { if (screen !== "thanks") reset(); }, IDLE_MS);
  }

  document.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button") : null;
    if (!b) return;
    if (b.classList.contains("lv")) tap(+b.getAttribute("data-level"));
    else if (b.id === "lang") { lang = lang === "zh" ? "en" : "zh"; applyLang(); }
    else if (b.id === "staff") {
      show("signin");
      $("signin-cancel").hidden = $("signout").hidden = $("signout-hint").hidden = !officer();
    } else if (b.id === "signin-cancel") reset();
    else if (b.id === "signout") signout();
  });
  document.addEventListener("pointerdown", function () { fullscreen(); poke(); });
  document.addEventListener("keydown", poke);
  $("signin-form").addEventListener("submit", signin);
  window.addEventListener("online", flush);
  setInterval(flush, RETRY_MS);
  // Pick up an officer assigned (or signed out) by the administrator.
  setInterval(function () { if (localStorage.getItem(TOKEN) && screen === "rate") refresh(); }, STATE_MS);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/kiosk/sw.js").catch(function () {});
  }
  // The one-time enrolment URL pasted into a kiosk tab that is already open changes only
  // the hash: the page does not reload, so listen for it.
  window.addEventListener("hashchange", function () {
    var h = /^#enroll=([A-Za-z0-9_-]+)$/.exec(location.hash);
    if (h) enroll(h[1]);
  });
  var m = /^#enroll=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (m) enroll(m[1]);
  else if (!localStorage.getItem(TOKEN)) unregistered("setup_body");
  else { reset(); refresh(); }
  poke();
  flush();
})();
