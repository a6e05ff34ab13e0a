// The server's word: a snapshot replaces the state, each event changes it; then the page redraws.

import { $, closeDialog as closeSheet, isOpen, tableName, toast } from "./ui.js";
import { loadMenu } from "./table_actions.js";
import { applyCallEvent } from "./table_calls.js";
import { askName, renamed } from "./table_welcome.js";
import { showOrdering } from "./table_errors.js";
import { closeDishIfSoldOut } from "./table_dish.js";
import { updateDishCard } from "./table_menu.js";
import {
  bump, confirmSheet, refreshConfirm, render, renderConfirm, showEnded, statusLabel,
} from "./table_render.js";
import { S, config, dinerName, dishName, itemById, setCurrency, settlePending, sock, t } from "./table_state.js";

export function applySnapshot(snap) {
  if (S.snapshots++) {
    // A snapshot after a reconnect: what others changed meanwhile glows, as if it came live.
    for (const line of snap.cart) {
      const before = S.cart.get(line.line_id);
      if (line.added_by !== snap.me.diner_id && (!before || before.qty !== line.qty)) S.flash.set(line.line_id, Date.now());
    }
  }
  if (snap.token && snap.token !== config.token) applyEvent({ type: "session.moved", table: snap.table, token: snap.token });
  S.me = snap.me.diner_id;
  S.diners = new Map(snap.diners.map((d) => [d.diner_id, d]));
  S.online = new Set(snap.diners.filter((d) => d.online).map((d) => d.diner_id));
  S.cart = new Map(snap.cart.map((line) => [line.line_id, line]));
  S.orders = new Map(snap.orders.map((o) => [o.order_id, o]));
  S.calls = new Map((snap.calls || []).map((c) => [c.call_id, c]));
  showOrdering(snap.ordering);
  if (snap.restaurant?.currency) setCurrency(snap.restaurant.currency);
  S.snapshotMenuVersion = snap.menu_version;
  if (S.menuVersion !== null && snap.menu_version !== S.menuVersion) loadMenu(); // our copy is old
  settlePending();
  render();
  if (isOpen(confirmSheet)) renderConfirm();
  askName(snap);
}

// Every phone of the restaurant hears a menu change at once: spread their fetches over a second.
const menuSoon = () => setTimeout(loadMenu, Math.random() * 1000);

// Someone else changed or removed a diner's own line: its owner is told who, and what. Taps in
// a row on one line (3 → 2 → 1) read as one change (3 → 1) while the notice is up.
const NOTICE_MS = 6500;
let lastNotice = null; // {lineId, by, from, until}

function yourLineNotice(before, ev, after) {
  if (ev.by === S.me || before?.added_by !== S.me) return false;
  const name = dinerName(ev.by);
  const dish = dishName(before.dish_id);
  const lineId = before.line_id;
  const same = lastNotice && lastNotice.lineId === lineId && lastNotice.by === ev.by && Date.now() < lastNotice.until;
  const from = same ? lastNotice.from : before.qty;
  lastNotice = { lineId, by: ev.by, from, until: Date.now() + NOTICE_MS };
  if (!after) toast(t("othersRemovedYours", { name, dish }), "is-notice", { key: "cart", ms: NOTICE_MS });
  else if (after.qty !== before.qty) {
    toast(t("othersChangedYours", { name, dish, from, to: after.qty }), "is-notice", { key: "cart", ms: NOTICE_MS });
  } else return false;
  return true;
}

// A dish moved (`item.status`, or with its round: `order.status`'s items). Returns its name.
function setItem(c) {
  const item = itemById(c.item_id);
  if (item) Object.assign(item, { status: c.status, void_reason: c.void_reason });
  return item && dishName(item.dish_id, item.name);
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
        if (!yourLineNotice(before, ev, ev.line) && more > 0) {
          toast(t("othersAdded", { name: dinerName(ev.by), qty: more, dish: dishName(ev.line.dish_id) }));
        }
      }
      break;
    }
    case "cart.line_removed": {
      const before = S.cart.get(ev.line_id);
      S.cart.delete(ev.line_id);
      S.flash.delete(ev.line_id);
      if (ev.by !== S.me) bump();
      yourLineNotice(before, ev, null);
      break;
    }
    case "order.submitted":
      S.orders.set(ev.order.order_id, ev.order);
      S.cart.clear();
      S.undo = null; // the cart went to the kitchen: nothing to put back
      if (ev.by === S.me) toast(t("sent", { n: ev.order.round }), "is-ok");
      else {
        toast(t("othersSent", { name: dinerName(ev.by), n: ev.order.round }));
        closeSheet(confirmSheet); // what it was about to send is gone: it went with this round
      }
      break;
    case "order.status": {
      const order = S.orders.get(ev.order_id);
      for (const c of ev.items || []) setItem(c);
      if (order) {
        order.status = ev.status;
        if ("awaiting_confirmation" in ev) order.awaiting_confirmation = ev.awaiting_confirmation;
        order.cancel_reason = ev.reason || "";
        const words = { n: order.round, status: statusLabel(ev.status), reason: ev.reason };
        toast(t(ev.reason ? "statusToastReason" : "statusToast", words), "", { key: `order-${order.order_id}` });
      }
      break;
    }
    case "item.status": {
      const dish = setItem(ev);
      const order = S.orders.get(ev.order_id);
      if (order && ev.order_status) order.status = ev.order_status;
      if (order && ev.order_total != null) order.total = ev.order_total; // a voided dish is not charged
      // A dish taken back says so, and why.
      const status = [t("item_voided"), ev.void_reason].filter(Boolean).join(" · ");
      if (dish && ev.status === "voided") toast(t("dishToast", { dish, status }), "is-notice");
      break;
    }
    case "item.nudged": {
      const item = itemById(ev.item_id);
      if (item) item.nudged_at = ev.at;
      if (item && ev.by !== S.me) toast(t("othersNudged", { name: dinerName(ev.by), dish: dishName(item.dish_id, item.name) }));
      break;
    }
    case "diner": {
      const known = S.diners.has(ev.diner.diner_id);
      S.diners.set(ev.diner.diner_id, { ...S.diners.get(ev.diner.diner_id), ...ev.diner });
      if (!known && ev.diner.diner_id !== S.me) toast(t("joined", { name: ev.diner.name }));
      renamed(ev.diner);
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
      dish.stock = ev.stock; // 限量: portions left today; null: not counted
      updateDishCard(dish);
      // One version on from the page's copy: this was the change. Further: more happened.
      if (ev.version === S.menuVersion + 1) S.menuVersion = ev.version;
      else if (ev.version > S.menuVersion) menuSoon();
      // Cart lines carry the server's unit price: ask for fresh ones rather than guess.
      if (repriced && [...S.cart.values()].some((l) => l.dish_id === dish.id)) sock.send("sync").catch(() => {});
      closeDishIfSoldOut(dish);
      // A set meal's choice of this dish comes and goes with it: fetch the menu's word on it.
      if ([...S.dishes.values()].some((d) => d.option_groups.some((g) => g.options.some((o) => o.dish_id === dish.id)))) menuSoon();
      refreshConfirm();
      break;
    }
    case "menu.changed":
      if (ev.version !== S.menuVersion) menuSoon();
      return;
    case "ordering":
      return showOrdering(ev);
    case "order.items":
      S.orders.set(ev.order.order_id, ev.order);
      break;
    case "waiter.call":
    case "waiter.seen":
    case "waiter.done":
      applyCallEvent(ev);
      break;
    case "session.closed":
      showEnded("closedTitle", "closedText", false);
      break;
    case "session.moved": {
      // Staff moved the meal: reloads, reconnects and the bill use the new table's token.
      const name = tableName(ev.table, t);
      for (const k of ["joinUrl", "billUrl"]) config[k] = config[k].replace(config.token, ev.token);
      sock.url = sock.url.replace(config.token, (config.token = ev.token));
      history.replaceState(null, "", `/t/${ev.token}/`);
      $("#table-label").textContent = name;
      toast(t("moved", { table: name }), "is-ok");
      break;
    }
    case "session.joined":
      toast(t("tableJoined", { table: tableName(ev.from, t) }));
      break;
    default:
      return; // a newer server's event this page does not know: ignore it
  }
  settlePending();
  render();
  // Someone else changed what is being confirmed: say so. The diner's own change (a sold-out
  // line taken out here) needs no telling.
  if (isOpen(confirmSheet) && ev.type.startsWith("cart.") && !S.submitting) {
    renderConfirm(ev.by === S.me ? "" : t("cartChanged"));
  }
}
