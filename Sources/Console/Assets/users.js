// Users and roles: the list with its lifecycle actions (role, disable, reset second factor, delete), adding a user
// (with sites, for users limited to some), and one's own account (password, recovery codes).
import { api } from "./api.js";
import { h, fill, badge, table, toast } from "./dom.js";

const ROLES = {
  viewer: "reads twins, telemetry and events",
  engineer: "also manages twins and models",
  operator: "also operates devices (desired state, commands) and alerts",
  "security-officer": "manages devices and reads the audit log (needs MFA)",
  admin: "everything (needs MFA)",
};

export async function showUsers(main, me) {
  const list = h("div", { id: "user-table" });
  const error = h("p", { class: "error", role: "alert" });
  const isAdmin = me.role === "admin";
  const form = h("form", { class: "stack", id: "user-form" },
    h("label", {}, "Name", h("input", { name: "username", required: true, autocomplete: "off", id: "user-name" })),
    h("label", {}, "Role", h("select", { name: "role", id: "user-role" }, Object.entries(ROLES).map(([role, meaning]) => h("option", { value: role }, `${role} — ${meaning}`)))),
    h("label", {}, "Initial password (12 characters or more; they should change it)", h("input", { name: "password", type: "password", minlength: 12, required: true, autocomplete: "new-password", id: "user-password" })),
    h("label", {}, "Limit to sites (comma-separated; empty for the whole tenant)", h("input", { name: "sites", id: "user-sites" })),
    h("button", { type: "submit", disabled: !isAdmin }, "Add user"), error);
  fill(main, h("h1", {}, "Users and roles"),
    h("div", { class: "grid two" },
      h("section", { class: "panel", "aria-labelledby": "h-users" }, h("h2", { id: "h-users" }, "Users"), list),
      h("section", { class: "panel", "aria-labelledby": "h-add" }, h("h2", { id: "h-add" }, "Add a user"),
        isAdmin ? form : h("p", { class: "muted" }, "Only administrators add users."))),
    h("section", { id: "tokens-of-user", "aria-live": "polite" }),
    accountPanel(me),
    h("section", { class: "panel", "aria-labelledby": "h-roles" }, h("h2", { id: "h-roles" }, "Roles"),
      h("dl", { class: "kv" }, Object.entries(ROLES).map(([role, meaning]) => [h("dt", {}, role), h("dd", {}, meaning)]))));

  const tokensOfOthers = () => main.querySelector("#tokens-of-user");

  async function refresh() {
    if (!isAdmin) return fill(list, h("p", {}, `You are ${me.name} (${me.role}).`));
    const reply = await api("GET", "/users");
    fill(list, table(["name", "role", "second factor", "sites", "state", "actions"], reply.items.map((user) => h("tr", { "data-user": user.name },
      h("th", { scope: "row" }, user.name), h("td", {}, roleSelect(user)),
      h("td", {}, user.mfa_enrolled ? badge("TOTP", "ok") : user.mfa_required ? badge("must enrol", "warn") : "–"),
      h("td", {}, user.sites ? user.sites.join(", ") : "all"),
      h("td", {}, user.disabled ? badge("disabled", "bad") : user.locked ? badge("locked out somewhere", "warn") : badge("active", "ok")),
      h("td", { class: "actions" }, user.name === me.name ? h("span", { class: "muted" }, "you") : actions(user))))));
  }

  /** Every change is audited by the server; rights taken away end the user's sessions and tokens at once. */
  async function change(user, method, path, body, message) {
    try {
      await api(method, "/users/" + encodeURIComponent(user.name) + path, body);
      toast(message);
    } catch (failure) { toast(failure.message, true); }
    await refresh();
  }

  function roleSelect(user) {
    if (user.name === me.name) return user.role;
    const select = h("select", { "aria-label": `Role of ${user.name}`, class: "role" },
      Object.keys(ROLES).map((role) => h("option", { value: role, selected: role === user.role }, role)));
    select.addEventListener("change", () => change(user, "PATCH", "", { role: select.value }, `${user.name} is now ${select.value}`));
    return select;
  }

  function actions(user) {
    const button = (label, run) => {
      const element = h("button", { type: "button", class: "small" }, label);
      element.addEventListener("click", run);
      return element;
    };
    return [
      button(user.disabled ? "Enable" : "Disable", () =>
        change(user, "PATCH", "", { disabled: !user.disabled }, `${user.name} ${user.disabled ? "enabled" : "disabled"}`)),
      user.mfa_enrolled ? button("Reset 2FA", () => {
        if (confirm(`Remove ${user.name}'s authenticator? They enrol a new one at their next login.`)) {
          change(user, "DELETE", "/totp", undefined, `${user.name}'s second factor removed`);
        }
      }) : null,
      button("Tokens", () => showTokens(user.name, `/users/${encodeURIComponent(user.name)}/tokens`, tokensOfOthers)),
      button("Delete", () => {
        if (confirm(`Delete ${user.name}? Their sessions and tokens end now.`)) change(user, "DELETE", "", undefined, `${user.name} deleted`);
      }),
    ];
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(error);
    const body = { name: form.username.value.trim(), role: form.role.value, password: form.password.value };
    const sites = form.sites.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (sites.length) body.sites = sites;
    try {
      await api("POST", "/users", body);
      toast(`User ${body.name} added`);
      form.reset();
      await refresh();
    } catch (failure) { fill(error, failure.message); }
  });
  await refresh();
}

/** A user's API tokens and sessions with a Revoke button each (audited by the server). */
async function showTokens(owner, path, target) {
  const panel = target();
  const reply = await api("GET", path);
  if (panel.id === "tokens-of-user") panel.classList.add("panel");
  const rows = reply.items.map((token) => {
    const revoke = h("button", { type: "button", class: "small" }, "Revoke");
    revoke.addEventListener("click", async () => {
      try {
        await api("DELETE", "/tokens/" + encodeURIComponent(token.id));
        toast(`${token.kind === "api" ? "Token" : "Session"} ${token.name} revoked`);
      } catch (failure) { toast(failure.message, true); }
      await showTokens(owner, path, target);
    });
    return h("tr", { "data-token": token.id }, h("td", {}, token.kind), h("td", {}, token.name), h("td", {}, token.role),
      h("td", {}, token.expires_at), h("td", {}, revoke));
  });
  fill(panel, h("h2", {}, `Tokens and sessions of ${owner}`),
    rows.length ? table(["kind", "name", "role", "expires", ""], rows) : h("p", { class: "muted" }, "None."));
}

/** One's own account: change the password (other sessions end), make new recovery codes, one's tokens. */
function accountPanel(me) {
  const error = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "stack", id: "password-form" },
    h("label", {}, "Current password", h("input", { name: "current", type: "password", required: true, autocomplete: "current-password" })),
    h("label", {}, "New password (12 characters or more)", h("input", { name: "password", type: "password", minlength: 12, required: true, autocomplete: "new-password" })),
    h("button", { type: "submit" }, "Change my password"), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(error);
    try {
      await api("POST", "/me/password", { current: form.current.value, password: form.password.value });
      toast("Password changed; your other sessions and tokens ended");
      form.reset();
    } catch (failure) { fill(error, failure.message); }
  });
  const codes = h("ol", { class: "codes", id: "new-recovery-codes" });
  const renew = h("button", { type: "button" }, "New recovery codes");
  renew.addEventListener("click", async () => {
    try {
      const reply = await api("POST", "/me/recovery-codes");
      fill(codes, reply.recovery_codes.map((code) => h("li", {}, h("code", {}, code))));
      toast("New recovery codes: the old ones no longer work");
    } catch (failure) { toast(failure.message, true); }
  });
  const mine = h("div", { id: "my-tokens" });
  const list = h("button", { type: "button", id: "show-my-tokens" }, "My tokens and sessions");
  list.addEventListener("click", () => showTokens(me.name, "/tokens", () => mine));
  return h("section", { class: "panel", "aria-labelledby": "h-account" }, h("h2", { id: "h-account" }, `My account (${me.name})`),
    form, me.mfa_enrolled ? h("div", { class: "stack" }, h("p", { class: "muted" }, "Recovery codes log you in once each if you lose the authenticator."), renew, codes) : null,
    h("div", { class: "stack" }, list, mine));
}
