// The kitchen display, the expo (the pass): open rounds in columns by status, each dish with its
// state (tap: ready, then served), waiter calls, sold-out switches, tickets, the printers.
//
// The server's snapshot is the board; events move it on between snapshots. The kitchen socket
// carries no seq, so nothing here can see a lost event: a `sync` every minute (one snapshot,
// cheap) heals whatever the channel layer dropped, and every reconnect starts from a snapshot.
// Split by concern: kitchen_state.js (state, helpers), kitchen_board.js (the tickets),
// kitchen_sound.js (sound, its prompt, the new-order alarm), kitchen_history.js (served today),
// kitchen_items.js (each dish: moves, nudges, undo), kitchen_printers.js (printers, doubtful tickets).

import { LiveSocket } from "./socket.js";
import {
  $, EN, clock, closeDialog, h, localName, openDialog, toast, wireDialog,
} from "./ui.js";
import { staffConnection } from "./staff_ui.js";
import { EXPO_NEXT, board, cards, renderBoard, tick } from "./kitchen_board.js";
import { historyChanged, initHistory } from "./kitchen_history.js";
import {
  CALLS_HERE, COLUMNS, CONFIG, S, dishName, errorText, icon, now, optionNames, since, stationName, t, tableName,
} from "./kitchen_state.js";
import {
  applyItemStatus, applyNudge, applyRoundItems, findItem, initItems, moveItem, offerUndo, pressable,
} from "./kitchen_items.js";
import { Printers } from "./kitchen_printers.js";
import {
  CHIME_CALL, CHIME_ORDER, acknowledge, renderAlarm, renderSound, sound, startSound,
} from "./kitchen_sound.js";

const FRESH_FOR = 15_000; // a new order glows this long
const SYNC_EVERY = 60_000;

function markFresh(orderId) {
  S.fresh.set(orderId, now() + FRESH_FOR);
  S.unseen.add(orderId);
}

function renderOrders() {
  renderBoard();
  renderAlarm();
}

// --- Status moves, undo, cancel, print --------------------------------------------------------------

function setStatus(orderId, status, reason = "") {
  const order = S.orders.get(orderId);
  if (!order || S.busy.has(orderId)) return;
  S.busy.add(orderId);
  renderOrders();
  sock.send("order.set_status", { order_id: orderId, status, ...(reason ? { reason } : {}) })
    .then(() => {
      // The ack means it is committed: show it now, whether or not the event comes first.
      applyStatus(orderId, status);
      offerUndo(t("movedTo", { table: tableName(order.table), round: order.round, status: t(`status_${status}`) }),
        () => recall(orderId));
      if (status === "served" || status === "cancelled") historyChanged();
    })
    .catch((err) => {
      toast(errorText(err), "is-error");
      if (err.code === "conflict" || err.code === "not_found") sock.send("sync").catch(() => {});
    })
    .finally(() => {
      S.busy.delete(orderId);
      renderOrders();
    });
}

// `ev`: the order.status event, if that is what says so: a recall brings the whole order (it may
// have left the board), and the event says whether the order is (again) held for confirmation.
function applyStatus(orderId, status, ev = {}) {
  const whole = ev.order;
  if (whole && !S.orders.has(orderId) && COLUMNS.includes(status)) S.orders.set(orderId, whole);
  const order = S.orders.get(orderId);
  if (!order) return false;
  if ("awaiting_confirmation" in ev) order.awaiting_confirmation = ev.awaiting_confirmation;
  else if (whole) order.awaiting_confirmation = whole.awaiting_confirmation;
  else if (status !== "submitted") order.awaiting_confirmation = false;
  if (COLUMNS.includes(status)) order.status = status;
  else S.orders.delete(orderId); // served and cancelled leave the board
  S.fresh.delete(orderId);
  if (status !== "submitted") S.unseen.delete(orderId);
  return true;
}

function recall(orderId) {
  return sock.send("order.recall", { order_id: orderId })
    .then(() => {
      toast(t("recalled"));
      sock.send("sync").catch(() => {}); // the event brings it back too; this makes sure
    })
    .catch((err) => {
      toast(errorText(err), "is-error");
    });
}

const cancelDialog = $("#cancel-dialog");
let cancelling = null;

function askCancel(orderId) {
  const order = S.orders.get(orderId);
  if (!order) return;
  cancelling = orderId;
  $("#cancel-title").textContent = t("cancelTitle", { round: order.round, table: tableName(order.table) });
  cancelDialog.returnValue = "";
  $("#cancel-reason").value = "";
  openDialog(cancelDialog);
}
cancelDialog.addEventListener("close", () => {
  if (cancelDialog.returnValue === "cancel" && cancelling != null) {
    setStatus(cancelling, "cancelled", $("#cancel-reason").value.trim());
  }
  cancelling = null;
});
wireDialog(cancelDialog); // a tap on the backdrop keeps the order
// Enter in the reason confirms the cancel (the form's first button, which Enter would press, keeps).
$("#cancel-reason").addEventListener("keydown", (e) => {
  if (e.key !== "Enter") return;
  e.preventDefault();
  closeDialog(cancelDialog, "cancel");
});

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

// A dish tapped at the pass: ready, then served (a long press opens it: kitchen_items.js).
pressable(board, (itemId) => {
  const [order, item] = findItem(itemId);
  if (!item || !EXPO_NEXT[item.status]) return;
  if (S.unseen.has(order.order_id)) acknowledge([order.order_id]);
  S.nudged.delete(itemId);
  moveItem(itemId, EXPO_NEXT[item.status]);
});

board.addEventListener("click", (e) => {
  const card = e.target.closest(".ticket-card");
  if (!card) return;
  const orderId = Number(card.dataset.order);
  if (S.unseen.has(orderId)) acknowledge([orderId]); // a tap on a ticket says it was seen
  const button = e.target.closest("button");
  if (!button || button.disabled) return;
  if (button.dataset.to) setStatus(orderId, button.dataset.to);
  else if ("cancel" in button.dataset) askCancel(orderId);
  else if ("print" in button.dataset) printTicket(orderId);
});

// --- Waiter calls (only where the restaurant shows them here) ----------------------------------

const reasonLabel = (reason) => (["service", "bill", "water"].includes(reason) ? t(`reason_${reason}`) : reason);

function renderCalls() {
  if (!CALLS_HERE) return;
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

function tickCalls() {
  const at = now();
  for (const li of document.querySelectorAll("#calls-list [data-at]")) {
    $(".call-since", li).textContent = since(at - Number(li.dataset.at));
    li.classList.toggle("is-long", at - Number(li.dataset.at) > 3 * 60_000);
  }
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
  const left = S.stock.get(dish.id);
  // A set meal (its options name dishes) is counted through its dishes, never itself.
  const isSet = dish.option_groups.some((g) => g.options.some((o) => o.dish_id));
  return h("li", { class: "dish-row" },
    // 限量: how many portions are left today; a tap sets the count.
    isSet ? null : h("button", { type: "button", class: `ds-count${left == null ? "" : " is-counted"}`,
      "data-count": dish.id, disabled: busy, "aria-label": t("countOf", { dish: localName(dish) }) },
      left == null ? t("count") : t("countLeft", { n: left })),
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

// --- Counted dishes (限量) ---------------------------------------------------------------------------
const stockDialog = $("#stock-dialog");
let counting = null;

function askCount(dishId) {
  const dish = S.dishes.get(dishId);
  if (!dish) return;
  counting = dishId;
  const left = S.stock.get(dishId);
  $("#stock-title").textContent = t("countOf", { dish: localName(dish) });
  $("#stock-input").value = left == null ? "" : String(left);
  $("#stock-daily").checked = false;
  stockDialog.returnValue = "";
  openDialog(stockDialog);
  $("#stock-input").select();
}
stockDialog.addEventListener("close", () => {
  const dishId = counting;
  counting = null;
  if (dishId == null || !["save", "clear"].includes(stockDialog.returnValue)) return;
  const raw = $("#stock-input").value.trim();
  const stock = stockDialog.returnValue === "clear" || raw === "" ? null : Number(raw);
  if (stock != null && !(Number.isInteger(stock) && stock >= 0 && stock <= 9999)) {
    toast(t("countInvalid"), "is-error");
    return;
  }
  const message = { dish_id: dishId, stock };
  // "Every day": the count each business day starts with; clearing the count clears that too.
  if ($("#stock-daily").checked || stock == null) message.par = $("#stock-daily").checked ? stock : null;
  const dish = S.dishes.get(dishId);
  S.busyDishes.add(dishId);
  renderSoldOut();
  sock.send("dish.set_stock", message)
    .then(() => {
      if (stock == null) S.stock.delete(dishId);
      else S.stock.set(dishId, stock);
      toast(stock == null ? t("countCleared", { dish: localName(dish) }) : t("countSet", { dish: localName(dish), n: stock }));
    })
    .catch((err) => toast(errorText(err), "is-error"))
    .finally(() => {
      S.busyDishes.delete(dishId);
      renderSoldOut();
    });
});
wireDialog(stockDialog);

$("#dish-list").addEventListener("click", (e) => {
  const count = e.target.closest("button[data-count]");
  if (count && !count.disabled) return askCount(Number(count.dataset.count));
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
    // Signed out (a redirect), or no longer a role here that may see the kitchen (403; 404
    // once no role at all is left at this restaurant).
    if (response.type === "opaqueredirect" || [401, 403, 404].includes(response.status)) {
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
  S.calls = new Map(CALLS_HERE ? snap.calls.map((c) => [c.call_id, c]) : []);
  S.soldOut = new Set(snap.dishes_sold_out);
  S.stock = new Map(Object.entries(snap.dish_stock || {}).map(([id, n]) => [Number(id), n]));
  showPause(snap.ordering, false);
  S.stations = new Map((snap.stations || []).map((s) => [s.station_id, s]));
  // Someone kept to one station works on its board (the page's server sends them there too;
  // this catches a station given while the page is open).
  const own = S.stations.get(snap.my_station_id);
  if (own) location.replace(CONFIG.stationUrl.replace(/\/0\/$/, `/${encodeURIComponent(own.code)}/`));
  printers.snapshot(snap);
  // New orders are unacknowledged: on the first snapshot (a reload must not hide what waits),
  // and later ones that came while this screen was away (or whose event was lost).
  const arrived = snap.orders.filter((o) => !knownOrders.has(o.order_id) && o.status === "submitted");
  for (const o of arrived) markFresh(o.order_id);
  if (S.seen) {
    if (arrived.length) sound.play(CHIME_ORDER);
    else if (snap.calls.some((c) => !knownCalls.has(c.call_id)) && CALLS_HERE) sound.play(CHIME_CALL);
  }
  S.seen = true;
  if (S.menuState === "ready" && snap.dishes_sold_out.some((id) => !S.dishes.has(id))) loadMenu();
  renderAll();
}

let floorSync = null;

function applyEvent(ev) {
  if (printers.event(ev)) return;
  switch (ev.type) {
    case "order.new": {
      if (S.orders.has(ev.order.order_id)) return;
      S.orders.set(ev.order.order_id, { ...ev.order, table: ev.table });
      markFresh(ev.order.order_id);
      sound.play(CHIME_ORDER);
      toast(t("newOrder", { table: tableName(ev.table), round: ev.order.round }), "is-new");
      if (ev.order.items.some((i) => !S.dishes.has(i.dish_id)) && S.menuState === "ready") loadMenu();
      renderOrders();
      // Oldest first keeps the queue fair, so a new order lands at the end: bring it into view.
      cards.get(ev.order.order_id)?.el.scrollIntoView({ block: "nearest", behavior: "smooth" });
      break;
    }
    case "order.status":
      applyRoundItems(S.orders.get(ev.order_id), ev); // the dishes a whole-round move moved
      // An order this screen never saw: its order.new was lost. Ask for the whole board.
      if (!applyStatus(ev.order_id, ev.status, ev) && COLUMNS.includes(ev.status)) sock.send("sync").catch(() => {});
      if (ev.recalled || ev.status === "served" || ev.status === "cancelled") historyChanged();
      renderOrders();
      break;
    case "item.status": {
      const order = applyItemStatus(ev);
      if (!order) {
        if (["queued", "cooking", "ready"].includes(ev.status)) sock.send("sync").catch(() => {}); // its round never came
        return;
      }
      applyStatus(order.order_id, ev.order_status || order.status, { awaiting_confirmation: order.awaiting_confirmation });
      if (ev.recalled || ev.order_status === "served" || ev.order_status === "cancelled") historyChanged();
      renderOrders();
      break;
    }
    case "item.nudge":
      // Where the restaurant has no stations, this is the one board: the nudge must show here.
      toast(applyNudge(ev), "is-nudge", { key: `nudge-${ev.item_id}`, ms: 8000 });
      sound.play(CHIME_CALL);
      renderOrders();
      break;
    case "waiter.call":
      if (!CALLS_HERE || S.calls.has(ev.call_id)) return;
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
      if (ev.stock == null) S.stock.delete(ev.dish_id);
      else S.stock.set(ev.dish_id, ev.stock);
      if (!S.dishes.has(ev.dish_id) && S.menuState === "ready") loadMenu(); // a dish added since
      renderSoldOut();
      break;
    case "order.items": // a dish taken back or comped in part: the round's dishes anew
      if (!S.orders.has(ev.order.order_id)) return;
      S.orders.set(ev.order.order_id, { ...S.orders.get(ev.order.order_id), ...ev.order, table: ev.table });
      renderOrders();
      break;
    case "meal.changed": // the meal's guests or its note: on each of its rounds
      for (const order of S.orders.values()) {
        if (order.meal?.session_id === ev.session_id) order.meal = { session_id: ev.session_id, guests: ev.guests, note: ev.note };
      }
      renderOrders();
      break;
    case "ordering":
      showPause(ev, true);
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

// The pause switch (a swamped kitchen): phones say ordering is paused and cannot send a round;
// staff ordering for a table still can. Shown to roles that may use it.
const pauseButton = $("#pause-button");
let paused = null;
function showPause(ordering, announce) {
  if (!pauseButton || !ordering) return;
  const was = paused;
  paused = ordering.reason === "paused";
  pauseButton.hidden = false;
  pauseButton.setAttribute("aria-pressed", String(paused));
  pauseButton.classList.toggle("is-paused", paused);
  $("#pause-label").textContent = t(paused ? "resumeOrders" : "pauseOrders");
  if (announce && was !== null && was !== paused) toast(t(paused ? "pausedToast" : "resumedToast"), paused ? "is-call" : "is-ok");
}
pauseButton?.addEventListener("click", () => {
  pauseButton.disabled = true;
  sock.send("ordering.pause", { paused: !paused })
    .catch((err) => toast(errorText(err), "is-error"))
    .finally(() => { pauseButton.disabled = false; });
});

function renderAll() {
  renderOrders();
  renderCalls();
  renderSoldOut();
}

const sock = new LiveSocket(CONFIG.socketPath);
const send = (type, fields) => sock.send(type, fields);
const printers = new Printers({
  t, send, toast, errorText, icon, tableName, name: stationName, only: null, compact: true,
  strip: $("#printer-strip"), banner: $("#printer-banner"), doubts: $("#print-doubts"),
  alert: () => sound.play(CHIME_CALL),
});
initItems({ send, render: renderOrders, moved: (status) => (status === "served" || status === "voided") && historyChanged() });
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

setInterval(() => {
  tick();
  tickCalls();
}, 1000);
setInterval(() => {
  if (sock.state === "online" && !document.hidden) sock.send("sync").catch(() => {});
}, SYNC_EVERY);

initHistory(recall);
startSound();
renderSound();
connection.render("connecting");
loadMenu();
sock.connect();
