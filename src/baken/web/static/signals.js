// Baken — indicator signals in the counselor's chat panels (issue 19, item 2; docs/signals.md).
// The server sends the chat's own counselor a `signals` frame after a visitor message in which the
// detector found indicators: labels, and spans (Python string offsets, i.e. code points) of the
// message text. Here the spans become <mark> elements in that message, with the label's name on
// hover and focus, and the panel gets a list of the chat's indicators to confirm or dismiss.
//
// - The visitor's words only ever go in with textContent; marks are DOM nodes around text nodes.
// - Nothing here is stored: a confirmation pre-fills the registration's indicator field
//   (registration.js, the counselor still decides and saves), a dismissal is counted by the
//   server per label and day, without the chat (`signals_feedback`).
// - The visitor's page never loads this file and never gets the frame.

import { el, fmt } from "./common.js";

/**
 * Code-point offsets -> UTF-16 offsets for `text`: an emoji before the phrase is one code point
 * in Python but two UTF-16 units here, and the mark must still cover the right words.
 */
function utf16Offsets(text) {
  const out = [0];
  let at = 0;
  for (const ch of text) {
    at += ch.length;
    out.push(at);
  }
  return out;
}

/**
 * Cut `text` at every span edge; each piece carries the labels that cover it, and neighbouring
 * pieces with the same labels are joined. Overlapping spans thus give one mark per distinct set.
 */
export function segments(text, spans) {
  const offsets = utf16Offsets(text);
  const last = offsets.length - 1;
  const ranges = [];
  for (const span of spans) {
    const start = Number(span.start);
    const end = Number(span.end);
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > last || start >= end) continue;
    ranges.push({ start: offsets[start], end: offsets[end], label: span.label });
  }
  const edges = new Set([0, text.length]);
  for (const r of ranges) {
    edges.add(r.start);
    edges.add(r.end);
  }
  const sorted = [...edges].sort((a, b) => a - b);
  const pieces = [];
  for (let i = 0; i + 1 < sorted.length; i += 1) {
    const from = sorted[i];
    const to = sorted[i + 1];
    const labels = [];
    for (const r of ranges) if (r.start <= from && r.end >= to && !labels.includes(r.label)) labels.push(r.label);
    const previous = pieces[pieces.length - 1];
    if (previous && previous.labels.join(" ") === labels.join(" ")) previous.end = to;
    else pieces.push({ start: from, end: to, labels });
  }
  return pieces;
}

export function createSignals({ strings: S, send, chats }) {
  const labelName = (label) => S[`signal_${label}`] || "";
  let descriptionCounter = 0;

  /** Per chat: spans by seq, and per label the messages it was seen in and the verdict. */
  function stateOf(chat) {
    if (!chat.signals) {
      chat.signals = {
        spans: new Map(), // seq -> [{start, end, label}]
        labels: new Map(), // label -> { seqs: Set, verdict: null | "confirmed" | "dismissing" | "dismissed" }
        box: chat.panel.querySelector('[data-role="signals"]'),
        list: chat.panel.querySelector('[data-role="signals-list"]'),
        status: chat.panel.querySelector('[data-role="signals-status"]'),
        descriptions: new Map(), // label -> id of its hidden description
      };
    }
    return chat.signals;
  }

  function attach(chat) {
    stateOf(chat);
  }

  function descriptionId(chat, label) {
    const state = stateOf(chat);
    let id = state.descriptions.get(label);
    if (!id) {
      id = `signal-desc-${++descriptionCounter}`;
      // Referenced by aria-describedby: read out while hidden, so the mark's text stays the words.
      state.box.append(el("span", { text: fmt(S.signals_mark_desc, { name: labelName(label) }), attrs: { id, hidden: "" } }));
      state.descriptions.set(label, id);
    }
    return id;
  }

  /** Re-render one message's text with its marks (or without, if every label was dismissed). */
  function paintMessage(chat, seq) {
    const state = stateOf(chat);
    const node = chat.view.nodes.get(seq);
    const textNode = node && node.querySelector(".msg__text");
    if (!textNode || !node.classList.contains("msg--theirs")) return;
    const text = textNode.textContent;
    const shown = (state.spans.get(seq) || []).filter((span) => {
      const entry = state.labels.get(span.label);
      return entry && entry.verdict !== "dismissed" && labelName(span.label);
    });
    const parts = [];
    for (const piece of segments(text, shown)) {
      const words = text.slice(piece.start, piece.end);
      if (!piece.labels.length) {
        parts.push(document.createTextNode(words));
        continue;
      }
      const names = piece.labels.map(labelName).join(", ");
      const confirmed = piece.labels.every((label) => state.labels.get(label).verdict === "confirmed");
      parts.push(
        el("mark", {
          className: `signal-mark${confirmed ? " signal-mark--confirmed" : ""}`,
          text: words,
          attrs: {
            tabindex: "0",
            title: names,
            "data-labels": piece.labels.join(" "),
            "aria-describedby": piece.labels.map((label) => descriptionId(chat, label)).join(" "),
          },
        }),
      );
    }
    const focused = textNode.contains(document.activeElement) ? document.activeElement.dataset.labels : null;
    textNode.replaceChildren(...parts);
    if (focused) textNode.querySelector(`mark[data-labels="${CSS.escape(focused)}"]`)?.focus();
  }

  function paint(chat) {
    for (const seq of stateOf(chat).spans.keys()) paintMessage(chat, seq);
  }

  function listItem(chat, label) {
    const name = labelName(label);
    const confirm = el("button", {
      className: "btn btn--small",
      text: S.signals_confirm,
      attrs: { type: "button", "data-action": "signal-confirm", "aria-pressed": "false", "aria-label": fmt(S.signals_confirm_named, { name }) },
    });
    const dismiss = el("button", {
      className: "btn btn--small btn--quiet",
      text: S.signals_dismiss,
      attrs: { type: "button", "data-action": "signal-dismiss", "aria-label": fmt(S.signals_dismiss_named, { name }) },
    });
    confirm.addEventListener("click", () => toggleConfirm(chat, label));
    dismiss.addEventListener("click", () => dismissLabel(chat, label));
    return el(
      "li",
      { className: "signals__item", attrs: { "data-label": label } },
      el("span", { className: "signals__name", text: name }),
      el("span", { className: "signals__count" }),
      el("span", { className: "signals__verdict" }),
      el("span", { className: "signals__buttons" }, confirm, dismiss),
    );
  }

  function renderList(chat) {
    const state = stateOf(chat);
    if (!state.box) return;
    for (const [label, entry] of state.labels) {
      let li = state.list.querySelector(`li[data-label="${CSS.escape(label)}"]`);
      if (!li) {
        li = listItem(chat, label);
        state.list.append(li);
      }
      li.querySelector(".signals__count").textContent = fmt(S.signals_times, { n: entry.seqs.size });
      const verdict = entry.verdict;
      li.dataset.verdict = verdict || "";
      li.querySelector(".signals__verdict").textContent =
        verdict === "confirmed" ? (entry.value ? S.signals_confirmed : S.signals_confirmed_no_field) : verdict === "dismissed" ? S.signals_dismissed : "";
      const confirm = li.querySelector('[data-action="signal-confirm"]');
      const dismiss = li.querySelector('[data-action="signal-dismiss"]');
      confirm.setAttribute("aria-pressed", verdict === "confirmed" ? "true" : "false");
      const done = verdict === "dismissed" || verdict === "dismissing";
      if (done && (confirm === document.activeElement || dismiss === document.activeElement)) state.list.focus();
      confirm.hidden = done;
      dismiss.hidden = done;
    }
    state.box.hidden = state.labels.size === 0;
  }

  /** The registration form of this panel (registration.js) listens and pre-fills, once per value. */
  function announceConfirmed(chat) {
    const values = [];
    for (const entry of stateOf(chat).labels.values()) {
      if (entry.verdict === "confirmed" && entry.value && !values.includes(entry.value)) values.push(entry.value);
    }
    chat.panel.dispatchEvent(new CustomEvent("baken:signals-confirmed", { detail: { values } }));
  }

  function toggleConfirm(chat, label) {
    const entry = stateOf(chat).labels.get(label);
    if (!entry || entry.verdict === "dismissed" || entry.verdict === "dismissing") return;
    entry.verdict = entry.verdict === "confirmed" ? null : "confirmed";
    renderList(chat);
    paint(chat);
    announceConfirmed(chat);
  }

  function dismissLabel(chat, label) {
    const state = stateOf(chat);
    const entry = state.labels.get(label);
    if (!entry || entry.verdict === "dismissed" || entry.verdict === "dismissing") return;
    if (!send({ type: "signals_feedback", conversation_id: chat.id, label })) {
      state.status.textContent = S.err_offline || "";
      return;
    }
    const was = entry.verdict;
    entry.verdict = "dismissing";
    entry.before = was;
    state.status.textContent = "";
    renderList(chat);
    if (was === "confirmed") announceConfirmed(chat);
  }

  function onSignals(frame) {
    const chat = chats().get(frame.conversation_id);
    const seq = Number(frame.seq);
    if (!chat || !Number.isInteger(seq) || seq < 1 || !Array.isArray(frame.spans)) return;
    const state = stateOf(chat);
    const spans = frame.spans.filter((span) => span && typeof span.label === "string" && labelName(span.label));
    if (!spans.length) return;
    state.spans.set(seq, spans);
    for (const span of spans) {
      let entry = state.labels.get(span.label);
      if (!entry) {
        // The registration's indicator value (signals/registration_map.py), or none.
        entry = { seqs: new Set(), verdict: null, value: S[`signal_code_${span.label}`] || null };
        state.labels.set(span.label, entry);
      }
      entry.seqs.add(seq);
    }
    renderList(chat);
    paintMessage(chat, seq);
  }

  function onSaved(frame) {
    const chat = chats().get(frame.conversation_id);
    const entry = chat && stateOf(chat).labels.get(frame.label);
    if (!entry) return;
    entry.verdict = "dismissed";
    renderList(chat);
    paint(chat);
  }

  function onError(frame) {
    // The error frame names only the frame type: every dismissal still waiting is given back.
    for (const chat of chats().values()) {
      const state = stateOf(chat);
      let any = false;
      for (const entry of state.labels.values()) {
        if (entry.verdict !== "dismissing") continue;
        entry.verdict = entry.before || null;
        any = true;
      }
      if (!any) continue;
      state.status.textContent = S[`err_${frame.code}`] || S.err_generic || "";
      renderList(chat);
      announceConfirmed(chat);
    }
  }

  return {
    attach,
    /** Messages were added to this chat: a `signals` frame may have come before its message. */
    messagesAdded(chat) {
      if (chat.signals && chat.signals.spans.size) paint(chat);
    },
    onFrame(frame) {
      if (frame.type === "signals") {
        onSignals(frame);
        return true;
      }
      if (frame.type === "signals_feedback_saved") {
        onSaved(frame);
        return true;
      }
      if (frame.type === "error" && frame.ref === "signals_feedback") {
        onError(frame);
        return true;
      }
      // Errors that name no frame (rate_limited): a waiting dismissal was not counted either;
      // the console still shows the error itself.
      if (frame.type === "error" && !frame.ref) onError(frame);
      return false;
    },
  };
}
