// Money at the till: amounts travel in minor units (fen), people type and read the major unit.
// Typed text is converted exactly, by its digits (never through a float): "38.5" is 3850,
// "0.29" is 29, and more decimals than the currency has is refused, not rounded. What a
// keyboard may add is read as meant: full-width digits (１２．５), a Chinese full stop (12。5),
// groups of thousands ("1,000", "1 000", "1，000"), a ¥ before or 元 after. Anything else is
// not a number (null), which the dialogs say as such.

import { moneyFormatter } from "./ui.js";

const WIDE = /[０-９．，]/g; // a Chinese keyboard's full-width digits, point and comma
const GROUPED = /^\d{1,3}(?:[,\s]\d{3})+(?:\.\d*)?$/; // 1,000 · 1 000 · 12,345.50
// Cash handed over: at most the amount and 10**4 of the major unit more (as the server takes).
const TENDERED_OVER = 4;

export function moneyTools(currency) {
  const fmt = moneyFormatter(currency);
  let places = 2;
  try {
    places = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  } catch {
    // an unknown currency code: keep 2
  }
  const scale = 10 ** places;

  // "38.50" → 3850; null for anything else than digits with at most `places` decimals.
  function parse(text) {
    let s = String(text ?? "")
      .replace(WIDE, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
      .replace(/。/g, ".")
      .trim()
      .replace(/^[¥￥]\s*/, "")
      .replace(/\s*元$/, "");
    if (GROUPED.test(s)) s = s.replace(/[,\s]/g, "");
    const m = /^(\d{0,9})(?:\.(\d*))?$/.exec(s);
    if (!m || (!m[1] && !m[2])) return null;
    const fraction = m[2] || "";
    if (fraction.length > places) return null;
    return Number(m[1] || "0") * scale + Number(fraction.padEnd(places, "0") || "0");
  }

  // 3850 → "38.50": what an amount field is filled with.
  function major(minor) {
    const sign = minor < 0 ? "-" : "";
    const a = Math.abs(minor);
    if (!places) return sign + String(a);
    return `${sign}${Math.floor(a / scale)}.${String(a % scale).padStart(places, "0")}`;
  }

  // Cash a customer is likely to hand over for `minor`: the exact amount, then the next round
  // sums of 10, 50 and 100 of the major unit above it (each once).
  function tenders(minor) {
    const out = [minor];
    for (const step of [10, 50, 100]) {
      const up = Math.ceil(minor / (step * scale)) * step * scale;
      if (up > minor && !out.includes(up)) out.push(up);
    }
    return out;
  }

  // What the cash typed as handed over says against `amount` (minor units): nothing typed
  // ("none"), not a number ("nan"), less than the amount ("short", by `value`), more than the
  // till takes ("over", `value` the most), or the change to give ("change", `value`).
  function tendered(amount, text) {
    if (!String(text ?? "").trim()) return { kind: "none" };
    const cash = parse(text);
    if (cash == null) return { kind: "nan" };
    if (cash < amount) return { kind: "short", value: amount - cash };
    const most = amount + 10 ** (places + TENDERED_OVER);
    if (cash > most) return { kind: "over", value: most };
    return { kind: "change", value: cash - amount, cash };
  }

  return { fmt, parse, major, tenders, tendered, places };
}
