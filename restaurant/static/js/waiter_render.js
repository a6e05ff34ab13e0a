// Drawing the waiter's page from its state: the menu (search, recent, categories), the dock, the
// shared cart (who added each line) and the rounds sent with each dish's state.

import { adjustable } from "./waiter_adjust.js";
import { $, EN, clock, fill, h, listSep, localName } from "./ui.js";
import {
  S, cartCount, cartLines, cartTotal, dinerName, dishName, matches, money, sock, t,
} from "./waiter_state.js";

const inCart = (dishId) => cartLines().filter((l) => l.dish_id === dishId).reduce((n, l) => n + l.qty, 0);

// Its spice level and its tags' icons, as on the diners' cards (a guest asks: "any nuts?").
function marks(dish) {
  const tags = (dish.tags || []).map((id) => S.tags.get(id)).filter(Boolean);
  const text = "🌶\ufe0f".repeat(dish.spice || 0) + tags.map((tag) => tag.icon).join("");
  return text ? h("span", { class: "w-marks", title: tags.map(localName).join(listSep) || null }, text) : null;
}

function dishRow(dish) {
  const n = inCart(dish.id);
  const other = EN ? dish.name : dish.name_en;
  return h("li", { class: `w-dish${dish.sold_out ? " is-sold-out" : ""}`, "data-dish": dish.id },
    h("button", { class: "w-dish-open", type: "button", disabled: dish.sold_out, "data-open": dish.id },
      h("span", { class: "w-dish-name" }, localName(dish), marks(dish),
        other && other !== localName(dish) ? h("small", {}, other) : null),
      h("span", { class: "w-dish-meta" },
        dish.sold_out ? h("span", { class: "w-sold-out" }, t("soldOut")) : money(dish.price),
        // 限量: a counted dish says how many are left, whatever the count (the waiter sells them).
        !dish.sold_out && typeof dish.stock === "number" ? h("span", { class: "w-in-cart" }, t("left", { n: dish.stock })) : null,
        n ? h("span", { class: "w-in-cart" }, t("inCart", { n })) : null)),
    h("button", { class: "w-plus", type: "button", disabled: dish.sold_out, "data-add": dish.id,
      "aria-label": t("addOne", { dish: localName(dish) }) }, "+"));
}

export function renderMenu() {
  const searching = S.query.trim() !== "";
  fill($("#cats"),
    [{ id: null, name: t("all"), name_en: t("all") }, ...S.categories].map((c) => h("button", {
      type: "button", class: !searching && S.category === c.id ? "chip is-active" : "chip",
      "data-cat": c.id ?? "", "aria-pressed": String(!searching && S.category === c.id),
    }, localName(c))));
  const recent = S.recent.map((id) => S.dishes.get(id)).filter(Boolean);
  $("#recent").hidden = searching || !recent.length;
  fill($("#recent-chips"), recent.map((d) => h("button", {
    type: "button", class: "chip", "data-add": d.id, disabled: d.sold_out,
  }, localName(d))));
  const sections = [];
  for (const category of S.categories) {
    if (!searching && S.category !== null && category.id !== S.category) continue;
    const dishes = category.dishes.filter((d) => matches(d, S.query));
    if (!dishes.length) continue;
    sections.push(h("h2", { class: "w-cat" }, localName(category)), h("ul", { class: "w-list" }, dishes.map(dishRow)));
  }
  fill($("#dishes"), sections.length ? sections : h("p", { class: "muted" }, t("noMatch", { q: S.query })));
}

// A dish added as shared by the table (the check splits it among the diners); one packed to
// take away (打包: its price holds the fee).
const badge = (on, text) => (on ? [" ", h("span", { class: "w-tag" }, t(text))] : []);
const sharedTag = (x) => [...badge(x.shared, "shared"), ...badge(x.takeaway, "toGo")];

function lineRow(line) {
  const options = line.options.map((id) => S.options.get(id)).filter(Boolean).map(localName).join(listSep);
  return h("li", { class: "w-line", "data-line": line.line_id },
    h("div", { class: "w-line-text" },
      h("strong", {}, dishName(line.dish_id), sharedTag(line)),
      options ? h("span", { class: "muted small" }, options) : null,
      line.note ? h("span", { class: "w-note" }, line.note) : null,
      h("span", { class: "muted small" }, money(line.price * line.qty))),
    h("div", { class: "stepper" },
      h("button", { type: "button", class: "step", "data-qty": line.qty - 1, "aria-label": line.qty > 1 ? t("fewer") : t("remove") }, line.qty > 1 ? "−" : "×"),
      h("output", { class: "qty" }, String(line.qty)),
      h("button", { type: "button", class: "step", "data-qty": line.qty + 1, "aria-label": t("more"), disabled: line.qty >= 99 }, "+")));
}

function whoLabel(id) {
  const diner = S.diners.get(id);
  const name = dinerName(id);
  return h("h3", { class: "w-who" },
    h("span", { class: "w-dot", style: `background:${diner?.color || "#999"}` }), name,
    id === S.me ? h("span", { class: "w-tag" }, t("you")) : diner?.staff ? h("span", { class: "w-tag" }, t("staff")) : null);
}

export function renderCart() {
  const byWho = new Map();
  for (const id of [S.me, ...S.diners.keys()]) byWho.set(id, []);
  for (const line of cartLines()) {
    if (!byWho.has(line.added_by)) byWho.set(line.added_by, []);
    byWho.get(line.added_by).push(line);
  }
  const groups = [...byWho].filter(([, lines]) => lines.length);
  fill($("#cart-body"), groups.length
    ? groups.map(([who, lines]) => h("section", { class: "w-group" }, whoLabel(who), h("ul", { class: "w-lines" }, lines.map(lineRow))))
    : h("p", { class: "muted" }, t("cartEmpty")));
  const count = cartCount();
  const total = money(cartTotal());
  const badge = $("#cart-count");
  badge.hidden = !count;
  badge.textContent = String(count);
  $("#cart-total").textContent = count ? total : "";
  $("#cart-hint").textContent = count ? t("items", { n: count }) : t("cartEmpty");
  $("#cart-sheet-total").textContent = total;
  for (const button of [$("#send-button"), $("#cart-send")]) {
    button.disabled = !count || S.sending || S.session?.status !== "open";
    button.textContent = S.sending ? t("sending") : count ? t("sendN", { n: count, total }) : t("send");
  }
}

export function renderOrders() {
  const orders = [...S.orders.values()].sort((a, b) => b.round - a.round);
  fill($("#orders-body"), orders.length ? orders.map((order) => h("article", { class: `w-round is-${order.status}` },
    h("header", {},
      h("strong", {}, t("round", { n: order.round })),
      h("span", { class: "w-status" }, order.awaiting_confirmation ? t("awaiting") : t(`status_${order.status}`)),
      h("span", { class: "muted small" }, t("sentBy", { name: dinerName(order.by), time: clock(order.created_at) }))),
    h("ul", {}, order.items.map((item) => h("li", { class: `w-item is-${item.status}${item.comped ? " is-comped" : ""}` },
      h("span", {}, `${dishName(item.dish_id, item.name)} × ${item.qty}`, sharedTag(item),
        item.set_name ? h("small", { class: "muted" }, ` · ${dishName(item.set_dish_id, item.set_name)}`) : null), // 套餐
      h("span", { class: "w-item-state" }, item.comped ? `${t(`item_${item.status}`)} · ${t("comped")}` : t(`item_${item.status}`)),
      adjustable(item, order)
        ? h("button", { type: "button", class: "w-item-more", "data-adjust": item.item_id, "aria-label": t("adjustDish") }, "⋯")
        : null))))) : h("p", { class: "muted" }, t("noOrders")));
}

export function renderHeader() {
  const open = S.session?.status === "open";
  const meal = [t("meal", { id: S.session?.id }), S.meal.guests ? t("mealGuests", { n: S.meal.guests }) : "", S.meal.note ? "✎" : ""];
  $("#waiter-meal").textContent = S.session ? (open ? meal.filter(Boolean).join(" · ") : t("mealClosed")) : "";
  $("#waiter-meal").disabled = !open;
}

export function render() {
  renderHeader();
  renderMenu();
  renderCart();
  renderOrders();
  document.body.dataset.seq = sock.seq ?? "";
}
