// A temporary folder of its own for a run of tests: the runners (scripts/deno_test.mjs) give it to their children as
// TMPDIR, which Deno, Node, Bun, Go and the shell's mktemp all use, then name whatever the run left in it, fail the
// run for it, and remove the folder. A test that does not remove what it made there filled the /tmp of whoever ran
// the suite (2,987 folders in a day on one machine, with kubeconfigs, exec plugins and key files); a run that was
// killed (Ctrl-C, a time limit) runs no `finally` and leaves its files here too, removed with the folder.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** How many leftovers a report names, and how many entries of each folder it shows. */
const SHOWN = 20;

/**
 * Makes a temporary folder for a run of tests.
 *
 * @param {string} label What runs in it, for the report.
 * @returns {Promise<{ path: string, leftovers(): Promise<string | undefined>, remove(): Promise<void> }>} The
 *   folder: `leftovers()` describes what is in it (undefined when empty), `remove()` removes it whatever it holds.
 */
export async function ownTmpdir(label) {
  const path = await mkdtemp(join(tmpdir(), "kgr-test-tmp-"));
  return {
    path,
    async leftovers() {
      const names = (await readdir(path)).sort();
      if (names.length === 0) return undefined;
      const shown = await Promise.all(
        names.slice(0, SHOWN).map(async (name) => {
          // A folder shows what it holds, which tells the test that made it when its name is random.
          const inside = await readdir(join(path, name)).catch(() => undefined);
          if (inside === undefined) return name;
          const more = inside.length > SHOWN ? ", ..." : "";
          return `${name}/ (${inside.sort().slice(0, SHOWN).join(", ")}${more})`;
        }),
      );
      const more = names.length > SHOWN ? `\n  ... and ${names.length - SHOWN} more` : "";
      return `${label} left ${names.length} file(s) in its TMPDIR: each test must remove what it makes there, ` +
        `however it ends (tests/_temp_dir.ts does so for a folder):\n  ${shown.join("\n  ")}${more}\n`;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
