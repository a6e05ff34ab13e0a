// A station's history for the shift: its dishes served or taken back, the last first, from
// GET /kitchen/api/recent/?station=<code>. A dish whose last move may still be taken back has a
// Recall button: the server says until when (`recall_until`, by its clock: `now`), and decides
// (a dish served with its whole round is recalled with the round, on the expo).

import { $, clock, fill, h, openDialog, wireDialog } from "./ui.js";
import { CONFIG, dishName, icon, t, tableName } from "./kitchen_state.js";
import { recallItem } from "./kitchen_items.js";

const panel = $("#history-panel");
const list = $("#history-list");
const H = { items: [], skew: 0, state: "idle", busy: new Set() }; // skew: server minus local ms
let ticker = null;

async function load() {
  H.state = H.items.length ? "ready" : "loading";
  render();
  try {
    const url = `${CONFIG.recentUrl}?station=${encodeURIComponent(CONFIG.station.code)}`;
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const data = await response.json();
    H.skew = Date.parse(data.now) - Date.now();
    H.items = data.items;
    H.state = "ready";
  } catch {
    H.state = "error";
  }
  render();
}

const left = (item) => (item.recall_until ? Date.parse(item.recall_until) - (Date.now() + H.skew) : 0);
// The dish's name in the page's language (the name it was sent with where the menu has none).
const nameOf = (item) => dishName(item.dish_id, item.name);

function row(item) {
  const ms = left(item);
  const kind = item.status === "voided" ? "cancelled" : "served";
  return h("li", { class: `history-row is-${kind}`, "data-item-row": item.item_id },
    h("span", { class: "tc-table", "aria-hidden": "true" }, String(item.table.number)),
    h("div", { class: "history-what" },
      h("strong", {}, `${item.qty}× ${nameOf(item)}`),
      h("span", { class: "history-items" }, `${tableName(item.table)} · ${t("round", { n: item.round })}`),
      h("span", { class: "history-when" },
        h("span", { class: `history-status is-${kind}` }, t(`item_${item.status}`)),
        " · ", clock(item.status_at),
        item.void_reason ? ` · ${item.void_reason}` : "")),
    ms > 0
      ? h("button", { type: "button", class: "btn btn-secondary history-recall", "data-recall": item.item_id,
        disabled: H.busy.has(item.item_id) }, icon("undo"), t("recall"),
        h("span", { class: "history-left" }, ` ${Math.ceil(ms / 1000)} s`))
      : null);
}

function render() {
  if (!panel.open) return;
  list.setAttribute("aria-busy", String(H.state === "loading"));
  if (H.state === "error") {
    fill(list, h("div", { class: "empty" }, h("p", {}, t("historyError")),
      h("button", { type: "button", class: "btn btn-secondary", onclick: load }, t("retry"))));
  } else if (H.state === "ready") {
    fill(list, H.items.length ? h("ul", { class: "history-list" }, H.items.map(row))
      : h("p", { class: "empty" }, t("historyEmpty")));
  }
}

// The recall windows count down in place (a redraw would swallow a tap under way).
function countDown() {
  for (const button of list.querySelectorAll("[data-recall]")) {
    const item = H.items.find((i) => i.item_id === Number(button.dataset.recall));
    const ms = item ? left(item) : 0;
    if (ms <= 0) button.remove();
    else $(".history-left", button).textContent = ` ${Math.ceil(ms / 1000)} s`;
  }
}

// A dish of this station was served, taken back or recalled: the open panel fetches again.
export function stationHistoryChanged() {
  if (panel.open) load();
}

export function initStationHistory() {
  $("#history-button").addEventListener("click", () => {
    openDialog(panel);
    load();
    clearInterval(ticker);
    ticker = setInterval(countDown, 1000);
  });
  panel.addEventListener("close", () => clearInterval(ticker));
  wireDialog(panel);
  list.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-recall]");
    if (!button || button.disabled) return;
    const itemId = Number(button.dataset.recall);
    H.busy.add(itemId);
    button.disabled = true;
    recallItem(itemId).finally(() => {
      H.busy.delete(itemId);
      load();
    });
  });
}
