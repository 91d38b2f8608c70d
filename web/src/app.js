// The composeguard playground: everything runs in WebAssembly in this page.
import init, { harden, rules_json, version } from "./pkg/composeguard_wasm.js";
import { EXAMPLES } from "./examples.js";

const $ = (id) => document.getElementById(id);
const input = $("input");
const state = { rules: [], disabled: new Set(), result: null, tab: "output", files: [{ name: "compose.yaml", text: "" }], active: 0 };

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

// ---------------------------------------------------------------- projects: several files
// The files are one YAML stream, a document per file after a named separator: Compose merges
// the documents of a stream as it merges `-f` files, and so does composeguard, so each fix
// lands once, in one file. The separators are comments, which a fix never changes, so the
// result splits back into the files.
const separator = (name) => `--- # composeguard file: ${name}`;

function joinFiles(files) {
  let text = "";
  const starts = [];
  let line = 1;
  files.forEach((f, i) => {
    if (i > 0) {
      text += `${separator(f.name)}\n`;
      line += 1;
    }
    starts.push(line);
    const body = f.text.endsWith("\n") || f.text === "" ? f.text : `${f.text}\n`;
    text += body;
    line += body.split("\n").length - 1;
  });
  return { text, starts };
}

// Each file's part of the joined output, and the line where each part starts.
function splitOutput(files, output) {
  const lines = output.split("\n");
  const parts = [];
  const starts = [];
  let from = 0;
  for (let i = 0; i < files.length; i++) {
    const end = i + 1 < files.length ? lines.indexOf(separator(files[i + 1].name), from) : lines.length;
    if (end < 0) return null;
    starts.push(from + 1);
    let text = lines.slice(from, end).join("\n");
    if (i + 1 < files.length) text += "\n";
    if (!files[i].text.endsWith("\n") && text.endsWith("\n")) text = text.slice(0, -1);
    parts.push(text);
    from = end + 1;
  }
  return { parts, starts };
}

// The file a line of the joined text is in (-1 for a separator line), and its line there.
function locate(starts, line, separators) {
  let file = 0;
  while (file + 1 < starts.length && starts[file + 1] <= line) file++;
  if (separators && file + 1 < starts.length && line === starts[file + 1] - 1) return [-1, 0];
  return [file, line - starts[file] + 1];
}

// The joined diff as one diff per file: each hunk cut where it crosses a separator, its
// line numbers made the file's own.
function splitDiff(files, diff, inStarts, outStarts) {
  const out = files.map(() => []);
  if (!diff) return out.map(() => "");
  const lines = diff.split("\n");
  let i = 0;
  while (i < lines.length && !lines[i].startsWith("@@")) i++;
  let piece = null;
  const flush = () => {
    if (piece && piece.lines.some((l) => l[0] === "+" || l[0] === "-")) {
      const oldStart = piece.oldCount ? piece.oldFirst : piece.oldAt - 1;
      const newStart = piece.newCount ? piece.newFirst : piece.newAt - 1;
      out[piece.file].push(`@@ -${oldStart},${piece.oldCount} +${newStart},${piece.newCount} @@`, ...piece.lines);
    }
    piece = null;
  };
  let oldLine = 0;
  let newLine = 0;
  for (; i < lines.length; i++) {
    const l = lines[i];
    const header = l.match(/^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/);
    if (header) {
      flush();
      oldLine = Number(header[1]);
      newLine = Number(header[2]);
      continue;
    }
    if (l === "" && i === lines.length - 1) break;
    if (l.startsWith("\\")) {
      // "\ No newline at end of file" belongs to the line before it.
      if (piece) piece.lines.push(l);
      continue;
    }
    const kind = l[0];
    const [file, local] = kind === "+" ? locate(outStarts, newLine, true) : locate(inStarts, oldLine, true);
    if (file < 0) {
      flush();
    } else {
      if (!piece || piece.file !== file) {
        flush();
        const [, oldLocal] = locate(inStarts, oldLine, false);
        const [, newLocal] = locate(outStarts, newLine, false);
        piece = { file, lines: [], oldCount: 0, newCount: 0, oldAt: oldLocal, newAt: newLocal, oldFirst: 0, newFirst: 0 };
      }
      if (kind !== "+") {
        if (!piece.oldCount) piece.oldFirst = kind === "+" ? 0 : local;
        piece.oldCount++;
      }
      if (kind !== "-") {
        const [, n] = locate(outStarts, newLine, false);
        if (!piece.newCount) piece.newFirst = n;
        piece.newCount++;
      }
      piece.lines.push(l);
    }
    if (kind !== "+") oldLine++;
    if (kind !== "-") newLine++;
  }
  flush();
  return out.map((hunks, f) => (hunks.length ? [`--- a/${files[f].name}`, `+++ b/${files[f].name}`, ...hunks, ""].join("\n") : ""));
}

// Hardens every file: one result per project, with each file's output, diff and findings.
async function runProject(files) {
  if (files.length === 1) {
    const result = await run(files[0].text);
    if (result.ok) {
      result.outputs = [result.output];
      result.diffs = [result.diff];
      for (const d of result.diagnostics) d.file = 0;
    }
    return result;
  }
  const joined = joinFiles(files);
  const result = await run(joined.text);
  const place = (d) => {
    const [file, line] = locate(joined.starts, d.line, false);
    d.file = file;
    d.line = line;
  };
  if (!result.ok) {
    if (result.error.line) {
      const [file, line] = locate(joined.starts, result.error.line, false);
      result.error.line = line;
      result.error.file = file;
    }
    return result;
  }
  const split = splitOutput(files, result.output);
  if (!split) return { ok: false, error: { message: "internal error: the files could not be told apart in the result", line: 0, column: 0 } };
  result.outputs = split.parts;
  result.diffs = splitDiff(files, result.diff, joined.starts, split.starts);
  result.diagnostics.forEach(place);
  result.project = files.map((f, i) => `# ${f.name}\n${split.parts[i]}`).join("---\n");
  return result;
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
  if (state.files.length === 1) params.set("src", encode(input.value));
  else params.set("files", encode(JSON.stringify(state.files)));
  history.replaceState(null, "", `#${params}`);
}

function restoreState() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("preset")) $("preset").value = params.get("preset");
  if (params.has("target")) $("target").value = params.get("target");
  $("unsafe").checked = params.get("unsafe") === "1";
  for (const code of (params.get("off") || "").split(",").filter(Boolean)) state.disabled.add(code);
  if (params.has("files")) {
    try {
      const files = JSON.parse(decode(params.get("files")));
      if (Array.isArray(files) && files.length && files.every((f) => typeof f.name === "string" && typeof f.text === "string")) {
        state.files = files;
        return files[0].text;
      }
    } catch {
      /* a damaged link: fall back to the first example */
    }
  }
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
  return new Set((state.result?.diagnostics || []).filter((d) => (d.file ?? 0) === state.active).map((d) => d.line));
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
    const file = state.files.length > 1 && result.error.file !== undefined ? `${state.files[result.error.file].name}, ` : "";
    const where = result.error.line ? `${file}line ${result.error.line}, column ${result.error.column}: ` : "";
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
  const several = state.files.length > 1;
  $("output").textContent = result.outputs[state.active] ?? "";
  $("diff").innerHTML = several
    ? result.diffs.some(Boolean)
      ? result.diffs.filter(Boolean).map(renderDiff).join("\n")
      : renderDiff("")
    : renderDiff(result.diff);
  $("project").textContent = result.project ?? "";
  $("tab-project").hidden = !several;
  if (!several && state.tab === "project") setTab("output");
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
    const where = state.files.length > 1 ? `${esc(state.files[d.file].name)}:` : "";
    li.innerHTML = `<span class="pos">${where}${d.line}:${d.column + 1}</span><button class="code-link" data-code="${d.code}" title="Rule documentation">${d.code}</button><span class="msg">${esc(d.message)}</span><span class="badge ${kind}">${label}</span>`;
    const go = () => {
      if (d.file !== state.active) selectFile(d.file);
      goToLine(d.line, d.column);
    };
    li.addEventListener("click", (e) => {
      if (e.target.classList.contains("code-link")) return showDoc(e.target.dataset.code);
      go();
    });
    li.addEventListener("keydown", (e) => e.key === "Enter" && go());
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
  state.files[state.active].text = input.value;
  const result = await runProject(state.files);
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
  for (const t of ["output", "diff", "project"]) {
    $(`tab-${t}`).setAttribute("aria-selected", tab === t);
    $(t).hidden = tab !== t;
  }
}

// The file tabs: one per file, merged in this order; every file but the first can go.
function renderFileTabs() {
  const box = $("file-tabs");
  box.innerHTML = "";
  state.files.forEach((f, i) => {
    const b = document.createElement("button");
    b.setAttribute("role", "tab");
    b.setAttribute("aria-selected", i === state.active);
    b.dataset.file = i;
    b.textContent = f.name;
    if (i > 0) {
      const x = document.createElement("span");
      x.className = "close-file";
      x.textContent = "×";
      x.title = `Remove ${f.name}`;
      x.addEventListener("click", (e) => {
        e.stopPropagation();
        state.files.splice(i, 1);
        selectFile(Math.min(state.active, state.files.length - 1));
        schedule(0);
      });
      b.append(x);
    }
    b.addEventListener("click", () => selectFile(i));
    box.append(b);
  });
}

function selectFile(i) {
  state.files[state.active].text = input.value;
  state.active = i;
  input.value = state.files[i].text;
  renderFileTabs();
  if (state.result?.ok) $("output").textContent = state.result.outputs[i] ?? "";
  renderEditor(flaggedLines());
}

function addFile() {
  const taken = new Set(state.files.map((f) => f.name));
  let name = "compose.override.yaml";
  for (let n = 2; taken.has(name); n++) name = `compose.override.${n}.yaml`;
  state.files[state.active].text = input.value;
  state.files.push({ name, text: "services:\n" });
  selectFile(state.files.length - 1);
  schedule(0);
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
  state.files[0].text = input.value;
  renderFileTabs();
  renderRules();
  input.addEventListener("input", () => schedule());
  input.addEventListener("scroll", () => {});
  for (const id of ["preset", "target", "unsafe", "secrets"]) $(id).addEventListener("change", () => schedule(0));
  $("example").addEventListener("change", (e) => {
    state.files = [{ name: "compose.yaml", text: EXAMPLES[e.target.value].source }];
    state.active = 0;
    input.value = state.files[0].text;
    renderFileTabs();
    schedule(0);
  });
  $("add-file").addEventListener("click", addFile);
  $("tab-output").addEventListener("click", () => setTab("output"));
  $("tab-diff").addEventListener("click", () => setTab("diff"));
  $("tab-project").addEventListener("click", () => setTab("project"));
  $("copy").addEventListener("click", async () => {
    await navigator.clipboard?.writeText(state.result?.outputs?.[state.active] ?? "");
    $("copy").textContent = "Copied";
    setTimeout(() => ($("copy").textContent = "Copy"), 1200);
  });
  $("download").addEventListener("click", () => {
    const blob = new Blob([state.result?.outputs?.[state.active] ?? input.value], { type: "application/yaml" });
    const a = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: state.files[state.active].name });
    a.click();
    URL.revokeObjectURL(a.href);
  });
  window.addEventListener("resize", () => renderEditor(flaggedLines()));
  await update();
  document.body.dataset.ready = "1";
}

main();
