// Small charts drawn on <canvas>: bars (orders per hour, processing-time
// histogram, movements per minute) and a line (backlog over time). Colours
// come from the style sheet's custom properties, so the theme owns them.
// The series are computed here from what the API gives (pure functions,
// time passed in), kept simple on purpose.
"use strict";

(function (root) {
  const HOUR = 3600 * 1000;
  const MINUTE = 60 * 1000;

  function colour(name, fallback) {
    const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  // Sizes the canvas's backing store to its box and the screen's pixel
  // ratio; returns the 2D context in CSS pixels and the box.
  function prepare(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(120, canvas.clientWidth);
    const height = Math.max(80, canvas.clientHeight);
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = "11px system-ui, sans-serif";
    return { ctx, width, height };
  }

  function frame(ctx, width, height, max, pad) {
    ctx.strokeStyle = colour("--grid", "#334");
    ctx.fillStyle = colour("--muted", "#99a");
    ctx.beginPath();
    ctx.moveTo(pad.left, pad.top);
    ctx.lineTo(pad.left, height - pad.bottom);
    ctx.lineTo(width - pad.right, height - pad.bottom);
    ctx.stroke();
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    ctx.fillText(String(max), pad.left - 4, pad.top + 4);
    ctx.fillText("0", pad.left - 4, height - pad.bottom);
  }

  const PAD = { left: 34, right: 8, top: 10, bottom: 20 };

  // values: numbers; labels: one per value (every nth shown).
  function bars(canvas, labels, values) {
    const { ctx, width, height } = prepare(canvas);
    const max = Math.max(1, ...values);
    frame(ctx, width, height, max, PAD);
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const step = plotW / Math.max(1, values.length);
    const every = Math.max(1, Math.ceil(values.length / Math.max(1, Math.floor(plotW / 36))));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    values.forEach((v, i) => {
      const h = (v / max) * plotH;
      ctx.fillStyle = colour("--accent", "#4aa3ff");
      ctx.fillRect(PAD.left + i * step + 1, PAD.top + plotH - h, Math.max(1, step - 2), h);
      if (i % every === 0) {
        ctx.fillStyle = colour("--muted", "#99a");
        ctx.fillText(labels[i], PAD.left + i * step + step / 2, height - PAD.bottom + 4);
      }
    });
  }

  // points: [[t_ms, value]], oldest first; drawn over [from, to].
  function line(canvas, points, from, to) {
    const { ctx, width, height } = prepare(canvas);
    const max = Math.max(1, ...points.map((p) => p[1]));
    frame(ctx, width, height, max, PAD);
    const plotW = width - PAD.left - PAD.right;
    const plotH = height - PAD.top - PAD.bottom;
    const x = (t) => PAD.left + ((t - from) / Math.max(1, to - from)) * plotW;
    const y = (v) => PAD.top + plotH - (v / max) * plotH;
    ctx.strokeStyle = colour("--warn", "#f0b429");
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p[0]), y(p[1])) : ctx.lineTo(x(p[0]), y(p[1]))));
    if (points.length > 0) ctx.lineTo(x(to), y(points[points.length - 1][1]));
    ctx.stroke();
    ctx.fillStyle = colour("--muted", "#99a");
    ctx.textAlign = "left";
    ctx.textBaseline = "top";
    ctx.fillText(clock(from), PAD.left, height - PAD.bottom + 4);
    ctx.textAlign = "right";
    ctx.fillText(clock(to), width - PAD.right, height - PAD.bottom + 4);
  }

  function clock(ms) {
    const d = new Date(ms);
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  // Orders created in each of the last 24 whole hours up to now.
  function ordersPerHour(orders, now) {
    const end = Math.floor(now / HOUR) * HOUR + HOUR;
    const values = new Array(24).fill(0);
    const labels = [];
    for (let i = 0; i < 24; i++) labels.push(String(new Date(end - (24 - i) * HOUR).getHours()));
    for (const o of orders) {
      const slot = 24 - Math.ceil((end - o.created_ms) / HOUR);
      if (slot >= 0 && slot < 24) values[slot] += 1;
    }
    return { labels, values };
  }

  // When an order shipped (its history's shipped step), or null.
  function shippedAt(order) {
    const step = (order.history || []).find((h) => h.state === "shipped");
    return step ? step.at_ms : null;
  }

  const BUCKETS = [
    [1, "<1h"], [2, "1-2h"], [4, "2-4h"], [8, "4-8h"], [18, "8-18h"], [24, "18-24h"], [Infinity, ">24h"],
  ];

  // Received-to-shipped hours of shipped orders, bucketed; and the mean.
  function processingHistogram(orders) {
    const values = new Array(BUCKETS.length).fill(0);
    let total = 0;
    let count = 0;
    for (const o of orders) {
      const at = shippedAt(o);
      if (at === null) continue;
      const hours = (at - o.created_ms) / HOUR;
      values[BUCKETS.findIndex((b) => hours < b[0])] += 1;
      total += at - o.created_ms;
      count += 1;
    }
    return { labels: BUCKETS.map((b) => b[1]), values, meanMs: count ? total / count : null };
  }

  // Per-minute increases of a growing total sampled as [[t_ms, total]]
  // over the last `minutes` minutes.
  function perMinute(samples, now, minutes) {
    const end = Math.floor(now / MINUTE) * MINUTE + MINUTE;
    const values = new Array(minutes).fill(0);
    const labels = [];
    for (let i = 0; i < minutes; i++) labels.push(clock(end - (minutes - i) * MINUTE).slice(3));
    for (let i = 1; i < samples.length; i++) {
      const delta = Math.max(0, samples[i][1] - samples[i - 1][1]);
      const slot = minutes - Math.ceil((end - samples[i][0]) / MINUTE);
      if (slot >= 0 && slot < minutes) values[slot] += delta;
    }
    return { labels, values };
  }

  const api = { bars, line, ordersPerHour, processingHistogram, perMinute, shippedAt, HOUR, MINUTE };
  root.Dash = Object.assign(root.Dash || {}, { charts: api });
})(typeof window !== "undefined" ? window : globalThis);
