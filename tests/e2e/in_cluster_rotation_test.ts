// The in-cluster service account's files rotated under a running watch, as the kubelet rotates them: a new
// folder and one rename of `..data` (see pod_sandbox.ts). The old token is revoked (its bound Secret deleted)
// and kube-apiserver restarted, so that every request authenticates again. On Node, Bun and Deno side by side
// (one set of restarts for the three), Deno with only the permissions README's Install section lists (reads
// limited to the checkout and the service account's folder as written), not -A. Needs root, `unshare` and the
// local control plane (skipped without). Only watches: no address is dialed.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { applyEndpointSlice, createSecret, deleteNamespace, deleteSecret, requestToken } from "./kube_objects.ts";
import { canUnshareMounts, startInPod, writeProjectedVolume } from "./pod_sandbox.ts";
import { openTestCluster, readerSetup } from "./test_cluster.ts";

const log = (line: string) => console.log(`    [in-cluster rotation] ${line}`);
const root = new URL("../../", import.meta.url).pathname;

/** The README's --allow-env list for Deno. */
const DENO_ENV =
  "GRPC_*,grpc_proxy,no_grpc_proxy,HTTPS_PROXY,https_proxy,HTTP_PROXY,http_proxy,REQUEST_METHOD,NO_PROXY," +
  "no_proxy,JEST_WORKER_ID,UNDICI_NO_WASM_SIMD,LOG_TOKENS,LOG_STREAM,KUBECONFIG,HOME,KUBERNETES_SERVICE_HOST," +
  "KUBERNETES_SERVICE_PORT,POD_NAMESPACE,NODE_NAME,ZONE";

/** Each runtime's command that runs a script in the pod; Deno with the permissions README lists for a pod. */
function podRuntimes(apiServer: string): Record<string, string[]> {
  const read = `--allow-read=${root},/var/run/secrets/kubernetes.io/serviceaccount`;
  return {
    node: ["node"],
    bun: [join(root, "node_modules/.bin/bun")],
    deno: [join(root, "node_modules/.bin/deno"), "run", read, `--allow-net=${apiServer}`, `--allow-env=${DENO_ENV}`],
  };
}

/** What the pod's client printed: snapshots' hosts and errors, in order, with a way to wait for the next one. */
function readLines(stream: NodeJS.ReadableStream) {
  const lines: ({ hosts: string[] } | { error: string })[] = [];
  let wake: (() => void) | undefined;
  createInterface({ input: stream }).on("line", (line) => {
    lines.push(JSON.parse(line));
    wake?.();
  });
  return {
    lines,
    async waitFor<T>(what: string, find: (line: (typeof lines)[number]) => T | undefined, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (let seen = 0;;) {
        for (; seen < lines.length; seen++) {
          const found = find(lines[seen]);
          if (found !== undefined) return found;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`Timed out waiting for ${what}: got ${JSON.stringify(lines)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}

Deno.test({
  name:
    "in a pod: a rotated service account token is read again after a 401, and a revoked one recovers once the kubelet writes a new one",
  ignore: !(await canUnshareMounts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    assert.ok(existsSync(join(root, "dist/mod.js")), "the Node client needs the build: run `npm run build`");
    const cluster = await openTestCluster(log);
    const directory = await mkdtemp(join(tmpdir(), "kgr-in-cluster-rotation-"));
    let namespace: string | undefined;
    const children: ReturnType<typeof startInPod>[] = [];
    try {
      const controlPlane = cluster.controlPlane;
      if (!controlPlane) {
        await t.step({ name: "needs the local control plane", ignore: true, fn: () => {} });
        return;
      }
      const fetch = cluster.adminFetch;
      namespace = (await readerSetup(cluster, "e2e-rotation")).namespace;
      const ns = namespace;
      const slice = (count: number) =>
        applyEndpointSlice(fetch, ns, "echo", {
          name: "echo-a",
          endpoints: Array.from({ length: count }, (_, i) => ({ addresses: [`10.23.0.${i + 1}`], pod: `p-${i}` })),
        });
      /** A token that stops working when `revoke(name)` deletes its Secret. */
      const token = async (name: string) =>
        requestToken(fetch, ns, "reader", { boundSecret: await createSecret(fetch, ns, name) });
      const revoke = (name: string) => deleteSecret(fetch, ns, name);
      const volume = join(directory, "serviceaccount");
      const rotate = (value: string) =>
        writeProjectedVolume(volume, { token: value, "ca.crt": controlPlane.ca, namespace: ns });
      /** Restarts kube-apiserver: the open watch was authenticated when it began, a new one authenticates again. */
      const restart = async () => {
        await controlPlane.killApiServer();
        await controlPlane.startApiServer();
      };

      const server = new URL(cluster.server);
      // The three runtimes' pods run side by side on one volume, through the same rotations and kube-apiserver
      // restarts (8-10 s each): one run of them, not one per runtime.
      await slice(1);
      await rotate(await token("a"));
      const pods = Object.entries(podRuntimes(server.host)).map(([runtime, command]) => {
        const child = startInPod(volume, [
          ...command,
          join(root, "tests/e2e/in_cluster_watch_client.mjs"),
          "kubernetes:///echo:grpc",
        ], {
          KUBERNETES_SERVICE_HOST: server.hostname,
          KUBERNETES_SERVICE_PORT: server.port,
          HOME: directory,
        });
        children.push(child);
        let stderr = "";
        child.stderr!.on("data", (chunk) => stderr += chunk);
        return { runtime, output: readLines(child.stdout!), stderr: () => stderr };
      });
      type Line = (typeof pods)[number]["output"]["lines"][number];
      /** Waits for each pod's first line that `find` takes, and logs when it came. */
      const each = <T>(what: string, find: (line: Line) => T | undefined, since?: number, timeoutMs?: number) =>
        Promise.all(pods.map(async ({ runtime, output, stderr }) => {
          const found = await output.waitFor(`${runtime}: ${what}`, find, timeoutMs).catch((error: Error) => {
            throw new Error(`${error.message}; its standard error: ${stderr() || "(empty)"}`);
          });
          if (since !== undefined) log(`${runtime}: ${what} ${Date.now() - since} ms after`);
          return found;
        }));
      const hosts = (count: number) => (line: Line) =>
        "hosts" in line && line.hosts.length === count ? line : undefined;
      await each("1 endpoint", hosts(1), undefined, 45_000);

      // Rotated, then the old token revoked: the first 401 re-reads the file at once, and goes unreported.
      await rotate(await token("b"));
      await revoke("a");
      await restart();
      let started = Date.now();
      await slice(2);
      await each("2 endpoints with the rotated token (after the restart)", hosts(2), started);
      for (const { runtime, output } of pods) {
        const refused = output.lines.filter((line) => "error" in line && /\b401\b/.test(line.error));
        assert.deepEqual(
          refused,
          [],
          `${runtime}: a rotated token's first 401 is retried at once with the file read again`,
        );
      }

      // The token in use and the file's are both revoked (a kubelet that has not rotated it yet): the second 401 is
      // reported, with what to do and without the token; the watch recovers once the file holds a good token.
      const revoked = await token("c");
      await rotate(revoked);
      await revoke("b");
      await revoke("c");
      await restart();
      await slice(3);
      const errors = await each(
        "the 401",
        (line) => "error" in line && /\b401\b/.test(line.error) ? line.error : undefined,
      );
      log(`reported: ${errors[0]}`);
      for (const [index, error] of errors.entries()) {
        const { runtime } = pods[index];
        assert.match(error, /\/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token/, runtime);
        assert.ok(!error.includes(revoked) && !error.includes(revoked.split(".")[1]), `${runtime}: the token is shown`);
      }
      started = Date.now();
      await rotate(await token("d"));
      await each("3 endpoints with the new token (after the kubelet wrote it)", hosts(3), started);
      for (const { runtime, stderr } of pods) assert.equal(stderr(), "", `${runtime}: nothing on standard error`);
    } finally {
      for (const child of children) {
        child.stdin?.end();
        if (child.exitCode === null && child.signalCode === null) {
          await new Promise((resolve) => child.once("exit", resolve));
        }
      }
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
      await rm(directory, { recursive: true, force: true });
      await cluster.stop();
    }
  },
});
