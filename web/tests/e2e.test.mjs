// End to end in headless Chromium (Debian's, driven by playwright-core): load the built page
// from a local static server, paste a compose file, check the hardened output, the diff and
// the findings, toggle unsafe fixes, follow a finding to its line, open a rule's docs, reload
// from the URL, and save screenshots to test-artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile, mkdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";

const dist = new URL("../dist/", import.meta.url).pathname;
const artifacts = new URL("../../test-artifacts/", import.meta.url).pathname;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

let server, browser, url;

before(async () => {
  assert.ok(existsSync(executablePath), `Chromium is required at ${executablePath} (apt-get install chromium)`);
  server = createServer(async (req, res) => {
    const path = normalize(join(dist, decodeURIComponent(new URL(req.url, "http://x").pathname)));
    const file = path.endsWith("/") ? join(path, "index.html") : path;
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] || "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  await mkdir(artifacts, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const STACK = `services:
  web:
    image: nginx:1.27
    ports:
      - "80:80"
  db:
    image: postgres:17
    environment:
      POSTGRES_PASSWORD: s3cr3t-pw
    ports:
      - "5432:5432"
`;

async function settle(page, previous) {
  await page.waitForFunction((prev) => {
    const out = document.getElementById("output").textContent;
    return out && out !== prev;
  }, previous, { timeout: 10000 });
}

test("paste, harden, diff, findings, unsafe toggle, go to line, docs, URL state", async () => {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 15000 });
  const first = await page.textContent("#output");
  assert.ok(first.includes("security_opt"), "the first example is hardened on load");

  // Paste a file: the safe fixes appear, the password does not leak into the diff.
  await page.fill("#input", STACK);
  await settle(page, first);
  const safe = await page.textContent("#output");
  assert.ok(safe.startsWith("services:\n  web:\n    image: nginx:1.27"), safe);
  assert.ok(safe.includes("no-new-privileges:true") && safe.includes("max-size: 10m"));
  assert.ok(!safe.includes("cap_drop"), "unsafe fixes are off by default");
  await page.click("#tab-diff");
  const diff = await page.textContent("#diff");
  assert.ok(diff.includes("+    security_opt:"), diff);
  assert.equal(await page.isVisible("#diff"), true);
  const findings = await page.$$eval("#findings li", (lis) => lis.map((li) => li.textContent));
  assert.ok(findings.length >= 8, findings.join("\n"));
  assert.ok(findings.some((f) => f.includes("CG401") && f.includes("5432")));

  // Unsafe fixes change the output: capabilities, the database port, the secret.
  await page.check("#unsafe");
  await settle(page, safe);
  const all = await page.textContent("#output");
  assert.ok(all.includes("cap_drop") && all.includes("127.0.0.1:5432:5432") && all.includes("POSTGRES_PASSWORD_FILE"), all);
  assert.ok(!(await page.textContent("#diff")).includes("s3cr3t-pw"), "secrets are masked in the diff");
  assert.ok((await page.textContent("#files")).includes("secrets/postgres_password.txt"));

  // Follow a finding to its line.
  const target = await page.$('#findings li[data-line="11"]');
  assert.ok(target, "a finding on line 11 (the database port)");
  await target.click({ position: { x: 5, y: 5 } });
  const caretLine = await page.$eval("#input", (t) => t.value.slice(0, t.selectionStart).split("\n").length);
  assert.equal(caretLine, 11);

  await page.click("#tab-output");
  await page.screenshot({ path: join(artifacts, "playground.png"), fullPage: true });

  // A rule's documentation opens from its code.
  await page.click('#findings .code-link[data-code="CG101"]');
  await page.waitForSelector("dialog#doc[open]");
  // The docs are a file beside the page, fetched when first opened.
  await page.waitForFunction(() => document.getElementById("doc-body").textContent.includes("Fix safety"));
  await page.screenshot({ path: join(artifacts, "playground-rule.png") });
  await page.click("dialog#doc .close");

  // The URL reproduces the state.
  const link = page.url();
  assert.ok(link.includes("unsafe=1") && link.includes("src="), link);
  const again = await browser.newPage();
  await again.goto(link);
  await again.waitForSelector('body[data-ready="1"]');
  assert.equal(await again.inputValue("#input"), STACK);
  assert.equal(await again.isChecked("#unsafe"), true);
  assert.equal(await again.textContent("#output"), all);
  assert.deepEqual(errors, []);
});

test("a project of several files: each fix lands once, findings and diffs per file, URL state", async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  await page.fill("#input", "services:\n  db:\n    image: postgres:16\n");
  await page.click("#unsafe");
  await page.waitForFunction(() => document.getElementById("output").textContent.includes("no-new-privileges"));
  await page.click("#add-file");
  await page.waitForSelector('#file-tabs button[data-file="1"][aria-selected="true"]');
  await page.fill("#input", 'services:\n  db:\n    ports:\n      - "5432:5432"\n');
  // The override's port is fixed in the override, the base gets the controls once (the
  // image is the base's: postgres needs CHOWN back).
  await page.waitForFunction(() => document.getElementById("output").textContent.includes("127.0.0.1:5432:5432"));
  const override = await page.textContent("#output");
  assert.ok(!override.includes("no-new-privileges"), override);
  const findings = await page.textContent("#findings");
  assert.ok(findings.includes("compose.yaml:2:") || findings.includes("compose.override.yaml:"), findings);
  await page.click("#tab-diff");
  const diff = await page.textContent("#diff");
  assert.ok(diff.includes("+++ b/compose.yaml") && diff.includes("+++ b/compose.override.yaml"), diff);
  assert.ok(diff.includes('+      - "127.0.0.1:5432:5432"'), diff);
  assert.equal((diff.match(/\+ {6}- no-new-privileges:true/g) || []).length, 1, diff);
  assert.ok(diff.includes("+      - CHOWN"), diff);
  await page.click("#tab-project");
  const project = await page.textContent("#project");
  assert.ok(project.startsWith("# compose.yaml\n") && project.includes("---\n# compose.override.yaml\n"), project);
  await page.click('#file-tabs button[data-file="0"]');
  const base = await page.inputValue("#input");
  assert.equal(base, "services:\n  db:\n    image: postgres:16\n");
  // The link keeps both files.
  const link = page.url();
  const again = await browser.newPage();
  await again.goto(link);
  await again.waitForSelector('body[data-ready="1"]');
  assert.equal(await again.locator("#file-tabs button").count(), 2);
  await page.screenshot({ path: join(artifacts, "playground-project.png"), fullPage: true });
  await again.close();
  await page.close();
});

test("a broken file shows the error with its line; a phone-sized screen works", async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  await page.fill("#input", "services:\n  web:\n    image: nginx\n   ports: [\n");
  await page.waitForFunction(() => document.getElementById("status").classList.contains("error"));
  const status = await page.textContent("#status");
  assert.ok(/line \d+/.test(status) && status.includes("invalid YAML"), status);
  await page.fill("#input", STACK);
  await page.waitForFunction(() => !document.getElementById("status").classList.contains("error"));
  await page.screenshot({ path: join(artifacts, "playground-phone.png"), fullPage: true });
});

test("a 1,000-line file re-hardens fast enough to feel instant", async () => {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]');
  let big = "services:\n";
  for (let i = 0; big.split("\n").length < 1000; i++) {
    big += `  svc-${i}:\n    image: postgres:17\n    ports:\n      - "${10000 + i}:5432"\n    environment:\n      POSTGRES_DB: app\n`;
  }
  const before = await page.textContent("#output");
  await page.fill("#input", big);
  await settle(page, before);
  const ms = Number(await page.getAttribute("#status", "data-ms"));
  console.log(`1,000-line file hardened in ${ms} ms in Chromium`);
  assert.ok(Number.isFinite(ms));
});
