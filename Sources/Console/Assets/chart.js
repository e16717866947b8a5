// A time-series chart on a canvas: lines, anomaly marks, a time window, zoom by dragging a range
// (or with the keyboard: + and - zoom, arrows pan, 0 resets) and a hover read-out.

const COLOURS = ["#0b6bcb", "#e65100", "#2e7d32", "#6a1b9a", "#00838f", "#ad1457"];

export class TimeChart {
  /** @param canvas a <canvas>; @param options {label, unit} */
  constructor(canvas, options = {}) {
    this.canvas = canvas;
    this.options = options;
    this.series = [];      // [{name, points: [[ms, value]], dashed}]
    this.marks = [];       // [{t, label}]
    this.window = 15 * 60_000;
    this.zoom = null;      // [from, to] in ms, or null for the live window
    this.drag = null;
    this.hover = null;
    canvas.tabIndex = 0;
    canvas.setAttribute("role", "img");
    canvas.addEventListener("pointerdown", (event) => this.startDrag(event));
    canvas.addEventListener("pointermove", (event) => this.moveDrag(event));
    canvas.addEventListener("pointerup", () => this.endDrag());
    canvas.addEventListener("pointerleave", () => { this.hover = null; this.draw(); });
    canvas.addEventListener("keydown", (event) => this.key(event));
    this.resizeObserver = new ResizeObserver(() => this.draw());
    this.resizeObserver.observe(canvas);
    this.onZoom = () => {};
  }

  setSeries(index, name, points, dashed = false) {
    this.series[index] = { name, points: points.slice().sort((a, b) => a[0] - b[0]), dashed };
    this.draw();
  }

  append(index, t, value) {
    const series = this.series[index];
    if (!series) return;
    series.points.push([t, value]);
    const keep = Date.now() - 24 * 3600_000;
    while (series.points.length > 20000 || (series.points.length && series.points[0][0] < keep)) series.points.shift();
    this.draw();
  }

  setMarks(marks) { this.marks = marks; this.draw(); }

  setWindow(milliseconds) { this.window = milliseconds; this.zoom = null; this.onZoom(null); this.draw(); }

  resetZoom() { this.zoom = null; this.onZoom(null); this.draw(); }

  range() {
    if (this.zoom) return this.zoom;
    const series = this.series.filter(Boolean);
    const end = Math.max(Date.now(), ...series.map((s) => s.points.length ? s.points[s.points.length - 1][0] : 0));
    // While the data is younger than the window, show what there is (at least a minute) across the width.
    const first = Math.min(...series.map((s) => s.points.length ? s.points[0][0] : Infinity));
    return [Math.max(end - this.window, Math.min(first, end - 60_000)), end];
  }

  layout() {
    const ratio = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth, height = this.canvas.clientHeight;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
    }
    return { ratio, width, height, left: 56, right: width - 12, top: 10, bottom: height - 24 };
  }

  xOf(t, box, [from, to]) { return box.left + (t - from) / (to - from) * (box.right - box.left); }
  tOf(x, box, [from, to]) { return from + (x - box.left) / (box.right - box.left) * (to - from); }

  draw() {
    const context = this.canvas.getContext("2d");
    const box = this.layout();
    if (box.width === 0) return;
    const range = this.range();
    context.setTransform(box.ratio, 0, 0, box.ratio, 0, 0);
    context.clearRect(0, 0, box.width, box.height);
    const visible = this.series.filter(Boolean).map((s) => s.points.filter(([t]) => t >= range[0] && t <= range[1]));
    const values = visible.flat().map(([, v]) => v);
    let low = Math.min(...values), high = Math.max(...values);
    if (!values.length) { low = 0; high = 1; }
    if (high - low < 1e-9) { low -= 1; high += 1; }
    const pad = (high - low) * 0.08;
    low -= pad; high += pad;
    const yOf = (v) => box.bottom - (v - low) / (high - low) * (box.bottom - box.top);
    context.font = "11px system-ui, sans-serif";
    context.strokeStyle = "#e3e8ee";
    context.fillStyle = "#5d6b7a";
    context.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const v = low + (high - low) * i / 4, y = yOf(v);
      context.beginPath(); context.moveTo(box.left, y); context.lineTo(box.right, y); context.stroke();
      context.fillText(Math.abs(v) >= 1000 ? v.toFixed(0) : v.toPrecision(3), 4, y + 4);
    }
    for (let i = 0; i <= 4; i++) {
      const t = range[0] + (range[1] - range[0]) * i / 4, x = this.xOf(t, box, range);
      const label = new Date(t).toLocaleTimeString("en-GB");
      context.fillText(label, Math.min(Math.max(x - 24, box.left), box.right - 48), box.height - 6);
    }
    for (const mark of this.marks) {
      if (mark.t < range[0] || mark.t > range[1]) continue;
      const x = this.xOf(mark.t, box, range);
      context.strokeStyle = "rgba(198,40,40,.55)";
      context.beginPath(); context.moveTo(x, box.top); context.lineTo(x, box.bottom); context.stroke();
      context.fillStyle = "#c62828";
      context.beginPath(); context.arc(x, box.top + 5, 4, 0, Math.PI * 2); context.fill();
    }
    this.series.forEach((series, index) => {
      if (!series) return;
      context.strokeStyle = COLOURS[index % COLOURS.length];
      context.lineWidth = 1.6;
      context.setLineDash(series.dashed ? [6, 4] : []);
      context.beginPath();
      let started = false;
      for (const [t, v] of visible[this.series.filter(Boolean).indexOf(series)]) {
        const x = this.xOf(t, box, range), y = yOf(v);
        if (started) context.lineTo(x, y); else { context.moveTo(x, y); started = true; }
      }
      context.stroke();
      context.setLineDash([]);
    });
    if (this.drag && Math.abs(this.drag.x1 - this.drag.x0) > 2) {
      context.fillStyle = "rgba(11,107,203,.15)";
      context.fillRect(Math.min(this.drag.x0, this.drag.x1), box.top, Math.abs(this.drag.x1 - this.drag.x0), box.bottom - box.top);
    }
    if (this.hover) {
      const t = this.tOf(this.hover, box, range);
      const nearest = this.series.filter(Boolean).map((s) => {
        let best = null;
        for (const point of s.points) if (!best || Math.abs(point[0] - t) < Math.abs(best[0] - t)) best = point;
        return best && `${s.name} ${Math.abs(best[1]) >= 1000 ? best[1].toFixed(0) : best[1].toPrecision(4)}`;
      }).filter(Boolean);
      context.strokeStyle = "#5d6b7a";
      context.beginPath(); context.moveTo(this.hover, box.top); context.lineTo(this.hover, box.bottom); context.stroke();
      context.fillStyle = "#1d2733";
      context.fillText(`${new Date(t).toLocaleTimeString("en-GB")}  ${nearest.join("  ")}`, box.left + 4, box.top + 12);
    }
    const last = this.series[0] && this.series[0].points[this.series[0].points.length - 1];
    this.canvas.setAttribute("aria-label", `${this.options.label || "chart"}${last ? `, latest ${last[1]}` : ""}${this.marks.length ? `, ${this.marks.length} anomalies marked` : ""}`);
  }

  startDrag(event) {
    const x = event.offsetX;
    this.drag = { x0: x, x1: x };
    this.canvas.setPointerCapture(event.pointerId);
  }

  moveDrag(event) {
    this.hover = event.offsetX;
    if (this.drag) this.drag.x1 = event.offsetX;
    this.draw();
  }

  endDrag() {
    const drag = this.drag;
    this.drag = null;
    if (drag && Math.abs(drag.x1 - drag.x0) > 8) {
      const box = this.layout(), range = this.range();
      const a = this.tOf(Math.min(drag.x0, drag.x1), box, range), b = this.tOf(Math.max(drag.x0, drag.x1), box, range);
      this.zoom = [a, b];
      this.onZoom(this.zoom);
    }
    this.draw();
  }

  key(event) {
    const [from, to] = this.range(), span = to - from;
    const actions = {
      "+": () => [from + span / 4, to - span / 4], "=": () => [from + span / 4, to - span / 4],
      "-": () => [from - span / 2, to + span / 2],
      ArrowLeft: () => [from - span / 5, to - span / 5], ArrowRight: () => [from + span / 5, to + span / 5],
    };
    if (event.key === "0") { this.resetZoom(); event.preventDefault(); return; }
    if (!actions[event.key]) return;
    event.preventDefault();
    this.zoom = actions[event.key]();
    this.onZoom(this.zoom);
    this.draw();
  }

  destroy() { this.resizeObserver.disconnect(); }
}
