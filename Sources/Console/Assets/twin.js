// One twin: properties, reported vs desired state (editable, with the device's acknowledgement), live
// telemetry charts with anomalies marked, the RUL gauge, the relationships graph and the simulation panel.
import { api, stream } from "./api.js";
import { h, fill, badge, number, time, relative, toast, table, liveIndicator } from "./dom.js";
import { TimeChart } from "./chart.js";

const RANGES = [["5 min", 5 * 60_000], ["15 min", 15 * 60_000], ["1 h", 3600_000], ["6 h", 6 * 3600_000], ["24 h", 24 * 3600_000]];

export async function showTwin(main, id, me) {
  const path = `/twins/${encodeURIComponent(id)}`;
  let twin = await api("GET", path);
  const model = twin.model ? await api("GET", `/models/${encodeURIComponent(twin.model)}`).catch(() => null) : null;
  const [live, showLive] = liveIndicator();
  const info = h("dl", { class: "kv", id: "twin-info" });
  const state = h("div", { id: "twin-state" });
  const charts = h("div", { class: "grid two", id: "twin-charts" });
  const rul = h("div", { id: "twin-rul" });
  const graph = h("div", { id: "twin-graph" });
  const simulation = h("div", { id: "twin-simulation" });
  const anomalies = h("ul", { class: "feed", id: "twin-anomalies" });
  fill(main,
    h("div", { class: "row spread" }, h("h1", {}, h("a", { href: "#/overview" }, "Overview"), " › ", twin.id), live),
    h("div", { class: "grid" },
      h("section", { class: "panel", "aria-labelledby": "h-props" }, h("h2", { id: "h-props" }, "Properties"), info),
      h("section", { class: "panel", "aria-labelledby": "h-rul" }, h("h2", { id: "h-rul" }, "Remaining useful life"), rul),
      h("section", { class: "panel", "aria-labelledby": "h-rel" }, h("h2", { id: "h-rel" }, "Relationships"), graph)),
    h("section", { class: "panel", "aria-labelledby": "h-state" }, h("h2", { id: "h-state" }, "Reported and desired state"), state),
    h("h2", {}, "Telemetry"), charts,
    h("div", { class: "grid two" },
      h("section", { class: "panel", "aria-labelledby": "h-anom" }, h("h2", { id: "h-anom" }, "Recent anomalies"), anomalies),
      h("section", { class: "panel", "aria-labelledby": "h-sim" }, h("h2", { id: "h-sim" }, "What if: simulation"), simulation)));

  function showInfo() {
    fill(info,
      h("dt", {}, "Model"), h("dd", {}, twin.model || "none (open: fields learned from telemetry)"),
      h("dt", {}, "Presence"), h("dd", {}, badge(twin.presence), twin.lastSeen ? ` last seen ${relative(twin.lastSeen)}` : ""),
      Object.entries(twin.tags).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
      h("dt", {}, "Version"), h("dd", {}, twin.version));
  }

  const writable = (model?.properties || []).filter((p) => p.writable);
  function showState() {
    const names = [...new Set([...Object.keys(twin.reported), ...Object.keys(twin.desired), ...writable.map((p) => p.name)])].sort();
    const rows = names.map((name) => {
      const reported = twin.reported[name], desired = twin.desired[name];
      const definition = writable.find((p) => p.name === name);
      let status = "";
      if (desired && name in twin.delta) status = badge("waiting for the device", "warn");
      else if (desired && reported) status = badge(`acknowledged ${time(reported.updatedAt)}`, "ok");
      let editor = desired ? JSON.stringify(desired.value) : "–";
      if (definition && me.role !== "viewer") {
        const input = h("input", { "aria-label": `desired ${name}`, id: `desired-${name}`, size: 10,
          value: desired ? String(desired.value) : reported ? String(reported.value) : "" });
        const form = h("form", { class: "row" }, input, h("button", { type: "submit", class: "secondary" }, "Set"));
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          const text = input.value.trim();
          const value = definition.schema === "string" || definition.schema === "enum" ? text : text === "true" ? true : text === "false" ? false : Number(text);
          if (typeof value === "number" && !isFinite(value)) return toast(`${name} needs a number`, true);
          try {
            const response = await api("PATCH", `${path}/desired`, { [name]: value }, { headers: { "If-Match": twin.etag } });
            twin = response;
            showState();
            toast(`Desired ${name} = ${value} sent to the device`);
          } catch (error) { toast(error.message, true); twin = await api("GET", path); showState(); }
        });
        editor = form;
      }
      return h("tr", { id: `state-${name}` }, h("th", { scope: "row" }, name),
        h("td", { class: "reported" }, reported ? JSON.stringify(reported.value) : "–"), h("td", {}, editor), h("td", { class: "ack" }, status));
    });
    fill(state, rows.length ? table(["property", "reported", "desired", "device"], rows) : h("p", { class: "muted" }, "This twin has no properties."));
  }

  // Charts: one per numeric field, history from the store, then live from the stream (fields that
  // appear later get their chart when their first value arrives).
  const fieldCharts = {};
  let windowMs = RANGES[1][1];
  const tools = h("div", { class: "chart-tools wide", role: "group", "aria-label": "time range" },
    RANGES.map(([label, ms]) => h("button", { type: "button", class: "secondary", "aria-pressed": String(ms === windowMs),
      onclick: (event) => { windowMs = ms; for (const b of tools.querySelectorAll("button[aria-pressed]")) b.setAttribute("aria-pressed", String(b === event.target)); loadHistory(); } }, label)),
    h("button", { type: "button", class: "secondary", onclick: () => Object.values(fieldCharts).forEach((c) => c.resetZoom()) }, "Reset zoom"),
    h("span", { class: "muted" }, "Drag across a chart to zoom; with a chart focused, + − ← → 0."));
  const noTelemetry = h("p", { class: "muted wide", id: "no-telemetry" }, "No numeric telemetry yet: charts appear with the first values.");
  fill(charts, tools, noTelemetry);
  function addChart(field, value) {
    noTelemetry.remove();
    const canvas = h("canvas", { class: "chart", id: `chart-${field}` });
    const shown = h("span", { class: "stat", id: `value-${field}` }, number(value));
    const panels = [...charts.querySelectorAll("section.panel")];
    const panel = h("section", { class: "panel", dataset: { field } }, h("div", { class: "row spread" }, h("h3", {}, field), shown), canvas);
    const after = panels.find((p) => p.dataset.field > field);
    if (after) charts.insertBefore(panel, after); else charts.append(panel);
    const chart = new TimeChart(canvas, { label: field });
    chart.valueElement = shown;
    chart.window = windowMs;
    chart.setSeries(0, field, []);
    fieldCharts[field] = chart;
    return chart;
  }
  for (const [field, sample] of Object.entries(twin.telemetry).sort()) {
    if (typeof sample.value === "number") addChart(field, sample.value);
  }

  async function loadHistory() {
    const from = new Date(Date.now() - windowMs).toISOString();
    const every = windowMs > 3600_000 ? `&every=${Math.round(windowMs / 1000 / 600)}s` : "&limit=100000";
    await Promise.all(Object.keys(fieldCharts).map(async (field) => {
      const reply = await api("GET", `${path}/telemetry?field=${encodeURIComponent(field)}&from=${from}${every}`);
      const points = reply.series.flatMap((s) => s.points).filter((p) => typeof p.value === "number").map((p) => [Date.parse(p.time), p.value]);
      fieldCharts[field].setSeries(0, field, points);
      fieldCharts[field].setWindow(windowMs);
    }));
  }

  let anomalyList = [];
  function showAnomalies() {
    for (const [field, chart] of Object.entries(fieldCharts)) chart.setMarks(anomalyList.filter((a) => a.field === field).map((a) => ({ t: Date.parse(a.at) })));
    fill(anomalies, anomalyList.length ? anomalyList.slice().reverse().slice(0, 50).map((a) =>
      h("li", {}, h("span", { class: "muted" }, time(a.at)), " ", badge(a.severity || "minor"), ` ${a.kind} in ${a.field}: ${number(a.value)}`,
        a.expected ? h("span", { class: "muted" }, ` (expected ${number(a.expected[0])}–${number(a.expected[1])})`) : "",
        `, score ${number(a.score)}`)) : h("li", { class: "muted" }, "No anomalies found in this twin's telemetry."));
  }

  function showRUL(estimate, reason) {
    if (!model?.rul) return fill(rul, h("p", { class: "muted", id: "rul-none" }, "This twin's model has no remaining-useful-life model."));
    if (!estimate) return fill(rul, h("p", { class: "muted", id: "rul-none" }, reason));
    const cap = Math.max(125, estimate.high || 0), fraction = Math.max(0, Math.min(1, estimate.rul / cap));
    const threshold = estimate.maintenanceBelow;
    const colour = threshold && estimate.rul < threshold ? "#c62828" : estimate.rul < cap * 0.5 ? "#b35900" : "#1a7f37";
    const arc = (f) => { const a = Math.PI * (1 - f); return [110 + 90 * Math.cos(a), 115 - 90 * Math.sin(a)]; };
    const [x, y] = arc(fraction);
    const svg = h("svg", { class: "gauge", viewBox: "0 0 220 130", role: "img", "aria-label": `remaining useful life ${Math.round(estimate.rul)} cycles` },
      h("path", { d: "M 20 115 A 90 90 0 0 1 200 115", fill: "none", stroke: "#e3e8ee", "stroke-width": 16 }),
      h("path", { d: `M 20 115 A 90 90 0 0 1 ${x.toFixed(1)} ${y.toFixed(1)}`, fill: "none", stroke: colour, "stroke-width": 16 }),
      threshold ? (() => { const [tx, ty] = arc(threshold / cap); return h("circle", { cx: tx, cy: ty, r: 5, fill: "#c62828" }); })() : null,
      h("text", { x: 110, y: 100, "text-anchor": "middle", "font-size": 28, "font-weight": 700, fill: colour, id: "rul-value" }, String(Math.round(estimate.rul))),
      h("text", { x: 110, y: 122, "text-anchor": "middle", "font-size": 12 }, "cycles left"));
    fill(rul, svg, h("p", { class: "muted" }, `between ${Math.round(estimate.low)} and ${Math.round(estimate.high)} cycles · ${estimate.cycles} cycles watched · model ${estimate.model}`),
      threshold ? h("p", {}, estimate.rul < threshold ? badge("maintenance due", "bad") : badge(`maintenance below ${threshold}`, "ok")) : null);
  }

  async function showGraph() {
    const all = await api("GET", "/twins?limit=1000");
    const edges = twin.relationships.map((r) => ({ name: r.name, other: r.target, out: true }))
      .concat(all.items.flatMap((t) => t.relationships.filter((r) => r.target === twin.id).map((r) => ({ name: r.name, other: t.id, out: false }))));
    if (!edges.length) return fill(graph, h("p", { class: "muted" }, "No relationships."));
    const cx = 200, cy = 130, radius = 95;
    const nodes = edges.map((edge, index) => {
      const angle = 2 * Math.PI * index / edges.length - Math.PI / 2;
      return { ...edge, x: cx + radius * 1.6 * Math.cos(angle), y: cy + radius * Math.sin(angle) };
    });
    fill(graph, h("svg", { class: "graph", viewBox: "0 0 400 260", role: "img", "aria-label": `${edges.length} relationships` },
      nodes.map((n) => h("g", {},
        h("line", { x1: cx, y1: cy, x2: n.x, y2: n.y, stroke: "#8fa3b8", "stroke-width": 1.5 }),
        h("text", { x: (cx + n.x) / 2, y: (cy + n.y) / 2 - 4, "text-anchor": "middle", fill: "#5d6b7a" }, n.out ? `${n.name} →` : `← ${n.name}`))),
      h("circle", { cx, cy, r: 8, fill: "#0b6bcb" }), h("text", { x: cx, y: cy + 22, "text-anchor": "middle", "font-weight": 700 }, twin.id),
      nodes.map((n) => {
        const link = h("svg:a", { href: `#/twin/${encodeURIComponent(n.other)}`, "aria-label": `twin ${n.other}` }, h("circle", { cx: n.x, cy: n.y, r: 6, fill: "#5d6b7a" }),
          h("text", { x: n.x, y: n.y + 18, "text-anchor": "middle" }, n.other));
        return link;
      })));
  }

  function showSimulation() {
    const definition = model?.stateModel;
    if (!definition) return fill(simulation, h("p", { class: "muted" }, "This twin's model has no state model to simulate."));
    const inputs = Object.entries(definition.inputs || {});
    const horizon = h("input", { id: "sim-horizon", type: "number", min: 60, step: 60, value: 3600, "aria-label": "horizon in seconds" });
    const fields = inputs.map(([name, value]) => h("input", { id: `sim-${name}`, type: "number", step: "any", value, "aria-label": name }));
    const canvas = h("canvas", { class: "chart", id: "sim-chart", hidden: true });
    const result = h("p", { class: "muted", id: "sim-result" }, "Change the inputs and run to see the projected trajectory.");
    const chart = new TimeChart(canvas, { label: "projected trajectory" });
    const form = h("form", { class: "row", id: "sim-form" },
      inputs.map(([name], index) => h("label", {}, name, fields[index])), h("label", {}, "horizon (s)", horizon),
      h("button", { type: "submit" }, "Run"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const request = { horizon: Number(horizon.value), step: Math.max(1, Number(horizon.value) / 600), inputs: {} };
        inputs.forEach(([name], index) => { request.inputs[name] = Number(fields[index].value); });
        const run = await api("POST", `${path}/simulate`, request);
        canvas.hidden = false;
        const start = Date.parse(run.start);
        const points = run.times.map((t, i) => [start + t * 1000, run.values[i]]);
        chart.window = run.times[run.times.length - 1] * 1000 || 60_000;
        chart.zoom = [start, start + chart.window];
        chart.setSeries(0, run.variable, points, true);
        fill(result, `${run.variable}: ${number(run.initial)} now → ${number(run.final)} after ${number(request.horizon / 60, 0)} min (min ${number(run.minimum)}, max ${number(run.maximum)})`,
          run.crossings.map((c) => h("div", {}, badge(c.name, "warn"), ` reached after ${number(c.after / 60, 1)} min`)));
      } catch (error) { fill(result, h("span", { class: "error" }, error.message)); }
    });
    fill(simulation, h("p", { class: "muted" }, `${definition.kind} model of ${definition.stateField || "the state"}`), form, canvas, result);
  }

  showInfo();
  showState();
  showSimulation();
  const [anomalyReply, rulReply] = await Promise.all([api("GET", `${path}/anomalies`), api("GET", `${path}/rul`), loadHistory(), showGraph()]);
  anomalyList = anomalyReply.anomalies || [];
  showAnomalies();
  showRUL(rulReply.estimate, rulReply.reason);

  const close = stream(`${path}/stream`, {
    telemetry: (event) => {
      const t = Date.parse(event.time);
      for (const [field, value] of Object.entries(event.data)) {
        if (typeof value !== "number") continue;
        const chart = fieldCharts[field] || addChart(field, value);
        chart.append(0, t, value);
        chart.valueElement.textContent = number(value);
      }
    },
    anomaly: (event) => { anomalyList.push(event.data); showAnomalies(); },
    rul: (event) => showRUL(event.data),
    maintenance: (event) => toast(`${twin.id}: maintenance due, ${Math.round(event.data.rul)} cycles left`, true),
    reported: async () => { twin = await api("GET", path); showState(); showInfo(); },
    desired: async () => { twin = await api("GET", path); showState(); },
    presence: async () => { twin = await api("GET", path); showInfo(); },
  }, showLive);
  return () => { close(); Object.values(fieldCharts).forEach((c) => c.destroy()); };
}
