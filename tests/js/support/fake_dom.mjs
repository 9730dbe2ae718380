// A tiny stand-in for the browser's document, enough for lib/dom.js's builders. Writing HTML
// into it (innerHTML, outerHTML, insertAdjacentHTML) throws: a helper that tried would fail.

class FakeText {
  constructor(data) {
    this.nodeType = 3;
    this.data = data;
  }
  get textContent() {
    return this.data;
  }
}

class FakeElement {
  constructor(tag) {
    this.nodeType = 1;
    this.tagName = tag.toUpperCase();
    this.childNodes = [];
    this.attributes = new Map();
    this.style = {};
    this.dataset = {};
    this.className = "";
  }
  appendChild(child) {
    this.childNodes.push(child);
    return child;
  }
  setAttribute(name, value) {
    this.attributes.set(name, String(value));
  }
  getAttribute(name) {
    return this.attributes.has(name) ? this.attributes.get(name) : null;
  }
  get textContent() {
    return this.childNodes.map((c) => c.textContent).join("");
  }
  set textContent(value) {
    this.childNodes = value === "" ? [] : [new FakeText(String(value))];
  }
  set innerHTML(value) {
    throw new Error(`innerHTML written: ${value}`);
  }
  set outerHTML(value) {
    throw new Error(`outerHTML written: ${value}`);
  }
  insertAdjacentHTML() {
    throw new Error("insertAdjacentHTML called");
  }
}

export const fakeDocument = {
  createElement(tag) {
    const node = new FakeElement(tag);
    node.ownerDocument = fakeDocument;
    return node;
  },
  createTextNode: (data) => new FakeText(data),
};

/** Every element under `node` (itself included). */
export function elements(node) {
  if (node.nodeType !== 1) return [];
  return [node, ...node.childNodes.flatMap(elements)];
}
