// The till: one table's check at the counter, live.
//
// The check's truth is GET staff/api/tables/<n>/check/. The page listens to the restaurant's
// staff socket as the floor does: a `floor.table` event for this table (a payment, a discount,
// a diner claiming a dish on their phone, a round sent...) or a kitchen event about its
// dishes means fetch the check again (debounced: a burst costs one request), and so does every
// (re)connection. After each of its own actions it fetches at once. While it is on screen it
// also refreshes every 30 s, in case an event was lost.

import { LiveSocket, newOpId } from "./socket.js";
import { staffConnection } from "./staff_ui.js";
import { tillApi } from "./till_api.js";
import { tillEdit } from "./till_edit.js";
import { moneyTools } from "./till_money.js";
import { tillPay } from "./till_pay.js";
import { tillRender } from "./till_render.js";
import { $, strings, tableName, toast } from "./ui.js";

const CONFIG = JSON.parse($("#till-config").textContent);
const t = strings("till-strings");
const m = moneyTools(CONFIG.currency || "CNY");
const CAN = CONFIG.can;
CONFIG.tableName = tableName(CONFIG.table, t);
const CHECK_EVENTS = new Set(["order.new", "order.items", "order.status", "item.status", "meal.changed"]);
const DEBOUNCE = 250;
const POLL_EVERY = 30_000;

const initial = JSON.parse($("#till-check").textContent);
const S = {
  check: initial,
  mode: "diners", // diners | equal | amount
  equal: Math.min(Math.max(initial?.meal?.guests || initial?.diners?.length || 2, 2), CONFIG.equalMax),
  equalMax: CONFIG.equalMax,
  busy: new Set(),
  loading: false,
  closedSession: null, // the meal this page closed: its receipt may still be printed
  printOp: null, // a print press whose answer never came: a retry is the same press
};

const view = tillRender({ t, m, can: CAN });
const connection = staffConnection(t, CONFIG.loginUrl);
let sock = null;

function signedOutNow() {
  if (connection.signOut()) sock?.close();
}

const api = tillApi({ signedOut: signedOutNow });

function render() {
  // A redraw must not take away what the cashier is typing.
  const typing = $("#till-custom-amount");
  const kept = typing ? { value: typing.value, focused: document.activeElement === typing } : null;
  view.render(S);
  const again = $("#till-custom-amount");
  if (kept && again) {
    again.value = kept.value;
    if (kept.focused) again.focus();
  }
}

// Words for a refusal: the server's detail or code where the page has words for it.
function errorText(reply) {
  for (const key of [reply.detail && `err_${reply.detail}`, `err_${reply.code}`]) {
    if (key && t.has(key)) return t(key, { amount: m.fmt(reply.due ?? reply.balance ?? 0) });
  }
  return t("failed", { message: reply.message || reply.code || reply.status });
}

// --- Fetching the check -------------------------------------------------------------------------

let timer = null;
let inflight = false;
let again = false;

function refetchSoon(delay = DEBOUNCE) {
  clearTimeout(timer);
  timer = setTimeout(load, delay);
}

async function load() {
  if (inflight) {
    again = true; // the change may have come after this request left
    return;
  }
  inflight = true;
  const url = S.mode === "equal" ? `${CONFIG.checkUrl}?equal=${S.equal}` : CONFIG.checkUrl;
  const reply = await api.get(url);
  inflight = false;
  if (reply.ok) {
    S.check = reply;
    $("#till-error").hidden = true;
  } else if (reply.code === "not_found" && reply.status === 404) {
    S.check = null; // no open meal here (closed elsewhere, or never opened)
  } else if (reply.code === "forbidden") {
    signedOutNow();
  } else if (reply.code !== "signed_out") {
    $("#till-error").hidden = false;
  }
  S.loading = false;
  render();
  if (again) {
    again = false;
    refetchSoon(0);
  }
}

setInterval(() => {
  if (!document.hidden && !document.querySelector("dialog[open]")) load();
}, POLL_EVERY);
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refetchSoon(0);
});

// --- Actions ------------------------------------------------------------------------------------

const done = () => refetchSoon(0);
const check = () => S.check;
const pay = tillPay({ t, m, api, config: CONFIG, view, check, done, errorText });
const edit = tillEdit({
  t, m, api, config: CONFIG, view, check, done, errorText,
  closed: (sessionId) => {
    S.check = null;
    S.closedSession = sessionId;
    render();
    done();
  },
});

async function print(sessionId = null) {
  if (S.busy.has("print")) return;
  S.busy.add("print");
  render();
  S.printOp ||= newOpId();
  const fields = { op_id: S.printOp };
  if (sessionId) fields.session_id = sessionId;
  const reply = await api.post(CONFIG.printUrl, fields);
  S.busy.delete("print");
  if (reply.code !== "network") S.printOp = null;
  if (reply.ok) toast(t("printQueued"), "is-ok");
  else toast(errorText(reply), "is-error");
  render();
}

$("#main").addEventListener("click", (e) => {
  const button = e.target.closest("[data-act]");
  if (!button || button.disabled) return;
  const act = button.dataset.act;
  if (act === "pay") pay.open({ target: button.dataset.target, due: Number(button.dataset.due) });
  else if (act === "mode") {
    S.mode = button.dataset.mode;
    render();
    if (S.mode === "equal") load();
  } else if (act === "equal") {
    S.equal = Math.min(Math.max(S.equal + Number(button.dataset.step), 2), S.equalMax);
    if (S.check) S.check.equal = null; // the parts of the old N are no answer
    render();
    load();
  } else if (act === "line") edit.openLine(Number(button.dataset.item));
  else if (act === "discount") edit.openDiscount();
  else if (act === "discount-remove") edit.removeDiscount(Number(button.dataset.discount), button);
  else if (act === "refund") pay.openRefund(Number(button.dataset.payment));
  else if (act === "print") print();
  else if (act === "print-closed") print(S.closedSession);
  else if (act === "close") edit.openClose();
});

$("#main").addEventListener("submit", (e) => {
  if (e.target.id !== "till-custom") return;
  e.preventDefault();
  const input = $("#till-custom-amount");
  const amount = m.parse(input.value);
  const balance = S.check?.balance || 0;
  if (amount == null || amount <= 0) {
    toast(t("typeAmount", { example: m.major(balance) }), "is-error");
    input.focus();
    return;
  }
  pay.open({ target: "check", due: balance, amount: Math.min(amount, balance) });
});

// --- Live -----------------------------------------------------------------------------------------

sock = new LiveSocket(CONFIG.socketPath);
sock.on("state", connection.render);
sock.on("snapshot", () => refetchSoon(0)); // a (re)connection: whatever happened meanwhile
sock.on("event", (ev) => {
  if (ev.type === "floor.table") {
    if (ev.table_id === CONFIG.table.id) refetchSoon();
  } else if (CHECK_EVENTS.has(ev.type) && (!ev.table || ev.table.number === CONFIG.table.number)) {
    refetchSoon();
  }
});
sock.on("closed", ({ code }) => {
  connection.render("closed");
  if (code === 4403) connection.signOut();
});
sock.on("refused", ({ count }) => {
  if (count >= 2 && (count & (count - 1)) === 0) load(); // signed out? the fetch will tell
});

render();
connection.render("connecting");
sock.connect();
