// Baken — the counselor console: the live queue and up to max_chats open chats.
// One WebSocket (/ws/staff); the same sync/ack/resend logic as the visitor page (common.js).
// Chat panels are cloned from <template id="tpl-chat">; user text only ever goes in with textContent.

import {
  Connection,
  ConversationView,
  bindComposer,
  duration,
  el,
  fmt,
  pageVisible,
  readStrings,
} from "./common.js";
import { createChatTools } from "./chat_tools.js";
import { createSupervision } from "./supervision.js";
import { createWellbeing } from "./wellbeing.js";
import { createTeam } from "./team.js";
import { createSignals } from "./signals.js";
import { createReferrals } from "./referrals.js";
import { createPartnerInvites } from "./partner_invite.js";

const body = document.body;
const S = readStrings(body);
const config = {
  lang: body.dataset.lang || document.documentElement.lang || "nl",
  wsPath: body.dataset.wsPath || "/ws/staff",
  maxChars: Number(body.dataset.maxChars) || 4000,
};
let maxChats = Number(body.dataset.maxChats) || 3;
let staffName = body.dataset.staffName || "";
// Return codes (issue 3): queue entries held for this counselor are marked as theirs.
let staffId = "";

const $ = (id) => document.getElementById(id);
const ui = {
  connStatus: $("conn-status"),
  queueCount: $("queue-count"),
  queueSummary: $("queue-summary"),
  queueCapacity: $("queue-capacity"),
  queueError: $("queue-error"),
  queueEmpty: $("queue-empty"),
  queueList: $("queue-list"),
  chatTabs: $("chat-tabs"),
  chatsEmpty: $("chats-empty"),
  chatPanels: $("chat-panels"),
  template: $("tpl-chat"),
};

const baseTitle = document.title;
const wide = window.matchMedia("(min-width: 80em)");

/** conversation id -> chat { id, info, name, panel, tab, badge, view, els } */
const chats = new Map();
let selectedId = null;
let panelCounter = 0;
let anonymousCounter = 0;

let queueEntries = [];
let serverOffsetMs = 0;
const accepting = new Set();
let endingId = null;

const connection = new Connection(config.wsPath, { onFrame, onStatus });
// Counselor tools (canned responses, notes, transfer, block, new-visitor alerts): chat_tools.js.
const tools = createChatTools({
  strings: S,
  lang: config.lang,
  send: (frame) => connection.send(frame),
  chats: () => chats,
  onReleased: releaseChat,
});
// Supervision (overview, silent observe, whisper, take over, consultation): supervision.js.
const supervision = createSupervision({
  strings: S,
  lang: config.lang,
  staffId: body.dataset.staffId || "",
  send: (frame) => connection.send(frame),
  chats: () => chats,
  onAssigned: (info) => {
    const chat = ensureChat(info);
    if (chat) selectChat(chat.id, false);
  },
});

// Wellbeing (heavy mark, one's own day, pause, "I would like to talk"): wellbeing.js.
const wellbeing = createWellbeing({
  lang: config.lang,
  send: (frame) => connection.send(frame),
  chats: () => chats,
});

// Team operations (issue 15, item 1): one's own status; capacities for supervisors: team.js.
const team = createTeam({
  lang: config.lang,
  send: (frame) => connection.send(frame),
  chats: () => chats,
});

// Indicator signals (issue 19, item 2): marks in the visitor's words, confirm/dismiss: signals.js.
const signals = createSignals({
  strings: S,
  send: (frame) => connection.send(frame),
  chats: () => chats,
});

// Referrals (issue 17, item 2): propose a directory service, see the consent: referrals.js.
const referrals = createReferrals({
  send: (frame) => connection.send(frame),
  chats: () => chats,
});
// Warm hand-off (issue 17, item 3): invite a partner professional: partner_invite.js.
const partnerInvites = createPartnerInvites({
  strings: S,
  lang: config.lang,
  send: (frame) => connection.send(frame),
  chats: () => chats,
});

// ----- helpers -----

function activeCount() {
  let n = 0;
  for (const chat of chats.values()) if (chat.info.state === "active") n += 1;
  return n;
}

function serverNow() {
  return Date.now() + serverOffsetMs;
}

function setText(node, text) {
  if (node && node.textContent !== text) node.textContent = text;
}

function isChatVisible(chat) {
  const allShown = ui.chatPanels.classList.contains("chat-panels--all");
  return pageVisible() && (wide.matches || allShown || selectedId === chat.id);
}

function updateDocumentTitle() {
  let unread = 0;
  for (const chat of chats.values()) unread += chat.view.unread;
  let title = unread > 0 ? `(${unread}) ${baseTitle}` : baseTitle;
  // A tab in the background still says that someone in danger is waiting (never who).
  if (queueEntries.some((entry) => entry.urgent)) title = `${S.title_urgent} · ${title}`;
  if (document.title !== title) document.title = title;
}

// ----- connection status -----

let statusTimer = 0;

/**
 * A dropped socket usually means a network hiccup, but the session may also have ended without
 * the 4003 close reaching us (ended in another process, or the close raced a frame). A browser
 * cannot see why a handshake was refused, so ask the console page itself: a redirect means the
 * session is gone, and reconnecting forever would only show "reconnecting".
 */
async function checkSession() {
  try {
    const response = await fetch("/staff", { redirect: "manual", cache: "no-store" });
    if (response.type === "opaqueredirect") window.location.assign("/staff/login");
  } catch {
    // Offline: keep trying to reconnect; the next attempt checks again.
  }
}

function onStatus(status, failures) {
  if (status === "ended") {
    // The session ended on the server (docs/security.md): back to the sign-in page.
    window.location.assign("/staff/login");
    return;
  }
  if (status === "reconnecting") {
    checkSession();
    const show = () => {
      statusTimer = 0;
      if (!connection.ready) setText(ui.connStatus, failures >= 5 ? S.reconnect_slow : S.reconnecting);
    };
    if (ui.connStatus.textContent) show();
    else if (!statusTimer) statusTimer = setTimeout(show, 1500);
  } else {
    clearTimeout(statusTimer);
    statusTimer = 0;
    setText(ui.connStatus, "");
  }
}

// ----- queue -----

function queueItem(entry) {
  const nameId = `queue-name-${entry.conversation_id.replace(/[^A-Za-z0-9_-]/g, "")}`;
  const button = el("button", {
    className: "btn btn--primary btn--small queue-item__accept",
    text: S.accept,
    attrs: { type: "button", "aria-describedby": nameId },
  });
  button.addEventListener("click", () => accept(entry.conversation_id));
  return el(
    "li",
    { className: "queue-item", attrs: { "data-id": entry.conversation_id } },
    el(
      "div",
      { className: "queue-item__info" },
      el("span", { className: "queue-item__name", attrs: { id: nameId } }),
      el("span", { className: "urgent-badge queue-item__urgent" }),
      el("span", { className: "queue-item__lang" }),
      el("span", { className: "queue-item__wait" }),
      el("span", { className: "queue-item__returning" }),
      el("span", { className: "queue-item__why" }),
    ),
    button,
  );
}

function renderQueue() {
  const list = ui.queueList;
  const existing = new Map();
  for (const li of list.children) existing.set(li.dataset.id, li);
  const full = activeCount() >= maxChats;
  let previous = null;

  for (const entry of queueEntries) {
    let li = existing.get(entry.conversation_id);
    if (li) existing.delete(entry.conversation_id);
    else li = queueItem(entry);
    li.dataset.since = entry.waiting_since || "";
    setText(li.querySelector(".queue-item__name"), entry.nickname || S.anonymous);
    const forMe = Boolean(staffId) && entry.preferred_staff_id === staffId;
    const back = li.querySelector(".queue-item__returning");
    back.hidden = !forMe;
    setText(back, forMe ? S.returning_to_you : "");
    // "In danger now" (issue 12): colour, visible text and the button's name all say so.
    const urgent = Boolean(entry.urgent);
    li.classList.toggle("queue-item--urgent", urgent);
    const urgentBadge = li.querySelector(".queue-item__urgent");
    urgentBadge.hidden = !urgent;
    setText(urgentBadge, urgent ? S.urgent_badge : "");
    // Issue 19, item 3: why this visitor is placed ahead of arrival order (danger has its badge).
    const reasons = (Array.isArray(entry.ranked_by) ? entry.ranked_by : [])
      .filter((reason) => reason !== "danger")
      .map((reason) => S[`rank_${reason}`])
      .filter((text) => typeof text === "string" && text !== "");
    const why = li.querySelector(".queue-item__why");
    why.hidden = reasons.length === 0;
    setText(why, reasons.length ? fmt(S.ranked_by, { reasons: reasons.join(", ") }) : "");
    // Issue 14: the visitor's language, so a counselor who speaks it can take this chat.
    const langTag = li.querySelector(".queue-item__lang");
    const code = (entry.lang || "").toUpperCase();
    setText(langTag, code);
    langTag.setAttribute("title", S.visitor_language.replace("{code}", code));
    const button = li.querySelector("button");
    const busy = accepting.has(entry.conversation_id);
    button.disabled = full || busy || accepting.size > 0;
    setText(button, busy ? S.accepting : S.accept);
    if (urgent && !busy) button.setAttribute("aria-label", S.accept_urgent);
    else button.removeAttribute("aria-label");
    const expected = previous ? previous.nextElementSibling : list.firstElementChild;
    if (li !== expected) list.insertBefore(li, expected);
    previous = li;
  }

  let lostFocus = false;
  for (const li of existing.values()) {
    if (li.contains(document.activeElement)) lostFocus = true;
    li.remove();
  }
  if (lostFocus) {
    const next = list.querySelector("button:not([disabled])");
    if (next) next.focus();
  }

  const count = queueEntries.length;
  setText(ui.queueCount, String(count));
  setText(ui.queueSummary, fmt(S.queue_count, { n: count }));
  ui.queueEmpty.hidden = count > 0;
  ui.queueCapacity.hidden = !full;
  setText(ui.queueCapacity, full ? fmt(S.capacity_full, { n: maxChats }) : "");
  updateDocumentTitle();
  tickQueue();
}

function tickQueue() {
  const now = serverNow();
  for (const li of ui.queueList.children) {
    const since = Date.parse(li.dataset.since || "");
    const text = Number.isNaN(since) ? "" : fmt(S.waiting_for, { time: duration(now - since) });
    setText(li.querySelector(".queue-item__wait"), text);
  }
}

function accept(conversationId) {
  if (activeCount() >= maxChats) {
    setText(ui.queueError, S.err_at_capacity);
    return;
  }
  if (!connection.send({ type: "accept", conversation_id: conversationId })) {
    setText(ui.queueError, S.err_offline);
    return;
  }
  setText(ui.queueError, "");
  accepting.add(conversationId);
  renderQueue();
}

// ----- chats -----

function endedText(info) {
  switch (info.ended_by) {
    case "visitor":
      return S.ended_visitor;
    case "quick_exit":
      return S.ended_quick_exit;
    case "counselor":
      if (!info.counselor || info.counselor === staffName) return S.ended_counselor_you;
      return fmt(S.ended_counselor, { name: info.counselor });
    case "timeout":
      return S.ended_timeout;
    case "technical":
      return S.ended_technical;
    case "left":
      return S.ended_left;
    default:
      return S.ended_unknown;
  }
}

function createChat(info, nicknameHint) {
  panelCounter += 1;
  const n = panelCounter;
  const fragment = ui.template.content.cloneNode(true);
  const panel = fragment.querySelector(".chat-panel");
  const q = (selector) => panel.querySelector(selector);
  const name = info.nickname || nicknameHint || fmt(S.anonymous_n, { n: ++anonymousCounter });

  panel.id = `chat-${n}`;
  panel.dataset.id = info.id;
  const title = q(".chat-panel__title");
  title.id = `chat-${n}-title`;
  title.textContent = name;
  panel.setAttribute("aria-labelledby", title.id);
  const input = q("textarea");
  input.id = `chat-${n}-input`;
  const label = q('[data-role="label"]');
  label.htmlFor = input.id;
  label.textContent = fmt(S.message_to, { name });
  const log = q(".log");
  log.setAttribute("aria-label", fmt(S.messages_with, { name }));
  const urgentBadge = q('[data-role="urgent"]');
  urgentBadge.id = `chat-${n}-urgent`;

  const badge = el("span", { className: "badge", attrs: { "aria-hidden": "true" } });
  const badgeText = el("span", { className: "visually-hidden" });
  const tabUrgent = el("span", { className: "urgent-badge urgent-badge--small" });
  const tab = el(
    "button",
    { className: "chat-tab", attrs: { type: "button", "aria-controls": panel.id, "aria-pressed": "false" } },
    el("span", { text: name }),
    tabUrgent,
    badge,
    badgeText,
  );

  const chat = {
    id: info.id,
    info,
    name,
    panel,
    tab,
    badge,
    badgeText,
    els: {
      urgent: urgentBadge,
      tabUrgent,
      nolive: q('[data-role="nolive"]'),
      state: q(".chat-panel__state"),
      endButton: q('[data-action="end"]'),
      closeButton: q('[data-action="close"]'),
      confirm: q('[data-role="confirm"]'),
      ended: q('[data-role="ended"]'),
      composer: q('[data-role="composer"]'),
      input,
      send: q('[data-action="send"]'),
    },
    view: null,
  };

  chat.view = new ConversationView({
    side: "counselor",
    strings: S,
    lang: config.lang,
    maxChars: config.maxChars,
    send: (frame) => connection.send(frame),
    isVisible: () => isChatVisible(chat),
    // Issue 17, item 3: a partner professional in the chat writes under their own name.
    otherName: (msg) => (msg && msg.sender === "partner" && msg.name) || chat.name,
    onUnread: (count) => updateBadge(chat, count),
    elements: {
      log,
      typing: q('[data-role="typing"]'),
      input,
      sendButton: chat.els.send,
      counter: q('[data-role="count"]'),
      error: q('[data-role="error"]'),
    },
  });

  bindComposer(input, chat.els.send, () => chat.view);
  tools.attach(chat);
  wellbeing.attach(chat);
  signals.attach(chat);
  referrals.attach(chat);
  partnerInvites.attach(chat);
  tab.addEventListener("click", () => selectChat(chat.id, true));
  chat.els.endButton.addEventListener("click", () => {
    chat.els.confirm.hidden = false;
    chat.els.confirm.querySelector('[data-action="end-no"]').focus();
  });
  chat.els.confirm.querySelector('[data-action="end-no"]').addEventListener("click", () => {
    chat.els.confirm.hidden = true;
    chat.els.endButton.focus();
  });
  chat.els.confirm.querySelector('[data-action="end-yes"]').addEventListener("click", () => {
    if (connection.send({ type: "end", conversation_id: chat.id, reason: tools.endReason(chat) || undefined })) {
      endingId = chat.id;
      chat.els.confirm.hidden = true;
    } else {
      chat.view.showError(S.err_offline);
    }
  });
  chat.els.closeButton.addEventListener("click", () => removeChat(chat.id));
  panel.addEventListener("focusin", () => {
    if (selectedId !== chat.id) selectChat(chat.id, false);
  });

  ui.chatPanels.append(panel);
  ui.chatTabs.append(tab);
  chats.set(chat.id, chat);
  chat.view.setInfo(info);
  applyChatInfo(chat, info);
  if (!selectedId) selectChat(chat.id, false);
  else panel.dataset.selected = "false";
  updateChatsChrome();
  return chat;
}

function applyChatInfo(chat, info) {
  const previous = chat.info;
  chat.info = { ...previous, ...info };
  if (info.nickname && info.nickname !== chat.name) {
    chat.name = info.nickname;
    setText(chat.panel.querySelector(".chat-panel__title"), chat.name);
    setText(chat.tab.firstElementChild, chat.name);
  }
  // Urgent for the whole chat (issue 12): also part of the panel's name, so a screen reader hears
  // it. Only then: a hidden element named in aria-labelledby would still be read.
  const urgent = Boolean(chat.info.urgent);
  const titleId = chat.panel.querySelector(".chat-panel__title").id;
  chat.panel.setAttribute("aria-labelledby", urgent ? `${titleId} ${chat.els.urgent.id}` : titleId);
  chat.panel.classList.toggle("chat-panel--urgent", urgent);
  chat.els.urgent.hidden = !urgent;
  chat.els.tabUrgent.hidden = !urgent;
  setText(chat.els.tabUrgent, urgent ? S.urgent_badge : "");
  const ended = chat.info.state === "ended";
  // Issue 13: a visitor without JavaScript reads replies at their page's next refresh.
  chat.els.nolive.hidden = ended || chat.info.visitor_live !== false;
  const focus = document.activeElement;
  const focusWillHide =
    ended &&
    (chat.els.composer.contains(focus) || chat.els.confirm.contains(focus) || chat.els.endButton === focus);
  setText(chat.els.state, ended ? S.state_ended : S.state_active);
  chat.panel.classList.toggle("chat-panel--ended", ended);
  chat.els.endButton.hidden = ended;
  chat.els.closeButton.hidden = !ended;
  chat.els.composer.hidden = ended;
  if (ended) {
    chat.els.confirm.hidden = true;
    chat.els.ended.hidden = false;
    setText(chat.els.ended, endedText(chat.info));
    chat.els.ended.classList.toggle("chat-panel__ended--alert", chat.info.ended_by === "quick_exit");
    if (focusWillHide) chat.els.closeButton.focus();
  } else {
    chat.els.ended.hidden = true;
  }
  tools.applyState(chat);
  if (ended && previous.state !== "ended") wellbeing.chatEnded(chat);
}

/** The chat went to a colleague or back to the queue: keep it readable, no longer writable. */
function releaseChat(chat) {
  chat.info = { ...chat.info, state: "released" };
  chat.view.stopTyping();
  chat.view.showTyping(false);
  chat.view.failPending();
  chat.els.composer.hidden = true;
  chat.els.confirm.hidden = true;
  chat.els.endButton.hidden = true;
  chat.els.closeButton.hidden = false;
  renderQueue();
}

function ensureChat(info, nicknameHint) {
  const known = chats.get(info.id);
  if (known) {
    known.view.setInfo({ ...known.info, ...info });
    applyChatInfo(known, info);
    return known;
  }
  if (info.state !== "active") return null;
  return createChat(info, nicknameHint);
}

function selectChat(id, focusInput) {
  const chosen = chats.get(id);
  if (!chosen) return;
  selectedId = id;
  for (const chat of chats.values()) {
    const selected = chat.id === id;
    chat.panel.dataset.selected = selected ? "true" : "false";
    chat.tab.setAttribute("aria-pressed", selected ? "true" : "false");
  }
  chosen.view.seen();
  if (focusInput) {
    if (!chosen.els.composer.hidden) chosen.els.input.focus();
    else chosen.els.closeButton.focus();
  }
}

function removeChat(id) {
  const chat = chats.get(id);
  if (!chat) return;
  chat.view.reset();
  chat.panel.remove();
  chat.tab.remove();
  chats.delete(id);
  if (selectedId === id) {
    selectedId = null;
    const next = chats.keys().next();
    if (!next.done) selectChat(next.value, true);
    else ui.queueList.querySelector("button:not([disabled])")?.focus();
  }
  updateChatsChrome();
}

function updateBadge(chat, count) {
  setText(chat.badge, count > 0 ? String(count) : "");
  setText(chat.badgeText, count > 0 ? fmt(S.unread, { n: count }) : "");
  tools.setPanelBadge(chat, count);
  updateDocumentTitle();
}

function updateChatsChrome() {
  ui.chatsEmpty.hidden = chats.size > 0;
  ui.chatTabs.hidden = chats.size === 0;
  renderQueue();
}

// ----- frames -----

function onFrame(frame) {
  if (team.onFrame(frame)) return;
  if (supervision.onFrame(frame) || wellbeing.onFrame(frame) || signals.onFrame(frame)) return;
  if (partnerInvites.onFrame(frame)) return; // before referrals.js, which keeps their frames
  if (referrals.onFrame(frame)) return;
  switch (frame.type) {
    case "welcome":
      onWelcome(frame);
      break;
    case "queue":
      if (frame.server_time) {
        const t = Date.parse(frame.server_time);
        if (!Number.isNaN(t)) serverOffsetMs = t - Date.now();
      }
      queueEntries = Array.isArray(frame.entries) ? [...frame.entries] : [];
      ui.queueList.removeAttribute("aria-busy");
      queueEntries.sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
      renderQueue();
      tools.queueUpdated(queueEntries);
      break;
    case "accepted": {
      const entry = queueEntries.find((e) => e.conversation_id === frame.conversation_id);
      accepting.delete(frame.conversation_id);
      // The queue may already have dropped this entry (its broadcast can arrive first); the
      // `conversation` frame before it carried the nickname, so only a known one is passed on.
      const info = { id: frame.conversation_id, state: "active" };
      if (entry) {
        info.nickname = entry.nickname;
        info.urgent = Boolean(entry.urgent);
      }
      const chat = ensureChat(info, null);
      if (chat) {
        chat.view.connected();
        selectChat(chat.id, true);
      }
      renderQueue();
      break;
    }
    case "ended":
      if (endingId === frame.conversation_id) endingId = null;
      break;
    case "capacity": // a supervisor changed this counselor's capacity (issue 15, item 1)
      if (Number(frame.max_chats) > 0) maxChats = Number(frame.max_chats);
      renderQueue();
      break;
    case "left_messages_changed":
      // No text in the frame: left_messages.js fetches the list through the authorized API.
      leftMessagesChanged();
      break;
    case "conversation":
      if (frame.conversation && frame.conversation.id) {
        const chat = ensureChat(frame.conversation);
        if (chat && frame.conversation.state === "ended") chat.view.showTyping(false);
        renderQueue();
      }
      break;
    case "messages":
    case "message":
    case "ack":
    case "typing":
    case "receipt": {
      const chat = chats.get(frame.conversation_id);
      if (chat) chat.view.handle(frame);
      if (chat && (frame.type === "message" || frame.type === "messages")) signals.messagesAdded(chat);
      break;
    }
    case "error":
      if (!tools.onFrame(frame)) onError(frame);
      break;
    default:
      tools.onFrame(frame);
      break;
  }
}

function leftMessagesChanged() {
  document.dispatchEvent(new CustomEvent("baken:left-messages-changed"));
}

function onWelcome(frame) {
  // After a reconnect a change may have been missed while the socket was down.
  leftMessagesChanged();
  if (Number(frame.max_chats) > 0) maxChats = Number(frame.max_chats);
  if (frame.staff && frame.staff.display_name) staffName = frame.staff.display_name;
  if (frame.staff && frame.staff.id) staffId = frame.staff.id;
  accepting.clear();
  wellbeing.connected();
  const open = new Set();
  for (const info of Array.isArray(frame.conversations) ? frame.conversations : []) {
    if (!info || !info.id) continue;
    open.add(info.id);
    const chat = ensureChat(info);
    if (chat) chat.view.connected();
  }
  // Chats that ended while we were away: keep them readable, marked as ended.
  for (const chat of chats.values()) {
    if (!open.has(chat.id) && chat.info.state !== "ended") {
      const info = { ...chat.info, state: "ended" };
      chat.view.setInfo(info);
      applyChatInfo(chat, info);
    }
  }
  renderQueue();
}

function onError(frame) {
  for (const chat of chats.values()) {
    if (chat.view.handleError(frame)) return;
  }
  const message = S[`err_${frame.code}`] || S.err_generic;
  if (frame.ref === "accept") {
    accepting.clear();
    setText(ui.queueError, message);
    renderQueue();
    return;
  }
  if (frame.ref === "end" && endingId) {
    const chat = chats.get(endingId);
    endingId = null;
    if (chat) chat.view.showError(message);
    return;
  }
  if (frame.code === "rate_limited" || frame.code === "unavailable") setText(ui.connStatus, message);
}

// ----- go -----

document.addEventListener("visibilitychange", () => {
  if (!pageVisible()) return;
  for (const chat of chats.values()) if (isChatVisible(chat)) chat.view.seen();
});

wide.addEventListener("change", () => {
  for (const chat of chats.values()) if (isChatVisible(chat)) chat.view.seen();
});

setInterval(tickQueue, 1000);
updateChatsChrome();
connection.start();
