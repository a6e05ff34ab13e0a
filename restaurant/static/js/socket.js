// The one socket client (docs/protocol.md "Clients"), shared by the table page and the kitchen display.
//
// The server's database is the truth and the channel layer may drop or reorder events, so this
// module never trusts the stream alone: it applies `seq`-numbered events strictly in order, asks
// for a snapshot (`sync`) when it sees a gap, starts every connection from a snapshot, and keeps
// every op until the server answers it, resending it with the same id after a reconnect (the
// server acknowledges a repeated id without applying it twice).

const FINAL_CLOSES = new Set([4000, 4403, 4429, 1009]); // no automatic reconnect after these
const BACKOFF_MIN = 500;
const BACKOFF_MAX = 10000;
const REPLY_TIMEOUT = 12000; // a silent socket on a phone is often a dead one: reconnect
const SNAPSHOT_TIMEOUT = 10000; // open but no snapshot: the server lost this socket; start over
// After a reconnect, unanswered ops go out in a burst, then paced: the server's flood limit
// (a bucket of 30 refilled at 15/s, 4429 after repeated refusals) must never see a resend.
const RESEND_BURST = 20;
const RESEND_INTERVAL = 100; // ms between the rest

export function newOpId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  // randomUUID needs a secure context (https); a table page on plain http still has this.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class OpError extends Error {
  constructor(reply) {
    super(reply.message || reply.code);
    this.code = reply.code;
    this.reply = reply; // extra fields, e.g. `dish_ids` of a `sold_out`
  }
}

export class LiveSocket {
  // path: e.g. "/ws/table/<token>/". Events: state, snapshot, event, closed, refused.
  constructor(path) {
    this.url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
    this.seq = null; // null until a snapshot with a seq (the kitchen socket has none)
    this.state = "connecting";
    this.pending = new Map(); // op id -> {message, resolve, reject, sentOn}
    this.handlers = {};
    this.ws = null;
    this.generation = 0; // which connection an op was last sent on
    this.attempt = 0;
    this.refusals = 0; // handshakes refused in a row (the server answers 403 as a drop)
    this.buffer = new Map(); // events that arrived ahead of a gap, by seq
    this.syncing = false;
    this.timer = null;
    // Phones suspend pages: when one comes back, try at once instead of waiting out the backoff.
    const wake = () => {
      if (this.state === "offline" && document.visibilityState !== "hidden") this.reconnectNow();
    };
    document.addEventListener("visibilitychange", wake);
    addEventListener("online", wake);
    // When the phone says the network is gone, believe it: a socket stays "open" long after its
    // network died (until a ping or the reply timeout notices), so the page would claim to be
    // live and send ops into nothing. Drop it now: the page says it is offline, and ops wait in
    // `pending` for the next connection's snapshot.
    addEventListener("offline", () => this.goOffline());
  }

  goOffline() {
    if (this.state === "closed") return;
    const old = this.ws;
    this.ws = null; // its onclose is ignored
    if (old) old.close(4001, "offline");
    this.setState("offline");
    clearTimeout(this.timer);
    // Keep trying with the usual backoff (navigator.onLine is not always right); the "online"
    // event reconnects at once when the network comes back.
    this.scheduleReconnect();
  }

  on(name, fn) {
    if (!this.handlers[name]) this.handlers[name] = [];
    this.handlers[name].push(fn);
    return this;
  }

  emit(name, detail) {
    for (const fn of this.handlers[name] || []) fn(detail);
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }

  connect() {
    clearTimeout(this.timer);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.generation += 1;
    this.fresh = false; // no snapshot yet on this connection
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.refusals = 0;
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = setTimeout(() => {
        if (ws === this.ws && !this.fresh) this.reconnectNow();
      }, SNAPSHOT_TIMEOUT);
    };
    ws.onmessage = (e) => {
      if (ws === this.ws) this.receive(e.data);
    };
    ws.onclose = (e) => {
      if (ws !== this.ws) return; // a socket we already replaced
      this.ws = null;
      if (FINAL_CLOSES.has(e.code)) {
        this.setState("closed");
        for (const op of this.pending.values()) op.reject(new OpError({ code: "closed" }));
        this.pending.clear();
        this.emit("closed", { code: e.code, reason: e.reason });
        return;
      }
      if (!opened) this.emit("refused", { count: ++this.refusals });
      this.setState(this.state === "connecting" ? "connecting" : "offline");
      this.scheduleReconnect();
    };
  }

  scheduleReconnect() {
    // Full jitter: tables reconnect together after a server restart; spread them out.
    const ceiling = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** this.attempt);
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.state === "closed") return;
    this.attempt = 0;
    const old = this.ws;
    this.ws = null; // its onclose is ignored: a dead socket may take long to report it
    if (old) {
      old.close(4001, "reconnect");
      if (this.state === "online") this.setState("offline");
    }
    this.connect();
  }

  close() {
    clearTimeout(this.timer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000);
    this.setState("closed");
  }

  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type === "ack" || msg.type === "error") return this.reply(msg);
    if (msg.type === "snapshot") return this.applySnapshot(msg);
    if (!this.fresh) return; // before the snapshot: the snapshot will include it
    if (typeof msg.seq !== "number" || this.seq === null) return this.emit("event", msg);
    if (msg.seq <= this.seq) return; // already have it (a resend, or covered by a snapshot)
    this.buffer.set(msg.seq, msg);
    this.drain();
    if (this.buffer.size && !this.syncing) {
      // A gap: a message was lost or is late. Ask for the whole truth rather than wait.
      this.syncing = true;
      this.send("sync").catch(() => {}).finally(() => (this.syncing = false));
    }
  }

  drain() {
    while (this.buffer.has(this.seq + 1)) {
      const next = this.buffer.get(this.seq + 1);
      this.buffer.delete(this.seq + 1);
      this.seq = next.seq;
      this.emit("event", next);
    }
  }

  applySnapshot(snap) {
    const first = !this.fresh;
    this.fresh = true;
    clearTimeout(this.snapshotTimer);
    this.seq = typeof snap.seq === "number" ? snap.seq : null;
    for (const s of [...this.buffer.keys()]) if (this.seq === null || s <= this.seq) this.buffer.delete(s);
    this.emit("snapshot", snap);
    if (this.seq !== null) this.drain();
    if (!first) return;
    this.attempt = 0;
    this.setState("online");
    // Only now resend: the snapshot showed what the server already has, and an op the server
    // did apply before the drop is acknowledged again by its id, not applied twice.
    const resend = [];
    for (const [id, op] of this.pending) {
      if (op.message.type === "sync") {
        this.pending.delete(id); // this connection's snapshot already answered it
        op.resolve({ type: "ack", id, seq: this.seq });
      } else {
        resend.push(op);
      }
    }
    this.resendPaced(resend, this.generation);
  }

  resendPaced(ops, generation) {
    ops.slice(0, RESEND_BURST).forEach((op) => this.transmit(op));
    const rest = ops.slice(RESEND_BURST);
    const next = () => {
      if (generation !== this.generation || !rest.length) return; // a newer connection resends
      const op = rest.shift();
      if (this.pending.has(op.message.id)) this.transmit(op);
      setTimeout(next, RESEND_INTERVAL);
    };
    if (rest.length) setTimeout(next, RESEND_INTERVAL);
  }

  reply(msg) {
    const op = msg.id != null && this.pending.get(msg.id);
    if (!op) return;
    this.pending.delete(msg.id);
    clearTimeout(op.timer);
    if (msg.type === "ack") op.resolve(msg);
    else op.reject(new OpError(msg));
  }

  // Send an op; the promise resolves with its `ack` or rejects with an OpError.
  send(type, fields = {}) {
    if (this.state === "closed") return Promise.reject(new OpError({ code: "closed" }));
    const message = { ...fields, type, id: newOpId() };
    return new Promise((resolve, reject) => {
      const op = { message, resolve, reject, sentOn: 0 };
      this.pending.set(message.id, op);
      if (this.state === "online") this.transmit(op);
      // Otherwise it waits: it goes out after the next connection's snapshot.
    });
  }

  transmit(op) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    op.sentOn = this.generation;
    this.ws.send(JSON.stringify(op.message));
    clearTimeout(op.timer);
    op.timer = setTimeout(() => {
      // No answer on a socket that claims to be open: treat it as half-dead and start over.
      if (this.pending.has(op.message.id) && op.sentOn === this.generation) this.reconnectNow();
    }, REPLY_TIMEOUT);
  }
}
