// Verdicts of ajv (JSON Schema 2020-12, strict, with formats) for many payloads, one request a
// line so one process serves a whole test run (node's start-up is the slow part):
// in {"schemas": {name: schema}, "cases": [[name, payload], ...]}, out [true|false, ...].
import { createInterface } from "node:readline";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const compiled = new Map();

function validator(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) {
    const ajv = new Ajv2020({ strict: true });
    addFormats(ajv);
    compiled.set(key, ajv.compile(schema));
  }
  return compiled.get(key);
}

for await (const line of createInterface({ input: process.stdin })) {
  const { schemas, cases } = JSON.parse(line);
  const verdicts = cases.map(([name, payload]) => validator(schemas[name])(payload));
  process.stdout.write(JSON.stringify(verdicts) + "\n");
}
