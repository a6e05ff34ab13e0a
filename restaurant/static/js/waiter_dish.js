// The dish sheet of the waiter's page: a dish's option groups (min/max as the diners' page asks
// them), quantity, a note, and "Add" to the table's cart.

import { $, closeDialog, fill, h, listSep, localName, openDialog, toast } from "./ui.js";
import { S, money, sock, t } from "./waiter_state.js";

const sheet = $("#dish-sheet");
let chosen = null; // {dish, qty, picks: Map(group id -> Set(option ids))}
let onChange = () => {};
const least = (dish) => dish.min_qty || 1; // 起售份数: a line holds at least this many

export function onCartChange(fn) {
  onChange = fn;
}

function groupRule(group) {
  if (group.max === 1) return group.min === 1 ? t("chooseOne") : t("chooseUpTo", { n: 1 });
  if (group.min === group.max) return t("chooseN", { n: group.min });
  if (group.min === 0) return t("chooseUpTo", { n: group.max });
  return t("chooseRange", { min: group.min, max: group.max });
}

function optionGroup(group) {
  const single = group.max === 1;
  const required = group.min > 0;
  // A sold-out option shows, greyed out, and cannot be chosen.
  const row = (option, label, price, out) => h("label", { class: option === null ? "option is-checked" : "option" },
    h("input", { type: single ? "radio" : "checkbox", name: `g${group.id}`, value: option ?? "",
      checked: option === null, "data-group": group.id, disabled: out, "data-out": out }),
    h("span", { class: "option-name" }, label),
    out ? h("span", { class: "sold-out-tag" }, t("soldOut"))
      : price ? h("span", { class: "option-price" }, `+${money(price)}`) : null);
  return h("fieldset", { class: "option-group", "data-group": group.id },
    h("legend", {},
      h("span", { class: "group-name" }, localName(group)),
      h("span", { class: `rule ${required ? "is-required" : ""}` },
        `${required ? t("required") : t("optional")} · ${groupRule(group)}`)),
    single && !required ? row(null, t("none"), 0) : null,
    group.options.map((o) => row(o.id, localName(o), o.price, o.sold_out)));
}

function noteField() {
  return h("div", { class: "note-field" },
    h("label", { for: "dish-note" }, t("note")),
    h("textarea", { id: "dish-note", name: "note", maxlength: "140", rows: "2",
      placeholder: t("notePlaceholder"), enterkeyhint: "done" }));
}

// "+": one of the dish straight in when nothing must be chosen; otherwise the sheet asks.
export function addDish(dishId) {
  const dish = S.dishes.get(dishId);
  if (!dish || dish.sold_out) return;
  if (dish.option_groups.every((g) => g.min === 0)) send(dish, least(dish), [], "", false);
  else openDish(dish);
}

// Shared by the table (a starter for everyone): the check splits it among the diners.
function sharedField() {
  return h("label", { class: "option" },
    h("input", { type: "checkbox", id: "dish-shared", name: "shared" }),
    h("span", { class: "option-name" }, t("sharedAll")));
}

// Packed to take away (打包): each portion costs the dish's packing fee more.
function takeawayField(dish) {
  return h("label", { class: "option" },
    h("input", { type: "checkbox", id: "dish-togo", name: "takeaway" }),
    h("span", { class: "option-name" }, t("takeaway")),
    dish.packing_fee ? h("span", { class: "option-price" }, `+${money(dish.packing_fee)}`) : null);
}

// The dish's sheet: its options, whether the table shares it or takes it away, a quantity and
// a note.
export function openDish(dish) {
  if (!dish || dish.sold_out) return;
  chosen = { dish, qty: least(dish), picks: new Map(dish.option_groups.map((g) => [g.id, new Set()])) };
  $("#dish-title").textContent = localName(dish);
  fill($("#dish-body"), h("p", { class: "price big" }, money(dish.price)),
    least(dish) > 1 ? h("p", { class: "rule is-required" }, t("minQty", { n: least(dish) })) : null,
    dish.option_groups.map(optionGroup), sharedField(), takeawayField(dish), noteField());
  update();
  openDialog(sheet);
}

export function closeIfSoldOut(dish) {
  if (chosen?.dish.id === dish.id && dish.sold_out) closeDialog(sheet);
}

function update() {
  const { dish, qty, picks } = chosen;
  const missing = [];
  let unit = dish.price + ($("#dish-togo").checked ? dish.packing_fee || 0 : 0);
  for (const group of dish.option_groups) {
    const set = picks.get(group.id);
    for (const id of set) unit += S.options.get(id)?.price || 0;
    if (set.size < group.min) missing.push(localName(group));
    if (group.max > 1) {
      for (const box of sheet.querySelectorAll(`input[data-group="${group.id}"]`)) {
        box.disabled = box.dataset.out != null || (!box.checked && set.size >= group.max);
      }
    }
  }
  const add = $("#dish-add");
  add.textContent = t("addPrice", { price: money(unit * qty) });
  add.disabled = missing.length > 0;
  $("#dish-hint").textContent = missing.length ? t("pleaseChoose", { groups: missing.join(listSep) }) : "";
  $("#dish-qty").textContent = String(qty);
  sheet.querySelector('[data-step="-1"]').disabled = qty <= least(dish);
  sheet.querySelector('[data-step="1"]').disabled = qty >= 99;
}

sheet.addEventListener("change", (e) => {
  const input = e.target;
  if (input.id === "dish-togo" && chosen) return update(); // the price with the fee
  if (!input.dataset.group || !chosen) return;
  const set = chosen.picks.get(Number(input.dataset.group));
  if (input.type === "radio") set.clear();
  if (input.value && input.checked) set.add(Number(input.value));
  else if (input.value) set.delete(Number(input.value));
  for (const box of sheet.querySelectorAll(`input[data-group="${input.dataset.group}"]`)) {
    box.closest(".option").classList.toggle("is-checked", box.checked);
  }
  update();
});

sheet.addEventListener("click", (e) => {
  const step = e.target.closest("[data-step]");
  if (!step || !chosen) return;
  chosen.qty = Math.min(99, Math.max(least(chosen.dish), chosen.qty + Number(step.dataset.step)));
  update();
});

$("#dish-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!chosen || $("#dish-add").disabled) return;
  const { dish, qty, picks } = chosen;
  const options = [...picks.values()].flatMap((set) => [...set]).sort((a, b) => a - b);
  closeDialog(sheet);
  send(dish, qty, options, $("#dish-note").value.trim().slice(0, 140), $("#dish-shared").checked,
    $("#dish-togo").checked);
});

// Sent at once when online; offline, the socket keeps the op and sends it after the next
// snapshot (same op id: applied once). `shared` and `takeaway` go only when true.
function send(dish, qty, options, note, shared, takeaway) {
  sock.send("cart.add", { dish_id: dish.id, qty, options, note, ...(shared && { shared }), ...(takeaway && { takeaway }) })
    .then(() => toast(t("added", { qty, dish: localName(dish) }), "is-ok", { key: "cart" }))
    .catch((err) => toast(t("failed", { message: err.message }), "is-error"))
    .finally(onChange);
  if (sock.state !== "online") toast(t("staleOffline"));
}
