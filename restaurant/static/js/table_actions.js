// What a diner's taps do: load the menu, change a cart line, send a round, see the rounds and
// the bill, rename, call a waiter. Each sends an op (or fetches) and redraws; the server's
// events (table_events.js) then confirm it.

import {
  $, closeDialog as closeSheet, fill, h, listSep, moneyFormatter, openDialog as openSheet, toast,
} from "./ui.js";
import { renderMenu, renderMenuError } from "./table_menu.js";
import {
  cartSheet, confirmSheet, dot, ordersSheet, peopleSheet, render, renderCartSheet, renderConfirm, renderDiners,
  renderOrders, showError, statusLabel,
} from "./table_render.js";
import {
  S, WAITER_COOLDOWN_MS, cartCount, config, dishName, setMenu, settlePending, sock, t,
} from "./table_state.js";

// --- Menu ----------------------------------------------------------------------------------------

export async function loadMenu() {
  try {
    const response = await fetch(config.menuUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    setMenu(await response.json());
    renderMenu();
    render();
  } catch {
    renderMenuError(() => loadMenu());
  }
}

// --- The shared cart --------------------------------------------------------------------------

function setQty(line, qty) {
  const id = line.line_id;
  S.pending.set(id, { qty, until: null });
  render();
  const op = qty === 0 ? sock.send("cart.remove", { line_id: id }) : sock.send("cart.set_qty", { line_id: id, qty });
  op.then((ack) => {
    const mine = S.pending.get(id);
    if (mine && mine.qty === qty) mine.until = ack.seq; // shown until the event with that seq
    settlePending();
    render();
  }).catch((err) => {
    if (S.pending.get(id)?.qty === qty) S.pending.delete(id);
    render();
    showError(err);
  });
}

$("#cart-body").addEventListener("click", (e) => {
  const button = e.target.closest("[data-set-qty]");
  const line = button && S.cart.get(Number(button.closest("[data-line]").dataset.line));
  if (line) setQty(line, Number(button.dataset.setQty));
});

$("#cart-button").addEventListener("click", () => {
  renderCartSheet();
  openSheet(cartSheet);
});

// --- Sending a round ---------------------------------------------------------------------------

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
      for (const id of err.reply.dish_ids || []) {
        const dish = S.dishes.get(id);
        if (dish) dish.sold_out = true;
      }
      const names = (err.reply.dish_ids || []).map((id) => dishName(id)).join(listSep);
      renderConfirm(t("soldOutSend", { dishes: names }));
    } else if (err.code !== "closed") renderConfirm(t("failed", { message: err.message }));
  } finally {
    S.submitting = false;
    button.textContent = label;
    button.disabled = cartCount() === 0;
  }
});

// --- Rounds sent to the kitchen, and the bill ----------------------------------------------------

$("#orders-strip").addEventListener("click", () => {
  openSheet(ordersSheet);
  renderOrders();
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

// --- Who is at the table; renaming yourself ----------------------------------------------------------

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
    hint.textContent = err.code === "bad_request" ? t("nameInvalid") : t("failed", { message: err.message });
    hint.classList.add("is-error");
  });
});

// --- Calling a waiter -------------------------------------------------------------------------------

const waiterSheet = $("#waiter-sheet");
const waiterButton = $("#waiter-button");
let waiterTimer = null;

export function waiterCooldown() {
  const until = Number(sessionStorage.getItem("waiter-until") || 0);
  const left = Math.ceil((until - Date.now()) / 1000);
  clearTimeout(waiterTimer);
  waiterButton.disabled = left > 0;
  $("#waiter-cooldown").textContent = left > 0 ? String(left) : "";
  waiterButton.title = left > 0 ? t("waiterWait", { s: left }) : "";
  if (left > 0) waiterTimer = setTimeout(waiterCooldown, 1000);
}

waiterButton.addEventListener("click", () => openSheet(waiterSheet));
waiterSheet.addEventListener("click", (e) => {
  const reason = e.target.closest("[data-reason]")?.dataset.reason;
  if (!reason) return;
  closeSheet(waiterSheet);
  sessionStorage.setItem("waiter-until", String(Date.now() + WAITER_COOLDOWN_MS));
  waiterCooldown();
  sock.send("waiter.call", { reason }).then(() => toast(t("waiterCalled"), "is-ok")).catch((err) => {
    sessionStorage.removeItem("waiter-until");
    waiterCooldown();
    showError(err);
  });
});
