// Alerts: open, acknowledged and resolved, with acknowledge and resolve actions.
import { api, stream } from "./api.js";
import { h, fill, badge, time, toast, table } from "./dom.js";
import { fromNanoseconds } from "./security.js";

export async function showAlerts(main, me) {
  const list = h("div", { id: "alert-table" });
  const filter = h("select", { id: "alert-status", "aria-label": "status" }, ["open", "acknowledged", "resolved", "all"].map((s) => h("option", { value: s }, s)));
  const mayAct = ["admin", "operator"].includes(me.role);
  fill(main, h("div", { class: "row spread" }, h("h1", {}, "Alerts"), h("label", {}, "Status", filter)),
    h("section", { class: "panel" }, list));

  async function act(alert, action) {
    try {
      await api("POST", `/alerts/${encodeURIComponent(alert.id)}/${action}`, { note: `${action} from the console by ${me.name}` });
      toast(`Alert ${alert.rule} on ${alert.twin}: ${action}d`);
      await refresh();
    } catch (error) { toast(error.message, true); }
  }

  async function refresh() {
    const query = filter.value === "all" ? "" : `?status=${filter.value}`;
    const reply = await api("GET", `/alerts${query}`);
    const rows = reply.alerts.map((alert) => h("tr", {},
      h("td", {}, badge(alert.severity)), h("td", {}, badge(alert.status)),
      h("th", { scope: "row" }, h("a", { href: `#/twin/${encodeURIComponent(alert.twin)}` }, alert.twin)),
      h("td", {}, `${alert.rule} (${alert.field})`), h("td", {}, alert.message),
      h("td", {}, time(fromNanoseconds(alert.firedAt))), h("td", {}, alert.occurrences),
      h("td", {}, mayAct && alert.status === "open" ? h("button", { type: "button", class: "secondary", onclick: () => act(alert, "acknowledge") }, "Acknowledge") : null,
        mayAct && alert.status !== "resolved" ? h("button", { type: "button", class: "secondary", onclick: () => act(alert, "resolve") }, "Resolve") : null)));
    fill(list, rows.length ? table(["severity", "status", "twin", "rule", "message", "fired", "times", ""], rows)
      : h("p", { class: "muted" }, `No ${filter.value === "all" ? "" : filter.value + " "}alerts.`));
  }
  filter.addEventListener("change", refresh);
  await refresh();
  const close = stream("/events/stream?kinds=alert", { "alert.fired": refresh, "alert.cleared": refresh, "alert.acknowledged": refresh, "alert.resolved": refresh });
  return close;
}
