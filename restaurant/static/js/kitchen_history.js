// "Served today": the shift's served and cancelled tickets, last finished first, from
// GET /kitchen/api/recent/. A ticket whose last move is still within the recall window has a
// Recall button (the server says until when; its clock, not this tablet's, decides).

import { $, clock, fill, h, openDialog, wireDialog } from "./ui.js";
import { CONFIG, dishName, icon, t, tableName } from "./kitchen_state.js";

const panel = $("#history-panel");
const list = $("#history-list");
const H = { orders: [], skew: 0, state: "idle", busy: new Set() }; // skew: server minus local ms
let recall = () => Promise.resolve();
let ticker = null;

export async function loadHistory() {
  H.state = H.orders.length ? "ready" : "loading";
  render();
  try {
    const response = await fetch(CONFIG.recentUrl, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    H.skew = Date.parse(data.now) - Date.now();
    H.orders = data.orders;
    H.state = "ready";
  } catch {
    H.state = "error";
  }
  render();
}

const left = (order) => (order.recall_until ? Date.parse(order.recall_until) - (Date.now() + H.skew) : 0);

function row(order) {
  const ms = left(order);
  const items = order.items.map((i) => `${i.qty}× ${dishName(i.dish_id, i.name)}`).join(", ");
  return h("li", { class: `history-row is-${order.status}`, "data-order": order.order_id },
    h("span", { class: "tc-table", "aria-hidden": "true" }, String(order.table.number)),
    h("div", { class: "history-what" },
      h("strong", {}, `${tableName(order.table)} · ${t("round", { n: order.round })}`),
      h("span", { class: "history-items" }, items),
      h("span", { class: "history-when" },
        h("span", { class: `history-status is-${order.status}` }, t(`status_${order.status}`)),
        " · ", clock(order.finished_at),
        order.cancel_reason ? ` · ${order.cancel_reason}` : "")),
    ms > 0
      ? h("button", { type: "button", class: "btn btn-secondary history-recall", "data-recall": "",
        disabled: H.busy.has(order.order_id) }, icon("undo"), t("recall"),
        h("span", { class: "history-left" }, ` ${Math.ceil(ms / 1000)} s`))
      : null);
}

function render() {
  if (!panel.open) return;
  list.setAttribute("aria-busy", String(H.state === "loading"));
  if (H.state === "error") {
    fill(list, h("div", { class: "empty" }, h("p", {}, t("historyError")),
      h("button", { type: "button", class: "btn btn-secondary", onclick: loadHistory }, t("retry"))));
  } else if (H.state === "ready") {
    fill(list, H.orders.length ? h("ul", { class: "history-list" }, H.orders.map(row))
      : h("p", { class: "empty" }, t("historyEmpty")));
  }
}

// An order moved to or from served/cancelled: the open panel fetches the list again.
export function historyChanged() {
  if (panel.open) loadHistory();
}

export function initHistory(recallOrder) {
  recall = recallOrder;
  $("#history-button").addEventListener("click", () => {
    openDialog(panel);
    loadHistory();
    clearInterval(ticker);
    ticker = setInterval(() => {
      // Count the recall windows down; drop the buttons whose time is up.
      for (const li of list.querySelectorAll(".history-row")) {
        const order = H.orders.find((o) => o.order_id === Number(li.dataset.order));
        const ms = order ? left(order) : 0;
        const button = $("[data-recall]", li);
        if (button && ms <= 0) button.remove();
        else if (button) $(".history-left", button).textContent = ` ${Math.ceil(ms / 1000)} s`;
      }
    }, 1000);
  });
  panel.addEventListener("close", () => clearInterval(ticker));
  wireDialog(panel);
  list.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-recall]");
    if (!button || button.disabled) return;
    const orderId = Number(button.closest("[data-order]").dataset.order);
    H.busy.add(orderId);
    button.disabled = true;
    recall(orderId).finally(() => {
      H.busy.delete(orderId);
      loadHistory();
    });
  });
}
