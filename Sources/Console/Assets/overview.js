// Overview: sites and their assets with health, open alerts, the fleet's trust distribution, the ingest
// rate and a live feed of what the platform notices.
import { api, stream } from "./api.js";
import { h, fill, badge, number, time, liveIndicator, coalesced } from "./dom.js";

const TIERS = ["trusted", "restricted", "quarantined", "blocked"];

/** Points ingested per second, from two readings of /metrics. */
class IngestRate {
  constructor() { this.last = null; }
  async read() {
    const text = await (await fetch("/metrics", { credentials: "same-origin" })).text();
    const match = text.match(/^twinguard_ingest_points_total(?:\{[^}]*\})?\s+([0-9.e+]+)/m);
    const total = match ? Number(match[1]) : 0;
    const now = performance.now();
    const rate = this.last ? (total - this.last.total) / ((now - this.last.now) / 1000) : null;
    this.last = { total, now };
    return { total, rate };
  }
}

export async function showOverview(main) {
  const tree = h("div", { class: "tree", id: "asset-tree" });
  const alertsList = h("div", { id: "open-alerts" });
  const trust = h("div", { id: "trust-distribution" });
  const health = h("div", { class: "row", id: "fleet-health" });
  const ingest = h("div", { id: "ingest-rate" }, h("span", { class: "stat" }, "…"), " points/s");
  const feed = h("ul", { class: "feed", id: "live-feed", "aria-live": "polite" });
  const [live, showLive] = liveIndicator();
  fill(main,
    h("div", { class: "row spread" }, h("h1", {}, "Overview"), live),
    h("div", { class: "grid" },
      h("section", { class: "panel", "aria-labelledby": "h-health" }, h("h2", { id: "h-health" }, "Fleet health"), health),
      h("section", { class: "panel", "aria-labelledby": "h-trust" }, h("h2", { id: "h-trust" }, "Device trust"), trust),
      h("section", { class: "panel", "aria-labelledby": "h-ingest" }, h("h2", { id: "h-ingest" }, "Ingest rate"), ingest)),
    h("div", { class: "grid two" },
      h("section", { class: "panel", "aria-labelledby": "h-sites" }, h("h2", { id: "h-sites" }, "Sites and assets"), tree),
      h("section", { class: "panel", "aria-labelledby": "h-alerts" }, h("h2", { id: "h-alerts" }, "Open alerts"), alertsList,
        h("h2", { id: "h-feed" }, "Live events"), feed)));

  const rate = new IngestRate();
  async function refresh() {
    const [twins, devices, alerts] = await Promise.all([
      api("GET", "/twins?limit=1000"), api("GET", "/devices"), api("GET", "/alerts?status=open"),
    ]);
    const tiers = Object.fromEntries(devices.items.map((d) => [d.twin, d.tier]));
    const openBy = {};
    for (const alert of alerts.alerts) openBy[alert.twin] = (openBy[alert.twin] || 0) + 1;
    const sites = {};
    for (const twin of twins.items) (sites[twin.tags.site || "unassigned"] ||= []).push(twin);
    fill(tree, h("ul", {}, Object.keys(sites).sort().map((site) => h("li", {},
      h("strong", {}, site), " ", h("span", { class: "muted" }, `${sites[site].length} assets`),
      h("ul", {}, sites[site].sort((a, b) => a.id.localeCompare(b.id)).map((twin) => h("li", {},
        h("a", { href: `#/twin/${encodeURIComponent(twin.id)}` }, twin.id), " ",
        badge(twin.presence), tiers[twin.id] ? [" ", badge(tiers[twin.id])] : null,
        openBy[twin.id] ? [" ", badge(`${openBy[twin.id]} alert${openBy[twin.id] > 1 ? "s" : ""}`, "open")] : null,
        twin.tags.area ? h("span", { class: "muted" }, ` · ${twin.tags.area}`) : null)))))));
    const online = twins.items.filter((t) => t.presence === "online").length;
    fill(health,
      h("div", {}, h("div", { class: "stat" }, `${online}/${twins.items.length}`), h("div", { class: "muted" }, "assets online")),
      h("div", {}, h("div", { class: "stat" }, alerts.alerts.length), h("div", { class: "muted" }, "open alerts")),
      h("div", {}, h("div", { class: "stat" }, Object.keys(sites).length), h("div", { class: "muted" }, "sites")));
    const counts = Object.fromEntries(TIERS.map((tier) => [tier, devices.items.filter((d) => d.tier === tier).length]));
    const total = devices.items.length || 1;
    fill(trust,
      h("div", { class: "bar", role: "img", "aria-label": TIERS.map((t) => `${counts[t]} ${t}`).join(", ") },
        TIERS.map((tier) => { const part = h("span", { class: tier }); part.style.width = `${100 * counts[tier] / total}%`; return part; })),
      h("div", { class: "legend" }, TIERS.map((tier) => h("span", {}, badge(tier), ` ${counts[tier]}`))),
      h("p", { class: "muted" }, `${devices.items.length} devices; mean score ${number(devices.items.reduce((s, d) => s + d.score, 0) / total, 0)}`));
    fill(alertsList, alerts.alerts.length === 0 ? h("p", { class: "muted" }, "No open alerts.") :
      h("ul", {}, alerts.alerts.slice(0, 12).map((alert) => h("li", {}, badge(alert.severity), " ",
        h("a", { href: `#/twin/${encodeURIComponent(alert.twin)}` }, alert.twin), ` ${alert.rule}: ${alert.message || alert.field || ""}`))));
  }
  async function refreshRate() {
    const { total, rate: perSecond } = await rate.read();
    fill(ingest, h("span", { class: "stat", id: "ingest-value" }, perSecond === null ? "…" : number(perSecond, 1)), " points/s",
      h("div", { class: "muted" }, `${number(total, 0)} points stored since start`));
  }
  function note(event, text) {
    feed.prepend(h("li", {}, h("span", { class: "muted" }, time(event.time)), " ",
      h("a", { href: `#/twin/${encodeURIComponent(event.twin)}` }, event.twin), " ", text));
    while (feed.children.length > 60) feed.lastChild.remove();
  }

  await Promise.all([refresh(), refreshRate()]);
  const [soon, cancelSoon] = coalesced(() => refresh().catch(() => {}), 800);
  const close = stream("/events/stream?kinds=anomaly,alert,maintenance,trust,presence", {
    anomaly: (e) => note(e, `anomaly (${e.data.kind}) in ${e.data.field}, score ${number(e.data.score)}`),
    "alert.fired": (e) => { note(e, `alert fired: ${e.data.rule}`); soon(); },
    "alert.cleared": (e) => { note(e, `alert cleared: ${e.data.rule}`); soon(); },
    maintenance: (e) => { note(e, `maintenance due: RUL ${number(e.data.rul, 0)} cycles`); soon(); },
    "trust.tier": (e) => { note(e, `trust ${e.data.from} → ${e.data.to}: ${e.data.reason}`); soon(); },
    presence: (e) => { note(e, e.data.online ? "came online" : "went offline"); soon(); },
  }, showLive);
  const timer = setInterval(() => refreshRate().catch(() => {}), 3000);
  return () => { close(); clearInterval(timer); cancelSoon(); };
}
