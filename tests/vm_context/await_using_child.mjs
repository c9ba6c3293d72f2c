// Run by vm_context_test.ts as `node --experimental-vm-modules await_using_child.mjs`, after `npm run build`. Loads
// the built package into a vm context, as Vitest's vmThreads and vmForks pools load a test file and the packages it
// imports: the context has its own intrinsics, and on Node 20 and 22 its own `Symbol` has no `asyncDispose`. There,
// dispose_in_context.mjs disposes of the fake API server and of a watch as a compiled `await using` does. Node's
// built-in modules and the package's dependencies come from the main context.
// Prints one JSON line: Node's version and what the context saw.
import { createContext, runInContext, SourceTextModule, SyntheticModule } from "node:vm";
import { readFile } from "node:fs/promises";

// Node's globals (fetch, setTimeout, process, ...) added, the context's own intrinsics (Symbol, Promise, ...) kept.
const context = createContext();
const own = runInContext("globalThis", context);
for (const name of Object.getOwnPropertyNames(globalThis)) {
  // Values, not descriptors: Node's getters (crypto) refuse a `this` that is not the main context's global.
  if (!(name in own)) {
    Object.defineProperty(context, name, { value: globalThis[name], writable: true, configurable: true });
  }
}

/** @type {Map<string, Promise<import("node:vm").Module>>} */
const modules = new Map();

/** The module that `specifier` names from `parent` (a URL): the package's own files run in the context. */
function load(specifier, parent) {
  const local = specifier.startsWith(".") || specifier.startsWith("file:");
  const key = local ? new URL(specifier, parent).href : specifier;
  let module = modules.get(key);
  if (module === undefined) {
    module = local ? ownModule(key) : outsideModule(specifier);
    modules.set(key, module);
  }
  return module;
}

/** A file of the built package, compiled in the context. */
async function ownModule(url) {
  return new SourceTextModule(await readFile(new URL(url), "utf8"), {
    identifier: url,
    context,
    initializeImportMeta(meta) {
      meta.url = url;
    },
    importModuleDynamically: (specifier, script) => ready(load(specifier, script.identifier)),
  });
}

/** A built-in module or a dependency, imported in the main context and handed over as it is. */
async function outsideModule(specifier) {
  const namespace = await import(specifier);
  const names = Object.keys(namespace);
  return new SyntheticModule(names, function () {
    for (const name of names) this.setExport(name, namespace[name]);
  }, { identifier: specifier, context });
}

/** `module` linked and evaluated. */
async function ready(pending) {
  const module = await pending;
  if (module.status === "unlinked") await module.link((specifier, parent) => load(specifier, parent.identifier));
  if (module.status === "linked") await module.evaluate();
  return module;
}

// The entry runs in the context: its run() gives back what it saw.
const entry = new URL("./dispose_in_context.mjs", import.meta.url).href;
const test = await ready(load(entry, entry));
console.log(JSON.stringify({ node: process.versions.node, ...await test.namespace.run() }));
