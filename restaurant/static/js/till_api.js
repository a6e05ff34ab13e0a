// The till's requests: JSON in and out, the CSRF token on every POST, and one shape back
// whatever happened: {ok: true, ...} or {ok: false, code, message, status, ...}. A refusal
// the server explains (stale, conflict...) keeps its fields; a signed-out session (a redirect
// to sign in) is `signed_out`, a 403 page `forbidden`, no answer at all `network`.

import { csrfToken } from "./ui.js";

export function tillApi({ signedOut }) {
  async function send(url, init) {
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin", cache: "no-store", redirect: "manual", ...init });
    } catch {
      return { ok: false, code: "network", status: 0 };
    }
    if (response.type === "opaqueredirect") {
      signedOut();
      return { ok: false, code: "signed_out", status: 0 };
    }
    let body = null;
    if (response.headers.get("Content-Type")?.includes("json")) {
      try {
        body = await response.json();
      } catch {
        body = null;
      }
    }
    if (response.ok) return { ...(body || {}), ok: true, status: response.status };
    const code = body?.code || body?.reason || (response.status === 403 ? "forbidden" : response.status === 404 ? "not_found" : "http");
    return { ...(body || {}), ok: false, code, status: response.status };
  }

  const headers = (type) => ({
    Accept: "application/json",
    "X-CSRFToken": csrfToken(),
    "X-Requested-With": "XMLHttpRequest",
    ...(type ? { "Content-Type": type } : {}),
  });

  return {
    get: (url) => send(url, { headers: { Accept: "application/json" } }),
    // JSON body: the till's own endpoints.
    post: (url, fields = {}) => send(url, { method: "POST", headers: headers("application/json"), body: JSON.stringify(fields) }),
    // A form: the floor's close, which reads its fields as a form does.
    postForm: (url, fields = {}) => send(url, { method: "POST", headers: headers(null), body: new URLSearchParams(fields) }),
  };
}
