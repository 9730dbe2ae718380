/* Building the page from data, as text only.

   Every string a person or an import can set (names, codes, descriptions, reasons, file names,
   server messages) reaches the DOM through these helpers: as a text node or textContent, never
   as HTML. Scripts never assign innerHTML, outerHTML or insertAdjacentHTML, never pass a string
   to Leaflet's bindTooltip/bindPopup (see leaflet-map.js: bindText), and never set an inline
   event handler or style attribute (the pages run under a Content-Security-Policy without
   'unsafe-inline'). tests/js/no_html_sinks.test.mjs holds every script to this. */

export const $ = (selector, root) => (root || document).querySelector(selector);
export const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

/** The JSON a page put in a `json_script` tag (inert data, never run). */
export function readJson(id, doc = document) {
  return JSON.parse(doc.getElementById(id).textContent);
}

/** Fills Django-style %(name)s placeholders; unknown names stay as they are. */
export function fmt(text, params) {
  const values = params || {};
  return String(text).replace(/%\((\w+)\)s/g, (all, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all,
  );
}

// Schemes a link or image may use; anything else (javascript:, data:, vbscript:…) is dropped.
const SAFE_SCHEMES = new Set(["http:", "https:", "blob:", "mailto:", "tel:"]);
const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "xlink:href"]);

/** `value` when it is a relative URL or uses a safe scheme, else null. */
export function safeUrl(value) {
  const text = String(value);
  // Browsers ignore ASCII whitespace and control characters inside a scheme: "java\tscript:".
  const bare = text.replace(/[\u0000-\u0020\u007f]/g, "");
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(bare);
  if (!scheme) return text;
  return SAFE_SCHEMES.has(scheme[1].toLowerCase() + ":") ? text : null;
}

/** Plain text as HTML source, for the one API that insists on HTML (Leaflet's attribution). */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c],
  );
}

/**
 * An element with attributes and children, all as text.
 *
 * attrs: `text` sets textContent; `className`; `style` takes an object of CSS properties (set
 * through the CSSOM, which a strict CSP allows); `dataset` an object of data-* values; URL
 * attributes keep only safe URLs; `on…` attributes are refused: handlers are added with
 * addEventListener. children: strings and numbers become text nodes; null/undefined/false are
 * skipped; nodes are appended as they are.
 */
export function el(tag, attrs, children, doc) {
  const owner = doc || document;
  const node = owner.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "className") node.className = String(value);
    else if (key === "style") Object.assign(node.style, value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (/^on/i.test(key)) throw new Error(`el(): no inline handler (${key}); use addEventListener`);
    else if (URL_ATTRIBUTES.has(key.toLowerCase())) {
      const url = safeUrl(value);
      if (url !== null) node.setAttribute(key, url);
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children, owner);
  return node;
}

/** Appends children (strings as text nodes) to `node`. */
export function append(node, children, doc) {
  const owner = doc || node.ownerDocument || document;
  for (const child of children || []) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(
      typeof child === "string" || typeof child === "number"
        ? owner.createTextNode(String(child))
        : child,
    );
  }
  return node;
}

/** Empties `node` and fills it with `children` (as `append`). */
export function fill(node, children) {
  node.textContent = "";
  return append(node, children);
}

/**
 * The server's HTML (a page or a fragment rendered by Django's escaping templates) as an inert
 * document: its scripts never run and nothing in it is live until moved into the page.
 */
export function parseServerHtml(html) {
  return new DOMParser().parseFromString(html, "text/html");
}

/**
 * Moves the children of `source` (from parseServerHtml) into `target`, replacing what it held.
 * The nodes themselves move: the markup is never serialised and parsed again, which is how
 * mutation XSS slips through innerHTML copies.
 */
export function moveChildren(target, source) {
  target.replaceChildren(...Array.from(source.childNodes));
}
