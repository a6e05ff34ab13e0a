// Sound and the new-order alarm: a kitchen must not miss an order, with or without sound.
//
// Browsers start audio only after a tap on the page, so after every load (or login) sound is
// blocked until someone taps. While the cook wants sound and it is blocked, a full-screen prompt
// covers the board: one tap anywhere clears it and unlocks audio. The cook's own choice (sound
// on or off) is kept in localStorage, so a deliberate mute survives a reload; a blocked state is
// never a choice and never shows as "on".
//
// New orders nobody has acknowledged (S.unseen) raise the alarm: the header flashes, the tab
// title counts them and blinks, a bar says how many, and the chime repeats every few seconds
// while sound is on. Tapping the bar or the ticket, or moving the order, acknowledges it.

import { $ } from "./ui.js";
import { S, store, t } from "./kitchen_state.js";

const SOUND_KEY = "kitchen-sound"; // "on" | "off"
const OLD_MUTE_KEY = "kitchen-muted"; // an earlier version's "1" meant off
const CHIME_EVERY = 6000; // ms between chimes while an order is unacknowledged
const UNLOCK_WAIT = 400; // ms to let an allowed audio context start before asking for a tap

export const CHIME_ORDER = [[784, 0.18, 0.04], [1175, 0.32, 0]]; // rising two-tone: a new order
export const CHIME_CALL = [[988, 0.12, 0.08], [988, 0.12, 0.08], [988, 0.12, 0]]; // a waiter call
const CHIME_TEST = [[880, 0.12, 0]];

const AudioContextClass = window.AudioContext || window.webkitAudioContext;
const gate = $("#sound-gate");
const baseTitle = document.title;

export const sound = {
  ctx: null,
  wanted: (store.get(SOUND_KEY) ?? (store.get(OLD_MUTE_KEY) === "1" ? "off" : "on")) !== "off",
  get state() {
    if (!AudioContextClass) return "none";
    if (!this.wanted) return "muted";
    return this.ctx?.state === "running" ? "on" : "locked";
  },
  // Resolves once the context runs, or after `wait` ms if the browser holds it for a gesture.
  unlock(wait = 0) {
    if (!AudioContextClass || !this.wanted) return Promise.resolve();
    if (!this.ctx) {
      this.ctx = new AudioContextClass();
      // A tablet may suspend audio later (screen off, another app): then the prompt comes back.
      this.ctx.addEventListener("statechange", renderSound);
    }
    if (this.ctx.state === "running") return Promise.resolve(renderSound());
    const resumed = this.ctx.resume().catch(() => {});
    const waited = wait ? Promise.race([resumed, new Promise((r) => setTimeout(r, wait))]) : resumed;
    return waited.finally(renderSound);
  },
  // pattern: [[frequency Hz, seconds, pause after], ...]
  play(pattern) {
    if (this.state !== "on") return;
    const ctx = this.ctx;
    let at = ctx.currentTime + 0.02;
    for (const [freq, dur, gap] of pattern) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "triangle";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.5, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + dur);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + dur + 0.05);
      at += dur + gap;
    }
  },
};

function choose(on) {
  sound.wanted = on;
  store.set(SOUND_KEY, on ? "on" : "off");
  store.set(OLD_MUTE_KEY, null);
}

let settled = false; // the first unlock attempt is over: only then may the prompt show

export function renderSound() {
  const button = $("#sound-button");
  const state = sound.state;
  button.dataset.state = state;
  document.body.dataset.sound = state;
  button.setAttribute("aria-pressed", String(state === "on"));
  button.disabled = state === "none";
  $("#sound-label").textContent = t({ on: "soundOn", muted: "soundOff", locked: "soundLocked", none: "soundNone" }[state]);
  button.querySelector("use").setAttribute("href", state === "on" || state === "locked" ? "#k-bell" : "#k-bell-off");
  const ask = settled && state === "locked";
  if (ask && !gate.open) gate.showModal();
  else if (!ask && gate.open) gate.close();
}

function turnOn() {
  choose(true);
  sound.unlock().then(() => sound.play(CHIME_TEST)); // so whoever turned it on hears it work
}

$("#sound-button").addEventListener("click", () => {
  if (sound.state === "on") {
    choose(false);
    renderSound();
  } else {
    turnOn();
  }
});

// The prompt: a tap anywhere on it turns sound on, except on "without sound".
gate.addEventListener("click", (e) => {
  if (e.target.closest("#sound-gate-off")) {
    choose(false);
    renderSound();
  } else {
    turnOn();
  }
});
gate.addEventListener("cancel", (e) => e.preventDefault()); // Escape is not a choice

export function startSound() {
  renderSound();
  sound.unlock(UNLOCK_WAIT).finally(() => {
    settled = true;
    document.body.dataset.soundChecked = "";
    renderSound();
  });
}

// --- The alarm ----------------------------------------------------------------------------------

let chimeTimer = null;
let blinkTimer = null;
let blink = false;

export function acknowledge(orderIds = [...S.unseen]) {
  for (const id of orderIds) S.unseen.delete(id);
  renderAlarm();
}

export function renderAlarm() {
  for (const id of S.unseen) {
    if (S.orders.get(id)?.status !== "submitted") S.unseen.delete(id);
  }
  const count = S.unseen.size;
  document.body.classList.toggle("is-alarm", count > 0);
  const bar = $("#alarm-bar");
  bar.hidden = count === 0;
  $("#alarm-text").textContent = t("alarm", { n: count });
  for (const card of document.querySelectorAll(".ticket-card")) {
    card.classList.toggle("is-unseen", S.unseen.has(Number(card.dataset.order)));
  }
  title(count);
  document.body.dataset.chiming = count ? "on" : "off";
  if (count && !chimeTimer) {
    chimeTimer = setInterval(() => sound.play(CHIME_ORDER), CHIME_EVERY);
    blinkTimer = setInterval(() => { blink = !blink; title(S.unseen.size); }, 1000);
  } else if (!count && chimeTimer) {
    clearInterval(chimeTimer);
    clearInterval(blinkTimer);
    chimeTimer = blinkTimer = null;
    blink = false;
  }
}

// "(2) Kitchen display · …", blinking with "(2) New orders!" so a tab in the background shows it.
function title(count) {
  document.title = count ? `(${count}) ${blink ? t("alarmTitle") : baseTitle}` : baseTitle;
}

$("#alarm-bar").addEventListener("click", () => acknowledge());
