// The disguise (issue 18, item 6): a homework sheet over the chat, loaded only when the visitor
// switches it on, so that the visitor page's first visit stays light.
//
// While the cover is on, the tab shows a neutral title and icon, and nothing the chat does changes
// them: visitor.js never touches document.title, and nothing here or there plays a sound, vibrates
// or shows a notification (tests/test_browser_cover.py checks the scripts for it). The chat keeps
// running underneath, so a message that arrives is there when the chat comes back.
//
// Back to the chat: press "Check" three times within a few seconds. Quick exit works as everywhere:
// Shift × 3 (common.js listens on the whole document) and the cover's own "Close" link.
//
// Nothing is kept in the browser: a reload shows the chat page again (docs/reach.md says why).

const ICON = "/static/cover-icon.svg";
const STYLE = "/static/cover.css";
const PRESSES = 3;
const WINDOW_MS = 4000;

let cover = null;
let hiddenByCover = [];
let saved = null;

function hideThePage() {
  hiddenByCover = [];
  for (const node of document.body.children) {
    if (node === cover || node.hidden || node.tagName === "SCRIPT") continue;
    node.hidden = true;
    hiddenByCover.push(node);
  }
}

function neutralTab(title) {
  const icon = document.querySelector('link[rel="icon"]');
  saved = { title: document.title, icon: icon ? icon.getAttribute("href") : null };
  document.title = title;
  if (icon) icon.setAttribute("href", ICON);
}

function ensureStyle() {
  if (document.querySelector(`link[href="${STYLE}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = STYLE;
  document.head.append(link);
}

async function loadCover(base, lang) {
  const response = await fetch(`${base}/cover?lang=${encodeURIComponent(lang)}`, {
    credentials: "omit",
    cache: "no-store",
  });
  if (!response.ok) throw new Error(`cover ${response.status}`);
  // Our own page; parsed as a separate document, so no script in it could ever run.
  const doc = new DOMParser().parseFromString(await response.text(), "text/html");
  const found = doc.getElementById("cover");
  if (!found) throw new Error("cover missing");
  return { node: document.importNode(found, true), title: doc.title };
}

function wire(node, exitPath, onBack) {
  const status = node.querySelector("[data-cover-status]");
  let presses = 0;
  let timer = 0;
  node.querySelector("[data-cover-check]").addEventListener("click", () => {
    presses += 1;
    clearTimeout(timer);
    if (presses >= PRESSES) {
      presses = 0;
      if (status) status.textContent = "";
      onBack();
      return;
    }
    if (status) status.textContent = status.dataset.text || "";
    timer = setTimeout(() => {
      presses = 0;
    }, WINDOW_MS);
  });
  node.querySelector("[data-cover-exit]").addEventListener("click", (event) => {
    event.preventDefault();
    try {
      window.location.replace(exitPath);
    } catch {
      window.location.href = exitPath;
    }
  });
}

function showBack(returnFocus) {
  if (!cover) return;
  cover.hidden = true;
  for (const node of hiddenByCover) node.hidden = false;
  hiddenByCover = [];
  if (saved) {
    document.title = saved.title;
    const icon = document.querySelector('link[rel="icon"]');
    if (icon && saved.icon) icon.setAttribute("href", saved.icon);
    saved = null;
  }
  if (returnFocus) returnFocus.focus();
}

// Switch the cover on. The chat disappears at once, before anything is fetched. A second press
// while the first is still loading waits for that one (it must not forget what it hid).
let opening = null;

export function showCover(options) {
  if (!opening) {
    opening = open(options).finally(() => {
      opening = null;
    });
  }
  return opening;
}

async function open({ base, lang, exitPath, returnFocus }) {
  if (cover && !cover.hidden) return true;
  hideThePage();
  if (!cover) {
    ensureStyle();
    let loaded;
    try {
      loaded = await loadCover(base, lang);
    } catch {
      // No cover to show (no network): the chat comes back rather than a blank screen.
      for (const node of hiddenByCover) node.hidden = false;
      hiddenByCover = [];
      return false;
    }
    cover = loaded.node;
    cover.dataset.title = loaded.title;
    wire(cover, exitPath, () => showBack(returnFocus));
    document.body.append(cover);
  }
  neutralTab(cover.dataset.title || "");
  cover.hidden = false;
  const heading = cover.querySelector("h1");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus();
  }
  return true;
}
