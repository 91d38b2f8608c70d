// The composeguard playground: everything runs in WebAssembly in this page.
import init, { harden, rules_json, version } from "./pkg/composeguard_wasm.js";
import { EXAMPLES } from "./examples.js";

const $ = (id) => document.getElementById(id);
const input = $("input");
const state = { rules: [], disabled: new Set(), result: null, tab: "output" };

// ---------------------------------------------------------------- module lifecycle
// A trap (a panic) leaves a wasm instance unusable: start a fresh one and report the error.
async function load() {
  await init({ module_or_path: new URL("./pkg/composeguard_wasm_bg.wasm", import.meta.url) });
}

async function run(source) {
  const options = readOptions();
  try {
    return JSON.parse(harden(source, options.unsafe, options.preset, options.target, "", [...state.disabled].join(","), options.secrets));
  } catch (e) {
    await load();
    return { ok: false, error: { message: `internal error (${e}); the module was restarted`, line: 0, column: 0 } };
  }
}

// ---------------------------------------------------------------- options and URL state
function readOptions() {
  return {
    preset: $("preset").value,
    target: $("target").value,
    unsafe: $("unsafe").checked,
    secrets: $("secrets").checked,
  };
}

function encode(text) {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decode(text) {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

function saveState() {
  const o = readOptions();
  const params = new URLSearchParams();
  params.set("preset", o.preset);
  params.set("target", o.target);
  if (o.unsafe) params.set("unsafe", "1");
  if (state.disabled.size) params.set("off", [...state.disabled].join(","));
  params.set("src", encode(input.value));
  history.replaceState(null, "", `#${params}`);
}

function restoreState() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("preset")) $("preset").value = params.get("preset");
  if (params.has("target")) $("target").value = params.get("target");
  $("unsafe").checked = params.get("unsafe") === "1";
  for (const code of (params.get("off") || "").split(",").filter(Boolean)) state.disabled.add(code);
  if (params.has("src")) {
    try {
      return decode(params.get("src"));
    } catch {
      /* a damaged link: fall back to the first example */
    }
  }
  return null;
}

// ---------------------------------------------------------------- editor
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// A small YAML highlighter: comments, keys, quoted strings, anchors/aliases/tags, numbers.
function highlightLine(line) {
  let out = "";
  let rest = line;
  const key = rest.match(/^(\s*(?:-\s+)?)((?:"[^"]*"|'[^']*'|[^\s#'"{}\[\],:][^#:]*?))(\s*:)(?=\s|$)/);
  if (key) {
    out += esc(key[1]) + `<span class="tk-key">${esc(key[2])}</span><span class="tk-pun">${esc(key[3])}</span>`;
    rest = rest.slice(key[0].length);
  }
  const token = /("(?:[^"\\]|\\.)*"?|'(?:[^']|'')*'?)|(\s#.*$|^#.*$)|([&*!][\w.\-\/!]+)|(\b-?\d+(?:\.\d+)?\b)/g;
  let last = 0;
  for (const m of rest.matchAll(token)) {
    out += esc(rest.slice(last, m.index));
    const cls = m[1] ? "tk-str" : m[2] ? "tk-com" : m[3] ? "tk-anc" : "tk-num";
    out += `<span class="${cls}">${esc(m[0])}</span>`;
    last = m.index + m[0].length;
  }
  return out + esc(rest.slice(last));
}

function renderEditor(flagged = new Set(), focus = 0) {
  const lines = input.value.split("\n");
  $("highlight").innerHTML = lines
    .map((l, i) => {
      const html = highlightLine(l) || " ";
      const n = i + 1;
      const cls = n === focus ? "line-flagged line-focus" : flagged.has(n) ? "line-flagged" : "";
      return cls ? `<span class="${cls}">${html}</span>` : html;
    })
    .join("\n");
  $("gutter").textContent = lines.map((_, i) => i + 1).join("\n");
  input.style.height = "auto";
  input.style.height = `${Math.max(input.scrollHeight, $("highlight").scrollHeight)}px`;
  input.style.width = `${Math.max(input.parentElement.clientWidth, $("highlight").scrollWidth)}px`;
}

function goToLine(line, column) {
  const lines = input.value.split("\n");
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
  offset += column;
  input.focus();
  input.setSelectionRange(offset, offset);
  const lineHeight = parseFloat(getComputedStyle(input).lineHeight) || 19;
  $("editor").scrollTop = Math.max(0, (line - 4) * lineHeight);
  renderEditor(flaggedLines(), line);
}

// ---------------------------------------------------------------- results
function flaggedLines() {
  return new Set((state.result?.diagnostics || []).map((d) => d.line));
}

function renderDiff(diff) {
  if (!diff) return `<span class="meta">No change: nothing to fix with these options.</span>`;
  return diff
    .split("\n")
    .map((l) => {
      const cls = l.startsWith("+++") || l.startsWith("---") ? "meta" : l.startsWith("@@") ? "hunk" : l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : "";
      return cls ? `<span class="${cls}">${esc(l)}</span>` : esc(l);
    })
    .join("\n");
}

function render(result) {
  state.result = result;
  const status = $("status");
  if (!result.ok) {
    const where = result.error.line ? `line ${result.error.line}, column ${result.error.column}: ` : "";
    status.textContent = `Cannot read the file: ${where}${result.error.message}`;
    status.className = "status error";
    $("findings").innerHTML = `<li class="empty">${esc(status.textContent)}</li>`;
    $("count").textContent = "";
    renderEditor(new Set(result.error.line ? [result.error.line] : []));
    return;
  }
  const fixable = result.diagnostics.filter((d) => d.fix && d.fix.applicability !== "display-only").length;
  status.textContent = `${result.diagnostics.length} findings, ${result.fixed} fixed, ${result.remaining.length} left`;
  status.className = "status";
  $("output").textContent = result.output;
  $("diff").innerHTML = renderDiff(result.diff);
  $("count").textContent = `(${result.diagnostics.length}, ${fixable} with a fix)`;
  const files = $("files");
  files.hidden = result.files.length === 0;
  files.innerHTML = result.files.length
    ? `Secret files to create next to the compose file (mode 0600, keep them out of version control): ` +
      result.files.map((f) => `<code>${esc(f.path)}</code>`).join(", ")
    : "";
  const list = $("findings");
  list.innerHTML = "";
  if (!result.diagnostics.length) list.innerHTML = `<li class="empty">No findings: this file is hardened for the selected rules.</li>`;
  for (const d of result.diagnostics) {
    const li = document.createElement("li");
    li.tabIndex = 0;
    li.dataset.line = d.line;
    const kind = d.fix ? (d.fix.applicability === "safe" ? "safe" : d.fix.applicability === "unsafe" ? "unsafe" : "none") : "none";
    const label = d.fix ? (kind === "none" ? "suggestion" : `${kind} fix`) : "no fix";
    li.innerHTML = `<span class="pos">${d.line}:${d.column + 1}</span><button class="code-link" data-code="${d.code}" title="Rule documentation">${d.code}</button><span class="msg">${esc(d.message)}</span><span class="badge ${kind}">${label}</span>`;
    li.addEventListener("click", (e) => {
      if (e.target.classList.contains("code-link")) return showDoc(e.target.dataset.code);
      goToLine(d.line, d.column);
    });
    li.addEventListener("keydown", (e) => e.key === "Enter" && goToLine(d.line, d.column));
    list.append(li);
  }
  renderEditor(flaggedLines());
}

// Rule docs are Markdown files beside the page, fetched the first time one is opened.
const docCache = new Map();
async function ruleDoc(rule) {
  if (!docCache.has(rule.code)) {
    docCache.set(
      rule.code,
      fetch(new URL(rule.docs, import.meta.url)).then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.statusText)))),
    );
  }
  try {
    return await docCache.get(rule.code);
  } catch (e) {
    docCache.delete(rule.code);
    return `The documentation could not be loaded (${e.message}); see docs/rules/${rule.code}.md in the repository.`;
  }
}

async function showDoc(code) {
  const rule = state.rules.find((r) => r.code === code);
  if (!rule) return;
  $("doc-body").innerHTML = `<h2>${rule.code} ${esc(rule.name)}</h2><p>${esc(rule.summary)}</p><p>Loading…</p>`;
  $("doc").showModal();
  // The file starts with its own title, summary and facts (fix, CIS item, presets).
  const body = (await ruleDoc(rule)).split("\n## ").slice(1).join("\n## ");
  const md = esc(body ? `## ${body}` : "")
    .replace(/```yaml\n([\s\S]*?)```/g, (_, c) => `<pre>${c}</pre>`)
    .replace(/^## (.*)$/gm, "<h3>$1</h3>")
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\n\n/g, "<br><br>");
  const summary = esc(rule.summary).replace(/`([^`]+)`/g, "<code>$1</code>");
  $("doc-body").innerHTML = `<h2>${rule.code} ${esc(rule.name)}</h2><p>${summary} · fix: ${rule.fix}${rule.cis ? ` · CIS Docker Benchmark v1.6.0: ${rule.cis}` : ""}</p>${md}`;
}

// ---------------------------------------------------------------- wiring
let timer = 0;
let generation = 0;
function schedule(delay = 120) {
  clearTimeout(timer);
  timer = setTimeout(update, delay);
}

async function update() {
  const mine = ++generation;
  const started = performance.now();
  const result = await run(input.value);
  if (mine !== generation) return; // a newer edit is on its way
  render(result);
  saveState();
  $("status").dataset.ms = (performance.now() - started).toFixed(1);
}

function renderRules() {
  const box = $("rules");
  box.innerHTML = "";
  for (const r of state.rules) {
    const label = document.createElement("label");
    label.innerHTML = `<input type="checkbox" data-code="${r.code}" ${state.disabled.has(r.code) ? "" : "checked"}> <b>${r.code}</b> ${esc(r.name)}`;
    label.querySelector("input").addEventListener("change", (e) => {
      if (e.target.checked) state.disabled.delete(r.code);
      else state.disabled.add(r.code);
      schedule(0);
    });
    box.append(label);
  }
}

function setTab(tab) {
  state.tab = tab;
  $("tab-output").setAttribute("aria-selected", tab === "output");
  $("tab-diff").setAttribute("aria-selected", tab === "diff");
  $("output").hidden = tab !== "output";
  $("diff").hidden = tab !== "diff";
}

async function main() {
  await load();
  state.rules = JSON.parse(rules_json());
  $("version").textContent = `composeguard ${version()}`;
  for (const [i, ex] of EXAMPLES.entries()) {
    const option = document.createElement("option");
    option.value = i;
    option.textContent = ex.name;
    $("example").append(option);
  }
  const restored = restoreState();
  input.value = restored ?? EXAMPLES[0].source;
  renderRules();
  input.addEventListener("input", () => schedule());
  input.addEventListener("scroll", () => {});
  for (const id of ["preset", "target", "unsafe", "secrets"]) $(id).addEventListener("change", () => schedule(0));
  $("example").addEventListener("change", (e) => {
    input.value = EXAMPLES[e.target.value].source;
    schedule(0);
  });
  $("tab-output").addEventListener("click", () => setTab("output"));
  $("tab-diff").addEventListener("click", () => setTab("diff"));
  $("copy").addEventListener("click", async () => {
    await navigator.clipboard?.writeText(state.result?.output ?? "");
    $("copy").textContent = "Copied";
    setTimeout(() => ($("copy").textContent = "Copy"), 1200);
  });
  $("download").addEventListener("click", () => {
    const blob = new Blob([state.result?.output ?? input.value], { type: "application/yaml" });
    const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: "compose.yaml" });
    a.click();
    URL.revokeObjectURL(a.href);
  });
  window.addEventListener("resize", () => renderEditor(flaggedLines()));
  await update();
  document.body.dataset.ready = "1";
}

main();
