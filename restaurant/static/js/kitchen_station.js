// One station's board (热菜 hot wok, 凉菜 cold dishes, 点心, 酒水): only the dishes made here,
// grouped by round as on the station's paper ticket, oldest first. A tap moves a dish on
// (queued → cooking → ready); a long press, a right click or ⋯ opens it (skip ahead, or take it
// back with a reason); Undo takes back the last move. Served and voided dishes leave the board
// for the shift's history. A diner's nudge (催菜) for a dish here flashes it and sounds; the
// station's printer shows in the header, loudly when it is offline or out of paper.
//
// The same kitchen socket and snapshot as the expo (kitchen.js), filtered to this station; the
// socket carries no seq, so a `sync` every minute heals whatever the channel layer dropped.

import { LiveSocket } from "./socket.js";
import { $, clock, customLabel, h, toast } from "./ui.js";
import { staffConnection } from "./staff_ui.js";
import {
  CONFIG, S, dishName, elapsed, errorText, icon, now, optionNames, stationName, t, tableName,
} from "./kitchen_state.js";
import { CHIME_CALL, CHIME_ORDER, acknowledge, renderAlarm, sound, startSound } from "./kitchen_sound.js";
import {
  LIVE, applyItemStatus, applyNudge, applyRoundItems, askItem, chip, initItems, isFlashing, lateBy, marks,
  mealLine, moveItem, pressable,
} from "./kitchen_items.js";
import { Printers } from "./kitchen_printers.js";
import { initStationHistory, stationHistoryChanged } from "./kitchen_station_history.js";

const STATION = CONFIG.station.station_id;
const SYNC_EVERY = 60_000;
const FRESH_FOR = 15_000;
const TAP_NEXT = { queued: "cooking", cooking: "ready" }; // a ready dish waits for the pass

const mine = (item) => item.station_id === STATION;
const live = (order) => order.items.filter((i) => mine(i) && LIVE.has(i.status));
const board = $("#station-board");
const cards = new Map(); // order_id -> {el, sig}

// --- Drawing -------------------------------------------------------------------------------------

function tile(order, item, at) {
  const options = optionNames(item);
  const busy = S.busyItems.has(item.item_id);
  const held = Boolean(order.awaiting_confirmation);
  const next = TAP_NEXT[item.status];
  const dish = dishName(item.dish_id, item.name);
  const late = lateBy(item, at) >= 0;
  return h("li", {
    class: `st-item is-${item.status}${late ? " is-late" : ""}${item.nudged_at ? " is-nudged" : ""}${isFlashing(item.item_id) ? " is-flashing" : ""}${busy ? " is-busy" : ""}`,
    "data-item": item.item_id, "data-status": item.status,
  },
    h("button", {
      type: "button", class: "st-tap", disabled: busy || held, "aria-busy": busy ? "true" : null,
      "aria-label": next ? t("tapTo", { dish: `${item.qty}× ${dish}`, status: t(`item_${next}`) }) : null,
    },
      h("span", { class: "tc-qty" }, `${item.qty}×`),
      h("span", { class: "tc-what" },
        h("span", { class: "tc-name" }, dish),
        options.length ? h("span", { class: "tc-options" }, options.join(" · ")) : null,
        item.set_name ? h("span", { class: "tc-options" }, dishName(item.set_dish_id, item.set_name)) : null, // 套餐: a part of it
        item.takeaway ? h("span", { class: "tc-togo" }, t("toGo")) : null, // 打包
        item.note ? h("span", { class: "tc-note" }, icon("note"), h("span", {}, item.note)) : null,
        h("span", { class: "st-marks" }, chip(item), marks(item, at),
          next && !held ? h("span", { class: "st-next" }, t("tapHint", { status: t(`item_${next}`) })) : null))),
    h("button", { type: "button", class: "icon-button st-more", "data-more": "", disabled: busy, title: t("itemMenu"),
      "aria-label": t("itemMenu") }, icon("more")));
}

function roundCard(order, items, at) {
  const created = Date.parse(order.created_at);
  const held = Boolean(order.awaiting_confirmation);
  const nudged = items.some((i) => isFlashing(i.item_id));
  return h("article", {
    class: `ticket-card station-card${held ? " is-held" : ""}${nudged ? " is-nudged" : ""}${items.some((i) => lateBy(i, at) >= 0) ? " is-late" : ""}`,
    "data-order": order.order_id, "data-created": created,
  },
    h("header", { class: "tc-head" },
      h("span", { class: "tc-table", "aria-hidden": "true" }, String(order.table.number)),
      h("div", { class: "tc-where" },
        h("strong", { class: `tc-label${customLabel(order.table) ? "" : " visually-hidden"}` }, tableName(order.table)),
        h("span", { class: `tc-round${customLabel(order.table) ? "" : " is-main"}` }, t("round", { n: order.round }))),
      h("time", { class: "tc-age", datetime: order.created_at, title: t("orderedAt", { time: clock(order.created_at) }) },
        elapsed(at - created))),
    held ? h("p", { class: "tc-held", role: "note" }, icon("hourglass"), t("held")) : null,
    mealLine(order),
    h("ul", { class: "st-items" }, items.map((item) => tile(order, item, at))),
    // The station's paper ticket of this round, again: where the station has a printer.
    printers.printers.has(STATION)
      ? h("footer", { class: "tc-minor st-foot" },
        h("button", { type: "button", class: "btn btn-quiet", "data-reprint": "" }, icon("print"), t("reprintRound")))
      : null);
}

const byAge = (a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.order_id - b.order_id;

function render() {
  const at = now();
  const orders = [...S.orders.values()].map((o) => [o, live(o)]).filter(([, items]) => items.length)
    .sort(([a], [b]) => byAge(a, b));
  const counts = { queued: 0, cooking: 0, ready: 0 };
  orders.forEach(([order, items], i) => {
    for (const item of items) counts[item.status] += item.qty;
    // Rebuilt only when something on it changed (a rebuilt card would restart its animations).
    const sig = JSON.stringify([order.awaiting_confirmation, order.meal, S.menuState, printers.printers.has(STATION), items.map((x) => [x.status, x.nudges,
      S.busyItems.has(x.item_id), isFlashing(x.item_id), lateBy(x, at) >= 0, Math.max(-1, Math.floor(lateBy(x, at) / 60_000))])]);
    let card = cards.get(order.order_id);
    if (!card || card.sig !== sig) {
      const el = roundCard(order, items, at);
      if (card) card.el.replaceWith(el);
      card = { el, sig };
      cards.set(order.order_id, card);
    }
    card.el.classList.toggle("is-fresh", (S.fresh.get(order.order_id) || 0) > at);
    card.el.classList.toggle("is-unseen", S.unseen.has(order.order_id));
    if (board.children[i] !== card.el) board.insertBefore(card.el, board.children[i] || null);
  });
  while (board.children.length > orders.length) board.lastElementChild.remove();
  for (const [id, card] of cards) if (!card.el.isConnected) cards.delete(id);
  for (const [status, n] of Object.entries(counts)) $(`[data-count="${status}"]`).textContent = String(n);
  board.setAttribute("aria-busy", "false");
  renderAlarm();
}

function tick() {
  const at = now();
  for (const { el } of cards.values()) $(".tc-age", el).textContent = elapsed(at - Number(el.dataset.created));
  for (const [id, until] of S.fresh) if (until <= at) S.fresh.delete(id);
  render(); // lateness and the nudge flash change with time; unchanged cards are kept
}

// --- Taps ------------------------------------------------------------------------------------------

pressable(board, (itemId) => {
  const order = [...S.orders.values()].find((o) => o.items.some((i) => i.item_id === itemId));
  const item = order?.items.find((i) => i.item_id === itemId);
  if (!item) return;
  acknowledge([order.order_id]);
  S.nudged.delete(itemId);
  if (TAP_NEXT[item.status]) moveItem(itemId, TAP_NEXT[item.status]);
  else askItem(itemId); // ready: it waits for the pass; the dialog can still serve or take it back
});

board.addEventListener("click", (e) => {
  const card = e.target.closest(".ticket-card");
  if (!card) return;
  const orderId = Number(card.dataset.order);
  if (S.unseen.has(orderId)) acknowledge([orderId]); // a tap on a ticket says it was seen
  if (e.target.closest("[data-reprint]")) printers.reprint(orderId, STATION);
});

// --- The server's snapshot and events ---------------------------------------------------------------

function hasMine(order) {
  return order.items.some((i) => mine(i) && LIVE.has(i.status));
}

function markFresh(orderId) {
  S.fresh.set(orderId, now() + FRESH_FOR);
  S.unseen.add(orderId);
}

function applySnapshot(snap) {
  const known = new Set(S.orders.keys());
  S.orders = new Map(snap.orders.map((o) => [o.order_id, o]));
  S.stations = new Map((snap.stations || []).map((s) => [s.station_id, s]));
  const arrived = snap.orders.filter((o) => !known.has(o.order_id) && o.status === "submitted" && hasMine(o));
  for (const o of arrived) markFresh(o.order_id);
  if (S.seen && arrived.length) sound.play(CHIME_ORDER);
  S.seen = true;
  printers.snapshot(snap);
  render();
  stationHistoryChanged();
}

function applyEvent(ev) {
  if (printers.event(ev)) return;
  switch (ev.type) {
    case "order.new": {
      if (S.orders.has(ev.order.order_id)) return;
      const order = { ...ev.order, table: ev.table };
      S.orders.set(order.order_id, order);
      if (!hasMine(order)) return;
      markFresh(order.order_id);
      sound.play(CHIME_ORDER);
      toast(t("newOrder", { table: tableName(ev.table), round: ev.order.round }), "is-new");
      break;
    }
    case "order.status": {
      let order = S.orders.get(ev.order_id);
      if (!order && ev.order) S.orders.set(ev.order_id, (order = { ...ev.order }));
      if (!order) return;
      order.status = ev.status;
      if ("awaiting_confirmation" in ev) order.awaiting_confirmation = ev.awaiting_confirmation;
      applyRoundItems(order, ev);
      if (ev.status === "served" || ev.status === "cancelled") S.orders.delete(ev.order_id);
      if (ev.items?.length || ev.recalled) stationHistoryChanged();
      break;
    }
    case "item.status":
      if (!applyItemStatus(ev)) {
        if (ev.station_id === STATION) sock.send("sync").catch(() => {}); // its round never came
        return;
      }
      if (ev.station_id === STATION) stationHistoryChanged();
      break;
    case "item.nudge": {
      if (ev.station_id !== STATION) return;
      const words = applyNudge(ev);
      sound.play(CHIME_CALL);
      toast(words, "is-nudge", { key: `nudge-${ev.item_id}`, ms: 8000 });
      break;
    }
    case "order.items": { // a dish taken back or comped in part: the round's dishes anew
      const known = S.orders.get(ev.order.order_id);
      if (!known) return;
      S.orders.set(ev.order.order_id, { ...known, ...ev.order, table: ev.table });
      stationHistoryChanged();
      break;
    }
    case "meal.changed":
      for (const order of S.orders.values()) {
        if (order.meal?.session_id === ev.session_id) order.meal = { session_id: ev.session_id, guests: ev.guests, note: ev.note };
      }
      break;
    case "floor.table":
      clearTimeout(floorSync); // a table closed: its rounds leave (no event says so per round)
      floorSync = setTimeout(() => sock.send("sync").catch(() => {}), 500);
      return;
    default:
      return; // the expo's business (calls, sold out), or a newer server's event
  }
  render();
}
let floorSync = null;

// --- Connection ----------------------------------------------------------------------------------------

const connection = staffConnection(t, CONFIG.loginUrl);
const sock = new LiveSocket(CONFIG.socketPath);
const send = (type, fields) => sock.send(type, fields);
const printers = new Printers({
  t, send, toast, errorText, icon, tableName, name: stationName, only: STATION,
  strip: $("#printer-strip"), banner: $("#printer-banner"), doubts: $("#print-doubts"),
  alert: () => sound.play(CHIME_CALL),
});
initItems({ send, render, moved: (status) => (status === "served" || status === "voided") && stationHistoryChanged() });
initStationHistory();

async function checkSignedIn() {
  try {
    const response = await fetch(CONFIG.probeUrl, { credentials: "same-origin", redirect: "manual", cache: "no-store" });
    if (response.type === "opaqueredirect" || [401, 403, 404].includes(response.status)) {
      connection.signOut();
      sock.close();
    }
  } catch {
    // unreachable: keep retrying, the pill says so
  }
}

sock.on("state", connection.render);
sock.on("snapshot", applySnapshot);
sock.on("event", applyEvent);
sock.on("closed", ({ code }) => {
  connection.render("closed");
  if (code === 4403) connection.signOut();
});
sock.on("refused", ({ count }) => {
  if (count >= 2 && (count & (count - 1)) === 0) checkSignedIn();
});

// The dish names in the page's language come from the menu (the wire has the Chinese ones).
async function loadMenu() {
  try {
    const response = await fetch(CONFIG.menuUrl, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) return;
    for (const category of (await response.json()).categories) {
      for (const dish of category.dishes) {
        S.dishes.set(dish.id, dish);
        for (const group of dish.option_groups) for (const o of group.options) S.options.set(o.id, o);
      }
    }
    S.menuState = "ready";
    render();
  } catch {
    // the names on the wire stay
  }
}

setInterval(tick, 1000);
setInterval(() => {
  if (sock.state === "online" && !document.hidden) sock.send("sync").catch(() => {});
}, SYNC_EVERY);

startSound();
connection.render("connecting");
loadMenu();
sock.connect();
