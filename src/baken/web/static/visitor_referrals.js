// Baken — the referral card on the visitor's page (issue 17, item 2; docs/referrals.md).
// Everything on the card (the service, its sentences in the visitor's language) comes in the
// `referral_card` frame, rendered on the server when the counselor proposed it; it only ever goes
// into the page with textContent. The visitor chooses: the contact details for themselves, a warm
// hand-off with the boxes of what may be shared, or no.

import { el } from "./common.js";

export function createVisitorReferrals(options) {
  const box = options.container;
  const cards = new Map(); // referral id -> { node, frame }

  function reach(service) {
    const items = [...(service.phones || [])];
    for (const key of ["email", "url", "opening_hours"]) if (service[key]) items.push(service[key]);
    return el("ul", { className: "referral-card__reach" }, ...items.map((text) => el("li", { text })));
  }

  function answer(frame, choice, node) {
    const scope = [];
    if (choice === "handoff") {
      for (const input of node.querySelectorAll('input[type="checkbox"]:checked')) scope.push(input.value);
    }
    options.send({
      type: "referral_answer",
      conversation_id: frame.conversation_id,
      referral_id: frame.referral_id,
      answer: choice,
      scope,
    });
    for (const button of node.querySelectorAll("button")) button.disabled = true;
  }

  function show(frame) {
    if (!box || frame.status !== "proposed" || cards.has(frame.referral_id)) return;
    const t = frame.texts || {};
    const service = frame.service || {};
    const node = el("section", {
      className: "referral-card",
      attrs: { "data-referral": frame.referral_id, "aria-label": t.title },
    });
    const contact = el("button", { className: "btn btn--block", text: t.contact, attrs: { type: "button", "data-answer": "contact" } });
    const decline = el("button", { className: "btn btn--quiet btn--block", text: t.decline, attrs: { type: "button", "data-answer": "declined" } });
    node.append(
      el("h2", { className: "referral-card__title", text: t.title }),
      el("p", { className: "referral-card__service" }, el("strong", { text: service.name }), service.organisation ? ` – ${service.organisation}` : ""),
      service.description ? el("p", { text: service.description }) : "",
      el("h3", { text: t.reach }),
      reach(service),
    );
    if (frame.summary) node.append(el("h3", { text: t.summary }), el("p", { className: "referral-card__summary", text: frame.summary }));
    node.append(el("p", { text: t.next }), el("p", { text: t.contact_explain }), contact);
    if (frame.handoff_possible) {
      const fieldset = el("fieldset", { className: "referral-card__scope" }, el("legend", { text: t.handoff }), el("p", { text: t.handoff_explain }), el("p", { text: t.scope }));
      for (const item of frame.scope_items || []) {
        if (item === "summary" && !frame.summary) continue;
        const input = el("input", { attrs: { type: "checkbox", value: item, name: `scope_${item}` } });
        fieldset.append(el("label", { className: "referral-card__item" }, input, ` ${t[`scope_${item}`] || item}`));
      }
      const handoff = el("button", { className: "btn btn--block", text: t.handoff, attrs: { type: "button", "data-answer": "handoff" } });
      fieldset.append(handoff);
      node.append(fieldset);
      handoff.addEventListener("click", () => answer(frame, "handoff", node));
    }
    node.append(decline, el("p", { className: "field__hint", text: `${t.withdraw || ""} ${t.danger || ""}`.trim() }));
    node.append(el("p", { className: "referral-card__status", attrs: { role: "status" } }));
    contact.addEventListener("click", () => answer(frame, "contact", node));
    decline.addEventListener("click", () => answer(frame, "declined", node));
    box.append(node);
    box.hidden = false;
    cards.set(frame.referral_id, { node, frame });
  }

  function settle(referralId, saved) {
    const card = cards.get(referralId);
    if (!card) return;
    const t = card.frame.texts || {};
    card.node.replaceChildren(
      el("p", { className: "referral-card__status", attrs: { role: "status" }, text: saved ? t.saved : t.closed }),
    );
    cards.delete(referralId);
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "referral_card":
        show(frame);
        return true;
      case "referral_answered":
        settle(frame.referral_id, true);
        return true;
      case "referral_state":
        settle(frame.referral_id, false);
        return true;
      case "referrals":
        return true;
      case "error":
        if (frame.ref !== "referral_answer") return false;
        for (const id of [...cards.keys()]) {
          const node = cards.get(id).node;
          if (node.querySelector("button:disabled")) settle(id, false);
        }
        return true;
      default:
        return false;
    }
  }

  return { onFrame };
}
