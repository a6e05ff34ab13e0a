// Small helpers shared by the table page, the kitchen display and the staff floor.
//
// No framework and no build step: h() builds elements from data (strings become text nodes, so
// nothing from the wire is ever parsed as HTML), each page's template translates its interface
// strings into a JSON block that strings() reads, and dialogs are native <dialog>s opened modally
// (role, aria-modal, focus trap and Escape come with them) with the opener's focus given back.

export const $ = (selector, root = document) => root.querySelector(selector);
export const EN = (document.documentElement.lang || "").toLowerCase().startsWith("en");
export const LOCALE = EN ? "en" : "zh-CN";
export const listSep = EN ? ", " : "、";

// t(key, {vars}) over the JSON strings block with this id: "{name} added {qty} × {dish}".
export function strings(id) {
  const table = JSON.parse(document.getElementById(id).textContent);
  const t = (key, vars = {}) =>
    (table[key] ?? key).replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  t.has = (key) => key in table;
  return t;
}

// h("tag", {attrs}, ...children); `on…` attributes become listeners, false/null ones are left out.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "style") el.style.cssText = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) if (child != null && child !== false) el.append(child);
  return el;
}

// Replace an element's content; arrays are flattened and empty slots skipped.
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

// An icon from the page's inline sprite (<symbol id=…>): no icon font, no extra request.
export function icon(id) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(ns, "use");
  use.setAttribute("href", `#${id}`);
  svg.append(use);
  return svg;
}

export const hiddenText = (text) => h("span", { class: "visually-hidden" }, text);

// The first character as a person sees it: a whole emoji sequence (a family, a flag), not its
// first code point.
const graphemes = typeof Intl.Segmenter === "function" ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
export function firstGrapheme(text) {
  const trimmed = (text || "").trim();
  if (!trimmed) return "";
  if (graphemes) return graphemes.segment(trimmed)[Symbol.iterator]().next().value.segment;
  return Array.from(trimmed)[0];
}

// --- Words from the restaurant --------------------------------------------------------------------

// Dish, option, category: the English name where the restaurant gives one and the page is English.
export const localName = (thing) => (EN && thing.name_en ? thing.name_en : thing.name) || "";

// A table's own label, except the demo's (and many restaurants') default "12号桌": that one is
// just the number, so it is said in the page's language ("Table 12").
export function customLabel(table) {
  const label = (table.label || "").trim();
  return label === `${table.number}号桌` ? "" : label;
}
export const tableName = (table, t) => customLabel(table) || t("table", { n: table.number });

// Money travels as integers in minor units; shown in the restaurant's currency ("¥28.00").
export function moneyFormatter(currency) {
  let fmt;
  try {
    fmt = new Intl.NumberFormat(LOCALE, { style: "currency", currency, currencyDisplay: "narrowSymbol" });
  } catch {
    fmt = new Intl.NumberFormat(LOCALE, { style: "currency", currency }); // older engines
  }
  const scale = 10 ** fmt.resolvedOptions().maximumFractionDigits; // CNY 100, JPY 1
  return (minor) => fmt.format(minor / scale);
}

export const clock = (iso) => new Date(iso).toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });

// "just now", "12 min", "1 h 5 min" (keys justNow, minutes, hours in the page's strings).
export function since(ms, t) {
  const m = Math.floor(Math.max(0, ms) / 60_000);
  if (m < 1) return t("justNow");
  if (m < 60) return t("minutes", { m });
  return t("hours", { h: Math.floor(m / 60), m: m % 60 });
}

export function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (field) return field.value;
  return document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))?.split("=")[1] || "";
}

// --- Toasts: brief, and read out (the container is a polite live region) -------------------------

// A page may place the toast area itself (the table page keeps it off titles): toastHooks.place(box)
// runs after every change to it.
export const toastHooks = { place: null };

// toast(text, kind, ms) or toast(text, kind, {ms, key}): a toast with a `key` replaces the one
// with the same key (news about the same thing never stacks). No buttons: over a modal dialog
// the page outside it is inert, so a toast cannot be tapped there.
export function toast(text, kind = "", opts = {}) {
  const { ms = kind === "is-error" ? 6500 : 3600, key = null } = typeof opts === "number" ? { ms: opts } : opts;
  const box = document.getElementById("toasts");
  if (typeof box.showPopover === "function") {
    // A manual popover lives in the top layer: shown again, it rises above the newest open
    // dialog (whose backdrop would cover it). Shown before the text goes in, so the live region
    // is in the accessibility tree when it changes and screen readers say it.
    if (!box.hasAttribute("popover")) raisable(box);
    if (box.matches(":popover-open")) box.hidePopover();
    box.showPopover();
  }
  if (key) for (const old of box.querySelectorAll(".toast")) if (old.dataset.toast === key) old.remove();
  const el = h("div", { class: `toast ${kind}`, role: kind === "is-error" ? "alert" : null, "data-toast": key }, text);
  box.append(el);
  // Over an open dialog only the newest one, so toasts never pile up over what is being read.
  const keep = document.querySelector("dialog[open]") ? 1 : 3;
  while (box.children.length > keep) box.firstElementChild.remove();
  toastHooks.place?.(box);
  setTimeout(() => {
    el.classList.add("is-leaving");
    setTimeout(() => {
      el.remove();
      toastHooks.place?.(box);
    }, 350);
  }, ms);
  return el;
}

// --- Dialogs ---------------------------------------------------------------------------------------

// The `open` attribute, not the property: engines without <dialog> have only the attribute.
export const isOpen = (dialog) => dialog.hasAttribute("open");
const openers = new WeakMap();

export function openDialog(dialog) {
  if (isOpen(dialog)) return;
  openers.set(dialog, document.activeElement);
  if (typeof dialog.showModal === "function") dialog.showModal();
  else dialog.setAttribute("open", "");
  // Banners and toasts that must stay seen (offline!) are manual popovers: shown again, they
  // come above the dialog just opened instead of under its backdrop.
  for (const el of document.querySelectorAll("[popover][data-raise]")) {
    if (el.matches(":popover-open")) {
      el.hidePopover();
      el.showPopover();
    }
  }
}

// Put an element in the top layer where the engine can (a manual popover); see openDialog.
export function raisable(el) {
  if (typeof el.showPopover !== "function") return;
  el.setAttribute("popover", "manual");
  el.dataset.raise = "";
  el.showPopover();
}

export function closeDialog(dialog, value) {
  if (!isOpen(dialog)) return;
  if (typeof dialog.close === "function") dialog.close(value);
  else {
    dialog.removeAttribute("open");
    dialog.dispatchEvent(new Event("close"));
  }
}

// Once per dialog: a tap on the backdrop or on [data-close] closes it (unless it must stay), and
// focus goes back where it was. The browser does that itself when the opener is still there; a
// redraw may have replaced it meanwhile, so its twin (same data-key) is found instead.
export function wireDialog(dialog, { dismissable = true } = {}) {
  dialog.addEventListener("click", (e) => {
    if (!dismissable) return;
    if (e.target === dialog || e.target.closest("[data-close]")) closeDialog(dialog);
  });
  if (!dismissable) dialog.addEventListener("cancel", (e) => e.preventDefault());
  dialog.addEventListener("close", () => {
    const opener = openers.get(dialog);
    openers.delete(dialog);
    const focused = document.activeElement;
    if (!opener || (focused && focused !== document.body && !dialog.contains(focused))) return;
    const key = opener.dataset?.key;
    const target = opener.isConnected ? opener : key && document.querySelector(`[data-key="${key}"]`);
    target?.focus?.({ preventScroll: true });
  });
}
