// Changing the check: a discount (on the check or a dish; a percentage or an amount; always a
// reason), who pays a dish (one diner, several sharing it, or back to who ordered it), and
// closing the table (settled; or, for a manager, unpaid with a reason). Each a POST, then the
// page fetches the check again.

import { newOpId } from "./socket.js";
import { $, closeDialog, fill, h, openDialog, toast, wireDialog } from "./ui.js";

const PERCENTS = ["5", "10", "20", "50", "100"];
const REASONS = ["reason_member", "reason_regular", "reason_complaint", "reason_owner"];

// "12.5" → 1250 (hundredths of a percent), null unless 0 < p ≤ 100 with 2 decimals at most.
function hundredths(text) {
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(String(text).trim());
  if (!m) return null;
  const value = Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
  return value > 0 && value <= 10000 ? value : null;
}

export function tillEdit({ t, m, api, config, view, check, done, errorText, closed }) {
  const money = m.fmt;
  const can = config.can;

  function hintOf(id) {
    return (text = "") => {
      const el = $(id);
      el.textContent = text;
      el.classList.toggle("is-error", Boolean(text));
    };
  }

  // --- A discount ---------------------------------------------------------------------------------
  const discountDialog = $("#discount-dialog");
  const value = $("#discount-value");
  const reason = $("#discount-reason");
  const discountHint = hintOf("#discount-hint");
  let discount = null; // {itemId, base, opId, busy}

  const kind = () => discountDialog.querySelector("input[name=discount-kind]:checked")?.value || "percent";

  // What it would take off (the server's rule: half up, never more than what is left).
  function takes() {
    if (kind() === "percent") {
      const p = hundredths(value.value);
      return p == null ? null : Math.min(discount.base, Math.floor((discount.base * p + 5000) / 10000));
    }
    const amount = m.parse(value.value);
    return amount == null || amount <= 0 ? null : Math.min(discount.base, amount);
  }

  function discountUpdate() {
    if (!discount) return;
    const percent = kind() === "percent";
    $("#discount-unit").textContent = percent ? "%" : t("inMajor");
    value.inputMode = "decimal";
    fill($("#discount-quick"), percent ? PERCENTS.map((p) => h("button", {
      type: "button", class: "btn btn-secondary till-chip", "data-percent": p,
    }, `${p}%`)) : []);
    const off = takes();
    $("#discount-preview").textContent = off == null ? "" : t("takesOff", { amount: money(off) });
    const button = $("#discount-confirm");
    button.disabled = off == null || !reason.value.trim() || discount.busy;
  }

  function openDiscount({ itemId = null } = {}) {
    const c = check();
    if (!c) return;
    const line = itemId ? c.lines.find((l) => l.item_id === itemId) : null;
    // What is left to take from: the dish after its discounts, or the dishes after every
    // discount so far.
    const base = line ? line.net : c.lines.reduce((a, l) => a + l.net, 0) - c.discounts.reduce((a, d) => a + (d.taken || 0), 0);
    discount = { itemId, base: Math.max(base, 0), opId: newOpId(), busy: false };
    $("#discount-title").textContent = line ? t("discountOnDish", { dish: `${line.qty} × ${line.name}` }) : t("discountOnCheck");
    discountDialog.querySelector("input[name=discount-kind][value=percent]").checked = true;
    value.value = "";
    reason.value = "";
    fill($("#discount-reasons"), REASONS.map((key) => h("button", { type: "button", class: "btn btn-secondary till-chip", "data-reason": t(key) }, t(key))));
    discountHint();
    discountUpdate();
    openDialog(discountDialog);
    value.focus();
  }

  discountDialog.addEventListener("input", discountUpdate);
  discountDialog.addEventListener("change", discountUpdate);
  discountDialog.addEventListener("click", (e) => {
    const chip = e.target.closest("[data-percent], [data-reason]");
    if (!chip) return;
    if (chip.dataset.percent) value.value = chip.dataset.percent;
    else reason.value = chip.dataset.reason;
    discountUpdate();
  });

  $("#discount-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!discount || discount.busy) return;
    if (takes() == null) return discountHint(t(kind() === "percent" ? "percentBad" : "typeAmount", { example: "10.00" }));
    if (!reason.value.trim()) return discountHint(t("reasonNeeded"));
    const fields = { reason: reason.value.trim(), op_id: discount.opId, session_id: check()?.session_id };
    if (discount.itemId) fields.item_id = discount.itemId;
    if (kind() === "percent") fields.percent = value.value.trim();
    else fields.amount = m.parse(value.value);
    discount.busy = true;
    discountUpdate();
    const reply = await api.post(config.discountUrl, fields);
    if (!discount) return;
    discount.busy = false;
    if (reply.ok) {
      toast(t("discountAdded"), "is-ok");
      discount = null;
      closeDialog(discountDialog);
      done();
      return;
    }
    discountHint(errorText(reply));
    if (reply.code !== "network") done();
    discountUpdate();
  });
  discountDialog.addEventListener("close", () => (discount = null));
  wireDialog(discountDialog);

  async function removeDiscount(id, button) {
    if (button) button.disabled = true;
    const reply = await api.post(config.discountRemoveUrl.replace("999999", String(id)), {});
    if (reply.ok) toast(t("discountRemoved"), "is-ok");
    else toast(errorText(reply), "is-error");
    done();
  }

  // --- A dish: who pays it, its discounts ----------------------------------------------------------
  const lineDialog = $("#line-dialog");
  const lineHint = hintOf("#line-hint");
  let lineItem = null;

  function openLine(itemId) {
    const c = check();
    const line = c?.lines.find((l) => l.item_id === itemId);
    if (!line) return;
    lineItem = itemId;
    $("#line-title").textContent = `${line.qty} × ${line.name}`;
    $("#line-amount").textContent = line.comped ? t("comped") : money(line.net);
    const owners = new Set(line.owners.length ? line.owners : [line.added_by]);
    $("#line-owners-block").hidden = !can.check_split;
    fill($("#line-owners"), c.people.map((p) => h("label", { class: "till-person" },
      h("input", { type: "checkbox", name: "owner", value: p.diner_id, checked: owners.has(p.diner_id) }),
      view.who(p))));
    $("#line-save").disabled = false;
    $("#line-discounts-block").hidden = !can.check_discount;
    fill($("#line-discounts"), line.discounts.length
      ? line.discounts.map((d) => h("li", { class: "till-row is-off" },
        h("span", {}, d.percent ? t("discountPercent", { percent: Number(d.percent) }) : t("discountAmount"), h("small", {}, d.reason)),
        h("button", { type: "button", class: "btn btn-quiet danger", "data-remove": d.id }, t("remove"))))
      : h("li", { class: "muted" }, t("noLineDiscounts")));
    lineHint();
    openDialog(lineDialog);
  }

  lineDialog.addEventListener("click", async (e) => {
    const remove = e.target.closest("[data-remove]");
    if (remove) {
      closeDialog(lineDialog);
      return removeDiscount(Number(remove.dataset.remove));
    }
    if (e.target.closest("#line-add-discount")) {
      const itemId = lineItem;
      closeDialog(lineDialog);
      openDiscount({ itemId });
    }
  });

  $("#line-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (lineItem == null) return;
    const dinerIds = [...lineDialog.querySelectorAll("input[name=owner]:checked")].map((x) => Number(x.value));
    $("#line-save").disabled = true;
    const reply = await api.post(config.ownersUrl, { item_id: lineItem, diner_ids: dinerIds, session_id: check()?.session_id });
    $("#line-save").disabled = false;
    if (reply.ok) {
      toast(t("ownersSaved"), "is-ok");
      closeDialog(lineDialog);
      done();
      return;
    }
    lineHint(errorText(reply));
    if (reply.code !== "network") done();
  });
  lineDialog.addEventListener("close", () => (lineItem = null));
  wireDialog(lineDialog);

  // --- Closing the table ---------------------------------------------------------------------------
  const closeDlg = $("#close-dialog");
  const closeReason = $("#close-reason");
  const closeHint = hintOf("#close-hint");
  let closing = null; // {unpaid, discard: cart_seq | null, busy}

  function closeUpdate() {
    if (!closing) return;
    $("#close-confirm").disabled = closing.busy || (closing.unpaid && !closeReason.value.trim());
  }

  function openClose() {
    const c = check();
    if (!c) return;
    closing = { unpaid: c.balance !== 0, discard: null, busy: false };
    $("#close-title").textContent = t("closeTitle", { table: config.tableName });
    const text = c.balance === 0 ? t("closeSettled")
      : c.balance > 0 ? t("closeOwed", { amount: money(c.balance) }) : t("closeOver", { amount: money(-c.balance) });
    fill($("#close-text"), h("p", { class: c.balance === 0 ? "" : "alert" }, text));
    $("#close-reason-block").hidden = !closing.unpaid;
    closeReason.value = "";
    const confirm = $("#close-confirm");
    confirm.textContent = t(closing.unpaid ? "closeUnpaid" : "closeTable");
    confirm.className = `btn ${closing.unpaid ? "btn-danger" : "btn-primary"}`;
    closeHint();
    closeUpdate();
    openDialog(closeDlg);
  }

  closeDlg.addEventListener("input", closeUpdate);
  $("#close-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!closing || closing.busy) return;
    const fields = {};
    if (closing.unpaid) fields.unpaid_reason = closeReason.value.trim();
    if (closing.discard != null) Object.assign(fields, { discard_cart: "1", cart_seq: String(closing.discard) });
    const sessionId = check()?.session_id;
    closing.busy = true;
    closeUpdate();
    const reply = await api.postForm(config.closeUrl, fields);
    if (!closing) return;
    closing.busy = false;
    if (reply.ok) {
      toast(t("closedToast", { table: config.tableName }), "is-ok");
      closing = null;
      closeDialog(closeDlg);
      closed(sessionId);
      return;
    }
    if (reply.code === "unsent_cart" && reply.unsent) {
      closing.discard = reply.unsent.cart_seq;
      fill($("#close-text"), h("p", { class: "alert" }, t("unsentCart", { n: reply.unsent.count, amount: money(reply.unsent.total) })));
      $("#close-confirm").textContent = t("discardAndClose");
      closeHint();
    } else if (reply.code === "unpaid") {
      closing.unpaid = true;
      fill($("#close-text"), h("p", { class: "alert" }, t("closeOwed", { amount: money(reply.balance ?? 0) })));
      $("#close-reason-block").hidden = !can.close_unpaid;
      closeHint(can.close_unpaid ? "" : t("settleFirst"));
      done();
    } else {
      closeHint(errorText(reply));
      if (reply.code !== "network") done();
    }
    closeUpdate();
  });
  closeDlg.addEventListener("close", () => (closing = null));
  wireDialog(closeDlg);

  return { openDiscount, removeDiscount, openLine, openClose };
}
