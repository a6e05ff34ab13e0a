// The check page on a diner's phone: who pays for what, live. It joins the table as the table
// page does (POST join/), opens the same table socket, and reads the check from the check API
// (the server computes every amount): again on every snapshot (each connection starts with one),
// on `check.changed` and on the table's events that change what is on the check. Ops
// (item.claim, item.share) go over the socket: check_sheet.js.

import { $, csrfToken, toast } from "./ui.js";
import { render, renderConnection, renderLoadError, renderTable, showEnded } from "./check_render.js";
import { renderSheet, wireSheet } from "./check_sheet.js";
import { FLASH_MS, S, config, nameOf, sameOwners, setCurrency, sock, t } from "./check_state.js";

// --- Reading the check: one request at a time; asked again meanwhile, once more after it

let loading = null;
let again = false;
let lostTimes = 0;

function refresh() {
  if (S.ended) return Promise.resolve();
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    try {
      do {
        again = false;
        await load();
      } while (again && !S.ended);
    } finally {
      loading = null;
    }
  })();
  return loading;
}

async function load() {
  let response;
  let body;
  try {
    const query = S.mode === "equal" ? `?equal=${S.equalN}` : "";
    response = await fetch(config.apiUrl + query, { credentials: "same-origin", cache: "no-store" });
    body = response.ok ? await response.json() : null;
  } catch {
    return failed();
  }
  if (response.status === 404) return lost();
  if (!body) return failed();
  if (body.closed) return showEnded("closed", body.receipt_url);
  lostTimes = 0;
  const before = S.check;
  S.check = body;
  S.me = body.me;
  setCurrency(body.currency);
  notice(before, body);
  render();
  renderSheet();
}

function failed() {
  if (!S.check) renderLoadError(() => refresh());
  else toast(t("refreshError"), "is-error", { key: "refresh" });
}

// The server knows no diner of this browser at this table's open meal any more (moved by staff
// while the page was away, say): start again from the join, which says where the meal is.
function lost() {
  if (++lostTimes > 2) {
    sock.close();
    return showEnded("lost");
  }
  sock.close();
  return join();
}

// Someone else moved a dish: it glows; a dish of mine that someone else now pays says who.
function notice(before, after) {
  if (!before) return;
  const old = new Map(before.lines.map((line) => [line.item_id, line]));
  const now = Date.now();
  for (const line of after.lines) {
    const prev = old.get(line.item_id);
    if (!prev || sameOwners(prev.owners, line.owners)) continue;
    if ((S.own.get(line.item_id) || 0) > now) continue; // this phone's own change
    S.flash.set(line.item_id, now);
    const [was, is] = [prev.owners.includes(S.me), line.owners.includes(S.me)];
    let text = null;
    if (was && !is && line.owners.length === 1) text = t("took", { name: nameOf(line.owners[0]), dish: line.name });
    else if (is && !was && line.owners.length > 1) text = t("sharedWithYou", { dish: line.name });
    if (text) toast(text, "is-notice", { key: `item-${line.item_id}` });
  }
  for (const [id, at] of S.flash) if (now - at > FLASH_MS) S.flash.delete(id);
  for (const [id, until] of S.own) if (until < now) S.own.delete(id);
}

// --- No open meal of this browser here (it ended, or there is none): its last one's receipt

async function finish(kind) {
  if (S.ended) return;
  sock.close();
  try {
    const response = await fetch(config.apiUrl, { credentials: "same-origin", cache: "no-store" });
    const body = response.ok ? await response.json() : {};
    if (body.me) location.reload(); // a meal of this browser is open here after all
    else if (body.closed || response.status === 404) showEnded(body.closed ? "closed" : kind, body.receipt_url);
    else renderLoadError(() => finish(kind));
  } catch {
    renderLoadError(() => finish(kind));
  }
}

// --- Joining, as the table page does

async function join(delay = 500) {
  let reply;
  try {
    const response = await fetch(config.joinUrl, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    });
    reply = { status: response.status, ...(response.headers.get("Content-Type")?.includes("json") ? await response.json() : {}) };
  } catch {
    renderConnection("offline"); // no network yet: try again, with backoff
    setTimeout(() => join(Math.min(delay * 2, 10000)), delay * (0.5 + Math.random()));
    return;
  }
  if (reply.status === 200) {
    S.me = reply.diner_id;
    sock.connect();
    refresh(); // the first paint need not wait for the socket; its snapshot reads it again
  } else if (reply.code === "moved") location.replace(`/t/${reply.token}/check/`);
  else if (reply.code === "ended" || reply.code === "not_open" || reply.status === 404) finish("none");
  else showEnded("lost");
}

// --- The meal moved to another table: its addresses follow

function moved(table, token) {
  if (!token || token === config.token) return;
  const old = config.token;
  for (const k of ["joinUrl", "apiUrl", "tableUrl"]) config[k] = config[k].replace(old, token);
  sock.url = sock.url.replace(old, token);
  config.token = token;
  history.replaceState(null, "", `/t/${token}/check/`);
  for (const a of document.querySelectorAll("#back, #ended-back")) a.href = config.tableUrl;
  renderTable(table);
  toast(t("moved", { table: $("#table-label").textContent }), "is-ok");
}

// --- The socket

const CHANGES_CHECK = new Set(["check.changed", "order.submitted", "order.items", "meal", "session.joined", "session.split"]);

sock.on("state", renderConnection);
sock.on("snapshot", (snap) => {
  S.me = snap.me.diner_id;
  S.diners = new Map(snap.diners.map((d) => [d.diner_id, d]));
  if (snap.token && snap.token !== config.token) moved(snap.table, snap.token);
  refresh();
});
sock.on("event", (ev) => {
  if (CHANGES_CHECK.has(ev.type)) refresh();
  else if (ev.type === "diner") {
    S.diners.set(ev.diner.diner_id, { ...S.diners.get(ev.diner.diner_id), ...ev.diner });
    refresh();
  } else if (ev.type === "order.status" && ev.status === "cancelled") refresh();
  else if (ev.type === "item.status" && (ev.status === "voided" || ev.recalled)) refresh();
  else if (ev.type === "session.moved") moved(ev.table, ev.token);
  else if (ev.type === "session.closed") finish("closed");
});
sock.on("closed", ({ code }) => {
  if (code === 4403) location.reload(); // the code changed: the page says so
  else if (code === 4000) finish("closed");
  else showEnded("lost");
});
// A refused handshake looks like a network drop: ask the check (no side effects) whether this
// browser still has a meal here (404: start again from the join; closed: the receipt).
sock.on("refused", ({ count }) => {
  if (count >= 2 && (count & (count - 1)) === 0) refresh(); // at 2, 4, 8… refusals
});

// --- Modes: by dish, or AA among N

function setMode(mode) {
  S.mode = mode;
  if (mode === "equal" && !S.equalN) {
    const people = [...S.diners.values()].filter((d) => !d.staff).length;
    S.equalN = Math.min(Math.max(people, 2), config.equalMax);
  }
  render();
  refresh();
}
$("#mode-dish").addEventListener("click", () => setMode("dish"));
$("#mode-equal").addEventListener("click", () => setMode("equal"));
for (const [id, step] of [["#aa-fewer", -1], ["#aa-more", 1]]) {
  $(id).addEventListener("click", () => {
    S.equalN = Math.min(Math.max(S.equalN + step, 2), config.equalMax);
    render();
    refresh();
  });
}

wireSheet(refresh);
renderConnection("connecting");
join();
