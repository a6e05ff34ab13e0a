// Drawing the page from its state (cart, confirm sheet, rounds, diners, calls, connection).
// Buttons carry data attributes; what a tap does: table_actions.js.

import {
  $, clock, closeDialog as closeSheet, fill, firstGrapheme, h, hiddenText as hidden, icon as sprite, isOpen,
  listSep, openDialog as openSheet, raisable,
} from "./ui.js";
import { renderCalls } from "./table_calls.js";
import { menuEl } from "./table_menu.js";
import {
  FLASH_MS, S, STATUSES, cartCount, cartTotal, dinerName, dishName, groupedLines, money, optionNames,
  shownQty, soldOut, sock, t, visibleLines,
} from "./table_state.js";
import "./table_toasts.js";

const icon = (name) => sprite(`i-${name}`);
export const cartSheet = $("#cart-sheet");
export const confirmSheet = $("#confirm-sheet");
export const ordersSheet = $("#orders-sheet");
export const peopleSheet = $("#people-sheet");

function initials(name) {
  const m = /^(\S)\S*\s+(\d+)$/.exec(name.trim()); // "Guest 3" -> "G3": the number tells guests apart
  if (m) return (m[1] + m[2]).toUpperCase().slice(0, 3);
  return (firstGrapheme(name) || "?").toUpperCase();
}

function inkFor(hex) {
  // Dark text on light diner colours (yellow!), white on dark: keeps initials readable.
  const n = parseInt((hex || "#888888").slice(1), 16);
  const [r, g, b] = [n >> 16, (n >> 8) & 255, n & 255].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.35 ? "#1f1a17" : "#ffffff";
}

function avatar(diner, extra = "") {
  const online = S.online.has(diner.diner_id);
  return h(
    "span",
    {
      class: `avatar ${online ? "is-online" : "is-away"} ${extra}`,
      style: `--c:${diner.color};--on-c:${inkFor(diner.color)}`,
      "aria-hidden": "true",
    },
    initials(diner.name),
  );
}

const badge = (on, text) => on && h("span", { class: "shared-tag" }, t(text));
const sharedTag = (x) => [badge(x.shared, "shared"), badge(x.takeaway, "toGo")]; // 打包: to go

export const dot = (color) => h("span", { class: "dot", style: `--c:${color}`, "aria-hidden": "true" });

// --- The connection banner

const banner = $("#conn-banner");
raisable(banner); // above an open sheet, too: a diner in the cart must see that they are offline
let bannerTimer = null;
export function renderConnection(state) {
  clearTimeout(bannerTimer);
  document.body.dataset.connection = state;
  if (state === "online" || state === "closed") {
    banner.hidden = true;
    return;
  }
  const show = () => {
    banner.textContent = state === "offline" ? t("offline") : t("connecting");
    banner.className = `conn-banner is-${state}`;
    banner.hidden = false;
  };
  // A first connection usually takes a blink: do not flash "Connecting…" for it.
  if (state === "connecting") bannerTimer = setTimeout(show, 700);
  else show();
}

// Redraw a region without losing the focused control (by its data-key), e.g. a qty "+" button.
function keepFocus(draw) {
  const key = document.activeElement?.dataset?.key;
  draw();
  if (key) document.querySelector(`[data-key="${key}"]`)?.focus({ preventScroll: true });
}

// --- The shared cart

function lineRow(line, { editable: editableView }) {
  const qty = shownQty(line);
  const gone = soldOut(line);
  const opts = optionNames(line.options);
  const name = dishName(line.dish_id);
  const editable = editableView && !line.queued; // a queued add has no line on the server yet
  const pending = line.queued || S.pending.has(line.line_id);
  // Someone else's change glows; a redraw mid-glow continues it rather than starting over.
  const flashed = Date.now() - (S.flash.get(line.line_id) || 0);
  const flash = flashed < FLASH_MS;
  return h("li", {
    class: `line${gone ? " is-sold-out" : ""}${pending ? " is-pending" : ""}${flash ? " is-flash" : ""}`,
    style: flash ? `animation-delay:-${flashed}ms` : null,
    "data-line": line.queued ? null : line.line_id,
    "data-queued": line.queued ? "" : null },
    h("div", { class: "line-main" },
      h("span", { class: "line-name" }, editable ? name : `${qty} × ${name}`),
      opts ? h("span", { class: "line-options" }, opts) : null,
      line.note ? h("span", { class: "line-note" }, `“${line.note}”`) : null,
      sharedTag(line),
      gone ? h("span", { class: "sold-out-tag" }, t("soldOut")) : null,
      line.queued ? h("span", { class: "queued-tag" }, t("waitingToSend")) : null,
      editable ? h("span", { class: "line-each" }, t("each", { price: money(line.price) })) : null),
    h("div", { class: "line-side" },
      h("span", { class: "line-price" }, money(line.price * qty)),
      editable ? h("div", { class: "stepper small", role: "group", "aria-label": name },
        h("button", { type: "button", class: "step", "data-key": `line-${line.line_id}-minus`,
          "data-set-qty": qty - 1 },
          icon(qty <= 1 ? "trash" : "minus"), hidden(qty <= 1 ? t("remove") : t("fewer"))),
        h("output", { class: "qty" }, String(qty)),
        h("button", { type: "button", class: "step", "data-key": `line-${line.line_id}-plus`,
          disabled: qty >= 99, "data-set-qty": qty + 1 }, icon("plus"), hidden(t("more"))))
        // In the confirm sheet a sold-out line can be taken out right there.
        : gone && !line.queued ? h("button", { type: "button", class: "btn btn-secondary btn-remove",
          "data-key": `line-${line.line_id}-remove`, "data-set-qty": 0 }, icon("trash"), t("remove"))
          : null));
}

function dinerHeader(dinerId, lines) {
  const diner = S.diners.get(dinerId) || { diner_id: dinerId, name: t("someone"), color: "#999999" };
  const subtotal = lines.filter((l) => !soldOut(l)).reduce((sum, l) => sum + l.price * shownQty(l), 0);
  return h("div", { class: "diner-head" },
    dot(diner.color),
    h("span", { class: "diner-name" }, diner.name, dinerId === S.me ? h("span", { class: "me" }, ` (${t("you")})`) : null),
    h("span", { class: "diner-subtotal" }, t("subtotal", { amount: money(subtotal) })));
}

// The line this diner just removed, with Undo, where it was removed.
function undoBar() {
  if (!S.undo) return null;
  return h("div", { class: "undo-bar", role: "status" },
    h("span", {}, t("removedLine", { dish: dishName(S.undo.line.dish_id) })),
    h("button", { type: "button", class: "btn btn-secondary", "data-undo": "", "data-key": "undo" }, t("undo")));
}

export function renderCartSheet() {
  const groups = groupedLines();
  keepFocus(() => {
    fill($("#cart-body"), undoBar(),
      groups.length
        ? groups.map(([dinerId, lines]) => h("section", { class: "diner-group", "data-diner": dinerId },
          dinerHeader(dinerId, lines), h("ul", { class: "lines" }, lines.map((l) => lineRow(l, { editable: true })))))
        : h("p", { class: "empty" }, t("cartEmpty")));
  });
  $("#cart-sheet-total").textContent = money(cartTotal());
  $("#cart-submit").disabled = groups.length === 0;
}

function renderCartBar() {
  const count = cartCount();
  const badge = $("#cart-count");
  badge.hidden = count === 0;
  badge.textContent = String(count);
  $("#cart-total").textContent = count ? money(cartTotal()) : "";
  $("#cart-hint").textContent = count ? t(count === 1 ? "itemsOne" : "itemsMany", { n: count }) : t("cartEmptyHint");
  $("#checkout-button").disabled = count === 0;
  $("#bottom-dock").classList.toggle("has-items", count > 0);
  // "2 in cart" on each dish card, counting everyone's lines.
  const perDish = new Map();
  for (const line of visibleLines()) perDish.set(line.dish_id, (perDish.get(line.dish_id) || 0) + shownQty(line));
  for (const badgeEl of menuEl.querySelectorAll(".dish-card .in-cart")) {
    const n = perDish.get(Number(badgeEl.closest("[data-dish]").dataset.dish)) || 0;
    badgeEl.hidden = n === 0;
    badgeEl.textContent = n ? t("inCart", { n }) : "";
  }
}

// The cart icon gives a little jump when someone else changes the cart.
export function bump() {
  const el = $("#cart-button .cart-icon");
  el.classList.remove("is-bumped");
  void el.offsetWidth; // restart the animation
  el.classList.add("is-bumped");
}

// --- Sending a round: confirm what goes to the kitchen

// Live: a line sold out meanwhile is marked, not totalled, removable here; Confirm waits
// until it is gone (the server would refuse the round).
let confirmAlert = "";

export function renderConfirm(alertText = "") {
  confirmAlert = alertText;
  S.reviewedSeq = sock.seq; // what the diner sees is the cart as of this seq
  const groups = groupedLines();
  keepFocus(() => fill($("#confirm-body"), undoBar(),
    groups.length
      ? groups.map(([dinerId, lines]) => h("section", { class: "diner-group compact" },
        dinerHeader(dinerId, lines), h("ul", { class: "lines" }, lines.map((l) => lineRow(l, { editable: false })))))
      : h("p", { class: "empty" }, t("cartEmpty"))));
  const gone = [...new Set(visibleLines().filter(soldOut).map((l) => dishName(l.dish_id)))];
  $("#confirm-total").textContent = money(cartTotal());
  $("#confirm-send").disabled = groups.length === 0 || S.submitting || gone.length > 0;
  const text = gone.length ? t("soldOutSend", { dishes: gone.join(listSep) }) : alertText;
  const alertEl = $("#confirm-alert");
  alertEl.hidden = !text;
  alertEl.textContent = text;
}

// Draw the open confirm sheet again (the menu or the undo changed), keeping what it said.
export function refreshConfirm() {
  if (isOpen(confirmSheet) && !S.submitting) renderConfirm(confirmAlert);
}

// --- Rounds sent to the kitchen

export const statusLabel = (status) => t(`status_${status}`);
// A round held for staff (the first of a meal a scan opened) says so while it is `submitted`.
const orderLabel = (order) =>
  statusLabel(order.awaiting_confirmation && order.status === "submitted" ? "awaiting" : order.status);
const sortedOrders = () => [...S.orders.values()].sort((a, b) => b.round - a.round);

function progress(order) {
  // Cancelled: the head's pill says so once; here, why, when staff said.
  if (order.status === "cancelled") {
    return order.cancel_reason ? h("p", { class: "cancel-reason" }, t("cancelReason", { reason: order.cancel_reason })) : null;
  }
  const at = STATUSES.indexOf(order.status);
  return h("ol", { class: "progress", "aria-label": statusLabel(order.status) },
    STATUSES.map((s, i) => h("li", { class: `${i < at ? "is-done" : ""}${i === at ? " is-current" : ""}`,
      "aria-current": i === at ? "step" : null }, h("span", { class: "step-label" }, statusLabel(s)))));
}

// A dish's state; 催菜 once late, not done, not hurried for 5 min, its round not held.
let hurryTimer = null;
function dishState(item, soonest, held) {
  const live = /^(queued|cooking|ready)$/.test(item.status) && item.nudge_after && !held;
  const wait = Math.max(Date.parse(item.nudge_after), Date.parse(item.nudged_at || 0) + 3e5) - Date.now();
  if (live && wait > 0) soonest.ms = Math.min(soonest.ms, wait);
  return item.status && h("span", { class: "dish-state" },
    h("span", { class: `status-pill is-${item.status}` }, t(`item_${item.status}`)),
    item.void_reason && h("span", { class: "cancel-reason" }, item.void_reason),
    live && item.nudged_at && h("span", { class: "line-by" }, t("nudged")),
    live && wait <= 0 && h("button", { type: "button", class: "btn btn-secondary btn-remove", "data-nudge": item.item_id }, t("hurry")));
}

export function renderOrders() {
  const orders = sortedOrders();
  const strip = $("#orders-strip");
  strip.hidden = orders.length === 0;
  if (orders.length) {
    // Every round, newest first, each with where it stands.
    strip.dataset.status = orders[0].status;
    fill(strip,
      h("span", { class: "strip-orders" }, orders.map((order) => {
        const at = STATUSES.indexOf(order.status);
        return h("span", { class: "strip-order", "data-order": order.order_id, "data-status": order.status },
          h("span", { class: "strip-round" }, t("round", { n: order.round })),
          h("span", { class: `status-pill is-${order.status}` }, orderLabel(order)),
          h("span", { class: "mini-progress", "aria-hidden": "true" },
            STATUSES.map((s, i) => h("i", { class: order.status !== "cancelled" && i <= at ? "is-on" : "" }))));
      })),
      icon("chevron"));
  }
  clearTimeout(hurryTimer);
  if (!isOpen(ordersSheet)) return;
  const soonest = { ms: Infinity }; // when the next Hurry is due
  fill($("#orders-body"), orders.length
    ? orders.map((order) => h("article", { class: "order-card", "data-order": order.order_id },
      h("div", { class: "order-head" },
        h("h3", {}, t("round", { n: order.round })),
        h("span", { class: `status-pill is-${order.status}` }, orderLabel(order))),
      progress(order),
      h("ul", { class: "lines" }, order.items.map((item) => h("li", { class: "line" },
        h("div", { class: "line-main" },
          h("span", { class: "line-name" }, `${item.qty} × ${dishName(item.dish_id, item.name)}`),
          item.options.length ? h("span", { class: "line-options" }, optionNames(item.options, item.option_names)) : null,
          item.set_name ? h("span", { class: "line-options" }, dishName(item.set_dish_id, item.set_name)) : null, // 套餐: of which set
          item.note ? h("span", { class: "line-note" }, `“${item.note}”`) : null,
          sharedTag(item),
          h("span", { class: "line-by" }, dot(S.diners.get(item.added_by)?.color || "#999"), dinerName(item.added_by)),
          dishState(item, soonest, order.awaiting_confirmation)),
        h("div", { class: "line-side" }, h("span", { class: "line-price" }, money(item.price * item.qty)))))),
      h("div", { class: "order-foot" },
        h("span", { class: "muted" }, t("sentBy", { name: dinerName(order.by), time: clock(order.created_at) })),
        h("strong", {}, money(order.total)))))
    : h("p", { class: "empty" }, t("noOrders")));
  if (soonest.ms < Infinity) hurryTimer = setTimeout(renderOrders, soonest.ms + 500);
}

// --- Who is at the table

export function renderDiners() {
  const diners = [...S.diners.values()];
  const ordered = [...diners.filter((d) => d.diner_id === S.me), ...diners.filter((d) => d.diner_id !== S.me)];
  const shown = ordered.slice(0, 4);
  fill($("#diner-avatars"), ...shown.map((d) => avatar(d, d.diner_id === S.me ? "is-me" : "")),
    ordered.length > 4 ? h("span", { class: "avatar more" }, `+${ordered.length - 4}`) : "");
  $("#people-button .visually-hidden").textContent = t("peopleLabel", { n: diners.length });
  if (!isOpen(peopleSheet)) return;
  fill($("#people-list"), ...ordered.map((d) => h("li", {},
    avatar(d),
    h("span", { class: "diner-name" }, d.name, d.diner_id === S.me ? h("span", { class: "me" }, ` (${t("you")})`) : null),
    h("span", { class: `presence ${S.online.has(d.diner_id) ? "is-online" : ""}` },
      S.online.has(d.diner_id) ? t("online") : t("away")))));
}

// --- The whole page

export function render() {
  renderCartBar();
  renderDiners();
  renderOrders();
  renderCalls();
  if (isOpen(cartSheet)) renderCartSheet();
}

export function showEnded(titleKey, textKey, canReload) {
  for (const dialog of document.querySelectorAll("dialog.sheet")) closeSheet(dialog);
  $("#ended-title").textContent = t(titleKey);
  $("#ended-text").textContent = t(textKey);
  $("#ended-reload").hidden = !canReload;
  document.body.classList.add("is-ended");
  openSheet($("#ended-sheet"));
}
