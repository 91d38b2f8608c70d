// Times the built module (web/dist) on one compose file: the first run and the median of the
// next runs, with safe fixes and with unsafe fixes too, and beside them the `yaml` package's
// round trip of the same text (`parseDocument(src).toString()`, the format-preserving YAML
// library of the JavaScript world), in the same Node process, both warmed up. Prints the
// ratio (re-harden / round trip; the target is at most 1.0). A benchmark, not a test.
//   cargo run -q --release -p composeguard --example generated -- 185 > /tmp/g185.yaml  # 1,007 lines
//   (cd web && npm ci) && node web/tools/bench.mjs /tmp/g185.yaml
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import init, { harden } from "../dist/pkg/composeguard_wasm.js";

const file = process.argv[2];
if (!file) {
  console.error("usage: node web/tools/bench.mjs FILE");
  process.exit(2);
}
await init({ module_or_path: readFileSync(new URL("../dist/pkg/composeguard_wasm_bg.wasm", import.meta.url)) });
const source = readFileSync(file, "utf8");
const lines = source.split("\n").length - 1;
const runs = 25;

// The first run and the median of the others, in milliseconds.
function time(work) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  return { first: times[0], median: rest[Math.floor(rest.length / 2)] };
}

const roundTrip = time(() => {
  if (parseDocument(source).toString().length === 0) throw new Error("empty round trip");
});
console.log(`${lines} lines, yaml round trip: first run ${roundTrip.first.toFixed(1)} ms, then median ${roundTrip.median.toFixed(1)} ms`);
for (const unsafe of [false, true]) {
  const fix = time(() => {
    const result = JSON.parse(harden(source, unsafe, "recommended", "compose", "", "", false));
    if (!result.ok) throw new Error(result.error.message);
  });
  const ratio = fix.median / roundTrip.median;
  console.log(
    `${lines} lines, ${unsafe ? "unsafe" : "safe"} fixes: first run ${fix.first.toFixed(1)} ms, then median ${fix.median.toFixed(1)} ms; ` +
      `${ratio.toFixed(2)}x the yaml round trip (target: at most 1.0)`,
  );
}
