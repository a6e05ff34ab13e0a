// The menu as drawn: dish cards by category, the category chips and the scroll-spy that marks
// the one on screen. Tapping a card is handled in table_dish.js (one listener on #menu).

import { $, EN, fill, firstGrapheme, h, icon as sprite, localName } from "./ui.js";
import { applyFilter, renderFilters } from "./table_filter.js";
import { S, money, t } from "./table_state.js";

export const menuEl = $("#menu");
const categoryBar = $("#category-bar");
const icon = (name) => sprite(`i-${name}`);

function imageUrl(image) {
  if (!image) return "";
  return /^(https?:)?\/\//.test(image) || image.startsWith("/") ? image : `/static/${image}`;
}

function dishMedia(dish, cls = "dish-media") {
  // The box keeps its size (aspect-ratio) whether the picture loads, fails or is missing.
  const box = h("div", { class: cls, style: `--hue:${(dish.id * 47) % 360}`, "aria-hidden": "true" },
    h("span", { class: "media-letter" }, firstGrapheme(localName(dish))));
  const src = imageUrl(dish.image);
  if (src) {
    // Lazy, and sized by its box (aspect-ratio in app.css): the card never jumps when it loads.
    const img = h("img", { src, alt: "", loading: "lazy", decoding: "async", width: 192, height: 192 });
    img.addEventListener("error", () => img.remove());
    box.append(img);
  }
  return box;
}

export function heroMedia(dish) {
  const box = dishMedia(dish, "dish-hero");
  // In the sheet a picture that fails to load leaves no empty box behind.
  box.querySelector("img")?.addEventListener("error", () => box.remove());
  return box;
}

// Beside the name: chillies for its spice level (1 mild to 3 hot) and its tags' icons, each
// named for screen readers.
function marks(dish) {
  const tags = (dish.tags || []).map((id) => S.tags.get(id)).filter(Boolean);
  return (dish.spice > 0 || tags.length > 0) && h("span", { class: "marks" },
    dish.spice > 0 && h("span", { role: "img", "aria-label": t("spicy", { n: dish.spice }) }, "🌶\ufe0f".repeat(dish.spice)),
    tags.map((tag) => h("span", { role: "img", "aria-label": localName(tag) }, tag.icon || localName(tag))));
}

function dishCard(dish) {
  const description = EN && dish.description_en ? dish.description_en : dish.description;
  const out = dish.sold_out || dish.stock === 0; // a counted dish at 0 is sold out
  return h("article", { class: `dish-card${out ? " is-sold-out" : ""}`, "data-dish": dish.id },
    dishMedia(dish),
    h("div", { class: "dish-body" },
      h("div", { class: "dish-title" },
        h("h3", { class: "dish-name" }, h("button", { type: "button", class: "dish-open", disabled: out,
          "data-key": `dish-${dish.id}` }, localName(dish))), marks(dish)),
      description ? h("p", { class: "dish-desc" }, description) : null,
      h("div", { class: "dish-foot" },
        h("span", { class: "price" }, money(dish.price)),
        !out && dish.stock > 0 && dish.stock <= 5 && h("span", { class: "left-tag" }, t("left", { n: dish.stock })),
        h("span", { class: "in-cart", hidden: true }),
        out
          ? h("span", { class: "sold-out-tag" }, t("soldOut"))
          : h("span", { class: "add-dot", "aria-hidden": "true" }, icon("plus")))));
}

export function renderMenu() {
  const sections = [];
  const chips = [];
  for (const category of S.categories) {
    if (!category.dishes.length) continue;
    const id = `cat-${category.id}`;
    sections.push(h("section", { class: "menu-section", id, "aria-labelledby": `${id}-h` },
      h("h2", { class: "section-title", id: `${id}-h` }, localName(category)),
      category.dishes.map(dishCard)));
    chips.push(h("a", { class: "chip", href: `#${id}`, "data-target": id,
      onclick: (e) => { e.preventDefault(); jumpTo(id); } }, localName(category)));
  }
  fill(menuEl, ...sections);
  menuEl.setAttribute("aria-busy", "false");
  fill(categoryBar, ...chips);
  renderFilters();
  spy();
}

export function renderMenuError(retry) {
  fill(menuEl,
    h("div", { class: "card notice" }, h("p", {}, t("menuError")),
      h("button", { class: "btn btn-primary", type: "button", onclick: retry }, t("retry"))),
  );
}

export function updateDishCard(dish) {
  const card = menuEl.querySelector(`[data-dish="${dish.id}"]`);
  if (card) card.replaceWith(dishCard(dish));
  applyFilter();
}

function jumpTo(id) {
  const section = document.getElementById(id);
  if (!section) return;
  const reduce = matchMedia("(prefers-reduced-motion: reduce)").matches;
  section.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "start" });
  markChip(id);
}

function markChip(id) {
  for (const chip of categoryBar.children) {
    const on = chip.dataset.target === id;
    chip.classList.toggle("is-active", on);
    if (on) {
      chip.setAttribute("aria-current", "true");
      categoryBar.scrollTo({ left: chip.offsetLeft - (categoryBar.clientWidth - chip.offsetWidth) / 2,
        behavior: "smooth" });
    } else chip.removeAttribute("aria-current");
  }
}

// Scroll-spy: the chip of the section at the top of the screen is the active one.
let spyQueued = false;
let spyCurrent = null;
function spy() {
  spyQueued = false;
  const top = categoryBar.getBoundingClientRect().bottom + 8;
  let current = null;
  for (const section of menuEl.querySelectorAll(".menu-section:not([hidden])")) {
    if (section.getBoundingClientRect().top <= top) current = section.id;
  }
  if (!current) current = menuEl.querySelector(".menu-section:not([hidden])")?.id;
  if (current && current !== spyCurrent) {
    spyCurrent = current;
    markChip(current);
  }
}
addEventListener("scroll", () => {
  if (!spyQueued) {
    spyQueued = true;
    requestAnimationFrame(spy);
  }
}, { passive: true });
