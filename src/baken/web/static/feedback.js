// Baken — the two optional questions after a chat (issue 3). While the chat runs the page gets a
// feedback ticket (the visitor's session dies with the chat); after the end it asks whether this
// chat may answer and, if so, shows the questions. The ticket lives in memory only.

const body = document.body;
const form = document.getElementById("feedback-form");
const status = document.getElementById("feedback-status");
let ticket = null;
let asking = false;
let shown = false;

async function post(path, data) {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data),
  });
  return { ok: response.ok, data: await response.json().catch(() => ({})) };
}

async function getTicket() {
  if (ticket || asking) return;
  asking = true;
  try {
    const { ok, data } = await post("/api/visitor/feedback/ticket", {});
    if (ok && typeof data.ticket === "string") ticket = data.ticket;
  } catch {
    // No ticket, no questions: the chat itself is what matters.
  } finally {
    asking = false;
  }
}

async function offer() {
  if (!ticket || shown || !form) return;
  shown = true;
  try {
    const { ok, data } = await post("/api/visitor/feedback/status", { ticket });
    if (ok && data.eligible) form.hidden = false;
  } catch {
    shown = false;
  }
}

function check() {
  if (body.classList.contains("view-ended")) offer();
  else if (body.classList.contains("view-chat")) getTicket();
}

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const helped = form.querySelector('input[name="helped"]:checked');
  const comeBack = form.querySelector('input[name="come_back"]:checked');
  if (!helped && !comeBack) {
    status.textContent = status.dataset.choose;
    return;
  }
  const { ok } = await post("/api/visitor/feedback", {
    ticket,
    helped: helped ? helped.value : null,
    come_back: comeBack ? comeBack.value : null,
  }).catch(() => ({ ok: false }));
  form.hidden = true;
  ticket = null;
  if (ok) status.textContent = status.dataset.thanks;
});

form?.querySelector('[data-action="skip"]').addEventListener("click", () => {
  form.hidden = true;
  ticket = null;
  status.textContent = "";
});

if (form) {
  new MutationObserver(check).observe(body, { attributes: true, attributeFilter: ["class"] });
  check();
}
