// Baken — the visitor page while the chat is closed (opening hours, issue 3): leave an anonymous
// message and get a code, or read an answer with a code. Nothing is kept in the browser; the
// code is shown once and only lives on the screen. Texts go in with textContent only.

const section = document.getElementById("view-closed");
const S = (() => {
  try {
    return JSON.parse(document.getElementById("closed-strings").dataset.strings || "{}");
  } catch {
    return {};
  }
})();
const lang = (section && section.dataset.lang) || document.documentElement.lang || "nl";

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...body, lang }),
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, data };
}

function problem(data) {
  return S[`err_${data.code || data.error}`] || data.message || S.err_generic;
}

const leaveForm = document.getElementById("leave-message-form");
const leaveText = document.getElementById("leave-message-text");
const leaveStatus = document.getElementById("leave-message-status");
const codeBox = document.getElementById("leave-message-code");

leaveForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = leaveForm.querySelector("button");
  button.disabled = true;
  leaveStatus.textContent = S.sending;
  try {
    const { ok, data } = await post("/api/visitor/message", { text: leaveText.value });
    if (!ok) {
      leaveStatus.textContent = problem(data);
      return;
    }
    leaveText.value = "";
    leaveStatus.textContent = S.stored;
    codeBox.querySelector('[data-role="code"]').textContent = data.code;
    codeBox.hidden = false;
  } catch {
    leaveStatus.textContent = S.err_generic;
  } finally {
    button.disabled = false;
  }
});

const readForm = document.getElementById("read-answer-form");
const readCode = document.getElementById("read-answer-code");
const readStatus = document.getElementById("read-answer-status");
const readList = document.getElementById("read-answer-list");

readForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = readForm.querySelector("button");
  button.disabled = true;
  readStatus.textContent = S.sending;
  readList.replaceChildren();
  try {
    const { ok, data } = await post("/api/visitor/mailbox", { code: readCode.value });
    if (!ok) {
      readStatus.textContent = problem(data);
      return;
    }
    const messages = Array.isArray(data.messages) ? data.messages : [];
    readStatus.textContent = messages.length ? S.answers : S.no_answer;
    for (const message of messages) {
      const item = document.createElement("li");
      item.className = "closed-answers__item";
      item.textContent = message.text;
      readList.append(item);
    }
  } catch {
    readStatus.textContent = S.err_generic;
  } finally {
    button.disabled = false;
  }
});
