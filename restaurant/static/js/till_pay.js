// Taking money and giving it back: the payment dialog (a share, its due, the method, the amount
// typed in yuan, and for cash what was handed over and the change, live) and the refund dialog
// (how much of a payment, and why).
//
// Each dialog opening is one press: its op_id goes with every try, so a double press or a retry
// after a lost answer records one payment. The payment says what the till showed (`expect`):
// if the check changed meanwhile the server refuses it (`stale`) with what is due now; the
// dialog shows that and the cashier confirms again.

import { newOpId } from "./socket.js";
import { $, closeDialog, fill, h, openDialog, toast, wireDialog } from "./ui.js";

export function tillPay({ t, m, api, config, view, check, done, errorText }) {
  const money = m.fmt;

  // --- Paying a share ----------------------------------------------------------------------------
  const dialog = $("#pay-dialog");
  const amountInput = $("#pay-amount");
  const tenderedInput = $("#pay-tendered");
  let pay = null; // {target, expect, opId, busy, nan}

  const method = () => dialog.querySelector("input[name=pay-method]:checked")?.value || "";

  function dueLine(changed = false) {
    const text = t("dueNow", { amount: money(pay.expect) });
    fill($("#pay-due"), changed ? h("span", { class: "alert" }, t("staleDue", { amount: money(pay.expect) })) : text);
  }

  function hint(text = "") {
    const el = $("#pay-hint");
    el.textContent = text;
    el.classList.toggle("is-error", Boolean(text));
  }

  // The line under the cash handed over: the change, or what is wrong with what was typed.
  function cashText(cash) {
    if (cash.kind === "change") return t("change", { amount: money(cash.value) });
    if (cash.kind === "short") return t("short", { amount: money(cash.value) });
    if (cash.kind === "nan") return t("notNumber", { example: m.major(pay.expect) });
    if (cash.kind === "over") return t("tenderedOver", { amount: money(cash.value) });
    return "";
  }

  function update() {
    if (!pay) return;
    const amount = m.parse(amountInput.value);
    const cash = method() === "cash";
    $("#pay-cash").hidden = !cash;
    const valid = amount != null && amount > 0 && amount <= pay.expect;
    if (cash) {
      fill($("#pay-quick"), (valid ? m.tenders(amount) : []).map((value) => h("button", {
        type: "button", class: "btn btn-secondary till-chip", "data-tender": value,
      }, money(value))));
      const cash = valid ? m.tendered(amount, tenderedInput.value) : { kind: "none" };
      const change = $("#pay-change");
      change.textContent = cashText(cash);
      change.classList.toggle("is-short", ["short", "nan", "over"].includes(cash.kind));
    }
    // An amount that is not a number is said at once (the button stays off until it is one).
    const nan = amount == null && Boolean(amountInput.value.trim());
    if (nan) hint(t("notNumber", { example: m.major(pay.expect) }));
    else if (pay.nan) hint();
    pay.nan = nan;
    const button = $("#pay-confirm");
    button.textContent = valid ? t("record", { amount: money(amount), method: view.methodLabel(method()) }) : t("recordEmpty");
    button.disabled = !valid || !method() || pay.busy;
  }

  function open({ target, due, amount = null }) {
    const c = check();
    if (!c) return;
    pay = { target, expect: due, opId: newOpId(), busy: false, nan: false };
    $("#pay-title").textContent = t("payTitle", { who: view.targetLabel(c, target) });
    dueLine();
    const methods = c.methods.length ? c.methods : ["cash"];
    fill($("#pay-methods"), methods.map((name, i) => h("label", { class: "till-method" },
      h("input", { type: "radio", name: "pay-method", value: name, checked: i === 0 }),
      h("span", {}, view.methodLabel(name)))));
    amountInput.value = m.major(amount ?? due);
    tenderedInput.value = "";
    hint();
    update();
    openDialog(dialog);
    amountInput.focus();
    amountInput.select();
  }

  dialog.addEventListener("input", update);
  dialog.addEventListener("change", update);
  dialog.addEventListener("click", (e) => {
    const quick = e.target.closest("[data-tender]");
    if (!quick) return;
    tenderedInput.value = m.major(Number(quick.dataset.tender));
    update();
  });

  $("#pay-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!pay || pay.busy) return;
    const amount = m.parse(amountInput.value);
    const example = m.major(pay.expect);
    if (amount == null && amountInput.value.trim()) return hint(t("notNumber", { example }));
    if (amount == null || amount <= 0) return hint(t("typeAmount", { example }));
    if (amount > pay.expect) return hint(t("overDue", { amount: money(pay.expect) }));
    const cash = method() === "cash" ? m.tendered(amount, tenderedInput.value) : { kind: "none" };
    if (cash.kind === "short") return hint(t("tenderedShort"));
    if (cash.kind === "nan" || cash.kind === "over") return hint(cashText(cash));
    const tendered = cash.kind === "change" ? cash.cash : null;
    pay.busy = true;
    update();
    hint(t("recording"));
    const fields = { method: method(), amount, target: pay.target, expect: pay.expect, op_id: pay.opId, session_id: check()?.session_id };
    if (tendered != null) fields.tendered = tendered;
    const reply = await api.post(config.paymentUrl, fields);
    pay.busy = false;
    if (reply.ok) {
      const changeText = reply.payment?.change ? ` · ${t("change", { amount: money(reply.payment.change) })}` : "";
      toast(t("recorded", { amount: money(amount), method: view.methodLabel(fields.method) }) + changeText, "is-ok", 8000);
      pay = null;
      closeDialog(dialog);
      done();
      return;
    }
    if (reply.code === "stale") {
      pay.expect = reply.due;
      dueLine(true);
      if (amount > reply.due) amountInput.value = m.major(reply.due);
      hint();
      done();
    } else if (reply.detail === "tendered_over" && reply.most != null) {
      hint(t("tenderedOver", { amount: money(reply.most) }));
    } else if (reply.code === "conflict" && reply.detail === "over" && reply.due != null) {
      pay.expect = reply.due;
      dueLine(true);
      hint(t("overDue", { amount: money(reply.due) }));
      done();
    } else {
      hint(errorText(reply));
      if (reply.code !== "network") done();
    }
    update();
  });
  dialog.addEventListener("close", () => (pay = null));
  wireDialog(dialog);

  // --- Giving money back -------------------------------------------------------------------------
  const refundDialog = $("#refund-dialog");
  const refundAmount = $("#refund-amount");
  const refundReason = $("#refund-reason");
  let refund = null; // {payment, opId, busy}

  function refundHint(text = "") {
    const el = $("#refund-hint");
    el.textContent = text;
    el.classList.toggle("is-error", Boolean(text));
  }

  function refundUpdate() {
    if (!refund) return;
    const amount = m.parse(refundAmount.value);
    const valid = amount != null && amount > 0 && amount <= refund.payment.refundable && refundReason.value.trim().length > 0;
    const button = $("#refund-confirm");
    button.textContent = amount ? t("refundAmount", { amount: money(amount) }) : t("refund");
    button.disabled = !valid || refund.busy;
  }

  function openRefund(paymentId) {
    const payment = check()?.payments.find((p) => p.id === paymentId);
    if (!payment) return;
    refund = { payment, opId: newOpId(), busy: false };
    $("#refund-title").textContent = t("refundTitle", { method: view.methodLabel(payment.method), amount: money(payment.amount) });
    $("#refund-left").textContent = t("refundLeft", { amount: money(payment.refundable) });
    refundAmount.value = m.major(payment.refundable);
    refundReason.value = "";
    refundHint();
    refundUpdate();
    openDialog(refundDialog);
    refundReason.focus();
  }

  refundDialog.addEventListener("input", refundUpdate);
  $("#refund-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!refund || refund.busy) return;
    const amount = m.parse(refundAmount.value);
    if (amount == null || amount <= 0 || amount > refund.payment.refundable) {
      return refundHint(t("refundOver", { amount: money(refund.payment.refundable) }));
    }
    if (!refundReason.value.trim()) return refundHint(t("reasonNeeded"));
    refund.busy = true;
    refundUpdate();
    const url = config.refundUrl.replace("999999", String(refund.payment.id));
    const reply = await api.post(url, { amount, reason: refundReason.value.trim(), op_id: refund.opId });
    if (!refund) return;
    refund.busy = false;
    if (reply.ok) {
      toast(t("refunded", { amount: money(amount) }), "is-ok");
      refund = null;
      closeDialog(refundDialog);
      done();
      return;
    }
    refundHint(reply.detail === "over" && reply.due != null ? t("refundOver", { amount: money(reply.due) }) : errorText(reply));
    if (reply.code !== "network") done();
    refundUpdate();
  });
  refundDialog.addEventListener("close", () => (refund = null));
  wireDialog(refundDialog);

  return { open, openRefund };
}
