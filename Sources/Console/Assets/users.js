// Users and roles: the list, adding a user (with sites, for users limited to some), and one's own API tokens.
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
    h("section", { class: "panel", "aria-labelledby": "h-roles" }, h("h2", { id: "h-roles" }, "Roles"),
      h("dl", { class: "kv" }, Object.entries(ROLES).map(([role, meaning]) => [h("dt", {}, role), h("dd", {}, meaning)]))));

  async function refresh() {
    if (!isAdmin) return fill(list, h("p", {}, `You are ${me.name} (${me.role}).`));
    const reply = await api("GET", "/users");
    fill(list, table(["name", "role", "second factor", "sites", "state"], reply.items.map((user) => h("tr", {},
      h("th", { scope: "row" }, user.name), h("td", {}, user.role),
      h("td", {}, user.mfa_enrolled ? badge("TOTP", "ok") : user.mfa_required ? badge("must enrol", "warn") : "–"),
      h("td", {}, user.sites ? user.sites.join(", ") : "all"), h("td", {}, user.locked ? badge("locked", "bad") : badge("active", "ok"))))));
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
