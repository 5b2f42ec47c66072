// Baken — counselor wellbeing in the console (issue 15, item 6; docs/wellbeing.md): the one-tap
// heavy mark on a chat, one's own day, the pause offered after a heavy chat, "I would like to talk
// about this", and a gentle reminder after a long time in chats without a break. For supervisors
// also the colleagues who would like to talk. All texts come from #wellbeing-strings.

import { duration, el, fmt, readStrings } from "./common.js";

const REFRESH_MS = 60_000;
const SNOOZE_MS = 30 * 60_000; // "Later" on the break reminder: ask again after this long
const FRAME_TYPES = new Set(["heavy_mark", "talk_request", "pause", "wellbeing_get"]);

export function createWellbeing(options) {
  const section = document.getElementById("wellbeing");
  const S = readStrings(document.getElementById("wellbeing-strings") || document.body);
  const $ = (id) => document.getElementById(id);
  const ui = {
    day: $("wellbeing-day"),
    offer: $("pause-offer"),
    running: $("pause-running"),
    timer: $("pause-timer"),
    reminder: $("break-reminder"),
    breakText: $("break-text"),
    status: $("wellbeing-status"),
    inbox: $("talk-inbox"),
    requests: $("talk-requests"),
    alert: $("talk-alert"),
  };
  let pauseMinutes = 10;
  let pauseUntil = 0;
  let snoozedUntil = 0;
  let tick = 0;
  const offered = new Set(); // chats whose pause was offered already

  function setStatus(text) {
    if (ui.status) ui.status.textContent = text;
  }

  function hours(seconds) {
    const minutes = Math.floor(Math.max(0, seconds) / 60);
    return fmt(S.duration, { h: Math.floor(minutes / 60), m: minutes % 60 });
  }

  function refresh(conversationId) {
    const frame = { type: "wellbeing_get" };
    if (conversationId) frame.conversation_id = conversationId;
    options.send(frame);
  }

  function offerPause(conversationId) {
    if (!section || offered.has(conversationId) || pauseUntil > Date.now()) return;
    offered.add(conversationId);
    ui.reminder.hidden = true;
    ui.offer.hidden = false;
    // Focus moves only from the chat that ended (or from nowhere): never out of another chat
    // the counselor is typing in. Otherwise the offer is only announced.
    const chat = options.chats().get(conversationId);
    const focus = document.activeElement;
    if (!focus || focus === document.body || (chat && chat.panel.contains(focus))) {
      ui.offer.querySelector('[data-action="pause-start"]').focus();
    } else {
      setStatus(S.offer);
    }
  }

  function startPause() {
    if (options.send({ type: "pause", minutes: pauseMinutes })) {
      ui.offer.hidden = true;
      ui.reminder.hidden = true;
    } else {
      setStatus(S.err_generic);
    }
  }

  function talk() {
    if (!options.send({ type: "talk_request" })) setStatus(S.err_generic);
  }

  function showPause(untilIso) {
    const until = untilIso ? Date.parse(untilIso) : 0;
    const wasRunning = pauseUntil > Date.now();
    pauseUntil = Number.isNaN(until) ? 0 : until;
    clearInterval(tick);
    if (pauseUntil > Date.now()) {
      ui.running.hidden = false;
      ui.offer.hidden = true;
      ui.reminder.hidden = true;
      if (!wasRunning) setStatus(S.pause_started);
      const update = () => {
        const left = pauseUntil - Date.now();
        if (left <= 0) {
          showPause(null);
          setStatus(S.pause_over);
          return;
        }
        ui.timer.textContent = fmt(S.pause_left, { time: duration(left) });
      };
      update();
      tick = setInterval(update, 1000);
    } else {
      ui.running.hidden = true;
      if (wasRunning) setStatus(S.pause_over);
    }
  }

  function showDay(frame) {
    pauseMinutes = Number(frame.pause_minutes) || pauseMinutes;
    for (const button of section.querySelectorAll('[data-action="pause-start"]')) {
      button.textContent = fmt(S.pause_for, { n: pauseMinutes });
    }
    ui.day.textContent = fmt(S.day_line, {
      chats: frame.chats,
      time: hours(frame.chat_seconds),
      heavy: frame.heavy,
    });
    if (frame.pause_until) showPause(frame.pause_until);
    if (frame.break_due && Date.now() > snoozedUntil && pauseUntil <= Date.now() && ui.offer.hidden) {
      const since = Date.parse(frame.in_chats_since);
      ui.breakText.textContent = fmt(S.break_text, { time: hours((Date.now() - since) / 1000) });
      ui.reminder.hidden = false;
    } else if (!frame.break_due) {
      ui.reminder.hidden = true;
    }
    if (frame.conversation_id && frame.conversation_heavy) offerPause(frame.conversation_id);
  }

  function talkRequest(frame) {
    if (!ui.requests) return;
    const at = new Date(frame.at);
    const time = Number.isNaN(at.getTime())
      ? ""
      : at.toLocaleTimeString(options.lang, { hour: "2-digit", minute: "2-digit" });
    const done = el("button", { className: "btn btn--small btn--quiet", text: S.talk_done, attrs: { type: "button" } });
    const item = el(
      "li",
      { className: "overview-item", attrs: { "data-staff-id": frame.from_staff_id } },
      el("span", { className: "overview-item__name", text: fmt(S.talk_from, { name: frame.from }) }),
      el("span", { className: "overview-item__meta", text: fmt(S.talk_at, { time }) }),
      done,
    );
    done.addEventListener("click", () => {
      item.remove();
      ui.inbox.hidden = ui.requests.children.length === 0;
    });
    ui.requests.append(item);
    ui.inbox.hidden = false;
    ui.alert.textContent = fmt(S.talk_from, { name: frame.from });
  }

  if (section) {
    for (const button of section.querySelectorAll('[data-action="pause-start"]')) {
      button.textContent = fmt(S.pause_for, { n: pauseMinutes });
      button.addEventListener("click", startPause);
    }
    for (const button of section.querySelectorAll('[data-action="talk"]')) button.addEventListener("click", talk);
    ui.offer.querySelector('[data-action="dismiss"]').addEventListener("click", () => {
      ui.offer.hidden = true;
    });
    ui.reminder.querySelector('[data-action="dismiss"]').addEventListener("click", () => {
      ui.reminder.hidden = true;
      snoozedUntil = Date.now() + SNOOZE_MS;
    });
    ui.running.querySelector('[data-action="pause-end"]').addEventListener("click", () => {
      options.send({ type: "pause", minutes: 0 });
    });
    setInterval(() => refresh(), REFRESH_MS);
  }

  return {
    /** The chat panel's heavy button. */
    attach(chat) {
      const button = chat.panel.querySelector('[data-action="heavy"]');
      if (!button) return;
      chat.heavyButton = button;
      button.addEventListener("click", () => {
        const heavy = button.getAttribute("aria-pressed") !== "true";
        if (!options.send({ type: "heavy_mark", conversation_id: chat.id, heavy })) setStatus(S.err_generic);
      });
    },
    /** A chat of one's own ended: offer a pause when it counts as heavy (marked or registered). */
    chatEnded(chat) {
      if (chat.heavyButton && chat.heavyButton.getAttribute("aria-pressed") === "true") offerPause(chat.id);
      else refresh(chat.id);
    },
    connected() {
      refresh();
    },
    onFrame(frame) {
      switch (frame.type) {
        case "wellbeing":
          if (section) showDay(frame);
          return true;
        case "heavy_marked": {
          const chat = options.chats().get(frame.conversation_id);
          if (chat && chat.heavyButton) chat.heavyButton.setAttribute("aria-pressed", frame.heavy ? "true" : "false");
          setStatus(frame.heavy ? S.heavy_on : S.heavy_off);
          if (frame.heavy && chat && chat.info.state !== "active") offerPause(chat.id);
          refresh();
          return true;
        }
        case "talk_request_sent":
          setStatus(frame.supervisors_online > 0 ? S.talk_sent : S.talk_nobody);
          return true;
        case "pause_state":
          if (section) showPause(frame.until);
          refresh();
          return true;
        case "talk_request":
          talkRequest(frame);
          return true;
        case "error":
          if (!FRAME_TYPES.has(frame.ref)) return false;
          setStatus(S[`err_${frame.code}`] || S.err_generic);
          return true;
        default:
          return false;
      }
    },
  };
}
