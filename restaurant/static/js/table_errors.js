// What went wrong, in the diner's language: from the error's `code` and `detail` (docs/protocol.md)
// with names from the menu or the error; never its `message` (English, may name ids).

import { $, EN, LOCALE, listSep, localName, toast } from "./ui.js";
import { S, dishName, sock, t } from "./table_state.js";

const groupName = (reply) => {
  const group = S.dishes.get(reply.dish_id)?.option_groups.find((g) => g.id === reply.group_id);
  if (group) return EN && group.name_en ? group.name_en : group.name;
  return (EN && reply.group_en) || reply.group || "";
};

// The dishes of a `sold_out` error, by name; its options' names when options are sold out.
export const soldOutNames = (err) => {
  const options = (err?.reply?.option_ids || []).map((id) => S.options.get(id)).filter(Boolean);
  return (options.length ? options.map(localName) : (err?.reply?.dish_ids || []).map((id) => dishName(id))).join(listSep);
};
// The dishes of a `sold_out` for lack of portions, each with how many are left.
export const stockNames = (err) => (err?.reply?.dish_ids || [])
  .map((id) => t("stockLeft", { dish: dishName(id), n: err.reply.left?.[id] ?? 0 })).join(listSep);

export function errorText(err) {
  const reply = err?.reply || {};
  const detail = reply.detail;
  switch (err?.code) {
    case "rate_limited":
      return t("tooFast");
    case "sold_out":
      if (detail === "stock") return t("stockShort", { dishes: stockNames(err) });
      return t("soldOutNamed", { dishes: soldOutNames(err) });
    case "stale":
      return t("cartChanged");
    case "empty_cart":
      return t("emptyCart");
    case "not_found":
      if (detail === "dish") return t("errDishGone");
      if (detail === "line") return t("errLineGone");
      return t("errGone");
    case "conflict":
      if (detail === "qty_max") return t("errQtyMax", { max: reply.max ?? 99 });
      if (detail === "name_taken") return t("errNameTaken");
      if (detail === "required") {
        const category = (EN && reply.category_en) || reply.category || "";
        return t("errRequired", { category, n: reply.need ?? 1 });
      }
      return t("errConflict");
    case "bad_request":
      if (detail === "options") {
        const dish = dishName(reply.dish_id);
        const group = groupName(reply);
        return group ? t("errOptionsGroup", { dish, group }) : t("errOptions", { dish });
      }
      if (detail === "name") return t("nameInvalid");
      if (detail === "min_qty") return t("errMinQty", { dish: dishName(reply.dish_id), n: reply.min });
      return t("errGeneric");
    case "too_early":
    case "cooldown":
      return t(err.code, { m: Math.ceil((reply.seconds || 60) / 60) });
    case "closed":
      return t("closedTitle");
    case "ordering_closed":
      return reply.category_ids ? t("partClosed") : orderingText(reply);
    case "internal":
      return t("errInternal");
    case "busy":
      return t("errBusy");
    default:
      return t("errGeneric");
  }
}

export function showError(err) {
  if (!err || err.code === "closed") return; // the closed-session sheet says it better
  if (err.code === "not_found" && err.reply?.detail !== "dish") return; // the event shows it
  toast(errorText(err), "is-error", { key: "error" });
}

// Paused, or outside the hours (docs/protocol.md, `ordering`): why, and when it opens.
function orderingText(o) {
  if (o.reason === "paused") return o.note || t("paused");
  if (!o.opens_at) return t("closedNow");
  const at = new Date(o.opens_at);
  const today = at.toDateString() === new Date().toDateString();
  const time = at.toLocaleString(LOCALE, { weekday: today ? undefined : "short", hour: "2-digit", minute: "2-digit" });
  return t("closedUntil", { time });
}

let orderingTimer = null;
export function showOrdering(o) {
  if (!o) return;
  const note = $("#ordering");
  note.hidden = o.open && !o.categories.length;
  note.textContent = o.open ? t("partClosed") : orderingText(o);
  S.orderingOpen = o.open;
  clearTimeout(orderingTimer); // the hours alone change it then: ask for the state anew
  if (o.changes_at) orderingTimer = setTimeout(() => sock.send("sync").catch(() => {}), Math.min(2 ** 31 - 1, Date.parse(o.changes_at) - Date.now() + 1000));
}
