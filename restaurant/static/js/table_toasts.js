// Where toasts go, never over a title: under the header, category bar and banner; with a sheet
// open, above it where there is room, else under its heading. Newer ones stack below.

import { $, toastHooks } from "./ui.js";

const GAP = 8;

function titleBottom() {
  let bottom = 0;
  for (const el of [$(".topbar"), $("#category-bar"), $("#conn-banner")]) {
    if (el && !el.hidden && el.offsetParent !== null) bottom = Math.max(bottom, el.getBoundingClientRect().bottom);
  }
  return bottom;
}

function place(box) {
  if (!box.children.length) return;
  const dialogs = document.querySelectorAll("dialog[open]");
  const dialog = dialogs[dialogs.length - 1];
  // Over a sheet only the newest toast (as ui.js keeps them), also for those from before it opened.
  if (dialog) while (box.children.length > 1) box.firstElementChild.remove();
  const banner = $("#conn-banner");
  const floor = banner && !banner.hidden ? banner.getBoundingClientRect().bottom + GAP : GAP;
  let top;
  if (dialog) {
    const sheet = dialog.getBoundingClientRect();
    const above = sheet.top - box.offsetHeight - GAP;
    if (above >= floor) top = above;
    else {
      const head = dialog.querySelector(".sheet-head, h2");
      top = (head ? head.getBoundingClientRect().bottom : sheet.top) + GAP;
    }
  } else top = titleBottom() + GAP;
  box.style.top = `${Math.round(top)}px`;
}

toastHooks.place = place;
const again = () => {
  const box = $("#toasts");
  if (box) place(box);
};
// A sheet opening, closing, sliding in or growing (a sheet grows upwards from the bottom of
// the screen) moves the place.
const watcher = new MutationObserver(again);
const sizes = typeof ResizeObserver === "function" ? new ResizeObserver(again) : null;
for (const dialog of document.querySelectorAll("dialog")) {
  watcher.observe(dialog, { attributes: true, attributeFilter: ["open"] });
  dialog.addEventListener("animationend", again);
  sizes?.observe(dialog);
}
watcher.observe($("#conn-banner") || document.body, { attributes: true, attributeFilter: ["hidden"] });
addEventListener("resize", again, { passive: true });
