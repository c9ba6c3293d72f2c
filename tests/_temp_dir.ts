// Temporary folders for the tests: removed with all they hold however the test ends (pass, failed assertion,
// throw), so that running the suite does not fill the temporary folder (TMPDIR, else /tmp) with kubeconfigs,
// plugins and key files. scripts/deno_test.mjs fails a run that leaves anything there.

/** A temporary folder that `await using` removes, with what it holds, when the block that holds it ends. */
export interface TempDir extends AsyncDisposable {
  /** The folder's path. */
  readonly path: string;
}

/**
 * Makes a temporary folder in the system's temporary folder (TMPDIR, else /tmp).
 *
 * @example Removed when the test ends
 * ```ts ignore
 * await using dir = await tempDir("kgr-plugin-");
 * await Deno.writeTextFile(`${dir.path}/plugin`, "#!/bin/sh\n");
 * ```
 *
 * @param prefix The start of the folder's name, which says which test made it.
 * @returns The folder; `await using` removes it.
 */
export async function tempDir(prefix = "kgr-test-"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}
