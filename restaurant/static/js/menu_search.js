// Whether a dish matches what was typed in a menu's search box (the table page, the waiter's):
// its name in either language, or the pinyin initials of its name (`py`, from the server:
// "gbjd" finds 宫保鸡丁). Case and spaces do not count.

const squash = (text) => (text || "").toLowerCase().replace(/\s+/g, "");

export function matches(dish, query) {
  const q = squash(query);
  return !q || [dish.name, dish.name_en, dish.py].some((text) => squash(text).includes(q));
}
