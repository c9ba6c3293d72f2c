// A project's node_modules as a package manager leaves it, with a module of @kgr/resolver inside, for the tests of
// installedBy() and of the advice in its package manager's words.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** Writes `advice.ts` in `folder`, which prints `name(moduleUrl)` of the advice module, and gives its path. */
export async function adviceScript(
  folder: string,
  name: "oneCopyAdvice" | "installedBy",
  moduleUrl: string,
): Promise<string> {
  const path = name === "installedBy" ? "../src/runtime/installed_by.ts" : "../src/adapters/_one_copy_advice.ts";
  const module = new URL(path, import.meta.url).href;
  const script = join(folder, "advice.ts");
  await writeFile(
    script,
    `import { ${name} } from ${JSON.stringify(module)};\nconsole.log(${name}(${JSON.stringify(moduleUrl)}));\n`,
  );
  return script;
}

/** A project whose node_modules holds `mark`, and the URL of a module of the package inside it. */
export async function project(mark: string | undefined): Promise<{ folder: string; moduleUrl: string }> {
  const folder = await mkdtemp(join(tmpdir(), "kgr-one-copy-"));
  const dist = join(folder, "node_modules", "@kgr", "resolver", "dist");
  await mkdir(dist, { recursive: true });
  if (mark !== undefined) await writeFile(join(folder, "node_modules", mark), "");
  return { folder, moduleUrl: pathToFileURL(join(dist, "nice_grpc.js")).href };
}
