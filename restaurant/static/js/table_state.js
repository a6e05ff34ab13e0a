// The page's state: the last snapshot plus the events since, and what follows from it
// (names, totals, lines shown). No DOM beyond the page's config and strings.

import { LiveSocket } from "./socket.js";
import { $, listSep, localName, moneyFormatter, strings } from "./ui.js";

export const config = JSON.parse($("#table-config").textContent);
export const t = strings("table-strings");
export const STATUSES = ["submitted", "accepted", "preparing", "ready", "served"];
export const WAITER_COOLDOWN_MS = 30000;
export const FLASH_MS = 1600; // how long a line someone else just changed stays highlighted

let formatter = moneyFormatter(config.currency || "CNY");
export const money = (minor) => formatter(minor);
export function setCurrency(currency) {
  formatter = moneyFormatter(currency);
}

export const S = {
  me: config.dinerId,
  diners: new Map(),
  online: new Set(),
  cart: new Map(), // line_id -> line
  orders: new Map(), // order_id -> order
  dishes: new Map(), // dish_id -> dish (from /api/menu/)
  options: new Map(), // option_id -> option
  categories: [],
  tags: new Map(), // tag_id -> tag (the restaurant's, in its order)
  menuVersion: null,
  snapshotMenuVersion: null,
  // Asked, not yet confirmed: a tap shows at once (offline: what will be sent). `until`: the ack's seq.
  pending: new Map(), // line_id -> {qty, until}
  // Added offline: lines "waiting to send" until the server has them (an ack's seq reached).
  queued: new Map(), // local key -> line-like {line_id: key, dish_id, qty, options, note, price, until}
  flash: new Map(), // line_id -> when someone else changed it (ms): the line glows briefly
  calls: new Map(), // call_id -> the table's waiter calls (sent, seen, done)
  undo: null, // {line, qty}: the line this diner just removed with the trash button, for Undo
  reviewedSeq: null,
  submitting: false,
  snapshots: 0,
};

// The page's one socket; table.js wires and connects it.
export const sock = new LiveSocket(config.wsPath);

export const dishName = (id, fallback) => {
  const dish = S.dishes.get(id);
  return dish ? localName(dish) : fallback || t("aDish"); // never an id
};
export const dinerName = (id) => S.diners.get(id)?.name || t("someone");
export const itemById = (id) => [...S.orders.values()].flatMap((o) => o.items).find((i) => i.item_id === id);
export const shownQty = (line) => S.pending.get(line.line_id)?.qty ?? line.qty;
export const visibleLines = () => [...S.cart.values(), ...S.queued.values()].filter((line) => shownQty(line) > 0);
// A line of a dish (or with an option) sold out since it was added cannot be sent: it is not in
// what the round costs.
export const soldOut = (line) => Boolean(S.dishes.get(line.dish_id)?.sold_out || line.options?.some((id) => S.options.get(id)?.sold_out));
export const cartTotal = () => visibleLines().filter((l) => !soldOut(l)).reduce((sum, l) => sum + l.price * shownQty(l), 0);
export const cartCount = () => visibleLines().reduce((sum, l) => sum + shownQty(l), 0);

export function optionNames(ids, frozen = []) {
  return ids.map((id, i) => {
    const option = S.options.get(id);
    return option ? localName(option) : frozen[i] || "";
  }).filter(Boolean).join(listSep);
}

export function unitPrice(dish, options, takeaway) {
  return options.reduce((sum, id) => sum + (S.options.get(id)?.price || 0), dish.price + (takeaway && dish.packing_fee || 0));
}

// The menu from /api/menu/, indexed by dish and option.
export function setMenu(menu) {
  S.menuVersion = menu.version;
  S.categories = menu.categories;
  S.tags = new Map((menu.tags || []).map((tag) => [tag.id, tag]));
  // The page's menu (`?lang=`) has each option group once, a dish listing its groups' ids (none:
  // left out), and leaves out an option's price of 0.
  const groups = new Map((menu.option_groups || []).map((g) => [g.id, g]));
  S.dishes.clear();
  S.options.clear();
  for (const category of menu.categories) {
    for (const dish of category.dishes) {
      dish.option_groups = (dish.option_groups || []).map((g) => groups.get(g) || g);
      S.dishes.set(dish.id, dish);
      for (const group of dish.option_groups) {
        for (const o of group.options) S.options.set(o.id, Object.assign(o, { price: o.price || 0 }));
      }
    }
  }
  if (menu.currency) setCurrency(menu.currency);
}

export function groupedLines() {
  // Lines by who added them: me first, then the others in the order they sat down.
  const groups = new Map();
  const order = [S.me, ...[...S.diners.keys()].filter((id) => id !== S.me)];
  for (const id of order) groups.set(id, []);
  for (const line of visibleLines()) {
    if (!groups.has(line.added_by)) groups.set(line.added_by, []);
    groups.get(line.added_by).push(line);
  }
  return [...groups].filter(([, lines]) => lines.length);
}

// Forget what the server has now confirmed: pending quantities, queued adds, old glows.
export function settlePending() {
  for (const [id, p] of S.pending) {
    if (p.until != null && (sock.seq ?? 0) >= p.until) S.pending.delete(id);
    else if (p.until != null && !S.cart.has(id)) S.pending.delete(id);
  }
  for (const [key, q] of S.queued) if (q.until != null && (sock.seq ?? 0) >= q.until) S.queued.delete(key);
  for (const [id, at] of S.flash) if (Date.now() - at > FLASH_MS) S.flash.delete(id);
}
