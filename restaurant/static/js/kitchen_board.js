// The board: one column per status, tickets oldest first. Columns share the width by how many
// tickets they hold (an empty one folds into a narrow strip), and inside a column tickets flow
// into as many side-by-side tracks as fit: four new orders on a wall screen sit side by side
// instead of stacking in one scrolling column while three stand empty.

import { $, clock, customLabel, h } from "./ui.js";
import {
  COLUMNS, NEXT, S, dishName, elapsed, icon, now, optionNames, since, stationName, t, tableName,
} from "./kitchen_state.js";
import { chip, isFlashing, lateBy, marks, mealLine } from "./kitchen_items.js";

const AMBER_AFTER = 10 * 60_000; // an order waiting this long turns amber...
const RED_AFTER = 20 * 60_000; // ...and this long, red
const MOST_WEIGHT = 4; // a long column takes at most this many shares of the width

const ageClass = (ms) => (ms >= RED_AFTER ? "age-red" : ms >= AMBER_AFTER ? "age-amber" : "age-calm");

export const board = $("#board");
const columns = Object.fromEntries(COLUMNS.map((s) => [s, $(`.column[data-status="${s}"]`, board)]));
export const cards = new Map(); // order_id -> {el, sig}

// The pass moves a dish to ready, then served; a long press opens it (kitchen_items.js).
export const EXPO_NEXT = { queued: "ready", cooking: "ready", ready: "served" };

function itemRow(item, order, at) {
  const options = optionNames(item);
  const next = EXPO_NEXT[item.status];
  const busy = S.busyItems.has(item.item_id);
  const dish = dishName(item.dish_id, item.name);
  const state = item.status || "queued"; // a server from before dishes had states: none
  return h("li", {
    class: `tc-item has-state is-${state}${isFlashing(item.item_id) ? " is-flashing" : ""}${busy ? " is-busy" : ""}`,
    "data-item": item.item_id,
  },
    h("button", {
      type: "button", class: "tc-item-tap", disabled: busy || order.awaiting_confirmation || !item.status,
      "aria-label": next ? t("tapTo", { dish: `${item.qty}× ${dish}`, status: t(`item_${next}`) }) : null,
    },
      h("span", { class: "tc-qty" }, `${item.qty}×`),
      h("div", { class: "tc-what" },
        h("span", { class: "tc-name" }, dish),
        options.length ? h("span", { class: "tc-options" }, options.join(" · ")) : null,
        item.set_name ? h("span", { class: "tc-options" }, dishName(item.set_dish_id, item.set_name)) : null, // 套餐: a part of it
        item.takeaway ? h("span", { class: "tc-togo" }, t("toGo")) : null, // 打包
        item.note ? h("span", { class: "tc-note" }, icon("note"), h("span", {}, item.note)) : null,
        item.status ? h("span", { class: "tc-state" }, chip(item), marks(item, at),
          item.station_id && S.stations.size > 1 ? h("span", { class: "tc-station" }, stationName(item.station_id)) : null,
          item.void_reason ? h("span", { class: "tc-void" }, item.void_reason) : null) : null)));
}

// What a ticket shows of its dishes, to tell when it must be drawn again.
const itemsSig = (order, at) => order.items.map((i) => [i.status, i.qty, i.comped, i.nudges, S.busyItems.has(i.item_id),
  isFlashing(i.item_id), Math.max(-1, Math.floor(lateBy(i, at) / 60_000))].join(":")).join(",");

function actionButton(to, primary) {
  const label = t(`to_${to}`);
  return h("button", {
    type: "button",
    class: `btn ${primary ? "act-next" : "act-skip"} to-${to}`,
    "data-to": to,
    "aria-label": primary ? null : t("skipTo", { status: label }),
    title: primary ? null : t("skipTo", { status: label }),
  }, primary ? null : icon("skip"), label);
}

function moves(order) {
  // A held first round may only be accepted (or cancelled): no skipping past the confirmation.
  if (order.awaiting_confirmation) return [actionButton("accepted", true)];
  const next = NEXT[order.status];
  return [actionButton(next, true), next !== "ready" && next !== "served" ? actionButton("ready", false) : null];
}

function buildCard(order) {
  const busy = S.busy.has(order.order_id);
  const held = Boolean(order.awaiting_confirmation);
  const created = Date.parse(order.created_at);
  const age = now() - created;
  const el = h("article", {
    class: `ticket-card ${ageClass(age)}${busy ? " is-busy" : ""}${held ? " is-held" : ""}`,
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
    held ? h("p", { class: "tc-held", role: "note" }, icon("hourglass"), t("held")) : null,
    mealLine(order),
    h("ul", { class: "tc-items" }, order.items.map((item) => itemRow(item, order, now()))),
    h("footer", { class: "tc-actions" },
      h("div", { class: "tc-moves" }, moves(order)),
      h("div", { class: "tc-minor" },
        h("button", { type: "button", class: "btn btn-quiet", "data-print": "" }, icon("print"), t("print")),
        h("button", { type: "button", class: "btn btn-quiet danger", "data-cancel": "" }, icon("close"), t("cancel")))));
  if (busy) for (const b of el.querySelectorAll("button[data-to], button[data-cancel]")) b.disabled = true;
  return el;
}

const byAge = (a, b) => Date.parse(a.created_at) - Date.parse(b.created_at) || a.order_id - b.order_id;

export function renderBoard() {
  const stamp = S.menuState; // dish names change language once the menu is in
  const weights = [];
  for (const status of COLUMNS) {
    const column = columns[status];
    const body = $(".column-body", column);
    const orders = [...S.orders.values()].filter((o) => o.status === status).sort(byAge);
    $("[data-count]", column).textContent = String(orders.length);
    column.classList.toggle("is-empty", orders.length === 0);
    weights.push(orders.length ? `minmax(220px, ${Math.min(orders.length, MOST_WEIGHT)}fr)` : "minmax(64px, 0.25fr)");
    orders.forEach((order, i) => {
      const sig = `${order.status}|${S.busy.has(order.order_id)}|${Boolean(order.awaiting_confirmation)}|${stamp}|${itemsSig(order, now())}|${JSON.stringify(order.meal || null)}`;
      let card = cards.get(order.order_id);
      if (!card || card.sig !== sig) {
        const el = buildCard(order);
        if (card) card.el.replaceWith(el);
        card = { el, sig };
        cards.set(order.order_id, card);
      }
      card.el.classList.toggle("is-fresh", (S.fresh.get(order.order_id) || 0) > now());
      card.el.classList.toggle("is-unseen", S.unseen.has(order.order_id));
      // Move only what is out of place: a moved node would restart its animation.
      if (body.children[i] !== card.el) body.insertBefore(card.el, body.children[i] || null);
    });
    // The first orders.length children are now this column's cards: the rest left it.
    while (body.children.length > orders.length) body.lastElementChild.remove();
  }
  // An empty column folds into a strip (its name on its side) while others have tickets.
  const any = S.orders.size > 0;
  for (const status of COLUMNS) columns[status].classList.toggle("is-folded", any && columns[status].classList.contains("is-empty"));
  // Set through CSSOM (the policy forbids style attributes, not element.style).
  board.style.setProperty("--board-columns", any ? weights.join(" ") : "");
  for (const [id, card] of cards) {
    if (!S.orders.has(id) || !card.el.isConnected) {
      card.el.remove();
      cards.delete(id);
    }
  }
  board.setAttribute("aria-busy", "false");
}

export function tick() {
  renderBoard(); // a dish turning late, a nudge's flash ending: only those tickets are redrawn
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
  for (const [id, until] of S.fresh) {
    if (until <= at) {
      S.fresh.delete(id);
      cards.get(id)?.el.classList.remove("is-fresh");
    }
  }
}
