// Money at the till: amounts travel in minor units (fen), people type and read the major unit.
// Typed text is converted exactly, by its digits (never through a float): "38.5" is 3850,
// "0.29" is 29, and more decimals than the currency has is refused, not rounded.

import { moneyFormatter } from "./ui.js";

const WIDE = /[０-９．]/g; // a Chinese keyboard's full-width digits and point

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
    const s = String(text ?? "").trim().replace(WIDE, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/^[¥￥]\s*/, "");
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

  return { fmt, parse, major, tenders, places };
}
