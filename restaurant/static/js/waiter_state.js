// The waiter's page (代客下单): its state is what the table's last snapshot plus the events since
// say, as on a diner's phone; the menu came with the page (each dish with its pinyin initials).

import { LiveSocket } from "./socket.js";
import { $, localName, moneyFormatter, strings } from "./ui.js";

// The search box matches a dish as the diners' does: either name, or pinyin initials ("gbjd").
export { matches } from "./menu_search.js";

export const config = JSON.parse($("#waiter-config").textContent);
export const t = strings("waiter-strings");

let formatter = moneyFormatter(config.currency || "CNY");
export const money = (minor) => formatter(minor);

export const S = {
  me: null, // the waiter's own diner at the table (`staff: true`)
  meal: { guests: null, note: "" }, // the meal's guest count and whole-order note
  session: null,
  diners: new Map(),
  cart: new Map(), // line_id -> line
  orders: new Map(), // order_id -> order
  dishes: new Map(),
  options: new Map(),
  categories: [],
  tags: new Map(), // tag_id -> tag (its icon beside the dishes)
  recent: [],
  menuVersion: null,
  query: "",
  category: null, // a category id, or null for all
  sending: false,
};

export const sock = new LiveSocket(config.wsPath);

export function setMenu(menu) {
  S.menuVersion = menu.version;
  S.categories = menu.categories;
  S.recent = menu.recent || [];
  S.tags = new Map((menu.tags || []).map((tag) => [tag.id, tag]));
  S.dishes.clear();
  S.options.clear();
  for (const category of menu.categories) {
    for (const dish of category.dishes) {
      S.dishes.set(dish.id, dish);
      for (const group of dish.option_groups) for (const o of group.options) S.options.set(o.id, o);
    }
  }
  if (menu.currency) formatter = moneyFormatter(menu.currency);
}

export const dishName = (id, fallback) => {
  const dish = S.dishes.get(id);
  return dish ? localName(dish) : fallback || "?";
};
export const dinerName = (id) => S.diners.get(id)?.name || t("someone");

export function unitPrice(dish, options) {
  return options.reduce((sum, id) => sum + (S.options.get(id)?.price || 0), dish.price);
}

const soldOut = (line) => Boolean(S.dishes.get(line.dish_id)?.sold_out || line.options?.some((id) => S.options.get(id)?.sold_out));
export const cartLines = () => [...S.cart.values()];
export const cartCount = () => cartLines().reduce((sum, l) => sum + l.qty, 0);
export const cartTotal = () => cartLines().filter((l) => !soldOut(l)).reduce((sum, l) => sum + l.price * l.qty, 0);
