// Progressive enhancement only: the page works without this file.
// Tapping a dissatisfied level opens the details on the same page instead of
// submitting at once; any submit disables the buttons so one tap stores one rating.
(function () {
  var f = document.getElementById("f"), more = document.getElementById("more");
  if (!f || !more) return;
  var send = document.getElementById("send");
  f.addEventListener("click", function (e) {
    var b = e.target.closest ? e.target.closest("button.lv") : null;
    if (!b) return;
    var v = +b.value;
    var all = f.querySelectorAll("button.lv");
    for (var i = 0; i < all.length; i++) all[i].classList.toggle("on", all[i] === b);
    if (v <= 2) {
      e.preventDefault();
      more.hidden = false;
      more.disabled = false;
      send.value = v;
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
  f.addEventListener("submit", function () {
    setTimeout(function () {
      var bs = f.querySelectorAll("button");
      for (var i = 0; i < bs.length; i++) bs[i].disabled = true;
    }, 0);
  });
})();
