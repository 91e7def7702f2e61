// Build budget: the JavaScript a first visit must download (entry + modulepreloads) ≤ 50 KB gzip.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = Number(process.env.WEB_JS_BUDGET_KB ?? 50);
const dist = join(import.meta.dir, "..", "dist");
const html = readFileSync(join(dist, "index.html"), "utf8");
const urls = [
  ...html.matchAll(/<script[^>]+type="module"[^>]+src="([^"]+)"/g),
  ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+)"/g),
].map((m) => m[1] ?? "");
if (urls.length === 0) {
  console.error("budget: no module script found in dist/index.html");
  process.exit(1);
}
let total = 0;
for (const url of new Set(urls)) {
  const file = join(dist, url.replace(/^\//, ""));
  const gz = existsSync(`${file}.gz`)
    ? readFileSync(`${file}.gz`)
    : gzipSync(readFileSync(file), { level: 9 });
  total += gz.length;
  console.log(`budget: ${url} ${(gz.length / 1024).toFixed(1)} KB gzip`);
}
const kb = total / 1024;
console.log(`budget: initial JS ${kb.toFixed(1)} KB gzip (budget ${BUDGET_KB} KB)`);
if (kb > BUDGET_KB) {
  console.error(`budget: initial JS is over budget by ${(kb - BUDGET_KB).toFixed(1)} KB`);
  process.exit(1);
}
