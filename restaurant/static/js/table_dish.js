// The dish sheet: a tapped dish's options, quantity and note, and "Add" (queued while offline).

import {
  $, EN, closeDialog as closeSheet, fill, h, isOpen, listSep, localName, openDialog as openSheet, toast,
} from "./ui.js";
import { errorText, showError } from "./table_errors.js";
import { heroMedia, menuEl } from "./table_menu.js";
import { render } from "./table_render.js";
import { S, money, settlePending, sock, t, unitPrice } from "./table_state.js";

const dishSheet = $("#dish-sheet");
let chosen = null; // {dish, qty, picks: Map(group id -> Set(option ids))}
let queuedCount = 0;
const least = (dish) => dish.min_qty || 1; // 起售份数: a line holds at least this many

function groupRule(group) {
  if (group.max === 1) return group.min === 1 ? t("chooseOne") : t("chooseUpTo", { n: 1 });
  if (group.min === group.max) return t("chooseN", { n: group.min });
  if (group.min === 0) return t("chooseUpTo", { n: group.max });
  return t("chooseRange", { min: group.min, max: group.max });
}

export function openDish(dishId) {
  const dish = S.dishes.get(dishId);
  if (!dish || dish.sold_out) return;
  chosen = { dish, qty: least(dish), picks: new Map(dish.option_groups.map((g) => [g.id, new Set()])) };
  $("#dish-title").textContent = localName(dish);
  const description = EN && dish.description_en ? dish.description_en : dish.description;
  const body = $("#dish-body");
  fill(body,
    dish.image ? heroMedia(dish) : null,
    description ? h("p", { class: "dish-desc full" }, description) : null,
    h("p", { class: "price big" }, money(dish.price)),
    least(dish) > 1 ? h("p", { class: "rule is-required" }, t("minQty", { n: least(dish) })) : null,
    dish.option_groups.map(optionGroup),
    toggle("dish-shared", t("sharedAll")), // the check splits it
    toggle("dish-togo", t("takeaway"), dish.packing_fee), // 打包, +its fee
    noteField(),
  );
  updateDishSheet();
  openSheet(dishSheet);
  body.scrollTop = 0;
}

// The sheet shows a dish that just sold out: it cannot be added any more.
export function closeDishIfSoldOut(dish) {
  if (chosen?.dish.id === dish.id && dish.sold_out) closeSheet(dishSheet);
}

// An option sold out or back is a change of choices too.
const shape = (dish) => JSON.stringify(dish.option_groups.map((g) => [g.id, g.min, g.max, g.options.map((o) => [o.id, o.sold_out])]));

// A new menu arrived while the sheet is open: gone or sold out, it closes; with other choices,
// it opens afresh and says why; otherwise it keeps what the diner picked, at the new prices.
export function refreshDishSheet() {
  if (!chosen || !isOpen(dishSheet)) return;
  const dish = S.dishes.get(chosen.dish.id);
  if (!dish || dish.sold_out) {
    closeSheet(dishSheet);
    toast(dish ? t("soldOutNamed", { dishes: localName(dish) }) : t("errDishGone"), "is-error", { key: "menu" });
  } else if (shape(dish) !== shape(chosen.dish)) {
    openDish(dish.id);
    toast(t("errOptions", { dish: localName(dish) }), "", { key: "menu" });
  } else {
    chosen.dish = dish;
    chosen.qty = Math.max(chosen.qty, least(dish));
    updateDishSheet();
  }
}

// The page's menu was older than the server's: fetch it, then open the dish again to choose.
let reloadMenu = null;
export function onMenuOutdated(fn) {
  reloadMenu = fn;
}

menuEl.addEventListener("click", (e) => {
  const button = e.target.closest(".dish-open");
  if (button) openDish(Number(button.closest("[data-dish]").dataset.dish));
});

function optionGroup(group) {
  const single = group.max === 1;
  const required = group.min > 0;
  const name = `g${group.id}`;
  // A sold-out option shows, greyed out, and cannot be chosen.
  const row = (option, label, price, out) => h("label", { class: option === null ? "option is-checked" : "option" },
    h("input", { type: single ? "radio" : "checkbox", name, value: option ?? "",
      checked: option === null, "data-group": group.id, disabled: out, "data-out": out }),
    h("span", { class: "option-name" }, label),
    out ? h("span", { class: "sold-out-tag" }, t("soldOut"))
      : price ? h("span", { class: "option-price" }, `+${money(price)}`) : null);
  return h("fieldset", { class: "option-group", "data-group": group.id },
    h("legend", {},
      h("span", { class: "group-name" }, localName(group)),
      h("span", { class: `rule ${required ? "is-required" : ""}` },
        `${required ? t("required") : t("optional")} · ${groupRule(group)}`)),
    // An optional single choice gets "None", so a radio choice can be taken back.
    single && !required ? row(null, t("none"), 0) : null,
    group.options.map((o) => row(o.id, localName(o), o.price, o.sold_out)));
}

const picked = () => [...chosen.picks.values()].flatMap((set) => [...set]).sort((a, b) => a - b);
const toggle = (id, label, fee) => h("label", { class: "option" }, h("input", { type: "checkbox", id }),
  h("span", { class: "option-name" }, label), fee ? h("span", { class: "option-price" }, `+${money(fee)}`) : null);

function noteField() {
  const counter = h("span", { class: "counter", "aria-hidden": "true" }, "0/140");
  const area = h("textarea", { id: "dish-note", name: "note", maxlength: "140", rows: "2",
    placeholder: t("notePlaceholder"), enterkeyhint: "done" });
  area.addEventListener("input", () => (counter.textContent = `${area.value.length}/140`));
  return h("div", { class: "note-field" },
    h("label", { for: "dish-note" }, t("note")), area, counter);
}

function updateDishSheet() {
  const { dish, qty, picks } = chosen;
  const missing = [];
  const unit = unitPrice(dish, picked(), $("#dish-togo").checked);
  for (const group of dish.option_groups) {
    const set = picks.get(group.id);
    if (set.size < group.min) missing.push(localName(group));
    if (group.max > 1) {
      // Past the group's max, the remaining boxes are disabled instead of failing on "Add".
      for (const box of dishSheet.querySelectorAll(`input[data-group="${group.id}"]`)) {
        box.disabled = box.dataset.out != null || (!box.checked && set.size >= group.max);
      }
    }
  }
  const add = $("#dish-add");
  add.textContent = t("addPrice", { price: money(unit * qty) });
  add.disabled = missing.length > 0;
  $("#dish-hint").textContent = missing.length ? t("pleaseChoose", { groups: missing.join(listSep) }) : "";
  $("#dish-qty").textContent = String(qty);
  dishSheet.querySelector('[data-step="-1"]').disabled = qty <= least(dish);
  dishSheet.querySelector('[data-step="1"]').disabled = qty >= 99;
}

dishSheet.addEventListener("change", (e) => {
  const input = e.target;
  if (input.id === "dish-togo" && chosen) return updateDishSheet(); // its fee
  if (!input.dataset.group || !chosen) return;
  const set = chosen.picks.get(Number(input.dataset.group));
  if (input.type === "radio") set.clear();
  if (input.value && input.checked) set.add(Number(input.value));
  else if (input.value) set.delete(Number(input.value));
  // A class as well as :has(), which older phone browsers lack.
  for (const box of dishSheet.querySelectorAll(`input[data-group="${input.dataset.group}"]`)) {
    box.closest(".option").classList.toggle("is-checked", box.checked);
  }
  updateDishSheet();
});

dishSheet.addEventListener("click", (e) => {
  const step = e.target.closest("[data-step]");
  if (!step || !chosen) return;
  chosen.qty = Math.min(99, Math.max(least(chosen.dish), chosen.qty + Number(step.dataset.step)));
  updateDishSheet();
});

$("#dish-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!chosen || $("#dish-add").disabled) return;
  const { dish, qty } = chosen;
  const options = picked();
  const note = $("#dish-note").value.trim().slice(0, 140);
  const shared = $("#dish-shared").checked || undefined; // only when true
  const takeaway = $("#dish-togo").checked || undefined;
  closeSheet(dishSheet);
  let queued = null;
  if (sock.state !== "online") {
    queued = { line_id: `q${++queuedCount}`, dish_id: dish.id, qty, options, note, shared, takeaway, added_by: S.me,
      price: unitPrice(dish, options, takeaway), queued: true, until: null };
    S.queued.set(queued.line_id, queued);
    toast(t("queued"));
    render();
  }
  sock.send("cart.add", { dish_id: dish.id, qty, options, note, shared, takeaway })
    .then((ack) => {
      if (queued) queued.until = ack.seq; // drawn until the event with that seq is applied
      settlePending();
      render();
      toast(t("added", { qty, dish: localName(dish) }), "is-ok", { key: "cart" });
    })
    .catch(async (err) => {
      if (queued) S.queued.delete(queued.line_id);
      render();
      // Choices or a minimum the page's menu did not have yet (an option sold out meanwhile).
      const outdated = ["options", "dish", "min_qty"].includes(err.reply?.detail) || err.reply?.option_ids;
      if (!outdated || !reloadMenu) return showError(err);
      toast(errorText(err), "is-error", { key: "menu" });
      await reloadMenu();
      const fresh = S.dishes.get(dish.id);
      if (fresh && !fresh.sold_out && err.reply.detail !== "dish") openDish(dish.id);
    });
});
