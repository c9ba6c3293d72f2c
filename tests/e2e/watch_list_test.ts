// Streaming lists (WatchList, KEP-3157) against a real API server: with the
// gate on (the default from 1.34) the resolver makes one watch request that
// brings the state and then the changes; with `--feature-gates=WatchList=false`
// the server refuses it (422) and the resolver lists and watches, and its later
// watches of that server skip the attempt. On a server that refuses it by
// default (1.33) the first step checks that fallback instead. The audit log
// says which requests were made, the trace what the resolver did. Runs on
// E2E_KUBECONFIG clusters too, except the restart with the gate off, which
// needs the local control plane; there the fake API server with
// `watchList: false` must answer raw watches as the real server does.
import assert from "node:assert/strict";
import type { ResolverError } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { setTraceSink } from "../../src/runtime/trace.ts";
import { type AuditedRequest, auditedRequests, describeRequests, waitForAudit } from "./audit_log.ts";
import { recordEndpoints } from "./endpoint_recorder.ts";
import { applyEndpointSlice, createService, deleteNamespace, type EndpointSpec, requestToken } from "./kube_objects.ts";
import { openTestCluster, readerSetup, type TestCluster, tokenCluster } from "./test_cluster.ts";

const log = (line: string) => console.log(`    [e2e] ${line}`);
const FAST_BACKOFF = { initialMs: 500, maxMs: 2000 };

const traceLines: string[] = [];
setTraceSink((line) => void traceLines.push(line));

function endpoints(prefix: string, count: number, subnet: string): EndpointSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    addresses: [`${subnet}.${i + 1}`],
    pod: `${prefix}-${String(i).padStart(3, "0")}`,
  }));
}

/** `verb code` of each request, e.g. `watchlist 200`. */
const shape = (requests: AuditedRequest[]) => requests.map((r) => `${r.verb} ${r.code ?? "?"}`);

/** A namespace with a reader token, two slices of `echo`, and a recorder following it with that token. */
async function followReader(cluster: TestCluster, prefix: string) {
  const { namespace, username } = await readerSetup(cluster, prefix);
  await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
    name: "echo-a",
    endpoints: endpoints("a", 3, "10.31.0"),
  });
  await applyEndpointSlice(cluster.adminFetch, namespace, "echo", {
    name: "echo-b",
    endpoints: endpoints("b", 2, "10.31.1"),
  });
  const options = {
    cluster: tokenCluster(cluster, { token: await requestToken(cluster.adminFetch, namespace, "reader") }),
    backoff: FAST_BACKOFF,
  };
  const follow = (service: string) => recordEndpoints(`kubernetes:///${service}.${namespace}:grpc`, options);
  return { namespace, username, follow };
}

/**
 * What a watch of a namespace's slices answers, for each query: the status and the Status's causes, or the event
 * types until the watch ends (`timeoutSeconds=1`).
 */
async function watchAnswers(fetchPath: (path: string) => Promise<Response>, namespace: string) {
  const queries = [
    "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
    "sendInitialEvents=true",
    "resourceVersion=0&allowWatchBookmarks=true",
    "allowWatchBookmarks=true",
  ];
  return await Promise.all(queries.map(async (query) => {
    const response = await fetchPath(
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?watch=1&timeoutSeconds=1&${query}`,
    );
    const text = await response.text();
    if (response.status !== 200) return { query, status: response.status, causes: JSON.parse(text).details?.causes };
    const types = text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line).type);
    return { query, status: response.status, types };
  }));
}

/**
 * Whether the API server serves streaming lists (200), or refuses them (400 or 422: its `WatchList` gate is off, or
 * it is older than 1.27), asked as the admin for the slices of `default`.
 */
async function servesStreamingLists(cluster: TestCluster): Promise<boolean> {
  const response = await cluster.adminFetch(
    "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=1&timeoutSeconds=1&" +
      "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
  );
  if (response.status === 200) {
    await response.body?.cancel();
    return true;
  }
  const text = await response.text();
  if (response.status === 400 || response.status === 422) return false;
  throw new Error(`A streaming list of the EndpointSlices in default answered ${response.status}: ${text}`);
}

const errorsOf = (recorder: { errors: { error: ResolverError }[] }) =>
  recorder.errors.map(({ error }) => error.message);

Deno.test({
  name: "streaming lists on a real API server: one watch with the WatchList gate on, LIST+WATCH with it off",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await openTestCluster(log);
    log(`running against ${cluster.description}`);
    const namespaces: string[] = [];
    try {
      // The gate is on by default from 1.34 (and in 1.32); 1.33 ships it off, and servers before 1.27 refuse the
      // query too. A server of unknown version is held to what it does.
      const streams = await servesStreamingLists(cluster);
      log(`${cluster.version.gitVersion} ${streams ? "serves" : "refuses"} streaming lists`);
      if ((cluster.version.minor ?? 0) >= 34) {
        assert.ok(
          streams,
          `${cluster.version.gitVersion} refused a streaming list: its WatchList gate is on by default`,
        );
      }
      const expected = streams
        ? { shape: ["watchlist 200"], said: /streaming list: 2 EndpointSlices at resourceVersion \d+/ }
        : {
          shape: ["watchlist 422", "list 200", "watch 200"],
          said: /refused a streaming list \(WatchList\): listing instead/,
        };
      await t.step({
        name: streams
          ? "gate on: one streaming watch brings the state, then the changes, and nothing else is requested"
          : `gate off by default (${cluster.version.gitVersion}): the refused streaming list gives way to ` +
            "LIST+WATCH without an error, and the changes arrive on that WATCH",
        sanitizeOps: false,
        sanitizeResources: false,
        fn: async () => {
          const reader = await followReader(cluster, "e2e-watchlist");
          namespaces.push(reader.namespace);
          const traced = traceLines.length;
          const recorder = reader.follow("echo");
          try {
            const first = await recorder.waitFor("all 5 endpoints", (s) => s.endpoints.length === 5);
            assert.equal(recorder.snapshots.length, 1, "one snapshot for the whole initial state");
            await applyEndpointSlice(cluster.adminFetch, reader.namespace, "echo", {
              name: "echo-b",
              endpoints: endpoints("b", 3, "10.31.1"),
            });
            await recorder.waitFor("the change on the same watch", (s) => s.endpoints.length === 6);
            if (cluster.controlPlane) {
              const requests = await waitForAudit(
                cluster,
                expected.shape.join(", "),
                (events) => auditedRequests(events, reader.namespace, reader.username),
                (r) => r.length >= expected.shape.length,
              );
              assert.deepEqual(shape(requests), expected.shape, describeRequests(requests));
              const { params } = requests[0];
              assert.equal(params.get("resourceVersionMatch"), "NotOlderThan");
              assert.equal(params.get("allowWatchBookmarks"), "true");
              assert.equal(params.get("resourceVersion"), null, "the latest state, as client-go asks for it");
            }
            assert.match(traceLines.slice(traced).join("\n"), expected.said);
            assert.ok(Number(first.snapshot.resourceVersion) > 0, "the bookmark's resourceVersion");
            assert.deepEqual(errorsOf(recorder), []);
          } finally {
            await recorder.stop();
          }
        },
      });

      await t.step({
        name: "gate off (--feature-gates=WatchList=false): a 422, then LIST+WATCH; the next Service skips the attempt",
        // A server that refused already is known to this process: its watches no longer try (step one shows the 422).
        ignore: !cluster.controlPlane || !streams,
        sanitizeOps: false,
        sanitizeResources: false,
        fn: async () => {
          const controlPlane = cluster.controlPlane!;
          await controlPlane.killApiServer();
          await controlPlane.startApiServer({ featureGates: "WatchList=false" });
          try {
            const reader = await followReader(cluster, "e2e-watchlist-off");
            namespaces.push(reader.namespace);
            // The fake's watchList: false answers these as the real server does with the gate off.
            const fake = await startFakeApiServer({ watchList: false });
            try {
              for (const [name, ip] of [["echo-a", "10.31.0.1"], ["echo-b", "10.31.1.1"]]) {
                fake.applySlice(
                  endpointSlice({ namespace: reader.namespace, service: "echo", name, endpoints: [{ ip }] }),
                );
              }
              const [real, faked] = await Promise.all([
                watchAnswers((path) => cluster.adminFetch(path), reader.namespace),
                watchAnswers((path) => fetch(`${fake.url}${path}`), reader.namespace),
              ]);
              assert.deepEqual(faked, real);
            } finally {
              await fake.close();
            }
            await createService(cluster.adminFetch, reader.namespace, "other");
            await applyEndpointSlice(cluster.adminFetch, reader.namespace, "other", {
              name: "other-a",
              endpoints: endpoints("o", 2, "10.31.2"),
            });
            const traced = traceLines.length;
            const recorder = reader.follow("echo");
            try {
              await recorder.waitFor("all 5 endpoints", (s) => s.endpoints.length === 5);
              const select = (events: Parameters<typeof auditedRequests>[0]) =>
                auditedRequests(events, reader.namespace, reader.username);
              const requests = await waitForAudit(
                cluster,
                "the refusal, the LIST and the WATCH",
                select,
                (r) => r.length >= 3,
              );
              assert.deepEqual(shape(requests), ["watchlist 422", "list 200", "watch 200"], describeRequests(requests));
              assert.equal(
                requests[1].resourceVersion,
                "0",
                "the LIST it falls back to is served from the watch cache",
              );
              assert.deepEqual(errorsOf(recorder), [], "a refusal is no error");
              const said = traceLines.slice(traced).join("\n");
              assert.match(
                said,
                /sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled/,
              );
              assert.match(
                said,
                /refused a streaming list \(WatchList\): listing instead, for every later watch of it too/,
              );

              const mark = Date.now();
              const other = reader.follow("other");
              try {
                await other.waitFor("the other Service", (s) => s.endpoints.length === 2);
                const later = await waitForAudit(
                  cluster,
                  "the other Service's LIST and WATCH",
                  (events) => select(events).filter((r) => r.at >= mark),
                  (r) => r.length >= 2,
                );
                assert.deepEqual(shape(later), ["list 200", "watch 200"], describeRequests(later));
              } finally {
                await other.stop();
              }
            } finally {
              await recorder.stop();
            }
          } finally {
            // Leave the API server as other runs expect it.
            await controlPlane.killApiServer();
            await controlPlane.startApiServer();
          }
        },
      });
    } finally {
      await Promise.all(namespaces.map((ns) => deleteNamespace(cluster.adminFetch, ns).catch(() => {})));
      await cluster.stop();
    }
  },
});
