// Finding a dish: the search box (either name, or pinyin initials: "gbjd" finds 宫保鸡丁) and the
// filter chips (the restaurant's tags and "not spicy"; several: dishes with all). Cards that do
// not match are hidden, not redrawn, so their cart and sold-out marks stay live.

import { $, fill, h, localName } from "./ui.js";
import { matches } from "./menu_search.js";
import { S, t } from "./table_state.js";

const search = $("#menu-search");
const picked = new Set(); // tag ids, and "mild" for not spicy

const fits = (dish) => matches(dish, search.value)
  && [...picked].every((k) => (k === "mild" ? !dish.spice : dish.tags?.includes(k)));

// Chips for the tags some dish carries (one that none has would only empty the menu).
export function renderFilters() {
  const dishes = [...S.dishes.values()];
  const used = new Set(dishes.flatMap((d) => d.tags || []));
  for (const k of picked) if (k !== "mild" && !used.has(k)) picked.delete(k);
  const chip = (key, label) => h("button", { type: "button", class: "filter-chip",
    "aria-pressed": String(picked.has(key)), onclick: (e) => {
      if (!picked.delete(key)) picked.add(key);
      e.currentTarget.setAttribute("aria-pressed", String(picked.has(key)));
      applyFilter();
    } }, label);
  fill($("#filters"), dishes.some((d) => d.spice) && chip("mild", t("notSpicy")),
    [...S.tags.values()].filter((tag) => used.has(tag.id))
      .map((tag) => chip(tag.id, `${tag.icon} ${localName(tag)}`)));
  applyFilter();
}

// Hide the cards that do not match, then the sections left empty and their category chips.
export function applyFilter() {
  let shown = 0;
  for (const section of document.querySelectorAll(".menu-section")) {
    let n = 0;
    for (const card of section.querySelectorAll("[data-dish]")) {
      card.hidden = !fits(S.dishes.get(Number(card.dataset.dish)));
      n += !card.hidden;
    }
    section.hidden = !n;
    const chip = $(`#category-bar [data-target="${section.id}"]`);
    if (chip) chip.hidden = !n;
    shown += n;
  }
  $("#no-match").hidden = shown > 0 || !S.dishes.size;
}

search.addEventListener("input", applyFilter);
// The keyboard's Search key puts the keyboard away: the results are under it.
search.addEventListener("keydown", (e) => e.key === "Enter" && search.blur());
$("#filter-clear").addEventListener("click", () => {
  search.value = "";
  picked.clear();
  renderFilters();
});
