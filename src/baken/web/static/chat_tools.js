// Baken — counselor tools in the console: canned responses ("/" in the message box), private
// notes, warm transfer to a colleague, back to the queue, end reasons, blocking, and the
// new-visitor alert (sound + desktop notification). Protocol: docs/protocol.md, "Counselor tools".
//
// All user text (canned bodies, notes, names) goes in with textContent, never as HTML.
// Only the sound/alert preferences are kept, in this tab's sessionStorage (the staff page only).

import { clockTime, el, fmt } from "./common.js";

const PREFS_KEY = "baken.console.prefs";
const SLASH_QUERY = /(^|\s)\/([^\s/][^\n/]{0,39}|)$/;
const MAX_SHOWN = 8;

function readPrefs() {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(PREFS_KEY) || "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

function writePrefs(prefs) {
  try {
    sessionStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Storage refused (private mode, quota): the preference then lasts for this page only.
  }
}

/**
 * options: strings S, lang, send(frame) -> bool, chats() -> Map of chats, staffName.
 * Returns { attach(chat), onFrame(frame) -> bool, queueUpdated(entries), endReason(chat) }.
 */
export function createChatTools(options) {
  const S = options.strings;
  const send = options.send;
  const prefs = { sound: true, layout: "auto", ...readPrefs() };
  let canned = [];
  let mayManageTeam = false;
  let colleagues = [];
  let knownQueue = null;
  let optionCounter = 0;
  let audio = null;

  // ----- canned responses: data -----

  async function loadCanned() {
    try {
      const response = await fetch("/api/canned", {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      const data = await response.json();
      canned = Array.isArray(data.canned) ? data.canned : [];
      mayManageTeam = Boolean(data.may_manage_team);
      renderCannedManager();
    } catch {
      // Offline: the list stays as it was; it is loaded again when the manager opens.
    }
  }

  // Issue 14: texts in the visitor's own language first (the chat's language, not the console's).
  function matches(query, preferred) {
    const q = query.trim().toLocaleLowerCase();
    return canned
      .filter((c) => !q || c.title.toLocaleLowerCase().includes(q) || c.body.toLocaleLowerCase().includes(q))
      .sort((a, b) => {
        const byTitle = q ? Number(!a.title.toLocaleLowerCase().startsWith(q)) - Number(!b.title.toLocaleLowerCase().startsWith(q)) : 0;
        return byTitle || Number(a.lang !== preferred) - Number(b.lang !== preferred) || a.title.localeCompare(b.title);
      })
      .slice(0, MAX_SHOWN);
  }

  // ----- canned responses: the "/" list in a message box -----

  function bindCanned(chat) {
    const input = chat.els.input;
    const popup = chat.panel.querySelector('[data-role="canned"]');
    const list = popup.querySelector('[data-role="canned-list"]');
    const empty = popup.querySelector('[data-role="canned-empty"]');
    const status = chat.panel.querySelector('[data-role="canned-status"]');
    list.id = `${chat.panel.id}-canned`;
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    const state = { open: false, items: [], active: 0, start: 0, inserting: false };

    function close() {
      if (!state.open) return;
      state.open = false;
      popup.hidden = true;
      input.removeAttribute("aria-activedescendant");
      list.replaceChildren();
      status.textContent = "";
    }

    function markActive() {
      [...list.children].forEach((node, index) => {
        const on = index === state.active;
        node.setAttribute("aria-selected", on ? "true" : "false");
        if (on) {
          input.setAttribute("aria-activedescendant", node.id);
          node.scrollIntoView({ block: "nearest" });
        }
      });
    }

    function render(query) {
      state.items = matches(query, (chat.info && chat.info.lang) || options.lang);
      state.active = 0;
      list.replaceChildren(
        ...state.items.map((item, index) => {
          optionCounter += 1;
          const option = el(
            "li",
            { className: "canned-option", attrs: { role: "option", id: `canned-opt-${optionCounter}` } },
            el("span", { className: "canned-option__title", text: item.title }),
            el("span", { className: "canned-option__lang", text: item.lang.toUpperCase() }),
            el("span", { className: "canned-option__body", text: item.body }),
          );
          // mousedown, not click: the message box keeps the focus (and the caret).
          option.addEventListener("mousedown", (event) => {
            event.preventDefault();
            state.active = index;
            insert();
          });
          return option;
        }),
      );
      empty.hidden = state.items.length > 0;
      empty.textContent = canned.length ? S.canned_none_match : S.canned_none;
      status.textContent = fmt(S.canned_count, { n: state.items.length });
      popup.hidden = false;
      state.open = true;
      if (state.items.length) markActive();
      else input.removeAttribute("aria-activedescendant");
    }

    function update() {
      const before = input.value.slice(0, input.selectionStart ?? input.value.length);
      const found = SLASH_QUERY.exec(before);
      if (!found || input.selectionStart !== input.selectionEnd) {
        close();
        return;
      }
      state.start = before.length - found[2].length - 1;
      render(found[2]);
    }

    function insert() {
      const item = state.items[state.active];
      if (!item) return;
      const caret = input.selectionStart ?? input.value.length;
      input.value = input.value.slice(0, state.start) + item.body + input.value.slice(caret);
      const at = state.start + item.body.length;
      input.setSelectionRange(at, at);
      close();
      input.focus();
      // Counter and typing indicator as if typed; the counselor edits and sends it.
      state.inserting = true;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      state.inserting = false;
    }

    input.addEventListener("input", () => {
      if (!state.inserting) update();
    });
    input.addEventListener("click", update);
    input.addEventListener("blur", () => setTimeout(close, 150));
    // Capture on the composer: runs before the composer's own Enter-to-send.
    chat.els.composer.addEventListener(
      "keydown",
      (event) => {
        if (event.target !== input || !state.open) return;
        const key = event.key;
        if (key === "ArrowDown" || key === "ArrowUp") {
          if (!state.items.length) return;
          event.preventDefault();
          const step = key === "ArrowDown" ? 1 : -1;
          state.active = (state.active + step + state.items.length) % state.items.length;
          markActive();
        } else if ((key === "Enter" && !event.shiftKey) || key === "Tab") {
          if (!state.items.length) {
            if (key === "Enter") close();
            return;
          }
          event.preventDefault();
          event.stopPropagation();
          insert();
        } else if (key === "Escape") {
          event.preventDefault();
          event.stopPropagation();
          close();
        }
      },
      true,
    );
  }

  // ----- canned responses: managing them (dialog) -----

  const manager = document.getElementById("canned-dialog");
  const managerList = manager ? manager.querySelector('[data-role="canned-items"]') : null;
  const form = manager ? manager.querySelector("form") : null;
  const formStatus = manager ? manager.querySelector('[data-role="canned-form-status"]') : null;
  let editingId = null;

  function renderCannedManager() {
    if (!managerList) return;
    const scopeField = form.querySelector('[data-role="canned-scope"]');
    scopeField.hidden = !mayManageTeam;
    managerList.replaceChildren(
      ...canned.map((item) => {
        const row = el(
          "li",
          { className: "canned-item" },
          el(
            "p",
            { className: "canned-item__head" },
            el("strong", { text: item.title }),
            el("span", { className: "hint", text: ` · ${item.lang.toUpperCase()} · ${item.scope === "team" ? S.canned_team : S.canned_personal}` }),
          ),
          el("p", { className: "canned-item__body", text: item.body }),
        );
        if (item.editable) {
          const edit = el("button", { className: "btn btn--small", text: S.edit, attrs: { type: "button" } });
          const remove = el("button", { className: "btn btn--small btn--quiet", text: S.delete, attrs: { type: "button" } });
          edit.setAttribute("aria-label", fmt(S.edit_named, { name: item.title }));
          remove.setAttribute("aria-label", fmt(S.delete_named, { name: item.title }));
          edit.addEventListener("click", () => startEdit(item));
          remove.addEventListener("click", () => removeCanned(item));
          row.append(el("p", { className: "canned-item__actions" }, edit, remove));
        }
        return row;
      }),
    );
    manager.querySelector('[data-role="canned-empty-list"]').hidden = canned.length > 0;
  }

  function startEdit(item) {
    editingId = item ? item.id : null;
    form.elements.title.value = item ? item.title : "";
    form.elements.body.value = item ? item.body : "";
    form.elements.lang.value = item ? item.lang : options.lang;
    form.elements.scope.value = item ? item.scope : "personal";
    form.elements.scope.disabled = Boolean(item);
    form.querySelector('[data-role="canned-submit"]').textContent = item ? S.canned_save : S.canned_add;
    formStatus.textContent = "";
    form.elements.title.focus();
  }

  async function removeCanned(item) {
    if (!window.confirm(fmt(S.canned_confirm_delete, { name: item.title }))) return;
    const response = await fetch(`/api/canned/${encodeURIComponent(item.id)}`, {
      method: "DELETE",
      credentials: "same-origin",
    }).catch(() => null);
    formStatus.textContent = response && response.ok ? S.canned_deleted : S.err_generic;
    if (editingId === item.id) startEdit(null);
    await loadCanned();
  }

  async function submitCanned(event) {
    event.preventDefault();
    const body = {
      lang: form.elements.lang.value,
      title: form.elements.title.value,
      body: form.elements.body.value,
    };
    if (!editingId) body.scope = mayManageTeam ? form.elements.scope.value : "personal";
    const response = await fetch(editingId ? `/api/canned/${encodeURIComponent(editingId)}` : "/api/canned", {
      method: editingId ? "PUT" : "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).catch(() => null);
    if (!response) {
      formStatus.textContent = S.err_offline;
      return;
    }
    if (!response.ok) {
      const data = await response.json().catch(() => ({}));
      formStatus.textContent = S[`err_${data.error}`] || S.err_generic;
      return;
    }
    formStatus.textContent = S.canned_saved;
    startEdit(null);
    await loadCanned();
  }

  if (manager) {
    document.getElementById("canned-open").addEventListener("click", () => {
      loadCanned();
      startEdit(null);
      manager.showModal();
    });
    manager.querySelector('[data-action="close"]').addEventListener("click", () => manager.close());
    manager.querySelector('[data-action="canned-new"]').addEventListener("click", () => startEdit(null));
    form.addEventListener("submit", submitCanned);
  }

  // ----- notes -----

  function renderNote(note) {
    // Supervision: a supervisor's whisper is kept with the notes, marked as such.
    const byKind = { transfer: S.note_transfer_by, whisper: S.note_whisper_by };
    const label = byKind[note.kind] ? fmt(byKind[note.kind], { name: note.author || "" }) : note.author || "";
    return el(
      "li",
      { className: `note${note.kind === "transfer" ? " note--transfer" : ""}`, attrs: { "data-id": note.id } },
      el(
        "p",
        { className: "note__meta" },
        el("span", { text: label }),
        el("time", { text: clockTime(note.created_at, options.lang), attrs: { datetime: note.created_at } }),
      ),
      el("p", { className: "note__text", text: note.text }),
    );
  }

  function addNotes(chat, notes, replace) {
    const list = chat.tools.notesList;
    if (replace) list.replaceChildren();
    for (const note of notes) {
      if (!note || !note.id || list.querySelector(`[data-id="${CSS.escape(note.id)}"]`)) continue;
      list.append(renderNote(note));
    }
    chat.tools.notesEmpty.hidden = list.children.length > 0;
    const count = list.children.length;
    chat.tools.notesButton.textContent = count ? fmt(S.notes_n, { n: count }) : S.notes;
  }

  // ----- per chat -----

  function toggleBox(chat, name, focus = true) {
    for (const [boxName, box] of Object.entries(chat.tools.boxes)) {
      const show = boxName === name && box.hidden;
      box.hidden = !show;
      const button = chat.tools.buttons[boxName];
      if (button) button.setAttribute("aria-expanded", show ? "true" : "false");
    }
    const box = chat.tools.boxes[name];
    if (box && !box.hidden && focus) {
      const first = box.querySelector("input, select, button");
      if (first) first.focus();
    }
  }

  function setStatus(chat, box, text) {
    const node = chat.tools.boxes[box]?.querySelector('[data-role="status"]');
    if (node) node.textContent = text || "";
  }

  function fillColleagues(chat) {
    const select = chat.tools.transferTo;
    select.replaceChildren(
      ...colleagues.map((c) =>
        el("option", {
          text: fmt(S.colleague_load, { name: c.display_name, n: c.active_chats, max: c.max_chats }),
          attrs: { value: c.id, disabled: c.active_chats >= c.max_chats },
        }),
      ),
    );
    const none = colleagues.length === 0;
    select.disabled = none;
    chat.tools.transferGo.disabled = none;
    setStatus(chat, "transfer", none ? S.no_colleagues : "");
  }

  function attach(chat) {
    const q = (selector) => chat.panel.querySelector(selector);
    const boxes = {
      notes: q('[data-role="notes-box"]'),
      transfer: q('[data-role="transfer-box"]'),
      requeue: q('[data-role="requeue-box"]'),
      block: q('[data-role="block-box"]'),
      followup: q('[data-role="followup-box"]'),
    };
    const buttons = {
      notes: q('[data-action="notes"]'),
      transfer: q('[data-action="transfer"]'),
      requeue: q('[data-action="requeue"]'),
      block: q('[data-action="block"]'),
      followup: q('[data-action="followup"]'),
    };
    for (const [name, box] of Object.entries(boxes)) {
      box.id = `${chat.panel.id}-${name}`;
      buttons[name].setAttribute("aria-controls", box.id);
      buttons[name].setAttribute("aria-expanded", "false");
      buttons[name].addEventListener("click", () => {
        toggleBox(chat, name);
        if (name === "notes" && !boxes.notes.hidden) send({ type: "notes_get", conversation_id: chat.id });
        if (name === "transfer" && !boxes.transfer.hidden) {
          fillColleagues(chat);
          send({ type: "colleagues_get" });
        }
      });
      const cancel = box.querySelector('[data-action="cancel"]');
      if (cancel)
        cancel.addEventListener("click", () => {
          toggleBox(chat, null);
          buttons[name].focus();
        });
    }
    chat.tools = {
      boxes,
      buttons,
      bar: q('[data-role="tools"]'),
      notesList: q('[data-role="notes-list"]'),
      notesEmpty: q('[data-role="notes-empty"]'),
      notesButton: buttons.notes,
      noteInput: q('[data-role="note-input"]'),
      transferTo: q('[data-role="transfer-to"]'),
      transferNote: q('[data-role="transfer-note"]'),
      transferGo: q('[data-action="transfer-go"]'),
      blockReason: q('[data-role="block-reason"]'),
      blockHours: q('[data-role="block-hours"]'),
      endReason: q('[data-role="end-reason"]'),
      followupText: q('[data-role="followup-text"]'),
      handedOver: q('[data-role="handed-over"]'),
      panelBadge: q('[data-role="panel-badge"]'),
    };
    for (const [field, prefix] of [
      [chat.tools.noteInput, "note"],
      [chat.tools.transferTo, "transfer-to"],
      [chat.tools.transferNote, "transfer-note"],
      [chat.tools.blockReason, "block-reason"],
      [chat.tools.blockHours, "block-hours"],
      [chat.tools.endReason, "end-reason"],
      [chat.tools.followupText, "followup-text"],
    ]) {
      field.id = `${chat.panel.id}-${prefix}`;
      const label = field.parentElement.querySelector(`label[data-for="${prefix}"]`);
      if (label) label.htmlFor = field.id;
    }

    chat.tools.noteInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        q('[data-action="note-save"]').click();
      }
    });
    q('[data-action="note-save"]').addEventListener("click", () => {
      const text = chat.tools.noteInput.value;
      if (!text.trim()) {
        setStatus(chat, "notes", S.err_text_empty);
        chat.tools.noteInput.focus();
        return;
      }
      if (send({ type: "note_add", conversation_id: chat.id, text })) {
        chat.tools.pendingNote = text;
        setStatus(chat, "notes", S.saving);
      } else setStatus(chat, "notes", S.err_offline);
    });
    chat.tools.transferGo.addEventListener("click", () => {
      const to = chat.tools.transferTo.value;
      if (!to) return;
      const frame = { type: "transfer", conversation_id: chat.id, to_staff_id: to, note: chat.tools.transferNote.value };
      setStatus(chat, "transfer", send(frame) ? S.transferring : S.err_offline);
    });
    q('[data-action="requeue-yes"]').addEventListener("click", () => {
      setStatus(chat, "requeue", send({ type: "requeue", conversation_id: chat.id }) ? S.saving : S.err_offline);
    });
    q('[data-action="block-yes"]').addEventListener("click", () => {
      const frame = {
        type: "block",
        conversation_id: chat.id,
        reason: chat.tools.blockReason.value,
        hours: Number(chat.tools.blockHours.value),
      };
      setStatus(chat, "block", send(frame) ? S.saving : S.err_offline);
    });
    q('[data-action="followup-send"]').addEventListener("click", () => {
      const text = chat.tools.followupText.value;
      if (!text.trim()) {
        setStatus(chat, "followup", S.err_text_empty);
        chat.tools.followupText.focus();
        return;
      }
      const sent = send({ type: "mailbox_send", conversation_id: chat.id, text });
      setStatus(chat, "followup", sent ? S.saving : S.err_offline);
    });
    bindCanned(chat);
  }

  function markReleased(chat, reason) {
    toggleBox(chat, null);
    chat.tools.bar.hidden = true;
    chat.tools.handedOver.hidden = false;
    chat.tools.handedOver.textContent =
      reason === "requeued"
        ? S.released_requeued
        : reason === "taken_over"
          ? S.released_taken_over
          : S.released_transferred;
    chat.released = true;
    options.onReleased(chat);
  }

  function applyState(chat) {
    const ended = chat.info.state === "ended";
    if (chat.tools && !chat.released) {
      chat.tools.buttons.transfer.hidden = ended;
      chat.tools.buttons.requeue.hidden = ended;
      // Return codes: a follow-up for the mailbox once the chat is over (the server checks the code).
      chat.tools.buttons.followup.hidden = !ended;
      if (!ended) chat.tools.boxes.followup.hidden = true;
      if (ended) {
        for (const name of ["transfer", "requeue"]) chat.tools.boxes[name].hidden = true;
      }
    }
  }

  // ----- frames -----

  function onFrame(frame) {
    const chat = frame.conversation_id ? options.chats().get(frame.conversation_id) : null;
    switch (frame.type) {
      case "notes":
        if (chat) addNotes(chat, Array.isArray(frame.notes) ? frame.notes : [], true);
        return true;
      case "note":
        if (chat) {
          addNotes(chat, [frame.note], false);
          if (chat.tools.pendingNote !== undefined && frame.note && frame.note.text === chat.tools.pendingNote) {
            chat.tools.pendingNote = undefined;
            chat.tools.noteInput.value = "";
            setStatus(chat, "notes", S.note_saved);
          }
        }
        return true;
      case "colleagues":
        colleagues = Array.isArray(frame.colleagues) ? frame.colleagues : [];
        for (const c of options.chats().values()) if (c.tools && !c.tools.boxes.transfer.hidden) fillColleagues(c);
        return true;
      case "transferred": {
        if (chat) setStatus(chat, "transfer", S.transferred);
        return true;
      }
      case "released":
        if (chat) markReleased(chat, frame.reason);
        return true;
      case "transfer_in":
        if (chat) {
          // Show the note, but leave the focus where the counselor is typing.
          chat.tools.boxes.notes.hidden = true;
          toggleBox(chat, "notes", false);
          send({ type: "notes_get", conversation_id: chat.id });
          chat.tools.handedOver.hidden = false;
          chat.tools.handedOver.textContent = S.transfer_in;
        }
        return true;
      case "requeued":
        return true;
      case "blocked":
        if (chat) {
          toggleBox(chat, null);
          chat.tools.handedOver.hidden = false;
          chat.tools.handedOver.textContent = fmt(S.blocked_until, { time: new Date(frame.expires_at).toLocaleString(options.lang) });
        }
        return true;
      case "mailbox_sent":
        if (chat) {
          chat.tools.followupText.value = "";
          setStatus(chat, "followup", S.followup_sent);
        }
        return true;
      case "end_reason_saved":
      case "unblocked":
        return true;
      case "error":
        return onError(frame);
      default:
        return false;
    }
  }

  function onError(frame) {
    const boxFor = { note_add: "notes", notes_get: "notes", transfer: "transfer", requeue: "requeue", block: "block", mailbox_send: "followup" };
    const box = boxFor[frame.ref];
    if (!box) return false;
    const text = S[`err_${frame.code}`] || frame.message || S.err_generic;
    for (const chat of options.chats().values()) {
      if (chat.tools && !chat.tools.boxes[box].hidden) setStatus(chat, box, text);
    }
    return true;
  }

  // ----- new visitors: sound and desktop notification -----

  const soundButton = document.getElementById("alert-sound");
  const notifyButton = document.getElementById("alert-notify");
  const layoutButton = document.getElementById("layout-toggle");

  function renderAlertControls() {
    if (soundButton) {
      soundButton.setAttribute("aria-pressed", prefs.sound ? "true" : "false");
      soundButton.textContent = prefs.sound ? S.sound_on : S.sound_off;
    }
    if (notifyButton) {
      const supported = "Notification" in window;
      notifyButton.hidden = !supported || Notification.permission === "granted";
      if (supported && Notification.permission === "denied") notifyButton.disabled = true;
    }
    if (layoutButton) {
      const all = prefs.layout === "all";
      layoutButton.setAttribute("aria-pressed", all ? "true" : "false");
      document.getElementById("chat-panels").classList.toggle("chat-panels--all", all);
    }
  }

  function unlockAudio() {
    // Browsers only allow sound after a gesture; make the context on the first one.
    if (audio) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = new Context();
    } catch {
      audio = null;
    }
  }

  // Two soft notes for someone new; for someone in danger a louder rising triple, twice, so
  // that it is recognised without looking at the screen (issue 12).
  const CHIME = [
    [0, 660],
    [0.18, 880],
  ];
  const URGENT_CHIME = [
    [0, 880],
    [0.14, 1046],
    [0.28, 1318],
    [0.7, 880],
    [0.84, 1046],
    [0.98, 1318],
  ];

  function chime(urgent = false) {
    if (!prefs.sound || !audio) return;
    if (audio.state === "suspended") audio.resume().catch(() => {});
    const now = audio.currentTime;
    const peak = urgent ? 0.35 : 0.2;
    for (const [offset, frequency] of urgent ? URGENT_CHIME : CHIME) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, now + offset);
      gain.gain.exponentialRampToValueAtTime(peak, now + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + offset + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + offset);
      osc.stop(now + offset + 0.3);
    }
  }

  function notify(count, urgent = false) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    try {
      // Never the nickname: a notification can show on a shared or locked screen. An urgent one
      // has its own title and tag (it does not replace, nor get replaced by, an ordinary one)
      // and stays until it is dealt with.
      const note = urgent
        ? new Notification(S.notify_urgent_title, {
            body: fmt(S.notify_urgent_body, { n: count }),
            tag: "baken-urgent",
            requireInteraction: true,
          })
        : new Notification(S.notify_title, { body: fmt(S.notify_body, { n: count }), tag: "baken-queue" });
      note.onclick = () => {
        window.focus();
        note.close();
      };
    } catch {
      // Some browsers only allow notifications from a service worker; the sound still plays.
    }
  }

  const queueAlert = document.getElementById("queue-alert");

  /** The in-page alert stays while someone in danger waits; a new arrival is announced again. */
  function showUrgentAlert(waiting, fresh) {
    if (!queueAlert) return;
    if (!waiting) {
      queueAlert.textContent = "";
      return;
    }
    if (fresh && queueAlert.textContent) {
      // Same text as before: empty it first, or a screen reader would not announce it again.
      queueAlert.textContent = "";
      requestAnimationFrame(() => {
        queueAlert.textContent = S.urgent_alert;
      });
      return;
    }
    queueAlert.textContent = S.urgent_alert;
  }

  function queueUpdated(entries) {
    const ids = new Set(entries.map((e) => e.conversation_id));
    let freshUrgent = false;
    if (knownQueue !== null) {
      let fresh = 0;
      for (const entry of entries) {
        if (knownQueue.has(entry.conversation_id)) continue;
        fresh += 1;
        if (entry.urgent) freshUrgent = true;
      }
      if (fresh > 0) {
        chime(freshUrgent);
        notify(entries.length, freshUrgent);
      }
    }
    showUrgentAlert(
      entries.some((e) => e.urgent),
      freshUrgent,
    );
    knownQueue = ids;
  }

  document.addEventListener("pointerdown", unlockAudio, { once: true, capture: true });
  document.addEventListener("keydown", unlockAudio, { once: true, capture: true });
  if (soundButton)
    soundButton.addEventListener("click", () => {
      prefs.sound = !prefs.sound;
      writePrefs(prefs);
      unlockAudio();
      renderAlertControls();
    });
  if (notifyButton)
    notifyButton.addEventListener("click", async () => {
      try {
        await Notification.requestPermission();
      } catch {
        // Older browsers: the callback form; nothing to do when it is refused.
      }
      renderAlertControls();
    });
  if (layoutButton)
    layoutButton.addEventListener("click", () => {
      prefs.layout = prefs.layout === "all" ? "auto" : "all";
      writePrefs(prefs);
      renderAlertControls();
    });
  renderAlertControls();
  loadCanned();

  return {
    attach,
    applyState,
    onFrame,
    queueUpdated,
    endReason: (chat) => (chat.tools ? chat.tools.endReason.value : ""),
    setPanelBadge: (chat, count) => {
      if (chat.tools) chat.tools.panelBadge.textContent = count > 0 ? String(count) : "";
    },
  };
}
