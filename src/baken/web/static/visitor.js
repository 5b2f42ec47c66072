// Baken — the visitor page. Views: start → waiting (queued) → chat (active) → ended.
// The server renders the right view first; this script keeps it live over one WebSocket.
// Nothing is stored in the browser and nothing is put on `window`.

import {
  Connection,
  ConversationView,
  bindComposer,
  fmt,
  installQuickExit,
  pageVisible,
  readStrings,
} from "./common.js";
import { ProofOfWork } from "./pow.js";

const body = document.body;
const S = readStrings(body);
const config = {
  lang: body.dataset.lang || document.documentElement.lang || "nl",
  wsPath: body.dataset.wsPath || "/ws/visitor",
  exitPath: body.dataset.exitPath || "/exit",
  // The organisation's entry, "/o/<slug>" or "" (issue 14): its own queue, hours and mailbox.
  base: body.dataset.base || "",
  maxChars: Number(body.dataset.maxChars) || 4000,
  // Seconds of waiting (or of expected wait) after which leaving a message is offered; 0 = never.
  offerMessageAfter: Number(body.dataset.offerMessageAfter) || 0,
};

const quickExit = installQuickExit(config.exitPath);

const $ = (id) => document.getElementById(id);
const ui = {
  title: $("view-title"),
  viewStart: $("view-start"),
  viewChat: $("view-chat"),
  startForm: $("start-form"),
  startButton: $("start-button"),
  startStatus: $("start-status"),
  nickname: $("nickname"),
  queueBox: $("queue-box"),
  queueUrgent: $("queue-urgent"),
  queuePosition: $("queue-position"),
  queueMoved: $("queue-moved"),
  queueWait: $("queue-wait"),
  queueOffer: $("queue-offer"),
  queueOfferEstimate: $("queue-offer-estimate"),
  queueOfferWaited: $("queue-offer-waited"),
  queueOfferButton: $("queue-offer-button"),
  queueMessageForm: $("queue-message-form"),
  queueMessageText: $("queue-message-text"),
  queueMessageStatus: $("queue-message-status"),
  queueMessageCode: $("queue-message-code"),
  connStatus: $("conn-status"),
  reloadHint: $("reload-hint"),
  reloadButton: $("reload-button"),
  log: $("log"),
  typing: $("typing"),
  composer: $("composer"),
  input: $("message"),
  sendButton: $("send-button"),
  counter: $("char-count"),
  error: $("composer-error"),
  leaveButton: $("leave-button"),
  leaveConfirm: $("leave-confirm"),
  leaveYes: $("leave-yes"),
  leaveNo: $("leave-no"),
  endedBox: $("ended-box"),
  endedText: $("ended-text"),
  endedTextMessage: $("ended-text-message"),
  restartForm: $("restart-form"),
  restartNickname: $("restart-nickname"),
  // Return codes (issue 3).
  returnBox: $("return-box"),
  returnForm: $("return-form"),
  returnCode: $("return-code"),
  returnStatus: $("return-status"),
  destroyButton: $("destroy-button"),
  codeOffer: $("code-offer"),
  codeButton: $("code-button"),
  partnerRefuseBox: $("partner-refuse-box"),
  partnerRefuse: $("partner-refuse"),
  codeStatus: $("code-status"),
  codeBox: $("code-box"),
  codeValue: $("code-value"),
  followups: $("followups"),
  followupList: $("followup-list"),
};

let state = body.dataset.state || "start"; // start | queued | active | ended
let counselorName = "";
let starting = false;
let leaving = false;
let offerTimer = 0; // runs while waiting, until leaving a message is offered
let leftMessage = false; // this chat was left for a message: its code is the one to keep
// Issue 19, item 3: the last place shown, to say so calmly when someone went ahead.
let lastPosition = null;
// Return codes: how long the ended screen keeps its socket, so a code can still be asked for.
const CODE_WINDOW_MS = 10 * 60 * 1000;

// The WebSocket first; when the network never lets it open, the same frames over HTTP (below).
let connection = new Connection(config.wsPath, { onFrame, onStatus });
let overHttp = false;
// Issue 5: the proof-of-work for the next start, solved in the background.
const pow = new ProofOfWork();

// The view's own copy of the texts: after a message was left from the queue the end of that chat
// reads differently (see leftMessage), without changing the texts of the next chat.
const viewStrings = { ...S };

const view = new ConversationView({
  side: "visitor",
  strings: viewStrings,
  lang: config.lang,
  maxChars: config.maxChars,
  send: (frame) => connection.send(frame),
  isVisible: pageVisible,
  otherName: (msg) => (msg && msg.name) || counselorName || S.counselor || "",
  elements: {
    log: ui.log,
    typing: ui.typing,
    input: ui.input,
    sendButton: ui.sendButton,
    counter: ui.counter,
    error: ui.error,
  },
});

// ----- views -----

function setTitle(text) {
  if (ui.title.textContent !== text) ui.title.textContent = text;
}

function showView(name) {
  body.classList.toggle("view-start", name === "start");
  body.classList.toggle("view-chat", name === "chat");
  body.classList.toggle("view-ended", name === "ended");
  ui.viewStart.hidden = name !== "start";
  ui.viewChat.hidden = name === "start";
}

function queueText(position) {
  if (position === 1) return S.queue_next;
  if (Number.isInteger(position) && position > 1) return fmt(S.queue_position, { n: position });
  return S.queue_waiting;
}

/** The expected wait in words; "" when the server has too little history to say. */
function waitText(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return "";
  if (seconds <= 60) return S.wait_under_minute;
  const minutes = Math.ceil(seconds / 60);
  if (minutes > 60) return S.wait_over_hour;
  // Past ten minutes a precise number promises more than anyone knows: steps of five.
  return fmt(S.wait_minutes, { n: minutes <= 10 ? minutes : Math.ceil(minutes / 5) * 5 });
}

function setComposerEnabled(enabled) {
  ui.input.disabled = !enabled;
  ui.sendButton.disabled = !enabled;
  ui.leaveButton.disabled = !enabled;
}

/** Show what a ConversationInfo says. */
function applyInfo(info) {
  if (!info) return;
  const previous = state;
  state = info.state;
  if (info.counselor) counselorName = info.counselor;
  if (ui.restartNickname) ui.restartNickname.value = info.nickname || "";

  if (state !== "queued") {
    lastPosition = null;
    ui.queueMoved.hidden = true;
  }
  if (state === "queued") {
    showView("chat");
    setTitle(S.title_waiting);
    ui.queueBox.hidden = false;
    ui.queueUrgent.hidden = info.urgent !== true;
    ui.codeOffer.hidden = ui.codeBox.hidden;
    const text = queueText(info.position);
    if (ui.queuePosition.textContent !== text) ui.queuePosition.textContent = text;
    // Someone went ahead (more urgent, or a chat put back): say so once, calmly, without why;
    // the note stays until the line moves forward again.
    if (Number.isInteger(info.position) && Number.isInteger(lastPosition)) {
      if (info.position > lastPosition) {
        ui.queueMoved.textContent = S.queue_moved;
        ui.queueMoved.hidden = false;
      } else if (info.position < lastPosition) {
        ui.queueMoved.hidden = true;
      }
    }
    if (Number.isInteger(info.position)) lastPosition = info.position;
    const wait = waitText(info.estimated_wait_seconds);
    if (ui.queueWait.textContent !== wait) ui.queueWait.textContent = wait;
    ui.queueWait.hidden = wait === "";
    watchWaiting(info.estimated_wait_seconds);
    ui.composer.hidden = false;
    ui.endedBox.hidden = true;
    setComposerEnabled(true);
  } else if (state === "active") {
    stopWatchingWaiting();
    showView("chat");
    setTitle(counselorName ? fmt(S.title_chat, { name: counselorName }) : S.title_start);
    ui.queueBox.hidden = true;
    ui.composer.hidden = false;
    ui.endedBox.hidden = true;
    ui.codeOffer.hidden = false;
    setComposerEnabled(true);
  } else if (state === "ended") {
    stopWatchingWaiting();
    const focusWasInComposer = ui.composer.contains(document.activeElement);
    showView("ended");
    setTitle(leftMessage ? S.title_message_left : S.title_ended);
    ui.endedText.hidden = leftMessage;
    ui.endedTextMessage.hidden = !leftMessage;
    ui.queueBox.hidden = true;
    ui.composer.hidden = true;
    ui.leaveConfirm.hidden = true;
    ui.endedBox.hidden = false;
    setComposerEnabled(false);
    view.showTyping(false);
    setStatus("");
    // Over the HTTP door the chat's token is gone with its end, so a code cannot be asked for
    // any more (docs/protocol.md, "HTTP door"); on a socket it can, for a while.
    ui.codeOffer.hidden = leftMessage || overHttp;
    // Keep the socket a while: for the last messages, and so a return code can still be asked
    // for on this screen. An ended chat cannot reconnect, so after that the offer goes.
    connection.stop(CODE_WINDOW_MS);
    pow.prepare(); // a new chat can then start at once
    if (previous !== "ended") view.scrollToEnd();
    if (focusWasInComposer) ui.restartForm.querySelector("button").focus();
    if (leftMessage && previous !== "ended") {
      window.scrollTo(0, 0); // a new view: from its title
      reveal(ui.queueMessageCode);
    }
  }
}

/**
 * Scroll the page (only if needed) so that `target` is wholly in view, with `from` at the top:
 * below the top bar while that bar stays on screen (it stops doing so on short screens).
 */
function reveal(target, from = target) {
  const bar = document.querySelector(".topbar");
  const covered =
    bar && getComputedStyle(bar).position === "sticky" ? bar.getBoundingClientRect().bottom : 0;
  const rect = target.getBoundingClientRect();
  if (rect.top >= covered && rect.bottom <= window.innerHeight) return;
  window.scrollBy(0, from.getBoundingClientRect().top - covered - 8);
}

function setStatus(text) {
  if (ui.connStatus.textContent !== text) ui.connStatus.textContent = text;
}

let statusTimer = 0;

// Issue 13: a network that blocks WebSockets (a school or shelter filter, some proxies) never lets
// the socket open. After three failed tries the page carries on over plain HTTP: an event stream
// for what comes in, posts for what goes out (StreamConnection), the same chat. If even that never
// opens, the visitor is moved to the chat that needs no script. A connection that worked once and
// then dropped just reconnects.
let everOnline = false;

async function carryOnOverHttp() {
  try {
    const { StreamConnection } = await import("./stream_connection.js");
    connection = new StreamConnection("/api/visitor/stream", "/api/visitor/command", {
      onFrame,
      onStatus,
      afterSeq: () => view.lastSeq,
    });
    connection.start();
  } catch {
    window.location.replace(`${config.base}/chat?lang=${encodeURIComponent(config.lang)}`);
  }
}

function onStatus(status, failures) {
  if (status === "online") everOnline = true;
  if (status === "reconnecting" && !everOnline && failures >= 3 && (state === "queued" || state === "active")) {
    connection.stop();
    if (!overHttp) {
      overHttp = true;
      carryOnOverHttp();
      return;
    }
    window.location.replace(`${config.base}/chat?lang=${encodeURIComponent(config.lang)}`);
    return;
  }
  if (status === "stopped" && state === "ended" && ui.codeBox.hidden) ui.codeOffer.hidden = true;
  if (state === "ended" || state === "start" || status === "online" || status === "connecting") {
    clearTimeout(statusTimer);
    statusTimer = 0;
    setStatus("");
    ui.reloadHint.hidden = true;
    return;
  }
  if (status === "reconnecting") {
    // Calm, never alarming: a short blip shows nothing; after a while also offer a reload.
    const show = () => {
      statusTimer = 0;
      if (connection.ready || state === "ended" || state === "start") return;
      setStatus(failures >= 5 ? S.reconnect_slow : S.reconnecting);
      ui.reloadHint.hidden = failures < 5;
    };
    if (ui.connStatus.textContent) show();
    else if (!statusTimer) statusTimer = setTimeout(show, 1500);
    if (failures >= 3) checkStillOpen();
  }
}

/**
 * The socket keeps failing: maybe the chat ended meanwhile (the server then refuses the socket).
 * Ask the page itself which state the server renders; "start" means there is no open chat any more.
 */
async function checkStillOpen() {
  if (state === "ended" || state === "start") return;
  let text = "";
  try {
    const response = await fetch(window.location.pathname, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/html" },
    });
    if (!response.ok) return;
    text = await response.text();
  } catch {
    return; // offline: keep trying
  }
  const match = /data-state="([a-z]+)"/.exec(text);
  if (match && (match[1] === "start" || match[1] === "ended") && state !== "ended") {
    view.setInfo({ ...(view.info || {}), id: view.id, state: "ended" });
    applyInfo({ ...(view.info || {}), state: "ended" });
  }
}

// ----- frames -----

// Issue 17: referral cards from the counselor, answered here (visitor_referrals.js). Loaded only
// when a card comes, so the page stays light for everyone else; frames keep their order.
const REFERRAL_FRAMES = new Set(["referral_card", "referral_answered", "referral_state"]);
let referralCards = null;

function onReferralFrame(frame) {
  referralCards ??= import("./visitor_referrals.js").then(({ createVisitorReferrals }) =>
    createVisitorReferrals({
      container: document.getElementById("referral-cards"),
      send: (out) => connection.send(out),
    }),
  );
  referralCards.then((cards) => cards.onFrame(frame));
}

function onFrame(frame) {
  if (REFERRAL_FRAMES.has(frame.type) || (frame.type === "error" && frame.ref === "referral_answer")) {
    onReferralFrame(frame);
    return;
  }
  switch (frame.type) {
    case "welcome": {
      const info = Array.isArray(frame.conversations) ? frame.conversations[0] : null;
      if (!info) {
        // The server knows no chat for this browser (any more): back to the start.
        connection.stop();
        view.reset();
        state = "start";
        setTitle(S.title_start);
        showView("start");
        return;
      }
      view.setInfo(info);
      applyInfo(info);
      view.connected();
      // A card that waited for us (reconnect, reload) comes again.
      if (info.state === "active") connection.send({ type: "referrals_get", conversation_id: info.id });
      break;
    }
    case "conversation":
      if (frame.conversation && (!view.id || frame.conversation.id === view.id)) {
        // Quick exit in another tab: this tab must not keep the transcript on screen either.
        if (frame.conversation.ended_by === "quick_exit") {
          quickExit();
          return;
        }
        view.setInfo(frame.conversation);
        applyInfo(frame.conversation);
      }
      break;
    case "place":
      // Only the place in line (and the estimate) moved: keep the rest of what we know.
      if (frame.conversation_id === view.id && state === "queued") {
        const info = {
          ...(view.info || {}),
          position: frame.position,
          estimated_wait_seconds: frame.estimated_wait_seconds,
        };
        view.setInfo(info);
        applyInfo(info);
      }
      break;
    case "messages":
    case "message":
    case "ack":
    case "typing":
    case "receipt":
      if (frame.conversation_id === view.id) {
        // An ack or receipt adds a status line; on a small screen that alone can take the log
        // past "near the end", and the next message would then stay out of sight (issue 12).
        const following = view.nearEnd();
        view.handle(frame);
        if (following) view.scrollToEnd();
        notePartner(frame);
      }
      break;
    case "partner_refused":
      ui.partnerRefuseBox.hidden = true;
      break;
    case "return_code":
      if (frame.conversation_id === view.id && typeof frame.code === "string") showCode(frame.code);
      break;
    case "error":
      onError(frame);
      break;
    default:
      break; // pong and anything new: nothing to do
  }
}

// Issue 17, item 3: while a partner professional is in the chat, the visitor can say no at once.
function notePartner(frame) {
  const lines = frame.type === "messages" ? frame.messages : frame.message ? [frame.message] : [];
  for (const line of lines) {
    if (line.event === "partner_joined") ui.partnerRefuseBox.hidden = false;
    if (line.event === "partner_left") ui.partnerRefuseBox.hidden = true;
  }
}

if (ui.partnerRefuse) {
  ui.partnerRefuse.addEventListener("click", () => {
    if (view.id) connection.send({ type: "partner_refuse", conversation_id: view.id });
  });
}

function onError(frame) {
  if (view.handleError(frame)) return;
  if (frame.ref === "request_code") {
    ui.codeButton.disabled = false;
    ui.codeStatus.textContent = S.code_unavailable;
    return;
  }
  if (frame.ref === "leave") {
    leaving = false;
    view.showError(S.err_generic);
    return;
  }
  if (frame.code === "rate_limited") view.showError(S.err_rate_limited);
  // Other errors (a typing or receipt frame that came too late, …) need no words for the visitor.
}

// ----- start (one tap) -----

async function postJson(path, body) {
  try {
    return await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return null;
  }
}

function postStart(nickname, proof, form) {
  const body = { nickname: nickname || null, lang: config.lang, pow: proof };
  // Only the first start form asks these; a restart after a chat leaves them out.
  const age = form.querySelector("select[name=age_band]");
  const danger = form.querySelector("input[name=danger]");
  if (age && age.value) body.age_band = age.value;
  if (danger) body.danger = danger.checked;
  // Issue 18: the campaign this page was opened for (/c/<code>), counted anonymously.
  const campaign = form.querySelector("input[name=campaign]");
  if (campaign) body.campaign = campaign.value;
  return postJson(config.base + "/api/visitor/start", body);
}

async function isProofError(response) {
  try {
    const data = await response.clone().json();
    return typeof data.error === "string" && data.error.startsWith("pow_");
  } catch {
    return false;
  }
}

async function startChat(form, nickname) {
  if (starting) return;
  starting = true;
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  // Issue 5: a calm line while the browser does the proof-of-work (usually done in the background).
  const status = form.querySelector(".form-status") || ui.startStatus;
  if (status) status.textContent = S.preparing;

  let response = null;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const proof = await pow.take();
    if (!proof) break; // no crypto.subtle or no challenge: the form below still works
    if (status) status.textContent = S.starting;
    response = await postStart(nickname, proof, form);
    // An expired or already used check is simply done again, once.
    if (!response || response.status !== 400 || !(await isProofError(response))) break;
    if (status) status.textContent = S.preparing;
  }
  if (response && response.status === 429) {
    // Too many starts from this address: say so calmly, keep the form.
    starting = false;
    if (button) button.disabled = false;
    if (status) status.textContent = S.start_busy;
    return;
  }
  if (!response || !response.ok) {
    // Let the browser send the form itself (POST /start → 303 → /): works without the JSON API.
    form.submit();
    return;
  }
  let info = null;
  try {
    const data = await response.json();
    info = data && data.conversation;
  } catch {
    info = null;
  }

  starting = false;
  if (button) button.disabled = false;
  if (status) status.textContent = "";
  enterChat(info && info.id ? info : { state: "queued", position: null, nickname });
}

/** A new chat has started (or resumed with a code): show it and connect. */
function enterChat(info) {
  view.reset();
  counselorName = "";
  leaving = false;
  leftMessage = false;
  viewStrings.event_ended_visitor = S.event_ended_visitor;
  resetCodeOffer();
  resetMessageOffer();
  if (info.id) view.setInfo(info);
  applyInfo(info);
  connection.stop(); // an ended chat's socket, kept for a code, is not needed any more
  connection.start();
  // Focus must not scroll the page: on a small or zoomed screen that hid the top of the waiting
  // box (issue 12). A visitor in danger gets the box itself, so a phone keyboard does not open
  // over the 112 alert; everyone else can type at once.
  const urgent = state === "queued" && info.urgent === true;
  (urgent ? ui.queueBox : ui.input).focus({ preventScroll: true });
  window.scrollTo(0, 0); // a new view: from its title, not where the start button was
  if (state === "queued") reveal(urgent ? ui.queueUrgent : ui.queuePosition, ui.queueBox);
}

ui.startForm.addEventListener("submit", (event) => {
  event.preventDefault();
  startChat(ui.startForm, ui.nickname.value.trim());
});

ui.restartForm.addEventListener("submit", (event) => {
  event.preventDefault();
  startChat(ui.restartForm, ui.restartNickname.value.trim());
});

// ----- waiting long: leave a message instead (issue 3) -----
// Offered once the visitor has waited `offerMessageAfter` seconds on this page, or at once when
// the expected wait is that long. The page's own clock, not the chat's start time: a phone's
// clock may be wrong, and a reload only means being offered it a little later.

function watchWaiting(estimate) {
  if (!config.offerMessageAfter || leftMessage || !ui.queueOffer.hidden) return;
  if (Number.isFinite(estimate) && estimate >= config.offerMessageAfter) {
    offerMessage(false);
    return;
  }
  if (!offerTimer) {
    offerTimer = setTimeout(() => offerMessage(true), config.offerMessageAfter * 1000);
  }
}

function stopWatchingWaiting() {
  clearTimeout(offerTimer);
  offerTimer = 0;
}

/** waited: the visitor really waited this long; otherwise only the estimate is long. */
function offerMessage(waited) {
  offerTimer = 0;
  if (state !== "queued") return;
  ui.queueOfferWaited.hidden = !waited;
  ui.queueOfferEstimate.hidden = waited;
  ui.queueOffer.hidden = false;
}

function resetMessageOffer() {
  stopWatchingWaiting();
  ui.queueOffer.hidden = true;
  ui.queueOfferButton.hidden = false;
  ui.queueMessageForm.hidden = true;
  ui.queueMessageText.value = "";
  ui.queueMessageStatus.textContent = "";
  ui.queueMessageCode.hidden = true;
  ui.queueMessageCode.querySelector('[data-role="code"]').textContent = "";
}

ui.queueOfferButton.addEventListener("click", () => {
  ui.queueOfferButton.hidden = true;
  ui.queueMessageForm.hidden = false;
  ui.queueMessageText.focus();
  pow.prepare(); // issue 16: leaving a message carries a proof-of-work, solved while they type
});

ui.queueMessageForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = ui.queueMessageForm.querySelector("button");
  button.disabled = true;
  ui.queueMessageStatus.textContent = S.leaving_message;
  try {
    const body = { text: ui.queueMessageText.value, lang: config.lang };
    const proof = await pow.take();
    if (proof) body.pow = proof;
    const response = await fetch(config.base + "/api/visitor/message", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok || typeof data.code !== "string") {
      ui.queueMessageStatus.textContent = S[`err_${data.error}`] || data.message || S.err_generic;
      return;
    }
    // The message is stored: show its code first, then stop waiting in line. The form goes, so
    // the same words are not left twice.
    leftMessage = true;
    viewStrings.event_ended_visitor = S.event_left_for_message;
    ui.queueOffer.hidden = true;
    ui.queueMessageText.value = "";
    ui.queueMessageStatus.textContent = "";
    ui.queueMessageCode.querySelector('[data-role="code"]').textContent = data.code;
    ui.queueMessageCode.hidden = false;
    // The form that had focus is gone: focus goes to the code, which is what to keep now.
    ui.queueMessageCode.focus({ preventScroll: true });
    reveal(ui.queueMessageCode);
    if (view.id && !leaving && connection.send({ type: "leave", conversation_id: view.id })) {
      leaving = true;
    }
  } catch {
    ui.queueMessageStatus.textContent = S.err_generic;
  } finally {
    button.disabled = false;
  }
});

// ----- return codes (issue 3) -----
// The code lives only on the screen: never in storage, never in the URL.

function resetCodeOffer() {
  ui.codeValue.textContent = "";
  ui.codeBox.hidden = true;
  ui.codeButton.hidden = false;
  ui.codeButton.disabled = false;
  ui.codeStatus.textContent = "";
  ui.followupList.replaceChildren();
  ui.followups.hidden = true;
}

function showCode(code) {
  ui.codeValue.textContent = code;
  ui.codeBox.hidden = false;
  ui.codeButton.hidden = true;
  ui.codeStatus.textContent = "";
  ui.codeOffer.hidden = false;
}

ui.codeButton.addEventListener("click", () => {
  if (!view.id) return;
  if (connection.send({ type: "request_code", conversation_id: view.id })) {
    ui.codeButton.disabled = true;
    ui.codeStatus.textContent = S.code_getting;
  } else {
    ui.codeStatus.textContent = S.code_unavailable;
  }
});

function showFollowups(messages) {
  ui.followupList.replaceChildren();
  for (const message of messages) {
    if (!message || typeof message.text !== "string") continue;
    const item = document.createElement("li");
    item.className = "closed-answers__item";
    const from = document.createElement("strong");
    // Issue 17: a partner professional's message carries their organisation's name.
    const sender = typeof message.partner === "string" && message.partner ? fmt(S.followup_from_partner, { name: message.partner }) : S.followup_from;
    from.textContent = `${sender}: `;
    // The counselor's text keeps its own direction beside the label in the page's language.
    const text = document.createElement("bdi");
    text.textContent = message.text;
    item.append(from, text);
    ui.followupList.append(item);
  }
  ui.followups.hidden = ui.followupList.children.length === 0;
}

/** Every failure of a code reads the same: nothing tells a wrong code from an unknown one. */
async function codeFailure(response) {
  if (!response) return S.err_generic;
  if (response.status === 429) return S.start_busy;
  if (response.status === 403 || response.status === 503) {
    try {
      const data = await response.json();
      if (typeof data.message === "string" && data.error !== "queue_full") return data.message;
    } catch {
      // fall through to the calm default
    }
    return S.start_busy;
  }
  return S.code_wrong;
}

let returning = false;

ui.returnForm.addEventListener("submit", async (event) => {
  // Issue 17: "My referrals" is a page of its own; the browser posts the form there itself.
  if (event.submitter && event.submitter.id === "referrals-button") return;
  event.preventDefault();
  if (returning || starting) return;
  const code = ui.returnCode.value;
  if (!code.trim()) {
    ui.returnStatus.textContent = S.code_empty;
    ui.returnCode.focus();
    return;
  }
  returning = true;
  ui.returnForm.querySelectorAll("button").forEach((b) => (b.disabled = true));
  ui.returnStatus.textContent = S.preparing;
  let response = null;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const proof = await pow.take();
    if (!proof) break;
    ui.returnStatus.textContent = S.starting;
    response = await postJson(config.base + "/api/visitor/return", { code, lang: config.lang, pow: proof });
    if (!response || response.status !== 400 || !(await isProofError(response))) break;
    ui.returnStatus.textContent = S.preparing;
  }
  returning = false;
  ui.returnForm.querySelectorAll("button").forEach((b) => (b.disabled = false));
  if (!response || !response.ok) {
    ui.returnStatus.textContent = await codeFailure(response);
    pow.prepare();
    return;
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  const info = data && data.conversation;
  ui.returnCode.value = "";
  ui.returnStatus.textContent = "";
  ui.returnBox.open = false;
  enterChat(info && info.id ? info : { state: "queued", position: null });
  showFollowups(data && Array.isArray(data.mailbox) ? data.mailbox : []);
});

ui.destroyButton.addEventListener("click", async (event) => {
  // A submit button for the page without JavaScript (POST /return/destroy); here the JSON API.
  event.preventDefault();
  const code = ui.returnCode.value;
  if (!code.trim()) {
    ui.returnStatus.textContent = S.code_empty;
    ui.returnCode.focus();
    return;
  }
  ui.destroyButton.disabled = true;
  ui.returnStatus.textContent = S.preparing;
  // Issue 16: destroying a code is on the way back too, so it carries a proof-of-work.
  const proof = await pow.take();
  ui.returnStatus.textContent = S.starting;
  const body = proof ? { code, pow: proof } : { code };
  const response = await postJson(config.base + "/api/visitor/code/destroy", body);
  pow.prepare();
  ui.destroyButton.disabled = false;
  if (response && response.ok) {
    ui.returnCode.value = "";
    ui.returnStatus.textContent = S.code_destroyed;
  } else {
    ui.returnStatus.textContent = await codeFailure(response);
  }
});

// ----- composer and leaving -----

bindComposer(ui.input, ui.sendButton, () => view);

ui.leaveButton.addEventListener("click", () => {
  ui.leaveConfirm.hidden = false;
  ui.leaveNo.focus();
});

ui.leaveNo.addEventListener("click", () => {
  ui.leaveConfirm.hidden = true;
  ui.leaveButton.focus();
});

ui.leaveYes.addEventListener("click", () => {
  if (!view.id || leaving) return;
  if (connection.send({ type: "leave", conversation_id: view.id })) {
    leaving = true;
    ui.leaveConfirm.hidden = true;
  } else {
    view.showError(S.err_offline);
  }
});

ui.reloadButton.addEventListener("click", () => window.location.reload());

// Issue 18, item 6: the cover. Its code and page are fetched only when the visitor asks for it.
const coverButton = $("cover-button");
if (coverButton) {
  coverButton.closest("[data-cover-bar]").hidden = false;
  coverButton.addEventListener("click", () => {
    import("./cover.js")
      .then((cover) =>
        cover.showCover({
          base: config.base,
          lang: config.lang,
          exitPath: config.exitPath,
          returnFocus: coverButton,
        }),
      )
      .catch(() => {});
  });
}

document.addEventListener("visibilitychange", () => {
  if (pageVisible()) view.seen();
});

// ----- go -----

if (state === "queued" || state === "active") {
  setComposerEnabled(true);
  connection.start();
} else if (state === "ended") {
  setComposerEnabled(false);
  pow.prepare();
} else if (!document.getElementById("view-closed")) {
  pow.prepare();
}
