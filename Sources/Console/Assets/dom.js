// Small DOM helpers: element builder, formatting, toasts. Text always goes in as text nodes (no HTML
// injection from device-supplied strings).

/** Builds an element: h("a", {href: "#"}, "text", child). `on*` attributes become listeners. */
export function h(tag, attributes = {}, ...children) {
  // SVG elements: the usual drawing tags, and "svg:a" for a link inside a drawing.
  const svg = ["svg", "path", "circle", "line", "text", "g", "rect", "polyline", "title"].includes(tag) || tag.startsWith("svg:");
  const name = tag.replace(/^svg:/, "");
  const element = svg ? document.createElementNS("http://www.w3.org/2000/svg", name) : document.createElement(name);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.setAttribute("class", value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function badge(text, kind = text) { return h("span", { class: "badge " + kind }, text); }

/** A number with sensible precision. */
export function number(value, digits = 2) {
  if (typeof value !== "number" || !isFinite(value)) return String(value ?? "–");
  if (Math.abs(value) >= 1000) return value.toLocaleString("en", { maximumFractionDigits: 0 });
  return value.toLocaleString("en", { maximumFractionDigits: digits });
}

/** A time as local "HH:MM:SS" today, or date and time otherwise. */
export function time(value) {
  if (!value) return "–";
  const date = new Date(value);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString("en-GB") : date.toLocaleString("en-GB");
}

/** "in 3 days", "5 min ago". */
export function relative(value) {
  if (!value) return "–";
  const seconds = (new Date(value).getTime() - Date.now()) / 1000;
  const units = [["day", 86400], ["h", 3600], ["min", 60], ["s", 1]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === "s") {
      const count = Math.round(Math.abs(seconds) / size);
      const label = unit === "day" ? (count === 1 ? "day" : "days") : unit;
      return seconds >= 0 ? `in ${count} ${label}` : `${count} ${label} ago`;
    }
  }
  return "";
}

/** Shows a short message at the bottom right. */
export function toast(message, bad = false) {
  const element = h("div", { class: "toast" + (bad ? " bad" : "") }, message);
  document.getElementById("toasts").append(element);
  setTimeout(() => element.remove(), bad ? 8000 : 4000);
}

/** A table from rows of cells; `head` is the list of column titles. */
export function table(head, rows, caption) {
  return h("div", { class: "scroll" },
    h("table", {}, caption ? h("caption", { class: "muted" }, caption) : null,
      h("thead", {}, h("tr", {}, head.map((title) => h("th", { scope: "col" }, title)))),
      h("tbody", {}, rows)));
}

/** Runs `work` for a form submit, showing its error in `errorElement` and disabling the button meanwhile. */
export async function submitting(form, errorElement, work) {
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  fill(errorElement);
  try { await work(); } catch (error) { fill(errorElement, error.message); } finally { if (button) button.disabled = false; }
}

/** A page's "● live" indicator and the callback that keeps it in step with its event stream. */
export function liveIndicator() {
  const element = h("span", { class: "live stale" }, "connecting…");
  const update = (up) => { element.textContent = up ? "● live" : "reconnecting…"; element.className = up ? "live" : "live stale"; };
  return [element, update];
}

/**
 * Runs `work` once, `milliseconds` after the first of a burst of calls (a burst of events refreshes a
 * page once). Returns [call, cancel].
 */
export function coalesced(work, milliseconds) {
  let pending = null;
  const call = () => { pending ||= setTimeout(() => { pending = null; work(); }, milliseconds); };
  return [call, () => clearTimeout(pending)];
}
