// The dashboard's shell: the token (asked once, kept in sessionStorage for
// the tab's life), the role (GET /api/v1/whoami), the first load of every
// panel, then live changes over GET /api/v1/changes/stream (sse.js). A hub
// without the stream is polled instead. Every request carries the bearer
// token; a 401 anywhere sends the operator back to the form.
"use strict";

(function () {
  const D = window.Dash;
  const TOKEN_KEY = "wms-hub-token";
  const OPEN_STATES = ["received", "validated", "held", "paid", "routed", "picking", "picked", "packed", "labelled"];
  const model = {
    role: null, fleet: new Map(), orders: new Map(), alerts: new Map(), deadLetters: new Map(),
    reconciliations: [], batches: new Map(), tasks: new Map(), report: null, batchesNote: null,
    samples: { movements: [], backlog: [] }, fleetSource: "/api/v1/fleet",
  };
  let stream = null;
  const timers = [];
  const dirty = new Set();

  class Unauthorized extends Error {}

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  async function api(path, options) {
    const opts = Object.assign({ cache: "no-store" }, options || {});
    opts.headers = Object.assign({ Authorization: "Bearer " + token(), Accept: "application/json" }, opts.headers || {});
    const response = await fetch(path, opts);
    if (response.status === 401) throw new Unauthorized(path);
    return response;
  }

  async function json(path) {
    const response = await api(path);
    if (!response.ok) {
      const error = new Error(path + " answered " + response.status);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  function status(text) {
    document.getElementById("status").textContent = text;
  }

  function setLive(mode) {
    const live = document.getElementById("live");
    live.dataset.live = mode;
    live.textContent = { on: "live", poll: "polling", off: "reconnecting" }[mode];
    live.className = "badge live-" + mode;
  }

  // Redraws changed panels once per frame, however many events arrived.
  function touch(...panels) {
    const first = dirty.size === 0;
    panels.forEach((p) => dirty.add(p));
    if (first) requestAnimationFrame(draw);
  }

  function draw() {
    const now = Date.now();
    const p = D.panels;
    const jobs = {
      fleet: () => { p.fleet(model, now); p.fleetCharts(model, now); },
      alerts: () => { p.alerts(model, acknowledge); p.orders(model, now); },
      orders: () => p.orders(model, now),
      tasks: () => p.tasks(model),
      batches: () => p.labelBatches(model, reprint),
      deadLetters: () => p.deadLetters(model),
      reconciliations: () => p.reconciliations(model),
    };
    for (const panel of dirty) jobs[panel]();
    dirty.clear();
  }

  function upsert(map, key, patch) {
    map.set(key, Object.assign({}, map.get(key) || {}, patch));
  }

  function sampleBacklog() {
    let sum = 0;
    for (const d of model.fleet.values()) sum += Number(d.backlog) || 0;
    const samples = model.samples.backlog;
    samples.push([Date.now(), sum]);
    if (samples.length > 2000) samples.splice(0, samples.length - 2000);
  }

  // /api/v1/fleet when the hub has it, else /api/v1/devices (whose
  // movements total also feeds the movements-per-minute chart).
  async function loadFleet() {
    if (model.fleetSource === "/api/v1/fleet") {
      try {
        const body = await json("/api/v1/fleet");
        body.items.forEach((d) => upsert(model.fleet, d.device, d));
      } catch (error) {
        if (error.status !== 404) throw error;
        model.fleetSource = "/api/v1/devices";
      }
    }
    const devices = await json("/api/v1/devices");
    let movements = 0;
    for (const d of devices.items) {
      movements += Number(d.movements_applied) || 0;
      if (model.fleetSource === "/api/v1/devices") {
        upsert(model.fleet, d.device, {
          device: d.device, state: d.state, last_seen_ms: d.last_seen_ms, backlog: d.reported_backlog,
        });
      }
    }
    model.samples.movements.push([Date.now(), movements]);
    if (model.samples.movements.length > 500) model.samples.movements.shift();
    sampleBacklog();
    touch("fleet");
  }

  async function pagedOrders(query) {
    let after = 0;
    for (let page = 0; page < 20; page++) {
      const body = await json("/api/v1/orders?limit=1000&after=" + after + query);
      body.items.forEach(keepOrder);
      if (body.items.length < 1000) return;
      after = body.items[body.items.length - 1].id;
    }
  }

  // Only what the panels show: never the (masked) customer.
  function keepOrder(o) {
    upsert(model.orders, o.id, {
      id: o.id, platform: o.platform, platform_order_id: o.platform_order_id, service: o.service,
      state: o.state, created_ms: o.created_ms, updated_ms: o.updated_ms,
      history: (o.history || []).map((h) => ({ state: h.state, at_ms: h.at_ms })),
    });
  }

  let ordersSince = 0;
  async function loadOrders(incremental) {
    const started = Date.now();
    if (incremental) {
      await pagedOrders("&since=" + Math.max(0, ordersSince - 5000));
    } else {
      const yesterday = new Date().setHours(0, 0, 0, 0) - 24 * 3600 * 1000;
      await pagedOrders("&since=" + yesterday);
      for (const state of OPEN_STATES) await pagedOrders("&state=" + state);
    }
    ordersSince = started;
    touch("orders");
  }

  async function loadAlerts() {
    const body = await json("/api/v1/alerts?limit=1000");
    body.items.forEach((a) => upsert(model.alerts, a.id, a));
    touch("alerts");
  }

  async function loadSlow() {
    const [report, dead, recs, tasks] = await Promise.all([
      json("/api/v1/reports/timeliness").catch(() => null),
      json("/api/v1/dead-letters?limit=100"),
      json("/api/v1/reconciliations?limit=20").catch(() => ({ items: [] })),
      json("/api/v1/tasks?state=open&limit=1000"),
    ]);
    model.report = report ? report.total : null;
    dead.items.forEach((d) => upsert(model.deadLetters, d.id, { id: d.id, topic: d.topic, reason: d.reason, received_ms: d.received_ms }));
    model.reconciliations = recs.items;
    model.tasks = new Map(tasks.items.map((t) => [t.id, t]));
    await loadBatches();
    touch("orders", "deadLetters", "reconciliations", "tasks", "batches");
  }

  // There may be no list route for batches: then the ones named by
  // label_batch events are shown.
  async function loadBatches() {
    try {
      const body = await json("/api/v1/label-batches?limit=30");
      body.items.forEach((b) => upsert(model.batches, b.id, b));
    } catch (error) {
      if (error instanceof Unauthorized) throw error;
      model.batchesNote = "batches appear here as they change";
      for (const id of [...model.batches.keys()].slice(-30)) await loadBatch(id);
    }
  }

  async function loadBatch(id) {
    const b = await json("/api/v1/label-batches/" + encodeURIComponent(id));
    upsert(model.batches, b.id, b);
    touch("batches");
  }

  function onEvent(event) {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    const now = Date.now();
    switch (event.event) {
      case "device":
        upsert(model.fleet, data.device, data);
        sampleBacklog();
        return touch("fleet");
      case "order":
        upsert(model.orders, data.id, Object.assign({ created_ms: (model.orders.get(data.id) || {}).created_ms || data.updated_ms }, data));
        return touch("orders");
      case "alert":
        upsert(model.alerts, data.id, data);
        return touch("alerts");
      case "dead_letter":
        upsert(model.deadLetters, data.id, Object.assign({ received_ms: now }, data));
        return touch("deadLetters");
      case "label_batch":
        upsert(model.batches, data.id, data);
        loadBatch(data.id).catch(failed);
        return touch("batches");
      case "label_job": // a job changed: its batch's progress did too
        if (data.batch !== undefined) reloadBatch(data.batch);
        return undefined;
      case "task":
        upsert(model.tasks, data.id, data);
        reloadTasks();
        return undefined;
      default:
        return undefined; // stock, and names this page does not know
    }
  }

  // A 1000-label batch sends 1000 job events: its batch is read once per
  // half second, not once per event.
  const batchesPending = new Set();
  function reloadBatch(id) {
    if (batchesPending.has(id)) return;
    batchesPending.add(id);
    setTimeout(() => {
      batchesPending.delete(id);
      loadBatch(id).catch(failed);
    }, 500);
  }

  let tasksPending = false;
  function reloadTasks() {
    if (tasksPending) return;
    tasksPending = true;
    setTimeout(() => {
      tasksPending = false;
      json("/api/v1/tasks?state=open&limit=1000").then((body) => {
        model.tasks = new Map(body.items.map((t) => [t.id, t]));
        touch("tasks");
      }).catch(failed);
    }, 500);
  }

  function every(ms, job) {
    timers.push(setInterval(() => job().catch(failed), ms));
  }

  function startPolling() {
    setLive("poll");
    every(2000, loadFleet);
    every(2000, () => loadOrders(true));
    every(5000, loadAlerts);
  }

  // The feed id the stream should continue after: the last event before
  // the panels' first load (events during the load replay onto it, which
  // changes nothing), not the whole feed from its start. null: no feed.
  async function feedPosition() {
    try {
      const body = await json("/api/v1/changes?limit=1");
      return body.next_id > 0 ? String(body.next_id - 1) : null;
    } catch (error) {
      if (error instanceof Unauthorized) throw error;
      return null;
    }
  }

  function startLive(startId) {
    stream = D.followStream("/api/v1/changes/stream", token(), {
      onOpen: () => { setLive("on"); status("live since " + new Date().toLocaleTimeString()); },
      onEvent,
      onError: (message) => { setLive("off"); status("stream: " + message + "; reconnecting"); },
      onUnavailable: startPolling,
      onUnauthorized: () => logout("the token was refused"),
    }, startId);
    // Charts of sampled totals, and panels with no events, refresh slowly.
    every(15000, loadFleet);
    every(60000, loadSlow);
    timers.push(setInterval(() => touch("fleet", "orders"), 5000));
  }

  async function acknowledge(id) {
    const response = await api("/api/v1/alerts/" + encodeURIComponent(id) + "/ack", { method: "POST" }).catch(failed);
    if (response && response.ok) {
      const body = await response.json().catch(() => null);
      if (body && body.id !== undefined) upsert(model.alerts, body.id, body);
      else await loadAlerts();
      touch("alerts");
    } else if (response) {
      status("acknowledge #" + id + " answered " + response.status);
    }
  }

  async function reprint(jobId) {
    const response = await api("/api/v1/label-jobs/" + encodeURIComponent(jobId) + "/reprint", { method: "POST" }).catch(failed);
    if (response) status(response.ok ? "job #" + jobId + " sent again" : "reprint #" + jobId + " answered " + response.status);
    if (response && response.ok) await loadBatches().catch(failed);
  }

  function failed(error) {
    if (error instanceof Unauthorized) return logout("the token was refused");
    status(String(error && error.message ? error.message : error));
    return undefined;
  }

  function stop() {
    if (stream) stream.stop();
    stream = null;
    while (timers.length) clearInterval(timers.pop());
  }

  function logout(reason) {
    stop();
    sessionStorage.removeItem(TOKEN_KEY);
    document.getElementById("board").hidden = true;
    document.getElementById("logout").hidden = true;
    document.getElementById("login").hidden = false;
    document.getElementById("login-error").textContent = reason || "";
    document.getElementById("role").textContent = "";
  }

  async function open() {
    const who = await json("/api/v1/whoami");
    model.role = who.role;
    document.body.dataset.role = who.role;
    document.getElementById("role").textContent = who.role;
    document.getElementById("login").hidden = true;
    document.getElementById("board").hidden = false;
    document.getElementById("logout").hidden = false;
    const startId = await feedPosition();
    await Promise.all([loadFleet(), loadOrders(false), loadAlerts(), loadSlow()]);
    status("loaded " + new Date().toLocaleTimeString());
    startLive(startId);
  }

  function start() {
    document.getElementById("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
      document.getElementById("token").value = "";
      open().catch(failed);
    });
    document.getElementById("logout").addEventListener("click", () => logout(""));
    if (token()) open().catch(failed);
    else logout("");
  }

  start();
})();
