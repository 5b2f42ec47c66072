// Baken — the visitor's chat without a WebSocket (issue 13; docs/protocol.md, "HTTP door").
// Loaded only when a network blocks WebSockets, so the first visit does not carry it.

import { Reconnecting } from "./common.js";

/**
 * For networks that never let a WebSocket open. Frames from the server come as server-sent events
 * on `streamPath` (which starts with the catch-up from `afterSeq()`), frames to it are posted one at
 * a time, in order, to `commandPath`, whose answer holds what the socket would have been sent in
 * reply. Same interface as Connection: start, stop, send, ready; the same statuses and reconnect
 * schedule.
 */
export class StreamConnection extends Reconnecting {
  constructor(streamPath, commandPath, { afterSeq, ...handlers } = {}) {
    super(handlers);
    this.streamPath = streamPath;
    this.commandPath = commandPath;
    this.afterSeq = afterSeq || (() => 0);
    this.source = null;
    this.watchTimer = 0;
    this.openedAfter = 0;
    this.caughtUp = false;
    this.posting = Promise.resolve();
  }

  get ready() {
    return Boolean(this.source && this.welcomed && !this.stopped);
  }

  stop(afterMs = 0) {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const source = this.source;
    const finish = () => {
      if (source) source.close();
      if (this.source === source) {
        this.source = null;
        this.welcomed = false;
        clearInterval(this.watchTimer);
      }
      if (this.stopped) this.setStatus("stopped");
    };
    if (afterMs > 0 && source) setTimeout(finish, afterMs);
    else finish();
  }

  deliver(frame) {
    if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return;
    try {
      this.onFrame(frame);
    } catch (error) {
      console.error(error); // eslint-disable-line no-console
    }
  }

  open() {
    clearTimeout(this.retryTimer);
    if (this.stopped) return;
    const after = Math.max(0, Number(this.afterSeq()) || 0);
    let source;
    try {
      source = new EventSource(`${this.streamPath}?after_seq=${after}`);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.source = source;
    this.welcomed = false;
    this.openedAfter = after;
    this.caughtUp = false;
    this.lastFrameAt = Date.now();
    source.onmessage = (event) => {
      if (source !== this.source) return;
      this.lastFrameAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      if (frame && frame.type === "welcome") {
        this.welcomed = true;
        this.failures = 0;
        this.watch(frame.heartbeat);
        this.setStatus("online");
      }
      this.deliver(frame);
      if (frame && frame.type === "messages" && !frame.more) this.caughtUp = true;
    };
    source.addEventListener("heartbeat", () => {
      if (source === this.source) this.lastFrameAt = Date.now();
    });
    // The browser would retry on its own; this page keeps its own, calmer schedule instead.
    source.onerror = () => {
      if (source === this.source) this.drop();
    };
  }

  /** Drop a stream that went silent or broke (reconnect is scheduled). */
  drop() {
    const source = this.source;
    this.source = null;
    this.welcomed = false;
    clearInterval(this.watchTimer);
    if (source) source.close();
    if (!this.stopped) this.scheduleReconnect();
  }

  reconnectNow() {
    if (this.stopped || this.source) return;
    clearTimeout(this.retryTimer);
    this.open();
  }

  watch(seconds) {
    clearInterval(this.watchTimer);
    const interval = Number(seconds) > 0 ? Number(seconds) * 1000 : 20000;
    this.watchTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > interval * 2.5) this.drop();
    }, interval);
  }

  /** Send one frame; false when not connected (the caller keeps it and sends it again later). */
  send(frame) {
    if (!this.ready) return false;
    if (frame.type === "ping") return true; // the stream's heartbeat does this
    if (frame.type === "sync") {
      // The stream began with the catch-up from where the page was; a sync asking for no
      // earlier than that is answered by it. A later gap: start the stream again from there.
      if (!this.caughtUp && frame.after_seq >= this.openedAfter) return true;
      const source = this.source;
      this.source = null;
      this.welcomed = false;
      if (source) source.close();
      this.open();
      return true;
    }
    this.posting = this.posting.then(() => this.post(frame));
    return true;
  }

  async post(frame) {
    let frames = null;
    try {
      const response = await fetch(this.commandPath, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        keepalive: frame.type === "leave",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(frame),
      });
      if (response.ok) frames = (await response.json()).frames;
    } catch {
      frames = null;
    }
    if (this.stopped && frame.type !== "leave") return;
    if (!Array.isArray(frames)) {
      // Not carried out, or not known to be: a message is sent again (with the same id, so it is
      // stored once); anything else the page asks for again when it needs it.
      if (frame.type === "send") {
        this.deliver({ type: "error", code: "unavailable", ref: frame.client_msg_id });
      }
      return;
    }
    for (const answered of frames) this.deliver(answered);
  }
}
