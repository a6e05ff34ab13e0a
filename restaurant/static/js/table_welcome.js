// A diner's first arrival: what should the table call them (else "Guest N" on all they add and
// the bill)? A card above the menu, drawn by the server from the first paint (drawn late, it
// would push the menu down); this only hides it.

import { $, toast } from "./ui.js";
import { errorText } from "./table_errors.js";
import { S, sock, t } from "./table_state.js";

const card = $("#welcome");
const input = $("#welcome-name");
const hint = $("#welcome-hint");
const DEFAULT_NAME = /^Guest \d+$/;
let asked = false;
let storageKey = null;

function remembered(key) {
  try {
    return localStorage.getItem(key) === "1";
  } catch {
    return false; // storage blocked (private mode): ask, at worst once per page load
  }
}

function done() {
  card.hidden = true;
  asked = true; // (answered before the first snapshot)
  if (!storageKey) return;
  try {
    localStorage.setItem(storageKey, "1");
  } catch {
    // nothing to remember it in: the page asked once, that is all
  }
}

// After the first snapshot: hide it if this diner has a name of their own or was asked.
export function askName(snap) {
  if (asked) return;
  asked = true;
  storageKey = `named-${snap.session.id}-${snap.me.diner_id}`;
  const me = snap.diners.find((d) => d.diner_id === snap.me.diner_id);
  if (!me || !DEFAULT_NAME.test(me.name) || remembered(storageKey)) card.hidden = true;
}

// The diner renamed themselves another way (the people sheet): the question is answered.
export function renamed(diner) {
  if (diner.diner_id === S.me && !card.hidden && !DEFAULT_NAME.test(diner.name)) done();
}

card.addEventListener("submit", (e) => {
  e.preventDefault();
  const name = input.value.split(/\s+/).filter(Boolean).join(" ");
  if (name.length < 1 || name.length > 24) {
    hint.textContent = t("nameInvalid");
    hint.classList.add("is-error");
    input.focus();
    return;
  }
  sock.send("diner.rename", { name }).then(() => {
    done();
    toast(t("nameSaved"), "is-ok");
  }).catch((err) => {
    hint.textContent = errorText(err);
    hint.classList.add("is-error");
  });
});
$("#welcome-skip").addEventListener("click", done);
