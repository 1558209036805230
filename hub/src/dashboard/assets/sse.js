// Server-sent events read with fetch(): EventSource cannot send the
// Authorization header the hub needs. SseParser is pure (text in, events
// out) so it is tested without a network (tests/python/dashboard_check.py
// feeds it split and odd input inside the page); followStream
// is the thin shell that reads the body, remembers the last id and
// reconnects with it after an error, with backoff.
"use strict";

(function (root) {
  // Parses the event-stream format (WHATWG HTML, "server-sent events"):
  // lines end in LF, CRLF or CR; a blank line ends an event; lines that
  // start with ":" are comments (keep-alives); "field: value" sets id,
  // event, data (lines joined with LF) or retry.
  class SseParser {
    constructor() {
      this.buffer = "";
      this.pendingCr = false;
      this.started = false;
      this.lastId = null;
      this.dispatchedId = null;
      this.retryMs = null;
      this.reset();
    }

    reset() {
      this.eventName = "";
      this.data = [];
      this.hasData = false;
    }

    // Feeds a chunk of text; returns the events it completed, each
    // {id, event, data} (id: the last id seen so far, or null).
    push(chunk) {
      let text = chunk;
      if (!this.started && text.length > 0) {
        this.started = true;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      if (this.pendingCr && text.startsWith("\n")) text = text.slice(1);
      this.pendingCr = false;
      this.buffer += text;
      const events = [];
      for (;;) {
        const match = /\r\n|\r|\n/.exec(this.buffer);
        if (!match) break;
        // A CR at the very end may be the first half of a CRLF.
        if (match[0] === "\r" && match.index === this.buffer.length - 1) {
          this.pendingCr = true;
        }
        const line = this.buffer.slice(0, match.index);
        this.buffer = this.buffer.slice(match.index + match[0].length);
        const event = this.line(line);
        if (event) events.push(event);
      }
      return events;
    }

    line(line) {
      if (line === "") return this.dispatch();
      if (line.startsWith(":")) return null;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") {
        this.data.push(value);
        this.hasData = true;
      } else if (field === "event") {
        this.eventName = value;
      } else if (field === "id") {
        if (!value.includes("\0")) this.lastId = value;
      } else if (field === "retry") {
        if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
      }
      return null;
    }

    dispatch() {
      this.dispatchedId = this.lastId;
      const event = this.hasData
        ? { id: this.lastId, event: this.eventName || "message", data: this.data.join("\n") }
        : null;
      this.reset();
      return event;
    }
  }

  // The delay before reconnect attempt n (0-based): 1 s doubling to 30 s,
  // or the server's retry: as the floor.
  function backoffMs(attempt, retryMs) {
    const base = Math.min(30000, 1000 * Math.pow(2, Math.min(attempt, 5)));
    return Math.max(base, retryMs || 0);
  }

  // One connection: hands its events to onEvent until the body ends (an
  // error), or returns "unauthorized" or "unavailable:STATUS".
  async function readStream(url, token, state, handlers) {
    const headers = { Authorization: "Bearer " + token, Accept: "text/event-stream" };
    if (state.lastId !== null) headers["Last-Event-ID"] = state.lastId;
    state.controller = new AbortController();
    const response = await fetch(url, { headers, signal: state.controller.signal, cache: "no-store" });
    if (response.status === 401) return "unauthorized";
    if (response.status === 404 || response.status === 405) return "unavailable:" + response.status;
    if (!response.ok || !response.body) throw new Error("stream answered " + response.status);
    handlers.onOpen && handlers.onOpen();
    const parser = new SseParser();
    parser.lastId = state.lastId;
    parser.dispatchedId = state.lastId;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const event of parser.push(decoder.decode(value, { stream: true }))) {
        state.attempt = 0;
        handlers.onEvent(event);
      }
      // Only an id whose event ended counts: resuming from a half-read
      // event would skip it.
      state.lastId = parser.dispatchedId;
      state.retryMs = parser.retryMs;
    }
    throw new Error("stream ended");
  }

  // Follows `url` until stop() is called, from the event after `startId`
  // (null: the server's default). handlers: onEvent({id, event, data}),
  // onOpen(), onError(message), onUnavailable(status) for a 404 or 405
  // (the hub has no stream: the caller polls instead; no retry), and
  // onUnauthorized() for a 401 (no retry).
  function followStream(url, token, handlers, startId) {
    const state = { lastId: startId || null, stopped: false, attempt: 0, controller: null, retryMs: null };

    async function loop() {
      while (!state.stopped) {
        let outcome;
        try {
          outcome = await readStream(url, token, state, handlers);
        } catch (error) {
          if (state.stopped) return;
          handlers.onError && handlers.onError(String(error && error.message ? error.message : error));
        }
        if (outcome === "unauthorized") return handlers.onUnauthorized && handlers.onUnauthorized();
        if (outcome && outcome.startsWith("unavailable:")) {
          return handlers.onUnavailable && handlers.onUnavailable(Number(outcome.slice(12)));
        }
        const delay = backoffMs(state.attempt, state.retryMs);
        state.attempt += 1;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }

    loop();
    return {
      stop() {
        state.stopped = true;
        if (state.controller) state.controller.abort();
      },
      lastId() {
        return state.lastId;
      },
    };
  }

  const api = { SseParser, backoffMs, followStream };
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  root.Dash = Object.assign(root.Dash || {}, api);
})(typeof window !== "undefined" ? window : globalThis);
