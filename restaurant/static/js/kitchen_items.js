// Each dish of a round on the kitchen's screens, shared by the expo (kitchen.js) and the station
// boards (kitchen_station.js): its state chip, its next move, how late it is, a diner's nudge
// (催菜), the item dialog (skip ahead, take some or all of it back: 退菜, or give it free: 赠菜,
// with a reason) and the one undo bar.
//
// The server decides every move: a tap sends `item.set_status` and waits for its ack (the dish
// shows busy meanwhile); the `item.status` event then tells every screen, this one included.

import { $, closeDialog, h, openDialog, toast, wireDialog } from "./ui.js";
import { S, dishName, errorText, icon, now, optionNames, since, stationName, t, tableName } from "./kitchen_state.js";

export const STEPS = ["queued", "cooking", "ready", "served"];

// The meal's guest count and its whole-order note (整单备注), on each of its rounds.
export function mealLine(order) {
  const meal = order.meal;
  if (!meal || (!meal.guests && !meal.note)) return null;
  return h("p", { class: "tc-meal", role: "note" },
    meal.guests ? h("span", { class: "tc-guests" }, icon("people"), t("guests", { n: meal.guests })) : null,
    meal.note ? h("span", { class: "tc-note tc-meal-note" }, icon("note"), h("span", {}, meal.note)) : null);
}

export const LIVE = new Set(["queued", "cooking", "ready"]);
const NUDGE_FLASH = 15_000; // a nudged dish flashes this long (its mark stays until it is served)
const UNDO_FOR = 10_000; // the undo bar stays this long (the server allows longer)

export const itemLabel = (status) => t(`item_${status}`);

// ms past the time a diner may nudge it; negative while it is on time (or done).
export function lateBy(item, at = now()) {
  if (!item.nudge_after || !LIVE.has(item.status)) return -1;
  return at - Date.parse(item.nudge_after);
}

// "Late" in its first minute, then "12 min late".
export const lateText = (ms) => (ms < 60_000 ? t("lateNow") : t("lateBy", { time: since(ms) }));

export const chip = (item) => h("span", { class: `item-chip is-${item.status}` }, itemLabel(item.status));

// The marks beside a dish: on the house, late (and by how much), nudged by the table (and how
// often).
export function marks(item, at = now()) {
  const late = lateBy(item, at);
  const nudged = item.nudged_at && LIVE.has(item.status);
  return [
    item.comped ? h("span", { class: "item-comped" }, t("comped")) : null, // on the house (赠菜)
    late >= 0 ? h("span", { class: "item-late" }, lateText(late)) : null,
    nudged ? h("span", { class: "item-nudged" }, icon("fire"), t("nudgedMark", { n: item.nudges || 1 })) : null,
  ];
}

export const isFlashing = (itemId) => (S.nudged.get(itemId) || 0) > now();

export function findItem(itemId) {
  for (const order of S.orders.values()) {
    const item = order.items.find((i) => i.item_id === itemId);
    if (item) return [order, item];
  }
  return [null, null];
}

function setState(item, change) {
  item.status = change.status;
  if (change.status_at) item.status_at = change.status_at;
  item.void_reason = change.void_reason || "";
}

// `item.status`: the dish and its round as they now are. Null when this screen does not have the
// round (its `order.new` was lost): the caller asks for a snapshot.
export function applyItemStatus(ev) {
  const [order, item] = findItem(ev.item_id);
  if (!item) return null;
  setState(item, ev);
  if (ev.order_status) order.status = ev.order_status;
  return order;
}

// `order.status` carries the dishes a whole-round move (or its recall) moved.
export function applyRoundItems(order, ev) {
  for (const moved of ev.items || []) {
    const item = order?.items.find((i) => i.item_id === moved.item_id);
    if (item) setState(item, moved);
  }
}

// `item.nudge`: a diner hurried a late dish. Returns the toast's words.
export function applyNudge(ev) {
  const [, item] = findItem(ev.item_id);
  if (item) {
    item.nudged_at = ev.at;
    item.nudges = ev.nudges;
  }
  S.nudged.set(ev.item_id, now() + NUDGE_FLASH);
  return t("nudgeToast", {
    table: tableName(ev.table), qty: ev.qty, dish: item ? dishName(item.dish_id, ev.name) : ev.name,
    late: lateText(Math.max(0, ev.late_seconds) * 1000),
  });
}

// --- Moves, the undo bar, the item dialog -----------------------------------------------------

let send = () => Promise.reject(new Error("not wired"));
let redraw = () => {};
let afterMove = () => {};

// send(type, fields) -> Promise (the page's socket); render() redraws; moved(status) after an ack.
export function initItems(options) {
  ({ send, render: redraw } = options);
  afterMove = options.moved || afterMove;
}

export function moveItem(itemId, status, reason = "") {
  const [order, item] = findItem(itemId);
  if (!item || S.busyItems.has(itemId)) return;
  S.busyItems.add(itemId);
  redraw();
  send("item.set_status", { item_id: itemId, status, ...(reason ? { reason } : {}) })
    .then(() => {
      // The ack means it is committed: show it now, whether or not the event comes first.
      setState(item, { status, status_at: new Date(now()).toISOString(), void_reason: reason });
      const dish = `${item.qty}× ${dishName(item.dish_id, item.name)}`;
      offerUndo(t("itemMoved", { table: tableName(order.table), dish, status: itemLabel(status) }), () => recallItem(itemId));
      afterMove(status);
    })
    .catch((err) => {
      toast(errorText(err), "is-error");
      if (err.code === "conflict" || err.code === "not_found") send("sync").catch(() => {});
    })
    .finally(() => {
      S.busyItems.delete(itemId);
      redraw();
    });
}

export function recallItem(itemId) {
  return send("item.recall", { item_id: itemId })
    .then(() => {
      toast(t("itemRecalled"));
      send("sync").catch(() => {}); // the event brings it back too; this makes sure
    })
    .catch((err) => toast(errorText(err), "is-error"));
}

// One bar at the bottom: the last move made here, with Undo, for UNDO_FOR.
const undoBar = $("#undo-bar");
let undoing = null; // {action, timer}

export function offerUndo(text, action) {
  clearTimeout(undoing?.timer);
  undoing = { action, timer: setTimeout(hideUndo, UNDO_FOR) };
  $("#undo-text").textContent = text;
  undoBar.hidden = false;
  // Restart the countdown line: a new move gets the whole time again.
  const line = $(".undo-time", undoBar);
  line.classList.remove("is-running");
  void line.offsetWidth;
  line.classList.add("is-running");
}

export function hideUndo() {
  clearTimeout(undoing?.timer);
  undoing = null;
  undoBar.hidden = true;
}

$("#undo-button").addEventListener("click", () => {
  const action = undoing?.action;
  hideUndo();
  action?.();
});

// The item dialog: where the dish is, every move ahead of it, and taking it back with a reason.
const dialog = $("#item-dialog");
const reasonInput = $("#void-reason");
let asked = null; // item id

export function askItem(itemId) {
  const [order, item] = findItem(itemId);
  if (!item) return;
  asked = itemId;
  const options = optionNames(item);
  $("#item-title").textContent = `${item.qty}× ${dishName(item.dish_id, item.name)}`;
  // replaceChildren, unlike h(), would print a null as the text "null": only what is there.
  $("#item-where").replaceChildren(...[
    h("span", {}, `${tableName(order.table)} · ${t("round", { n: order.round })}`),
    item.station_id ? h("span", {}, ` · ${stationName(item.station_id)}`) : null,
    " ", chip(item),
    options.length ? h("span", { class: "item-dialog-options" }, options.join(" · ")) : null,
    item.note ? h("span", { class: "tc-note" }, icon("note"), h("span", {}, item.note)) : null,
  ].filter((part) => part !== null));
  const held = Boolean(order.awaiting_confirmation);
  const at = STEPS.indexOf(item.status);
  $("#item-moves").replaceChildren(...STEPS.slice(at + 1).map((status) => h("button", {
    type: "submit", class: `btn act-next to-item-${status}`, value: status, disabled: held,
  }, t(`to_item_${status}`))));
  $("#item-held").hidden = !held;
  reasonInput.value = "";
  $("#void-confirm").disabled = true;
  adjustReset(item, held);
  dialog.returnValue = "";
  openDialog(dialog);
}

// Taking some or all of a dish back, or giving it free, with one of the restaurant's reasons
// (`item.adjust`; the page lists them: adjustBox is absent where the restaurant keeps none, and
// the free-text void above stands instead). The stepper starts at all of it.
const adjustBox = $("#adjust-box");
const adjust = { qty: 1, of: 1, kind: null, reasonId: null };

function adjustShow() {
  if (!adjustBox) return;
  $("#adjust-n").textContent = String(adjust.qty);
  $("#adjust-of").textContent = t("adjustOf", { n: adjust.of });
  for (const step of adjustBox.querySelectorAll("[data-step]")) {
    const next = adjust.qty + Number(step.dataset.step);
    step.disabled = next < 1 || next > adjust.of;
  }
  for (const chipEl of adjustBox.querySelectorAll("[data-reason-id]")) {
    const on = chipEl.dataset.adjust === adjust.kind && Number(chipEl.dataset.reasonId) === adjust.reasonId;
    chipEl.setAttribute("aria-pressed", String(on));
  }
  const confirm = $("#adjust-confirm");
  confirm.disabled = adjust.reasonId == null;
  confirm.classList.toggle("is-comp", adjust.kind === "comp");
  confirm.textContent = adjust.reasonId == null ? t("adjustPick")
    : t(adjust.kind === "comp" ? "adjustComp" : "adjustVoid", { n: adjust.qty });
}

function adjustReset(item, held) {
  if (!adjustBox) return;
  // A dish taken back has nothing left to adjust; a comped one may still be taken back.
  adjustBox.hidden = item.status === "voided" || held;
  Object.assign(adjust, { qty: item.qty, of: item.qty, kind: null, reasonId: null });
  for (const chipEl of adjustBox.querySelectorAll('[data-adjust="comp"]')) chipEl.disabled = Boolean(item.comped);
  adjustShow();
}

adjustBox?.addEventListener("click", (e) => {
  const step = e.target.closest("[data-step]");
  if (step) {
    adjust.qty = Math.min(adjust.of, Math.max(1, adjust.qty + Number(step.dataset.step)));
    adjustShow();
    return;
  }
  const reason = e.target.closest("[data-reason-id]");
  if (!reason || reason.disabled) return;
  adjust.kind = reason.dataset.adjust;
  adjust.reasonId = Number(reason.dataset.reasonId);
  adjustShow();
});

function adjustItem(itemId, { qty, kind, reasonId }) {
  const [, item] = findItem(itemId);
  if (!item || S.busyItems.has(itemId)) return;
  const waits = adjustBox.dataset.approval === "1";
  const dish = `${qty}× ${dishName(item.dish_id, item.name)}`;
  S.busyItems.add(itemId);
  redraw();
  send("item.adjust", { item_id: itemId, kind, qty, reason_id: reasonId })
    .then(() => {
      if (waits) toast(t("adjustPending", { dish }), "is-notice");
      else toast(t(kind === "comp" ? "adjustCompDone" : "adjustVoidDone", { dish }), "is-ok");
    })
    .catch((err) => toast(errorText(err), "is-error"))
    .finally(() => {
      S.busyItems.delete(itemId);
      // A part is a new dish of the round: the board takes the round as it now is.
      send("sync").catch(() => {});
      redraw();
    });
}

reasonInput.addEventListener("input", () => {
  $("#void-confirm").disabled = !reasonInput.value.trim();
});
// A quick reason fills the field (it can still be changed before confirming).
$("#void-reasons").addEventListener("click", (e) => {
  const button = e.target.closest("[data-reason]");
  if (!button) return;
  reasonInput.value = button.textContent;
  $("#void-confirm").disabled = false;
  reasonInput.focus();
});
reasonInput.addEventListener("keydown", (e) => {
  if (e.key !== "Enter") return;
  e.preventDefault();
  if (reasonInput.value.trim()) closeDialog(dialog, "voided");
});
dialog.addEventListener("close", () => {
  const status = dialog.returnValue;
  if (asked != null && status === "adjust" && adjust.reasonId != null) {
    adjustItem(asked, { ...adjust });
  } else if (asked != null && (STEPS.includes(status) || status === "voided")) {
    moveItem(asked, status, status === "voided" ? reasonInput.value.trim() : "");
  }
  asked = null;
});
wireDialog(dialog);

// Long-press (or a right click) on a dish opens its dialog; a plain tap does what `tap` says.
// Returns the handlers to put on a board.
export function pressable(board, tap) {
  let timer = null;
  let pressed = false;
  board.addEventListener("pointerdown", (e) => {
    const el = e.target.closest("[data-item]");
    pressed = false;
    clearTimeout(timer);
    if (!el || e.button > 0) return;
    timer = setTimeout(() => {
      pressed = true;
      askItem(Number(el.dataset.item));
    }, 550);
  });
  for (const type of ["pointerup", "pointerleave", "pointercancel"]) board.addEventListener(type, () => clearTimeout(timer));
  board.addEventListener("contextmenu", (e) => {
    const el = e.target.closest("[data-item]");
    if (!el) return;
    e.preventDefault();
    clearTimeout(timer);
    if (!pressed) askItem(Number(el.dataset.item));
    pressed = true;
  });
  board.addEventListener("click", (e) => {
    const el = e.target.closest("[data-item]");
    if (!el) return;
    if (pressed) {
      pressed = false; // the long press already opened the dialog
      return;
    }
    if (e.target.closest("[data-more]")) askItem(Number(el.dataset.item));
    else tap(Number(el.dataset.item), e);
  }, true);
}
