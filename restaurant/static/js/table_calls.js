// Calling a waiter, and following the table's calls. A call's state (sent, seen by staff, done)
// belongs to the whole table: every phone shows the open ones in the dock and hears each change.

import { $, closeDialog as closeSheet, fill, h, icon, openDialog as openSheet, toast } from "./ui.js";
import { showError } from "./table_errors.js";
import { S, WAITER_COOLDOWN_MS, dinerName, sock, t } from "./table_state.js";

const REASONS = ["service", "water", "bill"];
export const reasonLabel = (reason) => (REASONS.includes(reason) ? t(`reason_${reason}`) : reason);
const openCalls = () =>
  [...S.calls.values()].filter((c) => c.state !== "done").sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
const stateText = (call) => t(call.state === "seen" ? "callSeen" : "callSent");

export function renderCalls() {
  const calls = openCalls();
  const strip = $("#call-status");
  strip.hidden = calls.length === 0;
  fill(strip, calls.map((call) => h("p", { class: `call-pill is-${call.state}`, "data-call": call.call_id,
    "data-state": call.state },
  icon("i-bell"), h("strong", {}, reasonLabel(call.reason)), h("span", {}, stateText(call)))));
  // In the sheet, a reason already called says how far its call got.
  for (const button of waiterSheet.querySelectorAll("[data-reason]")) {
    const call = calls.find((c) => c.reason === button.dataset.reason);
    button.querySelector(".reason-state")?.remove();
    if (call) button.append(h("span", { class: "reason-state" }, stateText(call)));
  }
}

function callToast(call) {
  const reason = reasonLabel(call.reason);
  const key = call.state === "seen" ? "callSeenToast" : call.state === "done" ? "callDoneToast" : "callSentToast";
  toast(t(key, { reason }), call.state === "done" ? "" : "is-ok", { key: "waiter", ms: 6000 });
}

// `waiter.call`, `waiter.seen`, `waiter.done`: the call as it now is.
export function applyCallEvent(ev) {
  S.calls.set(ev.call.call_id, ev.call);
  if (ev.type === "waiter.call" && ev.by !== S.me) {
    toast(t("othersCalled", { name: dinerName(ev.by), reason: reasonLabel(ev.call.reason) }), "", { key: "waiter" });
  } else callToast(ev.call);
}

// --- The waiter sheet

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
  sock.send("waiter.call", { reason }).then(() => {
    // A call of this reason was open already: nothing new happened, so say where it stands.
    const call = openCalls().find((c) => c.reason === reason);
    if (call) callToast(call);
  }).catch((err) => {
    sessionStorage.removeItem("waiter-until");
    waiterCooldown();
    showError(err);
  });
});
