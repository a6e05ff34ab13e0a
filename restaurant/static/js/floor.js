// The staff floor: every table at a glance, live.
//
// The floor's truth is GET /staff/api/floor/. The kitchen socket only says *that* something
// changed (an order, a call, a table opened or closed): any such event refetches the floor,
// debounced, so a burst of events costs one request. Diners coming and going are not broadcast
// to staff, so the floor also refreshes every 20 s while it is on screen.
//
// The socket's own state shows here too: a diner's nudge (催菜) of a late dish beside the table's
// calls, until the dish is served or taken back (from the snapshot's rounds and the item events),
// and the kitchen printers with their doubtful tickets (kitchen_printers.js).

import { floorMoves } from "./floor_moves.js";
import { Printers } from "./kitchen_printers.js";
import { LiveSocket } from "./socket.js";
import {
  $, EN, csrfToken, h, icon as sprite, localName, moneyFormatter, openDialog, since as sinceText, strings,
  tableName as nameOf, toast, wireDialog,
} from "./ui.js";
import { serverClock, staffConnection } from "./staff_ui.js";

const CONFIG = JSON.parse($("#floor-config").textContent);
const t = strings("floor-strings");
const TABLES = CONFIG.tableUrl.replace(/999999\/open\/$/, ""); // "/r/<slug>/staff/tables/"
const CAN = CONFIG.can || {}; // what this person's role may do here: the rest is not offered
const REFRESH_ON = new Set(["floor.table", "order.new", "order.status", "order.items", "meal.changed", "waiter.call",
  "waiter.seen", "waiter.done"]);
const DEBOUNCE = 300;
const POLL_EVERY = 20_000;
const REASONS = ["service", "bill", "water"];

const now = serverClock(CONFIG.now);
const money = moneyFormatter(CONFIG.currency || "CNY");
const icon = (name) => sprite(`f-${name}`);
const tableName = (table) => nameOf(table, t);
const reasonLabel = (reason) => (REASONS.includes(reason) ? t(`reason_${reason}`) : reason);
const since = (iso) => sinceText(now() - Date.parse(iso), t);
const ago = (iso) => {
  const text = since(iso);
  return text === t("justNow") ? text : t("ago", { time: text });
};

// --- State and drawing ----------------------------------------------------------------------------

const S = {
  tables: JSON.parse($("#floor-data").textContent),
  busy: new Set(), // "<number>:<action>", "call:<id>" and "accept:<id>" with a request in flight
  orders: new Map(), // order_id -> open round (the socket's), for the nudged dishes
  stations: new Map(), // station_id -> station
  dismissed: new Set(), // "<item_id>:<nudges>": a nudge someone here acknowledged
};
const LIVE = new Set(["queued", "cooking", "ready"]);

// A diner's nudges (催菜) of dishes not yet served, by table number: the last nudge first.
function nudgesByTable() {
  const by = new Map();
  for (const order of S.orders.values()) {
    for (const item of order.items) {
      if (!item.nudged_at || !LIVE.has(item.status) || S.dismissed.has(`${item.item_id}:${item.nudges}`)) continue;
      const n = order.table.number;
      if (!by.has(n)) by.set(n, []);
      by.get(n).push({ order, item });
    }
  }
  return by;
}

function nudgeRows(nudges) {
  if (!nudges?.length) return null;
  return h("ul", { class: "tcard-calls tcard-nudges" }, nudges.map(({ order, item }) => {
    const late = item.nudge_after ? now() - Date.parse(item.nudge_after) : 0;
    return h("li", { class: "tcall is-nudge", "data-nudge": item.item_id },
      icon("fire"),
      h("span", { class: "tcall-what" },
        h("strong", { class: "tcall-reason" }, `${t("hurryLabel")} · ${item.qty}× ${item.name}`),
        h("span", { class: "tcall-since" }, [t("round", { n: order.round }), late > 0 ? lateText(late) : null,
          item.nudges > 1 ? t("nudgedMark", { n: item.nudges }) : null, item.station_id ? stationName(item.station_id) : null]
          .filter(Boolean).join(" · "))),
      h("button", { type: "button", class: "btn btn-quiet btn-seen", "data-dismiss": `${item.item_id}:${item.nudges}` }, t("seen")));
  }));
}

const lateText = (ms) => (ms < 60_000 ? t("lateNow") : t("lateBy", { time: sinceText(ms, t) }));
const stationName = (id) => {
  const station = S.stations.get(id);
  return station ? (EN && station.name_en) || station.name : "";
};

function stat(label, value) {
  return h("div", { class: "tcard-stat" }, h("dt", {}, label), h("dd", {}, value));
}

// Rounds held for staff (the first of a meal a diner's scan opened): the kitchen starts on one
// only once someone accepts it, here or on the kitchen display.
function heldRounds(table) {
  const held = table.held_orders || [];
  if (!held.length) return null;
  return h("ul", { class: "tcard-calls tcard-held", "aria-label": t("heldLabel") }, held.map((order) => h("li", {
    class: "tcall is-held", "data-held": order.order_id, title: t("heldLabel"),
  },
    h("span", { class: "tcall-what" },
      h("strong", { class: "tcall-reason" }, t("round", { n: order.round })),
      h("span", { class: "tcall-since" }, t("heldSince", { total: money(order.total), time: since(order.at) }))),
    h("button", { type: "button", class: "btn btn-done", "data-accept": order.order_id, disabled: S.busy.has(`accept:${order.order_id}`) },
      icon("check"), t("accept")))));
}

// What a meal needs looked at: still no round sent (for how long), dishes past their time, and
// the tables joined into it, each of which may be split back.
function mealNotes(table) {
  const waiting = !table.rounds && h("li", { class: "tnote is-waiting" }, t("waitingFirst", { time: since(table.opened_at) }));
  const late = table.late > 0 && h("li", { class: "tnote is-late" }, icon("fire"), t("lateDishes", { n: table.late }));
  const joined = (table.joined || []).map((join) => h("li", { class: "tnote is-joined" },
    t("joinedFrom", { table: tableName(join) }),
    CAN.table_move
      ? h("button", { type: "button", class: "btn btn-quiet", "data-split": join.transfer_id, disabled: S.busy.has(`split:${join.transfer_id}`) },
        t("splitBack"))
      : null));
  const notes = [waiting, late, ...joined].filter(Boolean);
  return notes.length ? h("ul", { class: "tcard-notes" }, notes) : null;
}

function card(table, nudges) {
  const open = table.status === "open";
  const n = table.number;
  const busy = (action) => S.busy.has(`${n}:${action}`);
  const alerting = table.calls.length || table.held_orders?.length;
  return h("article", {
    class: `table-card is-${table.status}${alerting ? " has-calls" : ""}${nudges?.length ? " has-nudges" : ""}`,
    "data-table": n,
  },
    h("header", { class: "tcard-head" },
      h("span", { class: "tcard-num" }, String(n)),
      h("div", { class: "tcard-name" },
        h("strong", {}, tableName(table)),
        h("span", { class: `state-pill is-${table.status}` }, t(open ? "open" : "free"))),
      CAN.table_qr
        ? h("a", { class: "icon-button tcard-qr", href: `${TABLES}${n}/qr.svg`, target: "_blank", rel: "noopener", title: t("qr") },
          icon("qr"), h("span", { class: "visually-hidden" }, t("qr")))
        : null),
    table.calls.length
      ? h("ul", { class: "tcard-calls" }, table.calls.map((call) => h("li", { class: "tcall", "data-call": call.call_id },
        icon("bell"),
        h("span", { class: "tcall-what" },
          h("strong", { class: "tcall-reason" }, reasonLabel(call.reason)),
          h("span", { class: "tcall-since" }, since(call.at)),
          call.seen_at ? h("span", { class: "tcall-state" }, t("callSeen")) : null),
        // Seen first (the table is told someone is coming), then Done once answered.
        call.seen_at ? null : h("button", { type: "button", class: "btn btn-quiet btn-seen", "data-seen": call.call_id,
          disabled: S.busy.has(`call:${call.call_id}`) }, t("seen")),
        h("button", { type: "button", class: "btn btn-done", "data-done": call.call_id, disabled: S.busy.has(`call:${call.call_id}`) },
          icon("check"), t("done")))))
      : null,
    nudgeRows(nudges),
    heldRounds(table),
    open ? mealNotes(table) : null,
    open
      ? h("dl", { class: "tcard-stats" },
        stat(t("runningTotal"), h("strong", { class: "tcard-total" }, money(table.total || 0))),
        table.guests ? stat(t("guests"), String(table.guests)) : null,
        stat(t("diners"), [String(table.diners), " ",
          h("small", { class: `online${table.diners_online ? " is-on" : ""}` }, t("dinersOnline", { n: table.diners_online }))]),
        stat(t("openOrders"), h("span", { class: table.open_orders ? "has-orders" : "" }, String(table.open_orders))),
        stat(t("lastOrder"), table.last_order_at ? ago(table.last_order_at) : t("noOrderYet")),
        stat(t("openedFor"), since(table.opened_at)))
      : h("p", { class: "tcard-free" }, t("noOneSeated")),
    h("footer", { class: "tcard-actions" },
      open
        ? h("button", { type: "button", class: "btn btn-close-table", "data-action": "close", disabled: busy("close") }, t("closeTable"))
        : h("button", { type: "button", class: `btn btn-open-table${CONFIG.staffOpensTables ? " is-needed" : ""}`, "data-action": "open", disabled: busy("open") }, t("openTable")),
      // The till: the table's check, to split and take payments.
      open && CAN.table_bill ? h("a", { class: "btn btn-check", href: `${TABLES}${n}/check/` }, t("checkLink")) : null,
      // Ordering for the table: also at a free one (the waiter's page opens its meal).
      CAN.order_for_table || (open && CAN.table_move)
        ? h("div", { class: "tcard-more" },
          CAN.order_for_table ? h("a", { class: "btn btn-order", href: `${TABLES}${n}/order/` }, t("orderFor")) : null,
          open && CAN.table_move
            ? [h("button", { type: "button", class: "btn btn-quiet", "data-action": "move", disabled: busy("move") }, t("moveTo")),
              h("button", { type: "button", class: "btn btn-quiet", "data-action": "join", disabled: busy("join") }, t("joinTo"))]
            : null)
        : null,
      CAN.table_rotate
        ? h("button", { type: "button", class: "btn btn-quiet", "data-action": "rotate", disabled: busy("rotate") }, t("rotate"))
        : null));
}

function summary() {
  const open = S.tables.filter((x) => x.status === "open");
  const sum = (key) => open.reduce((a, x) => a + x[key], 0);
  const calls = S.tables.reduce((a, x) => a + x.calls.length, 0);
  // "1 table", "2 tables": each label has a One form (the same words in Chinese).
  const item = (value, key, vars = {}, cls = "") => h("div", { class: `sum ${cls}` },
    h("strong", {}, String(value)), h("span", {}, t(value === 1 ? `${key}One` : key, vars)));
  return [
    item(open.length, "sumTables", { total: S.tables.length }),
    item(sum("diners"), "sumDiners"),
    item(sum("open_orders"), "sumOrders"),
    item(calls, "sumCalls", {}, calls ? "is-alert" : ""),
  ];
}

function render() {
  const nudges = nudgesByTable();
  $("#floor-grid").replaceChildren(...S.tables.map((table) => card(table, nudges.get(table.number))));
  $("#floor-summary").replaceChildren(...summary());
}

// --- Fetching the floor ---------------------------------------------------------------------------

let timer = null;
let inflight = false;
let again = false;

function refetchSoon(delay = DEBOUNCE) {
  clearTimeout(timer);
  timer = setTimeout(refetch, delay);
}

async function refetch() {
  if (inflight) {
    again = true; // one more when this one is back: the change may have come after it left
    return;
  }
  inflight = true;
  try {
    const response = await fetch(CONFIG.floorUrl, {
      credentials: "same-origin", cache: "no-store", redirect: "manual", headers: { Accept: "application/json" },
    });
    // Signed out (a redirect), or no longer a role here that may see the floor (403, or 404
    // once no role at all is left at this restaurant).
    if (response.type === "opaqueredirect" || [403, 404].includes(response.status)) return signedOutNow();
    if (response.ok) {
      S.tables = (await response.json()).tables;
      render();
    }
  } catch {
    // offline: the next event or poll tries again
  } finally {
    inflight = false;
    if (again) {
      again = false;
      refetchSoon(0);
    }
  }
}

setInterval(() => {
  if (!document.hidden) refetch();
}, POLL_EVERY);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refetchSoon(0);
});

// --- Table actions: POST with the CSRF token, JSON back, then refetch -------------------------------

async function post(number, action, form = null) {
  return postTo(`${TABLES}${number}/${action}/`, `${number}:${action}`, form);
}

async function postTo(url, key, form = null) {
  S.busy.add(key);
  render();
  try {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: form ? new URLSearchParams(form) : null,
    });
    if (response.type === "opaqueredirect") {
      signedOutNow();
      return null;
    }
    const body = response.headers.get("Content-Type")?.includes("json") ? await response.json() : null;
    return { status: response.status, ok: response.ok, body };
  } catch {
    toast(t("network"), "is-error");
    return null;
  } finally {
    S.busy.delete(key);
    refetchSoon(0);
  }
}

const find = (number) => S.tables.find((x) => x.number === number);

async function openTable(number) {
  const reply = await post(number, "open");
  if (reply?.ok) toast(t("openedToast", { table: tableName(find(number) || { number }) }), "is-ok");
  else if (reply) toast(t("failed", { status: reply.status }), "is-error");
}

// Accepting a held round: the same move as the kitchen's "accept".
async function acceptRound(orderId) {
  const reply = await postTo(CONFIG.acceptUrl.replace("999999", String(orderId)), `accept:${orderId}`);
  if (reply?.ok) toast(t("acceptedToast"), "is-ok");
  else if (reply?.status === 409) toast(t("acceptConflict"), "is-error"); // moved on meanwhile
  else if (reply) toast(t("failed", { status: reply.status }), "is-error");
}

// Closing: show the bill split per diner first, and what is in the cart but never sent; close
// only when staff confirm it is settled (and, where the cart holds something, that it goes).
const closeDialog = $("#close-dialog");
let closing = null;
let discarding = null; // the cart's `cart_seq` as the dialog shows it, when it holds unsent items

async function askClose(number) {
  const table = find(number);
  closing = number;
  $("#close-title").textContent = t("closeTitle", { table: tableName(table) });
  const body = $("#close-body");
  const confirm = $("#close-confirm");
  confirm.disabled = true;
  confirm.hidden = false;
  confirm.textContent = t("closeTable");
  $("#close-till").hidden = true;
  discarding = null;
  body.replaceChildren(h("p", { class: "muted" }, t("billLoading")));
  openDialog(closeDialog);
  try {
    const response = await fetch(`${TABLES}${number}/bill/`, { credentials: "same-origin", cache: "no-store" });
    if (closing !== number) return;
    if (response.status === 404) {
      body.replaceChildren(h("p", { class: "alert" }, t("billNotOpen")));
      refetchSoon(0);
      return;
    }
    if (!response.ok) throw new Error(String(response.status));
    const bill = await response.json();
    body.replaceChildren(...billView(bill));
    if (bill.unsent?.count) {
      discarding = bill.unsent.cart_seq;
      confirm.textContent = t("discardAndClose");
    }
    confirm.disabled = false;
    confirm.focus();
  } catch {
    if (closing === number) body.replaceChildren(h("p", { class: "alert" }, t("billError")));
  }
}

function unsentView(unsent, money) {
  return [
    h("p", { class: "alert" }, t("unsentAlert", { n: unsent.count, total: money(unsent.total) })),
    h("ul", { class: "bill-rounds bill-unsent" }, unsent.items.map((item) => h("li", {},
      h("span", {}, `${item.qty} × ${localName(item)} · ${item.added_by_name}`),
      h("span", {}, money(item.price * item.qty))))),
  ];
}

function billView(bill) {
  const money = moneyFormatter(bill.currency || "CNY");
  const unsent = bill.unsent?.count ? unsentView(bill.unsent, money) : [];
  if (!bill.orders.length) return [...unsent, h("p", { class: "empty" }, t(unsent.length ? "noRoundSent" : "billEmpty"))];
  const unserved = bill.orders.filter((o) => o.status !== "served");
  return [
    ...unsent,
    unserved.length
      ? h("p", { class: "alert" }, t("unserved", { rounds: unserved.map((o) => t("round", { n: o.round })).join(", ") }))
      : null,
    h("h3", { class: "bill-head" }, t("billPerDiner")),
    h("ul", { class: "bill-diners" }, bill.per_diner.filter((d) => d.total > 0).map((d) => h("li", {},
      h("span", { class: "dot", style: `--c:${/^#[0-9a-f]{6}$/i.test(d.color || "") ? d.color : "#999"}` }),
      h("span", { class: "bill-name" }, d.name),
      h("strong", {}, money(d.total))))),
    h("h3", { class: "bill-head" }, t("billRounds")),
    h("ul", { class: "bill-rounds" }, bill.orders.map((o) => h("li", {},
      h("span", {}, `${t("round", { n: o.round })} · ${t(`status_${o.status}`)}`),
      h("span", {}, money(o.total))))),
    h("div", { class: "total-row big" }, h("span", {}, t("billTotal")), h("strong", {}, money(bill.total))),
  ].filter(Boolean);
}

$("#close-confirm").addEventListener("click", async () => {
  const number = closing;
  if (number == null) return;
  const form = discarding == null ? null : { discard_cart: "1", cart_seq: String(discarding) };
  closeDialog.close();
  const name = tableName(find(number) || { number });
  const reply = await post(number, "close", form);
  if (reply?.ok) toast(t("closedToast", { table: name }), "is-ok");
  else if (reply?.body?.reason === "unpaid") owed(number, reply.body);
  else if (reply?.body?.reason === "unsent_cart") {
    toast(t("cartChangedToast", { table: name }), "is-error"); // diners added since: look again
    askClose(number);
  } else if (reply?.status === 409) toast(t("notOpenToast", { table: name }), "is-error");
  else if (reply) toast(t("failed", { status: reply.status }), "is-error");
});
closeDialog.addEventListener("close", () => (closing = null));

// Money is still owed (or was paid over): the close was refused. Say how much, in the dialog,
// and offer the till, where it is settled (a manager may close unpaid there, saying why).
function owed(number, body) {
  const table = find(number) || { number };
  const balance = Number(body.balance) || 0;
  closing = null;
  $("#close-title").textContent = t("owedTitle", { table: tableName(table) });
  $("#close-body").replaceChildren(h("p", { class: "alert" },
    t(balance < 0 ? "paidOverAlert" : "owedAlert", { amount: money(Math.abs(balance)) })));
  $("#close-confirm").hidden = true;
  const till = $("#close-till");
  till.href = body.check_url || `${TABLES}${number}/check/`;
  till.hidden = false;
  openDialog(closeDialog);
  till.focus();
}

// Rotating: a confirm that says what it breaks, then the new code to print.
const rotateDialog = $("#rotate-dialog");
let rotating = null;

function askRotate(number) {
  rotating = number;
  const name = tableName(find(number) || { number });
  $("#rotate-title").textContent = t("rotateTitle", { table: name });
  for (const [id, show] of [["rotate-body", true], ["rotate-actions", true], ["rotate-done", false], ["rotate-finish", false]]) {
    $(`#${id}`).hidden = !show;
  }
  $("#rotate-confirm").disabled = false;
  openDialog(rotateDialog);
}

$("#rotate-confirm").addEventListener("click", async () => {
  const number = rotating;
  if (number == null) return;
  $("#rotate-confirm").disabled = true;
  const reply = await post(number, "rotate");
  if (!reply?.ok) {
    $("#rotate-confirm").disabled = false;
    if (reply) toast(t("failed", { status: reply.status }), "is-error");
    return;
  }
  const svg = `${TABLES}${number}/qr.svg?v=${Date.now()}`; // the old image may be cached
  $("#rotate-title").textContent = t("rotatedTitle", { table: tableName(find(number) || { number }) });
  $("#rotate-qr").src = svg;
  $("#rotate-svg").href = svg;
  for (const [id, show] of [["rotate-body", false], ["rotate-actions", false], ["rotate-done", true], ["rotate-finish", true]]) {
    $(`#${id}`).hidden = !show;
  }
});
rotateDialog.addEventListener("close", () => (rotating = null));

wireDialog(closeDialog);
wireDialog(rotateDialog);

// Waiter calls answered from the floor go through the kitchen socket, like the kitchen's own.
// `waiter.seen` tells the table someone is coming; `waiter.done` answers the call.
function callOp(type, callId) {
  const key = `call:${callId}`;
  S.busy.add(key);
  render();
  sock.send(type, { call_id: callId })
    .then(() => {
      for (const table of S.tables) {
        if (type === "waiter.done") table.calls = table.calls.filter((c) => c.call_id !== callId);
        else for (const c of table.calls) if (c.call_id === callId) c.seen_at ||= new Date(now()).toISOString();
      }
    })
    .catch((err) => {
      const key2 = `err_${err.code}`;
      toast(t.has(key2) ? t(key2) : t("err_other", { message: err.message || err.code }), "is-error");
    })
    .finally(() => {
      S.busy.delete(key);
      render();
      refetchSoon();
    });
}

// The server-rendered cards hold forms (for browsers without scripts); here the script takes over.
$("#floor-grid").addEventListener("click", (e) => {
  const button = e.target.closest("button");
  if (!button || button.disabled) return;
  const number = Number(button.closest("[data-table]")?.dataset.table);
  if (button.dataset.seen) return callOp("waiter.seen", Number(button.dataset.seen));
  if (button.dataset.done) return callOp("waiter.done", Number(button.dataset.done));
  if (button.dataset.accept) return acceptRound(Number(button.dataset.accept));
  if (button.dataset.split) {
    const join = find(number)?.joined?.find((j) => j.transfer_id === Number(button.dataset.split));
    return join && moves.split(number, join);
  }
  if (button.dataset.dismiss) {
    S.dismissed.add(button.dataset.dismiss); // until the table hurries that dish again
    return render();
  }
  const action = button.dataset.action;
  if (!action) return;
  e.preventDefault();
  if (action === "open") openTable(number);
  else if (action === "close") askClose(number);
  else if (action === "rotate") askRotate(number);
  else if (action === "move" || action === "join") moves.ask(number, action);
});

// --- Connection ------------------------------------------------------------------------------------

const connection = staffConnection(t, CONFIG.loginUrl);

function signedOutNow() {
  if (connection.signOut()) sock.close();
}

const sock = new LiveSocket(CONFIG.socketPath);
const moves = floorMoves({ t, sock, tables: () => S.tables, tableName, busy: S.busy, done: refetchSoon });
const printers = new Printers({
  t, send: (type, fields) => sock.send(type, fields), toast, icon, tableName, name: stationName, only: null,
  errorText: (err) => (t.has(`err_${err.code}`) ? t(`err_${err.code}`) : t("err_other", { message: err.message || err.code })),
  strip: $("#floor-printers"), banner: $("#printer-banner"), doubts: $("#print-doubts"),
});

function applyFloorSnapshot(snap) {
  S.orders = new Map(snap.orders.map((o) => [o.order_id, o]));
  S.stations = new Map((snap.stations || []).map((s) => [s.station_id, s]));
  printers.snapshot(snap);
  refetchSoon(0); // a (re)connection: whatever happened meanwhile, fetch it
}

function applyFloorEvent(ev) {
  if (printers.event(ev)) return;
  if (ev.type === "order.new" || (ev.type === "order.items" && S.orders.has(ev.order.order_id))) {
    S.orders.set(ev.order.order_id, { ...ev.order, table: ev.table });
  }
  else if (ev.type === "order.status") {
    const order = S.orders.get(ev.order_id);
    for (const c of ev.items || []) Object.assign(order?.items.find((i) => i.item_id === c.item_id) || {}, c);
    if (ev.status === "served" || ev.status === "cancelled") S.orders.delete(ev.order_id);
  } else if (ev.type === "item.status") {
    const item = S.orders.get(ev.order_id)?.items.find((i) => i.item_id === ev.item_id);
    if (item) Object.assign(item, { status: ev.status, void_reason: ev.void_reason });
    render();
  } else if (ev.type === "item.nudge") {
    const item = S.orders.get(ev.order_id)?.items.find((i) => i.item_id === ev.item_id);
    if (item) Object.assign(item, { nudged_at: ev.at, nudges: ev.nudges });
    else sock.send("sync").catch(() => {}); // a round this page never had
    toast(t("nudgeToast", { table: tableName(ev.table), qty: ev.qty, dish: ev.name,
      late: lateText(Math.max(0, ev.late_seconds) * 1000) }), "is-nudge", { key: `nudge-${ev.item_id}`, ms: 8000 });
    render();
  }
  if (REFRESH_ON.has(ev.type)) refetchSoon();
}

sock.on("state", connection.render);
sock.on("snapshot", applyFloorSnapshot);
sock.on("event", applyFloorEvent);
sock.on("closed", ({ code }) => {
  connection.render("closed");
  if (code === 4403) connection.signOut(); // signed out, deactivated or the password changed
});
sock.on("refused", ({ count }) => {
  if (count >= 2 && (count & (count - 1)) === 0) refetch(); // signed out? the fetch will tell
});

setInterval(() => {
  // minute-grained times: redraw them without a request
  if (!document.hidden && !document.querySelector("dialog[open]")) render();
}, 30_000);

render();
connection.render("connecting");
sock.connect();
