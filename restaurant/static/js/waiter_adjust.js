// A sent dish taken back (退菜) or given free (赠菜) from the waiter's page: how many of it, and
// one of the restaurant's reasons. `item.adjust` on the page's socket; the round's new items
// come back as `order.items` (waiter.js). Where a manager decides, the request waits for them.

import { $, closeDialog, h, localName, openDialog, toast, wireDialog } from "./ui.js";
import { S, config, dishName, sock, t } from "./waiter_state.js";

const sheet = $("#adjust-sheet");
wireDialog(sheet);
let asked = null; // {item, kind, qty, reason}

// What this person may do to a dish as it is now: nothing to a voided one; a comp only once.
export function adjustable(item, order) {
  if (item.status === "voided" || order.status === "cancelled" || order.awaiting_confirmation) return false;
  return Boolean(config.canVoid || (config.canComp && !item.comped));
}

export function openAdjust(item) {
  const kind = config.canVoid ? "void" : "comp";
  asked = { item, kind, qty: item.qty, reason: null };
  render();
  openDialog(sheet);
}

function kinds() {
  return [config.canVoid ? "void" : null, config.canComp && !asked.item.comped ? "comp" : null].filter(Boolean);
}

function render() {
  const { item, kind, qty } = asked;
  $("#adjust-title").textContent = `${dishName(item.dish_id, item.name)} × ${item.qty}`;
  const reasons = config.reasons.filter((r) => (kind === "void" ? r.for_void : r.for_comp));
  if (!reasons.some((r) => r.id === asked.reason)) asked.reason = null;
  $("#adjust-kinds").replaceChildren(...kinds().map((k) => h("button", {
    type: "button", class: `chip${k === kind ? " is-on" : ""}`, "data-kind": k, "aria-pressed": String(k === kind),
  }, t(k === "void" ? "takeBack" : "onTheHouse"))));
  $("#adjust-reasons").replaceChildren(...(reasons.length ? reasons.map((r) => h("button", {
    type: "button", class: `chip${r.id === asked.reason ? " is-on" : ""}`, "data-reason": r.id,
    "aria-pressed": String(r.id === asked.reason),
  }, localName(r))) : [h("p", { class: "muted" }, t("noReasons"))]));
  $("#adjust-qty").textContent = String(qty);
  sheet.querySelector('[data-step="-1"]').disabled = qty <= 1;
  sheet.querySelector('[data-step="1"]').disabled = qty >= item.qty;
  const go = $("#adjust-send");
  go.textContent = t(kind === "void" ? "takeBackN" : "onTheHouseN", { n: qty });
  go.disabled = asked.reason === null || S.session?.status !== "open";
  $("#adjust-hint").textContent = config.needsApproval ? t("managerDecides") : "";
}

sheet.addEventListener("click", (e) => {
  if (!asked) return;
  const kind = e.target.closest("[data-kind]");
  const reason = e.target.closest("[data-reason]");
  const step = e.target.closest("[data-step]");
  if (kind) asked.kind = kind.dataset.kind;
  else if (reason) asked.reason = Number(reason.dataset.reason);
  else if (step) asked.qty = Math.min(asked.item.qty, Math.max(1, asked.qty + Number(step.dataset.step)));
  else return;
  render();
});

$("#adjust-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!asked || asked.reason === null) return;
  const { item, kind, qty, reason } = asked;
  $("#adjust-send").disabled = true;
  try {
    await sock.send("item.adjust", { item_id: item.item_id, kind, qty, reason_id: reason });
    closeDialog(sheet);
    const words = config.needsApproval ? "adjustAsked" : kind === "void" ? "tookBack" : "gaveFree";
    toast(t(words, { qty, dish: dishName(item.dish_id, item.name) }), "is-ok");
  } catch (err) {
    toast(t("failed", { message: err.message }), "is-error");
    render();
  }
});
