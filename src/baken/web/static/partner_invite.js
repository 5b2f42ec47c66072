// Baken — the warm hand-off in the counselor console (issue 17, item 3; docs/partners.md): for a
// referral whose visitor chose a warm hand-off, list the partner organisation's professionals
// (who is online first), invite one into this chat, see until when, and end their access. The
// server checks everything again; this only offers what makes sense. Texts: console strings.

import { clockTime, el, fmt } from "./common.js";

const FRAME_TYPES = new Set(["partner_candidates", "partner_invite", "partner_end"]);

export function createPartnerInvites(options) {
  const S = options.strings;
  const handoffs = new Map(); // conversation id → Map(referral id → referral with hand-off consent)
  const open = new Map(); // conversation id → the open invitation (access)

  function section(chat) {
    return chat.panel.querySelector('[data-role="partner-invite"]');
  }

  function status(chat, text) {
    const node = section(chat)?.querySelector('[data-role="partner-status"]');
    if (node) node.textContent = text || "";
  }

  function attach(chat) {
    const referrals = chat.panel.querySelector('[data-role="referrals"]');
    if (!referrals || section(chat)) return;
    const box = el(
      "section",
      { className: "partner-invite", attrs: { "data-role": "partner-invite", hidden: true } },
      el("h3", { text: S.partner_title }),
      el("p", { className: "hint", attrs: { "data-role": "partner-status", role: "status" } }),
      el("button", {
        className: "btn btn--small",
        text: S.partner_find,
        attrs: { type: "button", "data-action": "partner-find" },
      }),
      el("ul", { className: "partner-invite__list", attrs: { "data-role": "partner-candidates" } }),
      el("button", {
        className: "btn btn--small",
        text: S.partner_end,
        attrs: { type: "button", "data-action": "partner-end", hidden: true },
      }),
    );
    referrals.after(box);
    box.querySelector('[data-action="partner-find"]').addEventListener("click", () => {
      const referral = latest(chat.id);
      if (referral) {
        options.send({ type: "partner_candidates", conversation_id: chat.id, referral_id: referral.id });
      }
    });
    box.querySelector('[data-action="partner-end"]').addEventListener("click", () => {
      const access = open.get(chat.id);
      if (access) options.send({ type: "partner_end", conversation_id: chat.id, access_id: access.id });
    });
    render(chat.id);
  }

  function latest(conversationId) {
    const found = [...(handoffs.get(conversationId) || new Map()).values()];
    return found.length ? found[found.length - 1] : null;
  }

  function render(conversationId) {
    const chat = options.chats().get(conversationId);
    const box = chat && section(chat);
    if (!box) return;
    const access = open.get(conversationId);
    box.hidden = !latest(conversationId) && !access;
    box.querySelector('[data-action="partner-find"]').hidden = Boolean(access);
    box.querySelector('[data-action="partner-end"]').hidden = !access;
    if (access) {
      box.querySelector('[data-role="partner-candidates"]').replaceChildren();
      status(chat, fmt(S.partner_invited, { time: clockTime(access.expires_at, options.lang) }));
    }
  }

  function candidates(frame) {
    const chat = options.chats().get(frame.conversation_id);
    const box = chat && section(chat);
    if (!box) return;
    const list = box.querySelector('[data-role="partner-candidates"]');
    const people = frame.candidates || [];
    status(chat, people.length ? "" : S.partner_none);
    list.replaceChildren(
      ...people.map((person) =>
        el(
          "li",
          {},
          el("span", { text: `${person.display_name} (${person.online ? S.partner_online : S.partner_offline})` }),
          " ",
          el("button", {
            className: "btn btn--small",
            text: S.partner_invite,
            attrs: { type: "button", "data-staff-id": person.id },
          }),
        ),
      ),
    );
    for (const button of list.querySelectorAll("button[data-staff-id]")) {
      button.addEventListener("click", () =>
        options.send({
          type: "partner_invite",
          conversation_id: frame.conversation_id,
          referral_id: frame.referral_id,
          partner_staff_id: button.dataset.staffId,
        }),
      );
    }
  }

  function remember(conversationId, referral) {
    if (!referral || !referral.id) return;
    if (!handoffs.has(conversationId)) handoffs.set(conversationId, new Map());
    const live = referral.consent_level === "handoff" && referral.status === "handoff" && !referral.withdrawn_at;
    if (live) handoffs.get(conversationId).set(referral.id, referral);
    else handoffs.get(conversationId).delete(referral.id);
    render(conversationId);
  }

  /** Looks at every frame; returns true only for the frames that are this module's own. */
  function onFrame(frame) {
    switch (frame.type) {
      case "referral_proposed":
      case "referral_update":
        remember(frame.conversation_id, frame.referral);
        return false; // referrals.js shows them too
      case "referrals":
        for (const referral of frame.referrals || []) remember(frame.conversation_id, referral);
        return false;
      case "partner_candidates":
        candidates(frame);
        return true;
      case "partner_invited":
        open.set(frame.access.conversation_id, frame.access);
        render(frame.access.conversation_id);
        return true;
      case "partner_access_ended": {
        const access = open.get(frame.conversation_id);
        if (access && access.id === frame.access_id) open.delete(frame.conversation_id);
        render(frame.conversation_id);
        const chat = options.chats().get(frame.conversation_id);
        if (chat) status(chat, S[`partner_ended_${frame.reason}`] || S.partner_ended);
        return true;
      }
      case "error": {
        if (!FRAME_TYPES.has(frame.ref)) return false;
        for (const chat of options.chats().values()) {
          if (chat.panel.contains(document.activeElement) || options.chats().size === 1) {
            status(chat, S[`partner_err_${frame.code}`] || S[`err_${frame.code}`] || S.err_generic);
          }
        }
        return true;
      }
      default:
        return false;
    }
  }

  return { attach, onFrame };
}
