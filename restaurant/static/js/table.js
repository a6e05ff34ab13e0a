// The table page, plain DOM: the server's snapshot and events are the state. This boots the
// page, joins the table, wires the socket; each table_*.js module says what it does.

import { $, csrfToken, toast, wireDialog } from "./ui.js";
import { loadMenu, waiterCooldown } from "./table_actions.js";
import { applyEvent, applySnapshot } from "./table_events.js";
import { render, renderConnection, showEnded } from "./table_render.js";
import { S, config, sock, t } from "./table_state.js";

// Sheets (<dialog>; a plain fallback where the engine has none).
for (const dialog of document.querySelectorAll("dialog.sheet")) {
  wireDialog(dialog, { dismissable: dialog.id !== "ended-sheet" });
}
$("#ended-reload").addEventListener("click", () => location.reload());

// --- Joining
// By POST join/, not the page's GET (link previews fetch it too). A browser whose last meal here
// ended gets 409 `ended`: an old tab must not start a new meal; "Start a new order" does (`new=1`).
const JOIN_RETRY_MAX = 10000;

async function postJoin(startNew) {
  const response = await fetch(config.joinUrl, {
    method: "POST",
    credentials: "same-origin",
    cache: "no-store",
    headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    body: new URLSearchParams(startNew ? { new: "1" } : {}),
  });
  const body = response.headers.get("Content-Type")?.includes("json") ? await response.json() : {};
  return { status: response.status, ...body };
}

function showMealEnded() {
  showEnded("endedTitle", "endedText", false);
  $("#ended-new").hidden = false;
}

function showLost() {
  showEnded("lostTitle", "lostText", true);
  $("#ended-new").hidden = true;
}

async function join(delay = 500) {
  let reply;
  try {
    reply = await postJoin(false);
  } catch {
    renderConnection("offline"); // no network yet: try again, with backoff
    setTimeout(() => join(Math.min(delay * 2, JOIN_RETRY_MAX)), delay * (0.5 + Math.random()));
    return;
  }
  if (reply.status === 200) {
    S.me = reply.diner_id;
    sock.connect();
  } else if (reply.code === "moved") location.replace(`/t/${reply.token}/`); // staff moved the meal
  else if (reply.code === "ended") showMealEnded();
  else if (reply.code === "not_open" || reply.status === 404) location.reload(); // the page says why
  else showLost();
}

$("#ended-new").addEventListener("click", async (e) => {
  const button = e.currentTarget;
  button.disabled = true;
  try {
    const reply = await postJoin(true);
    if (reply.status === 200 || reply.code === "not_open") {
      location.reload(); // the new meal's page (or why there is none)
      return;
    }
    toast(t("failed", { message: reply.message || reply.status }), "is-error");
  } catch {
    toast(t("offline"), "is-error");
  }
  button.disabled = false;
});

sock.on("state", renderConnection);
sock.on("snapshot", applySnapshot);
sock.on("event", applyEvent);
sock.on("closed", ({ code }) => {
  if (code === 4403) location.reload(); // the page then says the code changed
  else if (code === 4000) showMealEnded();
  else showLost();
});
// A refused handshake looks like a network drop. Ask the bill (no side effects) whether this
// browser still belongs to an open session here; if not, stop retrying and say so.
sock.on("refused", async ({ count }) => {
  if (count < 2 || (count & (count - 1)) !== 0) return; // at 2, 4, 8… refusals
  try {
    const response = await fetch(config.billUrl, { credentials: "same-origin", cache: "no-store" });
    if (response.status === 404) {
      sock.close();
      join(); // its meal moved to another table (409 moved: go there), or it is gone
    }
  } catch {
    // the server is unreachable: keep retrying, the banner says offline
  }
});

renderConnection("connecting");
waiterCooldown();
render();
loadMenu();
join();
