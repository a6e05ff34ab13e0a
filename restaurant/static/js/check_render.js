// Drawing the check page from its state: what I pay, the table's totals, every dish with who
// pays for it, the AA parts, the connection, the meal's end. What a tap does: check_sheet.js.

import { $, fill, h, listSep, raisable, tableName } from "./ui.js";
import { FLASH_MS, S, colorOf, config, money, nameOf, t } from "./check_state.js";

const dot = (color) => h("span", { class: "dot", style: `--c:${color}`, "aria-hidden": "true" });

export function chip(dinerId, amount = null) {
  const me = dinerId === S.me;
  return h("span", { class: `chip${me ? " is-me" : ""}`, "data-diner": dinerId },
    dot(colorOf(dinerId)),
    h("span", {}, amount == null ? nameOf(dinerId) : `${nameOf(dinerId)} ${money(amount)}`));
}

// --- The connection banner (above an open sheet too)

const banner = $("#conn-banner");
raisable(banner);
let bannerTimer = null;
export function renderConnection(state) {
  clearTimeout(bannerTimer);
  document.body.dataset.connection = state;
  banner.hidden = true;
  if (state === "online" || state === "closed") return;
  const show = () => {
    banner.textContent = t(state === "offline" ? "offline" : "connecting");
    banner.className = `conn-banner is-${state}`;
    banner.hidden = false;
  };
  bannerTimer = setTimeout(show, state === "connecting" ? 700 : 0); // a first connect takes a blink
}

// --- What I pay

const sum = (values) => values.reduce((a, b) => a + b, 0);

function myBreakdown(c) {
  const mine = (l) => l.shares[String(S.me)] || 0;
  const own = sum(c.lines.filter((l) => l.owners.length === 1 && l.owners[0] === S.me).map(mine));
  const shared = sum(c.lines.filter((l) => l.owners.length > 1).map(mine));
  return { own, shared };
}

function renderHero(c) {
  const hero = $("#hero");
  const row = c.diners.find((d) => d.diner_id === S.me) || { part: 0, paid: 0, due: 0 };
  const note = $("#counter-note");
  const items = [];
  let amount = row.part;
  let due = row.due;
  if (S.mode === "equal" && c.equal) {
    $("#hero-label").textContent = t("eachPays", { n: c.equal.length });
    amount = c.equal[0].part;
    due = c.equal.find((p) => p.due > 0)?.due || 0;
  } else {
    $("#hero-label").textContent = t("whatIPay");
    const { own, shared } = myBreakdown(c);
    const charges = row.part - own - shared;
    if (own) items.push(t("myDishes", { amount: money(own) }));
    if (shared) items.push(t("myShared", { amount: money(shared) }));
    if (charges) items.push(t("myCharges", { amount: money(charges) }));
    if (row.paid) items.push(t("myPaid", { amount: money(row.paid) }));
  }
  $("#my-amount").textContent = money(amount);
  fill($("#my-breakdown"), items.map((text) => h("li", {}, text)));
  let [text, state] = [t("nothingMine"), "quiet"];
  if (c.balance <= 0 && c.total > 0) [text, state] = [t("allPaid"), "done"];
  else if (due > 0) [text, state] = [t("payAtCounter", { amount: money(due) }), "due"];
  else if (amount > 0) [text, state] = [t("myPartPaid"), "done"];
  note.textContent = text;
  note.className = `counter-note is-${state}`;
  note.hidden = false;
  hero.classList.toggle("is-done", state === "done");
}

// --- The table's totals and charges

function renderTotals(c) {
  $("#total").textContent = money(c.total);
  $("#paid").textContent = money(c.paid);
  $("#balance").textContent = money(Math.max(c.balance, 0));
  const rows = [];
  const row = (label, amount) => rows.push(h("li", {}, h("span", {}, label), h("span", { class: "num" }, amount)));
  const extras = c.discount_total || c.service || c.cover || c.rounding || c.comped;
  if (extras) row(t("subtotal"), money(c.subtotal));
  if (c.comped) row(t("comped"), money(c.comped));
  if (c.discount_total) row(t("discounts"), money(-c.discount_total));
  if (c.service) row(t("service", { p: Number(c.service_percent) }), money(c.service));
  if (c.cover) row(t("cover", { n: c.guests ?? "", each: money(c.cover_charge) }), money(c.cover));
  if (c.rounding) row(t("rounding"), money(-c.rounding));
  fill($("#charges"), rows);
  $("#charges").hidden = !rows.length;
}

// --- Dishes

function dishRow(line) {
  const mine = line.owners.includes(S.me);
  const flashed = Date.now() - (S.flash.get(line.item_id) || 0) < FLASH_MS;
  const owners = line.owners.length ? line.owners.map((id) => chip(id)) : [h("span", { class: "chip" }, t("theTable"))];
  const tags = [];
  if (line.shared) tags.push(h("span", { class: "tag" }, t("shared")));
  if (line.takeaway) tags.push(h("span", { class: "tag" }, t("toGo"))); // 打包: the fee is in its price
  if (line.set_name) tags.push(h("span", { class: "tag" }, line.set_name)); // 套餐: its share of the set
  if (line.comped) tags.push(h("span", { class: "tag" }, t("comped")));
  if (line.locked) tags.push(h("span", { class: "tag is-locked" }, t("locked")));
  const sub = (line.options || []).join(listSep);
  const myShare = line.shares[String(S.me)];
  const price = line.net !== line.amount
    ? [h("s", {}, money(line.amount)), " ", money(line.net)]
    : money(line.net);
  return h("li", {},
    h("button", {
      class: `dish${mine ? " is-mine" : ""}${flashed ? " is-flash" : ""}`, type: "button",
      "data-item": line.item_id, "data-key": `item-${line.item_id}`, "aria-haspopup": "dialog",
    },
    h("span", { class: "dish-main" },
      h("span", { class: "dish-name" }, line.qty > 1 ? t("qtyName", { qty: line.qty, name: line.name }) : line.name),
      sub ? h("span", { class: "dish-sub" }, sub) : null,
      h("span", { class: "chips owners" }, owners, tags)),
    h("span", { class: "dish-side" },
      h("span", { class: "dish-price num" }, price),
      mine && line.owners.length > 1 ? h("span", { class: "my-part num" }, t("myPart", { amount: money(myShare || 0) })) : null)));
}

function renderDishes(c) {
  const list = $("#dishes");
  const key = document.activeElement?.dataset?.key;
  if (!c.lines.length) fill(list, h("li", { class: "empty" }, t("empty")));
  else fill(list, c.lines.map(dishRow));
  if (key) list.querySelector(`[data-key="${key}"]`)?.focus({ preventScroll: true });
}

// --- AA

function renderEqual(c) {
  $("#aa-n").textContent = String(S.equalN);
  $("#aa-fewer").disabled = S.equalN <= 2;
  $("#aa-more").disabled = S.equalN >= config.equalMax;
  if (!c.equal || c.equal.length !== S.equalN) return; // the parts for this N are on their way
  fill($("#parts"), c.equal.map((p, k) => h("li", {},
    h("span", {}, t("part", { k: k + 1 })),
    p.due === 0 && p.part > 0 ? h("span", { class: "tag is-locked" }, t("partPaid")) : null,
    h("strong", { class: "num" }, money(p.part)))));
}

export function render() {
  const c = S.check;
  if (!c || S.ended) return;
  $("#main").setAttribute("aria-busy", "false");
  $("#mode-dish").setAttribute("aria-pressed", String(S.mode === "dish"));
  $("#mode-equal").setAttribute("aria-pressed", String(S.mode === "equal"));
  $("#by-dish").hidden = S.mode !== "dish";
  $("#by-equal").hidden = S.mode !== "equal";
  renderHero(c);
  renderTotals(c);
  if (S.mode === "dish") renderDishes(c);
  else renderEqual(c);
}

// The check could not be read and there is none to show: say so, with a way to try again.
export function renderLoadError(retry) {
  $("#main").setAttribute("aria-busy", "false");
  fill($("#dishes"), h("li", { class: "card alert", role: "alert" }, t("loadError"), " ",
    h("button", { class: "btn btn-secondary", type: "button", onclick: retry }, t("retry"))));
}

// --- The end: the meal closed (with its receipt), or this browser has no meal here

export function showEnded(kind, receiptUrl = null) {
  S.ended = true;
  for (const id of ["hero", "totals", "modes", "by-dish", "by-equal"]) $(`#${id}`).hidden = true;
  $("#main").setAttribute("aria-busy", "false");
  $("#ended-title").textContent = kind === "closed" ? t("endedTitle") : t("noMealTitle");
  $("#ended-text").textContent = { closed: t("endedText"), none: t("noMealText"), lost: t("lostText") }[kind];
  const link = $("#receipt-link");
  link.hidden = !receiptUrl;
  if (receiptUrl) link.href = receiptUrl;
  $("#ended").hidden = false;
}

export function renderTable(table) {
  $("#table-label").textContent = tableName(table, t);
}
