// The API reference page: reads the hub's own OpenAPI document and
// renders every operation (method, path, role, parameters, request body,
// answers) and every schema. Plain DOM code, nothing fetched but the
// document itself; text is always set with textContent, never parsed as
// HTML.
"use strict";

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};

const refName = (ref) => ref.split("/").pop();

function schemaText(schema) {
  if (!schema) return "";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.type === "array" && schema.items) return `array of ${schemaText(schema.items)}`;
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (Array.isArray(schema.type)) return schema.type.join(" | ");
  return schema.type || "object";
}

function schemaLink(schema) {
  const text = schemaText(schema);
  const ref = schema && (schema.$ref || (schema.items && schema.items.$ref));
  return ref ? el("a", { href: `#schema-${refName(ref)}` }, text) : el("code", {}, text);
}

function resolveParam(doc, p) {
  return p.$ref ? doc.components.parameters[refName(p.$ref)] : p;
}

function paramsTable(doc, params) {
  if (!params || params.length === 0) return null;
  const rows = params.map((raw) => {
    const p = resolveParam(doc, raw);
    return el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
      el("td", {}, p.required ? "required" : "optional"), el("td", {}, schemaLink(p.schema)),
      el("td", { class: "muted" }, p.description || ""));
  });
  return el("table", {}, el("tr", {}, el("th", {}, "parameter"), el("th", {}, "in"),
    el("th", {}, ""), el("th", {}, "type"), el("th", {}, "")), ...rows);
}

function bodyBlock(body) {
  if (!body || !body.content) return null;
  const [type, media] = Object.entries(body.content)[0];
  const block = el("div", {}, el("strong", {}, "Body "), el("code", {}, type), " ", schemaLink(media.schema));
  if (media.example !== undefined) {
    block.append(el("details", {}, el("summary", {}, "example"), el("pre", {}, JSON.stringify(media.example, null, 2))));
  }
  return block;
}

function answersTable(doc, responses) {
  const rows = Object.entries(responses || {}).map(([code, raw]) => {
    const r = raw.$ref ? doc.components.responses[refName(raw.$ref)] : raw;
    const media = r.content ? Object.values(r.content)[0] : null;
    return el("tr", {}, el("td", {}, el("code", {}, code)), el("td", {}, r.description || ""),
      el("td", {}, media ? schemaLink(media.schema) : ""));
  });
  return el("table", {}, el("tr", {}, el("th", {}, "answer"), el("th", {}, ""), el("th", {}, "")), ...rows);
}

function operation(doc, path, method, op) {
  const id = `op-${op.operationId || method + path}`;
  const card = el("article", { class: "op", id, "data-search": `${method} ${path} ${(op.tags || []).join(" ")} ${op.summary || ""}`.toLowerCase() },
    el("span", { class: "role" }, op["x-role"] ? `role: ${op["x-role"]}` : "open"),
    el("h3", {}, el("span", { class: `verb ${method}` }, method.toUpperCase()), path),
    el("p", {}, op.summary || ""));
  if (op.description) card.append(el("p", { class: "muted" }, op.description));
  for (const part of [paramsTable(doc, op.parameters), bodyBlock(op.requestBody), answersTable(doc, op.responses)]) {
    if (part) card.append(part);
  }
  return card;
}

function render(doc) {
  document.getElementById("title").textContent = doc.info.title;
  document.getElementById("intro").textContent = doc.info.description || "";
  const toc = document.getElementById("toc");
  const ops = document.getElementById("ops");
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== "object" || !op.responses) continue;
      const card = operation(doc, path, method, op);
      ops.append(card);
      toc.append(el("a", { href: `#${card.id}` }, `${method.toUpperCase()} ${path}`));
    }
  }
  const list = document.getElementById("schema-list");
  for (const [name, schema] of Object.entries(doc.components.schemas || {})) {
    list.append(el("details", { id: `schema-${name}` }, el("summary", {}, name),
      el("pre", {}, JSON.stringify(schema, null, 2))));
  }
}

document.getElementById("filter").addEventListener("input", (e) => {
  const q = e.target.value.trim().toLowerCase();
  for (const card of document.querySelectorAll(".op")) {
    card.hidden = q !== "" && !card.dataset.search.includes(q);
  }
});

fetch("/api/v1/openapi.json")
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`))))
  .then(render)
  .catch((err) => { document.getElementById("intro").textContent = `Could not load the document: ${err.message}`; });
