// trama console: live updates. A page with data-live names a stream of server-sent events; on "change"
// the page is fetched again and its live parts are swapped in, leaving alone a form someone is typing in.
// Without this script the page refreshes itself (see the <noscript> in the layout).
(function () {
  "use strict";
  var main = document.querySelector("main[data-live]");
  if (!main || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var status = document.getElementById("live-status");
  var busy = false, again = false;

  function typing(part) {
    var a = document.activeElement;
    return a && part.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName) && a.type !== "submit";
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var parts = main.querySelectorAll("[data-live-part]");
        for (var i = 0; i < parts.length; i++) {
          var old = parts[i], fresh = doc.getElementById(old.id);
          if (!fresh || typing(old)) continue;
          // Keep open what the reader opened.
          var open = {};
          old.querySelectorAll("details[id]").forEach(function (d) { open[d.id] = d.open; });
          fresh.querySelectorAll("details[id]").forEach(function (d) { if (d.id in open) d.open = open[d.id]; });
          old.replaceWith(document.importNode(fresh, true));
        }
        var freshMain = doc.querySelector("main[data-live]");
        if (!freshMain) { stream.close(); }
        if (status) status.textContent = "Updated at " + new Date().toISOString().slice(11, 19) + " UTC.";
      })
      .catch(function () {})
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }

  var stream = new EventSource(main.getAttribute("data-live"));
  stream.addEventListener("change", refresh);
})();
