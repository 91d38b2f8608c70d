// The wasm package, loaded in Node, gives the same output as the native CLI, byte for byte,
// on every file of the corpus (tests/corpus) and the examples.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";
import init, { harden, rules_json, version } from "../dist/pkg/composeguard_wasm.js";

const root = new URL("../../", import.meta.url);
const cli = new URL("target/debug/composeguard", root).pathname;

await init({ module_or_path: readFileSync(new URL("web/dist/pkg/composeguard_wasm_bg.wasm", root)) });

function files() {
  const out = [];
  const corpus = new URL("tests/corpus/awesome-compose/", root);
  for (const f of readdirSync(corpus).filter((f) => /\.ya?ml$/.test(f))) out.push(new URL(f, corpus).pathname);
  for (const f of ["examples/stack/compose.yaml", "examples/anchors/compose.yaml", "tests/fixtures/crlf.yaml", "tests/fixtures/bom.yaml", "tests/fixtures/unicode-and-quotes.yaml", "tests/fixtures/anchors-merge-chained.yaml"]) {
    out.push(new URL(f, root).pathname);
  }
  return out;
}

test("same output as the native CLI, byte for byte", () => {
  const paths = files();
  assert.ok(paths.length >= 40, `only ${paths.length} files`);
  for (const path of paths) {
    const source = readFileSync(path, "utf8");
    const result = JSON.parse(harden(source, true, "strict", "compose", "", "", false));
    assert.equal(result.ok, true, path);
    let native;
    try {
      native = execFileSync(cli, ["fix", "--unsafe-fixes", "--preset", "strict", "--stdout", "-q", path], { encoding: "utf8" });
    } catch (e) {
      native = e.stdout; // exit 1: findings remain
    }
    assert.equal(result.output, native, path);
    // A second run over the output changes nothing.
    const again = JSON.parse(harden(result.output, true, "strict", "compose", "", "", false));
    assert.equal(again.output, result.output, path);
  }
});

test("diagnostics carry UTF-16 positions, fixes and no secret values", () => {
  const source = "services:\n  café-🦀:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: s3cr3t\n";
  const result = JSON.parse(harden(source, true, "recommended", "compose", "", "", false));
  const d = result.diagnostics.find((d) => d.code === "CG102");
  assert.deepEqual([d.line, d.column, d.endColumn], [2, 2, 9]);
  assert.equal(source.slice(d.from, d.to), "café-🦀");
  assert.equal(d.fix.applicability, "safe");
  assert.ok(!result.diff.includes("s3cr3t"), "masked in the diff");
  assert.ok(result.diff.includes("****"));
  assert.deepEqual(result.files.map((f) => f.path), ["secrets/postgres_password.txt"]);
  const shown = JSON.parse(harden(source, true, "recommended", "compose", "", "", true));
  assert.ok(shown.diff.includes("s3cr3t"));
});

test("errors are values, and hostile input does not break the module", () => {
  const bad = JSON.parse(harden("services:\n  web:\n   image: x\n  - y\n", false, "recommended", "compose", "", "", false));
  assert.equal(bad.ok, false);
  assert.ok(bad.error.line > 0 && bad.error.message.length > 0);
  const deep = JSON.parse(harden("services: " + "[".repeat(200000), false, "strict", "compose", "", "", false));
  assert.equal(deep.ok, false);
  let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  let prev = "a";
  for (const c of "bcdefghi") { bomb += `${c}: &${c} [${Array(9).fill("*" + prev).join(",")}]\n`; prev = c; }
  const laughs = JSON.parse(harden(bomb + "services:\n  web: {image: nginx, command: *i}\n", false, "strict", "compose", "", "", false));
  assert.equal(laughs.ok, false);
  // Still usable afterwards.
  assert.equal(JSON.parse(harden("services:\n  web:\n    image: nginx:1.27\n", false, "recommended", "compose", "", "", false)).ok, true);
});

test("the module stays within its budget: 150 KB gzipped, what a browser downloads", () => {
  const wasm = readFileSync(new URL("../dist/pkg/composeguard_wasm_bg.wasm", import.meta.url));
  const gzipped = gzipSync(wasm, { level: 9 }).length;
  assert.ok(gzipped <= 150 * 1024, `composeguard_wasm_bg.wasm is ${wasm.length} bytes, ${gzipped} gzipped`);
});

test("rule metadata, with each rule's docs beside the page", () => {
  const rules = JSON.parse(rules_json());
  assert.ok(rules.length >= 25);
  const r = rules.find((r) => r.code === "CG101");
  assert.equal(r.name, "cap-drop-all");
  assert.ok(r.presets.includes("baseline"));
  for (const rule of rules) {
    const doc = readFileSync(new URL(`../dist/${rule.docs}`, import.meta.url), "utf8");
    assert.ok(doc.startsWith(`# ${rule.name} (${rule.code})`), rule.docs);
    assert.ok(doc.includes("## Fix safety"), rule.docs);
  }
  assert.match(version(), /^\d+\.\d+\.\d+$/);
});
