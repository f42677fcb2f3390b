// Renders /api/openapi.json as a readable page: operations grouped by tag, each with its
// parameters, responses and an example curl line. Every text goes in with textContent (the
// document is data, never markup); the page runs under `script-src 'self'; style-src 'self'`.

const SPEC_URL = "/api/openapi.json";
const METHODS = ["get", "head", "post", "put", "patch", "delete", "options", "trace"];

/** Creates an element with a class and text (both optional) and appends children. */
function el(tag, opts = {}, ...children) {
  const e = document.createElement(tag);
  if (opts.className) e.className = opts.className;
  if (opts.text !== undefined && opts.text !== null) e.textContent = String(opts.text);
  if (opts.id) e.id = opts.id;
  if (opts.href) e.setAttribute("href", opts.href);
  if (opts.attrs) for (const [k, v] of Object.entries(opts.attrs)) e.setAttribute(k, v);
  for (const c of children) if (c) e.append(c);
  return e;
}

/**
 * Appends `text` to `parent` with the little Markdown the document uses: `code`, **bold**,
 * paragraphs separated by blank lines. Only text nodes and <code>/<strong>/<p> elements are made.
 */
function richText(parent, text, block = true) {
  if (!text) return parent;
  const paragraphs = block ? String(text).split(/\n{2,}/) : [String(text)];
  for (const para of paragraphs) {
    const target = block ? el("p") : parent;
    const re = /(`[^`]+`|\*\*[^*]+\*\*)/g;
    let last = 0;
    let m;
    while ((m = re.exec(para)) !== null) {
      if (m.index > last) target.append(document.createTextNode(para.slice(last, m.index)));
      const tok = m[0];
      if (tok.startsWith("`")) target.append(el("code", { text: tok.slice(1, -1) }));
      else target.append(el("strong", { text: tok.slice(2, -2) }));
      last = m.index + tok.length;
    }
    if (last < para.length) target.append(document.createTextNode(para.slice(last)));
    if (block) parent.append(target);
  }
  return parent;
}

/** Follows a local `$ref` (`#/components/…`), once or repeatedly. */
function resolve(spec, obj) {
  let o = obj;
  for (let i = 0; o && o.$ref && i < 10; i++) {
    if (!o.$ref.startsWith("#/")) return o;
    o = o.$ref
      .slice(2)
      .split("/")
      .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce((acc, key) => (acc ? acc[key] : undefined), spec);
  }
  return o || {};
}

function refName(obj) {
  return obj && obj.$ref ? obj.$ref.split("/").pop() : null;
}

/** A one-line description of a schema: type, allowed values, range, pattern. */
function describeSchema(spec, schema, depth = 0) {
  if (!schema) return "";
  const name = refName(schema);
  if (name && depth > 0) return name;
  const s = resolve(spec, schema);
  if (name && !s.enum && !s.const && s.type === "object") return name;
  const parts = [];
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf || s.oneOf) {
    return (s.anyOf || s.oneOf).map((x) => describeSchema(spec, x, depth + 1)).join(" or ");
  }
  const type = Array.isArray(s.type) ? s.type.join(" | ") : s.type;
  if (type === "array") {
    parts.push(`array of ${describeSchema(spec, s.items, depth + 1) || "values"}`);
    if (s.minItems !== undefined && s.minItems === s.maxItems) parts.push(`exactly ${s.minItems}`);
    else if (s.maxItems !== undefined) parts.push(`at most ${s.maxItems}`);
  } else if (s.enum) {
    parts.push(`one of ${s.enum.join(", ")}`);
  } else if (type) {
    parts.push(s.format ? `${type} (${s.format})` : type);
  }
  const lo = s.minimum ?? s.exclusiveMinimum;
  const hi = s.maximum ?? s.exclusiveMaximum;
  if (lo !== undefined && hi !== undefined) parts.push(`${lo}–${hi}`);
  else if (lo !== undefined) parts.push(`≥ ${lo}`);
  else if (hi !== undefined) parts.push(`≤ ${hi}`);
  // Long patterns (datetime) say less than the description does.
  if (s.pattern && depth === 0 && s.pattern.length <= 60) parts.push(`pattern ${s.pattern}`);
  return parts.join(", ");
}

function schemaDefault(spec, schema) {
  const s = resolve(spec, schema || {});
  if (s.default === undefined) return "";
  return Array.isArray(s.default) ? s.default.join(",") : String(s.default);
}

/** Who may call an operation, from its `security`. */
function access(spec, op) {
  const sec = op.security ?? spec.security ?? [];
  if (sec.length === 0) return { text: "no token", cls: "access-open" };
  const optional = sec.some((r) => Object.keys(r).length === 0);
  return optional
    ? { text: "token optional", cls: "access-optional" }
    : { text: "token required", cls: "access-required" };
}

/** An example value for a parameter: its example, its default, or a placeholder. */
function exampleValue(spec, p) {
  const s = resolve(spec, p.schema || {});
  const v = p.example ?? s.example ?? (s.examples ? s.examples[0] : undefined);
  if (v !== undefined) return Array.isArray(v) ? v.join(",") : String(v);
  return null;
}

function curlLine(spec, path, method, op, params) {
  let url = path;
  const query = [];
  for (const p of params) {
    const v = exampleValue(spec, p);
    if (p.in === "path") {
      url = url.replace(`{${p.name}}`, v !== null ? encodeURIComponent(v) : `{${p.name}}`);
    } else if (p.in === "query" && (p.required || v !== null)) {
      query.push(`${encodeURIComponent(p.name)}=${v !== null ? encodeURIComponent(v).replace(/%2C/g, ",") : "…"}`);
    }
  }
  const origin = window.location.origin;
  const full = origin + url + (query.length ? `?${query.join("&")}` : "");
  const parts = ["curl -s"];
  if (method !== "get") parts.push(`-X ${method.toUpperCase()}`);
  if (access(spec, op).cls === "access-required") parts.push("-H 'Authorization: Bearer hs_…'");
  if (op.requestBody) parts.push("-H 'Content-Type: application/geo+json' --data-binary @file.geojson");
  parts.push(`'${full}'`);
  return parts.join(" ");
}

function defaultCell(spec, p) {
  const d = schemaDefault(spec, p.schema);
  return d === "" ? el("td") : el("td", {}, el("code", { text: d }));
}

function parametersTable(spec, params) {
  const table = el("table", { className: "params" });
  const head = el("tr");
  for (const h of ["Parameter", "In", "Type and allowed values", "Default", "Description"]) head.append(el("th", { text: h, attrs: { scope: "col" } }));
  table.append(el("thead", {}, head));
  const body = el("tbody");
  for (const p of params) {
    const name = el("td", { className: "param-name" }, el("code", { text: p.name }));
    if (p.required) name.append(el("span", { className: "required", text: " required" }));
    const desc = el("td");
    richText(desc, p.description || "", false);
    const cells = [name, el("td", { text: p.in }), el("td", { className: "param-type", text: describeSchema(spec, p.schema) }), defaultCell(spec, p), desc];
    // Labels for the stacked layout on narrow screens (api.css shows them with ::before).
    ["Parameter", "In", "Type", "Default", "Description"].forEach((label, i) => cells[i].setAttribute("data-label", label));
    body.append(el("tr", {}, ...cells));
  }
  table.append(body);
  return el("div", { className: "table-wrap" }, table);
}

function responsesList(spec, responses) {
  const dl = el("dl", { className: "responses" });
  for (const [status, raw] of Object.entries(responses || {})) {
    const r = resolve(spec, raw);
    const dt = el("dt", { className: `status status-${status[0]}xx`, text: status });
    const dd = el("dd");
    richText(dd, r.description || "", false);
    const media = Object.entries(r.content || {});
    if (media.length) {
      const ul = el("ul", { className: "media" });
      for (const [type, m] of media) {
        const li = el("li", {}, el("code", { text: type }));
        const d = describeSchema(spec, m.schema);
        if (d) li.append(document.createTextNode(` — ${d}`));
        ul.append(li);
      }
      dd.append(ul);
    }
    const headers = Object.keys(r.headers || {});
    if (headers.length) dd.append(el("p", { className: "headers", text: `Headers: ${headers.join(", ")}` }));
    dl.append(dt, dd);
  }
  return dl;
}

function operationId(path, method, op) {
  return `op-${op.operationId || `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

function renderOperation(spec, path, method, op, pathItem) {
  const params = [...(pathItem.parameters || []), ...(op.parameters || [])].map((p) => resolve(spec, p));
  const art = el("article", { className: "op", id: operationId(path, method, op) });
  const acc = access(spec, op);
  const title = el("h3", { className: "op-title" },
    el("span", { className: `method method-${method}`, text: method.toUpperCase() }),
    el("code", { className: "op-path", text: path }),
    el("span", { className: `access ${acc.cls}`, text: acc.text }));
  art.append(title);
  if (op.summary) art.append(el("p", { className: "op-summary", text: op.summary }));
  if (op.description) art.append(richText(el("div", { className: "op-desc" }), op.description));
  if (params.length) {
    art.append(el("h4", { text: "Parameters" }), parametersTable(spec, params));
  }
  if (op.requestBody) {
    const rb = resolve(spec, op.requestBody);
    art.append(el("h4", { text: "Request body" }),
      el("p", { text: Object.keys(rb.content || {}).join(", ") }));
  }
  art.append(el("h4", { text: "Responses" }), responsesList(spec, op.responses));
  art.append(el("h4", { text: "Example" }), el("pre", { className: "curl" }, el("code", { text: curlLine(spec, path, method, op, params) })));
  art.dataset.search = [path, method, op.summary || "", (op.tags || []).join(" ")].join(" ").toLowerCase();
  return art;
}

function render(spec) {
  const info = spec.info || {};
  document.title = `${info.title || "API"} ${info.version || ""} — HTTP API`;
  document.getElementById("doc-title").textContent = `${info.title || "API"} HTTP API ${info.version ? `(${info.version})` : ""}`;
  document.getElementById("doc-summary").textContent = info.summary || "";
  const intro = document.getElementById("doc-intro");
  richText(intro, info.description || "");
  intro.hidden = false;

  // Operations by tag, in the document's tag order, then any other tags.
  const byTag = new Map((spec.tags || []).map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      for (const tag of op.tags && op.tags.length ? op.tags : ["other"]) {
        if (!byTag.has(tag)) byTag.set(tag, []);
        byTag.get(tag).push({ path, method, op, item });
      }
    }
  }
  const tagInfo = new Map((spec.tags || []).map((t) => [t.name, t]));
  const container = document.getElementById("doc-tags");
  const toc = document.getElementById("doc-toc");
  for (const [tag, ops] of byTag) {
    if (!ops.length) continue;
    const section = el("section", { className: "tag", id: `tag-${tag}` });
    section.append(el("h2", { text: tag }));
    const t = tagInfo.get(tag);
    if (t && t.description) richText(section, t.description);
    const tocTag = el("li", { className: "toc-tag" }, el("a", { href: `#tag-${tag}`, text: tag }));
    const tocOps = el("ol");
    for (const { path, method, op, item } of ops) {
      const art = renderOperation(spec, path, method, op, item);
      section.append(art);
      const li = el("li", {}, el("a", { href: `#${art.id}` },
        el("span", { className: `method method-${method}`, text: method.toUpperCase() }),
        document.createTextNode(` ${path}`)));
      li.dataset.target = art.id;
      tocOps.append(li);
    }
    tocTag.append(tocOps);
    toc.append(tocTag);
    container.append(section);
  }

  const filter = document.getElementById("doc-filter");
  filter.addEventListener("input", () => {
    const q = filter.value.trim().toLowerCase();
    for (const art of container.querySelectorAll("article.op")) {
      art.hidden = q !== "" && !art.dataset.search.includes(q);
    }
    for (const li of toc.querySelectorAll("li[data-target]")) {
      const art = document.getElementById(li.dataset.target);
      li.hidden = art ? art.hidden : false;
    }
    for (const section of container.querySelectorAll("section.tag")) {
      section.hidden = [...section.querySelectorAll("article.op")].every((a) => a.hidden);
    }
  });
}

async function main() {
  const status = document.getElementById("doc-status");
  try {
    const res = await fetch(SPEC_URL, { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(`${SPEC_URL} answered ${res.status}`);
    const spec = await res.json();
    render(spec);
    status.textContent = "";
    status.hidden = true;
    if (window.location.hash) {
      const target = document.getElementById(window.location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  } catch (e) {
    status.textContent = `Could not load the API description: ${e.message}`;
    status.classList.add("doc-error");
  }
}

main();
