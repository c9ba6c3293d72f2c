import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { connectCluster, observeService, type ServiceView } from "../../src/cli/service_observer.ts";
import { lateAnswerAdvice, slowCredentialsAdvice } from "../../src/cli/timeout_advice.ts";
import type { Locality } from "../../src/selection/topology.ts";
import { eventually } from "../_watch_helpers.ts";
import { KubeApiError } from "../../src/base/errors.ts";
import { setDefaultPolicyClock } from "../../src/selection/traffic_policy.ts";
import { policyClock } from "../_fake_clock.ts";
import { applyEchoWithOnePod, echoServiceReads } from "../_echo_service.ts";

/** Observes the Service echo.prod:grpc (or another port, or none) of `api` while `run` runs, with every view it published. */
async function observing(
  api: FakeApiServer,
  run: (views: ServiceView[]) => Promise<void>,
  locality: Locality = {},
  port: string | null = "grpc",
): Promise<void> {
  const connection = await connectCluster({ kubeconfig: api.kubeconfig() });
  const controller = new AbortController();
  const views: ServiceView[] = [];
  const observed = observeService(connection, {
    scheme: "kubernetes",
    service: "echo",
    namespace: "prod",
    port: port ?? undefined,
  }, { signal: controller.signal, locality, onView: (view) => views.push(view) });
  try {
    await eventually(() => views.some((view) => view.snapshot !== undefined), "the first snapshot");
    await run(views);
  } finally {
    controller.abort();
    await observed;
    connection.client.close();
    await api.close();
  }
}

Deno.test("observeService() says that a Service the API server does not find does not exist, and the name meant", async () => {
  // Was the generic guess ("it has no EndpointSlice: check that the Service exists in namespace prod, ..."), where
  // `kgr-resolver check` named the Service meant.
  const api = await startFakeApiServer();
  api.applyService({ metadata: { namespace: "prod", name: "echos" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  await observing(api, (views) => {
    const first = views.find((view) => view.snapshot)!;
    assert.equal(
      first.snapshot!.emptyReason,
      "service echo does not exist in namespace prod (kubectl get services -n prod lists those there are): did " +
        "you mean echos?",
    );
    return Promise.resolve();
  });
});

Deno.test("observeService() names the Service meant without reading again the Service it knows is missing", async () => {
  const api = await startFakeApiServer();
  api.applyService({ metadata: { namespace: "prod", name: "echos" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  await observing(api, (views) => {
    assert.match(views.find((view) => view.snapshot)!.snapshot!.emptyReason!, /did you mean echos\?$/);
    // The resolver's read answered 404 (and its Namespace's GET said that exists): the Services of the namespace are
    // listed for the name meant, without a second GET of the Service first.
    const reads = api.requests.filter(({ method, path }) =>
      method === "GET" && path === "/api/v1/namespaces/prod/services/echo"
    );
    assert.equal(reads.length, 1, JSON.stringify(api.requests.map(({ method, path }) => `${method} ${path}`)));
    return Promise.resolve();
  });
});

Deno.test("observeService() counts a new reason for no pods as a change (the CLI prints a line for it)", async () => {
  const api = await startFakeApiServer();
  await observing(api, async (views) => {
    const first = views.findLast((view) => view.snapshot)!;
    assert.match(first.snapshot!.emptyReason!, /^namespace prod does not exist/, "the fake holds nothing in prod yet");
    assert.equal(first.changes, 1);
    assert.equal(first.changedAt, undefined, "no slice says when the Service last changed");
    const before = Date.now();
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      name: "echo-a",
      port: { name: "grpc", port: 1 },
      endpoints: [],
    }));
    await eventually(() => views.at(-1)!.snapshot?.emptyReason?.includes("list no pod") === true, "the new reason");
    // The CLI prints a change line (and a --json object) only when the count of changes moves.
    assert.equal(views.at(-1)!.changes, 2);
    assert.ok(views.at(-1)!.changedAt! >= before, "changedAt is when the change was seen");
  });
});

Deno.test("observeService() keeps following the port of a target without one when the Service it must then read cannot be read", async () => {
  const api = await startFakeApiServer();
  const slice = (ports: { name: string; port: number }[], ips: string[]) => ({
    ...endpointSlice({ namespace: "prod", service: "echo", name: "echo-a", endpoints: ips.map((ip) => ({ ip })) }),
    ports: ports.map((port) => ({ ...port, protocol: "TCP" })),
  });
  api.applySlice(slice([{ name: "grpc", port: 8080 }], ["10.0.0.1"]));
  await observing(
    api,
    async (views) => {
      assert.equal(views.at(-1)!.port, "grpc");
      api.failNext(1000, { status: 403, path: "get" });
      api.applySlice(slice([{ name: "metrics", port: 9090 }, { name: "grpc", port: 8080 }], ["10.0.0.1", "10.0.0.2"]));
      await eventually(() => views.at(-1)!.snapshot?.endpoints.length === 2, "the new pod on the port in use");
      assert.equal(views.at(-1)!.port, "grpc");
      assert.match(views.at(-1)!.portError?.message ?? "", /^Cannot choose a port for service "echo"/);
    },
    {},
    null,
  );
});

Deno.test("observeService() dates the first state by the slices' last-change-trigger-time, as the controller writes it", async () => {
  const api = await startFakeApiServer();
  const slice = endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 1 },
    endpoints: [{ ip: "10.0.0.1", pod: "echo-0" }],
  });
  for (const [name, time] of [["echo-a", "2026-11-30T10:00:00Z"], ["echo-b", "2026-11-30T11:30:00Z"]]) {
    api.applySlice({
      ...slice,
      metadata: { ...slice.metadata, name, annotations: { "endpoints.kubernetes.io/last-change-trigger-time": time } },
    });
  }
  await observing(api, (views) => {
    assert.equal(views.findLast((view) => view.snapshot)!.changedAt, Date.parse("2026-11-30T11:30:00Z"));
    return Promise.resolve();
  });
});

Deno.test("observeService() leaves the first state undated when a slice does not say when it changed", async () => {
  // The controller removes the annotation from a slice whose last change it cannot date (a pod's deletion, found on
  // kube-controller-manager v1.36.3): the other slices' older times would make a change 6 minutes old look 12.
  const slice = endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 1 },
    endpoints: [{ ip: "10.0.0.1", pod: "echo-0" }],
  });
  for (const undated of [undefined, "12", "2999-01-01T00:00:00Z"]) {
    const api = await startFakeApiServer();
    for (const [name, time] of [["echo-a", "2026-11-30T10:00:00Z"], ["echo-b", undated]]) {
      const annotations: Record<string, string> = time === undefined
        ? {}
        : { "endpoints.kubernetes.io/last-change-trigger-time": time };
      api.applySlice({ ...slice, metadata: { ...slice.metadata, name, annotations } });
    }
    await observing(api, (views) => {
      assert.equal(views.findLast((view) => view.snapshot)!.changedAt, undefined, `echo-b's time: ${undated}`);
      return Promise.resolve();
    });
  }
});

Deno.test("observeService() says why the zone of a known node is unknown: no such node, or no zone label", async () => {
  const cases: [string, string | undefined, string | undefined][] = [
    ["ghost", undefined, "node ghost does not exist"],
    ["bare", undefined, "node bare has no topology.kubernetes.io/zone label"],
    ["n1", "zone-a", undefined],
  ];
  for (const [node, zone, note] of cases) {
    const api = await startFakeApiServer();
    api.applyNode({ metadata: { name: "bare" } });
    api.applyNode({ metadata: { name: "n1", labels: { "topology.kubernetes.io/zone": "zone-a" } } });
    await observing(api, (views) => {
      const last = views.at(-1)!;
      assert.deepEqual([last.locality.zone, last.zoneNote], [zone, note], node);
      return Promise.resolve();
    }, { node });
  }
});

Deno.test("observeService() reads a Node again after a failure that may pass, and its zone then applies", async () => {
  // As the resolver's channels do (client_locality.ts): after one 503, the CLI showed topology none, "client zone
  // unknown", for as long as it ran, where channels preferred the pods of their zone a second later.
  const api = await startFakeApiServer();
  api.applyNode({ metadata: { name: "n1", labels: { "topology.kubernetes.io/zone": "zone-a" } } });
  for (const [pod, zone] of [["echo-a", "zone-a"], ["echo-b", "zone-b"]]) {
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      name: pod,
      trafficDistribution: "PreferSameZone",
      port: { name: "grpc", port: 50051 },
      endpoints: [{ ip: pod === "echo-a" ? "10.0.0.1" : "10.0.0.2", pod, zone }],
    }));
  }
  api.failNext(1, { status: 503, path: "get" });
  await observing(api, async (views) => {
    assert.match(views.findLast((view) => view.snapshot)!.zoneNote!, /^node n1 cannot be read: .*503/);
    await eventually(() => views.at(-1)!.snapshot?.topology === "zone", "the zone read again");
    const last = views.at(-1)!;
    assert.deepEqual([last.locality.zone, last.zoneNote], ["zone-a", undefined]);
    assert.deepEqual(last.snapshot!.endpoints.filter((e) => e.preferred).map((e) => e.podName), ["echo-a"]);
    // The new locality never shows beside the selection made without it.
    const stale = views.filter((view) => view.locality.zone !== undefined && view.snapshot?.topology === "none");
    assert.deepEqual(stale, []);
    const reads = api.requests.filter((request) => request.path.includes("/nodes/"));
    assert.deepEqual(reads.map((request) => request.status), [503, 200]);
  }, { node: "n1" });
});

Deno.test("observeService() shows a burst of slice updates as a few views of the last state, as channels get it", async () => {
  // One view per event redrew a table of thousands of rows per event: a burst of 300 updates of a 5,000-pod Service,
  // sent by the API server in 0.3 s, reached the screen 10 s later.
  const api = await startFakeApiServer();
  const slice = (ready: boolean) =>
    endpointSlice({
      namespace: "prod",
      service: "echo",
      name: "echo-a",
      port: { name: "grpc", port: 1 },
      endpoints: [{ ip: "10.0.0.1", pod: "echo-0" }, { ip: "10.0.0.2", pod: "echo-1", ready }],
    });
  api.applySlice(slice(true));
  await observing(api, async (views) => {
    const before = views.length;
    const updates = 200;
    for (let i = 1; i <= updates; i++) api.applySlice(slice(i % 2 === 0));
    const last = api.resourceVersion;
    await eventually(() => views.at(-1)!.snapshot?.resourceVersion === last, "the burst's last state");
    const shown = views.slice(before).filter((view) => view.snapshot);
    assert.ok(shown.length <= 20, `${shown.length} views for ${updates} updates`);
    assert.equal(shown.at(-1)!.snapshot!.endpoints.length, 2);
  });
});

Deno.test("observeService() does not show a slice deleted and created again as a moment without pods, as channels never get it", async () => {
  const api = await startFakeApiServer();
  const slice = endpointSlice({
    namespace: "prod",
    service: "echo",
    name: "echo-a",
    port: { name: "grpc", port: 1 },
    endpoints: [{ ip: "10.0.0.1", pod: "echo-0" }],
  });
  api.applySlice(slice);
  await observing(api, async (views) => {
    const before = views.length;
    await new Promise((resolve) => setTimeout(resolve, 100)); // past the first state's hold
    api.deleteSlice("prod", "echo-a");
    api.applySlice(slice);
    const last = api.resourceVersion;
    await eventually(() => views.at(-1)!.snapshot?.resourceVersion === last, "the slice created again");
    const empty = views.slice(before).filter((view) => view.snapshot?.endpoints.length === 0);
    assert.equal(empty.length, 0);
  });
});

Deno.test("slowCredentialsAdvice() names an exec plugin only for credentials that come from one", () => {
  const none = { authorization: () => Promise.resolve(undefined), invalidate() {} };
  assert.equal(
    slowCredentialsAdvice({ ...none, timeLimitMs: 60_000 }),
    "run its exec plugin by hand to see why, or raise --timeout",
  );
  // A token file whose read hangs was told to run an exec plugin that the kubeconfig does not have.
  assert.match(slowCredentialsAdvice(none), /^check that its token file can be read/);
});

/**
 * Observes the Service echo.prod:grpc of a server on loopback that gives `firstAnswer` to the first request and holds
 * every later one unanswered, with the kubeconfig user `user`, while `run` runs: `requests()` counts them.
 */
async function observingFirstAnswerThenHeld(
  firstAnswer: (res: ServerResponse) => void,
  user: Record<string, unknown>,
  run: (views: ServiceView[], requests: () => number) => Promise<void>,
): Promise<void> {
  const held: ServerResponse[] = [];
  let requests = 0;
  const server = createServer((_req, res) => {
    if (++requests > 1) held.push(res);
    else firstAnswer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const connection = await connectCluster({
    kubeconfig: {
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      clusters: [{ name: "c", cluster: { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } }],
      users: [{ name: "u", user }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u", namespace: "prod" } }],
    },
  });
  const controller = new AbortController();
  const views: ServiceView[] = [];
  const observed = observeService(connection, { scheme: "kubernetes", service: "echo", port: "grpc" }, {
    signal: controller.signal,
    locality: {},
    onView: (view) => views.push(view),
  });
  try {
    await run(views, () => requests);
  } finally {
    controller.abort();
    await observed;
    connection.client.close();
    for (const res of held) res.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

Deno.test("observeService() forgets the failure it waited out once the next request is sent, which may never be answered", async () => {
  // A 429 with Retry-After: 1, then a LIST that priority and fairness keeps queued: --once --timeout 3 blamed the
  // 429 and said 'it asked to wait 1 s (Retry-After): raise --timeout above that', though it had waited 1 s and
  // the request after it got no answer in 2 s.
  await observingFirstAnswerThenHeld(
    (res) =>
      res.writeHead(429, { "content-type": "text/plain", "retry-after": "1" })
        .end("Too many requests, please try again later.\n"),
    { token: "t" },
    async (views, requests) => {
      await eventually(() => views.at(-1)?.lastFailure !== undefined, "the 429");
      assert.match(views.at(-1)!.lastFailure!.message, /answered 429/);
      await eventually(() => requests() === 2, "the LIST after it", 5000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(views.at(-1)!.lastFailure, undefined);
    },
  );
});

Deno.test("observeService() does not give the optional read of a Service that does not exist as the last failure", async () => {
  // Slices without a Service (the fake's, or a hand-written Endpoints object's): the read of its
  // internalTrafficPolicy answers 404 and every pod is used. That 404 stayed the view's lastFailure, which a --timeout
  // or a Ctrl-C before the first snapshot names as the failure the slices' requests wait out.
  const api = await startFakeApiServer();
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.0.0.1" }],
  }));
  await observing(api, async (views) => {
    await eventually(() => views.at(-1)!.serviceSpec === null, "the Service's 404");
    assert.deepEqual(views.map((view) => view.lastFailure?.message).filter(Boolean), []);
  });
});

Deno.test("observeService() keeps a 401 as the failure while the exec plugin runs again for the request after it", async () => {
  // A 401 makes the next request run the exec plugin again: --once --timeout 3 with a plugin that takes 2 s said
  // 'no answer within 3 s: check that the API server ... is reachable', though the server had answered 401 and the
  // request after it was still waiting for its credentials.
  const dir = await Deno.makeTempDir();
  const plugin = `${dir}/plugin.sh`;
  await Deno.writeTextFile(
    plugin,
    `#!/bin/sh\nif [ -e ${dir}/ran ]; then sleep 1.5; fi\ntouch ${dir}/ran\n` +
      `echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}'\n`,
  );
  await Deno.chmod(plugin, 0o755);
  try {
    await observingFirstAnswerThenHeld(
      (res) =>
        res.writeHead(401, { "content-type": "application/json" })
          .end(
            JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Unauthorized", code: 401 }),
          ),
      { exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" } },
      async (views, requests) => {
        await eventually(() => views.some((view) => view.lastFailure !== undefined), "the 401");
        await new Promise((resolve) => setTimeout(resolve, 700));
        assert.equal(requests(), 1);
        assert.match(views.at(-1)!.lastFailure?.message ?? "", /401/);
        await eventually(() => requests() === 2, "the LIST after it", 5000);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(views.at(-1)!.lastFailure, undefined);
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lateAnswerAdvice() names the wait a 429 asked for, and no wait of 0 s", () => {
  const busy = (retryAfterSeconds: number) => new KubeApiError("answered 429", { status: 429, retryAfterSeconds });
  assert.equal(
    lateAnswerAdvice(busy(32)),
    "answered 429; it asked to wait 32 s (Retry-After): raise --timeout above that, or check the API server's load",
  );
  assert.equal(lateAnswerAdvice(busy(0)), "answered 429; raise --timeout to see whether it passes");
});

Deno.test("observeService() shows what a channel gets under internalTrafficPolicy Local: the node's pod, the others on other nodes", async () => {
  const api = await startFakeApiServer();
  api.applyService({
    metadata: { namespace: "prod", name: "echo" },
    spec: { ports: [{ name: "grpc", port: 80 }], internalTrafficPolicy: "Local" },
  });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.1.0.1", pod: "echo-1", nodeName: "n1" }, { ip: "10.1.0.2", pod: "echo-2", nodeName: "n2" }],
  }));
  await observing(api, (views) => {
    const shown = views.filter((view) => view.snapshot);
    assert.equal(shown.length, 1, "never every pod first");
    const { snapshot, pods } = shown[0];
    assert.equal(snapshot!.internalTrafficPolicy, "Local");
    assert.deepEqual(snapshot!.endpoints.map((endpoint) => endpoint.podName), ["echo-1"]);
    assert.deepEqual(pods!.map((pod) => `${pod.pod}: ${pod.message}`), [
      "echo-1: used: on this node (internalTrafficPolicy: Local)",
      "echo-2: not used: on node n2, not this client's (internalTrafficPolicy: Local)",
    ]);
    return Promise.resolve();
  }, { node: "n1", zone: "z1" });
});

Deno.test("observeService() says that a Service deleted with its slices no longer exists, not what it selected", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer();
  applyEchoWithOnePod(api);
  try {
    await observing(api, async (views) => {
      await eventually(() => echoServiceReads(api).length === 1, "the Service's read");
      api.deleteService("prod", "echo");
      api.deleteSlice("prod", "echo-x1");
      // Was "it has no EndpointSlice, though its selector app=echo makes the EndpointSlice controller write one ...":
      // nothing read the Service again.
      await eventually(
        () => {
          clock.advance(1_000); // The read of the last slices' deletion waits a second after the last.
          return views.at(-1)?.snapshot?.emptyReason?.startsWith("service echo does not exist") === true;
        },
        "the reason of a Service deleted",
      );
    });
  } finally {
    setDefaultPolicyClock(undefined);
  }
});
