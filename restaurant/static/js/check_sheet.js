// A dish's sheet on the check page: who pays for it, and this phone's say in it: "I'll pay for
// this" and "Not mine" (`item.claim`), "Share it" among people it picks (`item.share`). The ops go
// over the table's socket; the server's refusal is said in words (who is paying, already paid).

import { $, closeDialog, fill, h, isOpen, listSep, openDialog, toast, wireDialog } from "./ui.js";
import { chip } from "./check_render.js";
import {
  OWN_MS, S, colorOf, lineOf, money, nameOf, paidDiners, sharers, sock, t,
} from "./check_state.js";

const sheet = $("#dish-sheet");
const hint = $("#sheet-hint");
let refresh = () => {};

export function wireSheet(refreshCheck) {
  refresh = refreshCheck;
  wireDialog(sheet);
  sheet.addEventListener("close", () => {
    S.sheetItem = null;
    S.picking = false;
  });
  $("#dishes").addEventListener("click", (e) => {
    const button = e.target.closest("button.dish");
    if (button) openItem(Number(button.dataset.item));
  });
}

function say(text, error = false) {
  hint.textContent = text;
  hint.classList.toggle("is-error", error);
}

export function openItem(itemId) {
  S.sheetItem = itemId;
  S.picking = false;
  say("");
  renderSheet();
  openDialog(sheet);
}

// A refusal in the diner's words: `conflict` says why (claimed: by whom; paid), others in general.
export function refusal(err) {
  const r = err?.reply || {};
  if (r.code === "conflict" && r.detail === "claimed") return t("claimedBy", { name: nameOf(r.diner_id) });
  if (r.code === "conflict" && r.detail === "paid") return t("alreadyPaid");
  if (r.code === "not_found" && r.detail === "item") return t("gone");
  if (r.code === "not_found" && r.detail === "diner") return t("notHere");
  if (r.code === "closed") return t("endedTitle");
  if (r.code === "rate_limited") return t("slowDown");
  return t("failed");
}

async function send(type, fields) {
  if (S.busy) return;
  const itemId = S.sheetItem;
  S.busy = true;
  S.own.set(itemId, Date.now() + OWN_MS);
  renderSheet();
  say(t("sending"));
  try {
    await sock.send(type, { item_id: itemId, ...fields });
    S.busy = false;
    if (S.sheetItem === itemId) closeDialog(sheet);
    toast(t("saved"), "is-ok", { key: "op" });
  } catch (err) {
    S.busy = false;
    S.own.delete(itemId);
    if (S.sheetItem === itemId) {
      S.picking = false;
      say(refusal(err), true);
      renderSheet();
    } else toast(refusal(err), "is-error", { key: "op" });
  }
  refresh(); // the server's word, whether the check.changed event came or was lost
}

const button = (kind, label, onclick) => h("button", { class: `btn btn-${kind} btn-block`, type: "button", onclick }, label);

function pick(on) {
  S.picking = on;
  say("");
  renderSheet();
}

function actions(line) {
  const me = S.me;
  const alone = line.owners.length === 1 && line.owners[0] === me;
  return [
    !alone && button("primary", t("mine"), () => send("item.claim", { mine: true })),
    // Letting go gives the dish back to who added it: nothing to let go of for them alone.
    line.owners.includes(me) && !(alone && line.added_by === me)
      && button("secondary", t("notMine"), () => send("item.claim", { mine: false })),
    button("secondary", t("share"), () => pick(true)),
    line.shared && button("secondary", t("stopSharing"), () => send("item.share", { diner_ids: [] })),
  ].filter(Boolean);
}

function picker(line) {
  const paid = paidDiners();
  const chosen = new Set(line.shared ? line.owners : [S.me, ...line.owners]);
  const boxes = sharers(line).map((d) => h("label", {},
    h("input", { type: "checkbox", value: d.diner_id, checked: chosen.has(d.diner_id), disabled: paid.has(d.diner_id) }),
    h("span", { class: "dot", style: `--c:${colorOf(d.diner_id)}`, "aria-hidden": "true" }),
    h("span", {}, nameOf(d.diner_id))));
  const form = h("fieldset", { class: "pick" }, h("legend", {}, t("shareAmong")), boxes);
  const go = h("button", { class: "btn btn-primary", type: "button" });
  const count = () => form.querySelectorAll("input:checked").length;
  const update = () => {
    go.textContent = t("shareN", { n: count() });
    go.disabled = count() < 2;
    if (!S.busy) say(count() < 2 ? t("pickTwo") : "");
  };
  form.addEventListener("change", update);
  go.addEventListener("click", () => {
    const ids = [...form.querySelectorAll("input:checked")].map((i) => Number(i.value));
    send("item.share", { diner_ids: ids });
  });
  const back = button("secondary", t("back"), () => pick(false));
  update();
  return [form, h("div", { class: "row" }, back, go)];
}

// Redrawn with every new check while open: a claim from another phone shows here at once.
export function renderSheet() {
  if (S.sheetItem == null) return;
  const line = lineOf(S.sheetItem);
  if (!line) {
    if (isOpen(sheet)) {
      closeDialog(sheet);
      toast(t("gone"), "is-notice", { key: "op" });
    }
    return;
  }
  $("#sheet-title").textContent = line.qty > 1 ? t("qtyName", { qty: line.qty, name: line.name }) : line.name;
  const owners = line.owners.map((id) => chip(id, line.owners.length > 1 ? line.shares[String(id)] || 0 : null));
  const parts = [
    line.options?.length ? h("p", { class: "muted" }, line.options.join(listSep)) : null,
    h("p", { class: "dish-price num" }, money(line.net)),
    h("h3", { class: "section-title" }, t("whoPays")),
    h("div", { class: "chips" }, owners.length ? owners : h("span", { class: "chip" }, t("theTable"))),
  ];
  // Another diner's claim: theirs to let go of first (the server would refuse any change).
  const claimed = line.claimed && line.owners[0] !== S.me && t("claimedBy", { name: nameOf(line.owners[0]) });
  if (claimed) parts.push(hint.textContent !== claimed && h("p", { class: "muted" }, claimed));
  else if (line.locked) parts.push(h("p", { class: "alert" }, t("alreadyPaid")));
  else parts.push(...(S.picking ? picker(line) : actions(line)));
  fill($("#sheet-body"), parts);
  for (const button of $("#sheet-body").querySelectorAll("button, input")) if (S.busy) button.disabled = true;
}
