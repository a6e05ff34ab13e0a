// What only the staff pages share (the kitchen display, the station boards, the floor, the
// waiter's page): kept out of ui.js, which every diner's phone loads first.

import { $ } from "./ui.js";

// The page was rendered with the server's clock (seconds): if this device's clock is off by more
// than a few seconds, ages would lie, so correct them. Within a few seconds, the local clock is better.
export function serverClock(serverSeconds) {
  const skew = serverSeconds * 1000 - Date.now();
  return () => Date.now() + (Math.abs(skew) > 5000 ? skew : 0);
}

// The connection pill and the "may be out of date" banner.
export function staffConnection(t, loginUrl) {
  let signedOut = false;
  function banner(text, action) {
    $("#stale-text").textContent = text;
    const link = $("#stale-action");
    link.hidden = !action;
    if (action === "reload") {
      link.textContent = t("reload");
      link.href = location.href;
    } else if (action === "login") {
      link.textContent = t("signIn");
      link.href = loginUrl;
    }
    $("#stale-banner").hidden = false;
  }
  return {
    render(state) {
      const pill = $("#conn");
      pill.dataset.state = state;
      pill.textContent = t(["online", "offline", "closed"].includes(state) ? state : "connecting");
      document.body.dataset.connection = state;
      const stale = state === "offline" || state === "closed";
      $("#main").classList.toggle("is-stale", stale);
      if (signedOut) return;
      if (stale) banner(t(state === "closed" ? "staleClosed" : "staleOffline"), state === "closed" ? "reload" : null);
      else $("#stale-banner").hidden = true;
    },
    // Say so once and stop; returns false if it was said already.
    signOut() {
      if (signedOut) return false;
      signedOut = true;
      banner(t("signedOut"), "login");
      return true;
    },
  };
}
