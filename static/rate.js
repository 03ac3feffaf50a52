// Progressive enhancement only: the page works without this file.
// A dissatisfied tap is stored at once (so a citizen who closes the page has rated), then
// the details open on the same page and amend that rating by its receipt. The phone and
// consent are checked here before sending, with the message beside the field.
(function () {
  var f = document.getElementById("f"), more = document.getElementById("more");
  if (!f || !more) return;
  var send = document.getElementById("send"), rin = document.getElementById("receipt-in");
  var stored = document.getElementById("stored");
  var phone = document.getElementById("phone"), consent = document.getElementById("consent");

  function fieldMsg(input, key, bad) {
    var p = document.getElementById(input.id + "-err");
    p.textContent = bad ? more.getAttribute("data-msg-" + key) : "";
    p.hidden = !bad;
    if (bad) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    return bad;
  }
  // The server's rule (rating/crypto.py normalize_phone), after NFKC as the server does.
  function phoneOk(v) {
    v = (v.normalize ? v.normalize("NFKC") : v).replace(/[\s\-()]/g, "").replace(/^(\+86|0086)/, "");
    return /^1[3-9][0-9]{9}$/.test(v) || /^0[0-9]{9,11}$/.test(v);
  }
  function detailsOk() {
    var v = phone.value.trim();
    var badPhone = fieldMsg(phone, "phone", v !== "" && !phoneOk(v));
    var badConsent = fieldMsg(consent, "consent", v !== "" && !badPhone && !consent.checked);
    if (badPhone) phone.focus();
    else if (badConsent) consent.focus();
    return !badPhone && !badConsent;
  }
  // Cleared while typing ("input"), not on leaving the field: a message vanishing at the
  // tap on the send button would move the button from under the finger.
  phone.addEventListener("input", function () {
    if (!phone.value.trim() || phoneOk(phone.value.trim())) fieldMsg(phone, "phone", false);
  });
  consent.addEventListener("change", function () {
    if (consent.checked) fieldMsg(consent, "consent", false);
  });

  // Store the tap now: level, stamp and language only (details come later, by receipt).
  function store(level) {
    var body = new URLSearchParams();
    ["t", "lang", "website", "receipt"].forEach(function (n) {
      var el = f.elements[n];
      if (el && el.value) body.append(n, el.value);
    });
    body.append("level", level);
    stored.textContent = "";
    return fetch(f.action, {
      method: "POST", body: body, credentials: "same-origin", keepalive: true,
      headers: { Accept: "application/json" }
    }).then(function (r) { return r.json(); }).then(function (j) {
      if (j && j.ok && j.receipt) {
        rin.value = j.receipt;
        stored.textContent = stored.getAttribute("data-msg") + " " + j.receipt_display;
      }
    }, function () { /* not stored: the details post below sends the rating itself */ });
  }

  var levels = f.querySelectorAll("button.lv");
  f.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button.lv") : null;
    if (!b) return;
    var v = +b.value;
    for (var i = 0; i < levels.length; i++) levels[i].classList.toggle("on", levels[i] === b);
    if (v <= 2) {
      e.preventDefault();
      more.hidden = false;
      more.disabled = false;
      send.value = v;
      if (rin) store(v);
      more.scrollIntoView({ behavior: "smooth" });
    } else {
      more.disabled = true;
    }
  });
  // Enter (the keyboard's "Go") in the phone field would submit the form's first button,
  // "very satisfied", the opposite of what this citizen means: send the details instead.
  f.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.target.tagName !== "INPUT") return;
    e.preventDefault();
    if (!more.hidden) send.click();
  });
  f.addEventListener("submit", function (e) {
    if (e.submitter === send && !detailsOk()) {
      e.preventDefault();
      return;
    }
    setTimeout(function () {
      var bs = f.querySelectorAll("button");
      for (var i = 0; i < bs.length; i++) bs[i].disabled = true;
    }, 0);
  });
})();
