// A Service that exists but gives no usable endpoint: the empty reason names what its spec says (its type, its
// selector, its ports), read by the GET the resolver makes anyway, where the slices alone leave the cause open.
// The shapes are those kube-apiserver and kube-controller-manager v1.36.3 gave (tests/e2e/service_shape_test.ts).
// The fake API server stores every type of Service; the reason for an ExternalName one is checked in
// no_endpoints_reason_test (from its spec) and in testing/service_types_test (through the fake).
import assert from "node:assert/strict";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { type EndpointSnapshot, watchEndpoints } from "@kgr/resolver";
import { setDefaultPolicyClock } from "../src/selection/traffic_policy.ts";
import { eventually } from "./_watch_helpers.ts";
import { policyClock } from "./_fake_clock.ts";
import { applyEchoWithOnePod, echoServiceReads } from "./_echo_service.ts";

/** Follows `target` until it is stopped; `reason()` is the last snapshot's empty reason. */
function follow(api: FakeApiServer, target: string) {
  const controller = new AbortController();
  const snapshots: EndpointSnapshot[] = [];
  const done = (async () => {
    const options = { cluster: { kubeconfig: api.kubeconfig() }, signal: controller.signal };
    for await (const snapshot of watchEndpoints(target, options)) snapshots.push(snapshot);
  })();
  return {
    reason: () => snapshots.at(-1)?.emptyReason ?? "",
    reasons: () => snapshots.map((snapshot) => snapshot.emptyReason ?? ""),
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** The slice the EndpointSlice controller keeps for a Service whose selector matches no pod with an IP. */
function placeholder(service: string) {
  return {
    metadata: {
      namespace: "prod",
      name: `${service}-x1`,
      labels: {
        "kubernetes.io/service-name": service,
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
    },
    addressType: "IPv4" as const,
    ports: null,
    endpoints: null,
  };
}

const selected = (name: string, ports: { name: string; port: number; targetPort?: number }[]) => ({
  metadata: { namespace: "prod", name },
  spec: { selector: { app: name }, ports },
});

Deno.test("watchEndpoints() on a Service without a selector and without slices says it has no selector", async () => {
  const api = await startFakeApiServer();
  api.applyService({ metadata: { namespace: "prod", name: "bare" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  const bare = follow(api, "kubernetes:///bare.prod:grpc");
  try {
    await eventually(() => bare.reason().startsWith("service bare"), "the reason of a Service without a selector");
    // Was "it has no EndpointSlice: check that the Service exists in namespace prod, ...": it does.
    assert.equal(
      bare.reason(),
      "service bare has no selector, so no controller writes its EndpointSlices from pods, and it has none: write " +
        "EndpointSlices labeled kubernetes.io/service-name=bare, or an Endpoints object of its name that lists " +
        "addresses (not labeled endpointslice.kubernetes.io/skip-mirror), which the EndpointSliceMirroring " +
        "controller mirrors into EndpointSlices, or give the Service a selector (kubectl get endpoints bare -n prod)",
    );
  } finally {
    await bare.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() on a Service whose selector matches no pod names the selector, and follows a pod created later", async () => {
  const api = await startFakeApiServer();
  api.applyService(selected("echo", [{ name: "grpc", port: 80, targetPort: 50051 }]));
  api.applySlice(placeholder("echo"));
  const echo = follow(api, "kubernetes:///echo.prod:grpc");
  try {
    await eventually(() => echo.reason().startsWith("its selector"), "the reason of the selector");
    // Was "its EndpointSlices list no pod: the Service selects none, it is scaled to zero, or ...".
    assert.equal(
      echo.reason(),
      "its selector app=echo matches no pod that has an IP: none exists (scaled to zero?), none has started yet, or " +
        "namespace prod is being deleted (kubectl get pods -n prod -l app=echo lists them; if it lists running pods with " +
        "IPs, the EndpointSlice controller left them out, and kubectl describe service echo -n prod shows why in its " +
        "events)",
    );
    // A pod created later, not ready: the controller lists it; the reason says so, with the same selector.
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      name: "echo-x1",
      port: { name: "grpc", port: 50051 },
      endpoints: [{ ip: "10.1.0.1", ready: false, serving: false }],
    }));
    await eventually(() => echo.reason().startsWith("none of"), "the reason of a pod not ready");
    assert.equal(
      echo.reason(),
      "none of its pods is ready: kubectl get pods -n prod -l app=echo lists them, and kubectl describe pod POD -n " +
        "prod shows why one is not, such as a failing readiness probe",
    );
  } finally {
    await echo.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() on a target whose port name the Service lacks names the Service's ports", async () => {
  const api = await startFakeApiServer();
  api.applyService(selected("web", [{ name: "http", port: 80, targetPort: 8080 }]));
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "web",
    port: { name: "http", port: 8080 },
    endpoints: [{ ip: "10.1.0.2" }],
  }));
  const web = follow(api, "kubernetes:///web.prod:grpc");
  try {
    await eventually(() => web.reason().startsWith("service web"), "the reason of the Service's ports");
    // Was "its EndpointSlices have no port named "grpc" (they have "http"): ..., or check that the pods have the
    // container port the Service's targetPort names": the Service has no such port to begin with.
    assert.equal(
      web.reason(),
      'service web has no port named "grpc" (it has "http"): name one of those in the target',
    );
  } finally {
    await web.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() on a Service given a selector later leaves the no-selector reason once its first slice comes", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer();
  api.applyService({ metadata: { namespace: "prod", name: "bare" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  const bare = follow(api, "kubernetes:///bare.prod:grpc");
  try {
    await eventually(() => bare.reason().startsWith("service bare has no selector"), "the reason without a selector");
    api.applyService(selected("bare", [{ name: "grpc", port: 80 }]));
    api.applySlice(placeholder("bare"));
    clock.advance(1_000); // The read of the first slices waits a second after the last.
    await eventually(() => bare.reason().startsWith("its selector app=bare"), "the reason of the selector");
  } finally {
    setDefaultPolicyClock(undefined);
    await bare.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() on a Service whose selector was removed says its slice is the controller's, left behind", async () => {
  const api = await startFakeApiServer();
  // v1.36.3: the EndpointSlice controller keeps the slice of a Service whose selector is removed, and no longer updates it.
  api.applyService({ metadata: { namespace: "prod", name: "bare" }, spec: { ports: [{ name: "grpc", port: 80 }] } });
  api.applySlice(placeholder("bare"));
  const bare = follow(api, "kubernetes:///bare.prod:grpc");
  try {
    await eventually(() => bare.reason().startsWith("service bare"), "the reason of the Service");
    // Was "its EndpointSlices list no pod: the Service selects none, it is scaled to zero, or ...".
    assert.equal(
      bare.reason(),
      "service bare has no selector, and its EndpointSlices, which list no pod, are the EndpointSlice controller's, " +
        "left from when it had one (it no longer updates them): give it a selector again, or delete them and write " +
        "its EndpointSlices by hand (kubectl get endpointslices -n prod -l kubernetes.io/service-name=bare)",
    );
  } finally {
    await bare.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() gives a client whose node is unknown no empty first set before the Service answers: its first reason names the selector", async () => {
  const api = await startFakeApiServer();
  api.applyService(selected("echo", [{ name: "grpc", port: 80, targetPort: 50051 }]));
  api.applySlice(placeholder("echo"));
  const echo = follow(api, "kubernetes:///echo.prod:grpc");
  try {
    await eventually(() => echo.reason() !== "", "an empty snapshot");
    // Was "its EndpointSlices list no pod: the Service selects none, ..." first, which grpc-js gave the first calls.
    assert.deepEqual(echo.reasons(), [
      "its selector app=echo matches no pod that has an IP: none exists (scaled to zero?), none has started yet, or " +
      "namespace prod is being deleted (kubectl get pods -n prod -l app=echo lists them; if it lists running pods with " +
      "IPs, the EndpointSlice controller left them out, and kubectl describe service echo -n prod shows why in its " +
      "events)",
    ]);
  } finally {
    await echo.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() on a Service deleted with its slices says it does not exist, not what it selected", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer();
  applyEchoWithOnePod(api);
  const echo = follow(api, "kubernetes:///echo.prod:grpc");
  try {
    await eventually(() => echo.reasons().length > 0 && echo.reason() === "", "the pod");
    await eventually(() => echoServiceReads(api).length === 1, "the Service's read");
    // kube-apiserver deletes the Service; the garbage collector then deletes its slices.
    api.deleteService("prod", "echo");
    api.deleteSlice("prod", "echo-x1");
    // Was "it has no EndpointSlice, though its selector app=echo makes the EndpointSlice controller write one ...",
    // until the watch resumed minutes later: nothing read the Service again.
    await eventually(() => {
      clock.advance(1_000); // The read of the last slices' deletion waits a second after the last.
      return echo.reason().startsWith("service echo does not");
    }, "the reason of a Service deleted");
  } finally {
    setDefaultPolicyClock(undefined);
    await echo.stop();
    await api.close();
  }
});

Deno.test("watchEndpoints() on a Service whose selector changes to another that matches no pod names the new one", async () => {
  const clock = policyClock();
  const api = await startFakeApiServer();
  api.applyService(selected("echo", [{ name: "grpc", port: 80, targetPort: 50051 }]));
  api.applySlice(placeholder("echo"));
  const echo = follow(api, "kubernetes:///echo.prod:grpc");
  try {
    await eventually(() => echo.reason().startsWith("its selector app=echo "), "the reason of the selector");
    // v1.36.3 leaves the slice as it was (tests/e2e/service_shape_test.ts): no event, and no relist for minutes.
    api.applyService({
      ...selected("echo", [{ name: "grpc", port: 80, targetPort: 50051 }]),
      spec: {
        selector: { app: "other" },
        ports: [{ name: "grpc", port: 80, targetPort: 50051 }],
      },
    });
    // Was "its selector app=echo matches no pod ..." until the watch resumed: nothing read the Service again.
    await eventually(() => {
      clock.advance(10_000);
      return echo.reason().startsWith("its selector app=other ");
    }, "the reason of the new selector");
  } finally {
    setDefaultPolicyClock(undefined);
    await echo.stop();
    await api.close();
  }
});
