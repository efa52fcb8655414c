// Runs a frontend's own lib/api.ts, unmodified, against a running backend.
//
// stdin: {"source": <api.ts text>, "base": <backend URL>, "token", "userId", "origin",
//         "forwardedProto", "steps": [{"name", "call", "args"}]}
// stdout: one JSON array, per step: the requests the client sent (method, path with query,
//         the headers it set, body), then what the call returned or the ApiError it threw,
//         and what it left in localStorage / window.location (its 401 handling).
//
// The source is transpiled with TypeScript (types erased, nothing else changes) and
// imported as a module; the browser globals it touches (window, localStorage) are
// shimmed, and the real fetch of Node is wrapped only to record what it is given and to
// add what a browser and the platform's router add (Origin, X-Forwarded-Proto).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";

const input = JSON.parse(readFileSync(0, "utf8"));

const storage = new Map([
  ["access_token", input.token],
  ["user", JSON.stringify({ id: input.userId, email: "replay@example.com", name: "Replay" })],
]);
globalThis.localStorage = {
  getItem: (key) => (storage.has(key) ? storage.get(key) : null),
  setItem: (key, value) => storage.set(key, String(value)),
  removeItem: (key) => storage.delete(key),
};
globalThis.window = { location: { href: "/dashboard" } };
process.env.NEXT_PUBLIC_API_URL = input.base;

let recorded = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (url, init = {}) => {
  const target = new URL(url);
  recorded.push({
    method: init.method ?? "GET",
    path: target.pathname + target.search,
    headers: { ...(init.headers ?? {}) },
    body: init.body ?? null,
  });
  const headers = { ...(init.headers ?? {}), Origin: input.origin, "X-Forwarded-Proto": input.forwardedProto };
  const response = await realFetch(url, { ...init, headers });
  const last = recorded[recorded.length - 1];
  last.status = response.status;
  last.allowOrigin = response.headers.get("access-control-allow-origin");
  last.allowCredentials = response.headers.get("access-control-allow-credentials");
  return response;
};

const dir = mkdtempSync(join(tmpdir(), "api-ts-"));
const compiled = ts.transpileModule(input.source, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  fileName: "api.ts",
});
const modulePath = join(dir, "api.mjs");
writeFileSync(modulePath, compiled.outputText);
const { api, ApiError } = await import(pathToFileURL(modulePath).href);
rmSync(dir, { recursive: true, force: true });

// "$ref:<step>.<key>[.<key>...]" in an argument is a value from an earlier step's result.
const results = {};
const resolve = (value) => {
  if (typeof value === "string" && value.startsWith("$ref:")) {
    return value.slice(5).split(".").reduce((obj, key) => {
      if (obj?.[key] === undefined) throw new Error(`${value}: no such value (an earlier step failed?)\n${JSON.stringify(out)}`);
      return obj[key];
    }, results);
  }
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  }
  return value;
};

const out = [];
for (const step of input.steps) {
  if (step.token != null) storage.set("access_token", step.token);
  recorded = [];
  const entry = { name: step.name, call: step.call };
  try {
    entry.result = (await api[step.call](...resolve(step.args ?? []))) ?? null;
    results[step.name] = entry.result;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    entry.error = { status: error.status, detail: error.detail };
  }
  entry.requests = recorded;
  entry.storage = Object.fromEntries(storage);
  entry.href = globalThis.window.location.href;
  out.push(entry);
}
process.stdout.write(JSON.stringify(out));
