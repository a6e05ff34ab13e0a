// The waiter's ordering page (代客下单): the table's shared cart on the staff member's phone. The
// socket is `/ws/r/<slug>/waiter/table/<n>/`; it starts from the diners' snapshot (the waiter is
// `me`, a diner with `staff: true`) and applies the table's events by `seq`, as a phone does.

import { $, closeDialog, openDialog, toast, wireDialog } from "./ui.js";
import { staffConnection } from "./staff_ui.js";
import { openAdjust } from "./waiter_adjust.js";
import { addDish, closeIfSoldOut, onCartChange, openDish } from "./waiter_dish.js";
import { render, renderCart } from "./waiter_render.js";
import { S, config, dinerName, dishName, setMenu, sock, t } from "./waiter_state.js";

for (const dialog of document.querySelectorAll("dialog.sheet")) wireDialog(dialog);
const connection = staffConnection(t, config.loginUrl);
setMenu(JSON.parse($("#waiter-menu").textContent));
onCartChange(renderCart);

async function loadMenu() {
  try {
    const response = await fetch(config.menuUrl, { credentials: "same-origin", cache: "no-store" });
    if (response.ok) setMenu(await response.json());
  } catch {
    return; // offline: the next change or reconnect tries again
  }
  render();
}

// This page's address names its table; the meal may have moved to another since (staff).
const atTable = (number) => location.pathname.replace(/tables\/\d+\/order\//, `tables/${number}/order/`);

function applySnapshot(snap) {
  if (atTable(snap.table.number) !== location.pathname) {
    location.replace(atTable(snap.table.number));
    return;
  }
  S.me = snap.me.diner_id;
  S.session = snap.session;
  S.diners = new Map(snap.diners.map((d) => [d.diner_id, d]));
  S.cart = new Map(snap.cart.map((line) => [line.line_id, line]));
  S.orders = new Map(snap.orders.map((o) => [o.order_id, o]));
  S.meal = snap.meal || { guests: null, note: "" };
  if (snap.menu_version !== S.menuVersion) loadMenu();
  render();
}

function setItem(change) {
  for (const order of S.orders.values()) {
    const item = order.items.find((i) => i.item_id === change.item_id);
    if (item) Object.assign(item, { status: change.status, void_reason: change.void_reason });
  }
}

function applyEvent(ev) {
  switch (ev.type) {
    case "cart.line": {
      const before = S.cart.get(ev.line.line_id);
      S.cart.set(ev.line.line_id, ev.line);
      const more = ev.line.qty - (before?.qty || 0);
      if (ev.by !== S.me && more > 0) toast(t("othersAdded", { name: dinerName(ev.by), qty: more, dish: dishName(ev.line.dish_id) }));
      break;
    }
    case "cart.line_removed":
      S.cart.delete(ev.line_id);
      break;
    case "order.submitted":
      S.orders.set(ev.order.order_id, ev.order);
      S.cart.clear();
      toast(ev.by === S.me ? t("sent", { n: ev.order.round }) : t("othersSent", { name: dinerName(ev.by), n: ev.order.round }), "is-ok");
      break;
    case "order.status": {
      const order = S.orders.get(ev.order_id);
      for (const change of ev.items || []) setItem(change);
      if (order) {
        order.status = ev.status;
        if ("awaiting_confirmation" in ev) order.awaiting_confirmation = ev.awaiting_confirmation;
      }
      break;
    }
    case "item.status": {
      setItem(ev);
      const order = S.orders.get(ev.order_id);
      if (order && ev.order_status) order.status = ev.order_status;
      break;
    }
    case "diner":
      S.diners.set(ev.diner.diner_id, { ...S.diners.get(ev.diner.diner_id), ...ev.diner });
      break;
    case "menu.dish": {
      const dish = S.dishes.get(ev.dish_id);
      if (!dish) return loadMenu();
      Object.assign(dish, { sold_out: ev.sold_out, price: ev.price, stock: ev.stock });
      if (ev.version === S.menuVersion + 1) S.menuVersion = ev.version;
      else if (ev.version > S.menuVersion) loadMenu();
      closeIfSoldOut(dish);
      // A set meal's choice of this dish comes and goes with it: fetch the menu's word on it.
      if ([...S.dishes.values()].some((d) => d.option_groups.some((g) => g.options.some((o) => o.dish_id === dish.id)))) loadMenu();
      break;
    }
    case "menu.changed":
      if (ev.version !== S.menuVersion) loadMenu();
      return;
    case "meal":
      S.meal = { guests: ev.guests, note: ev.note };
      break;
    case "order.items": // a dish taken back or comped in part: the round's items anew
      S.orders.set(ev.order.order_id, ev.order);
      break;
    case "session.closed":
      if (S.session) S.session.status = "closed";
      break;
    case "session.moved": // the meal is at another table now: its page, its socket
      location.replace(atTable(ev.table.number));
      return;
    default:
      return; // presence, calls, a newer server's events: nothing this page shows
  }
  render();
}

sock.on("state", (state) => connection.render(state));
sock.on("snapshot", applySnapshot);
sock.on("event", applyEvent);
sock.on("closed", ({ code }) => {
  if (code === 4403) connection.signOut();
  if (code === 4000 && S.session) S.session.status = "closed";
  render();
});

// --- What the waiter does
document.addEventListener("click", (e) => {
  const adjust = e.target.closest("[data-adjust]");
  if (adjust) {
    const id = Number(adjust.dataset.adjust);
    for (const order of S.orders.values()) {
      const item = order.items.find((i) => i.item_id === id);
      if (item) return openAdjust(item);
    }
    return undefined;
  }
  const add = e.target.closest("[data-add]");
  if (add && !add.disabled) return addDish(Number(add.dataset.add));
  const open = e.target.closest("[data-open]");
  if (open && !open.disabled) return openDish(S.dishes.get(Number(open.dataset.open)));
  const cat = e.target.closest("[data-cat]");
  if (cat) {
    S.category = cat.dataset.cat ? Number(cat.dataset.cat) : null;
    S.query = "";
    $("#dish-search").value = "";
    return render();
  }
  const qty = e.target.closest("[data-qty]");
  if (qty) {
    const lineId = Number(qty.closest("[data-line]").dataset.line);
    const value = Number(qty.dataset.qty);
    const op = value > 0 ? sock.send("cart.set_qty", { line_id: lineId, qty: value }) : sock.send("cart.remove", { line_id: lineId });
    op.catch((err) => toast(t("failed", { message: err.message }), "is-error"));
  }
});

$("#dish-search").addEventListener("input", (e) => {
  S.query = e.target.value;
  render();
});

$("#cart-button").addEventListener("click", () => openDialog($("#cart-sheet")));

// The meal's guests and its note to the kitchen (人数, 整单备注): `meal.set`, as a phone would.
$("#waiter-meal").addEventListener("click", () => {
  $("#meal-guests").value = S.meal.guests ?? "";
  $("#meal-note").value = S.meal.note;
  openDialog($("#meal-sheet"));
});
$("#meal-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const guests = Number($("#meal-guests").value);
  const fields = { note: $("#meal-note").value.trim() };
  if (guests >= 1 && guests <= 99) fields.guests = guests;
  try {
    await sock.send("meal.set", fields);
    closeDialog($("#meal-sheet"));
    toast(t("mealSaved"), "is-ok");
  } catch (err) {
    toast(t("failed", { message: err.message }), "is-error");
  }
});

async function sendRound() {
  if (S.sending) return;
  S.sending = true;
  renderCart();
  try {
    // The cart as this page last saw it (its seq): a change by a phone meanwhile is `stale`.
    await sock.send("order.submit", { seq: sock.seq ?? 0 });
    closeDialog($("#cart-sheet"));
  } catch (err) {
    if (err.code === "stale") toast(t("stale"), "is-error");
    else if (err.code === "sold_out") {
      // 限量 (`detail: "stock"`): `left` says how many portions each of them has left.
      const left = err.reply.left || {};
      const names = (err.reply.dish_ids || [])
        .map((id) => (id in left ? t("stockLeft", { dish: dishName(id), n: left[id] }) : dishName(id)))
        .join(", ");
      toast(t(err.reply.detail === "stock" ? "stockShort" : "soldOutSend", { dishes: names }), "is-error");
    } else toast(t("failed", { message: err.message }), "is-error");
  } finally {
    S.sending = false;
    renderCart();
  }
}
$("#send-button").addEventListener("click", sendRound);
$("#cart-send").addEventListener("click", sendRound);

connection.render("connecting");
render();
sock.connect();
