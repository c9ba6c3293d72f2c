// The shape of src/, for the `check` task: no import cycle between files (type-only imports count,
// as they tie layers together all the same), no file over 600 lines, and, when the checkout has
// scripts/src_layers.json, imports that point down its layers: a file imports files of its own layer
// or lower ones, the folders of a layer marked `apart` never import each other, and only the files
// `grpc.only` names import the gRPC packages; every file is in a layer, and every entry names a file.
// Usage: node scripts/check_shape.mjs [CHECKOUT]   (default: this checkout). Exit 1 on any problem.
//
// Imports are read from statements that start a line (`import ... from`, `export ... from`,
// `import "..."`) and from `import("...")` calls outside comments, so the examples in JSDoc do not count.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const MAX_LINES = 600;

const checkout = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
const root = join(checkout, "src");
const files = sourceFiles(root);
const known = new Set(files);
const graph = new Map(files.map((file) => [file, localImports(file).filter((target) => known.has(target))]));

const problems = [];
for (const knot of stronglyConnected(graph)) {
  const path = shortestCycle(knot[0], new Set(knot), graph);
  const others = knot.length > path.length - 1 ? ` (${knot.length} files tied together)` : "";
  problems.push(`import cycle: ${path.map(show).join(" -> ")}${others}`);
}
for (const file of files) {
  const lines = lineCount(readFileSync(file, "utf8"));
  if (lines > MAX_LINES) problems.push(`too long: ${show(file)} has ${lines} lines (at most ${MAX_LINES})`);
}
const layersFile = join(checkout, "scripts", "src_layers.json");
if (existsSync(layersFile)) problems.push(...layerProblems(JSON.parse(readFileSync(layersFile, "utf8"))));

for (const problem of problems) console.error(problem);
if (problems.length > 0) {
  console.error(
    `check_shape: ${problems.length} problems in ${
      show(root)
    }/: break cycles by moving shared types down, split long files, import only down the layers`,
  );
  process.exit(1);
}
const layered = existsSync(layersFile) ? ", imports down its layers" : "";
console.log(
  `check_shape: ${files.length} files in ${show(root)}/, no import cycle, none over ${MAX_LINES} lines${layered}`,
);

/** Where imports go against the layers of `scripts/src_layers.json` (see the top of this file). */
function layerProblems({ layers, grpc }) {
  const inEntry = (file, entry) => {
    const path = relative(root, file);
    return entry.endsWith("/") ? path.startsWith(entry) : path === entry;
  };
  const place = (file) => {
    for (let rank = 0; rank < layers.length; rank++) {
      const entry = layers[rank].files.find((candidate) => inEntry(file, candidate));
      if (entry !== undefined) return { rank, entry };
    }
    return undefined;
  };
  const found = [];
  const entries = [
    ...layers.flatMap((layer) => layer.files.map((entry) => ({ entry, owner: `layer ${layer.name}` }))),
    ...(grpc?.only ?? []).map((entry) => ({ entry, owner: "grpc.only" })),
  ];
  for (const { entry, owner } of entries) {
    if (!files.some((file) => inEntry(file, entry))) {
      found.push(
        `no file: "${entry}" (${owner}) in scripts/src_layers.json matches no file in src/ (remove or rename it)`,
      );
    }
  }
  for (const file of files) {
    const from = place(file);
    if (from === undefined) {
      found.push(`no layer: ${show(file)} is in none of scripts/src_layers.json (add it where README's Layout has it)`);
      continue;
    }
    for (const target of graph.get(file)) {
      const to = place(target);
      if (to === undefined) continue;
      const name = (at) => layers[at.rank].name;
      if (to.rank > from.rank) {
        found.push(`import up: ${show(file)} (${name(from)}) imports ${show(target)} (${name(to)})`);
      } else if (to.rank === from.rank && layers[to.rank].apart && to.entry !== from.entry) {
        found.push(
          `import across: ${show(file)} imports ${show(target)}; ${layers[to.rank].files.join(", ")} stay apart`,
        );
      }
    }
    if (grpc && !grpc.only.some((entry) => inEntry(file, entry))) {
      for (const specifier of importSpecifiers(file)) {
        if (grpc.packages.some((name) => specifier === name || specifier.startsWith(`${name}/`))) {
          found.push(`gRPC import: ${show(file)} imports ${specifier}; only ${grpc.only.join(", ")} may`);
        }
      }
    }
  }
  return found;
}

function show(file) {
  return relative(checkout, file) || ".";
}

/** Every `.ts` file under `folder`, tests excluded, in a stable order. */
function sourceFiles(folder) {
  return readdirSync(folder, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts") ? [path] : [];
    });
}

/** The files that `file` imports by a relative specifier, resolved to absolute paths. */
function localImports(file) {
  return importSpecifiers(file)
    .filter((specifier) => specifier.startsWith("./") || specifier.startsWith("../"))
    .map((specifier) => resolve(dirname(file), specifier));
}

/** Every specifier `file` imports, as written. */
function importSpecifiers(file) {
  const text = readFileSync(file, "utf8");
  const specifiers = [];
  // Between the keyword and `from` only names, braces, commas and `*` (no `(`, `=` or `/`), so that a
  // statement is never read on into the code or JSDoc after it.
  const fromStatement = /^[ \t]*(?:import|export)\b[\w\s{},*$]*?\bfrom\s*["']([^"']+)["']/gm;
  const bareImport = /^[ \t]*import\s*["']([^"']+)["']/gm;
  for (const match of [...text.matchAll(fromStatement), ...text.matchAll(bareImport)]) specifiers.push(match[1]);
  for (const line of text.split("\n")) {
    const code = line.trimStart();
    if (code.startsWith("//") || code.startsWith("*") || code.startsWith("/*")) continue;
    for (const match of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) specifiers.push(match[1]);
  }
  return specifiers;
}

/** The strongly connected components with more than one file, or with a file importing itself (Tarjan). */
function stronglyConnected(edges) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const knots = [];
  let next = 0;
  const visit = (file) => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file)) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file), low.get(target)));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file), index.get(target)));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const knot = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      knot.push(member);
    } while (member !== file);
    if (knot.length > 1 || edges.get(file).includes(file)) knots.push(knot.sort());
  };
  for (const file of edges.keys()) if (!index.has(file)) visit(file);
  return knots;
}

/** A shortest path from `start` back to itself inside `knot` (breadth first), as a list of files. */
function shortestCycle(start, knot, edges) {
  const cameFrom = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const target of edges.get(file)) {
      if (!knot.has(target)) continue;
      if (target === start) {
        const between = [];
        for (let at = file; at !== start; at = cameFrom.get(at)) between.unshift(at);
        return [start, ...between, start];
      }
      if (!cameFrom.has(target)) {
        cameFrom.set(target, file);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

function lineCount(text) {
  const breaks = text.split("\n").length - 1;
  return text.endsWith("\n") || text === "" ? breaks : breaks + 1;
}
