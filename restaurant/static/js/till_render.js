// Drawing the till from the check (GET staff/api/tables/<n>/check/): the balance, the shares
// with their Pay buttons, the dishes by round with who pays each, the charges down to the
// total, the payments, and the page's actions. Only what this person's role may do is offered.
// Buttons carry data-act (and what it is about); till.js listens to them all in one place.

import { clock, fill, h } from "./ui.js";

const COLOR = /^#[0-9a-f]{6}$/i;

export function tillRender({ t, m, can }) {
  const money = m.fmt;
  const dot = (color) => h("span", { class: "dot", style: `--c:${COLOR.test(color || "") ? color : "#999"}` });
  const person = (check, id) => check.people.find((p) => p.diner_id === id);
  const who = (p) => (p ? (p.staff ? `${p.name} · ${t("staff")}` : p.name) : t("someone"));

  function targetLabel(check, target) {
    if (target === "check") return t("targetCheck");
    const [kind, a, b] = target.split(":");
    if (kind === "diner") return who(person(check, Number(a)));
    if (kind === "equal") return t("targetEqual", { k: Number(b) + 1, n: a });
    return target;
  }

  const methodLabel = (method) => (t.has(`method_${method}`) ? t(`method_${method}`) : method);
  const row = (label, value, cls = "") => h("div", { class: `till-row ${cls}` }, h("span", {}, label), h("strong", {}, value));

  // --- The balance, big ---------------------------------------------------------------------------
  function summary(check) {
    const settled = check.balance === 0;
    const over = check.balance < 0;
    return [
      h("div", { class: `till-balance${settled ? " is-settled" : ""}${over ? " is-over" : ""}` },
        h("span", { class: "till-balance-label" }, t(settled ? "settled" : over ? "paidOver" : "balance")),
        h("strong", { id: "till-balance" }, money(Math.abs(check.balance)))),
      h("dl", { class: "till-figures" },
        h("div", {}, h("dt", {}, t("total")), h("dd", { id: "till-total" }, money(check.total))),
        h("div", {}, h("dt", {}, t("paid")), h("dd", { id: "till-paid" }, money(check.paid))),
        h("div", {}, h("dt", {}, t("state")), h("dd", {}, h("span", { class: `till-state is-${check.state}` }, t(`state_${check.state}`))))),
    ];
  }

  // --- Who pays what: a share with its due and a Pay button ---------------------------------------
  function payButton(target, due, label) {
    if (!can.payment_record || due <= 0) return null;
    return h("button", { type: "button", class: "btn btn-primary till-pay", "data-act": "pay", "data-target": target, "data-due": due },
      label || t("pay"));
  }

  function shareRow({ key, title, part, paid, due, target, over }) {
    return h("li", { class: `till-share${due === 0 && part > 0 ? " is-paid" : ""}`, "data-share": target || key },
      h("span", { class: "till-share-who" }, title),
      h("span", { class: "till-share-figures" },
        h("span", { class: "till-share-part" }, money(part)),
        paid ? h("small", {}, t("paidSoFar", { amount: money(paid) })) : null,
        // Paid past their part (a dish voided after they paid): it went toward the others.
        over > 0 ? h("small", { class: "till-share-over" }, t("paidOver", { amount: money(over) })) : null),
      h("strong", { class: "till-share-due" }, due > 0 ? money(due) : t("sharePaid")),
      target ? payButton(target, due) : null);
  }

  function shares(check, S) {
    const tabs = h("div", { class: "till-tabs", role: "group", "aria-label": t("splitHow") },
      ["diners", "equal", "amount"].map((mode) => h("button", {
        type: "button", class: "till-tab", "data-act": "mode", "data-mode": mode, "aria-pressed": String(S.mode === mode),
      }, t(`mode_${mode}`))));
    let body;
    if (S.mode === "diners") {
      const rows = check.diners.map((d) => shareRow({
        key: d.target, title: [dot(d.color), h("span", {}, who(d))], part: d.part, paid: d.paid, due: d.due, target: d.target, over: d.over,
      }));
      if (check.table_part) rows.push(shareRow({ key: "table", title: t("tablePart"), part: check.table_part, paid: 0, due: check.table_due || 0 }));
      body = rows.length ? h("ul", { class: "till-shares" }, rows) : h("p", { class: "empty" }, t("noShares"));
    } else if (S.mode === "equal") {
      const n = S.equal;
      body = [
        h("div", { class: "till-equal" },
          h("span", {}, t("equalAmong")),
          h("div", { class: "stepper", role: "group", "aria-label": t("equalAmong") },
            h("button", { type: "button", class: "step", "data-act": "equal", "data-step": -1, disabled: n <= 2, "aria-label": t("fewer") }, "−"),
            h("output", { class: "qty", id: "till-equal-n" }, String(n)),
            h("button", { type: "button", class: "step", "data-act": "equal", "data-step": 1, disabled: n >= S.equalMax, "aria-label": t("more") }, "+"))),
        check.equal
          ? h("ul", { class: "till-shares" }, check.equal.map((part, k) => shareRow({
            key: part.target, title: t("targetEqual", { k: k + 1, n }), part: part.part, paid: part.paid, due: part.due, target: part.target,
          })))
          : h("p", { class: "muted" }, t("loading")),
      ];
    } else {
      body = can.payment_record && check.balance > 0
        ? h("form", { class: "till-custom", id: "till-custom", novalidate: true },
          h("label", { class: "field", for: "till-custom-amount" }, t("customAmount"),
            h("input", { id: "till-custom-amount", inputmode: "decimal", autocomplete: "off", placeholder: m.major(check.balance) })),
          h("button", { type: "submit", class: "btn btn-primary" }, t("pay")))
        : h("p", { class: "muted" }, t(check.balance > 0 ? "mayNotPay" : "nothingOwed"));
    }
    const rest = check.balance > 0 && can.payment_record
      ? h("div", { class: "till-rest" }, h("span", {}, t("theRest")), h("strong", {}, money(check.balance)),
        payButton("check", check.balance, t("payTheRest")))
      : null;
    return [h("h2", {}, t("whoPays")), tabs, body, rest];
  }

  // --- The dishes, by round -------------------------------------------------------------------------
  function owners(check, line) {
    const ids = line.owners.length ? line.owners : [line.added_by];
    return h("span", { class: "till-owners" }, ids.map((id) => {
      const p = person(check, id);
      return h("span", { class: "till-owner" }, dot(p?.color), p?.name || t("someone"));
    }), line.shared ? h("span", { class: "till-tag" }, t("shared")) : null);
  }

  function lineRow(check, line) {
    const tappable = (can.check_split || can.check_discount) && !check.closed;
    const what = [
      h("span", { class: "till-line-name" }, `${line.qty} × ${line.name}`),
      line.takeaway ? h("span", { class: "till-tag" }, t("toGo")) : null, // 打包: the fee is in its price
      line.set_name ? h("span", { class: "till-tag" }, line.set_name) : null, // 套餐: its share of the set
      line.options?.length ? h("span", { class: "till-line-options" }, line.options.join(" · ")) : null,
      owners(check, line),
    ];
    const figures = h("span", { class: "till-line-amount" },
      line.comped ? h("span", { class: "till-tag is-comped" }, t("comped")) : null,
      line.comped || line.discount ? h("s", {}, money(line.amount)) : null,
      line.discount && !line.comped ? h("small", { class: "till-off" }, `−${money(line.discount)}`) : null,
      h("strong", {}, money(line.net)));
    const inner = [h("span", { class: "till-line-what" }, what), figures];
    return h("li", { class: `till-line${line.comped ? " is-comped" : ""}`, "data-item": line.item_id },
      tappable
        ? h("button", { type: "button", class: "till-line-open", "data-act": "line", "data-item": line.item_id, title: t("lineEdit") }, inner)
        : h("div", { class: "till-line-open" }, inner));
  }

  function lines(check) {
    const rounds = new Map();
    for (const line of check.lines) {
      if (!rounds.has(line.round)) rounds.set(line.round, []);
      rounds.get(line.round).push(lineRow(check, line));
    }
    for (const v of check.voided) {
      if (!rounds.has(v.round)) rounds.set(v.round, []);
      rounds.get(v.round).push(h("li", { class: "till-line is-voided" },
        h("div", { class: "till-line-open" },
          h("span", { class: "till-line-what" }, h("span", { class: "till-line-name" }, `${v.qty} × ${v.name}`),
            h("span", { class: "till-line-options" }, v.reason ? t("voidedWhy", { reason: v.reason }) : t("voided"))),
          h("span", { class: "till-line-amount" }, h("span", { class: "till-tag is-voided" }, t("voided")), h("s", {}, money(v.amount))))));
    }
    const groups = [...rounds.keys()].sort((a, b) => a - b).map((n) => h("li", { class: "till-round" },
      h("h3", {}, t("round", { n })), h("ul", { class: "till-lines" }, rounds.get(n))));
    return [h("h2", {}, t("dishes")), groups.length ? h("ol", { class: "till-rounds" }, groups) : h("p", { class: "empty" }, t("noDishes"))];
  }

  // --- Charges down to the total ---------------------------------------------------------------------
  function charges(check) {
    const removable = can.check_discount && !check.closed;
    const discounts = check.discounts.map((d) => h("div", { class: "till-row is-off", "data-discount": d.id },
      h("span", {}, d.percent ? t("discountPercent", { percent: Number(d.percent) }) : t("discountAmount"),
        h("small", {}, [d.reason, d.by].filter(Boolean).join(" · "))),
      h("strong", {}, `−${money(d.taken || 0)}`),
      removable ? h("button", { type: "button", class: "btn btn-quiet danger", "data-act": "discount-remove", "data-discount": d.id }, t("remove")) : null));
    const cover = check.cover
      ? row(t("cover", { n: check.guests ?? 0, each: money(check.cover_charge) }), money(check.cover))
      : null;
    return [
      h("h2", {}, t("charges")),
      row(t("subtotal"), money(check.subtotal)),
      check.comped ? row(t("compedTotal"), money(check.comped), "is-note") : null,
      check.line_discounts ? row(t("lineDiscounts"), `−${money(check.line_discounts)}`, "is-off") : null,
      discounts,
      removable ? h("button", { type: "button", class: "btn btn-secondary till-add-discount", "data-act": "discount" }, t("addDiscount")) : null,
      check.service ? row(t("service", { percent: Number(check.service_percent) }), money(check.service)) : null,
      cover,
      check.rounding ? row(t("rounding"), `−${money(check.rounding)}`, "is-off") : null,
      row(t("total"), money(check.total), "is-total"),
    ];
  }

  // --- Payments ----------------------------------------------------------------------------------------
  function payments(check) {
    if (!check.payments.length) return [h("h2", {}, t("payments")), h("p", { class: "muted" }, t("noPayments"))];
    const items = check.payments.map((p) => {
      const refund = p.kind === "refund";
      const details = [targetLabel(check, p.target), clock(p.at), p.by].filter(Boolean);
      if (p.tendered) details.push(t("cashGiven", { tendered: money(p.tendered), change: money(p.change) }));
      if (refund && p.reason) details.push(p.reason);
      return h("li", { class: `till-payment${refund ? " is-refund" : ""}${p.state !== "succeeded" ? " is-pending" : ""}`, "data-payment": p.id },
        h("span", { class: "till-payment-what" },
          h("strong", {}, refund ? t("refundOf", { method: methodLabel(p.method) }) : methodLabel(p.method)),
          h("small", {}, details.join(" · "))),
        h("strong", { class: "till-payment-amount" }, `${refund ? "−" : ""}${money(p.amount)}`),
        can.payment_refund && !refund && p.refundable > 0 && !check.closed
          ? h("button", { type: "button", class: "btn btn-quiet", "data-act": "refund", "data-payment": p.id }, t("refund"))
          : null);
    });
    return [h("h2", {}, t("payments")), h("ul", { class: "till-payments" }, items), row(t("paid"), money(check.paid), "is-total")];
  }

  // --- Print and close -----------------------------------------------------------------------------------
  function actions(check, S) {
    const settled = check.balance === 0;
    return [
      can.receipt_print
        ? h("button", { type: "button", class: "btn btn-secondary", "data-act": "print", disabled: S.busy.has("print") },
          t(settled ? "printReceipt" : "printPreBill"))
        : null,
      can.table_close
        ? h("button", { type: "button", class: `btn ${settled ? "btn-primary" : "btn-secondary"}`, "data-act": "close", id: "till-close",
          disabled: S.busy.has("close") || (!settled && !can.close_unpaid) }, t(settled ? "closeTable" : can.close_unpaid ? "closeUnpaid" : "closeWhenPaid"))
        : null,
    ];
  }

  function render(S) {
    const check = S.check;
    const open = Boolean(check);
    for (const id of ["till-sum", "till-shares", "till-lines", "till-charges", "till-payments", "till-actions"]) {
      document.getElementById(id).hidden = !open;
    }
    const empty = document.getElementById("till-empty");
    empty.hidden = open || S.loading;
    if (!open) {
      fill(document.getElementById("till-empty-text"), t(S.closedSession ? "closedHere" : "noMeal"));
      document.getElementById("till-print-closed").hidden = !(S.closedSession && can.receipt_print);
      return;
    }
    fill(document.getElementById("till-sum"), summary(check));
    fill(document.getElementById("till-shares"), shares(check, S));
    fill(document.getElementById("till-lines"), lines(check));
    fill(document.getElementById("till-charges"), charges(check));
    fill(document.getElementById("till-payments"), payments(check));
    fill(document.getElementById("till-actions"), actions(check, S));
  }

  return { render, targetLabel, methodLabel, person, who };
}
