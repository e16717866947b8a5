// The audit log: its chain's verification status and its entries, newest first, filterable.
import { api } from "./api.js";
import { h, fill, badge, time, table } from "./dom.js";
import { fromNanoseconds } from "./security.js";

export async function showAudit(main) {
  const status = h("div", { id: "audit-status" });
  const list = h("div", { id: "audit-table" });
  const search = h("input", { id: "audit-search", type: "search", placeholder: "actor, action, target or detail", "aria-label": "filter entries" });
  const outcome = h("select", { id: "audit-outcome", "aria-label": "outcome" }, ["any outcome", "success", "deny", "failure"].map((o) => h("option", { value: o }, o)));
  const more = h("button", { type: "button", class: "secondary", id: "audit-more" }, "Older entries");
  fill(main, h("h1", {}, "Audit log"),
    h("section", { class: "panel", "aria-labelledby": "h-chain" }, h("h2", { id: "h-chain" }, "Chain verification"), status),
    h("section", { class: "panel", "aria-labelledby": "h-entries" }, h("h2", { id: "h-entries" }, "Entries"),
      h("div", { class: "row" }, search, outcome, h("button", { type: "button", class: "secondary", onclick: load }, "Refresh")), list, more));

  let entries = [];
  async function verify() {
    const finding = await api("GET", "/audit/verify");
    const intact = finding.intact === "true" || finding.intact === true;
    fill(status, h("p", {}, badge(intact ? "chain intact" : "chain broken", intact ? "ok" : "bad"), " ", finding.finding));
  }
  // The API pages forward from a sequence number: read the whole log in pages of 1000 (newest shown first).
  async function load() {
    entries = [];
    let after = 0;
    for (let page = 0; page < 200; page++) {
      const reply = await api("GET", `/audit?after=${after}&limit=1000`);
      entries.push(...reply.entries);
      if (reply.entries.length < 1000) break;
      after = reply.entries[reply.entries.length - 1].sequence;
    }
    shown = 200;
    render();
    await verify();
  }
  let shown = 200;
  function render() {
    const needle = search.value.trim().toLowerCase();
    const matching = entries.filter((e) => (outcome.value === "any outcome" || e.outcome === outcome.value) &&
      (!needle || [e.actor, e.action, e.target, e.detail].join(" ").toLowerCase().includes(needle))).reverse();
    const rows = matching.slice(0, shown).map((e) => h("tr", {},
      h("td", {}, e.sequence), h("td", {}, time(fromNanoseconds(e.time))), h("td", {}, e.actor), h("td", {}, e.action),
      h("td", {}, e.target), h("td", {}, badge(e.outcome, e.outcome === "success" ? "ok" : "bad")), h("td", {}, e.detail)));
    fill(list, h("p", { class: "muted" }, `${matching.length} of ${entries.length} entries`),
      table(["#", "time", "actor", "action", "target", "outcome", "detail"], rows));
    more.hidden = matching.length <= shown;
  }
  more.addEventListener("click", () => { shown += 200; render(); });
  search.addEventListener("input", render);
  outcome.addEventListener("change", render);
  await load();
}
