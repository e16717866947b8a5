// Talks to TwinGuard's HTTP API with the browser session (HttpOnly cookie) and its CSRF token.

/** An API refusal, carrying the problem details' `detail` as its message. */
export class APIError extends Error {
  constructor(status, detail, code) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)tg_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : sessionStorage.getItem("tg_csrf") || "";
}

/** Called when the session is gone (401), so the app can show the login view. */
let onUnauthenticated = () => {};
export function whenUnauthenticated(callback) { onUnauthenticated = callback; }

/**
 * Sends one request to `/api/v1{path}`; resolves with the parsed JSON (or null), throws APIError.
 * `options.headers` adds headers (If-Match), `options.raw` returns the Response.
 */
export async function api(method, path, body, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  const response = await fetch("/api/v1" + path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (options.raw) return response;
  const text = await response.text();
  let document = null;
  try { document = text ? JSON.parse(text) : null; } catch { document = null; }
  if (!response.ok) {
    const detail = (document && (document.detail || document.error)) || response.statusText || "request failed";
    if (response.status === 401 && !options.quiet401) onUnauthenticated(detail);
    throw new APIError(response.status, detail, document && document.code);
  }
  return document;
}

/** Remembers the CSRF token of a new session (also kept in the tg_csrf cookie). */
export function rememberSession(csrf) { sessionStorage.setItem("tg_csrf", csrf); }
export function forgetSession() {
  sessionStorage.removeItem("tg_csrf");
  document.cookie = "tg_csrf=; Max-Age=0; Path=/; SameSite=Strict";
}

/**
 * Subscribes to a Server-Sent Events stream; `handlers` maps event kinds to callbacks. Returns a
 * function that closes it. EventSource reconnects by itself; `onState(live)` reports the connection.
 */
export function stream(path, handlers, onState = () => {}) {
  const source = new EventSource("/api/v1" + path, { withCredentials: true });
  source.onopen = () => onState(true);
  source.onerror = () => onState(false);
  for (const [kind, handler] of Object.entries(handlers)) {
    source.addEventListener(kind, (event) => {
      try { handler(JSON.parse(event.data)); } catch (error) { console.warn("bad event", kind, error); }
    });
  }
  return () => source.close();
}
