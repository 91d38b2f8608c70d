// Prints web/dist/examples.js: the bundled example compose files, embedded as strings.
import { readFileSync } from "node:fs";
const root = new URL("../../", import.meta.url);
const read = (p) => readFileSync(new URL(p, root), "utf8");
const examples = [
  { name: "Web + API + PostgreSQL + Redis", source: read("examples/stack/compose.yaml") },
  { name: "Anchors and merge keys", source: read("examples/anchors/compose.yaml") },
  { name: "Flow style", source: read("tests/fixtures/flow-services.yaml") },
  { name: "Comments everywhere", source: read("tests/fixtures/comments-everywhere.yaml") },
];
console.log(`export const EXAMPLES = ${JSON.stringify(examples, null, 2)};`);
