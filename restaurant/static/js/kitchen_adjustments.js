// The shift's page of dishes taken back and given free (kitchen/adjustments.html), kept live:
// it listens on the floor socket and reloads the list when an adjustment is asked for, applied
// or decided anywhere (`adjust.pending`, `adjust.applied`, `adjust.decided`), and after a
// reconnection (what happened meanwhile). The list itself, and deciding, stay plain HTML.

import { LiveSocket } from "./socket.js";

const config = JSON.parse(document.getElementById("adjust-config").textContent);
const pill = document.getElementById("conn");
const sock = new LiveSocket(config.socketPath);
let snapshots = 0;
let timer = null;

function reloadSoon() {
  clearTimeout(timer);
  // Not while a manager is about to decide: the next event, or their own POST, reloads it.
  timer = setTimeout(() => {
    if (document.activeElement?.closest?.(".adjust-decide, .adjust-filter")) reloadSoon();
    else location.reload();
  }, 500);
}

sock.on("state", (state) => {
  pill.dataset.state = state;
  pill.textContent = config.strings[state] || config.strings.connecting;
});
sock.on("snapshot", () => {
  snapshots += 1;
  if (snapshots > 1) reloadSoon();
});
sock.on("event", (ev) => {
  if (typeof ev.type === "string" && ev.type.startsWith("adjust.")) reloadSoon();
});
sock.on("closed", () => {
  pill.dataset.state = "closed";
  pill.textContent = config.strings.closed;
});
sock.connect();
