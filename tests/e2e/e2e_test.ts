// watchEndpoints() against a real Kubernetes API server: the cluster of
// E2E_KUBECONFIG when set, else etcd + kube-apiserver started for this file
// (build them once with `bash scripts/control_plane/build.sh`).
//
// Only watchEndpoints() runs here, no gRPC client: the EndpointSlice
// addresses (10.x, 2001:db8::/32) are never dialed.
import assert from "node:assert/strict";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EndpointSnapshot } from "@kgr/resolver";
import { setTraceSink } from "../../src/runtime/trace.ts";
import { auditedRequests, describeRequests, isRelist, isWatch, waitForAudit } from "./audit_log.ts";
import { clientKubeconfig } from "./echo_clients.ts";
import { type EndpointRecorder, recordEndpoints } from "./endpoint_recorder.ts";
import { startIdleCuttingProxy } from "./idle_cutting_proxy.ts";
import {
  applyEndpointSlice,
  bindEndpointSliceReader,
  createEndpointSliceReaderRole,
  createNamespace,
  createSecret,
  createService,
  createServiceAccount,
  deleteEndpointSlice,
  deleteNamespace,
  deleteSecret,
  type EndpointSpec,
  listEndpointSlices,
  requestToken,
  tokenId,
} from "./kube_objects.ts";
import { openTestCluster, readerSetup, type TestCluster, tokenCluster } from "./test_cluster.ts";
import { applyNode, applySelectorService, createReadyPod, deleteNode, forgetPod } from "./workloads.ts";

const log = (line: string) => console.log(`    [e2e] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolver diagnostics, printed when a scenario fails. */
const traceLines: { at: number; line: string }[] = [];
setTraceSink((line) => {
  traceLines.push({ at: Date.now(), line });
  if (traceLines.length > 400) traceLines.shift();
});
/** Whether the resolver traced a 410 (expired resourceVersion) since `since`. */
const tracedExpiry = (since: number) => traceLines.some(({ at, line }) => at >= since && /expired/i.test(line));

/** `pod=host,host` of each endpoint, sorted. */
function pods(snapshot: EndpointSnapshot | undefined): string[] {
  return (snapshot?.endpoints ?? []).map((endpoint) => endpoint.podName ?? "?").sort();
}

function samePods(...expected: string[]) {
  const want = [...expected].sort().join(",");
  return (snapshot: EndpointSnapshot) => pods(snapshot).join(",") === want;
}

function endpoints(prefix: string, count: number, subnet: string, extra: Partial<EndpointSpec> = {}): EndpointSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    addresses: [`${subnet}.${Math.floor(i / 250)}.${(i % 250) + 1}`],
    pod: `${prefix}-${String(i).padStart(3, "0")}`,
    ...extra,
  }));
}

/** The Node the large Service's pods run on. */
const LARGE_NODE = "kgr-e2e-large-node";

/**
 * Starts the local control plane's EndpointSlice controller and creates a Node for pods;
 * false where Nodes cannot be created (an E2E_KUBECONFIG cluster without the rights).
 */
async function startControllerWithNode(cluster: TestCluster, node: string): Promise<boolean> {
  await cluster.controlPlane?.startControllerManager();
  try {
    await applyNode(cluster.adminFetch, node, "zone-a");
    return true;
  } catch (error) {
    if (cluster.controlPlane) throw error;
    log(`cannot create Node ${node} on ${cluster.description}: ${(error as Error).message}`);
    return false;
  }
}

/** Settings shared by the scenarios: short backoff so that recoveries are quick. */
const FAST_BACKOFF = { initialMs: 500, maxMs: 2000 };

/** Fails when some snapshot after `from` had fewer than `minimum` endpoints. */
function assertNeverBelow(recorder: EndpointRecorder, minimum: number, from: number, what: string) {
  const shrunk = recorder.snapshots.filter((s) => s.at >= from && s.snapshot.endpoints.length < minimum);
  assert.deepEqual(
    shrunk.map((s) => pods(s.snapshot)),
    [],
    `${what}: a snapshot had fewer than ${minimum} endpoints`,
  );
}

Deno.test({
  name: "watchEndpoints() follows EndpointSlices on a real API server",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const suiteStart = Date.now();
    const cluster = await openTestCluster(log);
    log(`running against ${cluster.description} (control plane up in ${Date.now() - suiteStart} ms)`);
    const timings: [string, number, string][] = [];
    const namespaces: string[] = [];
    const recorders: EndpointRecorder[] = [];
    const follow = (target: string, options: Parameters<typeof recordEndpoints>[1]) => {
      const recorder = recordEndpoints(target, options);
      recorders.push(recorder);
      return recorder;
    };
    let failed = false;

    async function scenario(name: string, fn: () => Promise<string | void>, needsControlPlane = false) {
      const ignore = needsControlPlane && !cluster.controlPlane;
      const start = Date.now();
      let note = "";
      const ok = await t.step({
        name,
        ignore,
        sanitizeOps: false,
        sanitizeResources: false,
        fn: async () => {
          try {
            note = (await fn()) ?? "";
          } finally {
            await Promise.all(recorders.splice(0).map((recorder) => recorder.stop()));
          }
        },
      });
      // An ignored step (one that needs the local control plane, on an E2E_KUBECONFIG cluster) is no failure,
      // though t.step() answers false for it: the namespaces were kept as after one.
      if (!ignore) timings.push([name, Date.now() - start, note]);
      if (!ok && !ignore) failed = true;
    }

    try {
      const admin = { kubeconfig: cluster.adminKubeconfigPath };

      await scenario("snapshots follow add, modify and delete of EndpointSlices", async () => {
        const fetch = cluster.adminFetch;
        const namespace = await createNamespace(fetch, "e2e-slices");
        namespaces.push(namespace);
        await createService(fetch, namespace, "echo");
        const recorder = follow(`kubernetes:///echo.${namespace}:grpc`, { cluster: { ...admin } });
        const first = await recorder.waitFor("the first (empty) snapshot", () => true);
        assert.deepEqual(first.snapshot.endpoints, []);
        assert.equal(first.snapshot.namespace, namespace);
        assert.equal(first.snapshot.service, "echo");

        await applyEndpointSlice(fetch, namespace, "echo", {
          name: "echo-a",
          endpoints: [{ addresses: ["10.10.0.1"], pod: "a0" }, { addresses: ["10.10.0.2"], pod: "a1" }],
        });
        const added = await recorder.waitFor("a0, a1 after ADDED", samePods("a0", "a1"));
        assert.deepEqual(added.snapshot.endpoints.map((e) => e.addresses), [
          [{ host: "10.10.0.1", port: 50051 }],
          [{ host: "10.10.0.2", port: 50051 }],
        ]);

        await applyEndpointSlice(fetch, namespace, "echo", {
          name: "echo-a",
          endpoints: [
            { addresses: ["10.10.0.1"], pod: "a0" },
            { addresses: ["10.10.0.2"], pod: "a1", ready: false },
            { addresses: ["10.10.0.3"], pod: "a2", ready: true },
          ],
        });
        await recorder.waitFor("a0, a2 after MODIFIED (a1 not ready)", samePods("a0", "a2"));

        await applyEndpointSlice(fetch, namespace, "echo", {
          name: "echo-b",
          endpoints: [{ addresses: ["10.10.1.1"], pod: "b0" }],
        });
        await recorder.waitFor("a0, a2, b0 with a second slice", samePods("a0", "a2", "b0"));

        await deleteEndpointSlice(fetch, namespace, "echo-a");
        await recorder.waitFor("b0 after DELETED", samePods("b0"));
        await deleteEndpointSlice(fetch, namespace, "echo-b");
        await recorder.waitFor("no endpoints after the last DELETED", samePods());
        const versions = recorder.snapshots.map((s) => BigInt(s.snapshot.resourceVersion));
        assert.ok(versions.every((v, i) => i === 0 || v > versions[i - 1]), "resourceVersions only grow");
        return `${recorder.snapshots.length} snapshots`;
      });

      await scenario("250 pods that the EndpointSlice controller splits over 3+ slices arrive as one set", async () => {
        const fetch = cluster.adminFetch;
        if (!await startControllerWithNode(cluster, LARGE_NODE)) return "skipped: cannot create a Node here";
        const namespace = await createNamespace(fetch, "e2e-large");
        namespaces.push(namespace);
        await applySelectorService(fetch, namespace, {
          name: "big",
          ports: [{ name: "grpc", port: 80, targetPort: 50051 }],
        });
        const all = endpoints("big", 250, "10.20");
        const applied = Date.now();
        // 25 at a time: the API server takes that well, and 250 one by one take a while.
        for (let i = 0; i < all.length; i += 25) {
          await Promise.all(
            all.slice(i, i + 25).map((endpoint) =>
              createReadyPod(fetch, namespace, {
                name: endpoint.pod!,
                app: "big",
                node: LARGE_NODE,
                ip: endpoint.addresses[0],
                ports: [{ name: "grpc", containerPort: 50051 }],
              })
            ),
          );
        }
        const created = Date.now();
        const recorder = follow(`kubernetes:///big.${namespace}:grpc`, { cluster: { ...admin } });
        const listed = await recorder.waitFor("250 endpoints", (s) => s.endpoints.length === 250);
        const slices = (await listEndpointSlices(fetch, namespace, "big")).items;
        // Usually 100 + 100 + 50. The controller packs the pods that each of its syncs finds new: into the slice it
        // is updating anyway, else into the one unchanged slice where all of them fit, else into new slices
        // (k8s.io/endpointslice reconciler.go, getSliceToFill). Syncs that find many pods at once on a busy
        // controller can leave room that none fills, e.g. 70 + 70 + 70 + 40: three slices at least, all merged.
        const sizes = slices.map((slice) => slice.endpoints?.length ?? 0);
        assert.ok(sizes.length >= 3, JSON.stringify(sizes));
        assert.ok(sizes.every((size) => size <= 100), JSON.stringify(sizes));
        assert.equal(sizes.reduce((sum, size) => sum + size, 0), 250);
        const hosts = new Set(listed.snapshot.endpoints.map((e) => e.addresses[0].host));
        assert.equal(hosts.size, 250);
        // Ten pods go: the controller changes the slices that held them, the others stay.
        await Promise.all(all.slice(240).map((endpoint) => forgetPod(fetch, namespace, endpoint.pod!)));
        const shrunk = await recorder.waitFor("240 endpoints", (s) => s.endpoints.length === 240);
        assert.deepEqual(pods(shrunk.snapshot), all.slice(0, 240).map((e) => e.pod).sort());
        return `250 pods created in ${created - applied} ms, all 250 resolved ${listed.at - created} ms later ` +
          `from slices of ${sizes.join(" + ")}`;
      });

      await scenario("dual-stack slices are grouped per pod, IPv4 first", async () => {
        const fetch = cluster.adminFetch;
        const namespace = await createNamespace(fetch, "e2e-dual");
        namespaces.push(namespace);
        await createService(fetch, namespace, "dual");
        const recorder = follow(`kubernetes:///dual.${namespace}:grpc`, { cluster: { ...admin } });
        await recorder.waitFor("the first snapshot", () => true);
        await applyEndpointSlice(fetch, namespace, "dual", {
          name: "dual-v6",
          addressType: "IPv6",
          endpoints: [{ addresses: ["2001:db8:12::1"], pod: "d0" }, { addresses: ["2001:db8:12::2"], pod: "d1" }],
        });
        await applyEndpointSlice(fetch, namespace, "dual", {
          name: "dual-v4",
          endpoints: [{ addresses: ["10.12.0.1"], pod: "d0" }, { addresses: ["10.12.0.2"], pod: "d1" }],
        });
        const both = await recorder.waitFor(
          "two pods with two addresses each",
          (s) => s.endpoints.length === 2 && s.endpoints.every((e) => e.addresses.length === 2),
        );
        assert.deepEqual(
          both.snapshot.endpoints.map((e) => [e.podName, ...e.addresses.map((a) => a.host)]),
          [["d0", "10.12.0.1", "2001:db8:12::1"], ["d1", "10.12.0.2", "2001:db8:12::2"]],
        );
      });

      await scenario("an unset ready condition counts as ready", async () => {
        const fetch = cluster.adminFetch;
        const namespace = await createNamespace(fetch, "e2e-unset");
        namespaces.push(namespace);
        await createService(fetch, namespace, "unset");
        await applyEndpointSlice(fetch, namespace, "unset", {
          name: "unset-a",
          endpoints: [
            { addresses: ["10.13.0.1"], pod: "u0" },
            { addresses: ["10.13.0.2"], pod: "u1" },
            { addresses: ["10.13.0.3"], pod: "u2", ready: false },
          ],
        });
        const stored = await listEndpointSlices(fetch, namespace, "unset");
        const conditions =
          (stored.items[0] as unknown as { endpoints: { conditions: object }[] }).endpoints[0].conditions;
        assert.deepEqual(conditions, {}, "the server keeps ready unset");
        const recorder = follow(`kubernetes:///unset.${namespace}:grpc`, { cluster: { ...admin } });
        const snapshot = await recorder.waitFor("u0, u1", samePods("u0", "u1"));
        assert.ok(snapshot.snapshot.endpoints.every((e) => e.ready && e.serving && !e.terminating));
      });

      await scenario("serving terminating endpoints are used only while none is ready", async () => {
        const fetch = cluster.adminFetch;
        const namespace = await createNamespace(fetch, "e2e-drain");
        namespaces.push(namespace);
        await createService(fetch, namespace, "drain");
        const recorder = follow(`kubernetes:///drain.${namespace}:grpc`, { cluster: { ...admin } });
        await recorder.waitFor("the first snapshot", () => true);
        const draining = [
          { addresses: ["10.14.0.1"], pod: "t0", ready: false, serving: true, terminating: true },
          { addresses: ["10.14.0.2"], pod: "t1", ready: false, serving: true, terminating: true },
          { addresses: ["10.14.0.3"], pod: "t2", ready: false, serving: false, terminating: true },
        ];
        await applyEndpointSlice(fetch, namespace, "drain", { name: "drain-a", endpoints: draining });
        const fallback = await recorder.waitFor("t0, t1 (serving while terminating)", samePods("t0", "t1"));
        assert.ok(fallback.snapshot.endpoints.every((e) => e.terminating && e.serving && !e.ready));
        await applyEndpointSlice(fetch, namespace, "drain", {
          name: "drain-a",
          endpoints: [...draining, { addresses: ["10.14.0.4"], pod: "r0", ready: true }],
        });
        await recorder.waitFor("only r0 once one is ready", samePods("r0"));
      });

      await scenario("a target without a port uses the Service's first port, not the slice's first", async () => {
        const fetch = cluster.adminFetch;
        const namespace = await createNamespace(fetch, "e2e-ports");
        namespaces.push(namespace);
        await createService(fetch, namespace, "two", [
          { name: "grpc", port: 80, targetPort: 8080 },
          { name: "http", port: 8081 },
        ]);
        // The EndpointSlice controller's order (a hash): http before grpc. Slice ports carry the target port.
        await applyEndpointSlice(fetch, namespace, "two", {
          name: "two-a",
          ports: [{ name: "http", port: 8081 }, { name: "grpc", port: 8080 }],
          endpoints: [{ addresses: ["10.21.0.1"], pod: "t0" }, { addresses: ["10.21.0.2"], pod: "t1" }],
        });
        const stored = await listEndpointSlices(fetch, namespace, "two");
        assert.deepEqual(
          (stored.items[0] as unknown as { ports: { name: string }[] }).ports.map((port) => port.name),
          ["http", "grpc"],
          "the server keeps the slice's port order",
        );
        await createEndpointSliceReaderRole(fetch, namespace);
        await createServiceAccount(fetch, namespace, "reader");
        await bindEndpointSliceReader(fetch, namespace, "reader");
        const onGrpc = (s: EndpointSnapshot) =>
          s.endpoints.length === 2 && s.endpoints.every((e) => e.addresses[0].port === 8080);
        const reader = follow(`kubernetes:///two.${namespace}.svc.cluster.local`, {
          cluster: tokenCluster(cluster, { token: await requestToken(fetch, namespace, "reader") }),
        });
        await reader.waitFor("t0, t1 on the grpc port 8080", onGrpc);
        assert.deepEqual(reader.errors.map((e) => e.error.message), []);

        // Without "get" on "services": the ports found and a target that names one; then the grant.
        await createEndpointSliceReaderRole(fetch, namespace, { name: "slices-only", services: false });
        await createServiceAccount(fetch, namespace, "slices-only");
        await bindEndpointSliceReader(fetch, namespace, "slices-only", "slices-only");
        const denied = follow(`kubernetes:///two.${namespace}`, {
          cluster: tokenCluster(cluster, { token: await requestToken(fetch, namespace, "slices-only") }),
          backoff: FAST_BACKOFF,
        });
        const forbidden = await denied.waitForError("the 403 of the Service read", (e) => e.message.includes("(403"));
        assert.match(forbidden.message, /its EndpointSlices have the ports "grpc" \(8080\), "http" \(8081\)/);
        assert.match(forbidden.message, new RegExp(`grant "get" on "services" .* in namespace "${namespace}"`));
        assert.ok(forbidden.message.endsWith(`name a port in the target, e.g. kubernetes:///two.${namespace}:grpc`));
        assert.equal(denied.snapshots.length, 0);
        const grantedAt = Date.now();
        await bindEndpointSliceReader(fetch, namespace, "slices-only");
        const granted = await denied.waitFor("the grpc port once granted", onGrpc, FAST_BACKOFF.maxMs + 5000);
        return `recovered ${granted.at - grantedAt} ms after the RoleBinding (backoff cap ${FAST_BACKOFF.maxMs} ms)`;
      });

      await scenario("RBAC: the least-privilege token works and a missing grant recovers by itself", async () => {
        const fetch = cluster.adminFetch;
        const { namespace } = await readerSetup(cluster, "e2e-rbac");
        namespaces.push(namespace);
        await applyEndpointSlice(fetch, namespace, "echo", {
          name: "echo-a",
          endpoints: [{ addresses: ["10.15.0.1"], pod: "p0" }, { addresses: ["10.15.0.2"], pod: "p1" }],
        });
        const readerToken = await requestToken(fetch, namespace, "reader");
        const reader = follow(`kubernetes:///echo.${namespace}:grpc`, {
          cluster: tokenCluster(cluster, { token: readerToken }),
        });
        await reader.waitFor("p0, p1 with list+watch only", samePods("p0", "p1"));
        assert.deepEqual(reader.errors.map((e) => e.error.message), []);
        // The Role grants nothing else: a GET of one slice is forbidden to the same token.
        const client = cluster.ca ? Deno.createHttpClient({ caCerts: [cluster.ca] }) : undefined;
        try {
          const get = await globalThis.fetch(
            `${cluster.server}/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/echo-a`,
            { headers: { authorization: `Bearer ${readerToken}` }, client } as RequestInit,
          );
          await get.body?.cancel();
          assert.equal(get.status, 403, "get is not granted");
        } finally {
          client?.close();
        }

        await createServiceAccount(fetch, namespace, "no-role");
        const maxMs = 5000;
        const denied = follow(`kubernetes:///echo.${namespace}:grpc`, {
          cluster: tokenCluster(cluster, { token: await requestToken(fetch, namespace, "no-role") }),
          backoff: { maxMs },
        });
        const forbidden = await denied.waitForError("the 403 error", (e) => e.message.includes("(403"));
        assert.match(
          forbidden.message,
          /grant "(list|watch)" on "endpointslices" in API group "discovery\.k8s\.io" \(a resolver needs "list" and "watch"\)/,
        );
        assert.match(forbidden.message, new RegExp(`in namespace "${namespace}"`));
        // Let the backoff grow to its cap before granting.
        await denied.waitForError("a third 403", () => denied.errors.length >= 3, 20_000);
        assert.equal(denied.snapshots.length, 0);
        const granted = Date.now();
        await bindEndpointSliceReader(fetch, namespace, "no-role");
        const recovered = await denied.waitFor("p0, p1 after the RoleBinding", samePods("p0", "p1"), maxMs + 5000);
        const took = recovered.at - granted;
        assert.ok(took <= maxMs + 1500, `recovered ${took} ms after the RoleBinding, backoff cap is ${maxMs} ms`);
        return `recovered ${took} ms after the RoleBinding (cap ${maxMs} ms), ${denied.errors.length} errors before`;
      });

      await scenario(
        "token rotation: a new token file replaces an invalidated token without losing endpoints",
        async () => {
          const fetch = cluster.adminFetch;
          const { namespace, username } = await readerSetup(cluster, "e2e-token");
          namespaces.push(namespace);
          await applyEndpointSlice(fetch, namespace, "echo", {
            name: "echo-a",
            endpoints: [{ addresses: ["10.16.0.1"], pod: "p0" }, { addresses: ["10.16.0.2"], pod: "p1" }],
          });
          const dir = await mkdtemp(join(tmpdir(), "kgr-e2e-token-"));
          try {
            const tokenFile = join(dir, "token");
            const writeToken = async (token: string) => {
              await writeFile(`${tokenFile}.new`, token);
              await rename(`${tokenFile}.new`, tokenFile); // atomic, as the kubelet does
            };
            const secretA = await createSecret(fetch, namespace, "token-a");
            const tokenA = await requestToken(fetch, namespace, "reader", { boundSecret: secretA });
            await writeToken(tokenA);
            const recorder = follow(`kubernetes:///echo.${namespace}:grpc`, {
              cluster: tokenCluster(cluster, { tokenFile }),
              backoff: FAST_BACKOFF,
            });
            await recorder.waitFor("p0, p1 with token A", samePods("p0", "p1"));

            const rotated = Date.now();
            const secretB = await createSecret(fetch, namespace, "token-b");
            const tokenB = await requestToken(fetch, namespace, "reader", { boundSecret: secretB });
            await writeToken(tokenB);
            await deleteSecret(fetch, namespace, "token-a");
            const restarted = Date.now();
            if (cluster.controlPlane) {
              // Make the resolver open new requests: its open watch was authenticated once, with token A.
              // (A restart also empties the API server's 10 s cache of authenticated tokens.)
              await cluster.controlPlane.killApiServer();
              await cluster.controlPlane.startApiServer();
            }
            // Wait until the server really rejects token A (/api is open to every authenticated user).
            const client = cluster.ca ? Deno.createHttpClient({ caCerts: [cluster.ca] }) : undefined;
            try {
              const end = Date.now() + 20_000;
              while (true) {
                const response = await globalThis.fetch(`${cluster.server}/api`, {
                  headers: { authorization: `Bearer ${tokenA}` },
                  client,
                } as RequestInit);
                await response.body?.cancel();
                if (response.status === 401) break;
                assert.ok(Date.now() < end, `token A still accepted (${response.status}) after deleting its Secret`);
                await sleep(250);
              }
            } finally {
              client?.close();
            }
            let note = `token A rejected ${Date.now() - rotated} ms after the rotation`;
            await applyEndpointSlice(fetch, namespace, "echo", {
              name: "echo-a",
              endpoints: [
                { addresses: ["10.16.0.1"], pod: "p0" },
                { addresses: ["10.16.0.2"], pod: "p1" },
                { addresses: ["10.16.0.3"], pod: "p2" },
              ],
            });
            await recorder.waitFor("p0, p1, p2 after the rotation", samePods("p0", "p1", "p2"), 20_000);
            assertNeverBelow(recorder, 2, 0, "token rotation");
            const unauthorized = recorder.errors.filter((e) => e.at >= rotated && e.error.message.includes("(401"));
            note += `; ${unauthorized.length} 401 error(s) reported`;
            if (cluster.controlPlane) {
              const after = auditedRequests(await cluster.controlPlane.auditEvents(), namespace, username, restarted)
                .filter((r) => r.code === 200);
              assert.ok(after.length > 0, "the resolver made requests after the rotation");
              assert.ok(
                after.every((r) => r.credential === `JTI=${tokenId(tokenB)}`),
                `requests after the rotation use token B: ${after.map((r) => r.credential).join(", ")}`,
              );
              note += `; ${after.length} request(s) after the restart, all with token B (${describeRequests(after)})`;
            }
            return note;
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      );

      await scenario("a proxy that cuts idle connections: each quiet watch resumes at once, unreported", async () => {
        const fetch = cluster.adminFetch;
        const { namespace } = await readerSetup(cluster, "e2e-proxy");
        namespaces.push(namespace);
        await applyEndpointSlice(fetch, namespace, "echo", { name: "echo-a", endpoints: endpoints("p", 2, "10.20") });
        // Far shorter than the API server's bookmark interval (about a minute): no watch of a quiet Service
        // carries a byte before the proxy cuts it.
        const proxy = await startIdleCuttingProxy(2000);
        try {
          const kubeconfig = clientKubeconfig(
            cluster.server,
            cluster.ca,
            await requestToken(fetch, namespace, "reader"),
            namespace,
          );
          kubeconfig.clusters[0].cluster["proxy-url"] = proxy.url;
          const recorder = follow(`kubernetes:///echo.${namespace}:grpc`, {
            cluster: { kubeconfig },
            backoff: { initialMs: 1000, maxMs: 30_000 },
          });
          await recorder.waitFor("p-000, p-001 through the proxy", samePods("p-000", "p-001"));
          // The streaming list's watch, then quiet watches resumed from its resourceVersion.
          const end = Date.now() + 20_000;
          while (proxy.cuts() < 3) {
            assert.ok(Date.now() < end, `the proxy cut ${proxy.cuts()} watches in 20 s`);
            await sleep(100);
          }
          const changed = Date.now();
          await applyEndpointSlice(fetch, namespace, "echo", { name: "echo-a", endpoints: endpoints("p", 3, "10.20") });
          const seen = await recorder.waitFor("p-000..p-002", samePods("p-000", "p-001", "p-002"));
          // Backing off after each cut (1, 2, 4 s...) reported every cut as an error and made the endpoints
          // "possibly stale" while a rollout could go unseen.
          assert.deepEqual(recorder.errors.map((e) => e.error.message), [], "no cut is reported");
          assertNeverBelow(recorder, 2, 0, "proxy cuts");
          return `${proxy.cuts()} idle cuts; the change was seen ${seen.at - changed} ms after it was written`;
        } finally {
          await proxy.close();
        }
      });

      await scenario(
        "API server restart: the last endpoints stay while it is down, then the watch converges",
        async () => {
          const controlPlane = cluster.controlPlane!;
          const fetch = cluster.adminFetch;
          const { namespace, username } = await readerSetup(cluster, "e2e-restart");
          namespaces.push(namespace);
          const three = endpoints("p", 3, "10.17");
          await applyEndpointSlice(fetch, namespace, "echo", { name: "echo-a", endpoints: three });
          const recorder = follow(`kubernetes:///echo.${namespace}:grpc`, {
            cluster: tokenCluster(cluster, { token: await requestToken(fetch, namespace, "reader") }),
            backoff: FAST_BACKOFF,
          });
          const before = await recorder.waitFor("3 endpoints", (s) => s.endpoints.length === 3);
          const heldVersion = before.snapshot.resourceVersion;
          await waitForAudit(
            cluster,
            "the first watch",
            (events) => auditedRequests(events, namespace, username),
            (requests) => requests.some(isWatch),
          );
          const killed = Date.now();
          await controlPlane.killApiServer();
          await recorder.waitForError("a connection error while down", (e) => e.message.includes("cannot reach"));
          // A busy cluster writes all the time (leases every 10 s): one write while the API server is
          // down makes the new watch cache start after the resolver's resourceVersion, as it would there.
          // Without it (an idle etcd) the resume from the old resourceVersion succeeds.
          await controlPlane.putEtcdKey("/kgr-e2e/revision-bump", String(Date.now()));
          const restartStart = Date.now();
          await controlPlane.startApiServer();
          const downMs = Date.now() - killed;
          await waitForAudit(
            cluster,
            "a successful watch after the restart",
            (events) => auditedRequests(events, namespace, username, restartStart),
            (requests) => requests.some((r) => isWatch(r) && r.code === 200),
          );
          await sleep(500);
          await applyEndpointSlice(fetch, namespace, "echo", { name: "echo-a", endpoints: endpoints("p", 4, "10.17") });
          const converged = await recorder.waitFor("4 endpoints after the restart", (s) => s.endpoints.length === 4);
          assertNeverBelow(recorder, 3, 0, "restart");
          // A caller degraded by the outage's errors hears that it is over, after the last of them.
          const lastError = recorder.errors.at(-1)!.at;
          const recovered = recorder.recoveries.find((at) => at >= lastError);
          assert.ok(recovered !== undefined, "onRecovered after the restart");
          // The restarted server answers 403 until its RBAC caches are filled: no grant is missing, none advised.
          assert.deepEqual(
            recorder.errors.filter((e) => e.at >= killed && /\(403\)/.test(e.error.message)).map((e) =>
              e.error.message
            ),
            [],
            "no 403 reported across the restart",
          );
          const all = auditedRequests(await controlPlane.auditEvents(), namespace, username, restartStart);
          const after = all.filter((r) => r.code === 200);
          const firstOfAll = after[0];
          assert.equal(firstOfAll?.verb, "watch", `the resolver first tries to resume: ${describeRequests(all)}`);
          assert.ok(
            BigInt(firstOfAll.resourceVersion ?? "0") >= BigInt(heldVersion),
            "resumes from its last resourceVersion",
          );
          assert.ok(tracedExpiry(restartStart), "the resume got 410 from the new watch cache");
          const lists = after.filter(isRelist);
          assert.equal(lists.length, 1, `exactly one successful relist: ${describeRequests(all)}`);
          const outcome = `WATCH from rv=${firstOfAll.resourceVersion} got 410 (the new watch cache starts later), ` +
            `then one ${lists[0].verb.toUpperCase()} (rv=${lists[0].resourceVersion})`;
          return `down ${downMs} ms; ${outcome}; recovered ${recovered - restartStart} ms and converged ` +
            `${converged.at - restartStart} ms after restart start; ` +
            `requests: ${describeRequests(all)}`;
        },
        true,
      );

      await scenario(
        "410: a resume point compacted out of etcd causes exactly one relist and a correct state",
        async () => {
          const controlPlane = cluster.controlPlane!;
          const fetch = cluster.adminFetch;
          const { namespace, username } = await readerSetup(cluster, "e2e-expired");
          namespaces.push(namespace);
          await applyEndpointSlice(fetch, namespace, "echo", { name: "echo-a", endpoints: endpoints("a", 2, "10.18") });
          await applyEndpointSlice(fetch, namespace, "echo", { name: "echo-b", endpoints: endpoints("b", 1, "10.19") });
          const recorder = follow(`kubernetes:///echo.${namespace}:grpc`, {
            cluster: tokenCluster(cluster, { token: await requestToken(fetch, namespace, "reader") }),
            backoff: FAST_BACKOFF,
          });
          await recorder.waitFor("a-000, a-001, b-000", samePods("a-000", "a-001", "b-000"));

          // Without the watch cache, every watch is served from etcd's history: a restart resumes...
          let mark = Date.now();
          await controlPlane.killApiServer();
          await controlPlane.startApiServer({ watchCache: false });
          await applyEndpointSlice(fetch, namespace, "echo", { name: "echo-a", endpoints: endpoints("a", 3, "10.18") });
          await recorder.waitFor("a-000..a-002, b-000", samePods("a-000", "a-001", "a-002", "b-000"), 20_000);
          const resumed = auditedRequests(await controlPlane.auditEvents(), namespace, username, mark)
            .filter((r) => r.code === 200);
          assert.deepEqual(resumed.filter(isRelist), [], `no relist: ${describeRequests(resumed)}`);
          const held = recorder.snapshots.at(-1)!.snapshot.resourceVersion;

          // ...until the history is compacted past the resume point. Slice echo-b is deleted in etcd
          // while the API server is down, so only a new LIST can tell the resolver.
          mark = Date.now();
          const seenBeforeKill = recorder.snapshots.length;
          await controlPlane.killApiServer();
          const key = `/registry/endpointslices/${namespace}/echo-b`;
          assert.deepEqual(await controlPlane.etcdKeys(`/registry/endpointslices/${namespace}/`), [
            `/registry/endpointslices/${namespace}/echo-a`,
            key,
          ]);
          await controlPlane.deleteEtcdKey(key);
          // Compact past the delete itself: a watch starting exactly at a compaction revision that is a
          // DELETE gets "etcd event received with PrevKv=nil" (500) instead of 410.
          const compacted = await controlPlane.compactEtcd(
            await controlPlane.putEtcdKey("/kgr-e2e/revision-bump", String(Date.now())),
          );
          assert.ok(compacted > Number(held), `compaction at ${compacted} is past the resume point ${held}`);
          await controlPlane.startApiServer({ watchCache: false });
          const relisted = await recorder.waitFor(
            "a-000..a-002 without b-000",
            samePods("a-000", "a-001", "a-002"),
            20_000,
          );
          await applyEndpointSlice(fetch, namespace, "echo", { name: "echo-a", endpoints: endpoints("a", 4, "10.18") });
          await recorder.waitFor("a-000..a-003", samePods("a-000", "a-001", "a-002", "a-003"));
          const all = auditedRequests(await controlPlane.auditEvents(), namespace, username, mark);
          const requests = all.filter((r) => r.code === 200);
          const lists = requests.filter(isRelist);
          assert.equal(lists.length, 1, `exactly one successful relist: ${describeRequests(all)}`);
          const first = requests[0];
          assert.equal(first.verb, "watch", `a resume was tried first: ${describeRequests(all)}`);
          assert.ok(BigInt(first.resourceVersion ?? "0") >= BigInt(held) && BigInt(first.resourceVersion!) < compacted);
          assert.ok(tracedExpiry(mark), "the resume got 410");
          // By count, not by time: the last snapshot before the kill can carry the same millisecond as `mark`.
          const after = recorder.snapshots.slice(seenBeforeKill);
          assert.deepEqual(
            after.map((s) => pods(s.snapshot).length),
            [3, 4],
            "one snapshot from the relist, one from the change after it: " +
              after.map((s) => `+${s.at - mark} ms rv ${s.snapshot.resourceVersion} [${pods(s.snapshot)}]`).join("; ") +
              ` (held rv ${held})`,
          );
          const server = await listEndpointSlices(fetch, namespace, "echo");
          assert.deepEqual(server.items.map((s) => s.metadata.name), ["echo-a"]);
          // Leave the API server as the other scenarios expect it.
          await controlPlane.killApiServer();
          await controlPlane.startApiServer();
          return `relisted ${relisted.at - mark} ms after the kill; requests: ${describeRequests(all)}`;
        },
        true,
      );
    } finally {
      await Promise.all(recorders.splice(0).map((recorder) => recorder.stop()));
      if (!failed) await Promise.all(namespaces.map((ns) => deleteNamespace(cluster.adminFetch, ns).catch(() => {})));
      await deleteNode(cluster.adminFetch, LARGE_NODE).catch(() => {});
      if (failed) {
        const trace = traceLines.map(({ at, line }) => `${new Date(at).toISOString()} ${line}`).join("\n");
        console.log(`----- resolver trace (last ${traceLines.length} lines)\n${trace}`);
        if (cluster.controlPlane) console.log(await cluster.controlPlane.logs(80));
      }
      await cluster.stop();
      console.log("    [e2e] timings:");
      for (const [name, ms, note] of timings) {
        console.log(
          `    [e2e]   ${(ms / 1000).toFixed(1).padStart(5)} s  ${name}${note ? `\n    [e2e]           ${note}` : ""}`,
        );
      }
      console.log(`    [e2e]   ${((Date.now() - suiteStart) / 1000).toFixed(1).padStart(5)} s  total`);
    }
  },
});
