// The check page's state: the last check the server gave (GET api/t/<token>/check/), who is at
// the table (the socket's snapshot and `diner` events), and what this phone is doing. No DOM
// beyond the page's config and strings.

import { LiveSocket } from "./socket.js";
import { $, moneyFormatter, strings } from "./ui.js";

export const config = JSON.parse($("#check-config").textContent);
export const t = strings("check-strings");
export const FLASH_MS = 1600; // how long a dish someone else just moved stays highlighted
export const OWN_MS = 8000; // a change this phone made: no "someone changed it" notice for it

let formatter = moneyFormatter(config.currency || "CNY");
export const money = (minor) => formatter(minor);
export function setCurrency(currency) {
  formatter = moneyFormatter(currency);
}

export const S = {
  me: null, // this phone's diner id
  check: null, // the check as the API last answered (null until the first answer)
  diners: new Map(), // diner_id -> {diner_id, name, color, staff?}: everyone at the table
  mode: "dish", // "dish": by who had what; "equal": AA among `equalN`
  equalN: null,
  sheetItem: null, // the dish whose sheet is open
  picking: false, // the sheet shows the "share among" picker
  busy: false, // an op of the sheet is on its way
  flash: new Map(), // item_id -> when someone else moved it (ms)
  own: new Map(), // item_id -> until when a change to it is this phone's own (ms)
  ended: false,
};

// The page's one socket: the table's, as the table page opens it (check.js connects it).
export const sock = new LiveSocket(config.wsPath);

export const lineOf = (itemId) => S.check?.lines.find((line) => line.item_id === itemId) || null;
export const rowOf = (dinerId) => S.check?.diners.find((d) => d.diner_id === dinerId) || null;
export const dinerOf = (id) => S.diners.get(id) || rowOf(id) || null;
export const nameOf = (id) => (id === S.me ? t("you") : dinerOf(id)?.name || t("someone"));
export const colorOf = (id) => dinerOf(id)?.color || "#999999";
// Everyone who may share a dish: the table's diners (staff's own diner only where it already
// pays for the dish), this phone's first.
export function sharers(line) {
  const all = [...S.diners.values()].filter((d) => !d.staff || line.owners.includes(d.diner_id));
  return all.sort((a, b) => (b.diner_id === S.me) - (a.diner_id === S.me));
}
export const paidDiners = () => new Set(S.check?.paid_diners || []);
export const sameOwners = (a, b) => a.length === b.length && a.every((id, i) => id === b[i]);
