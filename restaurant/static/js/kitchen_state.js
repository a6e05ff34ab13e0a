// The kitchen display's state and the small helpers its other modules share.
//
// kitchen.js wires the expo's socket, actions and panels; kitchen_board.js draws its tickets;
// kitchen_station.js is one station's board; kitchen_items.js each dish's state and moves;
// kitchen_sound.js owns the sound, the prompt that unlocks it and the new-order alarm;
// kitchen_history.js the served-today panel; kitchen_printers.js the printers and doubtful tickets.

import {
  $, EN, icon as sprite, since as sinceText, strings, tableName as nameOf,
} from "./ui.js";
import { serverClock } from "./staff_ui.js";

export const CONFIG = JSON.parse($("#kitchen-config").textContent);
export const t = strings("kitchen-strings");

export const COLUMNS = ["submitted", "accepted", "preparing", "ready"];
export const NEXT = { submitted: "accepted", accepted: "preparing", preparing: "ready", ready: "served" };
// Waiter calls are shown here only where the restaurant says so (a missing key means no).
export const CALLS_HERE = CONFIG.calls_on_kitchen === true;

export const now = serverClock(CONFIG.now);
export const icon = (name) => sprite(`k-${name}`);
export const tableName = (table) => nameOf(table, t);
export const since = (ms) => sinceText(ms, t);

export const S = {
  orders: new Map(), // order_id -> order, with its table
  calls: new Map(), // call_id -> call
  soldOut: new Set(), // dish ids (the snapshot and menu.dish events are the truth)
  stock: new Map(), // 限量: dish_id -> portions left today, of the counted dishes
  dishes: new Map(), // dish_id -> dish from /api/menu/ (names only; sold_out comes from above)
  options: new Map(), // option_id -> option (English names)
  categories: [],
  menuState: "loading", // loading | ready | error
  busy: new Set(), // order ids with a status op in flight
  busyItems: new Set(), // item ids with a move in flight
  nudged: new Map(), // item_id -> flash until (ms): a diner just hurried it (催菜)
  stations: new Map(), // station_id -> station (the snapshot's `stations`)
  busyCalls: new Set(),
  busyDishes: new Set(),
  fresh: new Map(), // order_id -> glow until (ms)
  unseen: new Set(), // new orders nobody has acknowledged yet: the alarm runs while any is here
  seen: false, // had a snapshot already: later snapshots may bring orders we missed
};

// localStorage where it works; private modes may refuse it, and then a choice lasts the visit.
const memory = new Map();
export const store = {
  get(key) {
    try { return localStorage.getItem(key); } catch { return memory.get(key) ?? null; }
  },
  set(key, value) {
    try {
      if (value == null) localStorage.removeItem(key);
      else localStorage.setItem(key, value);
    } catch {
      if (value == null) memory.delete(key);
      else memory.set(key, value);
    }
  },
};

export function elapsed(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function dishName(id, fallback) {
  const dish = S.dishes.get(id);
  return EN && dish?.name_en ? dish.name_en : fallback || dish?.name || `#${id}`;
}

export function optionNames(item) {
  if (EN && item.options.length && item.options.every((id) => S.options.has(id))) {
    return item.options.map((id) => S.options.get(id).name_en || S.options.get(id).name);
  }
  return item.option_names || [];
}

// A station's name in the page's language.
export function stationName(id) {
  const station = S.stations.get(id);
  return station ? (EN && station.name_en) || station.name : "";
}

export function errorText(err) {
  // A person kept to one station touched another's dish.
  if (err.code === "forbidden" && err.reply?.action === "station") return t("err_station");
  if (err.reply?.detail === "stock") return t("countInvalid"); // a count the server refused
  const key = `err_${err.code}`;
  return t.has(key) ? t(key) : t("err_other", { message: err.message || err.code });
}
