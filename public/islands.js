// Hydrates the page's islands: loads the app's wasm when the browser is
// idle, then runs each <leptos-island>'s component on its server-rendered
// markup. A cached file rather than a script inlined in every page; the
// <script> tag that loads it names the bundle in data-js and data-wasm.
const tag = document.querySelector('script[data-wasm]');

// The on-hydrate callbacks of the <leptos-children> being walked, innermost
// last: an island inside another island's children runs its parent's first.
const childCallbacks = [];

async function hydrateIsland(element, bundle) {
  const component = bundle[element.dataset.component];
  if (!component) {
    console.warn(`no island named ${element.dataset.component} in the bundle`);
    return;
  }
  const parentChildren = childCallbacks[childCallbacks.length - 1];
  if (parentChildren) parentChildren();
  await component(element);
}

async function walk(node, bundle) {
  if (node.nodeType !== Node.ELEMENT_NODE) return;
  const name = node.localName;
  if (name === 'leptos-island') await hydrateIsland(node, bundle);
  if (name === 'leptos-children') childCallbacks.push(node.$$on_hydrate);
  for (const child of node.children) await walk(child, bundle);
  if (name === 'leptos-children') childCallbacks.pop();
}

async function start() {
  const bundle = await import(tag.dataset.js);
  await bundle.default({ module_or_path: tag.dataset.wasm });
  bundle.hydrate();
  await walk(document.body, bundle);
}

if (tag) {
  if ('requestIdleCallback' in window) requestIdleCallback(start);
  else start();
}
