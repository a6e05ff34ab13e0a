// What a diner's taps do: each sends an op (or fetches) and redraws; the server's events
// (table_events.js) confirm it. Calling a waiter: table_calls.js.

import {
  $, closeDialog as closeSheet, fill, h, isOpen, moneyFormatter, openDialog as openSheet, toast,
} from "./ui.js";
import { onMenuOutdated, refreshDishSheet } from "./table_dish.js";
import { errorText, showError, soldOutNames, stockNames } from "./table_errors.js";
import { renderMenu, renderMenuError, updateDishCard } from "./table_menu.js";
import {
  cartSheet, confirmSheet, dot, ordersSheet, peopleSheet, refreshConfirm, render, renderCartSheet, renderConfirm,
  renderDiners, renderOrders, statusLabel,
} from "./table_render.js";
import { S, cartCount, config, dishName, itemById, setMenu, settlePending, shownQty, sock, t } from "./table_state.js";

export { waiterCooldown } from "./table_calls.js";

// --- Menu

// One fetch at a time (a change announced meanwhile fetches once more after it); settles
// with the newest menu it could get.
let menuLoading = null;
let menuAgain = false;

export function loadMenu() {
  if (menuLoading) {
    menuAgain = true;
    return menuLoading;
  }
  menuLoading = (async () => {
    do {
      menuAgain = false;
      await fetchMenu();
    } while (menuAgain);
    menuLoading = null;
  })();
  return menuLoading;
}
onMenuOutdated(loadMenu);

async function fetchMenu() {
  const first = S.menuVersion === null;
  try {
    const response = await fetch(config.menuUrl, { credentials: "same-origin", cache: first ? "default" : "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    setMenu(await response.json());
    renderMenu();
    render();
    refreshDishSheet();
    refreshConfirm();
  } catch {
    // No menu: say so. An old one: keep it (the next change or reconnect fetches again).
    if (first) renderMenuError(() => loadMenu());
  }
}

// --- The shared cart

// A line removed with the trash button can be put back for a few seconds, from its sheet
// (a toast cannot be tapped over one), as it was.
const UNDO_MS = 6000;
let undoTimer = null;

function offerUndo(line, qty) {
  clearTimeout(undoTimer);
  S.undo = { line, qty };
  undoTimer = setTimeout(() => {
    S.undo = null;
    render();
    refreshConfirm();
  }, UNDO_MS);
  render();
  refreshConfirm();
}

function putBack() {
  const { line, qty } = S.undo || {};
  if (!line) return;
  clearTimeout(undoTimer);
  S.undo = null;
  render();
  refreshConfirm();
  sock.send("cart.add", { dish_id: line.dish_id, qty, options: line.options, note: line.note, added_by: line.added_by, shared: line.shared, takeaway: line.takeaway })
    .catch(showError);
}

function setQty(line, qty) {
  const id = line.line_id;
  const before = shownQty(line);
  S.pending.set(id, { qty, until: null });
  render();
  const op = qty === 0 ? sock.send("cart.remove", { line_id: id }) : sock.send("cart.set_qty", { line_id: id, qty });
  op.then((ack) => {
    const mine = S.pending.get(id);
    if (mine && mine.qty === qty) mine.until = ack.seq; // shown until the event with that seq
    settlePending();
    render();
    if (qty === 0) offerUndo(line, before);
  }).catch((err) => {
    if (S.pending.get(id)?.qty === qty) S.pending.delete(id);
    render();
    showError(err);
  });
}

// The cart sheet's steppers, and the confirm sheet's (there only a sold-out line has one).
function onStep(e) {
  if (e.target.closest("[data-undo]")) return putBack();
  const button = e.target.closest("[data-set-qty]");
  const line = button && S.cart.get(Number(button.closest("[data-line]").dataset.line));
  if (line) setQty(line, Number(button.dataset.setQty));
}
$("#cart-body").addEventListener("click", onStep);
$("#confirm-body").addEventListener("click", onStep);

$("#cart-button").addEventListener("click", () => {
  renderCartSheet();
  openSheet(cartSheet);
});

// --- Sending a round

function openConfirm() {
  renderConfirm();
  openSheet(confirmSheet);
}
$("#checkout-button").addEventListener("click", openConfirm);
$("#cart-submit").addEventListener("click", openConfirm);

$("#confirm-send").addEventListener("click", async () => {
  const button = $("#confirm-send");
  const label = button.textContent;
  S.submitting = true;
  button.disabled = true;
  button.textContent = t("sending");
  try {
    await sock.send("order.submit", { seq: S.reviewedSeq ?? 0 });
    closeSheet(confirmSheet);
    closeSheet(cartSheet);
  } catch (err) {
    if (err.code === "stale") renderConfirm(t("cartChanged"));
    else if (err.code === "empty_cart") renderConfirm(t("emptyCart"));
    else if (err.code === "sold_out") {
      // 限量 (`detail: "stock"`): fewer portions left than the cart asks; `left` says how many.
      const left = err.reply.left || {};
      // Options sold out (`option_ids`): those options are, not their dishes.
      for (const id of err.reply.option_ids || []) if (S.options.has(id)) S.options.get(id).sold_out = true;
      for (const id of err.reply.option_ids ? [] : err.reply.dish_ids || []) {
        const dish = S.dishes.get(id);
        if (!dish) continue;
        if (id in left) dish.stock = left[id];
        dish.sold_out = !(id in left) || left[id] === 0;
        updateDishCard(dish);
      }
      renderConfirm(err.reply.detail === "stock" ? t("stockShort", { dishes: stockNames(err) })
        : t("soldOutSend", { dishes: soldOutNames(err) }));
    } else if (err.code !== "closed") renderConfirm(errorText(err));
  } finally {
    S.submitting = false;
    button.textContent = label;
    button.disabled = cartCount() === 0;
    refreshConfirm(); // Confirm as the cart now allows (a sold-out line keeps it disabled)
  }
});

// --- Rounds sent to the kitchen, and the bill

$("#orders-strip").addEventListener("click", () => {
  openSheet(ordersSheet);
  renderOrders();
});

// 催菜: hurry a late dish (too early, just hurried: table_errors.js says so).
$("#orders-body").addEventListener("click", (e) => {
  const button = e.target.closest("[data-nudge]");
  if (!button) return;
  button.disabled = true;
  const id = Number(button.dataset.nudge);
  sock.send("item.nudge", { item_id: id }).then(() => {
    itemById(id).nudged_at = new Date().toISOString();
    toast(t("nudged"), "is-ok");
  }).catch(showError).finally(renderOrders);
});

const billSheet = $("#bill-sheet");
$("#bill-button").addEventListener("click", async () => {
  const body = $("#bill-body");
  fill(body, h("p", { class: "muted" }, t("billLoading")));
  $("#bill-total").textContent = "";
  closeSheet(ordersSheet);
  openSheet(billSheet);
  try {
    const response = await fetch(config.billUrl, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const bill = await response.json();
    const fmt = moneyFormatter(bill.currency || config.currency);
    $("#bill-total").textContent = fmt(bill.total);
    if (!bill.orders.length) return fill(body, h("p", { class: "empty" }, t("billEmpty")));
    fill(body,
      h("ul", { class: "bill-diners" }, bill.per_diner.filter((d) => d.total > 0).map((d) =>
        h("li", {}, dot(d.color || S.diners.get(d.diner_id)?.color || "#999"),
          h("span", { class: "diner-name" }, d.name, d.diner_id === S.me ? ` (${t("you")})` : ""),
          h("strong", {}, fmt(d.total))))),
      h("ul", { class: "bill-rounds" }, bill.orders.map((o) => h("li", {},
        h("span", {}, `${t("round", { n: o.round })} · ${statusLabel(o.status)}`), h("span", {}, fmt(o.total))))));
  } catch {
    fill(body, h("p", { class: "alert" }, t("billError")));
  }
});

// --- Who is at the table; renaming yourself

$("#people-button").addEventListener("click", () => {
  openSheet(peopleSheet);
  renderDiners();
  $("#rename-input").value = S.diners.get(S.me)?.name || "";
  $("#rename-hint").classList.remove("is-error");
});

$("#rename-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("#rename-input");
  const name = input.value.split(/\s+/).filter(Boolean).join(" ");
  const hint = $("#rename-hint");
  if (name.length < 1 || name.length > 24) {
    hint.textContent = t("nameInvalid");
    hint.classList.add("is-error");
    input.focus();
    return;
  }
  hint.classList.remove("is-error");
  sock.send("diner.rename", { name }).then(() => {
    toast(t("nameSaved"), "is-ok");
    closeSheet(peopleSheet);
  }).catch((err) => {
    hint.textContent = errorText(err);
    hint.classList.add("is-error");
  });
});
