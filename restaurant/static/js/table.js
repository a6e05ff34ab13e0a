// The table page: menu, shared cart, rounds sent to the kitchen, bill, waiter calls.
// Plain DOM, no framework: the server's snapshot and events are the state. This module boots the
// page and wires the socket; the rest is split by concern:
//   table_state.js    the state (snapshot + events) and what follows from it
//   table_menu.js     the menu as drawn; table_render.js the rest of the page as drawn
//   table_dish.js     the dish sheet; table_actions.js what a diner's taps do
//   table_events.js   applying the server's snapshot and events

import { $, wireDialog } from "./ui.js";
import { loadMenu, waiterCooldown } from "./table_actions.js";
import { applyEvent, applySnapshot } from "./table_events.js";
import { render, renderConnection, showEnded } from "./table_render.js";
import { config, sock } from "./table_state.js";

// Sheets (<dialog>; a plain fallback where the engine has none).
for (const dialog of document.querySelectorAll("dialog.sheet")) {
  wireDialog(dialog, { dismissable: dialog.id !== "ended-sheet" });
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
