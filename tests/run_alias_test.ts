// /var/run links to /run, but Deno checks a path as written: a pod's process granted the service account's folder as
// /run/secrets/... is refused /var/run/secrets/..., and the advice says which spelling to grant (README, Install).
import assert from "node:assert/strict";
import { denoOutput } from "./_deno_output.ts";

const CHILD = new URL("./run_alias/read_child.ts", import.meta.url).pathname;
const SA = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The child's advice for each path, run with only `grant` to read. */
async function advice(grant: string, paths: string[]): Promise<string[]> {
  return (await denoOutput(["run", "--no-prompt", `--allow-read=${grant}`, CHILD, ...paths])).split("\n");
}

Deno.test("readRefusal() says to grant /var/run/... when Deno was granted the file under /run/ only, and back", async () => {
  const plain = "run it with --allow-read, or add the file to its list";
  assert.deepEqual(await advice("/run/secrets/kubernetes.io/serviceaccount", [`${SA}/token`, "/var/run/other/token"]), [
    `${plain}: the grant names it under /run/, but Deno checks the path as written (under /var/run/), not where a ` +
    "link points: grant it under /var/run/",
    plain,
  ]);
  assert.deepEqual(await advice(SA, ["/run/secrets/kubernetes.io/serviceaccount/ca.crt"]), [
    `${plain}: the grant names it under /var/run/, but Deno checks the path as written (under /run/), not where a ` +
    "link points: grant it under /run/",
  ]);
});
