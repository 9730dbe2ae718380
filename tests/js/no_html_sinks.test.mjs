// The text-only rule for the pages' scripts, held for every file: scripts never write HTML
// strings into the page, hand Leaflet strings only through bindText, and templates carry no
// inline script or handler (the pages run under a Content-Security-Policy of script-src 'self').

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STATIC = join(ROOT, "src/onegrid/web/static/web");
const SOURCE = join(ROOT, "src/onegrid");

// Third-party libraries served as they were published (vendor/: ECharts) are not ours to hold
// to these rules; our scripts hand them no HTML (lib/charts.js builds tooltips as nodes).
const VENDOR = join("vendor", "");

function files(folder, ending) {
  return readdirSync(folder, { recursive: true })
    .filter((name) => name.endsWith(ending) && !name.startsWith(VENDOR))
    .map((name) => join(folder, name));
}

// Comments may name what they forbid; code may not.
const code = (text) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|\s)\/\/.*$/gm, "$1");

const SINKS = [
  [/\binnerHTML\b/, "innerHTML"],
  [/\bouterHTML\b/, "outerHTML"],
  [/\binsertAdjacentHTML\b/, "insertAdjacentHTML"],
  [/\bdocument\.write(ln)?\s*\(/, "document.write"],
  [/\beval\s*\(/, "eval"],
  [/\bnew\s+Function\s*\(/, "new Function"],
  [/\bsetAttribute\(\s*["'](on|style\b)/i, "an inline handler or style attribute"],
  [/\.\s*(on[a-z]+)\s*=\s*["'`]/, "a handler from a string"],
  [/\bsetTimeout\(\s*["'`]|\bsetInterval\(\s*["'`]/, "a timer from a string"],
];

test("the scripts are found", () => {
  const names = files(STATIC, ".js").map((path) => relative(STATIC, path));
  for (const name of ["field.js", "map.js", "layers.js", "address-map.js", "refresh.js", "lib/dom.js"]) {
    assert.ok(names.includes(name), name);
  }
});

test("no script writes HTML strings into the page", () => {
  const found = [];
  for (const path of files(STATIC, ".js")) {
    const text = code(readFileSync(path, "utf8"));
    for (const [pattern, what] of SINKS) {
      if (pattern.test(text)) found.push(`${relative(STATIC, path)}: ${what}`);
    }
  }
  assert.deepEqual(found, []);
});

test("only the map set-up calls Leaflet's bindTooltip and bindPopup (through bindText)", () => {
  const found = [];
  for (const path of files(STATIC, ".js")) {
    if (relative(STATIC, path) === join("lib", "leaflet-map.js")) continue;
    if (/\.bind(Tooltip|Popup)\s*\(/.test(code(readFileSync(path, "utf8")))) found.push(relative(STATIC, path));
  }
  assert.deepEqual(found, []);
});

test("templates load scripts from files only, as modules, with no inline handlers", () => {
  const found = [];
  for (const path of files(SOURCE, ".html")) {
    const name = relative(SOURCE, path);
    const text = readFileSync(path, "utf8");
    for (const [tag] of text.matchAll(/<script\b[^>]*>/gi)) {
      if (!/\ssrc=/.test(tag)) found.push(`${name}: inline ${tag}`);
      else if (/web\/[\w-]+\.js/.test(tag) && !/type="module"/.test(tag)) found.push(`${name}: not a module ${tag}`);
    }
    for (const [attribute] of text.matchAll(/<[a-z][^>]*\son[a-z]+\s*=/gi)) found.push(`${name}: handler in ${attribute}`);
    if (/javascript:/i.test(text)) found.push(`${name}: javascript: URL`);
  }
  assert.deepEqual(found, []);
});
