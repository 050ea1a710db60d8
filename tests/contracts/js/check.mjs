// Checks a `./run schemas export` directory with the tools vendors use: the official AsyncAPI
// parser on asyncapi.json and ajv (JSON Schema 2020-12, with formats) on every *.schema.json.
// Prints one JSON report on stdout; exit status 0 only when both report no problem.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

import { Parser, fromFile } from "@asyncapi/parser";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const dir = resolve(process.argv[2] ?? ".");

async function parseAsyncapi() {
  const parser = new Parser();
  const { diagnostics } = await fromFile(parser, join(dir, "asyncapi.json")).parse();
  // severity 0 is an error; warnings and hints (1-3) are style advice, reported but not fatal.
  return diagnostics.map((d) => ({
    severity: d.severity,
    code: d.code,
    message: d.message,
    path: d.path.join("/"),
  }));
}

function compileSchemas() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  const results = {};
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".schema.json")).sort()) {
    try {
      ajv.compile(JSON.parse(readFileSync(join(dir, name), "utf-8")));
      results[name] = null;
    } catch (err) {
      results[name] = String(err.message ?? err);
    }
  }
  return results;
}

const asyncapi = await parseAsyncapi();
const schemas = compileSchemas();
const failed =
  asyncapi.some((d) => d.severity === 0) ||
  Object.values(schemas).some((e) => e !== null) ||
  Object.keys(schemas).length === 0;
process.stdout.write(JSON.stringify({ dir: pathToFileURL(dir).href, asyncapi, schemas }) + "\n");
process.exit(failed ? 1 : 0);
