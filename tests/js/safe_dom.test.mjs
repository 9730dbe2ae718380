// lib/dom.js: data reaches the page as text, links keep only safe URLs, no inline handlers.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { el, escapeHtml, fill, fmt, safeUrl } from "../../src/onegrid/web/static/web/lib/dom.js";
import { elements, fakeDocument } from "./support/fake_dom.mjs";

const PAYLOAD = "<img src=x onerror=window.__xss=1>";

describe("el", () => {
  test("text, string children and numbers become text, never markup", () => {
    const node = el("li", { text: PAYLOAD }, [" · ", el("strong", { text: PAYLOAD }, [], fakeDocument), 7], fakeDocument);
    assert.equal(node.textContent, `${PAYLOAD} · ${PAYLOAD}7`);
    assert.deepEqual(elements(node).map((n) => n.tagName), ["LI", "STRONG"]);
  });

  test("attributes are set as values; null, undefined and false are left out", () => {
    const node = el("button", { type: "button", "aria-pressed": "true", title: PAYLOAD, hidden: true, disabled: false, id: null }, [], fakeDocument);
    assert.equal(node.getAttribute("title"), PAYLOAD);
    assert.equal(node.getAttribute("hidden"), "");
    assert.equal(node.getAttribute("disabled"), null);
    assert.equal(node.getAttribute("id"), null);
  });

  test("inline handlers are refused", () => {
    for (const key of ["onclick", "onError", "ONLOAD"]) {
      assert.throws(() => el("img", { [key]: "alert(1)" }, [], fakeDocument), /addEventListener/);
    }
  });

  test("links keep relative and web URLs and drop script URLs", () => {
    const href = (url) => el("a", { href: url }, [], fakeDocument).getAttribute("href");
    assert.equal(href("/cases/C-1/"), "/cases/C-1/");
    assert.equal(href("https://example.gov.cn/a"), "https://example.gov.cn/a");
    assert.equal(href("javascript:alert(1)"), null);
    assert.equal(href(" JaVa\tScRiPt:alert(1)"), null);
    assert.equal(el("img", { src: "data:text/html,x" }, [], fakeDocument).getAttribute("src"), null);
  });

  test("style and dataset go through the CSSOM and dataset, not attributes", () => {
    const node = el("span", { style: { background: "#fff" }, dataset: { code: PAYLOAD } }, [], fakeDocument);
    assert.deepEqual(node.style, { background: "#fff" });
    assert.equal(node.dataset.code, PAYLOAD);
    assert.equal(node.getAttribute("style"), null);
  });

  test("fill replaces the children with text and nodes", () => {
    const list = el("ul", {}, [el("li", { text: "old" }, [], fakeDocument)], fakeDocument);
    fill(list, [PAYLOAD, null, el("li", { text: "new" }, [], fakeDocument)]);
    assert.equal(list.textContent, PAYLOAD + "new");
    assert.equal(list.childNodes.length, 2);
  });
});

test("safeUrl", () => {
  assert.equal(safeUrl("blob:http://x/1"), "blob:http://x/1");
  assert.equal(safeUrl("tel:12345"), "tel:12345");
  assert.equal(safeUrl("?page=2"), "?page=2");
  assert.equal(safeUrl("vbscript:x"), null);
  assert.equal(safeUrl("\u0000javascript:x"), null);
});

test("escapeHtml turns markup into the text it spells", () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
});

test("fmt fills named placeholders and leaves unknown ones", () => {
  assert.equal(fmt("第%(n)s条 · %(missing)s", { n: 3 }), "第3条 · %(missing)s");
  assert.equal(fmt("%(name)s", { name: PAYLOAD }), PAYLOAD);
  assert.equal(fmt("%(toString)s", {}), "%(toString)s");
});
