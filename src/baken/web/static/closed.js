// Baken — the visitor page while the chat is closed (opening hours, issue 3): leave an anonymous
// message and get a code, or read an answer with a code. Nothing is kept in the browser; the
// code is shown once and only lives on the screen. Texts go in with textContent only.
// Both forms also work without JavaScript (POST /closed/message, /closed/answers: issue 12); here
// they are sent as JSON instead, so the page stays as it is.
// Issue 16: each post carries a proof-of-work (pow.js), solved in the background when the page
// opens, as for a chat start; without one the server refuses the request before any other check.

import { ProofOfWork } from "./pow.js";

const pow = new ProofOfWork();

const section = document.getElementById("view-closed");
const S = (() => {
  try {
    return JSON.parse(document.getElementById("closed-strings").dataset.strings || "{}");
  } catch {
    return {};
  }
})();
const lang = (section && section.dataset.lang) || document.documentElement.lang || "nl";

async function send(path, body, proof) {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(proof ? { ...body, lang, pow: proof } : { ...body, lang }),
  });
  const data = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, data };
}

/** Post with a fresh proof; one more try with a new proof when the server refused the proof
 * itself (expired while the page was open, or already used). */
async function post(path, body) {
  let result = null;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const proof = await pow.take();
    result = await send(path, body, proof);
    const error = result.data && result.data.error;
    if (!(result.status === 400 && typeof error === "string" && error.startsWith("pow_"))) break;
  }
  pow.prepare(); // the next post can go at once
  return result;
}

function problem(data) {
  return S[`err_${data.code || data.error}`] || data.message || S.err_generic;
}

/** A status line next to a form; an error looks like one (as on the page without JavaScript). */
function say(status, text, isError = false) {
  status.textContent = text;
  status.classList.toggle("field__error", isError);
}

const leaveForm = document.getElementById("leave-message-form");
const leaveText = document.getElementById("leave-message-text");
const leaveStatus = document.getElementById("leave-message-status");
const codeBox = document.getElementById("leave-message-code");

leaveForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = leaveForm.querySelector("button");
  button.disabled = true;
  say(leaveStatus, S.sending);
  try {
    const { ok, data } = await post((document.body.dataset.base || "") + "/api/visitor/message", { text: leaveText.value });
    if (!ok) {
      say(leaveStatus, problem(data), true);
      return;
    }
    leaveText.value = "";
    say(leaveStatus, S.stored);
    codeBox.querySelector('[data-role="code"]').textContent = data.code;
    codeBox.hidden = false;
  } catch {
    say(leaveStatus, S.err_generic, true);
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
  say(readStatus, S.sending);
  readList.replaceChildren();
  try {
    const { ok, data } = await post((document.body.dataset.base || "") + "/api/visitor/mailbox", { code: readCode.value });
    if (!ok) {
      say(readStatus, problem(data), true);
      return;
    }
    const messages = Array.isArray(data.messages) ? data.messages : [];
    say(readStatus, messages.length ? S.answers : S.no_answer);
    for (const message of messages) {
      const item = document.createElement("li");
      item.className = "closed-answers__item";
      if (typeof message.partner === "string" && message.partner) {
        // Issue 17: a partner professional's message says whose it is; the text keeps its own
        // direction beside the label in the page's language.
        const from = document.createElement("strong");
        from.textContent = `${S.from_partner.replace("{name}", message.partner)}: `;
        const text = document.createElement("bdi");
        text.textContent = message.text;
        item.append(from, text);
      } else {
        item.dir = "auto";
        item.textContent = message.text;
      }
      readList.append(item);
    }
  } catch {
    say(readStatus, S.err_generic, true);
  } finally {
    button.disabled = false;
  }
});

if (section) pow.prepare();
