/* Baken launcher (issue 18, docs/reach.md). A partner page includes it with one tag:
   <script src="https://chat.example.org/launcher.js" data-org="slug" data-campaign="code"
           data-lang="nl" defer></script>
   It adds a button that opens the helpline's entry in a new top-level tab (never a frame), and,
   where Baken lists the page's origin, whether the chat is open and the wait. No cookies, no
   storage, no requests except to Baken; nothing is written as HTML. */
(function () {
  "use strict";
  var TEXTS = __BAKEN_TEXTS__;
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;
  var attr = function (name) { return script.getAttribute("data-" + name) || ""; };
  var org = attr("org");
  var campaign = attr("campaign");
  var lang = (attr("lang") || document.documentElement.lang || "nl").toLowerCase().slice(0, 2);
  if (!TEXTS.hasOwnProperty(lang)) lang = "nl";
  var t = TEXTS[lang];
  // Only well-formed values go into the address; anything else falls back to the default entry.
  var base = origin + (/^[a-z0-9-]{1,40}$/.test(org) ? "/o/" + org : "");
  var target = /^[A-Za-z0-9-]{1,32}$/.test(campaign)
    ? base + "/c/" + campaign + "?lang=" + lang
    : base + "/?lang=" + lang;

  var box = document.createElement("div");
  box.className = "baken-launcher";
  box.lang = lang;
  if (t.dir) box.dir = t.dir;
  var button = document.createElement("button");
  button.type = "button";
  button.className = "baken-launcher__button";
  button.textContent = t.chat;
  var hint = document.createElement("span");
  hint.className = "baken-launcher__hint";
  hint.textContent = " (" + t.tab + ")";
  // Read by screen readers, not shown: a sighted user sees the new tab open.
  var hide = hint.style;
  hide.position = "absolute"; hide.width = "1px"; hide.height = "1px"; hide.overflow = "hidden";
  hide.clip = "rect(0 0 0 0)"; hide.whiteSpace = "nowrap";
  button.appendChild(hint);
  var status = document.createElement("p");
  status.className = "baken-launcher__status";
  status.id = "baken-launcher-status-" + Math.random().toString(36).slice(2);
  status.hidden = true;
  // Plain looks set through the style object (allowed under a strict style-src); the host page
  // can restyle .baken-launcher__button.
  var s = button.style;
  s.font = "inherit"; s.fontWeight = "bold"; s.padding = "0.6em 1.2em"; s.minHeight = "44px";
  s.border = "2px solid #1d3557"; s.borderRadius = "0.4em"; s.background = "#1d3557";
  s.color = "#ffffff"; s.cursor = "pointer";
  status.style.margin = "0.4em 0 0";
  box.appendChild(button);
  box.appendChild(status);
  script.parentNode.insertBefore(box, script.nextSibling);

  button.addEventListener("click", function () {
    // A new top-level tab, without a handle back to this page and without a Referer.
    window.open(target, "_blank", "noopener,noreferrer");
  });

  var show = function (text) {
    status.textContent = text;
    status.hidden = false;
    button.setAttribute("aria-describedby", status.id);
  };
  var when = function (iso) {
    try {
      return new Intl.DateTimeFormat(lang, {
        weekday: "long", hour: "2-digit", minute: "2-digit"
      }).format(new Date(iso));
    } catch (e) {
      return "";
    }
  };
  // Only pages whose origin Baken lists can read the answer (CORS); elsewhere the button stays
  // on its own, and that is fine.
  if (!window.fetch) return;
  var query = /^[a-z0-9_-]{1,64}$/.test(org) ? "?org=" + org : "";
  fetch(origin + "/api/availability" + query, { credentials: "omit", referrerPolicy: "no-referrer" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (a) {
      if (!a) return;
      if (!a.open) {
        var at = a.opens_at ? when(a.opens_at) : "";
        show(t.closed + (at ? " · " + t.opens.replace("{when}", at) : ""));
        return;
      }
      show(t.open + (t[a.wait] ? " · " + t[a.wait] : ""));
    })
    .catch(function () {});
})();
