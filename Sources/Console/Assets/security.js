// Security: devices with certificate expiry, posture, trust score and tier; quarantine, release and
// revoke; enrollment tokens; a live feed of denied accesses from the audit log.
import { api, stream } from "./api.js";
import { h, fill, badge, time, relative, toast, table, liveIndicator, coalesced } from "./dom.js";

/** Audit and certificate times come as nanoseconds since the epoch (or RFC 3339 text). */
export function fromNanoseconds(value) { return typeof value === "number" ? new Date(value / 1e6) : new Date(value); }

export async function showSecurity(main, me) {
  const devices = h("div", { id: "device-table" });
  const denied = h("ul", { class: "feed", id: "denied-feed", "aria-live": "polite" });
  const tokenResult = h("div", { id: "token-result" });
  const canManage = ["admin", "security-officer"].includes(me.role);
  const [live, showLive] = liveIndicator();
  const tokenForm = h("form", { class: "row", id: "token-form" },
    h("label", {}, "Twin id", h("input", { name: "twin", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9_.:\\-]*", id: "token-twin" })),
    h("label", {}, "Model (optional)", h("input", { name: "model", placeholder: "tg:factory:CNC;1", id: "token-model" })),
    h("label", {}, "Valid for", h("select", { name: "ttl", id: "token-ttl" }, ["15m", "1h", "24h", "7d"].map((t) => h("option", { value: t, selected: t === "1h" }, t)))),
    h("button", { type: "submit", disabled: !canManage }, "Create token"));
  fill(main,
    h("div", { class: "row spread" }, h("h1", {}, "Security"), live),
    h("section", { class: "panel", "aria-labelledby": "h-devices" }, h("h2", { id: "h-devices" }, "Devices"), devices),
    h("div", { class: "grid two" },
      h("section", { class: "panel", "aria-labelledby": "h-denied" }, h("h2", { id: "h-denied" }, "Denied accesses (live)"), denied),
      h("section", { class: "panel", "aria-labelledby": "h-enroll" }, h("h2", { id: "h-enroll" }, "Enroll a device"),
        h("p", { class: "muted" }, "A one-time token binds a new device to a twin; the device enrolls over HTTPS and gets its own certificate."),
        tokenForm, tokenResult)));

  tokenForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { twin: tokenForm.twin.value.trim(), ttl: tokenForm.ttl.value };
    if (tokenForm.model.value.trim()) body.model = tokenForm.model.value.trim();
    try {
      const token = await api("POST", "/enrollment-tokens", body);
      fill(tokenResult, h("p", {}, `Token for ${token.twin}, valid until ${time(token.expires_at)} (shown once):`),
        h("pre", { class: "scroll" }, h("code", { id: "token-value" }, token.token)),
        h("p", { class: "muted" }, "On the device: ", h("code", {}, `twinguard device enroll --server https://${location.hostname}:HTTPS_PORT --token TOKEN --out ./identity`)));
      refresh();
    } catch (error) { fill(tokenResult, h("p", { class: "error" }, error.message)); }
  });

  async function act(twin, method, suffix, body, message) {
    try {
      await api(method, `/devices/${encodeURIComponent(twin)}${suffix}`, body);
      toast(message);
      await refresh();
    } catch (error) { toast(error.message, true); }
  }

  async function refresh() {
    const reply = await api("GET", "/devices");
    const rows = reply.items.map((device) => {
      const valid = device.certificates.filter((c) => !c.revokedAt);
      const newest = valid.sort((a, b) => b.notAfter - a.notAfter)[0];
      const posture = device.posture;
      const findings = device.posture_findings;
      const actions = canManage ? h("div", { class: "row" },
        device.override === "quarantined"
          ? h("button", { type: "button", class: "secondary", id: `release-${device.twin}`,
              onclick: () => act(device.twin, "PUT", "/tier", { tier: null, reason: `released by ${me.name}` }, `${device.twin} released`) }, "Release")
          : h("button", { type: "button", class: "secondary", id: `quarantine-${device.twin}`,
              onclick: () => act(device.twin, "PUT", "/tier", { tier: "quarantined", reason: `quarantined from the console by ${me.name}` }, `${device.twin} quarantined`) }, "Quarantine"),
        h("button", { type: "button", class: "danger", id: `revoke-${device.twin}`, disabled: !valid.length,
          onclick: () => { if (confirm(`Revoke every certificate of ${device.twin}? It must enroll again.`)) act(device.twin, "POST", "/revoke", { reason: `revoked from the console by ${me.name}` }, `${device.twin} revoked`); } }, "Revoke")) : null;
      return h("tr", { id: `device-${device.twin}` },
        h("th", { scope: "row" }, h("a", { href: `#/twin/${encodeURIComponent(device.twin)}` }, device.twin)),
        h("td", {}, badge(device.tier), device.override ? h("div", { class: "muted" }, `override: ${device.override_reason || ""}`) : null),
        h("td", { title: device.score_reasons.join("\n") }, String(device.score), device.score_reasons.length ? h("div", { class: "muted" }, device.score_reasons.slice(0, 2).join("; ")) : null),
        h("td", {}, posture ? `firmware ${posture.firmware_version || "?"}` : h("span", { class: "muted" }, "not reported"),
          findings && findings.length ? h("div", { class: "finding" }, findings.join("; ")) : findings ? h("div", {}, badge("compliant", "ok")) : null),
        h("td", {}, newest ? [`expires ${relative(fromNanoseconds(newest.notAfter))}`, h("div", { class: "muted" }, `serial ${newest.serial.slice(0, 12)}…`)]
          : device.certificates.length ? badge("revoked", "bad") : h("span", { class: "muted" }, "password login")),
        h("td", {}, actions));
    });
    fill(devices, rows.length ? table(["device", "tier", "trust score", "posture", "certificate", canManage ? "actions" : ""], rows)
      : h("p", { class: "muted" }, "No devices enrolled yet."));
  }

  // The denied-access feed: the audit log's refusals, polled (the audit log is the record of every decision).
  let after = 0;
  async function poll() {
    if (!["admin", "security-officer"].includes(me.role)) return fill(denied, h("li", { class: "muted" }, "Your role cannot read the audit log."));
    for (let page = 0; page < 20; page++) {
      const reply = await api("GET", `/audit?after=${after}&limit=1000`);
      for (const entry of reply.entries) {
        after = Math.max(after, entry.sequence);
        if (entry.outcome !== "deny" && entry.outcome !== "failure") continue;
        denied.prepend(h("li", {}, h("span", { class: "muted" }, time(fromNanoseconds(entry.time))), " ", badge(entry.outcome, "bad"), " ",
          h("strong", {}, entry.actor), ` ${entry.action} ${entry.target}: ${entry.detail}`));
      }
      if (reply.entries.length < 1000) break;
    }
    while (denied.children.length > 200) denied.lastChild.remove();
    if (!denied.children.length) fill(denied, h("li", { class: "muted", id: "denied-empty" }, "No denied access so far."));
    else denied.querySelector("#denied-empty")?.remove();
  }

  await Promise.all([refresh(), poll()]);
  const [soon, cancelSoon] = coalesced(() => refresh().catch(() => {}), 700);
  const close = stream("/events/stream?kinds=trust,presence", { "trust.tier": soon, "trust.posture": soon, presence: soon },
    showLive);
  const timer = setInterval(() => poll().catch(() => {}), 2000);
  return () => { close(); clearInterval(timer); cancelSoon(); };
}
