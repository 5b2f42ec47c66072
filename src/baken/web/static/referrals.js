// Baken — referrals in the console (issue 17, item 2; docs/referrals.md): search the partner
// directory, propose a service (with an optional summary the visitor reads), and see the visitor's
// consent as soon as they answer. All texts come from #referral-strings; user and directory text
// only ever goes in with textContent.

import { el, fmt, readStrings } from "./common.js";

const FRAME_TYPES = new Set(["referral_propose", "referrals_get"]);

export function createReferrals(options) {
  const S = readStrings(document.getElementById("referral-strings") || document.body);
  /** conversation id -> referral id -> referral view */
  const known = new Map();

  function parts(chat) {
    const q = (selector) => chat.panel.querySelector(selector);
    return {
      query: q('[data-role="referral-query"]'),
      service: q('[data-role="referral-service"]'),
      summary: q('[data-role="referral-summary"]'),
      status: q('[data-role="referral-status"]'),
      list: q('[data-role="referral-list"]'),
    };
  }

  function setStatus(chat, text) {
    const node = parts(chat).status;
    if (node) node.textContent = text;
  }

  async function search(chat) {
    const ui = parts(chat);
    const params = new URLSearchParams();
    if (ui.query.value.trim()) params.set("q", ui.query.value.trim());
    try {
      const response = await fetch(`/api/staff/directory?${params}`, { credentials: "same-origin" });
      if (!response.ok) throw new Error(String(response.status));
      const data = await response.json();
      ui.service.replaceChildren();
      for (const service of data.services || []) {
        const label = service.organization_name ? `${service.name} – ${service.organization_name}` : service.name;
        ui.service.append(el("option", { text: label, attrs: { value: service.id } }));
      }
      setStatus(chat, ui.service.options.length ? "" : S.none_found);
    } catch {
      setStatus(chat, S.search_failed);
    }
  }

  function propose(chat) {
    const ui = parts(chat);
    if (!ui.service.value) {
      setStatus(chat, S.none_found);
      return;
    }
    const frame = { type: "referral_propose", conversation_id: chat.id, service_id: ui.service.value };
    const summary = ui.summary.value.trim();
    if (summary) frame.summary = summary;
    if (!options.send(frame)) setStatus(chat, S.err_generic);
  }

  function attach(chat) {
    const section = chat.panel.querySelector('[data-role="referrals"]');
    if (!section) return;
    // Labels point at their fields by a per-panel id (panels are cloned from one template).
    for (const label of section.querySelectorAll("label[data-for]")) {
      const field = section.querySelector(`[data-role="${label.dataset.for}"]`);
      if (field) {
        field.id = `${label.dataset.for}-${chat.id}`;
        label.htmlFor = field.id;
      }
    }
    section.querySelector('[data-action="referral-search"]').addEventListener("click", () => search(chat));
    parts(chat).query.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        search(chat);
      }
    });
    section.querySelector('[data-action="referral-propose"]').addEventListener("click", () => propose(chat));
    options.send({ type: "referrals_get", conversation_id: chat.id });
    search(chat);
  }

  function consentText(referral) {
    if (referral.status !== "handoff") return "";
    const items = (referral.consent_scope || []).map((item) => S[`scope_${item}`] || item);
    return items.length ? fmt(S.shared, { items: items.join(", ") }) : S.shared_nothing;
  }

  function render(conversationId) {
    const chat = options.chats().get(conversationId);
    if (!chat) return;
    tellRegistration(conversationId);
    const list = parts(chat).list;
    if (!list) return;
    list.replaceChildren();
    for (const referral of (known.get(conversationId) || new Map()).values()) {
      const name = referral.service ? referral.service.name : referral.service_type;
      list.append(
        el(
          "li",
          { className: "referrals__item", attrs: { "data-referral": referral.id, "data-status": referral.status } },
          el("span", { className: "referrals__service", text: name }),
          " ",
          el("span", { className: "referrals__status", text: S[`status_${referral.status}`] || referral.status }),
          " ",
          el("span", { className: "referrals__scope", text: consentText(referral) }),
        ),
      );
    }
  }

  // Issue 17: the registration's "Referrals" and "Consent" fields are ticked from the real
  // referrals (registration.js); the counselor still checks and saves them.
  const REGISTRATION_REFERRAL = {
    shelter: "shelter",
    youth_care: "youth_care",
    police: "police",
    legal_aid: "legal_aid",
    sexual_violence_centre: "specialised_care",
    care: "specialised_care",
  };

  function tellRegistration(conversationId) {
    const chat = options.chats().get(conversationId);
    if (!chat) return;
    const taken = [...(known.get(conversationId) || new Map()).values()].filter(
      (r) => r.status === "contact" || r.status === "handoff",
    );
    const referralValues = taken.map((r) => REGISTRATION_REFERRAL[r.service_type] || "other");
    // A hand-off with something to share is consent to share; otherwise nothing is claimed.
    const shares = taken.some((r) => r.status === "handoff" && (r.consent_scope || []).length);
    const values = { referrals: referralValues };
    if (shares) values.consent_level = ["may_share"];
    chat.panel.dispatchEvent(new CustomEvent("baken:referrals-known", { detail: { values } }));
  }

  function remember(conversationId, referral) {
    if (!known.has(conversationId)) known.set(conversationId, new Map());
    known.get(conversationId).set(referral.id, referral);
  }

  function onFrame(frame) {
    switch (frame.type) {
      case "referral_proposed":
      case "referral_update": {
        remember(frame.conversation_id, frame.referral);
        render(frame.conversation_id);
        const chat = options.chats().get(frame.conversation_id);
        if (chat && frame.type === "referral_proposed") {
          setStatus(chat, S.proposed);
          parts(chat).summary.value = "";
        }
        return true;
      }
      case "referrals":
        if (!Array.isArray(frame.referrals)) return false;
        for (const referral of frame.referrals) remember(frame.conversation_id, referral);
        render(frame.conversation_id);
        return true;
      case "error": {
        if (!FRAME_TYPES.has(frame.ref)) return false;
        for (const chat of options.chats().values()) {
          if (chat.panel.contains(document.activeElement) || options.chats().size === 1) {
            setStatus(chat, S[`err_${frame.code}`] || S.err_generic);
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
