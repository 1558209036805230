// Drawing each panel from the page's model (app.js owns the model and
// the network). Text goes in with textContent only, never as HTML, and no
// customer field (name, phone, address) is ever read here: orders show
// their ids, platform, service and state.
"use strict";

(function (root) {
  const OPEN_ORDER_STATES = ["received", "validated", "held", "paid", "routed", "picking", "picked", "packed", "labelled"];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("data-")) node.setAttribute(key, String(value));
      else if (key === "onclick") node.addEventListener("click", value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function fill(tbodyParent, rows, empty) {
    const body = document.querySelector(tbodyParent + " tbody") || document.querySelector(tbodyParent);
    const cols = document.querySelectorAll(tbodyParent + " thead th").length || 1;
    body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: cols, class: "muted" }, empty))]));
  }

  function clock(ms) {
    if (ms === null || ms === undefined) return "-";
    const d = new Date(ms);
    const today = new Date();
    const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    return d.toDateString() === today.toDateString() ? time : d.toLocaleDateString() + " " + time;
  }

  function ago(ms, now) {
    if (ms === null || ms === undefined) return "never";
    const s = Math.max(0, Math.round((now - ms) / 1000));
    if (s < 90) return s + " s ago";
    if (s < 5400) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  }

  function percent(share) {
    return share === null || share === undefined ? "-" : (share * 100).toFixed(1) + " %";
  }

  function badge(text, cls) {
    return el("span", { class: "badge " + cls }, text);
  }

  function fleet(model, now) {
    const devices = [...model.fleet.values()].sort((a, b) => a.device.localeCompare(b.device));
    const rows = devices.map((d) =>
      el("tr", { "data-device": d.device, "data-state": d.state },
        el("td", {}, d.device, d.kind && d.kind !== "handheld" ? el("span", { class: "muted" }, " " + d.kind) : null),
        el("td", {}, badge(d.state, "state-" + d.state), d.state_since_ms ? el("span", { class: "muted" }, " " + ago(d.state_since_ms, now)) : null),
        el("td", {}, d.battery_pct === null || d.battery_pct === undefined ? "-" : d.battery_pct + " %"),
        el("td", {}, d.backlog === null || d.backlog === undefined ? "-" : d.backlog),
        el("td", {}, ago(d.last_seen_ms, now))));
    fill("#fleet", rows, "no device has reported yet");
    const online = devices.filter((d) => d.state === "online").length;
    document.getElementById("fleet-count").textContent = online + " / " + devices.length + " online";
  }

  function alertItem(a, model, onAck) {
    const state = a.state || "open";
    const canAck = model.role === "operator" && a.state === "open";
    return el("li", { class: state, "data-alert-id": a.id, "data-state": state, "data-kind": a.kind },
      a.severity ? badge(a.severity, "sev-" + a.severity) : null,
      el("span", { class: "badge" }, a.kind),
      el("span", { class: "msg" }, a.message),
      el("span", { class: "muted" }, clock(a.raised_ms)),
      a.acked_by ? el("span", { class: "muted" }, "ack " + a.acked_by + " " + clock(a.acked_ms)) : null,
      canAck ? el("button", { type: "button", class: "ack", onclick: () => onAck(a.id) }, "Acknowledge") : null);
  }

  function alerts(model, onAck) {
    const list = [...model.alerts.values()]
      .filter((a) => a.state !== "cleared")
      .sort((a, b) => b.raised_ms - a.raised_ms)
      .slice(0, 100);
    const body = document.getElementById("alerts");
    body.replaceChildren(...list.map((a) => alertItem(a, model, onAck)));
    if (!list.length) body.append(el("li", { class: "muted" }, "no open alerts"));
    document.getElementById("alerts-count").textContent = String(list.filter((a) => (a.state || "open") === "open").length);
    const stock = list.filter((a) => a.kind === "below_safety");
    fill("#stock-alerts", stock.map((a) =>
      el("tr", { "data-alert-id": a.id },
        el("td", {}, a.sku), el("td", {}, a.location || "-"), el("td", {}, clock(a.raised_ms)),
        el("td", { class: "msg" }, a.message))), "every SKU above its safety stock");
  }

  function kpi(label, value, id) {
    return el("div", { class: "kpi", id }, el("b", {}, value), el("span", {}, label));
  }

  function orders(model, now) {
    const all = [...model.orders.values()];
    const midnight = new Date(now).setHours(0, 0, 0, 0);
    const today = all.filter((o) => o.created_ms >= midnight);
    const pending = all.filter((o) => OPEN_ORDER_STATES.includes(o.state)).length;
    const exceptionsToday = today.filter((o) => o.state === "exception").length;
    const stuck = [...model.alerts.values()].filter((a) => a.kind === "stuck_order" && a.state !== "cleared").length;
    const histogram = root.Dash.charts.processingHistogram(all);
    const week = model.report;
    document.getElementById("order-kpis").replaceChildren(
      kpi("orders today", today.length, "kpi-today"),
      kpi("pending", pending, "kpi-pending"),
      kpi("exceptions today", today.length ? percent(exceptionsToday / today.length) : "-", "kpi-exceptions"),
      kpi("stuck orders", stuck, "kpi-stuck"),
      kpi("mean received to shipped", histogram.meanMs === null ? "-" : (histogram.meanMs / 3600000).toFixed(1) + " h", "kpi-processing"),
      kpi("inside SLA (this week)", week ? percent(week.sla_share) : "-", "kpi-sla"),
      kpi("exception share (this week)", week ? percent(week.exception_share) : "-", "kpi-week-exceptions"));
    const recent = all.sort((a, b) => b.updated_ms - a.updated_ms).slice(0, 50);
    fill("#orders", recent.map((o) =>
      el("tr", { "data-order-id": o.id, "data-platform-order-id": o.platform_order_id, "data-state": o.state },
        el("td", {}, "#" + o.id + " ", el("span", { class: "muted" }, o.platform_order_id)),
        el("td", {}, o.platform), el("td", {}, o.service),
        el("td", {}, badge(o.state, o.state === "exception" ? "sev-critical" : "")),
        el("td", {}, ago(o.updated_ms, now)))), "no orders yet");
    const perHour = root.Dash.charts.ordersPerHour(all, now);
    root.Dash.charts.bars(document.getElementById("chart-orders"), perHour.labels, perHour.values);
    root.Dash.charts.bars(document.getElementById("chart-processing"), histogram.labels, histogram.values);
  }

  function fleetCharts(model, now) {
    const minute = root.Dash.charts.MINUTE;
    const scans = root.Dash.charts.perMinute(model.samples.movements, now, 30);
    root.Dash.charts.bars(document.getElementById("chart-scans"), scans.labels, scans.values);
    const from = now - 30 * minute;
    const points = model.samples.backlog.filter((p) => p[0] >= from);
    root.Dash.charts.line(document.getElementById("chart-backlog"), points, from, now);
  }

  function tasks(model) {
    const byDevice = new Map();
    for (const t of model.tasks.values()) {
      if (t.closed_ms !== null && t.closed_ms !== undefined) continue;
      const key = t.device || "(unassigned)";
      const row = byDevice.get(key) || { tasks: 0, done: 0, open: 0 };
      row.tasks += 1;
      for (const line of t.lines || []) {
        if (line.state === "open") row.open += 1;
        else row.done += 1;
      }
      byDevice.set(key, row);
    }
    const rows = [...byDevice.entries()].sort().map(([device, r]) =>
      el("tr", { "data-device": device }, el("td", {}, device), el("td", {}, r.tasks), el("td", {}, r.done), el("td", {}, r.open)));
    fill("#tasks", rows, "no open tasks");
  }

  function labelBatches(model, onReprint) {
    const batches = [...model.batches.values()].sort((a, b) => b.id - a.id).slice(0, 30);
    const items = batches.map((b) => {
      const p = b.progress || {};
      const stuck = (b.jobs || []).filter((j) => j.state === "failed" || j.state === "unsure");
      const reprints = model.role === "operator"
        ? stuck.map((j) => el("button", { type: "button", class: "reprint", "data-job-id": j.id, onclick: () => onReprint(j.id) }, "Reprint #" + j.id))
        : [];
      return el("li", { "data-batch-id": b.id },
        el("span", { class: "badge" }, "#" + b.id),
        el("span", { class: "msg" }, (b.group || "") + " " + (p.printed || 0) + "/" + (p.labels || 0) + " printed" +
          (p.failed ? ", " + p.failed + " failed" : "") + (p.unsure ? ", " + p.unsure + " unsure" : "")),
        el("span", { class: "muted" }, clock(b.created_ms)), ...reprints);
    });
    const list = document.getElementById("label-batches");
    list.replaceChildren(...items);
    if (!items.length) list.append(el("li", { class: "muted" }, model.batchesNote || "no label batches seen"));
  }

  function deadLetters(model) {
    const list = [...model.deadLetters.values()].sort((a, b) => b.id - a.id).slice(0, 50);
    fill("#dead-letters", list.map((d) =>
      el("tr", { "data-dead-letter-id": d.id }, el("td", {}, d.id), el("td", {}, d.topic),
        el("td", { class: "msg" }, d.reason), el("td", {}, clock(d.received_ms)))), "none");
  }

  function reconciliations(model) {
    fill("#reconciliations", model.reconciliations.slice(0, 20).map((r) =>
      el("tr", { "data-reconciliation-id": r.id }, el("td", {}, r.id), el("td", {}, r.trigger),
        el("td", {}, clock(r.created_ms)),
        el("td", {}, badge(r.pool_matches_log ? "yes" : "NO", r.pool_matches_log ? "state-online" : "state-offline")),
        el("td", {}, r.flagged_for_audit))), "none run yet");
  }

  root.Dash = Object.assign(root.Dash || {}, {
    panels: { fleet, fleetCharts, alerts, orders, tasks, labelBatches, deadLetters, reconciliations },
  });
})(window);
