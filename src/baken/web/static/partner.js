// Baken — a partner professional's invitations and the chat they joined (issue 17, item 3;
// docs/partners.md). The server decides what may be seen: the chat from the join on, and only
// the data in the visitor's consent. Text always goes in with textContent (el()); no storage.

import { Connection, clockTime, el, fmt, randomId, readStrings } from "./common.js";

const S = readStrings();
const lang = document.body.dataset.lang || "nl";
const $ = (id) => document.getElementById(id);
const ui = {
  status: $("partner-status"),
  list: $("invitations"),
  none: $("no-invitations"),
  chat: $("partner-chat"),
  shared: $("partner-shared"),
  messages: $("partner-messages"),
  composer: $("partner-composer"),
  text: $("partner-text"),
  mailbox: $("partner-mailbox"),
  mailboxText: $("partner-mailbox-text"),
  leave: $("partner-leave"),
};
let current = null; // { accessId, conversationId, lastSeq }

function say(text) {
  ui.status.textContent = text || "";
}

function showInvitations(invitations) {
  ui.list.replaceChildren(
    ...invitations.map((item) =>
      el(
        "li",
        { attrs: { "data-access-id": item.id } },
        el("span", { text: fmt(S.until, { time: clockTime(item.expires_at, lang) }) }),
        " ",
        el("button", {
          className: "btn btn--primary",
          text: S.join,
          attrs: { type: "button", "data-action": "join", "data-access-id": item.id },
        }),
      ),
    ),
  );
  ui.none.hidden = invitations.length > 0;
}

function addMessage(message) {
  if (!current || message.seq <= current.lastSeq) return;
  current.lastSeq = message.seq;
  let text = message.text;
  if (message.sender === "system") {
    text = fmt(S[`event_${message.event}`] || S.event_unknown || "", { name: message.name || "" });
  }
  const who = message.sender === "visitor" ? S.visitor : message.name || S.counselor;
  ui.messages.append(
    el(
      "li",
      { className: `message message--${message.sender}` },
      el("span", { className: "message__who", text: message.sender === "system" ? "" : who }),
      el("span", { className: "message__text", text }),
      el("span", { className: "message__time", text: clockTime(message.sent_at, lang) }),
    ),
  );
}

function showShared(conversation) {
  const rows = [];
  for (const [key, value] of Object.entries(conversation.shared || {})) {
    let shown = value;
    if (key === "age_band") shown = S[`age_${value}`] || value;
    if (key === "exploitation_type") {
      shown = (Array.isArray(value) ? value : [value])
        .map((code) => S[`exploitation_${code}`] || code)
        .join(", ");
    }
    rows.push(el("dt", { text: S[`shared_${key}`] || key }), el("dd", { text: shown }));
  }
  if (!rows.length) rows.push(el("dd", { text: S.shared_nothing }));
  ui.shared.replaceChildren(...rows);
}

const conn = new Connection(document.body.dataset.wsPath || "/ws/staff", {
  onFrame(frame) {
    switch (frame.type) {
      case "partner_invitations":
        showInvitations(frame.invitations || []);
        break;
      case "partner_joined":
        current = {
          accessId: frame.access.id,
          conversationId: frame.conversation.id,
          lastSeq: frame.conversation.joined_seq || 0,
        };
        ui.messages.replaceChildren();
        showShared(frame.conversation);
        ui.chat.hidden = false;
        say("");
        ui.text.focus();
        break;
      case "message":
        if (current && frame.conversation_id === current.conversationId) addMessage(frame.message);
        break;
      case "messages":
        if (current && frame.conversation_id === current.conversationId) {
          for (const message of frame.messages) addMessage(message);
        }
        break;
      case "partner_mailbox_sent":
        ui.mailboxText.value = "";
        say(S.mailbox_sent);
        break;
      case "partner_access_ended":
        if (current && frame.access_id === current.accessId) {
          current = null;
          ui.chat.hidden = true;
          say(S[`ended_${frame.reason}`] || S.ended_unknown);
          conn.send({ type: "partner_invitations" });
        }
        break;
      case "error":
        say(S[`err_${frame.code}`] || S.err_generic);
        break;
      default:
        break;
    }
  },
});

ui.list.addEventListener("click", (event) => {
  const button = event.target.closest('[data-action="join"]');
  if (button) conn.send({ type: "partner_join", access_id: button.dataset.accessId });
});
ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.text.value.trim();
  if (!current || !text) return;
  conn.send({
    type: "send",
    conversation_id: current.conversationId,
    client_msg_id: randomId(),
    text,
  });
  ui.text.value = "";
});
ui.mailbox.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = ui.mailboxText.value.trim();
  if (current && text) {
    conn.send({ type: "partner_mailbox_send", access_id: current.accessId, text });
  }
});
ui.leave.addEventListener("click", () => {
  if (current) conn.send({ type: "partner_leave", access_id: current.accessId });
});
conn.start();
