// Baken — code shared by the visitor page and the counselor console (plain ES module, no build step).
//
// Rules kept here on purpose:
// - Never build HTML from strings: nodes are created with el() and text goes in with textContent.
// - Store nothing in the browser (no web storage, no browser databases, no cookies from script): all
//   state lives in memory; after a reload the server sends the conversation again.
// - Protocol: docs/protocol.md. One WebSocket per tab, JSON frames, per-conversation seq numbers.

/** Create an element. `text` is always set as plain text, never parsed. */
export function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined && options.text !== null) node.textContent = String(options.text);
  if (options.attrs) {
    for (const [name, value] of Object.entries(options.attrs)) {
      if (value === undefined || value === null || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

/** Fill {name} placeholders. The result is plain text for textContent. */
export function fmt(template, values = {}) {
  return String(template ?? "").replace(/\{(\w+)\}/g, (whole, key) =>
    Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole,
  );
}

/** The translated texts the server put in data-strings (JSON, escaped by the template engine). */
export function readStrings(root = document.body) {
  try {
    const parsed = JSON.parse(root.dataset.strings || "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

/** A random id for client_msg_id: 1–64 characters of A-Za-z0-9_- (here "m-" and 32 hex digits). */
export function randomId(prefix = "m") {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `${prefix}-${hex}`;
}

/** Local clock time (hh:mm) of an ISO time, or "" when missing. */
export function clockTime(iso, lang) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  try {
    return date.toLocaleTimeString(lang || undefined, { hour: "2-digit", minute: "2-digit" });
  } catch {
    return date.toTimeString().slice(0, 5);
  }
}

/** mm:ss (or h:mm:ss) for a duration in milliseconds. */
export function duration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Is the tab in front of the user right now? */
export function pageVisible() {
  return document.visibilityState === "visible";
}

// ---------------------------------------------------------------------------------------------------
// Quick exit (visitor pages): the button, a hidden skip link, and Shift pressed three times in 5 s.
// ---------------------------------------------------------------------------------------------------

/**
 * Wire up quick exit. Every element with [data-quick-exit] (an <a href="/exit">, so it also works
 * without JavaScript) and three presses of Shift within five seconds empty the screen at once and
 * replace this page in the history with the exit URL.
 *
 * A Shift press counts only when no other key was pressed while Shift was held (Shift used for a
 * capital letter does not count), and any other key starts the count again (GOV.UK "Exit this page").
 */
export function installQuickExit(exitPath) {
  const link = document.getElementById("quick-exit");
  const target = exitPath || (link && link.getAttribute("href")) || "/exit";
  let leaving = false;

  const exit = () => {
    if (leaving) return;
    leaving = true;
    document.documentElement.classList.add("is-exiting");
    const overlay = document.getElementById("exit-overlay");
    if (overlay) overlay.hidden = false;
    try {
      window.location.replace(target);
    } catch {
      window.location.href = target;
    }
  };

  for (const node of document.querySelectorAll("[data-quick-exit]")) {
    node.addEventListener("click", (event) => {
      event.preventDefault();
      exit();
    });
  }

  const WINDOW_MS = 5000;
  let presses = 0;
  let timer = 0;
  let shiftDown = false;
  let shiftUsedAsModifier = false;

  const reset = () => {
    presses = 0;
    clearTimeout(timer);
    timer = 0;
  };

  document.addEventListener(
    "keydown",
    (event) => {
      if (event.key === "Shift") {
        if (!event.repeat) {
          shiftDown = true;
          shiftUsedAsModifier = false;
        }
        return;
      }
      if (shiftDown) shiftUsedAsModifier = true;
      reset();
    },
    true,
  );

  document.addEventListener(
    "keyup",
    (event) => {
      if (event.key !== "Shift") return;
      const counts = shiftDown && !shiftUsedAsModifier;
      shiftDown = false;
      shiftUsedAsModifier = false;
      if (!counts) {
        reset();
        return;
      }
      presses += 1;
      if (presses === 1) timer = setTimeout(reset, WINDOW_MS);
      if (presses >= 3) {
        reset();
        exit();
      }
    },
    true,
  );

  window.addEventListener("blur", () => {
    shiftDown = false;
    shiftUsedAsModifier = false;
  });

  // Should the browser ever bring this page back from its back/forward cache after an exit: leave again.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && document.documentElement.classList.contains("is-exiting")) {
      window.location.replace(target);
    }
  });

  return exit;
}

// ---------------------------------------------------------------------------------------------------
// Connection: one WebSocket with heartbeat and calm reconnecting.
// ---------------------------------------------------------------------------------------------------

export const RECONNECT_CAP_MS = 15000;

/**
 * How long to wait before reconnect attempt `failures + 1` (docs/protocol.md, "Reconnecting";
 * issue 21). The first retry comes soon but at a random moment within 0.1–1 s, so that after a
 * server restart a thousand pages do not all knock at the same instant; after that the wait
 * doubles (0.5–1 s, 1–2 s, 2–4 s, … up to 7.5–15 s), always a random point in the upper half of the
 * step ("equal jitter"), which keeps spreading the pages out with every round.
 */
export function reconnectDelay(failures, random = Math.random) {
  if (failures <= 0) return 100 + random() * 900;
  const step = Math.min(RECONNECT_CAP_MS, 500 * 2 ** Math.min(failures, 10));
  return step / 2 + random() * (step / 2);
}

/**
 * One WebSocket to `path` on this site. Calls onFrame(frame) for each JSON frame and
 * onStatus(status, failures) with "connecting" | "online" | "reconnecting" | "stopped" | "ended".
 * Reconnects on the schedule of `reconnectDelay`; sends `ping` every `heartbeat` seconds after
 * `welcome`, and drops a socket that has been silent for too long.
 */
/**
 * What both connections share (this one, and StreamConnection in stream_connection.js): the
 * statuses, starting, and reconnecting on the schedule of `reconnectDelay`. A subclass opens.
 */
export class Reconnecting {
  constructor({ onFrame, onStatus } = {}) {
    this.onFrame = onFrame || (() => {});
    this.onStatus = onStatus || (() => {});
    this.welcomed = false;
    this.stopped = true;
    this.failures = 0;
    this.retryTimer = 0;
    this.lastFrameAt = 0;
    this.status = "";
    this.listening = false;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    if (!this.listening) {
      this.listening = true;
      window.addEventListener("online", () => this.reconnectNow());
      document.addEventListener("visibilitychange", () => {
        if (pageVisible()) this.reconnectNow();
      });
    }
    this.setStatus("connecting");
    this.open();
  }

  setStatus(status) {
    if (status === this.status && status !== "reconnecting") return;
    this.status = status;
    this.onStatus(status, this.failures);
  }

  scheduleReconnect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const delay = reconnectDelay(this.failures);
    this.failures += 1;
    this.setStatus("reconnecting");
    this.retryTimer = setTimeout(() => this.open(), delay);
  }
}

export class Connection extends Reconnecting {
  constructor(path, handlers = {}) {
    super(handlers);
    this.path = path;
    this.ws = null;
    this.heartbeatTimer = 0;
    this.heartbeatMs = 20000;
  }

  get url() {
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + this.path;
  }

  /** True once `welcome` arrived on an open socket. */
  get ready() {
    return Boolean(this.ws && this.welcomed && this.ws.readyState === WebSocket.OPEN);
  }

  /** Stop for good (no reconnect). With a delay, the current socket stays open that long first. */
  stop(afterMs = 0) {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    const finish = () => {
      if (ws) {
        ws.onclose = null;
        try {
          ws.close(1000);
        } catch {
          // already closed
        }
      }
      if (this.ws === ws) {
        this.ws = null;
        this.welcomed = false;
        this.stopHeartbeat();
      }
      if (this.stopped) this.setStatus("stopped");
    };
    if (afterMs > 0 && ws) setTimeout(finish, afterMs);
    else finish();
  }

  /** Send one frame; false when not connected (the caller keeps it and sends it again later). */
  send(frame) {
    if (!this.ready) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  open() {
    clearTimeout(this.retryTimer);
    if (this.stopped) return;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    this.welcomed = false;
    this.lastFrameAt = Date.now();

    ws.onmessage = (event) => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      if (typeof event.data !== "string") return;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return;
      if (frame.type === "welcome") {
        this.welcomed = true;
        this.failures = 0;
        this.startHeartbeat(frame.heartbeat);
        this.setStatus("online");
      }
      try {
        this.onFrame(frame);
      } catch (error) {
        console.error(error); // eslint-disable-line no-console
      }
    };

    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.welcomed = false;
      this.stopHeartbeat();
      // 4003: the staff session behind this socket ended (logout, password change, an admin,
      // a timeout). Reconnecting cannot help; the page decides what to do ("ended").
      if (event && event.code === 4003) {
        this.stopped = true;
        this.setStatus("ended");
        return;
      }
      if (!this.stopped) this.scheduleReconnect();
    };

    ws.onerror = () => {
      // A close event always follows; reconnecting happens there.
    };
  }

  /** Give up on the current socket (e.g. it went silent) and start over. */
  drop() {
    const ws = this.ws;
    this.ws = null;
    this.welcomed = false;
    this.stopHeartbeat();
    if (ws) {
      ws.onclose = null;
      ws.onmessage = null;
      try {
        ws.close();
      } catch {
        // ignore
      }
    }
    if (!this.stopped) this.scheduleReconnect();
  }

  /** Try at once (network came back, tab came to the front) instead of waiting for the timer. */
  reconnectNow() {
    if (this.stopped) return;
    if (this.ws && (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)) {
      return;
    }
    clearTimeout(this.retryTimer);
    this.open();
  }

  startHeartbeat(seconds) {
    this.stopHeartbeat();
    const interval = Number(seconds) > 0 ? Number(seconds) * 1000 : 20000;
    this.heartbeatMs = interval;
    this.heartbeatTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > interval * 2.5) {
        this.drop();
        return;
      }
      this.send({ type: "ping", t: Date.now() });
    }, interval);
  }

  stopHeartbeat() {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// ConversationView: one conversation's messages, pending sends, typing and receipts.
// ---------------------------------------------------------------------------------------------------

const OUTGOING_TYPING_REFRESH_MS = 4000;
const OUTGOING_TYPING_IDLE_MS = 3000;
const INCOMING_TYPING_TIMEOUT_MS = 6000;
const SYNC_TIMEOUT_MS = 10000;

/** Errors after which the same message is sent again a little later; after any other error
 *  (text_empty, text_too_long, conversation_ended, not_a_participant, …) it is marked "Not sent". */
// busy: the server takes too many visitor messages at once (issue 5); the message is sent again.
const RETRY_SEND_ERRORS = { rate_limited: 4000, unavailable: 2000, busy: 3000 };

/**
 * Renders one conversation and keeps it consistent with the server:
 * - messages are shown once, in seq order (dedupe by seq; a gap triggers `sync`);
 * - own messages are shown at once as pending, matched to their `ack` by client_msg_id, and sent again
 *   with the same id after a reconnect until acked;
 * - typing (out: throttled, off after 3 s idle or on send; in: hidden after 6 s);
 * - receipts (out: delivered on receive, read when visible; in: "Read" on the own last message).
 *
 * options: side ("visitor" | "counselor"), strings, lang, send(frame) -> bool, isVisible() -> bool,
 * otherName(msg?) -> string, elements { log, typing, input, sendButton, counter, error },
 * maxChars, onUnread(count), onOtherMessage(msg).
 */
export class ConversationView {
  constructor(options) {
    this.side = options.side;
    this.other = this.side === "visitor" ? "counselor" : "visitor";
    this.s = options.strings || {};
    this.lang = options.lang;
    this.sendFrame = options.send;
    this.isVisible = options.isVisible || pageVisible;
    this.otherName = options.otherName || (() => "");
    this.onUnread = options.onUnread || (() => {});
    this.onOtherMessage = options.onOtherMessage || (() => {});
    this.els = options.elements;
    this.maxChars = Number(options.maxChars) || 4000;
    this.reset();
  }

  /** Forget everything (a new conversation starts in the same elements). */
  reset() {
    this.id = null;
    this.info = null;
    this.state = null;
    this.lastSeq = 0; // highest seq with no gap before it
    this.maxSeq = 0; // highest seq shown
    this.nodes = new Map(); // seq -> element
    this.pending = new Map(); // client_msg_id -> { text, node, retryTimer }
    this.lastOwnSeq = 0;
    this.maxOtherSeq = 0;
    this.otherRead = 0;
    this.otherDelivered = 0;
    this.sentRead = 0;
    this.sentDelivered = 0;
    this.unread = 0;
    this.statusNode = null;
    this.syncInFlight = false;
    clearTimeout(this.syncTimer);
    clearTimeout(this.typingInTimer);
    clearTimeout(this.typingIdleTimer);
    this.typingOut = false;
    this.typingSentAt = 0;
    if (this.els.log) this.els.log.replaceChildren();
    if (this.els.typing) this.els.typing.textContent = "";
    this.clearError();
  }

  // ----- conversation state -----

  setInfo(info) {
    if (!info || !info.id) return;
    if (this.id && this.id !== info.id) this.reset();
    this.id = info.id;
    this.info = info;
    this.state = info.state;
    const read = info.read_seq || {};
    const delivered = info.delivered_seq || {};
    this.otherRead = Math.max(this.otherRead, Number(read[this.other]) || 0);
    this.otherDelivered = Math.max(this.otherDelivered, Number(delivered[this.other]) || 0, this.otherRead);
    this.sentRead = Math.max(this.sentRead, Number(read[this.side]) || 0);
    this.sentDelivered = Math.max(this.sentDelivered, Number(delivered[this.side]) || 0);
    if (info.state === "ended") {
      this.stopTyping();
      this.showTyping(false);
      this.failPending();
    }
    this.updateOwnStatus();
  }

  get canWrite() {
    return Boolean(this.id) && this.state !== "ended";
  }

  /** Call after every `welcome` that lists this conversation: catch up, then resend unacked sends. */
  connected() {
    if (!this.id) return;
    this.syncInFlight = false;
    this.requestSync(true);
    for (const id of this.pending.keys()) this.sendPending(id);
  }

  requestSync(force = false) {
    if (!this.id) return;
    if (this.syncInFlight && !force) return;
    if (this.sendFrame({ type: "sync", conversation_id: this.id, after_seq: this.lastSeq })) {
      this.syncInFlight = true;
      clearTimeout(this.syncTimer);
      this.syncTimer = setTimeout(() => {
        this.syncInFlight = false;
      }, SYNC_TIMEOUT_MS);
    }
  }

  // ----- frames from the server -----

  /** Handle a frame for this conversation. Returns true when it was one. */
  handle(frame) {
    switch (frame.type) {
      case "messages":
        this.onMessages(frame);
        return true;
      case "message":
        if (frame.message) {
          const atEnd = this.nearEnd();
          const added = this.addMessage(frame.message);
          if (added && frame.message.seq > this.lastSeq) this.requestSync();
          this.afterAdd(atEnd || (added && frame.message.sender === this.side));
        }
        return true;
      case "ack":
        this.onAck(frame);
        return true;
      case "typing":
        if (frame.from === this.other) this.showTyping(Boolean(frame.active));
        return true;
      case "receipt":
        this.onReceipt(frame);
        return true;
      case "conversation":
        this.setInfo(frame.conversation);
        return true;
      default:
        return false;
    }
  }

  onMessages(frame) {
    clearTimeout(this.syncTimer);
    this.syncInFlight = false;
    const atEnd = this.nearEnd() || this.nodes.size === 0;
    let highest = 0;
    for (const msg of Array.isArray(frame.messages) ? frame.messages : []) {
      this.addMessage(msg);
      if (Number.isInteger(msg.seq)) highest = Math.max(highest, msg.seq);
    }
    if (frame.more && highest > 0) {
      if (this.sendFrame({ type: "sync", conversation_id: this.id, after_seq: Math.max(highest, this.lastSeq) })) {
        this.syncInFlight = true;
      }
    }
    this.afterAdd(atEnd);
  }

  /** Insert one message in seq order. Returns true when it was new. */
  addMessage(msg) {
    if (!msg || !Number.isInteger(msg.seq) || msg.seq < 1) return false;
    if (msg.client_msg_id && this.pending.has(msg.client_msg_id)) {
      const entry = this.pending.get(msg.client_msg_id);
      clearTimeout(entry.retryTimer);
      entry.node.remove();
      this.pending.delete(msg.client_msg_id);
    }
    if (this.nodes.has(msg.seq)) return false;
    const node = this.renderMessage(msg);
    this.insertBySeq(node, msg.seq);
    this.nodes.set(msg.seq, node);
    this.maxSeq = Math.max(this.maxSeq, msg.seq);
    while (this.nodes.has(this.lastSeq + 1)) this.lastSeq += 1;

    if (msg.sender === this.side) {
      this.lastOwnSeq = Math.max(this.lastOwnSeq, msg.seq);
    } else if (msg.sender === this.other) {
      this.showTyping(false);
      if (msg.seq > this.maxOtherSeq) {
        this.maxOtherSeq = msg.seq;
        if (msg.seq > this.sentRead && !this.isVisible()) {
          this.unread += 1;
          this.onUnread(this.unread);
        }
        this.onOtherMessage(msg);
      }
    }
    return true;
  }

  afterAdd(scroll) {
    this.updateOwnStatus();
    this.sendReceipts();
    if (scroll) this.scrollToEnd();
  }

  onAck(frame) {
    const entry = this.pending.get(frame.client_msg_id);
    if (!entry) return;
    clearTimeout(entry.retryTimer);
    this.pending.delete(frame.client_msg_id);
    const seq = Number(frame.seq);
    if (!Number.isInteger(seq) || seq < 1 || this.nodes.has(seq)) {
      entry.node.remove();
      this.updateOwnStatus();
      return;
    }
    const node = entry.node;
    node.classList.remove("msg--pending");
    node.dataset.seq = String(seq);
    const time = node.querySelector("time");
    if (time && frame.sent_at) {
      time.dateTime = frame.sent_at;
      time.textContent = clockTime(frame.sent_at, this.lang);
    }
    node.querySelector(".msg__status").textContent = "";
    node.remove();
    this.insertBySeq(node, seq);
    this.nodes.set(seq, node);
    this.maxSeq = Math.max(this.maxSeq, seq);
    this.lastOwnSeq = Math.max(this.lastOwnSeq, seq);
    while (this.nodes.has(this.lastSeq + 1)) this.lastSeq += 1;
    if (seq > this.lastSeq) this.requestSync();
    this.updateOwnStatus();
  }

  onReceipt(frame) {
    if (frame.from !== this.other) return;
    const seq = Number(frame.seq) || 0;
    if (frame.kind === "read") {
      this.otherRead = Math.max(this.otherRead, seq);
      this.otherDelivered = Math.max(this.otherDelivered, seq);
    } else if (frame.kind === "delivered") {
      this.otherDelivered = Math.max(this.otherDelivered, seq);
    }
    this.updateOwnStatus();
  }

  /**
   * An error frame: if it belongs to one of our pending sends (ref = client_msg_id), mark that message.
   * Returns the error code when handled here, or null.
   */
  handleError(frame) {
    const entry = frame.ref ? this.pending.get(frame.ref) : null;
    if (!entry) return null;
    const retryAfter = Object.prototype.hasOwnProperty.call(RETRY_SEND_ERRORS, frame.code)
      ? RETRY_SEND_ERRORS[frame.code]
      : 0;
    if (retryAfter) {
      clearTimeout(entry.retryTimer);
      entry.retryTimer = setTimeout(() => this.sendPending(frame.ref), retryAfter);
    } else {
      // Anything else: this message will not be sent again.
      this.pending.delete(frame.ref);
      entry.node.classList.remove("msg--pending");
      entry.node.classList.add("msg--failed");
      entry.node.querySelector(".msg__status").textContent = this.s.not_sent || "";
      if (frame.code === "text_too_long" && this.els.input && !this.els.input.value) {
        // Give the text back so it can be shortened instead of typed again.
        this.els.input.value = entry.text;
        this.updateCounter();
      }
    }
    this.showError(this.errorText(frame.code));
    return frame.code;
  }

  /** The chat ended with sends still unacknowledged: they will not arrive any more. */
  failPending() {
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.retryTimer);
      entry.node.classList.remove("msg--pending");
      entry.node.classList.add("msg--failed");
      entry.node.querySelector(".msg__status").textContent = this.s.not_sent || "";
      this.pending.delete(id);
    }
  }

  errorText(code) {
    return this.s[`err_${code}`] || this.s.err_generic || "";
  }

  // ----- rendering -----

  senderLabel(msg) {
    if (msg.sender === this.side) return this.s.you || "";
    return this.otherName(msg);
  }

  renderMessage(msg) {
    if (msg.sender === "system") {
      const text = fmt(this.s[`event_${msg.event}`] || this.s.event_unknown || "", {
        name: msg.name || this.s.counselor || "",
      });
      const alert = this.side === "counselor" && msg.event === "ended_quick_exit";
      return el("p", {
        className: `msg msg--system${alert ? " msg--alert" : ""}`,
        text,
        attrs: { "data-seq": msg.seq },
      });
    }
    const own = msg.sender === this.side;
    return el(
      "div",
      { className: `msg ${own ? "msg--own" : "msg--theirs"}`, attrs: { "data-seq": msg.seq } },
      el(
        "p",
        { className: "msg__meta" },
        el("span", { className: "msg__who", text: this.senderLabel(msg), attrs: { dir: "auto" } }),
        el("time", { text: clockTime(msg.sent_at, this.lang), attrs: { datetime: msg.sent_at || null } }),
      ),
      // Typed text keeps its own direction: Latin words on an Arabic page and the other way round.
      el("p", { className: "msg__text", text: msg.text ?? "", attrs: { dir: "auto" } }),
      el("p", { className: "msg__status" }),
    );
  }

  renderPending(text) {
    return el(
      "div",
      { className: "msg msg--own msg--pending" },
      el(
        "p",
        { className: "msg__meta" },
        el("span", { className: "msg__who", text: this.s.you || "" }),
        el("time"),
      ),
      el("p", { className: "msg__text", text, attrs: { dir: "auto" } }),
      el("p", { className: "msg__status", text: this.s.sending || "" }),
    );
  }

  /** Keep messages in seq order; pending ones stay at the end. */
  insertBySeq(node, seq) {
    const log = this.els.log;
    let before = null;
    for (let child = log.lastElementChild; child; child = child.previousElementSibling) {
      if (!child.dataset.seq) {
        before = child; // pending: keep after every stored message
        continue;
      }
      if (Number(child.dataset.seq) > seq) {
        before = child;
        continue;
      }
      break;
    }
    log.insertBefore(node, before);
  }

  /** "Sent" / "Delivered" / "Read" under the own last message only. */
  updateOwnStatus() {
    const node = this.lastOwnSeq ? this.nodes.get(this.lastOwnSeq) : null;
    if (this.statusNode && this.statusNode !== node) {
      const old = this.statusNode.querySelector(".msg__status");
      if (old) old.textContent = "";
    }
    this.statusNode = node || null;
    if (!node) return;
    const status = node.querySelector(".msg__status");
    if (!status) return;
    let text = this.s.sent || "";
    if (this.otherRead >= this.lastOwnSeq) text = this.s.read || "";
    else if (this.otherDelivered >= this.lastOwnSeq) text = this.s.delivered || "";
    if (status.textContent !== text) status.textContent = text;
  }

  nearEnd() {
    const log = this.els.log;
    if (!log) return true;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  scrollToEnd() {
    const log = this.els.log;
    if (log) log.scrollTop = log.scrollHeight;
  }

  // ----- receipts out -----

  sendReceipts() {
    if (!this.id || this.maxOtherSeq === 0) return;
    const seq = this.lastSeq;
    if (seq <= 0) return;
    // Read implies delivered (docs/protocol.md): a chat on screen sends one receipt, not two.
    if (this.isVisible() && this.maxOtherSeq > this.sentRead && seq > this.sentRead) {
      if (this.sendFrame({ type: "receipt", conversation_id: this.id, kind: "read", seq })) {
        this.sentRead = seq;
        this.sentDelivered = Math.max(this.sentDelivered, seq);
      }
    }
    if (this.maxOtherSeq > this.sentDelivered && seq > this.sentDelivered) {
      if (this.sendFrame({ type: "receipt", conversation_id: this.id, kind: "delivered", seq })) {
        this.sentDelivered = seq;
      }
    }
    if (this.isVisible() && this.unread) {
      this.unread = 0;
      this.onUnread(0);
    }
  }

  /** The view came into sight: count everything as read. */
  seen() {
    if (this.unread) {
      this.unread = 0;
      this.onUnread(0);
    }
    this.sendReceipts();
  }

  // ----- typing -----

  showTyping(active) {
    const node = this.els.typing;
    if (!node) return;
    clearTimeout(this.typingInTimer);
    if (active && this.state !== "ended") {
      const text = fmt(this.s.typing, { name: this.otherName(null) });
      if (node.textContent !== text) node.textContent = text;
      this.typingInTimer = setTimeout(() => this.showTyping(false), INCOMING_TYPING_TIMEOUT_MS);
    } else if (node.textContent) {
      node.textContent = "";
    }
  }

  /** Call on every input event of the textarea. */
  inputChanged() {
    this.updateCounter();
    this.clearError();
    const input = this.els.input;
    if (!input || this.state !== "active" || !this.id) return;
    if (!input.value.trim()) {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    if (!this.typingOut || now - this.typingSentAt > OUTGOING_TYPING_REFRESH_MS) {
      if (this.sendFrame({ type: "typing", conversation_id: this.id, active: true })) {
        this.typingOut = true;
        this.typingSentAt = now;
      }
    }
    clearTimeout(this.typingIdleTimer);
    this.typingIdleTimer = setTimeout(() => this.stopTyping(), OUTGOING_TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.typingIdleTimer);
    if (!this.typingOut) return;
    this.typingOut = false;
    if (this.id) this.sendFrame({ type: "typing", conversation_id: this.id, active: false });
  }

  // ----- sending -----

  /** Send what is in the textarea. Returns true when a message was queued. */
  submit() {
    const input = this.els.input;
    if (!input) return false;
    const text = input.value;
    if (!text.trim()) {
      input.focus();
      return false;
    }
    if (!this.canWrite) {
      this.showError(this.errorText("conversation_ended"));
      return false;
    }
    if ([...text].length > this.maxChars) {
      this.showError(this.errorText("text_too_long"));
      return false;
    }
    const id = randomId();
    const node = this.renderPending(text);
    this.pending.set(id, { text, node, retryTimer: 0 });
    this.els.log.append(node);
    input.value = "";
    this.updateCounter();
    this.clearError();
    this.stopTyping();
    this.sendPending(id);
    this.scrollToEnd();
    return true;
  }

  sendPending(id) {
    const entry = this.pending.get(id);
    if (!entry || !this.id) return false;
    return this.sendFrame({ type: "send", conversation_id: this.id, client_msg_id: id, text: entry.text });
  }

  get hasPending() {
    return this.pending.size > 0;
  }

  // ----- composer helpers -----

  updateCounter() {
    const { input, counter } = this.els;
    if (!input || !counter) return;
    const left = this.maxChars - [...input.value].length;
    const warnAt = Math.min(500, Math.max(50, Math.floor(this.maxChars * 0.1)));
    if (left <= warnAt) {
      counter.hidden = false;
      counter.textContent = fmt(this.s.chars_left, { n: Math.max(0, left) });
    } else if (!counter.hidden) {
      counter.hidden = true;
      counter.textContent = "";
    }
  }

  showError(text) {
    if (this.els.error && text) this.els.error.textContent = text;
  }

  clearError() {
    if (this.els.error && this.els.error.textContent) this.els.error.textContent = "";
  }
}

/** Enter sends, Shift+Enter makes a new line (not while an input method is composing). */
export function bindComposer(input, sendButton, view) {
  input.addEventListener("input", () => view().inputChanged());
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      view().submit();
    }
  });
  sendButton.addEventListener("click", () => {
    view().submit();
    input.focus();
  });
}
