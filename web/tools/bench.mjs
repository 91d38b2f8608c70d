// Times the built module (web/dist) on one compose file: the first run and the median of the
// next runs, with safe fixes and with unsafe fixes too. A benchmark, not a test: it prints.
//   cargo run -q --release -p composeguard --example generated -- 185 > /tmp/g185.yaml  # 1,007 lines
//   node web/tools/bench.mjs /tmp/g185.yaml
import { readFileSync } from "node:fs";
import init, { harden } from "../dist/pkg/composeguard_wasm.js";

const file = process.argv[2];
if (!file) {
  console.error("usage: node web/tools/bench.mjs FILE");
  process.exit(2);
}
await init({ module_or_path: readFileSync(new URL("../dist/pkg/composeguard_wasm_bg.wasm", import.meta.url)) });
const source = readFileSync(file, "utf8");
const runs = 12;
for (const unsafe of [false, true]) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = JSON.parse(harden(source, unsafe, "recommended", "compose", "", "", false));
    times.push(performance.now() - started);
    if (!result.ok) throw new Error(result.error.message);
  }
  const first = times[0];
  const rest = times.slice(1).sort((a, b) => a - b);
  const median = rest[Math.floor(rest.length / 2)];
  const lines = source.split("\n").length - 1;
  console.log(`${lines} lines, ${unsafe ? "unsafe" : "safe"} fixes: first run ${first.toFixed(1)} ms, then median ${median.toFixed(1)} ms`);
}
