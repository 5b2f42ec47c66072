// Baken — "same person as an earlier chat?" under the registration form (issue 6).
// The counselor picks one of their own earlier chats; the server checks they may register both
// and joins this chat to that person's case, so the report counts the person once. Nicknames
// are visitor text: they only ever go in through textContent (el's text option).

import { el, fmt } from "./common.js";

function linkUrl(conversationId) {
  return `/api/conversations/${encodeURIComponent(conversationId)}/case-link`;
}

let controlCounter = 0;

export class CaseLinkControl {
  constructor(conversationId, strings, lang) {
    this.conversationId = conversationId;
    this.S = strings;
    this.lang = lang;
    this.id = `case-link-${++controlCounter}`;
    this.root = el("div", { className: "case-link" });
    this.loaded = false;
  }

  async load() {
    const S = this.S;
    this.loaded = true;
    let data;
    try {
      const response = await fetch(linkUrl(this.conversationId), { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      data = await response.json();
    } catch {
      this.loaded = false;
      this.root.replaceChildren(el("p", { className: "reg-status reg-status--problem", text: S.link_failed }));
      return;
    }
    const candidates = Array.isArray(data.candidates) ? data.candidates : [];
    const title = el("p", { className: "case-link__title", text: S.link_title });
    if (!candidates.length) {
      this.root.replaceChildren(title, el("p", { className: "hint", text: S.link_none }));
      return;
    }
    this.select = el("select", { className: "field__input case-link__select", attrs: { id: `${this.id}-select` } });
    for (const item of candidates) {
      const day = item.created_at ? new Date(item.created_at).toLocaleDateString(this.lang) : "";
      const name = item.nickname || S.anonymous;
      const text = `${name} · ${day}${item.same_case ? ` ${S.linked}` : ""}`;
      this.select.append(el("option", { text, attrs: { value: item.id } }));
    }
    const button = el("button", { className: "btn btn--small case-link__button", text: S.link_button, attrs: { type: "button" } });
    button.addEventListener("click", () => this.link());
    this.status = el("p", { className: "reg-status", attrs: { role: "status", "aria-live": "polite" } });
    this.root.replaceChildren(
      title,
      el(
        "div",
        { className: "case-link__row" },
        el("label", { className: "case-link__label", text: S.link_choose, attrs: { for: `${this.id}-select` } }),
        this.select,
        button,
      ),
      this.status,
    );
  }

  async link() {
    const S = this.S;
    const earlier = this.select.value;
    try {
      const response = await fetch(linkUrl(this.conversationId), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ earlier_conversation_id: earlier }),
      });
      if (!response.ok) throw new Error(String(response.status));
    } catch {
      this.status.textContent = S.link_failed;
      this.status.classList.add("reg-status--problem");
      return;
    }
    await this.load();
    if (this.select) this.select.value = earlier;
    if (this.status) this.status.textContent = fmt(S.link_done);
  }
}
