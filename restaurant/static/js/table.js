// The table page: menu, shared cart, rounds sent to the kitchen, bill, waiter calls.
// Plain DOM, no framework: the server's snapshot and events are the state; this file draws it.

import { LiveSocket } from "./socket.js";
import {
  $, EN, clock, closeDialog as closeSheet, fill, h, hiddenText as hidden, icon as sprite, isOpen, listSep,
  localName, moneyFormatter, openDialog as openSheet, raisable, strings, toast, wireDialog,
} from "./ui.js";

const config = JSON.parse($("#table-config").textContent);
const t = strings("table-strings");
const STATUSES = ["submitted", "accepted", "preparing", "ready", "served"];
const WAITER_COOLDOWN_MS = 30000;
const FLASH_MS = 1600; // how long a line someone else just changed stays highlighted

const icon = (name) => sprite(`i-${name}`);
let money = moneyFormatter(config.currency || "CNY");

// --- State: exactly what the last snapshot plus the events since say ----------------------------

const S = {
  me: config.dinerId,
  diners: new Map(),
  online: new Set(),
  cart: new Map(), // line_id -> line
  orders: new Map(), // order_id -> order
  dishes: new Map(), // dish_id -> dish (from /api/menu/)
  options: new Map(), // option_id -> option
  categories: [],
  menuVersion: null,
  snapshotMenuVersion: null,
  // Quantities this page asked for and the server has not confirmed yet, so a tap shows at once
  // (and, offline, shows what will be sent). `until`: the ack's seq, once it came.
  pending: new Map(), // line_id -> {qty, until}
  // Dishes added while offline: drawn as lines "waiting to send" until the server has them
  // (an ack with a seq this page has reached), so the diner sees nothing was lost.
  queued: new Map(), // local key -> line-like {line_id: key, dish_id, qty, options, note, price, until}
  flash: new Map(), // line_id -> when someone else changed it (ms): the line glows briefly
  reviewedSeq: null,
  submitting: false,
  snapshots: 0,
};

const sock = new LiveSocket(config.wsPath);

const dishName = (id, fallback) => {
  const dish = S.dishes.get(id);
  return dish ? localName(dish) : fallback || `#${id}`;
};
const dinerName = (id) => S.diners.get(id)?.name || t("someone");
const shownQty = (line) => S.pending.get(line.line_id)?.qty ?? line.qty;
const visibleLines = () => [...S.cart.values(), ...S.queued.values()].filter((line) => shownQty(line) > 0);
const cartTotal = () => visibleLines().reduce((sum, l) => sum + l.price * shownQty(l), 0);
const cartCount = () => visibleLines().reduce((sum, l) => sum + shownQty(l), 0);

function optionNames(ids, frozen = []) {
  return ids.map((id, i) => {
    const option = S.options.get(id);
    return option ? localName(option) : frozen[i] || "";
  }).filter(Boolean).join(listSep);
}

function initials(name) {
  const m = /^(\S)\S*\s+(\d+)$/.exec(name.trim()); // "Guest 3" -> "G3": the number tells guests apart
  if (m) return (m[1] + m[2]).toUpperCase().slice(0, 3);
  return (Array.from(name.trim())[0] || "?").toUpperCase();
}

function inkFor(hex) {
  // Dark text on light diner colours (yellow!), white on dark: keeps initials readable.
  const n = parseInt((hex || "#888888").slice(1), 16);
  const [r, g, b] = [n >> 16, (n >> 8) & 255, n & 255].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.35 ? "#1f1a17" : "#ffffff";
}

function avatar(diner, extra = "") {
  const online = S.online.has(diner.diner_id);
  return h(
    "span",
    {
      class: `avatar ${online ? "is-online" : "is-away"} ${extra}`,
      style: `--c:${diner.color};--on-c:${inkFor(diner.color)}`,
      "aria-hidden": "true",
    },
    initials(diner.name),
  );
}

const dot = (color) => h("span", { class: "dot", style: `--c:${color}`, "aria-hidden": "true" });

// --- Toasts and the connection banner ----------------------------------------------------------

function showError(err) {
  if (!err || err.code === "closed") return; // the closed-session sheet says it better
  if (err.code === "not_found") return; // someone else removed it first: the event shows that
  if (err.code === "rate_limited") return toast(t("tooFast"), "is-error");
  if (err.code === "sold_out") {
    const names = (err.reply.dish_ids || []).map((id) => dishName(id)).join(listSep);
    return toast(`${names} · ${t("soldOut")}`, "is-error");
  }
  toast(t("failed", { message: err.message }), "is-error");
}

const banner = $("#conn-banner");
raisable(banner); // above an open sheet, too: a diner in the cart must see that they are offline
let bannerTimer = null;
function renderConnection(state) {
  clearTimeout(bannerTimer);
  document.body.dataset.connection = state;
  if (state === "online" || state === "closed") {
    banner.hidden = true;
    return;
  }
  const show = () => {
    banner.textContent = state === "offline" ? t("offline") : t("connecting");
    banner.className = `conn-banner is-${state}`;
    banner.hidden = false;
  };
  // A first connection usually takes a blink: do not flash "Connecting…" for it.
  if (state === "connecting") bannerTimer = setTimeout(show, 700);
  else show();
}

// --- Sheets (<dialog>; a plain fallback where the engine has none) ----------------------------

for (const dialog of document.querySelectorAll("dialog.sheet")) {
  wireDialog(dialog, { dismissable: dialog.id !== "ended-sheet" });
}

// Redraw a region without losing the focused control (by its data-key), e.g. a qty "+" button.
function keepFocus(draw) {
  const key = document.activeElement?.dataset?.key;
  draw();
  if (key) document.querySelector(`[data-key="${key}"]`)?.focus({ preventScroll: true });
}

// --- Menu ----------------------------------------------------------------------------------------

const menuEl = $("#menu");
const categoryBar = $("#category-bar");

async function loadMenu() {
  try {
    const response = await fetch(config.menuUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    const menu = await response.json();
    S.menuVersion = menu.version;
    S.categories = menu.categories;
    S.dishes.clear();
    S.options.clear();
    for (const category of menu.categories) {
      for (const dish of category.dishes) {
        S.dishes.set(dish.id, dish);
        for (const group of dish.option_groups) for (const o of group.options) S.options.set(o.id, o);
      }
    }
    if (menu.currency) money = moneyFormatter(menu.currency);
    renderMenu();
    render();
  } catch {
    fill(menuEl,
      h("div", { class: "card notice" }, h("p", {}, t("menuError")),
        h("button", { class: "btn btn-primary", type: "button", onclick: () => loadMenu() }, t("retry"))),
    );
  }
}

function imageUrl(image) {
  if (!image) return "";
  return /^(https?:)?\/\//.test(image) || image.startsWith("/") ? image : `/static/${image}`;
}

function dishMedia(dish, cls = "dish-media") {
  // The box keeps its size (aspect-ratio) whether the picture loads, fails or is missing.
  const box = h("div", { class: cls, style: `--hue:${(dish.id * 47) % 360}`, "aria-hidden": "true" },
    h("span", { class: "media-letter" }, Array.from(localName(dish))[0] || ""));
  const src = imageUrl(dish.image);
  if (src) {
    // Lazy, and sized by its box (aspect-ratio in app.css): the card never jumps when it loads.
    const img = h("img", { src, alt: "", loading: "lazy", decoding: "async", width: 192, height: 192 });
    img.addEventListener("error", () => img.remove());
    box.append(img);
  }
  return box;
}

function heroMedia(dish) {
  const box = dishMedia(dish, "dish-hero");
  // In the sheet a picture that fails to load leaves no empty box behind.
  box.querySelector("img")?.addEventListener("error", () => box.remove());
  return box;
}

function dishCard(dish) {
  const description = EN && dish.description_en ? dish.description_en : dish.description;
  return h("article", { class: `dish-card${dish.sold_out ? " is-sold-out" : ""}`, "data-dish": dish.id },
    dishMedia(dish),
    h("div", { class: "dish-body" },
      h("h3", { class: "dish-name" },
        h("button", { type: "button", class: "dish-open", disabled: dish.sold_out,
          "data-key": `dish-${dish.id}`, onclick: () => openDish(dish.id) }, localName(dish))),
      description ? h("p", { class: "dish-desc" }, description) : null,
      h("div", { class: "dish-foot" },
        h("span", { class: "price" }, money(dish.price)),
        h("span", { class: "in-cart", hidden: true }),
        dish.sold_out
          ? h("span", { class: "sold-out-tag" }, t("soldOut"))
          : h("span", { class: "add-dot", "aria-hidden": "true" }, icon("plus")))));
}

function renderMenu() {
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
  spy();
}

function updateDishCard(dish) {
  const card = menuEl.querySelector(`[data-dish="${dish.id}"]`);
  if (card) card.replaceWith(dishCard(dish));
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
  for (const section of menuEl.querySelectorAll(".menu-section")) {
    if (section.getBoundingClientRect().top <= top) current = section.id;
  }
  if (!current) current = menuEl.querySelector(".menu-section")?.id;
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

// --- The dish sheet: options, quantity, note, "Add" -------------------------------------------

const dishSheet = $("#dish-sheet");
let chosen = null; // {dish, qty, picks: Map(group id -> Set(option ids))}

function groupRule(group) {
  if (group.max === 1) return group.min === 1 ? t("chooseOne") : t("chooseUpTo", { n: 1 });
  if (group.min === group.max) return t("chooseN", { n: group.min });
  if (group.min === 0) return t("chooseUpTo", { n: group.max });
  return t("chooseRange", { min: group.min, max: group.max });
}

function openDish(dishId) {
  const dish = S.dishes.get(dishId);
  if (!dish || dish.sold_out) return;
  chosen = { dish, qty: 1, picks: new Map(dish.option_groups.map((g) => [g.id, new Set()])) };
  $("#dish-title").textContent = localName(dish);
  const description = EN && dish.description_en ? dish.description_en : dish.description;
  const body = $("#dish-body");
  fill(body,
    dish.image ? heroMedia(dish) : null,
    description ? h("p", { class: "dish-desc full" }, description) : null,
    h("p", { class: "price big" }, money(dish.price)),
    dish.option_groups.map(optionGroup),
    noteField(),
  );
  $("#dish-qty").textContent = "1";
  updateDishSheet();
  openSheet(dishSheet);
  body.scrollTop = 0;
}

function optionGroup(group) {
  const single = group.max === 1;
  const required = group.min > 0;
  const name = `g${group.id}`;
  const row = (option, label, price) => h("label", { class: option === null ? "option is-checked" : "option" },
    h("input", { type: single ? "radio" : "checkbox", name, value: option ?? "",
      checked: option === null, "data-group": group.id }),
    h("span", { class: "option-name" }, label),
    price ? h("span", { class: "option-price" }, `+${money(price)}`) : null);
  return h("fieldset", { class: "option-group", "data-group": group.id },
    h("legend", {},
      h("span", { class: "group-name" }, localName(group)),
      h("span", { class: `rule ${required ? "is-required" : ""}` },
        `${required ? t("required") : t("optional")} · ${groupRule(group)}`)),
    // An optional single choice gets "None", so a radio choice can be taken back.
    single && !required ? row(null, t("none"), 0) : null,
    group.options.map((o) => row(o.id, localName(o), o.price)));
}

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
  let unit = dish.price;
  for (const group of dish.option_groups) {
    const set = picks.get(group.id);
    for (const id of set) unit += S.options.get(id)?.price || 0;
    if (set.size < group.min) missing.push(localName(group));
    if (group.max > 1) {
      // Past the group's max, the remaining boxes are disabled instead of failing on "Add".
      for (const box of dishSheet.querySelectorAll(`input[data-group="${group.id}"]`)) {
        box.disabled = !box.checked && set.size >= group.max;
      }
    }
  }
  const add = $("#dish-add");
  add.textContent = t("addPrice", { price: money(unit * qty) });
  add.disabled = missing.length > 0;
  $("#dish-hint").textContent = missing.length ? t("pleaseChoose", { groups: missing.join(listSep) }) : "";
  $("#dish-qty").textContent = String(qty);
  dishSheet.querySelector('[data-step="-1"]').disabled = qty <= 1;
  dishSheet.querySelector('[data-step="1"]').disabled = qty >= 99;
}

dishSheet.addEventListener("change", (e) => {
  const input = e.target;
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
  chosen.qty = Math.min(99, Math.max(1, chosen.qty + Number(step.dataset.step)));
  updateDishSheet();
});

$("#dish-form").addEventListener("submit", (e) => {
  e.preventDefault();
  if (!chosen || $("#dish-add").disabled) return;
  const { dish, qty, picks } = chosen;
  const options = [...picks.values()].flatMap((set) => [...set]).sort((a, b) => a - b);
  const note = $("#dish-note").value.trim().slice(0, 140);
  closeSheet(dishSheet);
  let queued = null;
  if (sock.state !== "online") {
    queued = { line_id: `q${++queuedCount}`, dish_id: dish.id, qty, options, note, added_by: S.me,
      price: unitPrice(dish, options), queued: true, until: null };
    S.queued.set(queued.line_id, queued);
    toast(t("queued"));
    render();
  }
  sock.send("cart.add", { dish_id: dish.id, qty, options, note })
    .then((ack) => {
      if (queued) queued.until = ack.seq; // drawn until the event with that seq is applied
      settlePending();
      render();
      toast(t("added", { qty, dish: localName(dish) }), "is-ok");
    })
    .catch((err) => {
      if (queued) S.queued.delete(queued.line_id);
      render();
      showError(err);
    });
});
let queuedCount = 0;

function unitPrice(dish, options) {
  return options.reduce((sum, id) => sum + (S.options.get(id)?.price || 0), dish.price);
}

// --- The shared cart --------------------------------------------------------------------------

const cartSheet = $("#cart-sheet");

function groupedLines() {
  // Lines by who added them: me first, then the others in the order they sat down.
  const groups = new Map();
  const order = [S.me, ...[...S.diners.keys()].filter((id) => id !== S.me)];
  for (const id of order) groups.set(id, []);
  for (const line of visibleLines()) {
    if (!groups.has(line.added_by)) groups.set(line.added_by, []);
    groups.get(line.added_by).push(line);
  }
  return [...groups].filter(([, lines]) => lines.length);
}

function setQty(line, qty) {
  const id = line.line_id;
  S.pending.set(id, { qty, until: null });
  render();
  const op = qty === 0 ? sock.send("cart.remove", { line_id: id }) : sock.send("cart.set_qty", { line_id: id, qty });
  op.then((ack) => {
    const mine = S.pending.get(id);
    if (mine && mine.qty === qty) mine.until = ack.seq; // shown until the event with that seq
    settlePending();
    render();
  }).catch((err) => {
    if (S.pending.get(id)?.qty === qty) S.pending.delete(id);
    render();
    showError(err);
  });
}

function settlePending() {
  for (const [id, p] of S.pending) {
    if (p.until != null && (sock.seq ?? 0) >= p.until) S.pending.delete(id);
    else if (p.until != null && !S.cart.has(id)) S.pending.delete(id);
  }
  for (const [key, q] of S.queued) if (q.until != null && (sock.seq ?? 0) >= q.until) S.queued.delete(key);
  for (const [id, at] of S.flash) if (Date.now() - at > FLASH_MS) S.flash.delete(id);
}

function lineRow(line, { editable: editableView }) {
  const qty = shownQty(line);
  const dish = S.dishes.get(line.dish_id);
  const soldOut = dish?.sold_out;
  const opts = optionNames(line.options);
  const name = dishName(line.dish_id);
  const editable = editableView && !line.queued; // a queued add has no line on the server yet
  const pending = line.queued || S.pending.has(line.line_id);
  // Someone else's change glows; a redraw mid-glow continues it rather than starting over.
  const flashed = Date.now() - (S.flash.get(line.line_id) || 0);
  const flash = flashed < FLASH_MS;
  return h("li", {
    class: `line${soldOut ? " is-sold-out" : ""}${pending ? " is-pending" : ""}${flash ? " is-flash" : ""}`,
    style: flash ? `animation-delay:-${flashed}ms` : null,
    "data-line": line.queued ? null : line.line_id,
    "data-queued": line.queued ? "" : null },
    h("div", { class: "line-main" },
      h("span", { class: "line-name" }, editable ? name : `${qty} × ${name}`),
      opts ? h("span", { class: "line-options" }, opts) : null,
      line.note ? h("span", { class: "line-note" }, `“${line.note}”`) : null,
      soldOut ? h("span", { class: "sold-out-tag" }, t("soldOut")) : null,
      line.queued ? h("span", { class: "queued-tag" }, t("waitingToSend")) : null,
      editable ? h("span", { class: "line-each" }, t("each", { price: money(line.price) })) : null),
    h("div", { class: "line-side" },
      h("span", { class: "line-price" }, money(line.price * qty)),
      editable ? h("div", { class: "stepper small", role: "group", "aria-label": name },
        h("button", { type: "button", class: "step", "data-key": `line-${line.line_id}-minus`,
          onclick: () => setQty(line, qty - 1) },
          icon(qty <= 1 ? "trash" : "minus"), hidden(qty <= 1 ? t("remove") : t("fewer"))),
        h("output", { class: "qty" }, String(qty)),
        h("button", { type: "button", class: "step", "data-key": `line-${line.line_id}-plus`,
          disabled: qty >= 99, onclick: () => setQty(line, qty + 1) }, icon("plus"), hidden(t("more"))))
        : null));
}

function dinerHeader(dinerId, lines) {
  const diner = S.diners.get(dinerId) || { diner_id: dinerId, name: t("someone"), color: "#999999" };
  const subtotal = lines.reduce((sum, l) => sum + l.price * shownQty(l), 0);
  return h("div", { class: "diner-head" },
    dot(diner.color),
    h("span", { class: "diner-name" }, diner.name, dinerId === S.me ? h("span", { class: "me" }, ` (${t("you")})`) : null),
    h("span", { class: "diner-subtotal" }, t("subtotal", { amount: money(subtotal) })));
}

function renderCartSheet() {
  const groups = groupedLines();
  keepFocus(() => {
    fill($("#cart-body"),
      groups.length
        ? groups.map(([dinerId, lines]) => h("section", { class: "diner-group", "data-diner": dinerId },
          dinerHeader(dinerId, lines), h("ul", { class: "lines" }, lines.map((l) => lineRow(l, { editable: true })))))
        : h("p", { class: "empty" }, t("cartEmpty")));
  });
  $("#cart-sheet-total").textContent = money(cartTotal());
  $("#cart-submit").disabled = groups.length === 0;
}

function renderCartBar() {
  const count = cartCount();
  const badge = $("#cart-count");
  badge.hidden = count === 0;
  badge.textContent = String(count);
  $("#cart-total").textContent = count ? money(cartTotal()) : "";
  $("#cart-hint").textContent = count ? t(count === 1 ? "itemsOne" : "itemsMany", { n: count }) : t("cartEmptyHint");
  $("#checkout-button").disabled = count === 0;
  $("#bottom-dock").classList.toggle("has-items", count > 0);
  // "2 in cart" on each dish card, counting everyone's lines.
  const perDish = new Map();
  for (const line of visibleLines()) perDish.set(line.dish_id, (perDish.get(line.dish_id) || 0) + shownQty(line));
  for (const badgeEl of menuEl.querySelectorAll(".dish-card .in-cart")) {
    const n = perDish.get(Number(badgeEl.closest("[data-dish]").dataset.dish)) || 0;
    badgeEl.hidden = n === 0;
    badgeEl.textContent = n ? t("inCart", { n }) : "";
  }
}

// The cart icon gives a little jump when someone else changes the cart.
function bump() {
  const el = $("#cart-button .cart-icon");
  el.classList.remove("is-bumped");
  void el.offsetWidth; // restart the animation
  el.classList.add("is-bumped");
}

$("#cart-button").addEventListener("click", () => {
  renderCartSheet();
  openSheet(cartSheet);
});

// --- Sending a round: confirm what goes to the kitchen --------------------------------------------

const confirmSheet = $("#confirm-sheet");

function renderConfirm(alertText = "") {
  S.reviewedSeq = sock.seq; // what the diner sees is the cart as of this seq
  const groups = groupedLines();
  fill($("#confirm-body"),
    groups.length
      ? groups.map(([dinerId, lines]) => h("section", { class: "diner-group compact" },
        dinerHeader(dinerId, lines), h("ul", { class: "lines" }, lines.map((l) => lineRow(l, { editable: false })))))
      : h("p", { class: "empty" }, t("cartEmpty")));
  $("#confirm-total").textContent = money(cartTotal());
  $("#confirm-send").disabled = groups.length === 0 || S.submitting;
  const alertEl = $("#confirm-alert");
  alertEl.hidden = !alertText;
  alertEl.textContent = alertText;
}

function openConfirm() {
  renderConfirm();
  openSheet(confirmSheet);
}
$("#checkout-button").addEventListener("click", openConfirm);
$("#cart-submit").addEventListener("click", openConfirm);

$("#confirm-send").addEventListener("click", async () => {
  const button = $("#confirm-send");
  const label = button.textContent;
  S.submitting = true;
  button.disabled = true;
  button.textContent = t("sending");
  try {
    await sock.send("order.submit", { seq: S.reviewedSeq ?? 0 });
    closeSheet(confirmSheet);
    closeSheet(cartSheet);
  } catch (err) {
    if (err.code === "stale") renderConfirm(t("cartChanged"));
    else if (err.code === "empty_cart") renderConfirm(t("emptyCart"));
    else if (err.code === "sold_out") {
      for (const id of err.reply.dish_ids || []) {
        const dish = S.dishes.get(id);
        if (dish) dish.sold_out = true;
      }
      const names = (err.reply.dish_ids || []).map((id) => dishName(id)).join(listSep);
      renderConfirm(t("soldOutSend", { dishes: names }));
    } else if (err.code !== "closed") renderConfirm(t("failed", { message: err.message }));
  } finally {
    S.submitting = false;
    button.textContent = label;
    button.disabled = cartCount() === 0;
  }
});

// --- Rounds sent to the kitchen, and the bill ----------------------------------------------------

const ordersSheet = $("#orders-sheet");
const statusLabel = (status) => t(`status_${status}`);
const sortedOrders = () => [...S.orders.values()].sort((a, b) => b.round - a.round);

function progress(order) {
  if (order.status === "cancelled") return h("p", { class: "status-pill is-cancelled" }, statusLabel("cancelled"));
  const at = STATUSES.indexOf(order.status);
  return h("ol", { class: "progress", "aria-label": statusLabel(order.status) },
    STATUSES.map((s, i) => h("li", { class: `${i < at ? "is-done" : ""}${i === at ? " is-current" : ""}`,
      "aria-current": i === at ? "step" : null }, h("span", { class: "step-label" }, statusLabel(s)))));
}

function renderOrders() {
  const orders = sortedOrders();
  const strip = $("#orders-strip");
  strip.hidden = orders.length === 0;
  if (orders.length) {
    const latest = orders[0];
    const at = STATUSES.indexOf(latest.status);
    strip.dataset.status = latest.status;
    fill(strip,
      h("span", { class: "strip-round" }, t("round", { n: latest.round })),
      h("span", { class: `status-pill is-${latest.status}` }, statusLabel(latest.status)),
      h("span", { class: "mini-progress", "aria-hidden": "true" },
        STATUSES.map((s, i) => h("i", { class: latest.status !== "cancelled" && i <= at ? "is-on" : "" }))),
      icon("chevron"));
  }
  if (!isOpen(ordersSheet)) return;
  fill($("#orders-body"), orders.length
    ? orders.map((order) => h("article", { class: "order-card", "data-order": order.order_id },
      h("div", { class: "order-head" },
        h("h3", {}, t("round", { n: order.round })),
        h("span", { class: `status-pill is-${order.status}` }, statusLabel(order.status))),
      progress(order),
      h("ul", { class: "lines" }, order.items.map((item) => h("li", { class: "line" },
        h("div", { class: "line-main" },
          h("span", { class: "line-name" }, `${item.qty} × ${dishName(item.dish_id, item.name)}`),
          item.options.length ? h("span", { class: "line-options" }, optionNames(item.options, item.option_names)) : null,
          item.note ? h("span", { class: "line-note" }, `“${item.note}”`) : null,
          h("span", { class: "line-by" }, dot(S.diners.get(item.added_by)?.color || "#999"), dinerName(item.added_by))),
        h("div", { class: "line-side" }, h("span", { class: "line-price" }, money(item.price * item.qty)))))),
      h("div", { class: "order-foot" },
        h("span", { class: "muted" }, t("sentBy", { name: dinerName(order.by), time: clock(order.created_at) })),
        h("strong", {}, money(order.total)))))
    : h("p", { class: "empty" }, t("noOrders")));
}

$("#orders-strip").addEventListener("click", () => {
  openSheet(ordersSheet);
  renderOrders();
});

const billSheet = $("#bill-sheet");
$("#bill-button").addEventListener("click", async () => {
  const body = $("#bill-body");
  fill(body, h("p", { class: "muted" }, t("billLoading")));
  $("#bill-total").textContent = "";
  closeSheet(ordersSheet);
  openSheet(billSheet);
  try {
    const response = await fetch(config.billUrl, { credentials: "same-origin", cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    const bill = await response.json();
    const fmt = moneyFormatter(bill.currency || config.currency);
    $("#bill-total").textContent = fmt(bill.total);
    if (!bill.orders.length) return fill(body, h("p", { class: "empty" }, t("billEmpty")));
    fill(body,
      h("ul", { class: "bill-diners" }, bill.per_diner.filter((d) => d.total > 0).map((d) =>
        h("li", {}, dot(d.color || S.diners.get(d.diner_id)?.color || "#999"),
          h("span", { class: "diner-name" }, d.name, d.diner_id === S.me ? ` (${t("you")})` : ""),
          h("strong", {}, fmt(d.total))))),
      h("ul", { class: "bill-rounds" }, bill.orders.map((o) => h("li", {},
        h("span", {}, `${t("round", { n: o.round })} · ${statusLabel(o.status)}`), h("span", {}, fmt(o.total))))));
  } catch {
    fill(body, h("p", { class: "alert" }, t("billError")));
  }
});

// --- Who is at the table; renaming yourself ----------------------------------------------------------

const peopleSheet = $("#people-sheet");

function renderDiners() {
  const diners = [...S.diners.values()];
  const ordered = [...diners.filter((d) => d.diner_id === S.me), ...diners.filter((d) => d.diner_id !== S.me)];
  const shown = ordered.slice(0, 4);
  fill($("#diner-avatars"), ...shown.map((d) => avatar(d, d.diner_id === S.me ? "is-me" : "")),
    ordered.length > 4 ? h("span", { class: "avatar more" }, `+${ordered.length - 4}`) : "");
  $("#people-button .visually-hidden").textContent = t("peopleLabel", { n: diners.length });
  if (!isOpen(peopleSheet)) return;
  fill($("#people-list"), ...ordered.map((d) => h("li", {},
    avatar(d),
    h("span", { class: "diner-name" }, d.name, d.diner_id === S.me ? h("span", { class: "me" }, ` (${t("you")})`) : null),
    h("span", { class: `presence ${S.online.has(d.diner_id) ? "is-online" : ""}` },
      S.online.has(d.diner_id) ? t("online") : t("away")))));
}

$("#people-button").addEventListener("click", () => {
  openSheet(peopleSheet);
  renderDiners();
  $("#rename-input").value = S.diners.get(S.me)?.name || "";
  $("#rename-hint").classList.remove("is-error");
});

$("#rename-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("#rename-input");
  const name = input.value.split(/\s+/).filter(Boolean).join(" ");
  const hint = $("#rename-hint");
  if (name.length < 1 || name.length > 24) {
    hint.textContent = t("nameInvalid");
    hint.classList.add("is-error");
    input.focus();
    return;
  }
  hint.classList.remove("is-error");
  sock.send("diner.rename", { name }).then(() => {
    toast(t("nameSaved"), "is-ok");
    closeSheet(peopleSheet);
  }).catch((err) => {
    hint.textContent = err.code === "bad_request" ? t("nameInvalid") : t("failed", { message: err.message });
    hint.classList.add("is-error");
  });
});

// --- Calling a waiter -------------------------------------------------------------------------------

const waiterSheet = $("#waiter-sheet");
const waiterButton = $("#waiter-button");
let waiterTimer = null;

function waiterCooldown() {
  const until = Number(sessionStorage.getItem("waiter-until") || 0);
  const left = Math.ceil((until - Date.now()) / 1000);
  clearTimeout(waiterTimer);
  waiterButton.disabled = left > 0;
  $("#waiter-cooldown").textContent = left > 0 ? String(left) : "";
  waiterButton.title = left > 0 ? t("waiterWait", { s: left }) : "";
  if (left > 0) waiterTimer = setTimeout(waiterCooldown, 1000);
}

waiterButton.addEventListener("click", () => openSheet(waiterSheet));
waiterSheet.addEventListener("click", (e) => {
  const reason = e.target.closest("[data-reason]")?.dataset.reason;
  if (!reason) return;
  closeSheet(waiterSheet);
  sessionStorage.setItem("waiter-until", String(Date.now() + WAITER_COOLDOWN_MS));
  waiterCooldown();
  sock.send("waiter.call", { reason }).then(() => toast(t("waiterCalled"), "is-ok")).catch((err) => {
    sessionStorage.removeItem("waiter-until");
    waiterCooldown();
    showError(err);
  });
});

// --- Applying the server's snapshot and events ---------------------------------------------------

function applySnapshot(snap) {
  if (S.snapshots++) {
    // A snapshot after a reconnect: what others changed meanwhile glows, as if it came live.
    for (const line of snap.cart) {
      const before = S.cart.get(line.line_id);
      if (line.added_by !== snap.me.diner_id && (!before || before.qty !== line.qty)) S.flash.set(line.line_id, Date.now());
    }
  }
  S.me = snap.me.diner_id;
  S.diners = new Map(snap.diners.map((d) => [d.diner_id, d]));
  S.online = new Set(snap.diners.filter((d) => d.online).map((d) => d.diner_id));
  S.cart = new Map(snap.cart.map((line) => [line.line_id, line]));
  S.orders = new Map(snap.orders.map((o) => [o.order_id, o]));
  if (snap.restaurant?.currency) money = moneyFormatter(snap.restaurant.currency);
  S.snapshotMenuVersion = snap.menu_version;
  if (S.menuVersion !== null && snap.menu_version !== S.menuVersion) loadMenu(); // our copy is old
  settlePending();
  render();
  if (isOpen(confirmSheet)) renderConfirm();
}

function applyEvent(ev) {
  switch (ev.type) {
    case "cart.line": {
      const before = S.cart.get(ev.line.line_id);
      S.cart.set(ev.line.line_id, ev.line);
      const more = ev.line.qty - (before?.qty || 0);
      if (ev.by !== S.me) {
        S.flash.set(ev.line.line_id, Date.now());
        bump();
        if (more > 0) toast(t("othersAdded", { name: dinerName(ev.by), qty: more, dish: dishName(ev.line.dish_id) }));
      }
      break;
    }
    case "cart.line_removed":
      S.cart.delete(ev.line_id);
      S.flash.delete(ev.line_id);
      if (ev.by !== S.me) bump();
      break;
    case "order.submitted":
      S.orders.set(ev.order.order_id, ev.order);
      S.cart.clear();
      if (ev.by === S.me) toast(t("sent", { n: ev.order.round }), "is-ok");
      else {
        toast(t("othersSent", { name: dinerName(ev.by), n: ev.order.round }));
        closeSheet(confirmSheet); // what it was about to send is gone: it went with this round
      }
      break;
    case "order.status": {
      const order = S.orders.get(ev.order_id);
      if (order) {
        order.status = ev.status;
        toast(t("statusToast", { n: order.round, status: statusLabel(ev.status) }));
      }
      break;
    }
    case "diner": {
      const known = S.diners.has(ev.diner.diner_id);
      S.diners.set(ev.diner.diner_id, { ...S.diners.get(ev.diner.diner_id), ...ev.diner });
      if (!known && ev.diner.diner_id !== S.me) toast(t("joined", { name: ev.diner.name }));
      break;
    }
    case "presence":
      S.online = new Set(ev.online);
      break;
    case "menu.dish": {
      const dish = S.dishes.get(ev.dish_id);
      if (!dish) {
        loadMenu(); // a dish this page has never seen: fetch the menu again
        break;
      }
      const repriced = dish.price !== ev.price;
      dish.sold_out = ev.sold_out;
      dish.price = ev.price;
      updateDishCard(dish);
      // Cart lines carry the server's unit price: ask for fresh ones rather than guess.
      if (repriced && [...S.cart.values()].some((l) => l.dish_id === dish.id)) sock.send("sync").catch(() => {});
      if (chosen?.dish.id === dish.id && dish.sold_out) closeSheet(dishSheet);
      break;
    }
    case "session.closed":
      showEnded("closedTitle", "closedText", false);
      break;
    default:
      return; // a newer server's event this page does not know: ignore it
  }
  settlePending();
  render();
  if (isOpen(confirmSheet) && ev.type.startsWith("cart.") && !S.submitting) renderConfirm(t("cartChanged"));
}

function render() {
  renderCartBar();
  renderDiners();
  renderOrders();
  if (isOpen(cartSheet)) renderCartSheet();
}

function showEnded(titleKey, textKey, canReload) {
  for (const dialog of document.querySelectorAll("dialog.sheet")) closeSheet(dialog);
  $("#ended-title").textContent = t(titleKey);
  $("#ended-text").textContent = t(textKey);
  $("#ended-reload").hidden = !canReload;
  document.body.classList.add("is-ended");
  openSheet($("#ended-sheet"));
}
$("#ended-reload").addEventListener("click", () => location.reload());

sock.on("state", renderConnection);
sock.on("snapshot", applySnapshot);
sock.on("event", applyEvent);
sock.on("closed", ({ code }) => {
  if (code === 4403) location.reload(); // the page then says the code changed
  else if (code === 4000) showEnded("closedTitle", "closedText", false);
  else showEnded("lostTitle", "lostText", true);
});
// A refused handshake looks like a network drop. Ask the bill (no side effects) whether this
// browser still belongs to an open session here; if not, stop retrying and say so.
sock.on("refused", async ({ count }) => {
  if (count < 2 || (count & (count - 1)) !== 0) return; // at 2, 4, 8… refusals
  try {
    const response = await fetch(config.billUrl, { credentials: "same-origin", cache: "no-store" });
    if (response.status === 404) {
      sock.close();
      showEnded("lostTitle", "lostText", true);
    }
  } catch {
    // the server is unreachable: keep retrying, the banner says offline
  }
});

renderConnection("connecting");
waiterCooldown();
render();
loadMenu();
sock.connect();
