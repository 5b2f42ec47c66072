// Baken — the registration form in the counselor console (issue 6), and the "to register" list.
// Fields are generated from the codebook (GET /api/registrations/codebook) in the page language.
// Drafts are saved as the counselor works; "Mark complete" asks the server, which checks
// everything and answers per field. The server is the only judge: this file never decides that a
// value is valid, it only shows what the server said. No user text is ever put in as HTML.
//
// Issue 12: a field is saved (and so checked) as soon as the counselor leaves it; a refused
// "Mark complete" moves the focus to the first open field and says how many are left, with links
// to the first few, instead of listing all of them. Every later save answers with the fields still
// missing ("missing"), so the count goes down as they are filled in.
//
// It hooks into the console without console.js knowing: every chat panel cloned from
// <template id="tpl-chat"> has a [data-role="registration"] slot, filled here when it appears.

import { CaseLinkControl } from "./case_link.js";
import { clockTime, el, fmt } from "./common.js";

const root = document.getElementById("registration-strings");
const S = parseStrings(root);
// BAKEN_REGISTRATION_REQUIRED: an ended chat's panel stays until its registration is complete.
const REQUIRED = Boolean(root && root.dataset.required === "true");
const lang = document.body.dataset.lang || document.documentElement.lang || "nl";
const SAVE_DELAY_MS = 700;
const RETRY_MS = 5000;
const PENDING_REFRESH_MS = 60_000;
const SELECT_ABOVE = 6; // single-choice fields with more values than this become a <select>
const MISSING_LINKS = 3; // links in the summary; the rest are marked at their fields

function parseStrings(node) {
  try {
    const parsed = JSON.parse((node && node.dataset.strings) || "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

let codebookPromise = null;
function codebook() {
  if (!codebookPromise) {
    codebookPromise = fetch(`/api/registrations/codebook?lang=${encodeURIComponent(lang)}`, {
      credentials: "same-origin",
    }).then((response) => {
      if (!response.ok) throw new Error(`codebook ${response.status}`);
      return response.json();
    });
    codebookPromise.catch(() => {
      codebookPromise = null;
    });
  }
  return codebookPromise;
}

function registrationUrl(conversationId) {
  return `/api/conversations/${encodeURIComponent(conversationId)}/registration?lang=${encodeURIComponent(lang)}`;
}

let formCounter = 0;

/** One registration form for one conversation, rendered into `container`. */
export class RegistrationForm {
  constructor(container, conversationId, { onSaved, onState } = {}) {
    this.container = container;
    this.conversationId = conversationId;
    this.onSaved = onSaved || (() => {});
    this.onState = onState || (() => {});
    this.loadFailed = false;
    this.prefix = `reg-${++formCounter}`;
    this.version = 0;
    this.complete = false;
    this.fields = [];
    this.inputs = new Map(); // field id -> { fieldset, controls, error, field }
    this.dirty = false;
    this.saving = false;
    this.timer = 0;
    this.loaded = false;
    this.invalid = {}; // field id -> problem, from the last refused save
    this.missing = new Map(); // field id -> message, shown once "Mark complete" was refused
    this.checking = false; // "Mark complete" was refused and not yet done
    this.suggested = new Set(); // indicator values the counselor confirmed in the chat (signals.js)
    this.prefilled = new Set(); // ... of which each is ticked once: unticking it then stands
    // Issue 17: values from the chat's referrals (referrals.js), per field; each ticked once.
    this.fromReferrals = new Map();
    this.referralPrefilled = new Set();
  }

  async load() {
    this.container.replaceChildren(el("p", { className: "hint", text: S.loading }));
    try {
      const [book, response] = await Promise.all([
        codebook(),
        fetch(registrationUrl(this.conversationId), { credentials: "same-origin" }),
      ]);
      if (!response.ok) throw new Error(`registration ${response.status}`);
      const data = await response.json();
      this.fields = Array.isArray(book.fields) ? book.fields : [];
      this.render();
      this.apply(data, data.version === 0 && data.defaults ? data.defaults : data.values);
      if (data.version === 0 && data.defaults) this.setStatus(S.defaults_loaded);
      this.loaded = true;
      this.loadFailed = false;
      this.prefill();
      this.prefillReferrals();
    } catch {
      this.loadFailed = true;
      this.onState(this);
      this.container.replaceChildren(
        el("p", { className: "reg-status reg-status--problem", text: S.load_failed, attrs: { role: "status" } }),
      );
    }
  }

  render() {
    const form = el("form", { className: "reg-form", attrs: { novalidate: true } });
    form.addEventListener("submit", (event) => event.preventDefault());
    this.summary = el("div", {
      className: "reg-summary",
      attrs: { role: "alert", tabindex: "-1", id: `${this.prefix}-summary` },
    });
    this.summary.hidden = true;
    for (const field of this.fields) form.append(this.renderField(field));
    this.status = el("p", { className: "reg-status", attrs: { role: "status", "aria-live": "polite" } });
    this.completeButton = el("button", {
      className: "btn btn--primary btn--small reg-complete",
      text: S.mark_complete,
      attrs: { type: "button" },
    });
    this.completeButton.addEventListener("click", () => this.markComplete());
    // The summary sits in the sticky bar beside "Mark complete": in view wherever the form is
    // scrolled to, and where the counselor looks after pressing it.
    form.append(el("div", { className: "reg-actions" }, this.summary, this.completeButton, this.status));
    form.addEventListener("change", () => this.changed());
    form.addEventListener("input", (event) => {
      if (event.target && event.target.type === "number") this.changed();
    });
    // Leaving a field saves it at once, so its own error (if any) shows while it is still in mind.
    form.addEventListener("focusout", (event) => {
      const from = event.target instanceof Element ? event.target.closest("fieldset") : null;
      const to = event.relatedTarget instanceof Element ? event.relatedTarget.closest("fieldset") : null;
      if (from && from !== to && this.dirty) this.save();
    });
    this.form = form;
    this.container.replaceChildren(form);
  }

  renderField(field) {
    const id = `${this.prefix}-${field.id}`;
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    const fieldset = el("fieldset", {
      className: "reg-field",
      attrs: { "data-field": field.id, "aria-describedby": `${hintId} ${errorId}` },
    });
    const legend = el("legend", { className: "reg-field__label", text: field.label });
    const hint = el("p", { className: "reg-field__hint", text: field.definition, attrs: { id: hintId } });
    const error = el("p", { className: "reg-field__error", attrs: { id: errorId } });
    const values = Array.isArray(field.values) ? field.values : [];
    let controls = [];
    let body;
    if (field.kind === "int") {
      const input = el("input", {
        className: "field__input reg-number",
        attrs: {
          id: `${id}-input`,
          type: "number",
          inputmode: "numeric",
          min: field.minimum ?? undefined,
          max: field.maximum ?? undefined,
          step: 1,
          name: field.id,
          "aria-describedby": `${hintId} ${errorId}`,
        },
      });
      const label = el("label", { className: "visually-hidden", text: field.label, attrs: { for: input.id } });
      controls = [input];
      body = el("div", { className: "reg-field__body" }, label, input, el("span", { className: "hint", text: S.empty_is_unknown }));
    } else if (field.kind === "single" && values.length > SELECT_ABOVE) {
      const select = el("select", {
        className: "field__input reg-select",
        attrs: { id: `${id}-input`, name: field.id, "aria-describedby": `${hintId} ${errorId}` },
      });
      select.append(el("option", { text: S.choose, attrs: { value: "" } }));
      for (const value of values) select.append(el("option", { text: value.label, attrs: { value: value.id } }));
      const label = el("label", { className: "visually-hidden", text: field.label, attrs: { for: select.id } });
      controls = [select];
      body = el("div", { className: "reg-field__body" }, label, select);
    } else {
      const type = field.kind === "multi" ? "checkbox" : "radio";
      body = el("div", { className: "reg-field__body reg-options" });
      values.forEach((value, index) => {
        const input = el("input", {
          attrs: { type, id: `${id}-${index}`, name: `${id}-${field.id}`, value: value.id },
        });
        if (type === "checkbox") input.addEventListener("change", () => this.exclusive(field, input));
        controls.push(input);
        body.append(
          el(
            "label",
            { className: "reg-option", attrs: { for: input.id } },
            input,
            el("span", { text: value.label }),
          ),
        );
      });
    }
    fieldset.append(legend, hint, body, error);
    this.inputs.set(field.id, { fieldset, controls, error, field });
    return fieldset;
  }

  /** Issue 19, item 2: signals the counselor confirmed in the chat, to tick under "Indicators". */
  suggest(values) {
    this.suggested = new Set(Array.isArray(values) ? values : []);
    if (this.loaded) this.prefill();
  }

  prefill() {
    const entry = this.inputs.get("indicators");
    if (!entry || entry.fieldset.hidden || this.complete) return;
    let added = false;
    for (const control of entry.controls) {
      if (!this.suggested.has(control.value) || this.prefilled.has(control.value)) continue;
      this.prefilled.add(control.value);
      if (control.checked) continue;
      control.checked = true;
      this.exclusive(entry.field, control);
      added = true;
    }
    if (!added) return;
    // Beside the field, not in the status line: the next save would overwrite it there.
    if (!entry.prefilledNote) {
      entry.prefilledNote = el("p", { className: "hint reg-field__prefilled", text: S.signals_prefilled });
      entry.fieldset.insertBefore(entry.prefilledNote, entry.fieldset.querySelector(".reg-field__body"));
    }
    this.changed();
  }

  /** Issue 17: the chat's real referrals and consent, to tick under their registration fields. */
  suggestFromReferrals(values) {
    this.fromReferrals = new Map(Object.entries(values || {}).map(([id, v]) => [id, new Set(v)]));
    if (this.loaded) this.prefillReferrals();
  }

  prefillReferrals() {
    if (this.complete) return;
    let added = false;
    for (const [fieldId, values] of this.fromReferrals) {
      const entry = this.inputs.get(fieldId);
      if (!entry || entry.fieldset.hidden) continue;
      for (const control of entry.controls) {
        const key = `${fieldId}:${control.value}`;
        if (!values.has(control.value) || this.referralPrefilled.has(key)) continue;
        this.referralPrefilled.add(key);
        if (control.checked) continue;
        control.checked = true;
        this.exclusive(entry.field, control);
        added = true;
        if (!entry.referralNote) {
          entry.referralNote = el("p", { className: "hint reg-field__prefilled", text: S.referral_prefilled });
          entry.fieldset.insertBefore(entry.referralNote, entry.fieldset.querySelector(".reg-field__body"));
        }
      }
    }
    if (added) this.changed();
  }

  /** "unknown" and "none" cannot be combined with other choices: ticking one clears the others. */
  exclusive(field, input) {
    if (!input.checked) return;
    const exclusive = new Set(field.exclusive || []);
    const { controls } = this.inputs.get(field.id);
    for (const other of controls) {
      if (other === input || !other.checked) continue;
      if (exclusive.has(input.value) || exclusive.has(other.value)) other.checked = false;
    }
  }

  value(fieldId) {
    const { controls, field } = this.inputs.get(fieldId);
    if (field.kind === "int") {
      const raw = controls[0].value.trim();
      if (raw === "") return null;
      const number = Number(raw);
      return Number.isInteger(number) ? number : raw; // the server explains what is wrong
    }
    if (controls.length === 1 && controls[0].tagName === "SELECT") return controls[0].value || null;
    if (field.kind === "multi") {
      const chosen = controls.filter((c) => c.checked).map((c) => c.value);
      return chosen.length ? chosen : null;
    }
    const chosen = controls.find((c) => c.checked);
    return chosen ? chosen.value : null;
  }

  setValue(fieldId, value) {
    const entry = this.inputs.get(fieldId);
    if (!entry) return;
    const { controls, field } = entry;
    if (field.kind === "int") {
      controls[0].value = value === null || value === undefined ? "" : String(value);
    } else if (controls.length === 1 && controls[0].tagName === "SELECT") {
      controls[0].value = value || "";
    } else {
      const wanted = new Set(Array.isArray(value) ? value : value ? [value] : []);
      for (const control of controls) control.checked = wanted.has(control.value);
    }
  }

  values() {
    const out = {};
    for (const field of this.fields) {
      if (this.inputs.get(field.id).fieldset.hidden) out[field.id] = null;
      else out[field.id] = this.value(field.id);
    }
    return out;
  }

  /** Show only the fields that apply; the codebook says when one does not. */
  relevance() {
    for (const field of this.fields) {
      const conditions = Array.isArray(field.not_applicable_when) ? field.not_applicable_when : [];
      const hide = conditions.some((c) => {
        const other = this.inputs.get(c.field);
        if (!other || other.fieldset.hidden) return false;
        const value = this.value(c.field);
        return typeof value === "string" && c.values.includes(value);
      });
      const entry = this.inputs.get(field.id);
      entry.fieldset.hidden = hide;
    }
  }

  apply(data, values) {
    this.version = Number(data.version) || 0;
    this.complete = Boolean(data.complete);
    for (const field of this.fields) this.setValue(field.id, values ? values[field.id] : null);
    this.relevance();
    this.invalid = {};
    this.missing = new Map();
    this.checking = false;
    this.showErrors();
    this.showComplete();
    if (this.version > 0) {
      this.setStatus(this.complete ? S.complete : fmt(S.saved_at, { time: clockTime(data.updated_at, lang) }));
    }
  }

  showComplete() {
    this.completeButton.textContent = this.complete ? S.is_complete : S.mark_complete;
    this.completeButton.setAttribute("aria-pressed", this.complete ? "true" : "false");
    this.container.dataset.complete = this.complete ? "true" : "false";
    this.onState(this);
  }

  setStatus(text, problem = false) {
    this.status.textContent = text;
    this.status.classList.toggle("reg-status--problem", problem);
  }

  changed() {
    this.relevance();
    this.dirty = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.save(), SAVE_DELAY_MS);
  }

  async save(complete) {
    clearTimeout(this.timer);
    if (this.saving) {
      this.again = complete === true ? true : this.again || "draft";
      return null;
    }
    this.saving = true;
    let settled;
    this.inflight = new Promise((resolve) => {
      settled = resolve;
    });
    this.dirty = false;
    this.setStatus(S.saving);
    const body = { version: this.version, values: this.values() };
    if (complete === true) body.complete = true;
    let outcome = null;
    try {
      const response = await fetch(registrationUrl(this.conversationId), {
        method: "PUT",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      outcome = response.status;
      if (response.ok) {
        this.version = Number(data.version) || this.version;
        this.complete = Boolean(data.complete);
        this.invalid = {};
        if (this.complete) this.checking = false;
        this.updateMissing(this.checking && Array.isArray(data.missing) ? data.missing : []);
        this.showErrors();
        this.showComplete();
        this.setStatus(this.complete ? S.complete : fmt(S.saved_at, { time: clockTime(data.updated_at, lang) }));
        this.onSaved(this);
      } else if (response.status === 422) {
        const fields = data.fields && typeof data.fields === "object" ? data.fields : {};
        if (data.error === "incomplete") {
          // Nothing else was wrong: what is left are the open questions.
          this.checking = true;
          this.invalid = {};
          this.missing = new Map(Object.entries(fields).map(([id, p]) => [id, (p && p.message) || S.check_field]));
        } else {
          this.invalid = fields;
        }
        this.showErrors();
        this.setStatus(data.error === "incomplete" ? S.incomplete : S.not_saved_invalid, true);
      } else if (response.status === 409) {
        this.conflict(data.message || S.conflict);
      } else {
        this.setStatus(S.not_saved, true);
      }
    } catch {
      this.dirty = true;
      this.setStatus(S.not_saved_offline, true);
      this.timer = setTimeout(() => this.save(), RETRY_MS);
    } finally {
      this.saving = false;
      settled();
    }
    if (this.again) {
      const again = this.again;
      this.again = null;
      return this.save(again === true ? true : undefined);
    }
    return outcome;
  }

  async markComplete() {
    // Leaving a field for this button has just started a draft save: let it finish, then ask.
    while (this.saving) await this.inflight;
    const status = await this.save(true);
    if (status === 422) this.focusFirstProblem();
  }

  /** The missing fields as the server now sees them; messages kept from its refusal. */
  updateMissing(ids) {
    const fallback = this.missing.values().next().value || S.check_field;
    this.missing = new Map(ids.map((id) => [id, this.missing.get(id) || fallback]));
  }

  /** Errors in form order: the server's refusals first, then the open questions. */
  problems() {
    const out = [];
    for (const [fieldId, entry] of this.inputs) {
      const invalid = this.invalid[fieldId];
      if (invalid) out.push({ fieldId, entry, message: invalid.message || S.check_field, missing: false });
      else if (this.missing.has(fieldId)) out.push({ fieldId, entry, message: this.missing.get(fieldId), missing: true });
    }
    return out;
  }

  focusFirstProblem() {
    const first = this.problems()[0];
    if (!first) {
      this.summary.focus();
      return;
    }
    // In the wide registering panel: first the whole panel in view, then the field inside it, so
    // that the summary in its sticky bar is not left below the window.
    this.container.closest(".chat-panel--registering")?.scrollIntoView({ block: "nearest" });
    const { controls } = first.entry;
    (controls.find((c) => c.checked) || controls[0]).focus();
  }

  conflict(message) {
    const reload = el("button", { className: "btn btn--small", text: S.reload, attrs: { type: "button" } });
    reload.addEventListener("click", () => this.load());
    this.status.replaceChildren(el("span", { text: message }), " ", reload);
    this.status.classList.add("reg-status--problem");
  }

  showErrors() {
    const problems = this.problems();
    const byField = new Map(problems.map((p) => [p.fieldId, p]));
    for (const [fieldId, entry] of this.inputs) {
      const problem = byField.get(fieldId);
      // An open question gets a short mark, not the same sentence 21 times: the status line
      // already says that "unknown" is an answer too.
      entry.error.textContent = problem ? (problem.missing ? S.field_missing || problem.message : problem.message) : "";
      entry.fieldset.classList.toggle("reg-field--invalid", Boolean(problem) && !problem.missing);
      entry.fieldset.classList.toggle("reg-field--missing", Boolean(problem) && problem.missing);
      for (const control of entry.controls) {
        if (problem) control.setAttribute("aria-invalid", "true");
        else control.removeAttribute("aria-invalid");
      }
      if (problem && entry.fieldset.hidden) entry.fieldset.hidden = false;
    }
    const unknown = Object.keys(this.invalid).filter((key) => !this.inputs.has(key));
    this.summary.replaceChildren();
    const link = ({ entry }, text) => {
      const control = entry.controls[0];
      const a = el("a", { text, attrs: { href: `#${control.id}` } });
      a.addEventListener("click", (event) => {
        event.preventDefault();
        (entry.controls.find((c) => c.checked) || control).focus();
      });
      return el("li", {}, a);
    };
    const invalid = problems.filter((p) => !p.missing);
    if (invalid.length || unknown.length) {
      // Values the server refused: few at a time, each named with what is wrong.
      const list = el("ul", { className: "reg-summary__list" });
      for (const p of invalid) list.append(link(p, `${p.entry.field.label}: ${p.message}`));
      for (const key of unknown) list.append(el("li", { text: this.invalid[key].message || S.check_field }));
      this.summary.append(
        el("p", { className: "reg-summary__title", text: fmt(S.errors_title, { n: invalid.length + unknown.length }) }),
        list,
      );
    }
    const missing = problems.filter((p) => p.missing);
    if (missing.length) {
      // Open questions: how many, and the first few; all of them are marked at their fields.
      const list = el("ul", { className: "reg-summary__list reg-summary__list--missing" });
      for (const p of missing.slice(0, MISSING_LINKS)) list.append(link(p, p.entry.field.label));
      if (missing.length > MISSING_LINKS) {
        list.append(el("li", { className: "reg-summary__more", text: fmt(S.missing_more, { n: missing.length - MISSING_LINKS }) }));
      }
      this.summary.append(
        el(
          "div",
          { className: "reg-summary__missing" },
          el("p", { className: "reg-summary__title", text: fmt(S.missing_n, { n: missing.length }) }),
          list,
        ),
      );
    }
    this.summary.hidden = this.summary.childElementCount === 0;
  }
}

// ----- registration inside each chat panel -----

const attached = new WeakSet();

function attachToPanel(panel) {
  if (attached.has(panel) || !panel.dataset.id) return;
  const slot = panel.querySelector('[data-role="registration"]');
  if (!slot) return;
  attached.add(panel);
  const details = el("details", { className: "reg-details" });
  const summary = el("summary", {
    className: "reg-details__summary",
    text: REQUIRED ? S.registration_required : S.registration,
  });
  const body = el("div", { className: "reg-details__body" });
  const link = new CaseLinkControl(panel.dataset.id, S, lang);
  const notice = el("p", {
    className: "reg-status reg-status--problem reg-required",
    text: S.required_before_close,
    attrs: { id: `reg-required-${++formCounter}`, role: "alert" },
  });
  notice.hidden = true;
  // Issue 17, item 4: an anonymous signal to the police about what came up in this chat, on its
  // own page in a new tab (docs/police-signals.md); the chat id is only the drafter's reference.
  const police = el(
    "p",
    { className: "police-signal-link" },
    el("a", {
      text: S.police_signal,
      attrs: {
        href: `/staff/police-signals/new?conversation=${encodeURIComponent(panel.dataset.id)}&lang=${encodeURIComponent(lang)}`,
        target: "_blank",
        rel: "noopener",
      },
    }),
  );
  details.append(summary, body, link.root, police);
  slot.replaceChildren(notice, details);
  const form = new RegistrationForm(body, panel.dataset.id, {
    onSaved: () => schedulePendingRefresh(),
    onState: () => gate(),
  });
  panel.addEventListener("baken:signals-confirmed", (event) => form.suggest(event.detail && event.detail.values));
  panel.addEventListener("baken:referrals-known", (event) => form.suggestFromReferrals(event.detail && event.detail.values));
  const ended = () => panel.classList.contains("chat-panel--ended");
  // The chat itself has already ended for the visitor; only the counselor's panel waits. A form
  // that cannot be loaded does not trap the panel: the "to register" list still holds the chat.
  const blocked = () => REQUIRED && ended() && !form.loadFailed && !form.complete;
  function gate() {
    const closeButton = panel.querySelector('[data-action="close"]');
    if (!closeButton) return;
    const stop = blocked();
    if (stop) closeButton.setAttribute("aria-disabled", "true");
    else closeButton.removeAttribute("aria-disabled");
    if (stop) closeButton.setAttribute("aria-describedby", notice.id);
    else closeButton.removeAttribute("aria-describedby");
    if (!stop) notice.hidden = true;
  }
  panel.addEventListener(
    "click",
    (event) => {
      const closeButton = event.target instanceof Element ? event.target.closest('[data-action="close"]') : null;
      if (!closeButton || !panel.contains(closeButton) || !blocked()) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      notice.hidden = false;
      details.open = true;
    },
    true,
  );
  // An ended chat whose registration is open gets the whole width of the chat column (baken.css):
  // a third of it with three chats open made the form many screens long (issue 12).
  const registering = () => panel.classList.toggle("chat-panel--registering", ended() && details.open);
  details.addEventListener("toggle", () => {
    if (details.open && !form.loaded) form.load();
    if (details.open && !link.loaded) link.load();
    registering();
  });
  let openedOnEnd = false;
  panel.registrationGate = () => {
    // When the chat ends its registration opens by itself, once: the counselor registers while
    // the chat is fresh (or closes it and does it later from "To register").
    if (ended() && !openedOnEnd) {
      openedOnEnd = true;
      if (!form.complete) {
        details.open = true;
        registering();
        // Take the focus only from this chat (or from nowhere): never from a chat in which the
        // counselor is typing to someone else.
        const focus = document.activeElement;
        if (!focus || focus === document.body || panel.contains(focus)) {
          // The panel moves to a row of its own below the running chats: bring all of it in view.
          panel.scrollIntoView({ block: "nearest" });
          summary.focus({ preventScroll: true });
        }
      }
    }
    registering();
    gate();
  };
}

// ----- the "to register" list and its dialog -----

const list = document.getElementById("to-register-list");
const count = document.getElementById("to-register-count");
const empty = document.getElementById("to-register-empty");
const problem = document.getElementById("to-register-error");
const dialog = document.getElementById("register-dialog");
let pendingTimer = 0;
let dialogForm = null;

async function refreshPending() {
  if (!list) return;
  try {
    const response = await fetch(`/api/registrations/pending?lang=${encodeURIComponent(lang)}`, {
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    renderPending(Array.isArray(data.conversations) ? data.conversations : []);
    problem.textContent = "";
  } catch {
    problem.textContent = S.list_failed;
  }
}

function schedulePendingRefresh() {
  clearTimeout(pendingTimer);
  pendingTimer = setTimeout(refreshPending, 300);
}

function renderPending(items) {
  const focusedId = list.contains(document.activeElement) ? document.activeElement.dataset.id : null;
  list.replaceChildren();
  for (const item of items) {
    const name = item.nickname || S.anonymous;
    const nameId = `to-register-${String(item.id).replace(/[^A-Za-z0-9_-]/g, "")}`;
    const button = el("button", {
      className: "btn btn--small",
      text: S.register,
      attrs: { type: "button", "aria-describedby": nameId, "data-id": item.id },
    });
    button.addEventListener("click", () => openDialog(item.id, name));
    const when = item.ended_at ? fmt(S.ended_at, { time: clockTime(item.ended_at, lang) }) : "";
    const state = item.registration === "draft" ? S.draft : S.not_started;
    const required = item.required ? ` · ${S.required}` : "";
    list.append(
      el(
        "li",
        { className: "queue-item", attrs: { "data-id": item.id } },
        el(
          "div",
          { className: "queue-item__info" },
          el("span", { className: "queue-item__name", text: name, attrs: { id: nameId } }),
          el("span", { className: "queue-item__wait", text: `${state}${required} · ${when}` }),
        ),
        button,
      ),
    );
  }
  count.textContent = String(items.length);
  empty.hidden = items.length > 0;
  if (focusedId) list.querySelector(`button[data-id="${CSS.escape(focusedId)}"]`)?.focus();
}

function openDialog(conversationId, name) {
  if (!dialog) return;
  dialog.querySelector('[data-role="title"]').textContent = fmt(S.registration_of, { name });
  const body = dialog.querySelector('[data-role="form"]');
  dialogForm = new RegistrationForm(body, conversationId, { onSaved: () => schedulePendingRefresh() });
  dialog.dataset.id = conversationId;
  dialog.showModal();
  dialogForm.load();
}

if (dialog) {
  dialog.querySelector('[data-action="close"]').addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (dialogForm && dialogForm.dirty) dialogForm.save();
    dialogForm = null;
    schedulePendingRefresh();
  });
}

// ----- go -----

const panels = document.getElementById("chat-panels");
if (panels) {
  for (const panel of panels.querySelectorAll(".chat-panel")) attachToPanel(panel);
  // Messages are added inside the panels all the time: the checks below are cheap on purpose.
  new MutationObserver((records) => {
    let ended = false;
    for (const record of records) {
      if (record.type === "childList" && record.target === panels) {
        for (const node of record.addedNodes) {
          if (node instanceof HTMLElement && node.classList.contains("chat-panel")) attachToPanel(node);
        }
        if (record.removedNodes.length) ended = true;
      } else if (record.type === "attributes" && record.target.classList.contains("chat-panel--ended")) {
        ended = true;
        if (typeof record.target.registrationGate === "function") record.target.registrationGate();
      }
    }
    if (ended) schedulePendingRefresh();
  }).observe(panels, { childList: true, subtree: true, attributes: true, attributeFilter: ["class"] });
}
refreshPending();
setInterval(refreshPending, PENDING_REFRESH_MS);
