// The kitchen display: open orders in columns by status, waiter calls, sold-out switches, tickets.
//
// The server's snapshot is the board; events move it on between snapshots. The kitchen socket
// carries no seq, so nothing here can see a lost event: a `sync` every minute (one snapshot,
// cheap) heals whatever the channel layer dropped, and every reconnect starts from a snapshot.

import { LiveSocket } from "./socket.js";
import {
  $, EN, clock, customLabel, h, icon as sprite, localName, openDialog, serverClock, since as sinceText,
  staffConnection, strings, tableName as nameOf, toast, wireDialog,
} from "./ui.js";

const CONFIG = JSON.parse($("#kitchen-config").textContent);
const t = strings("kitchen-strings");

const COLUMNS = ["submitted", "accepted", "preparing", "ready"];
const NEXT = { submitted: "accepted", accepted: "preparing", preparing: "ready", ready: "served" };
const AMBER_AFTER = 10 * 60_000; // an order waiting this long turns amber...
const RED_AFTER = 20 * 60_000; // ...and this long, red
const FRESH_FOR = 15_000; // a new order glows this long
const SYNC_EVERY = 60_000;
const MUTE_KEY = "kitchen-muted";

const now = serverClock(CONFIG.now);
const icon = (name) => sprite(`k-${name}`);
const tableName = (table) => nameOf(table, t);
const since = (ms) => sinceText(ms, t);

function elapsed(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

const ageClass = (ms) => (ms >= RED_AFTER ? "age-red" : ms >= AMBER_AFTER ? "age-amber" : "age-calm");

// --- State: exactly what the last snapshot plus the events since say ---------------------------

const S = {
  orders: new Map(), // order_id -> order, with its table
  calls: new Map(), // call_id -> call
  soldOut: new Set(), // dish ids (the snapshot and menu.dish events are the truth)
  dishes: new Map(), // dish_id -> dish from /api/menu/ (names only; sold_out comes from above)
  options: new Map(), // option_id -> option (English names)
  categories: [],
  menuState: "loading", // loading | ready | error
  busy: new Set(), // order ids with a status op in flight
  busyCalls: new Set(),
  busyDishes: new Set(),
  fresh: new Map(), // order_id -> glow until (ms)
  seen: false, // had a snapshot already: later snapshots may bring orders we missed
};

// --- Sound: WebAudio beeps; browsers allow audio only after a first tap on the page ------------

// The mute choice outlives a reload; storage may be off (private mode): then it lasts the visit.
const store = {
  get: (key) => { try { return localStorage.getItem(key); } catch { return null; } },
  set: (key, value) => { try { if (value == null) localStorage.removeItem(key); else localStorage.setItem(key, value); } catch { /* kept in memory */ } },
};

const sound = {
  ctx: null,
  muted: store.get(MUTE_KEY) === "1",
  supported: Boolean(window.AudioContext || window.webkitAudioContext),
  get state() {
    if (!this.supported) return "none";
    if (this.muted) return "muted";
    return this.ctx?.state === "running" ? "on" : "locked";
  },
  unlock() {
    if (!this.supported || this.muted) return Promise.resolve();
    if (!this.ctx) {
      this.ctx = new (window.AudioContext || window.webkitAudioContext)();
      // A tablet may suspend audio (screen off, another app): the button then asks again.
      this.ctx.addEventListener("statechange", renderSound);
    }
    if (this.ctx.state === "running") {
      renderSound(); // made during a gesture, it starts running at once
      return Promise.resolve();
    }
    return this.ctx.resume().catch(() => {}).finally(renderSound);
  },
  // pattern: [[frequency Hz, seconds, pause after], ...]
  play(pattern) {
    if (this.state !== "on") return;
    const ctx = this.ctx;
    let at = ctx.currentTime + 0.02;
    for (const [freq, dur, gap] of pattern) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "triangle";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.5, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + dur);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + dur + 0.05);
      at += dur + gap;
    }
  },
};
const CHIME_ORDER = [[784, 0.18, 0.04], [1175, 0.32, 0]]; // rising two-tone: a new order
const CHIME_CALL = [[988, 0.12, 0.08], [988, 0.12, 0.08], [988, 0.12, 0]]; // three taps: a waiter call
const CHIME_TEST = [[880, 0.12, 0]];

function renderSound() {
  const button = $("#sound-button");
  const state = sound.state;
  button.dataset.state = state;
  button.setAttribute("aria-pressed", String(state === "on"));
  button.disabled = state === "none";
  $("#sound-label").textContent = t({ on: "soundOn", muted: "soundOff", locked: "soundLocked", none: "soundNone" }[state]);
  button.querySelector("use").setAttribute("href", state === "on" || state === "locked" ? "#k-bell" : "#k-bell-off");
}

$("#sound-button").addEventListener("click", () => {
  if (sound.state === "on") {
    sound.muted = true;
    store.set(MUTE_KEY, "1");
    renderSound();
    return;
  }
  sound.muted = false;
  store.set(MUTE_KEY, null);
  sound.unlock().then(() => {
    renderSound();
    sound.play(CHIME_TEST); // so whoever turned it on hears that it works
  });
});
// Any first tap on the page lets audio play: take it, so a busy cook need not find the button.
// (Browsers differ in which events count as the "user gesture"; these four cover them.)
for (const type of ["pointerup", "touchend", "click", "keydown"]) {
  document.addEventListener(type, (e) => {
    if (!e.target.closest?.("#sound-button")) sound.unlock(); // that button decides for itself
  }, { capture: true, passive: true });
}

// --- The board ----------------------------------------------------------------------------------

const board = $("#board");
const columns = Object.fromEntries(COLUMNS.map((s) => [s, $(`.column[data-status="${s}"]`, board)]));
const cards = new Map(); // order_id -> {el, sig}

function dishName(id, fallback) {
  const dish = S.dishes.get(id);
  return EN && dish?.name_en ? dish.name_en : fallback || dish?.name || `#${id}`;
}

function optionNames(item) {
  if (EN && item.options.length && item.options.every((id) => S.options.has(id))) {
    return item.options.map((id) => S.options.get(id).name_en || S.options.get(id).name);
  }
  return item.option_names || [];
}

function itemRow(item) {
  const options = optionNames(item);
  return h("li", { class: "tc-item" },
    h("span", { class: "tc-qty" }, `${item.qty}×`),
    h("div", { class: "tc-what" },
      h("span", { class: "tc-name" }, dishName(item.dish_id, item.name)),
      options.length ? h("span", { class: "tc-options" }, options.join(" · ")) : null,
      item.note ? h("span", { class: "tc-note" }, icon("note"), h("span", {}, item.note)) : null));
}

function actionButton(order, to, primary) {
  const label = t(`to_${to}`);
  return h("button", {
    type: "button",
    class: `btn ${primary ? "act-next" : "act-skip"} to-${to}`,
    "data-to": to,
    "aria-label": primary ? null : t("skipTo", { status: label }),
    title: primary ? null : t("skipTo", { status: label }),
  }, primary ? null : icon("skip"), label);
}

function buildCard(order) {
  const next = NEXT[order.status];
  const busy = S.busy.has(order.order_id);
  const created = Date.parse(order.created_at);
  const age = now() - created;
  const el = h("article", {
    class: `ticket-card ${ageClass(age)}${busy ? " is-busy" : ""}`,
    "data-order": order.order_id,
    "data-status": order.status,
    "data-created": created,
    "aria-busy": busy ? "true" : null,
  },
    h("header", { class: "tc-head" },
      // The big number is the table; a name beside it only where the restaurant gave one
      // ("包间A"), else the round takes its place (screen readers still hear "Table 2").
      h("span", { class: "tc-table", "aria-hidden": "true" }, String(order.table.number)),
      h("div", { class: "tc-where" },
        h("strong", { class: `tc-label${customLabel(order.table) ? "" : " visually-hidden"}` }, tableName(order.table)),
        h("span", { class: `tc-round${customLabel(order.table) ? "" : " is-main"}` }, t("round", { n: order.round }))),
      h("time", { class: "tc-age", datetime: order.created_at, title: t("orderedAt", { time: clock(order.created_at) }),
        "aria-label": t("age", { time: since(age) }) }, elapsed(age))),
    h("ul", { class: "tc-items" }, order.items.map(itemRow)),
    h("footer", { class: "tc-actions" },
      h("div", { class: "tc-moves" },
        actionButton(order, next, true),
        next !== "ready" && next !== "served" ? actionButton(order, "ready", false) : null),
      h("div", { class: "tc-minor" },
        h("button", { type: "button", class: "btn btn-quiet", "data-print": "" }, icon("print"), t("print")),
        h("button", { type: "button", class: "btn btn-quiet danger", "data-cancel": "" }, icon("close"), t("cancel")))));
  if (busy) for (const b of el.querySelectorAll("button[data-to], button[data-cancel]")) b.disabled = true;
  return el;
}

const byAge = (a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.order_id - b.order_id;

function renderBoard() {
  const stamp = S.menuState; // dish names change language once the menu is in
  for (const status of COLUMNS) {
    const column = columns[status];
    const body = $(".column-body", column);
    const orders = [...S.orders.values()].filter((o) => o.status === status).sort(byAge);
    $("[data-count]", column).textContent = String(orders.length);
    column.classList.toggle("is-empty", orders.length === 0);
    orders.forEach((order, i) => {
      const sig = `${order.status}|${S.busy.has(order.order_id)}|${stamp}`;
      let card = cards.get(order.order_id);
      if (!card || card.sig !== sig) {
        const el = buildCard(order);
        if (card) card.el.replaceWith(el);
        card = { el, sig };
        cards.set(order.order_id, card);
      }
      card.el.classList.toggle("is-fresh", (S.fresh.get(order.order_id) || 0) > now());
      // Move only what is out of place: a moved node would restart its animation.
      if (body.children[i] !== card.el) body.insertBefore(card.el, body.children[i] || null);
    });
    // The first orders.length children are now this column's cards: the rest left it.
    while (body.children.length > orders.length) body.lastElementChild.remove();
  }
  for (const [id, card] of cards) {
    if (!S.orders.has(id) || !card.el.isConnected) {
      card.el.remove();
      cards.delete(id);
    }
  }
  board.setAttribute("aria-busy", "false");
  const fresh = [...S.orders.values()].filter((o) => o.status === "submitted").length;
  document.title = `${fresh ? `(${fresh}) ` : ""}${document.title.replace(/^\(\d+\) /, "")}`;
}

function tick() {
  const at = now();
  for (const { el } of cards.values()) {
    const age = at - Number(el.dataset.created);
    const label = $(".tc-age", el);
    label.textContent = elapsed(age);
    label.setAttribute("aria-label", t("age", { time: since(age) }));
    const cls = ageClass(age);
    if (!el.classList.contains(cls)) {
      el.classList.remove("age-calm", "age-amber", "age-red");
      el.classList.add(cls);
    }
  }
  for (const li of document.querySelectorAll("#calls-list [data-at]")) {
    $(".call-since", li).textContent = since(at - Number(li.dataset.at));
    li.classList.toggle("is-long", at - Number(li.dataset.at) > 3 * 60_000);
  }
  for (const [id, until] of S.fresh) {
    if (until <= at) {
      S.fresh.delete(id);
      cards.get(id)?.el.classList.remove("is-fresh");
    }
  }
}

function markFresh(orderId) {
  S.fresh.set(orderId, now() + FRESH_FOR);
}

// --- Status moves, cancel, print ------------------------------------------------------------------

function errorText(err) {
  const key = `err_${err.code}`;
  return t.has(key) ? t(key) : t("err_other", { message: err.message || err.code });
}

function setStatus(orderId, status) {
  const order = S.orders.get(orderId);
  if (!order || S.busy.has(orderId)) return;
  S.busy.add(orderId);
  renderBoard();
  sock.send("order.set_status", { order_id: orderId, status })
    .then(() => {
      // The ack means it is committed: show it now, whether or not the event comes first.
      applyStatus(orderId, status);
      if (status === "cancelled") toast(t("cancelled", { table: tableName(order.table), round: order.round }));
    })
    .catch((err) => {
      toast(errorText(err), "is-error");
      if (err.code === "conflict" || err.code === "not_found") sock.send("sync").catch(() => {});
    })
    .finally(() => {
      S.busy.delete(orderId);
      renderBoard();
    });
}

function applyStatus(orderId, status) {
  const order = S.orders.get(orderId);
  if (!order) return false;
  if (COLUMNS.includes(status)) order.status = status;
  else S.orders.delete(orderId); // served and cancelled leave the board
  S.fresh.delete(orderId);
  return true;
}

const cancelDialog = $("#cancel-dialog");
let cancelling = null;

function askCancel(orderId) {
  const order = S.orders.get(orderId);
  if (!order) return;
  cancelling = orderId;
  $("#cancel-title").textContent = t("cancelTitle", { round: order.round, table: tableName(order.table) });
  cancelDialog.returnValue = "";
  openDialog(cancelDialog);
}
cancelDialog.addEventListener("close", () => {
  if (cancelDialog.returnValue === "cancel" && cancelling != null) setStatus(cancelling, "cancelled");
  cancelling = null;
});
wireDialog(cancelDialog); // a tap on the backdrop keeps the order

function printTicket(orderId) {
  const order = S.orders.get(orderId);
  if (!order) return;
  const ticket = $("#print-ticket");
  ticket.replaceChildren(
    h("p", { class: "pt-restaurant" }, CONFIG.restaurant),
    h("p", { class: "pt-table" }, `#${order.table.number} ${tableName(order.table)}`),
    h("p", { class: "pt-meta" }, `${t("round", { n: order.round })} · ${clock(order.created_at)}`),
    h("hr"),
    h("ul", { class: "pt-items" }, order.items.map((item) => {
      const options = optionNames(item);
      return h("li", {},
        h("span", { class: "pt-line" }, `${item.qty} × ${dishName(item.dish_id, item.name)}`),
        options.length ? h("span", { class: "pt-options" }, `  ${options.join(", ")}`) : null,
        item.note ? h("span", { class: "pt-note" }, `** ${t("note")}: ${item.note} **`) : null);
    })),
    h("hr"),
    h("p", { class: "pt-foot" }, t("ticketFoot", { id: order.order_id, time: clock(new Date().toISOString()) })));
  document.body.classList.add("is-printing-ticket");
  window.print();
}
addEventListener("afterprint", () => {
  document.body.classList.remove("is-printing-ticket");
  $("#print-ticket").replaceChildren();
});

board.addEventListener("click", (e) => {
  const card = e.target.closest(".ticket-card");
  if (!card) return;
  const orderId = Number(card.dataset.order);
  const button = e.target.closest("button");
  if (!button || button.disabled) return;
  if (button.dataset.to) setStatus(orderId, button.dataset.to);
  else if ("cancel" in button.dataset) askCancel(orderId);
  else if ("print" in button.dataset) printTicket(orderId);
});

// --- Waiter calls ---------------------------------------------------------------------------------

const reasonLabel = (reason) => (["service", "bill", "water"].includes(reason) ? t(`reason_${reason}`) : reason);

function renderCalls() {
  const calls = [...S.calls.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  $("#calls-panel").hidden = calls.length === 0;
  $("#calls-count").textContent = String(calls.length);
  const at = now();
  $("#calls-list").replaceChildren(...calls.map((call) => {
    const since0 = at - Date.parse(call.at);
    const busy = S.busyCalls.has(call.call_id);
    return h("li", { class: `call${since0 > 3 * 60_000 ? " is-long" : ""}`, "data-call": call.call_id, "data-at": Date.parse(call.at) },
      h("span", { class: "call-table" }, String(call.table.number)),
      h("span", { class: "call-what" },
        h("strong", { class: `call-reason reason-${["service", "bill", "water"].includes(call.reason) ? call.reason : "text"}` }, reasonLabel(call.reason)),
        h("span", { class: "call-where" }, tableName(call.table), " · ", h("span", { class: "call-since" }, since(since0)))),
      h("button", { type: "button", class: "btn btn-done", disabled: busy, "data-done": "" }, icon("check"), t("done")));
  }));
}

$("#calls-list").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-done]");
  if (!button) return;
  const callId = Number(button.closest("[data-call]").dataset.call);
  S.busyCalls.add(callId);
  renderCalls();
  sock.send("waiter.done", { call_id: callId })
    .then(() => S.calls.delete(callId))
    .catch((err) => toast(errorText(err), "is-error"))
    .finally(() => {
      S.busyCalls.delete(callId);
      renderCalls();
    });
});

// --- Sold out -------------------------------------------------------------------------------------

const panel = $("#soldout-panel");

async function loadMenu() {
  S.menuState = "loading";
  try {
    const response = await fetch(CONFIG.menuUrl, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const menu = await response.json();
    S.categories = menu.categories;
    S.dishes = new Map();
    S.options = new Map();
    for (const category of menu.categories) {
      for (const dish of category.dishes) {
        S.dishes.set(dish.id, { ...dish, category });
        for (const group of dish.option_groups) for (const o of group.options) S.options.set(o.id, o);
      }
    }
    S.menuState = "ready";
  } catch {
    S.menuState = "error";
  }
  renderBoard();
  renderSoldOut();
}

function dishRow(dish) {
  const out = S.soldOut.has(dish.id);
  const busy = S.busyDishes.has(dish.id);
  return h("li", {},
    h("button", {
      type: "button", class: `dish-switch${out ? " is-out" : ""}`, role: "switch",
      "aria-checked": String(out), "data-dish": dish.id, disabled: busy,
    },
      h("span", { class: "ds-name" }, localName(dish),
        EN || !dish.name_en ? null : h("span", { class: "ds-alt" }, dish.name_en)),
      h("span", { class: "ds-state" }, out ? t("soldOut") : t("onSale")),
      h("span", { class: "ds-track", "aria-hidden": "true" }, h("span", { class: "ds-thumb" }))));
}

function renderSoldOut() {
  $("#soldout-count").textContent = String(S.soldOut.size);
  $("#soldout-button").classList.toggle("has-count", S.soldOut.size > 0);
  if (!panel.open) return;
  const list = $("#dish-list");
  list.setAttribute("aria-busy", String(S.menuState === "loading"));
  if (S.menuState === "error") {
    list.replaceChildren(h("div", { class: "empty" }, h("p", {}, t("menuError")),
      h("button", { type: "button", class: "btn btn-secondary", onclick: loadMenu }, t("retry"))));
    return;
  }
  if (S.menuState !== "ready") return;
  const query = $("#dish-filter").value.trim().toLowerCase();
  const match = (d) => !query || [d.name, d.name_en].some((n) => n && n.toLowerCase().includes(query));
  const groups = S.categories.map((c) => [localName(c), c.dishes.filter(match)]);
  // What is sold out now comes first: that is what the kitchen puts back on sale at the end of a day.
  if (!query) groups.unshift([t("soldOutNow"), [...S.soldOut].map((id) => S.dishes.get(id)).filter(Boolean)]);
  const sections = groups
    .filter(([, dishes]) => dishes.length)
    .map(([title, dishes], i) => h("section", { class: `dish-group${!query && i === 0 ? " is-out-now" : ""}` },
      h("h3", {}, title),
      h("ul", {}, dishes.map((d) => dishRow(S.dishes.get(d.id))))));
  // Keep focus on the switch that was just tapped across the redraw.
  const focused = document.activeElement?.dataset?.dish;
  const scroll = list.scrollTop;
  list.replaceChildren(...(sections.length ? sections : [h("p", { class: "empty" }, t("noMatch"))]));
  list.scrollTop = scroll;
  if (focused) list.querySelector(`.dish-group:not(.is-out-now) [data-dish="${focused}"]`)?.focus({ preventScroll: true });
}

$("#soldout-button").addEventListener("click", () => {
  openDialog(panel);
  renderSoldOut();
  if (S.menuState === "error") loadMenu();
});
wireDialog(panel);
$("#dish-filter").addEventListener("input", renderSoldOut);

$("#dish-list").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-dish]");
  if (!button || button.disabled) return;
  const dishId = Number(button.dataset.dish);
  const soldOut = !S.soldOut.has(dishId);
  const dish = S.dishes.get(dishId);
  S.busyDishes.add(dishId);
  renderSoldOut();
  sock.send("dish.set_sold_out", { dish_id: dishId, sold_out: soldOut })
    .then(() => {
      if (soldOut) S.soldOut.add(dishId);
      else S.soldOut.delete(dishId);
      toast(t(soldOut ? "markedSoldOut" : "markedOnSale", { dish: dish ? localName(dish) : `#${dishId}` }));
    })
    .catch((err) => toast(errorText(err), "is-error"))
    .finally(() => {
      S.busyDishes.delete(dishId);
      renderSoldOut();
    });
});

// --- Connection -----------------------------------------------------------------------------------

const connection = staffConnection(t, CONFIG.loginUrl);

// A refused handshake looks like a network drop. Ask an HTTP page that needs staff whether this
// browser is still signed in; if not, stop retrying and say so.
async function checkSignedIn() {
  try {
    const response = await fetch(CONFIG.probeUrl, { credentials: "same-origin", redirect: "manual", cache: "no-store" });
    if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
      connection.signOut();
      sock.close();
    }
  } catch {
    // unreachable: keep retrying, the pill says so
  }
}

// --- Applying the server's snapshot and events ---------------------------------------------------

function applySnapshot(snap) {
  const knownOrders = new Set(S.orders.keys());
  const knownCalls = new Set(S.calls.keys());
  S.orders = new Map(snap.orders.map((o) => [o.order_id, o]));
  S.calls = new Map(snap.calls.map((c) => [c.call_id, c]));
  S.soldOut = new Set(snap.dishes_sold_out);
  if (S.seen) {
    // Orders and calls that came while this screen was away (or whose event was lost) are new here.
    const arrived = snap.orders.filter((o) => !knownOrders.has(o.order_id) && o.status === "submitted");
    for (const o of arrived) markFresh(o.order_id);
    if (arrived.length) sound.play(CHIME_ORDER);
    else if (snap.calls.some((c) => !knownCalls.has(c.call_id))) sound.play(CHIME_CALL);
  }
  S.seen = true;
  if (S.menuState === "ready" && snap.dishes_sold_out.some((id) => !S.dishes.has(id))) loadMenu();
  renderAll();
}

let floorSync = null;

function applyEvent(ev) {
  switch (ev.type) {
    case "order.new": {
      if (S.orders.has(ev.order.order_id)) return;
      S.orders.set(ev.order.order_id, { ...ev.order, table: ev.table });
      markFresh(ev.order.order_id);
      sound.play(CHIME_ORDER);
      toast(t("newOrder", { table: tableName(ev.table), round: ev.order.round }), "is-new");
      if (ev.order.items.some((i) => !S.dishes.has(i.dish_id)) && S.menuState === "ready") loadMenu();
      renderBoard();
      // Oldest first keeps the queue fair, so a new order lands at the bottom: bring it into view.
      cards.get(ev.order.order_id)?.el.scrollIntoView({ block: "nearest", behavior: "smooth" });
      break;
    }
    case "order.status":
      // An order this screen never saw: its order.new was lost. Ask for the whole board.
      if (!applyStatus(ev.order_id, ev.status) && COLUMNS.includes(ev.status)) sock.send("sync").catch(() => {});
      renderBoard();
      break;
    case "waiter.call":
      if (S.calls.has(ev.call_id)) return;
      S.calls.set(ev.call_id, { call_id: ev.call_id, table: ev.table, reason: ev.reason, at: ev.at });
      sound.play(CHIME_CALL);
      toast(t("callToast", { table: tableName(ev.table), reason: reasonLabel(ev.reason) }), "is-call");
      renderCalls();
      break;
    case "waiter.done":
      S.calls.delete(ev.call_id);
      renderCalls();
      break;
    case "menu.dish":
      if (ev.sold_out) S.soldOut.add(ev.dish_id);
      else S.soldOut.delete(ev.dish_id);
      if (!S.dishes.has(ev.dish_id) && S.menuState === "ready") loadMenu(); // a dish added since
      renderSoldOut();
      break;
    case "floor.table":
      // A table opened or closed. Closing one also ends its waiter calls, and no waiter.done
      // says so: take a fresh snapshot (debounced: a busy floor sends these in bursts).
      clearTimeout(floorSync);
      floorSync = setTimeout(() => sock.send("sync").catch(() => {}), 500);
      break;
    default:
      // a newer server's event this screen does not know: ignore it
  }
}

function renderAll() {
  renderBoard();
  renderCalls();
  renderSoldOut();
}

const sock = new LiveSocket(CONFIG.socketPath);
sock.on("state", connection.render);
sock.on("snapshot", applySnapshot);
sock.on("event", applyEvent);
sock.on("closed", ({ code }) => {
  connection.render("closed");
  if (code === 4403) connection.signOut(); // signed out, deactivated or the password changed
});
sock.on("refused", ({ count }) => {
  if (count >= 2 && (count & (count - 1)) === 0) checkSignedIn(); // at 2, 4, 8… refusals
});

setInterval(tick, 1000);
setInterval(() => {
  if (sock.state === "online" && !document.hidden) sock.send("sync").catch(() => {});
}, SYNC_EVERY);

renderSound();
connection.render("connecting");
loadMenu();
sock.connect();
