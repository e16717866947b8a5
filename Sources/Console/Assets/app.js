// The console's shell: who is logged in, the navigation and a hash router (#/overview, #/twin/{id}, …).
import { api, whenUnauthenticated, forgetSession } from "./api.js";
import { h, fill, toast } from "./dom.js";
import { showLogin, showSetup, showEnrolment } from "./login.js";
import { showOverview } from "./overview.js";
import { showTwin } from "./twin.js";
import { showSecurity } from "./security.js";
import { showAlerts } from "./alerts.js";
import { showAudit } from "./audit.js";
import { showUsers } from "./users.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const whoami = document.getElementById("whoami");
/** Closes the open page's streams and timers when another page opens. */
let closePage = () => {};
let me = null;

const pages = {
  overview: () => showOverview(main),
  twin: (id) => showTwin(main, id, me),
  security: () => showSecurity(main, me),
  alerts: () => showAlerts(main, me),
  audit: () => showAudit(main),
  users: () => showUsers(main, me),
};

function signedOut(message) {
  closePage();
  closePage = () => {};
  me = null;
  nav.hidden = true;
  fill(whoami);
  showLogin(main, message, start);
}

async function logout() {
  try { await api("POST", "/logout"); } catch { /* the session may be gone already */ }
  forgetSession();
  signedOut("You are logged out.");
}

/** Opens the page the address names. */
async function route() {
  if (!me) return;
  closePage();
  closePage = () => {};
  const [, page = "overview", ...rest] = location.hash.split("/");
  const name = pages[page] ? page : "overview";
  for (const link of nav.querySelectorAll("a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  document.title = `TwinGuard · ${name[0].toUpperCase()}${name.slice(1)}`;
  try {
    closePage = (await pages[name](decodeURIComponent(rest.join("/")))) || (() => {});
  } catch (error) {
    if (error.status !== 401) fill(main, h("div", { class: "panel" }, h("h1", {}, "This page could not be shown"), h("p", { class: "error" }, error.message)));
  }
  main.focus({ preventScroll: true });
}

/** Finds out who is logged in and opens the console, the second-factor enrolment or the login. */
async function start() {
  if (location.pathname === "/setup") return showSetup(main, new URLSearchParams(location.search).get("token") || "", () => {
    history.replaceState(null, "", "/");
    signedOut("The administrator exists: log in, then enrol your authenticator.");
  });
  // Without a session cookie there is nothing to ask the server (and no 401 in the browser's console).
  if (!/(?:^|;\s*)tg_csrf=/.test(document.cookie)) return signedOut("");
  try {
    me = await api("GET", "/me", undefined, { quiet401: true });
  } catch (error) {
    return signedOut(error.status === 401 ? "" : error.message);
  }
  if (me.mfa_required && !me.mfa_enrolled) {
    const user = me;
    me = null;
    return showEnrolment(main, user, () => signedOut("Authenticator enrolled. Log in again with a code from it."));
  }
  nav.hidden = false;
  fill(whoami, h("span", {}, `${me.name} · ${me.role}`), h("button", { class: "link", type: "button", onclick: logout }, "Log out"));
  await route();
}

whenUnauthenticated((detail) => {
  if (me) toast("Your session ended: " + detail, true);
  signedOut("Your session ended; log in again.");
});
window.addEventListener("hashchange", route);
start();
