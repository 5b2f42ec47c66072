// Baken — messages visitors left while the chat was closed (opening hours, issue 3), in the
// console: a list of threads waiting for an answer, and a dialog to read one and answer it.
// The visitor reads the answer later with their code. Texts only ever go in with textContent.
// The list is live (issue 12): console.js passes on the server's text-free
// "left_messages_changed" frame as a "baken:left-messages-changed" event, and the list (and an
// open thread) is fetched again through the authorized API.

import { clockTime, el, fmt } from "./common.js";

const section = document.getElementById("left-messages");
const list = document.getElementById("left-messages-list");
const count = document.getElementById("left-messages-count");
const empty = document.getElementById("left-messages-empty");
const problem = document.getElementById("left-messages-error");
const dialog = document.getElementById("left-message-dialog");
const S = (() => {
  try {
    return JSON.parse((section && section.dataset.strings) || "{}");
  } catch {
    return {};
  }
})();
const lang = document.body.dataset.lang || "nl";
const REFRESH_MS = 60_000;
let openId = null;
let refreshing = false;
let refreshAgain = false;

async function refresh() {
  // One request at a time; a change announced meanwhile is fetched right after it.
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    do {
      refreshAgain = false;
      await fetchList();
    } while (refreshAgain);
  } finally {
    refreshing = false;
  }
}

async function fetchList() {
  try {
    const response = await fetch("/api/left-messages", { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    render(Array.isArray(data.threads) ? data.threads : []);
    problem.textContent = "";
  } catch {
    problem.textContent = S.list_failed;
  }
}

function render(threads) {
  // The list now changes under the counselor's hands (live): keep the focus on the same thread.
  const focusedId = list.contains(document.activeElement) ? document.activeElement.dataset.id : null;
  list.replaceChildren();
  threads.forEach((thread, index) => {
    const nameId = `left-message-${index}`;
    const button = el("button", {
      className: "btn btn--small",
      text: S.read,
      attrs: { type: "button", "aria-describedby": nameId, "data-id": thread.id },
    });
    button.addEventListener("click", () => openThread(thread.id));
    list.append(
      el(
        "li",
        { className: "queue-item", attrs: { "data-id": thread.id } },
        el(
          "div",
          { className: "queue-item__info" },
          el("span", { className: "queue-item__name", text: fmt(S.messages_n, { n: thread.unanswered }), attrs: { id: nameId } }),
          el("span", { className: "queue-item__wait", text: fmt(S.since, { time: clockTime(thread.waiting_since, lang) }) }),
        ),
        button,
      ),
    );
  });
  count.textContent = String(threads.length);
  empty.hidden = threads.length > 0;
  if (focusedId) list.querySelector(`button[data-id="${CSS.escape(focusedId)}"]`)?.focus();
}

async function openThread(id) {
  openId = id;
  const log = dialog.querySelector('[data-role="log"]');
  const status = dialog.querySelector('[data-role="status"]');
  log.replaceChildren();
  status.textContent = "";
  dialog.showModal();
  await loadThread(id);
}

async function loadThread(id) {
  const log = dialog.querySelector('[data-role="log"]');
  const status = dialog.querySelector('[data-role="status"]');
  try {
    const response = await fetch(`/api/left-messages/${encodeURIComponent(id)}`, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    if (openId !== id) return; // closed, or another thread opened, meanwhile
    log.replaceChildren();
    for (const message of data.messages || []) {
      const own = message.from === "counselor";
      log.append(
        el(
          "div",
          { className: `msg ${own ? "msg--own" : "msg--theirs"}` },
          el("p", { className: "msg__meta", text: `${own ? S.answer : S.visitor} · ${clockTime(message.sent_at, lang)}` }),
          el("p", { className: "msg__text", text: message.text }),
        ),
      );
    }
  } catch {
    status.textContent = S.load_failed;
  }
}

if (section && dialog) {
  const form = dialog.querySelector("form");
  const input = dialog.querySelector("textarea");
  const status = dialog.querySelector('[data-role="status"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!openId) return;
    const response = await fetch(`/api/left-messages/${encodeURIComponent(openId)}/reply`, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: input.value }),
    }).catch(() => null);
    if (response && response.ok) {
      input.value = "";
      status.textContent = S.sent;
      await openThread(openId);
      status.textContent = S.sent;
      refresh();
    } else {
      const data = response ? await response.json().catch(() => ({})) : {};
      status.textContent = S[`err_${data.error}`] || S.err_generic;
    }
  });
  dialog.querySelector('[data-action="close"]').addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    openId = null;
  });
  document.addEventListener("baken:left-messages-changed", () => {
    refresh();
    // The visitor may have written again in the thread that is open: show it, keep the draft.
    if (openId && dialog.open) loadThread(openId);
  });
  refresh();
  setInterval(refresh, REFRESH_MS);
}
