// Baken — supervision in the console (issue 3): the consultation channel for all staff, and for
// supervisors and administrators the live overview, silent observe, whisper and take over.
// Frames: docs/protocol.md "Supervision". User text only ever goes in with textContent.
//
// console.js hands every frame to onFrame() first: frames of an observed conversation and the
// supervision frames are handled (and consumed) here; everything else goes on to the console.

import { ConversationView, clockTime, duration, el, fmt, readStrings } from "./common.js";

const TEAM = "team";
const OWN_FRAMES = new Set([
  "overview",
  "overview_stopped",
  "observing",
  "observe_stopped",
  "observe_ended",
  "whisper",
  "taken_over",
  "consult",
  "consult_history",
]);
const OWN_REFS = new Set([
  "overview_subscribe",
  "observe",
  "observe_stop",
  "whisper",
  "take_over",
  "consult_send",
  "consult_history",
]);

export function createSupervision(options) {
  const S = readStrings(document.getElementById("supervision-strings") || document.body);
  const chatStrings = options.strings;
  const send = options.send;
  const $ = (id) => document.getElementById(id);
  const isOverseer = Boolean($("overview"));
  let serverOffsetMs = 0;

  /** conversation id -> { panel, view, info, whisperInput, status } */
  const observed = new Map();
  const wantObserved = new Set();

  // ----- overview (supervisors and admins) -----

  const ov = {
    queue: $("overview-queue"),
    counselors: $("overview-counselors"),
    counselorsEmpty: $("overview-counselors-empty"),
    chats: $("overview-chats"),
    chatsEmpty: $("overview-chats-empty"),
    status: $("overview-status"),
  };
  let lastOverview = null;

  function seconds(value) {
    return value === null || value === undefined ? S.none : duration(Number(value) * 1000);
  }

  function sinceMs(iso) {
    const t = Date.parse(iso || "");
    return Number.isNaN(t) ? 0 : Date.now() + serverOffsetMs - t;
  }

  function renderOverview() {
    const frame = lastOverview;
    if (!frame || !ov.queue) return;
    const q = frame.queue || {};
    ov.queue.textContent = q.total
      ? fmt(S.queue_line, {
          n: q.total,
          urgent: q.urgent || 0,
          longest: seconds(q.longest_wait_seconds),
          median: seconds(q.median_wait_seconds),
        })
      : S.queue_none;
    const counselors = Array.isArray(frame.counselors) ? frame.counselors : [];
    ov.counselors.replaceChildren(
      ...counselors.map((c) =>
        el(
          "li",
          { className: "overview-item", attrs: { "data-staff-id": c.id } },
          el("span", { className: "overview-item__name", text: c.display_name }),
          el("span", {
            className: "overview-item__meta",
            text: fmt(S.load, { n: c.active_chats, max: c.max_chats }),
          }),
          // Issue 15, item 6: only that someone is on a pause, never why or their figures.
          ...(c.pause_until ? [el("span", { className: "overview-item__meta", text: S.on_pause })] : []),
        ),
      ),
    );
    ov.counselorsEmpty.hidden = counselors.length > 0;
    const chats = Array.isArray(frame.chats) ? frame.chats : [];
    ov.chats.replaceChildren(...chats.map(overviewChat));
    ov.chatsEmpty.hidden = chats.length > 0;
  }

  function overviewChat(chat) {
    const name = chat.nickname || S.anonymous;
    const meta = [
      fmt(S.with_counselor, { name: chat.counselor || "" }),
      fmt(S.chat_duration, { time: duration(sinceMs(chat.accepted_at)) }),
    ];
    if (chat.last_activity_at) {
      meta.push(fmt(S.last_activity, { time: duration(sinceMs(chat.last_activity_at)) }));
    }
    if (chat.unread_for_counselor > 0) meta.push(fmt(S.unread_n, { n: chat.unread_for_counselor }));
    const button = el("button", {
      className: "btn btn--small",
      text: observed.has(chat.conversation_id) ? S.observing : S.observe,
      attrs: {
        type: "button",
        "data-action": "observe",
        "aria-label": fmt(chat.urgent ? S.observe_named_urgent : S.observe_named, { name }),
        disabled: observed.has(chat.conversation_id),
      },
    });
    button.addEventListener("click", () => observe(chat.conversation_id));
    return el(
      "li",
      { className: `overview-item${chat.urgent ? " overview-item--urgent" : ""}`, attrs: { "data-id": chat.conversation_id } },
      el("span", { className: "overview-item__name", text: name }),
      // Issue 12: which chat is urgent, in words as well as colour.
      chat.urgent ? el("span", { className: "urgent-badge", text: S.urgent_badge }) : null,
      el("span", { className: "overview-item__meta", text: meta.join(" · ") }),
      button,
    );
  }

  // ----- silent observe -----

  function observe(id) {
    wantObserved.add(id);
    if (!send({ type: "observe", conversation_id: id, after_seq: 0 })) setText(ov.status, S.err_offline);
  }

  function createObservePanel(info) {
    const template = $("tpl-observe");
    const panel = template.content.firstElementChild.cloneNode(true);
    const q = (selector) => panel.querySelector(selector);
    const name = info.nickname || S.anonymous;
    const n = Math.random().toString(36).slice(2, 8);
    panel.dataset.id = info.id;
    const title = q(".observe-panel__title");
    title.id = `observe-${n}-title`;
    title.textContent = fmt(S.observe_title, { name, counselor: info.counselor || "" });
    panel.setAttribute("aria-labelledby", title.id);
    const input = q('[data-role="whisper-input"]');
    input.id = `observe-${n}-whisper`;
    q('[data-for="whisper"]').htmlFor = input.id;
    const entry = { id: info.id, panel, info, input, status: q('[data-role="status"]'), title };
    entry.view = new ConversationView({
      side: "counselor",
      strings: chatStrings,
      lang: options.lang,
      // An observer sends nothing into the chat: no receipts, no typing. A gap is filled by
      // observing again from the last line shown.
      send: (frame) => {
        if (frame.type === "sync") {
          return send({ type: "observe", conversation_id: info.id, after_seq: frame.after_seq });
        }
        return true;
      },
      isVisible: () => false,
      otherName: () => name,
      elements: { log: q(".log"), typing: q('[data-role="typing"]'), error: entry.status },
    });
    entry.view.setInfo(info);
    const whisper = () => {
      const text = input.value;
      if (!text.trim()) {
        setText(entry.status, S.err_text_empty);
        input.focus();
        return;
      }
      if (send({ type: "whisper", conversation_id: info.id, text })) {
        input.value = "";
        setText(entry.status, "");
      } else {
        setText(entry.status, S.err_offline);
      }
    };
    q('[data-action="whisper"]').addEventListener("click", whisper);
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        whisper();
      }
    });
    q('[data-action="take-over"]').addEventListener("click", () => {
      if (!send({ type: "take_over", conversation_id: info.id })) setText(entry.status, S.err_offline);
    });
    q('[data-action="stop"]').addEventListener("click", () => {
      wantObserved.delete(info.id);
      send({ type: "observe_stop", conversation_id: info.id });
      removeObserved(info.id);
    });
    $("observe-panels").append(panel);
    observed.set(info.id, entry);
    renderOverview();
    return entry;
  }

  function applyObservedInfo(entry, info) {
    entry.info = { ...entry.info, ...info };
    entry.view.setInfo(entry.info);
    entry.title.textContent = fmt(S.observe_title, {
      name: entry.info.nickname || S.anonymous,
      counselor: entry.info.counselor || "",
    });
    if (entry.info.state === "ended") {
      setText(entry.status, S.chat_ended);
      entry.panel.classList.add("observe-panel--ended");
      entry.panel.querySelector('[data-action="take-over"]').hidden = true;
      entry.panel.querySelector('[data-action="whisper"]').disabled = true;
      entry.input.disabled = true;
    }
  }

  function removeObserved(id) {
    const entry = observed.get(id);
    if (!entry) return;
    entry.view.reset();
    entry.panel.remove();
    observed.delete(id);
    renderOverview();
  }

  // ----- whispers in the counselor's own chat panel -----

  function showWhisper(frame) {
    const whisper = frame.whisper || {};
    const line = el(
      "li",
      { className: "whisper" },
      el("span", { className: "whisper__from", text: fmt(S.whisper_from, { name: whisper.author || "" }) }),
      el("span", { className: "whisper__text", text: whisper.text || "" }),
    );
    const entry = observed.get(frame.conversation_id);
    if (entry) {
      entry.panel.querySelector('[data-role="whispers"]').append(line);
      return;
    }
    const chat = options.chats().get(frame.conversation_id);
    if (!chat) return;
    let box = chat.panel.querySelector('[data-role="whisper-box"]');
    if (!box) {
      box = el(
        "div",
        { className: "whisper-box", attrs: { "data-role": "whisper-box" } },
        el("p", { className: "whisper-box__title", text: S.whispers_title }),
        // The log role on a wrapper: on the <ul> itself it would leave its items outside a list.
        el("div", { attrs: { role: "log", "aria-live": "polite", "aria-label": S.whispers_title } }, el("ul", { className: "whispers" })),
      );
      chat.panel.querySelector(".log").before(box);
    }
    box.querySelector("ul").append(line);
  }

  // ----- consultation (everyone) -----

  const cs = {
    section: $("consult"),
    peer: $("consult-peer"),
    about: $("consult-about"),
    log: $("consult-log"),
    input: $("consult-input"),
    sendButton: $("consult-send"),
    status: $("consult-status"),
    count: $("consult-count"),
  };
  const staffId = options.staffId;
  const names = new Map();
  let unseen = 0;

  function peerOf(message) {
    if (message.to === TEAM) return TEAM;
    return message.from_staff_id === staffId ? message.to : message.from_staff_id;
  }

  function consultLine(message) {
    const own = message.from_staff_id === staffId;
    const parts = [
      el("span", { className: "consult__from", text: own ? S.you : message.from || "" }),
      el("span", { className: "consult__time", text: clockTime(message.created_at, options.lang) }),
    ];
    if (message.conversation_id) {
      const chat = options.chats().get(message.conversation_id);
      parts.push(el("span", { className: "consult__about", text: fmt(S.about_chat, { name: chat ? chat.name : "" }) }));
    }
    parts.push(el("span", { className: "consult__text", text: message.text || "" }));
    return el("li", { className: `consult-line${own ? " consult-line--own" : ""}`, attrs: { "data-id": message.id } }, ...parts);
  }

  function addPeer(id, name) {
    if (!cs.peer || id === staffId || id === TEAM) return;
    names.set(id, name);
    if ([...cs.peer.options].some((o) => o.value === id)) return;
    cs.peer.append(el("option", { text: name, attrs: { value: id } }));
  }

  function showConsult(message) {
    if (!cs.log) return;
    if (message.from_staff_id !== staffId && message.from) addPeer(message.from_staff_id, message.from);
    if (peerOf(message) === cs.peer.value) {
      if (!cs.log.querySelector(`[data-id="${CSS.escape(message.id)}"]`)) cs.log.append(consultLine(message));
    }
    if (message.from_staff_id !== staffId && (peerOf(message) !== cs.peer.value || !cs.section.matches(":focus-within"))) {
      unseen += 1;
      setText(cs.count, String(unseen));
    }
  }

  function loadHistory() {
    if (!cs.peer) return;
    cs.log.replaceChildren();
    send({ type: "consult_history", peer: cs.peer.value });
  }

  function refreshAbout() {
    if (!cs.about) return;
    const current = cs.about.value;
    const keep = cs.about.options[0];
    const items = [...options.chats().values()]
      .filter((chat) => chat.info.state === "active")
      .map((chat) => el("option", { text: chat.name, attrs: { value: chat.id } }));
    cs.about.replaceChildren(keep, ...items);
    if ([...cs.about.options].some((o) => o.value === current)) cs.about.value = current;
  }

  function sendConsult() {
    const text = cs.input.value;
    if (!text.trim()) {
      setText(cs.status, S.err_text_empty);
      cs.input.focus();
      return;
    }
    const frame = { type: "consult_send", to: cs.peer.value, text };
    if (cs.about && cs.about.value) frame.conversation_id = cs.about.value;
    if (send(frame)) {
      cs.input.value = "";
      setText(cs.status, "");
    } else {
      setText(cs.status, S.err_offline);
    }
  }

  if (cs.section) {
    cs.sendButton.addEventListener("click", sendConsult);
    cs.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        sendConsult();
      }
    });
    cs.peer.addEventListener("change", loadHistory);
    cs.about.addEventListener("focus", refreshAbout);
    cs.section.addEventListener("focusin", () => {
      unseen = 0;
      setText(cs.count, "0");
    });
  }

  // ----- frames -----

  function setText(node, text) {
    if (node && node.textContent !== text) node.textContent = text;
  }

  function errorText(frame) {
    return S[`err_${frame.code}`] || frame.message || S.err_generic;
  }

  function onError(frame) {
    const ref = frame.ref;
    if (ref === "consult_send" || ref === "consult_history") {
      setText(cs.status, errorText(frame));
      return true;
    }
    if (ref === "overview_subscribe") {
      setText(ov.status, errorText(frame));
      return true;
    }
    if (!OWN_REFS.has(ref)) return false;
    // observe / observe_stop / whisper / take_over: shown in the observe panel when there is one.
    const panel = [...observed.values()].find((entry) => entry.panel.contains(document.activeElement));
    const target = panel ? panel.status : ov.status;
    setText(target, errorText(frame));
    return true;
  }

  function onWelcome() {
    if (isOverseer) send({ type: "overview_subscribe" });
    // After a reconnect: observe again from the last line shown (audited once per socket).
    for (const id of wantObserved) {
      const entry = observed.get(id);
      send({ type: "observe", conversation_id: id, after_seq: entry ? entry.view.lastSeq : 0 });
    }
    send({ type: "colleagues_get" });
    loadHistory();
  }

  /** Returns true when the frame was handled here and the console should not see it. */
  function onFrame(frame) {
    const type = frame.type;
    if (type === "welcome") {
      onWelcome();
      return false;
    }
    if (type === "colleagues") {
      for (const c of Array.isArray(frame.colleagues) ? frame.colleagues : []) addPeer(c.id, c.display_name);
      return false; // the counselor tools use it too
    }
    if (type === "error") return onError(frame);
    const id = frame.conversation_id || (frame.conversation && frame.conversation.id);
    const entry = id ? observed.get(id) : undefined;
    switch (type) {
      case "overview":
        if (frame.server_time) {
          const t = Date.parse(frame.server_time);
          if (!Number.isNaN(t)) serverOffsetMs = t - Date.now();
        }
        lastOverview = frame;
        setText(ov.status, "");
        renderOverview();
        return true;
      case "observing": {
        const info = frame.conversation || { id };
        if (!wantObserved.has(id)) return true;
        const current = entry || createObservePanel(info);
        applyObservedInfo(current, info);
        return true;
      }
      case "observe_ended": {
        // We became this chat's counselor (took it over, or it was handed to us): it moves to
        // the console as an own chat; the transcript follows from the first line.
        wantObserved.delete(id);
        const info = entry ? entry.info : null;
        removeObserved(id);
        if (info) options.onAssigned({ ...info, state: "active" });
        return true;
      }
      case "observe_stopped":
      case "overview_stopped":
        return true;
      case "taken_over": {
        const chat = options.chats().get(id);
        const note = chat && chat.panel.querySelector('[data-role="handed-over"]');
        if (note) {
          note.textContent = S.taken_over;
          note.hidden = false;
        }
        return true;
      }
      case "whisper":
        showWhisper(frame);
        return true;
      case "consult":
        if (frame.message) showConsult(frame.message);
        return true;
      case "consult_history":
        if (cs.log && frame.peer === cs.peer.value) {
          cs.log.replaceChildren(...(frame.messages || []).map(consultLine));
        }
        for (const m of frame.messages || []) if (m.from_staff_id !== staffId && m.from) addPeer(m.from_staff_id, m.from);
        return true;
      default:
        break;
    }
    if (OWN_FRAMES.has(type)) return true;
    if (!entry) return false;
    // Frames of an observed chat: shown here, never turned into a chat of the console.
    if (type === "conversation") {
      if (frame.conversation) applyObservedInfo(entry, frame.conversation);
      renderOverview();
      return true;
    }
    if (["messages", "message", "typing", "receipt"].includes(type)) {
      entry.view.handle(frame);
      return true;
    }
    return false;
  }

  // Durations in the overview move with the clock.
  if (isOverseer) setInterval(renderOverview, 1000);

  return { onFrame };
}
