//! The status page: one self-contained HTML document (inline CSS and script, nothing fetched
//! from elsewhere) that polls `/api/status` and draws it. Every value goes into the page as
//! text, never as markup, because device names and request texts come from people.

/// The page served at `GET /`.
pub(crate) const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MIRAI</title>
<style>
  body { font: 16px/1.4 system-ui, sans-serif; margin: 0; padding: 1rem; background: #f6f6f4; color: #222; }
  h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
  h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
  .card { background: #fff; border-radius: 8px; padding: .6rem .8rem; margin-bottom: .6rem; box-shadow: 0 1px 2px #0002; }
  table { width: 100%; border-collapse: collapse; }
  td { padding: .25rem .3rem; border-bottom: 1px solid #eee; vertical-align: top; word-break: break-word; }
  td:last-child { text-align: right; }
  .ok { color: #17803d; } .bad { color: #b3261e; } .muted { color: #777; font-size: .9rem; }
  input { font: inherit; width: 100%; box-sizing: border-box; padding: .3rem; }
  @media (prefers-color-scheme: dark) {
    body { background: #121212; color: #ddd; } .card { background: #1e1e1e; } td { border-color: #333; }
  }
</style>
</head>
<body>
<h1 id="title">MIRAI</h1>
<div class="muted" id="meta">loading /api/status…</div>
<h2>Hub</h2><div class="card"><table id="hub"></table></div>
<h2>Services</h2><div class="card"><table id="services"></table></div>
<h2>Devices</h2><div class="card"><table id="devices"></table></div>
<h2>Recent requests</h2><div class="card"><table id="recent"></table></div>
<h2>Access</h2>
<div class="card">
  <label class="muted" for="token">Token (kept in this browser) to see request texts</label>
  <input id="token" type="password" autocomplete="off">
</div>
<script>
"use strict";
const POLL_MS = 5000, MAX_TEXT = 60;
const tokenInput = document.getElementById("token");
tokenInput.value = localStorage.getItem("mirai_token") || "";
tokenInput.addEventListener("change", () => { localStorage.setItem("mirai_token", tokenInput.value.trim()); refresh(); });

function cut(s) { s = String(s == null ? "" : s); return s.length > MAX_TEXT ? s.slice(0, MAX_TEXT - 1) + "…" : s; }
function yesNo(b) { return b === true ? ["yes", "ok"] : b === false ? ["no", "bad"] : ["?", "muted"]; }
function area(id) {
  if (!id) return "";
  const words = String(id).replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
function uptime(secs) {
  if (typeof secs !== "number") return "?";
  const d = Math.floor(secs / 86400), h = Math.floor(secs % 86400 / 3600), m = Math.floor(secs % 3600 / 60);
  return (d ? d + "d " : "") + h + "h " + m + "m";
}
function fill(id, rows) {
  const table = document.getElementById(id);
  table.replaceChildren();
  if (!rows.length) rows = [[["none", "muted"]]];
  for (const row of rows) {
    const tr = table.insertRow();
    for (const cell of row) {
      const td = tr.insertCell();
      const [text, cls] = Array.isArray(cell) ? cell : [cell, ""];
      td.textContent = text;
      if (cls) td.className = cls;
    }
  }
}
function draw(s) {
  document.getElementById("title").textContent = (s.name || "MIRAI") + (s.version ? " " + s.version : "");
  document.getElementById("meta").textContent = "up " + uptime(s.uptime_secs) + " · updated " + new Date().toLocaleTimeString() + " · " + (s.access || "");
  const model = s.model || {}, mqtt = s.mqtt || {}, today = s.today || {};
  fill("hub", [
    ["Model reachable", yesNo(model.reachable)],
    ["Breaker", model.breaker || "?"],
    ["MQTT connected", yesNo(mqtt.connected)],
    ["Tokens today", String(today.tokens == null ? "?" : today.tokens)],
    ["Cost today", today.cost_usd == null ? "?" : "$" + Number(today.cost_usd).toFixed(4)],
  ]);
  fill("services", (s.services || []).map(v => [cut(v.name), [cut(v.state), v.state === "up" || v.state === "running" ? "ok" : ""]]));
  fill("devices", (s.devices || []).map(d => [cut(d.name || d.id), cut(area(d.area)), cut(d.state)]));
  fill("recent", (s.recent_requests || []).map(r => [cut(r.at || ""), cut(r.text != null ? r.text : (r.source || "")), cut(r.via || "")]));
}
async function refresh() {
  const token = (localStorage.getItem("mirai_token") || "").trim();
  try {
    const res = await fetch("/api/status", { headers: token ? { "Authorization": "Bearer " + token } : {} });
    if (!res.ok) throw new Error("HTTP " + res.status);
    draw(await res.json());
  } catch (e) {
    document.getElementById("meta").textContent = "cannot reach the hub: " + e.message;
  }
}
refresh();
setInterval(refresh, POLL_MS);
</script>
</body>
</html>
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_fetches_nothing_from_elsewhere() {
        assert!(PAGE.contains("/api/status"));
        assert!(!PAGE.contains("http://") && !PAGE.contains("https://"));
        assert!(!PAGE.contains("innerHTML"));
    }
}
