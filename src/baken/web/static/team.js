// Baken — team operations in the console (issue 15, item 1; docs/supervision.md): one's own
// status (available, busy, break, wrap-up, away), and for supervisors and administrators each
// online colleague's status and capacity (chats at once), from the live overview. Texts come
// from #team-strings; everything is set as text, never as HTML.

import { el, fmt, readStrings } from "./common.js";

const FRAME_TYPES = new Set(["set_status", "set_capacity", "handover"]);

export function createTeam(options) {
  const S = readStrings(document.getElementById("team-strings") || document.body);
  const $ = (id) => document.getElementById(id);
  const select = $("my-status");
  const note = $("my-status-note");
  const list = $("team-list");
  const teamStatus = $("team-status");
  const rows = new Map(); // staff id -> { li, statusText, input }
  const alertList = $("alerts-list");
  const alertsEmpty = $("alerts-empty");
  const alertNew = $("alerts-new");
  let shownKinds = new Set();

  // Issue 15, item 3: what needs a supervisor's attention; counts only, never a visitor's words.
  function alertText(a) {
    switch (a.kind) {
      case "long_wait":
        return fmt(S.alert_long_wait, { n: a.count, minutes: a.minutes });
      case "urgent_waiting":
        return fmt(S.alert_urgent_waiting, { n: a.count });
      case "counselor_silent":
        return fmt(S.alert_counselor_silent, { n: a.count, minutes: a.minutes });
      case "left_message_unanswered":
        return fmt(S.alert_left_message, { n: a.count, hours: a.hours });
      case "queue_near_cap":
        return fmt(S.alert_queue_near_cap, { n: a.count, cap: a.cap });
      case "all_at_capacity":
        return fmt(S.alert_all_at_capacity, { n: a.count });
      default:
        return "";
    }
  }

  function showAlerts(alerts) {
    if (!alertList) return;
    const list = Array.isArray(alerts) ? alerts : [];
    const texts = list.map(alertText).filter((text) => text);
    alertList.replaceChildren(...texts.map((text) => el("li", { className: "overview-item", text })));
    if (alertsEmpty) alertsEmpty.hidden = texts.length > 0;
    const kinds = new Set(list.map((a) => a.kind));
    const fresh = list.filter((a) => !shownKinds.has(a.kind)).map(alertText).filter((t) => t);
    shownKinds = kinds;
    if (fresh.length === 0) return;
    if (alertNew) alertNew.textContent = fresh.join(" ");
    // Optionally on the desktop too (the permission is the one asked for new visitors), and
    // only while this tab is not in view.
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    try {
      const note = new Notification(S.alert_title, { body: fresh.join("\n"), tag: "baken-alerts" });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    } catch {
      // Some browsers allow notifications only from a service worker: the page shows it anyway.
    }
  }

  function setNote(text) {
    if (note) note.textContent = text;
  }

  function statusName(status) {
    return S[`status_${status}`] || status;
  }

  function showOwn(frame) {
    if (!select || !frame || !frame.status) return;
    select.value = frame.status;
    const until = frame.until ? new Date(frame.until) : null;
    if (until && !Number.isNaN(until.getTime())) {
      const time = until.toLocaleTimeString(options.lang, { hour: "2-digit", minute: "2-digit" });
      setNote(fmt(S.wrap_up_until, { time }));
    } else {
      setNote(frame.status === "available" ? "" : S.no_new_chats);
    }
  }

  if (select) {
    select.addEventListener("change", () => {
      if (!options.send({ type: "set_status", status: select.value })) setNote(S.err_generic);
    });
  }

  function row(c) {
    let found = rows.get(c.id);
    if (found) return found;
    const inputId = `capacity-${c.id}`;
    const statusText = el("span", { className: "overview-item__meta" });
    const input = el("input", {
      className: "field__input field__input--narrow",
      attrs: { id: inputId, type: "number", min: "1", max: "50", inputmode: "numeric" },
    });
    const label = el("label", {
      className: "overview-item__meta",
      text: fmt(S.capacity_for, { name: c.display_name }),
      attrs: { for: inputId },
    });
    const save = el("button", {
      className: "btn btn--small",
      text: S.capacity_save,
      attrs: { type: "button", "data-action": "capacity-save" },
    });
    save.addEventListener("click", () => {
      const n = Number(input.value);
      if (!Number.isInteger(n) || n < 1 || n > 50) {
        if (teamStatus) teamStatus.textContent = S.capacity_invalid;
        input.focus();
        return;
      }
      options.send({ type: "set_capacity", staff_id: c.id, max_chats: n });
    });
    const li = el(
      "li",
      { className: "overview-item", attrs: { "data-staff-id": c.id } },
      el("span", { className: "overview-item__name", text: c.display_name }),
      statusText,
      label,
      input,
      save,
    );
    found = { li, statusText, input };
    rows.set(c.id, found);
    return found;
  }

  function showTeam(frame) {
    if (!list) return;
    const counselors = Array.isArray(frame.counselors) ? frame.counselors : [];
    const seen = new Set();
    const ordered = [];
    for (const c of counselors) {
      if (!c || !c.id) continue;
      seen.add(c.id);
      const r = row(c);
      r.statusText.textContent = statusName(c.status || "available");
      // Never overwrite a number someone is typing.
      if (document.activeElement !== r.input) r.input.value = String(c.max_chats ?? "");
      ordered.push(r.li);
    }
    for (const id of [...rows.keys()]) if (!seen.has(id)) rows.delete(id);
    // Re-inserting rows would take the focus out of a number being typed: only when they changed.
    const same =
      list.children.length === ordered.length && ordered.every((li, i) => list.children[i] === li);
    if (!same) list.replaceChildren(...ordered);
    const empty = $("team-empty");
    if (empty) empty.hidden = ordered.length > 0;
  }

  // ----- shift handover (issue 15, item 4) -----
  const dialog = $("handover-dialog");
  const handoverList = $("handover-list");
  const handoverStatus = $("handover-status");
  let colleagues = [];

  function setHandoverStatus(text) {
    if (handoverStatus) handoverStatus.textContent = text;
  }

  function openChats() {
    const found = [];
    for (const chat of (options.chats ? options.chats() : new Map()).values()) {
      if (chat && chat.info && chat.info.state === "active") found.push(chat);
    }
    return found;
  }

  function handoverRow(chat) {
    const name = chat.info.nickname || S.anonymous;
    const selectId = `handover-to-${chat.id}`;
    const noteId = `handover-note-${chat.id}`;
    const to = el("select", { className: "field__input", attrs: { id: selectId } });
    to.append(el("option", { text: S.handover_queue, attrs: { value: "" } }));
    for (const c of colleagues) {
      to.append(el("option", { text: c.display_name, attrs: { value: c.id } }));
    }
    const note = el("textarea", {
      className: "field__input",
      attrs: { id: noteId, rows: "2", maxlength: "4000" },
    });
    const button = el("button", {
      className: "btn btn--small btn--primary",
      text: S.handover_button,
      attrs: { type: "button" },
    });
    button.addEventListener("click", () => {
      const frame = { type: "handover", conversation_id: chat.id, note: note.value };
      if (to.value) frame.to_staff_id = to.value;
      if (!options.send(frame)) setHandoverStatus(S.err_generic);
    });
    return el(
      "li",
      { className: "overview-item", attrs: { "data-id": chat.id } },
      el("span", { className: "overview-item__name", text: name }),
      el("label", { className: "field__label", text: S.handover_to, attrs: { for: selectId } }),
      to,
      el("label", { className: "field__label", text: fmt(S.handover_note, { name }), attrs: { for: noteId } }),
      note,
      button,
    );
  }

  function renderHandover() {
    if (!handoverList) return;
    const chats = openChats();
    handoverList.replaceChildren(...chats.map(handoverRow));
    const empty = $("handover-empty");
    if (empty) empty.hidden = chats.length > 0;
  }

  const openButton = $("handover-open");
  if (openButton && dialog) {
    openButton.addEventListener("click", () => {
      setHandoverStatus("");
      renderHandover();
      options.send({ type: "colleagues_get" });
      dialog.showModal();
    });
    dialog.querySelector('[data-action="handover-close"]').addEventListener("click", () => dialog.close());
  }

  return {
    onFrame(frame) {
      switch (frame.type) {
        case "welcome":
          showOwn(frame.status);
          return false; // console.js handles the welcome too
        case "overview":
          showTeam(frame);
          return false; // supervision.js renders the overview itself
        case "staff_status":
          showOwn(frame);
          return true;
        case "colleagues":
          colleagues = Array.isArray(frame.colleagues) ? frame.colleagues : [];
          if (dialog && dialog.open) renderHandover();
          return false; // the transfer dialog (chat_tools.js) uses them too
        case "handed_over": {
          setHandoverStatus(S.handover_done);
          const row = handoverList && handoverList.querySelector(`li[data-id="${CSS.escape(frame.conversation_id)}"]`);
          if (row) row.remove();
          const empty = $("handover-empty");
          if (empty && handoverList) empty.hidden = handoverList.children.length > 0;
          return true;
        }
        case "alerts":
          showAlerts(frame.alerts);
          return true;
        case "capacity_set":
          if (teamStatus) teamStatus.textContent = S.capacity_saved;
          return true;
        case "error":
          if (frame.code === "not_available") setNote(S.err_not_available);
          if (!FRAME_TYPES.has(frame.ref)) return false;
          if (frame.ref === "handover") {
            setHandoverStatus(S[`err_${frame.code}`] || S.err_generic);
          } else if (frame.ref === "set_capacity" && teamStatus) {
            teamStatus.textContent = S[`err_${frame.code}`] || S.err_generic;
          } else {
            setNote(S[`err_${frame.code}`] || S.err_generic);
          }
          return true;
        default:
          return false;
      }
    },
  };
}
