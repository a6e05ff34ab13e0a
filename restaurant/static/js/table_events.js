// The server's word: a snapshot replaces the state, each event changes it; then the page redraws.

import { closeDialog as closeSheet, isOpen, toast } from "./ui.js";
import { loadMenu } from "./table_actions.js";
import { closeDishIfSoldOut } from "./table_dish.js";
import { updateDishCard } from "./table_menu.js";
import { bump, confirmSheet, render, renderConfirm, showEnded, statusLabel } from "./table_render.js";
import { S, dinerName, dishName, setCurrency, settlePending, sock, t } from "./table_state.js";

export function applySnapshot(snap) {
  if (S.snapshots++) {
    // A snapshot after a reconnect: what others changed meanwhile glows, as if it came live.
    for (const line of snap.cart) {
      const before = S.cart.get(line.line_id);
      if (line.added_by !== snap.me.diner_id && (!before || before.qty !== line.qty)) S.flash.set(line.line_id, Date.now());
    }
  }
  S.me = snap.me.diner_id;
  S.diners = new Map(snap.diners.map((d) => [d.diner_id, d]));
  S.online = new Set(snap.diners.filter((d) => d.online).map((d) => d.diner_id));
  S.cart = new Map(snap.cart.map((line) => [line.line_id, line]));
  S.orders = new Map(snap.orders.map((o) => [o.order_id, o]));
  if (snap.restaurant?.currency) setCurrency(snap.restaurant.currency);
  S.snapshotMenuVersion = snap.menu_version;
  if (S.menuVersion !== null && snap.menu_version !== S.menuVersion) loadMenu(); // our copy is old
  settlePending();
  render();
  if (isOpen(confirmSheet)) renderConfirm();
}

export function applyEvent(ev) {
  switch (ev.type) {
    case "cart.line": {
      const before = S.cart.get(ev.line.line_id);
      S.cart.set(ev.line.line_id, ev.line);
      const more = ev.line.qty - (before?.qty || 0);
      if (ev.by !== S.me) {
        S.flash.set(ev.line.line_id, Date.now());
        bump();
        if (more > 0) toast(t("othersAdded", { name: dinerName(ev.by), qty: more, dish: dishName(ev.line.dish_id) }));
      }
      break;
    }
    case "cart.line_removed":
      S.cart.delete(ev.line_id);
      S.flash.delete(ev.line_id);
      if (ev.by !== S.me) bump();
      break;
    case "order.submitted":
      S.orders.set(ev.order.order_id, ev.order);
      S.cart.clear();
      if (ev.by === S.me) toast(t("sent", { n: ev.order.round }), "is-ok");
      else {
        toast(t("othersSent", { name: dinerName(ev.by), n: ev.order.round }));
        closeSheet(confirmSheet); // what it was about to send is gone: it went with this round
      }
      break;
    case "order.status": {
      const order = S.orders.get(ev.order_id);
      if (order) {
        order.status = ev.status;
        if ("awaiting_confirmation" in ev) order.awaiting_confirmation = ev.awaiting_confirmation;
        toast(t("statusToast", { n: order.round, status: statusLabel(ev.status) }));
      }
      break;
    }
    case "diner": {
      const known = S.diners.has(ev.diner.diner_id);
      S.diners.set(ev.diner.diner_id, { ...S.diners.get(ev.diner.diner_id), ...ev.diner });
      if (!known && ev.diner.diner_id !== S.me) toast(t("joined", { name: ev.diner.name }));
      break;
    }
    case "presence":
      S.online = new Set(ev.online);
      break;
    case "menu.dish": {
      const dish = S.dishes.get(ev.dish_id);
      if (!dish) {
        loadMenu(); // a dish this page has never seen: fetch the menu again
        break;
      }
      const repriced = dish.price !== ev.price;
      dish.sold_out = ev.sold_out;
      dish.price = ev.price;
      updateDishCard(dish);
      // Cart lines carry the server's unit price: ask for fresh ones rather than guess.
      if (repriced && [...S.cart.values()].some((l) => l.dish_id === dish.id)) sock.send("sync").catch(() => {});
      closeDishIfSoldOut(dish);
      break;
    }
    case "session.closed":
      showEnded("closedTitle", "closedText", false);
      break;
    default:
      return; // a newer server's event this page does not know: ignore it
  }
  settlePending();
  render();
  if (isOpen(confirmSheet) && ev.type.startsWith("cart.") && !S.submitting) renderConfirm(t("cartChanged"));
}
