// The grpc-js resolver class, driven the way grpc-js drives it, against the
// fake API server. No gRPC traffic: the endpoints are only reported.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { connect, createServer, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { register, watchEndpoints } from "@kgr/resolver";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { setTraceSink, setWarningSink } from "../src/runtime/trace.ts";

type Listener = (endpoints: unknown, attributes: unknown, serviceConfig: unknown, note: string) => boolean;
interface ResolverClass {
  new (uri: unknown, listener: unknown, options: Record<string, unknown>): {
    updateResolution(): void;
    destroy(): void;
  };
  getDefaultAuthority(uri: unknown): string;
}

// grpc-js keeps its registry private; capture the class register() hands it.
function registeredClass(
  options: Parameters<typeof register>[0],
  log: (severity: number, ...args: unknown[]) => void = grpc.experimental.log,
): ResolverClass {
  let captured: ResolverClass | undefined;
  const fakeGrpc = {
    ...grpc,
    experimental: {
      ...grpc.experimental,
      registerResolver: (_scheme: string, resolver: ResolverClass) => void (captured = resolver),
      log,
    },
  };
  register({ ...options, grpc: fakeGrpc as never });
  return captured!;
}

// The exact shape grpc-js hands a resolver.
const { parseUri } = createRequire(import.meta.url)("@grpc/grpc-js/build/src/uri-parser") as {
  parseUri(uri: string): unknown;
};
const uri = (text: string) => parseUri(text);

interface Report {
  endpoints: {
    ok: boolean;
    value?: { addresses: { host: string; port: number }[]; authority?: string; service?: string }[];
    error?: { code: number; details: string };
  };
  serviceConfig: unknown;
  note: string;
}

function recorder() {
  const reports: Report[] = [];
  let synchronous = true;
  const listener: Listener = (endpoints, _attributes, serviceConfig, note) => {
    assert.equal(synchronous, false, "the listener must never be called synchronously");
    reports.push({ endpoints: endpoints as Report["endpoints"], serviceConfig, note });
    return true;
  };
  return {
    reports,
    listener,
    /** Runs a resolver call the way grpc-js does, checking it does not call back synchronously. */
    call(action: () => void) {
      synchronous = true;
      action();
      synchronous = false;
    },
  };
}

/**
 * Resolves echo.prod for a pre-1.14 object listener (`onSuccessfulResolution`, `onError`), lets the channel go idle
 * (`destroy()`), runs `whileIdle` (the API server stops answering, say) and wakes the channel (`updateResolution()`):
 * returns once the listener has its second list, with what it was handed.
 */
async function objectListenerIdleAndWoken(api: FakeApiServer, Resolver: ResolverClass, whileIdle: () => void) {
  const results: unknown[][] = [];
  const errors: unknown[] = [];
  const listener = {
    onSuccessfulResolution: (endpoints: unknown[]) => results.push(endpoints),
    onError: (error: unknown) => errors.push(error),
  };
  const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
  resolver.updateResolution();
  await eventually(() => results.length === 1, "a report");
  resolver.destroy();
  await eventually(() => api.openWatches === 0, "the watch to stop after destroy()");
  whileIdle();
  resolver.updateResolution();
  await eventually(() => results.length === 2, "the endpoints again");
  return { results, errors, resolver };
}

async function eventually(condition: () => boolean, what: string) {
  const end = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function withService(run: (api: FakeApiServer, Resolver: ResolverClass) => Promise<void>) {
  const api = await startFakeApiServer({ token: "t" });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.3.0.1", pod: "a" }, { ip: "10.3.0.2", pod: "b" }],
  }));
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    addressType: "IPv6",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "fd00::3", pod: "c" }],
  }));
  const Resolver = registeredClass({ cluster: { kubeconfig: api.kubeconfig() }, backoff: { initialMs: 20 } });
  try {
    await run(api, Resolver);
  } finally {
    await api.close();
  }
}

Deno.test("getDefaultAuthority() returns svc.ns (svc without a namespace) and never a port", () => {
  const Resolver = registeredClass({});
  assert.equal(Resolver.getDefaultAuthority(uri("kubernetes:///echo.prod:grpc")), "echo.prod");
  assert.equal(Resolver.getDefaultAuthority(uri("kubernetes:///echo.prod:8080")), "echo.prod");
  assert.equal(Resolver.getDefaultAuthority(uri("kubernetes://prod/echo:8080")), "echo.prod");
  assert.equal(Resolver.getDefaultAuthority(uri("kubernetes:///echo:grpc")), "echo");
});

Deno.test("the resolver reports one endpoint per pod with kubernetes_round_robin, asynchronously", async () => {
  await withService(async (_api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    const [report] = reports;
    assert.equal(report.endpoints.ok, true);
    assert.deepEqual(report.endpoints.value!.map((endpoint) => endpoint.addresses).sort(byHost), [
      [{ host: "10.3.0.1", port: 8080 }],
      [{ host: "10.3.0.2", port: 8080 }],
      [{ host: "fd00::3", port: 8080 }],
    ]);
    // The channel's TLS name, for the policy's advice when the pods' certificate does not hold it.
    assert.deepEqual(new Set(report.endpoints.value!.map((endpoint) => endpoint.authority)), new Set(["echo.prod"]));
    assert.deepEqual(report.serviceConfig, {
      ok: true,
      value: { loadBalancingConfig: [{ kubernetes_round_robin: {} }], methodConfig: [] },
    });
    call(() => resolver.destroy());
  });
});

/** Orders endpoints' address lists by their first host. */
function byHost(a: { host: string }[], b: { host: string }[]): number {
  return a[0].host < b[0].host ? -1 : a[0].host > b[0].host ? 1 : 0;
}

Deno.test("each channel gets the pods starting at a random one, so that pick_first channels spread over them", async () => {
  await withService(async (_api, Resolver) => {
    const firsts = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const { reports, listener, call } = recorder();
      const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
      call(() => resolver.updateResolution());
      await eventually(() => reports.length === 1, "a report");
      const hosts = reports[0].endpoints.value!.map((endpoint) => endpoint.addresses[0].host);
      // A rotation of the pods' order: pick_first's fallback order is the same for every channel.
      assert.ok(
        ["10.3.0.1,10.3.0.2,fd00::3", "10.3.0.2,fd00::3,10.3.0.1", "fd00::3,10.3.0.1,10.3.0.2"]
          .includes(hosts.join()),
        hosts.join(),
      );
      firsts.add(hosts[0]);
      call(() => resolver.destroy());
    }
    // 24 channels over 3 pods: all three come first somewhere (the odds against are 3 in 3^24).
    assert.equal(firsts.size, 3);
  });
});

Deno.test("the channel's own grpc.service_config wins over the default kubernetes_round_robin", async () => {
  await withService(async (_api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {
      "grpc.service_config": '{"loadBalancingConfig":[{"pick_first":{}}]}',
    });
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    assert.equal(reports[0].serviceConfig, null);
    call(() => resolver.destroy());
  });
});

Deno.test("a channel service config without loadBalancingConfig (pick_first: one pod) gets one logged warning", () => {
  const logged: unknown[][] = [];
  const Resolver = registeredClass({}, (...args) => void logged.push(args));
  const listener = () => true;
  const retryOnly = JSON.stringify({ methodConfig: [{ name: [{}], waitForReady: true }] });
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, { "grpc.service_config": retryOnly });
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, { "grpc.service_config": retryOnly });
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {
    "grpc.service_config": '{"loadBalancingConfig":[{"pick_first":{}}]}',
  });
  assert.equal(logged.length, 1);
  assert.equal(logged[0][0], grpc.logVerbosity.ERROR);
  assert.match(String(logged[0][1]), /has no loadBalancingConfig, so grpc-js uses pick_first/);
  // An empty list of policies is pick_first too.
  const emptyList: unknown[][] = [];
  const Other = registeredClass({}, (...args) => void emptyList.push(args));
  new Other(uri("kubernetes:///echo.prod:grpc"), listener, { "grpc.service_config": '{"loadBalancingConfig":[]}' });
  assert.equal(emptyList.length, 1);
  // A config written for grpc-go names its policy in the older field, which grpc-js ignores: the warning names it.
  const goStyle: unknown[][] = [];
  const Go = registeredClass({}, (...args) => void goStyle.push(args));
  new Go(uri("kubernetes:///echo.prod:grpc"), listener, {
    "grpc.service_config": '{"loadBalancingPolicy":"round_robin"}',
  });
  assert.match(
    String(goStyle[0][1]),
    /has no loadBalancingConfig \(grpc-js ignores loadBalancingPolicy, the older field grpc-go and C-core still read\), so grpc-js uses pick_first/,
  );
});

Deno.test("a channel service config with an option kubernetes_round_robin does not have keeps the policy, with one warning", () => {
  const logged: unknown[][] = [];
  const Resolver = registeredClass({}, (...args) => void logged.push(args));
  const listener = () => true;
  // Refused, it would leave grpc-js no policy it accepts: pick_first, every call to one pod. grpc-js's own policies
  // ignore options they do not have; ours does too, and says so once per option.
  const config = JSON.stringify({ loadBalancingConfig: [{ kubernetes_round_robin: { subsetSize: 2 } }] });
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, { "grpc.service_config": config });
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, { "grpc.service_config": config });
  const selected = grpc.experimental.selectLbConfigFromList([{ kubernetes_round_robin: { subsetSize: 2 } }]);
  assert.equal(selected?.getLoadBalancerName(), "kubernetes_round_robin");
  assert.equal(logged.length, 1, JSON.stringify(logged.map(String)));
  assert.equal(logged[0][0], grpc.logVerbosity.ERROR);
  assert.equal(
    logged[0][1],
    "kubernetes_round_robin ignores an option of its config: it has no option 'subsetSize': its one option is " +
      "'failoverTimeoutMs'; pass subsetSize to register() or in nice-grpc's resolver options",
  );
});

Deno.test("a channel service config whose kubernetes_round_robin config is no object keeps the policy, with one warning", () => {
  const logged: unknown[][] = [];
  const Resolver = registeredClass({}, (...args) => void logged.push(args));
  const listener = () => true;
  // A list of options, where an object of them belongs, left the failover timeout at 10 s without a word.
  const config = JSON.stringify({ loadBalancingConfig: [{ kubernetes_round_robin: [{ failoverTimeoutMs: 3000 }] }] });
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, { "grpc.service_config": config });
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, { "grpc.service_config": config });
  // null, as YAML reads `kubernetes_round_robin:` with nothing after it, is an empty config: no warning.
  const selected = grpc.experimental.selectLbConfigFromList([{ kubernetes_round_robin: null as never }]);
  assert.equal(selected?.getLoadBalancerName(), "kubernetes_round_robin");
  assert.equal(logged.length, 1, JSON.stringify(logged.map(String)));
  assert.equal(
    logged[0][1],
    "kubernetes_round_robin ignores its config: it must be an object of options, such as " +
      '{"failoverTimeoutMs":3000}: current value is of type list',
  );
});

Deno.test("a channel service config whose loadBalancingConfig grpc-js accepts none of gets one warning with why", () => {
  const logged: unknown[][] = [];
  const Resolver = registeredClass({}, (...args) => void logged.push(args));
  const listener = () => true;
  // grpc-js takes the first policy it accepts: here round_robin, so no warning.
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {
    "grpc.service_config": '{"loadBalancingConfig":[{"round-robin":{}},{"round_robin":{}}]}',
  });
  assert.equal(logged.length, 0);
  // outlier_detection as gRPC's docs spell it in camelCase: grpc-js 1.14 wants child_policy and Duration objects,
  // refuses it without a word (a DEBUG trace) and falls back to pick_first: every call to one pod.
  const outlierDetection = JSON.stringify({
    loadBalancingConfig: [{ outlier_detection: { interval: "10s", childPolicy: [{ round_robin: {} }] } }],
  });
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, { "grpc.service_config": outlierDetection });
  new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, { "grpc.service_config": outlierDetection });
  assert.equal(logged.length, 1);
  assert.equal(logged[0][0], grpc.logVerbosity.ERROR);
  assert.match(
    String(logged[0][1]),
    /grpc-js accepts none of the policies in this channel's grpc\.service_config \(outlier_detection: .*interval.*\), so it uses pick_first and sends every call to one pod; /,
  );
  const typo: unknown[][] = [];
  const Other = registeredClass({}, (...args) => void typo.push(args));
  new Other(uri("kubernetes:///echo.prod:grpc"), listener, {
    "grpc.service_config": '{"loadBalancingConfig":[{"round-robin":{}}]}',
  });
  assert.equal(typo.length, 1);
  assert.match(String(typo[0][1]), /Unrecognized load balancing config name round-robin/);
});

Deno.test("updateResolution() storms cause no API requests", async () => {
  await withService(async (api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    // The report comes from the LIST: wait for the watch that follows it, and for the Service's read, made beside
    // the LIST (for its internalTrafficPolicy) and answered after the watch opened in 1 CI-style run at load 25.
    await eventually(() => api.openWatches === 1, "the watch");
    await eventually(() => api.requests.some((request) => request.path.endsWith("/services/echo")), "the Service read");
    const before = api.requests.length;
    for (let i = 0; i < 10_000; i++) call(() => resolver.updateResolution());
    // A second: a storm that stops the watch and starts another (an updateResolution() that unsubscribes first) makes
    // its LIST and WATCH 100-400 ms after the calls here, which a wait of 100 ms let pass.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(api.requests.length, before, api.requests.slice(before).map((r) => `${r.method} ${r.path}`).join());
    assert.equal(reports.length, 1, "nothing changed, so nothing is reported again");
    call(() => resolver.destroy());
  });
});

Deno.test("after destroy() the same resolver resolves again on updateResolution()", async () => {
  await withService(async (api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    call(() => resolver.destroy());
    await eventually(() => api.openWatches === 0, "the watch to stop after destroy()");
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 2, "a second report");
    assert.equal(reports[1].endpoints.value!.length, 3);
    call(() => resolver.destroy());
  });
});

Deno.test("an empty Service is reported as UNAVAILABLE with the note alone while the channel has no endpoints", async () => {
  await withService(async (_api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///nothing.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    await new Promise((resolve) => setTimeout(resolve, 100));
    // No empty list first: grpc-js's policies would fail calls queued for a pick with their own poorer message.
    assert.equal(reports.length, 1);
    assert.equal(reports[0].endpoints.error!.code, grpc.status.UNAVAILABLE);
    assert.match(
      reports[0].endpoints.error!.details,
      /no ready endpoints for service nothing in namespace prod: service nothing does not exist in namespace prod \(kubectl get services -n prod lists those there are\)$/,
    );
    call(() => resolver.destroy());
  });
});

Deno.test("a target without a namespace fails calls saying where the namespace they looked in came from", async () => {
  // Was "no ready endpoints for service nothing in namespace default: it has no EndpointSlice: check that the
  // Service exists in namespace default ...", which never said that the target named no namespace.
  await withService(async (api) => {
    const cases = [
      [
        {},
        / in namespace default \(the target names no namespace, and none is set in the kubeconfig object given as cluster\.kubeconfig \(context "fake-api-server"\)\): service nothing does not exist in namespace default/,
      ],
      [
        { namespace: "prod" },
        / in namespace prod \(the target names no namespace, so it comes from the kubeconfig object given as cluster\.kubeconfig \(context "fake-api-server"\)\): service nothing does not exist in namespace prod/,
      ],
    ] as const;
    for (const [kubeconfigOptions, expected] of cases) {
      const Resolver = registeredClass({ cluster: { kubeconfig: api.kubeconfig(kubeconfigOptions) } });
      const { reports, listener, call } = recorder();
      const resolver = new Resolver(uri("kubernetes:///nothing:grpc"), listener, {});
      call(() => resolver.updateResolution());
      await eventually(() => reports.length === 1, "a report");
      assert.match(reports[0].endpoints.error!.details, expected);
      call(() => resolver.destroy());
    }
  });
});

Deno.test("a target naming a port the Service lacks fails calls with that port and the ones it has", async () => {
  await withService(async (_api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:http"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    assert.match(
      reports[0].endpoints.error!.details,
      /no ready endpoints for service echo in namespace prod: its EndpointSlices have no port named "http" \(they have "grpc" \(\d+\)\): name one of those in the target, or check that the pods have the container port the Service's targetPort names$/,
    );
    call(() => resolver.destroy());
  });
});

Deno.test("a target port number no slice has (the Service's port, not the pods') is the resolution note of the endpoints", async () => {
  await withService(async (api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:80"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the endpoints");
    assert.deepEqual(reports[0].endpoints.value!.map((endpoint) => endpoint.addresses[0].port), [80, 80, 80]);
    assert.equal(
      reports[0].note,
      'port 80 is none of the ports the Service\'s EndpointSlices give its pods ("grpc" (8080)): the pods are dialed ' +
        "on 80 as given; if 80 is the Service's port, name the port in the target instead (:grpc)",
    );
    // The Service's targetPort becomes 80: the same endpoints, and no note any more.
    for (const slice of api.slices("prod")) {
      api.applySlice({ ...slice, ports: [{ name: "grpc", port: 80, protocol: "TCP" }] });
    }
    await eventually(() => reports.at(-1)!.note === "", "the note gone");
    assert.deepEqual(reports.at(-1)!.endpoints, reports[0].endpoints);
    // The pods' own number has no note.
    const pods = recorder();
    const other = new Resolver(uri("kubernetes:///echo.prod:80"), pods.listener, {});
    pods.call(() => other.updateResolution());
    await eventually(() => pods.reports.length === 1, "the endpoints");
    assert.equal(pods.reports[0].note, "");
    call(() => resolver.destroy());
    pods.call(() => other.destroy());
  });
});

Deno.test("while the watch fails, a target port number no slice has stays in the note, after the stale note", async () => {
  await withService(async (api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:80"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the endpoints");
    api.failNext(1000, { status: 503 });
    api.dropWatches();
    // The stale note had replaced the port note: calls on the wrong port said only that updates were failing.
    await eventually(() => reports.at(-1)!.note.includes("may be stale"), "the stale note");
    assert.match(
      reports.at(-1)!.note,
      /^these endpoints may be stale: updates have failed since .*; port 80 is none of the ports the Service's EndpointSlices give/,
    );
    assert.deepEqual(reports.at(-1)!.endpoints, reports[0].endpoints);
    call(() => resolver.destroy());
  });
});

Deno.test("a Service scaled to zero drops its endpoints and then fails calls with the note", async () => {
  await withService(async (api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the endpoints");
    for (const slice of api.slices("prod")) api.deleteSlice("prod", slice.metadata.name);
    await eventually(() => reports.at(-1)!.endpoints.ok === false, "the error");
    assert.deepEqual(reports.at(-2)!.endpoints, { ok: true, value: [] });
    assert.match(
      reports.at(-1)!.endpoints.error!.details,
      // The fake has slices of echo, but no Service: its read answered 404.
      /no ready endpoints for service echo in namespace prod: service echo does not exist in namespace prod/,
    );
    call(() => resolver.destroy());
  });
});

Deno.test("the listener is never called after destroy(), even for a bad target", async () => {
  await withService(async (_api, Resolver) => {
    const { reports, listener, call } = recorder();
    const bad = new Resolver({ scheme: "kubernetes", authority: "", path: "Bad_Name:grpc" }, listener, {});
    call(() => bad.updateResolution());
    call(() => bad.destroy());
    const good = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => good.updateResolution());
    call(() => good.destroy());
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(reports, []);
  });
});

/** Runs `body` with the warnings kept from standard error; returns them. */
async function warningsOf(body: () => Promise<void>): Promise<string[]> {
  const warnings: string[] = [];
  const previous = setWarningSink((text) => warnings.push(text));
  try {
    await body();
  } finally {
    setWarningSink(previous);
  }
  return warnings;
}

Deno.test("API failures before any success are UNAVAILABLE with advice; after a success they keep the endpoints, noted as maybe stale until the watch recovers", async () => {
  const warnings = await warningsOf(() =>
    withService(async (api, Resolver) => {
      // A missing grant: the streaming list, then the LIST it falls back to once, are forbidden.
      api.failNext(2, { status: 403 });
      const { reports, listener, call } = recorder();
      const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
      call(() => resolver.updateResolution());
      await eventually(() => reports.length === 2, "an error, then the endpoints");
      assert.equal(reports[0].endpoints.ok, false);
      assert.equal(reports[0].endpoints.error!.code, grpc.status.UNAVAILABLE);
      assert.match(
        reports[0].endpoints.error!.details,
        /grant "(list|watch)" on "endpointslices" in API group "discovery\.k8s\.io" \(a resolver needs "list" and "watch"\)/,
      );
      assert.equal(reports[1].endpoints.ok, true);
      api.failNext(5, { status: 500 });
      api.dropWatches();
      await eventually(() => api.requests.filter((request) => request.status === 500).length === 5, "failures");
      await eventually(() => api.openWatches === 1, "the watch again");
      assert.notEqual(reports.at(-1)!.note, "", "a watch that merely opens may still break: no recovery yet");
      // A change that leaves the endpoints as they are: the watch delivers an event, so it works again.
      const [slice] = api.slices("prod");
      api.applySlice({ ...slice, metadata: { ...slice.metadata, annotations: { touched: "yes" } } });
      await eventually(() => reports.at(-1)!.note === "", "the note cleared once the watch works again");
      assert.equal(api.requests.filter((request) => request.status === 500).length, 5);
      // Failures after a success are notes on the same endpoints (one per new reason, the time the failures began
      // in each), not errors.
      const notes = reports.slice(2, -1).map((report) => report.note);
      assert.ok(notes.some((note) => /answered 500/.test(note)), notes.join("\n"));
      const since = notes[0].match(/^these endpoints may be stale: updates have failed since (\S+Z): /);
      assert.ok(since, notes[0]);
      for (const note of notes) assert.ok(note.startsWith(since[0]), note);
      assert.equal(new Set(notes).size, notes.length, "a note is not repeated");
      for (const report of reports.slice(2)) assert.deepEqual(report.endpoints, reports[1].endpoints);
      call(() => resolver.destroy());
    })
  );
  // The 403, which no onError hears and no retry gets over, is said once on standard error; the 500s are not.
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /forbidden \(403\).*\(channels have no endpoints to call yet, and retry; /);
});

Deno.test("a Service without ready pods fails calls with why again once the watch recovers from a failure", async () => {
  const api = await startFakeApiServer({ token: "t" });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.3.0.1", pod: "a", ready: false }],
  }));
  const Resolver = registeredClass({ cluster: { kubeconfig: api.kubeconfig() }, backoff: { initialMs: 20 } });
  try {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the empty Service's error");
    const emptyError = reports[0].endpoints.error!.details;
    assert.match(emptyError, /no ready endpoints for service echo in namespace prod/);
    // The watch's, not the Service read the policy makes at the same resume, which may come first.
    api.failNext(1, { status: 500, path: "watch" });
    api.dropWatches();
    await eventually(() => /answered 500/.test(reports.at(-1)!.endpoints.error?.details ?? ""), "the outage");
    await eventually(() => api.openWatches === 1, "the watch again");
    // A change that selects nothing new: the watch delivers an event, so it works again, and no snapshot comes.
    const [slice] = api.slices("prod");
    api.applySlice({ ...slice, metadata: { ...slice.metadata, annotations: { touched: "yes" } } });
    await eventually(() => reports.at(-1)!.endpoints.error?.details === emptyError, "why again, not the outage");
    call(() => resolver.destroy());
  } finally {
    await api.close();
  }
});

Deno.test("after the channel went idle (destroy()), a failing API server leaves it the endpoints it had, noted as maybe stale", async () => {
  await withService(async (api, Resolver) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the endpoints");
    // grpc-js destroys an idle channel's resolver (grpc.client_idle_timeout_ms) and calls updateResolution() on
    // the same instance when a call comes: the API server may be down right then (a restart, an upgrade).
    call(() => resolver.destroy());
    await eventually(() => api.openWatches === 0, "the watch to stop after destroy()");
    api.failNext(3, { status: 503 });
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 2, "a report after the wake-up");
    assert.deepEqual(reports[1].endpoints, reports[0].endpoints, "calls go on to the pods it had");
    assert.match(
      reports[1].note,
      /^these endpoints may be stale: they were resolved at \S+Z, before the channel went idle, and updates have failed since \S+Z: .*answered 503/,
    );
    await eventually(() => reports.at(-1)!.note === "", "the note cleared once the watch works again");
    assert.deepEqual(reports.at(-1)!.endpoints, reports[0].endpoints);
    assert.ok(reports.every((report) => report.endpoints.ok), "no error ever fails the calls");
    call(() => resolver.destroy());
  });
});

/**
 * Runs `run` with a resolver class whose API server is the fake behind a proxy that forwards connections until
 * `hold()`, then holds new ones without a word, as a hung or unreachable API server does (the watch waits for its
 * stall timeout then, 150 s, or over TLS for the 10 s connection timeout).
 */
async function withHoldingProxy(run: (api: FakeApiServer, Resolver: ResolverClass, hold: () => void) => Promise<void>) {
  await withService(async (api) => {
    let holding = false;
    const sockets = new Set<Socket>();
    const upstream = new URL(api.url);
    const proxy = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
      if (holding) return;
      const server = connect(Number(upstream.port), upstream.hostname);
      sockets.add(server);
      server.on("close", () => sockets.delete(server));
      server.on("error", () => socket.destroy());
      socket.pipe(server).pipe(socket);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const kubeconfig = api.kubeconfig();
    kubeconfig.clusters![0].cluster.server = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    try {
      await run(api, registeredClass({ cluster: { kubeconfig } }), () => holding = true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
}

Deno.test("after the channel went idle, an API server that does not answer leaves it the endpoints it had within 1 s", async () => {
  await withHoldingProxy(async (api, Resolver, hold) => {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the endpoints");
    call(() => resolver.destroy());
    await eventually(() => api.openWatches === 0, "the watch to stop after destroy()");
    hold();
    const woken = Date.now();
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 2, "a report after the wake-up");
    const waited = Date.now() - woken;
    // The 1 s grace, not the stall timeout (150 s): 3 s more leaves a loaded machine room for the timer's turn.
    assert.ok(waited >= 900 && waited < 4000, `the endpoints came back after ${waited} ms`);
    assert.deepEqual(reports[1].endpoints, reports[0].endpoints, "calls go on to the pods it had");
    assert.match(
      reports[1].note,
      /^these endpoints may be stale: they were resolved at \S+Z, before the channel went idle, and updates have failed since \S+Z: the API server has not answered within 1 s after the channel left idle$/,
    );
    call(() => resolver.destroy());
  });
});

Deno.test("after the channel went idle, the pre-1.14 object listener gets the endpoints it had within 1 s when the API server does not answer", async () => {
  await withHoldingProxy(async (api, Resolver, hold) => {
    const { results, errors, resolver } = await objectListenerIdleAndWoken(api, Resolver, hold);
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(errors, []);
    resolver.destroy();
  });
});

Deno.test("a channel that joins a failing watch dates its stale note from when the watch began failing", async () => {
  await withService(async (api, Resolver) => {
    const first = recorder();
    const a = new Resolver(uri("kubernetes:///echo.prod:grpc"), first.listener, {});
    first.call(() => a.updateResolution());
    await eventually(() => first.reports.length === 1, "the endpoints");
    api.failNext(1000, { status: 500 });
    api.dropWatches();
    await eventually(() => first.reports.at(-1)!.note !== "", "the note");
    const since = /since (\S+Z): /.exec(first.reports.at(-1)!.note)![1];
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the next second
    const second = recorder();
    const b = new Resolver(uri("kubernetes:///echo.prod:grpc"), second.listener, {});
    second.call(() => b.updateResolution());
    await eventually(() => second.reports.at(-1)?.note.includes("may be stale") === true, "the joiner's note");
    assert.equal(second.reports[0].note, "", "the last endpoints first");
    assert.equal(/since (\S+Z): /.exec(second.reports.at(-1)!.note)![1], since);
    first.call(() => a.destroy());
    second.call(() => b.destroy());
  });
});

Deno.test("a stale note from a Service read that failed goes once the read succeeds, with the same endpoints", async () => {
  const warnings = await warningsOf(() =>
    withService(async (api, Resolver) => {
      const slices = { verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"] };
      api.applyService({
        metadata: { namespace: "prod", name: "echo" },
        spec: { ports: [{ name: "grpc", port: 80 }, { name: "http", port: 81 }] },
      });
      api.setAccess({ username: "u", rules: [slices] });
      const { reports, listener, call } = recorder();
      const resolver = new Resolver(uri("kubernetes:///echo.prod"), listener, {});
      call(() => resolver.updateResolution());
      await eventually(() => reports.at(-1)?.endpoints.ok === true, "the endpoints of the slices' one port");
      // A second port name appears: the Service must be read for its first port, and may not be.
      const [slice] = api.slices("prod");
      api.applySlice({
        ...slice,
        metadata: { ...slice.metadata, name: "echo-http" },
        ports: [{ name: "http", port: 81 }],
      });
      await eventually(() => reports.at(-1)!.note.includes("may be stale"), "the note");
      api.setAccess({ username: "u", rules: [slices, { verbs: ["get"], apiGroups: [""], resources: ["services"] }] });
      await eventually(() => reports.at(-1)!.note === "", "the note gone once the Service was read");
      call(() => resolver.destroy());
    })
  );
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /^Cannot choose a port for service "echo".*forbidden \(403\)/);
});

Deno.test("a bad target is reported as an error naming the target", async () => {
  const Resolver = registeredClass({});
  const { reports, listener, call } = recorder();
  const resolver = new Resolver({ scheme: "kubernetes", authority: "", path: "Bad_Name:grpc" }, listener, {});
  call(() => resolver.updateResolution());
  await eventually(() => reports.length === 1, "a report");
  assert.match(reports[0].endpoints.error!.details, /Cannot parse target "kubernetes:\/\/\/Bad_Name:grpc"/);
});

Deno.test("a target with a password is reported without it, saying where credentials go", async () => {
  const Resolver = registeredClass({});
  const { reports, listener, call } = recorder();
  // grpc-js's split of "kubernetes://admin:s3cret@host/echo.prod:grpc".
  const resolver = new Resolver(uri("kubernetes://admin:s3cret@host/echo.prod:grpc"), listener, {});
  call(() => resolver.updateResolution());
  await eventually(() => reports.length === 1, "a report");
  const { details } = reports[0].endpoints.error!;
  assert.ok(details.startsWith('Cannot parse target "kubernetes://***@host/echo.prod:grpc": '), details);
  assert.ok(details.includes("credentials belong in the kubeconfig") && !details.includes("s3cret"), details);
});

Deno.test("the pre-1.14 object listener is supported", async () => {
  await withService(async (_api, Resolver) => {
    const results: unknown[][] = [];
    const listener = {
      onSuccessfulResolution: (endpoints: unknown[]) => results.push(endpoints),
      onError: () => {},
    };
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    resolver.updateResolution();
    await eventually(() => results.length === 1, "a report");
    assert.equal(results[0].length, 3);
    resolver.destroy();
  });
});

Deno.test("an empty Service reaches a pre-1.14 channel as an error even when its pick_first throws on the empty list", async () => {
  await withService(async (_api, Resolver) => {
    const errors: { details: string }[] = [];
    const listener = {
      // grpc-js 1.10's pick_first: "No addresses in endpoint list passed to pick_first".
      onSuccessfulResolution(endpoints: unknown[]) {
        if (endpoints.length === 0) throw new Error("No addresses in endpoint list passed to pick_first");
      },
      onError: (error: { details: string }) => errors.push(error),
    };
    const resolver = new Resolver(uri("kubernetes:///nothing.prod:grpc"), listener, {});
    resolver.updateResolution();
    await eventually(() => errors.length === 1, "the error");
    assert.match(
      errors[0].details,
      /no ready endpoints for service nothing in namespace prod: service nothing does not exist in namespace prod/,
    );
    resolver.destroy();
  });
});

Deno.test("the pre-1.14 object listener gets the endpoints it had back after the channel went idle, when the API fails", async () => {
  await withService(async (api, Resolver) => {
    const { results, errors, resolver } = await objectListenerIdleAndWoken(
      api,
      Resolver,
      () => api.failNext(1000, { status: 503 }),
    );
    assert.deepEqual(results[1], results[0]);
    await eventually(() => api.requests.filter((request) => request.status === 503).length >= 3, "failures");
    assert.equal(results.length, 2, "handed over once: this listener takes no note of why they may be stale");
    assert.deepEqual(errors, []);
    resolver.destroy();
  });
});

Deno.test("a burst of changes reaches a slow channel as a few updates ending with the latest", async () => {
  await withService(async (api, Resolver) => {
    const { reports, listener, call } = recorder();
    const slow: Listener = (...args) => {
      const result = listener(...args);
      const busyUntil = Date.now() + 20;
      while (Date.now() < busyUntil) { /* grpc-js rebuilding its subchannels */ }
      return result;
    };
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), slow, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the first report");
    for (let i = 1; i <= 100; i++) {
      api.applySlice(endpointSlice({
        namespace: "prod",
        service: "echo",
        port: { name: "grpc", port: 8080 },
        endpoints: [{ ip: `10.4.0.${i}`, pod: `p${i}` }],
      }));
    }
    const last = (report: Report) => report.endpoints.value?.map((endpoint) => endpoint.addresses[0].host);
    await eventually(
      () => reports.at(-1) !== undefined && last(reports.at(-1)!)?.includes("10.4.0.100") === true,
      "the last state",
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(reports.length <= 12, `${reports.length} updates for 100 changes`);
    call(() => resolver.destroy());
  });
});

Deno.test("subsetSize hands the channel a stable subset of the pods", async () => {
  const api = await startFakeApiServer({ token: "t" });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: Array.from({ length: 20 }, (_, i) => ({ ip: `10.5.0.${i + 1}`, pod: `p${i}` })),
  }));
  const Resolver = registeredClass({ cluster: { kubeconfig: api.kubeconfig() }, subsetSize: 3 });
  try {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    const first = reports[0].endpoints.value!.map((endpoint) => endpoint.addresses[0].host);
    assert.equal(first.length, 3);
    // A pod outside the subset goes: the subset stays.
    const outside = Array.from({ length: 20 }, (_, i) => `10.5.0.${i + 1}`).find((host) => !first.includes(host))!;
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      port: { name: "grpc", port: 8080 },
      endpoints: Array.from({ length: 20 }, (_, i) => ({ ip: `10.5.0.${i + 1}`, pod: `p${i}` }))
        .filter((endpoint) => endpoint.ip !== outside),
    }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(reports.at(-1)!.endpoints.value!.map((endpoint) => endpoint.addresses[0].host), first);
    // Calls that fail on every pod of the subset say so ("No connection to any endpoint of ..."): the Service's
    // other pods may all be ready, and kubectl and the CLI (without the channel's random seed) show them usable.
    assert.equal(
      reports.at(-1)!.endpoints.value![0].service,
      "service echo in namespace prod (this channel's subset of 3 of its 19 usable pods: subsetSize)",
    );
    call(() => resolver.destroy());
    assert.throws(
      () => registeredClass({ subsetSize: 0 }),
      /Cannot use option 'subsetSize': it must be a positive integer/,
    );
  } finally {
    await api.close();
  }
});

Deno.test("subsetSize with topology keeps failover pods only for a policy that fails over: round_robin gets subsetSize pods of all", async () => {
  const api = await startFakeApiServer({ token: "t" });
  // Eight pods, four in each zone, each hinted for its own zone: a client in zone a prefers four.
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    trafficDistribution: "PreferSameZone",
    endpoints: Array.from({ length: 8 }, (_, i) => ({ ip: `10.5.0.${i + 1}`, pod: `p${i}`, zone: i % 2 ? "b" : "a" })),
  }));
  const handed = async (options: Parameters<typeof register>[0], channelOptions: Record<string, unknown> = {}) => {
    const Resolver = registeredClass({
      cluster: { kubeconfig: api.kubeconfig() },
      locality: { zone: "a" },
      subsetSize: 2,
      subsetSeed: 7,
      ...options,
    });
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, channelOptions);
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    call(() => resolver.destroy());
    return reports[0].endpoints.value!.length;
  };
  const roundRobin = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });
  const ours = JSON.stringify({
    loadBalancingConfig: [{ outlier_detection: { child_policy: [{ kubernetes_round_robin: {} }] } }],
    methodConfig: [],
  });
  try {
    assert.equal(await handed({}), 4, "kubernetes_round_robin: 2 preferred and 2 to fail over to");
    assert.equal(await handed({}, { "grpc.service_config": ours }), 4, "ours under outlier_detection");
    // round_robin spreads calls over every pod it gets: half of them in other zones, twice the connections asked for.
    assert.equal(await handed({ loadBalancing: "round_robin" }), 2, "register()'s round_robin");
    assert.equal(await handed({}, { "grpc.service_config": roundRobin }), 2, "the channel's own round_robin");
    assert.equal(await handed({ loadBalancing: "pick_first" }), 2, "pick_first");
  } finally {
    await api.close();
  }
});

Deno.test("the trace says a channel uses a subset only when subsetSize left pods out", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const apply = (count: number) =>
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      port: { name: "grpc", port: 8080 },
      endpoints: Array.from({ length: count }, (_, i) => ({ ip: `10.5.0.${i + 1}`, pod: `p${i}` })),
    }));
  apply(3);
  const Resolver = registeredClass({ cluster: { kubeconfig: api.kubeconfig() }, subsetSize: 5 });
  const traces: string[] = [];
  const previous = setTraceSink((text) => traces.push(text));
  try {
    const { reports, listener, call } = recorder();
    const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    apply(8);
    await eventually(() => reports.length === 2, "a second report");
    call(() => resolver.destroy());
    const counts = traces.filter((text) => text.startsWith("kubernetes:///echo.prod:grpc: "));
    assert.deepEqual(counts, [
      "kubernetes:///echo.prod:grpc: 3 endpoints",
      "kubernetes:///echo.prod:grpc: 5 endpoints (a subset of 8)",
    ]);
  } finally {
    setTraceSink(previous);
    await api.close();
  }
});

Deno.test("register() refuses a grpc option that is no grpc-js module, and the module passed as the options", async () => {
  const niceGrpc = await import("nice-grpc");
  for (
    const [value, shown] of [[niceGrpc, /an object with keys /], [{}, /an object with no keys$/], [
      "@grpc/grpc-js",
      /"@grpc\/grpc-js"$/,
    ]] as const
  ) {
    assert.throws(
      () => register({ grpc: value as never, scheme: "kubernetes-bad-grpc" }),
      (error) =>
        error instanceof TypeError &&
        error.message.startsWith(
          `Cannot use option 'grpc': it must be the @grpc/grpc-js module, as in import * as grpc from "@grpc/grpc-js" ` +
            `and register({ grpc }) (nice-grpc's module is not it; for nice-grpc use createChannel() from ` +
            `@kgr/resolver/nice-grpc): current value is `,
        ) && shown.test(error.message),
    );
  }
  assert.throws(
    () => register(grpc as never),
    new TypeError(
      "Cannot register the resolver: the grpc-js module was passed as the options; pass it as register({ grpc })",
    ),
  );
});

// A function's own text went into the message: `register({ grpc: grpc.Client })` printed the 300 lines of grpc-js's
// Client class after "current value is".
Deno.test("register() names a function or class given as an option, without its source", () => {
  function whereAmI() {
    return { zone: "zone-a" };
  }
  for (
    const [options, shown] of [
      [{ grpc: grpc.Client }, "current value is the class Client"],
      [{ locality: whereAmI }, "current value is the function whereAmI"],
      [{ stallTimeoutMs: [() => 1000][0] }, "current value is a function"],
    ] as const
  ) {
    assert.throws(
      () => register({ ...options, scheme: "kubernetes-function-option" } as never),
      (error) => error instanceof TypeError && error.message.endsWith(shown),
    );
  }
});

// grpc-js 1.9 (which nice-grpc 2.1.8 pins) has none of the policy API of 1.10: register() went through, and every
// call then waited until its deadline (4 DEADLINE_EXCEEDED) without a word of why. Outside node_modules, on Deno,
// Deno's commands: npm's gave a Deno project without package.json `npm i`.
Deno.test("register() refuses a grpc-js older than 1.10, naming the range it needs", () => {
  const { LeafLoadBalancer: _leaf, selectLbConfigFromList: _select, ...experimental19 } = grpc.experimental;
  const grpc19 = { ...grpc, experimental: { ...experimental19, registerResolver: () => {} } };
  assert.throws(
    () => register({ grpc: grpc19 as never, scheme: "kubernetes-grpc-js-1-9" }),
    new TypeError(
      "Cannot register the resolver: this @grpc/grpc-js is older than 1.10 (its experimental API has no " +
        "LeafLoadBalancer, selectLbConfigFromList), and @kgr/resolver needs @grpc/grpc-js ^1.10.0: install a newer " +
        "one (deno add npm:@grpc/grpc-js@latest), and run deno why @grpc/grpc-js to find an older copy that another " +
        "package brings (nice-grpc 2.1.8 pins 1.9: update nice-grpc)",
    ),
  );
});

Deno.test("register() refuses bad options at once, naming them", () => {
  assert.throws(
    () => registeredClass({ subsetSize: "5" as unknown as number }),
    /Cannot use option 'subsetSize': it must be a positive integer \(.*\): current value is "5"/,
  );
  // A bigint showed as "current value is 10", the very value the message asks for.
  assert.throws(
    () => registeredClass({ subsetSize: 10n as unknown as number }),
    new TypeError(
      "Cannot use option 'subsetSize': it must be a positive integer (how many pods each channel connects to): " +
        "current value is 10n",
    ),
  );
  assert.throws(
    () => registeredClass({ subsetSize: 10, subsetSeed: 7n as unknown as number }),
    /Cannot use option 'subsetSeed': it must be a 32-bit integer \(.*\): current value is 7n$/,
  );
  for (const subsetSeed of [1.5, -(2 ** 31) - 1, 2 ** 32]) {
    assert.throws(
      () => registeredClass({ subsetSize: 2, subsetSeed }),
      /Cannot use option 'subsetSeed': it must be a 32-bit integer \(-2147483648 to 4294967295\)/,
    );
  }
  // Alone, the seed subset nothing: every channel still connected to every pod.
  assert.throws(
    () => registeredClass({ subsetSeed: 42 }),
    (error) =>
      error instanceof TypeError &&
      error.message === "Cannot use option 'subsetSeed' without 'subsetSize': the seed only chooses which pods a " +
          "subset holds; set subsetSize too (such as 100), or leave subsetSeed out: current value is 42",
  );
  for (const subsetSeed of [2 ** 32 - 1, -1, -(2 ** 31)]) {
    assert.doesNotThrow(() => registeredClass({ subsetSize: 2, subsetSeed }));
  }
  for (const locality of [null, "zone-a", { zone: 5 }, []]) {
    assert.throws(
      () => registeredClass({ locality: locality as never }),
      (error) => error instanceof TypeError && /Cannot use option 'locality': it must be an object/.test(error.message),
    );
  }
  assert.doesNotThrow(() => registeredClass({ locality: {} }));
  // A misspelt option left its default without a word, and a cluster option beside `cluster` left access to
  // KUBECONFIG or ~/.kube/config; a value is never quoted (a misplaced token is a secret).
  for (
    const [options, message] of [
      [{ subsetsize: 100 }, "Cannot use option 'subsetsize': it is unknown: use subsetSize"],
      [{ subsetSise: 100 }, "Cannot use option 'subsetSise': it is unknown: use subsetSize"],
      [{ loadBalncing: "round_robin" }, "Cannot use option 'loadBalncing': it is unknown: use loadBalancing"],
      [
        { kubconfig: "/etc/kube/config" },
        "Cannot use option 'kubconfig': it is unknown: it is a cluster option: pass it as cluster: { kubeconfig }",
      ],
      [
        { kubeconfig: "/etc/kube/config" },
        "Cannot use option 'kubeconfig': it is unknown: it is a cluster option: pass it as cluster: { kubeconfig }",
      ],
      [
        { token: "s3cret" },
        "Cannot use option 'token': it is unknown: it is a cluster option: pass it as cluster: { token }",
      ],
      // watchEndpoints()'s own options: the message listed register()'s, none of which stops or reports a watch.
      [
        { signal: AbortSignal.timeout(1) },
        "Cannot use option 'signal': it is unknown: it is watchEndpoints()'s: a channel watches until it is closed; " +
        "close it (client.close(), or nice-grpc's channel.close()) to stop",
      ],
      [
        { onError: () => {} },
        "Cannot use option 'onError': it is unknown: it is watchEndpoints()'s: a channel's calls carry the watch's " +
        "failures in their errors, GRPC_TRACE=kubernetes_resolver traces each, and one the watch cannot get over by " +
        "itself (a token refused, a missing grant) is said once on standard error",
      ],
      [
        { onRecovered: () => {} },
        "Cannot use option 'onRecovered': it is unknown: it is watchEndpoints()'s: a channel's calls succeed again " +
        "once the watch works, and the metric grpc.resolver.kubernetes.watch.failing goes back to 0",
      ],
      [
        { lb: "round_robin" },
        "Cannot use option 'lb': it is unknown: use one of scheme, grpc, loadBalancing, subsetSize, subsetSeed, cluster, stallTimeoutMs, backoff, watchList, protobuf, locality",
      ],
    ] as const
  ) assert.throws(() => registeredClass(options as never), new TypeError(message));
  // The misspelt name is what explains the rest: a seed that seems to come without its size.
  assert.throws(
    () => registeredClass({ subsetsize: 10, subsetSeed: 7 } as never),
    new TypeError("Cannot use option 'subsetsize': it is unknown: use subsetSize"),
  );
  // A key left undefined is no option: one settings object may serve register() and watchEndpoints() alike.
  assert.doesNotThrow(() => registeredClass({ signal: undefined, onError: undefined } as never));
  // A misspelled policy would leave channels on pick_first: every call to one pod.
  for (const loadBalancing of ["round-robin", "", [], [{ nope: {} }], [5], 7]) {
    assert.throws(
      () => registeredClass({ loadBalancing: loadBalancing as never }),
      (error) =>
        error instanceof TypeError &&
        error.message.startsWith(`Cannot use option 'loadBalancing': ${JSON.stringify(loadBalancing)} is no `) &&
        error.message.includes('use "kubernetes_round_robin" (the default), "round_robin" or "pick_first"'),
    );
  }
  assert.throws(
    () => registeredClass({ loadBalancing: "round-robin" }),
    /accepts \(Unrecognized load balancing config name round-robin\); use/,
  );
  // A config entry, or a whole service config, where its list belongs: the message says what to pass instead.
  assert.throws(
    () => registeredClass({ loadBalancing: { round_robin: {} } as never }),
    /is one entry of a loadBalancingConfig list: pass the list, \[\{"round_robin":\{\}\}\]$/,
  );
  assert.throws(
    () => registeredClass({ loadBalancing: { loadBalancingConfig: [{ round_robin: {} }] } as never }),
    /is a service config: pass its loadBalancingConfig list, \[\{"round_robin":\{\}\}\]$/,
  );
  // A bad failover timeout is reported by itself: it was "no load-balancing policy" with the advice to use the very
  // policy named, a TypeError for a number out of range, and NaN or Infinity shown as null.
  for (
    const [failoverTimeoutMs, ErrorClass, shown] of [
      [0, RangeError, "0"],
      [-1, RangeError, "-1"],
      [NaN, RangeError, "NaN"],
      [Infinity, RangeError, "Infinity"],
      [2 ** 31, RangeError, "2147483648"],
      ["5", TypeError, '"5"'],
      [null, TypeError, "null (leave it out for its default)"],
    ] as const
  ) {
    const loadBalancing = [{ kubernetes_round_robin: { failoverTimeoutMs } }];
    const expected = "Cannot use option 'loadBalancing': kubernetes_round_robin's 'failoverTimeoutMs' must be a " +
      `number of milliseconds above 0 and at most 2147483647 (default 10000): current value is ${shown}`;
    assert.throws(() => registeredClass({ loadBalancing }), new ErrorClass(expected));
    const nested = [{ outlier_detection: { child_policy: loadBalancing } }];
    assert.throws(() => registeredClass({ loadBalancing: nested }), new ErrorClass(expected));
  }
  // An option it does not have did nothing: a resolver option put there, or one spelt as grpc-js's own policies spell
  // theirs (snake_case), left subsetting off or the failover timeout at 10 s, without a word.
  assert.throws(
    () => registeredClass({ loadBalancing: [{ kubernetes_round_robin: { subsetSize: 2 } }] }),
    /Cannot use option 'loadBalancing': kubernetes_round_robin's config is refused \(it has no option 'subsetSize': its one option is 'failoverTimeoutMs'; pass subsetSize to register\(\) or in nice-grpc's resolver options\)$/,
  );
  assert.throws(
    () => registeredClass({ loadBalancing: [{ kubernetes_round_robin: { failover_timeout_ms: 3000 } }] }),
    /kubernetes_round_robin's config is refused \(it has no option 'failover_timeout_ms': its one option is 'failoverTimeoutMs'\)$/,
  );
  assert.doesNotThrow(() =>
    registeredClass({ loadBalancing: [{ kubernetes_round_robin: { failoverTimeoutMs: 3000 } }] })
  );
  // As the child of outlier_detection, or as a config that is no object, it was accepted, did nothing, and the log told
  // the caller of register() to pass subsetSize to register().
  assert.throws(
    () =>
      registeredClass({
        loadBalancing: [{ outlier_detection: { child_policy: [{ kubernetes_round_robin: { subsetSize: 2 } }] } }],
      }),
    /kubernetes_round_robin's config is refused \(it has no option 'subsetSize': its one option is 'failoverTimeoutMs'; pass subsetSize to register\(\) or in nice-grpc's resolver options\)$/,
  );
  for (const [config, kind] of [[[{ failoverTimeoutMs: 3000 }], "list"], [3000, "number"], ["3000", "string"]]) {
    assert.throws(
      () => registeredClass({ loadBalancing: [{ kubernetes_round_robin: config }] }),
      new RegExp(
        `kubernetes_round_robin's config is refused \\(it must be an object of options, such as ` +
          `\\{"failoverTimeoutMs":3000\\}: current value is of type ${kind}\\)$`,
      ),
    );
  }
  assert.doesNotThrow(() => registeredClass({ loadBalancing: [{ kubernetes_round_robin: null }] }));
  for (
    const loadBalancing of ["round_robin", "pick_first", "kubernetes_round_robin", [{ nope: {} }, { round_robin: {} }]]
  ) {
    assert.doesNotThrow(() => registeredClass({ loadBalancing }));
  }
  // A scheme no target can spell registered silently: channels on "k8s:///..." then went to grpc-js's DNS resolver.
  for (const scheme of ["k8s:", "k8s://", "", "1k8s", "k 8s", 5]) {
    assert.throws(
      () => registeredClass({ scheme: scheme as never }),
      (error) =>
        error instanceof TypeError &&
        error.message.startsWith(`Cannot use option 'scheme': it must be a URI scheme without ":"`) &&
        error.message.endsWith(`: current value is ${JSON.stringify(scheme)}`),
    );
  }
  for (const scheme of ["k8s", "kubernetes", "my+k8s.v1-a"]) assert.doesNotThrow(() => registeredClass({ scheme }));
  // grpc-js's own schemes: ours would have replaced its DNS resolver for every channel of the process.
  for (const scheme of ["dns", "ipv4", "ipv6", "unix", "unix-abstract"]) {
    assert.throws(
      () => registeredClass({ scheme }),
      new RegExp(`Cannot use option 'scheme': grpc-js resolves "${scheme}" itself, and ours would replace it`),
    );
  }
  assert.doesNotThrow(() => registeredClass({ scheme: "DNS" })); // grpc-js matches schemes as written
  // No option takes null, as none takes it in its type: an option left out, or undefined, takes its default.
  for (
    const [options, ErrorClass, name] of [
      [{ stallTimeoutMs: null }, TypeError, "stallTimeoutMs"],
      [{ backoff: { initialMs: null } }, TypeError, "backoff.initialMs"],
      [{ watchList: null }, TypeError, "watchList"],
      [{ protobuf: null }, TypeError, "protobuf"],
      [{ scheme: null }, TypeError, "scheme"],
      [{ subsetSize: null }, TypeError, "subsetSize"],
      [{ subsetSize: 2, subsetSeed: null }, TypeError, "subsetSeed"],
    ] as const
  ) {
    assert.throws(
      () => registeredClass(options as never),
      (error) =>
        error instanceof ErrorClass && error.message.startsWith(`Cannot use option '${name}': `) &&
        error.message.endsWith(": current value is null (leave the option out, or pass undefined, for its default)"),
    );
  }
  assert.doesNotThrow(() =>
    registeredClass({
      stallTimeoutMs: undefined,
      backoff: { initialMs: undefined },
      watchList: undefined,
      scheme: undefined,
    })
  );
  // A wrong type is a TypeError, a number out of range a RangeError, and NaN is shown as NaN (JSON says null).
  assert.throws(() => registeredClass({ subsetSize: 0 }), RangeError);
  assert.throws(() => registeredClass({ subsetSize: Number.NaN }), /current value is NaN$/);
  assert.throws(() => registeredClass({ stallTimeoutMs: "5" as never }), TypeError);
  assert.throws(() => registeredClass({ stallTimeoutMs: -1 }), RangeError);
  assert.throws(() => registeredClass({ loadBalancing: Infinity as never }), /'loadBalancing': Infinity is no /);
  // Options that are no object failed with a runtime's words ("Cannot use 'in' operator").
  for (const options of [null, "kubernetes", 5]) {
    assert.throws(
      () => register(options as never),
      (error) => error instanceof TypeError && /^Cannot use the options: they must be an object /.test(error.message),
    );
  }
  assert.doesNotThrow(() => registeredClass({ stallTimeoutMs: 2 ** 31 - 1, backoff: {} }));
  // A lone maxMs below the default first delay (1000) caps it.
  assert.doesNotThrow(() => registeredClass({ backoff: { maxMs: 500 } }));
});

Deno.test("watchEndpoints() and register() refuse a bad locality, stall timeout, backoff, watchList or cluster option where the caller can catch it", async () => {
  const api = await startFakeApiServer();
  const refused = [
    [{ locality: null }, /Cannot use option 'locality'.*current value is null/],
    // 0 aborted every request at once, and the resolver never resolved.
    [
      { stallTimeoutMs: 0 },
      /RangeError: Cannot use option 'stallTimeoutMs': it must be a number of milliseconds above 0 and at most 2147483647 \(default 150000\): current value is 0$/,
    ],
    [{ stallTimeoutMs: Number.NaN }, /'stallTimeoutMs'.*current value is NaN$/],
    // A timer cannot wait longer: it fired after 1 ms, every request was cut short and retried at once.
    [{ stallTimeoutMs: 1e10 }, /'stallTimeoutMs'.*current value is 10000000000$/],
    [{ backoff: { maxMs: Infinity } }, /'backoff.maxMs'.*current value is Infinity$/],
    // 0 or less retried a failing API server without pause: thousands of requests a second.
    [
      { backoff: { initialMs: 0 } },
      /RangeError: Cannot use option 'backoff.initialMs': it must be a number of milliseconds above 0 and at most 2147483647 \(default 1000\): current value is 0$/,
    ],
    [{ backoff: { maxMs: -5 } }, /'backoff.maxMs'.*current value is -5$/],
    [{ backoff: null }, /'backoff': it must be an object.*current value is null \(leave the option out, /],
    [{ backoff: { initialMs: "100" } }, /'backoff.initialMs'.*current value is "100"$/],
    // "false" (an environment variable's value, say) kept streaming lists on.
    [
      { watchList: "false" },
      /TypeError: Cannot use option 'watchList': it must be true or false \(default true; false lists and watches\): current value is "false"$/,
    ],
    [{ watchList: 0 }, /'watchList'.*current value is 0$/],
    [
      { protobuf: "false" },
      /TypeError: Cannot use option 'protobuf': it must be true or false \(default true; false reads JSON only\): current value is "false"$/,
    ],
    // Misspelled fields were ignored: the defaults applied without a word.
    [
      { backoff: { initial: 100 } },
      /TypeError: Cannot use option 'backoff': it has no field "initial": use initialMs and maxMs: current value is \{"initial":100\}$/,
    ],
    [
      { locality: { zone: "zone-a", nodeName: "node-1" } },
      /TypeError: Cannot use option 'locality': it has no field "nodeName": use zone and node: current value is /,
    ],
    // An empty one was dropped: topology went off, ZONE and NODE_NAME unread, without a word (the CLI refused --zone=).
    [
      { locality: { zone: "" } },
      /^TypeError: Cannot use option 'locality': its zone must not be empty: leave locality out to use the ZONE and NODE_NAME environment variables, or pass locality: \{\} for no topology: current value is \{"zone":""\}$/,
    ],
    [
      { locality: { node: " " } },
      /^TypeError: Cannot use option 'locality': its node must not be empty: leave locality out /,
    ],
    [
      { locality: { zone: "", node: " " } },
      /^TypeError: Cannot use option 'locality': its zone must not be empty: leave locality out /,
    ],
    // A misspelt field first: the blank one beside it is not what to fix.
    [
      { locality: { zone: "", nodeName: "node-1" } },
      /^TypeError: Cannot use option .locality.: it has no field "nodeName"/,
    ],
    // A misspelt cluster option left access to KUBECONFIG or ~/.kube/config: another cluster, maybe.
    [
      { cluster: { kubeConfig: "/etc/kube/config" } },
      /ConfigError: Cannot resolve cluster access: cluster has no option "kubeConfig": use kubeconfig$/,
    ],
    [{ cluster: { server: "https://k", token: "a", tokenFile: "/t" } }, /cluster.token and cluster.tokenFile/],
    // A list or a class's instance set no option, and access went to KUBECONFIG's cluster; the others were a
    // ConfigError that named no option.
    [
      { cluster: null },
      /^TypeError: Cannot use option 'cluster': it must be an object of cluster options such as \{ kubeconfig, context \}, or left out for the default access: current value is null /,
    ],
    [{ cluster: [] }, /^TypeError: Cannot use option 'cluster': .*: current type is list$/],
    [
      { cluster: new Map([["server", "https://k"]]) },
      /^TypeError: Cannot use option 'cluster': .*: current type is Map$/,
    ],
    [{ cluster: new URL("https://k") }, /^TypeError: Cannot use option 'cluster': .*: current type is URL$/],
    // Never quoted: it may be a token.
    [{ cluster: "secret-value" }, /^TypeError: Cannot use option 'cluster': .*: current type is string$/],
    [{ cluster: 5 }, /^TypeError: Cannot use option 'cluster': .*: current type is number$/],
    // So were nested ones: locality turned topology off, backoff kept its defaults.
    [
      { locality: new Map([["zone", "zone-a"]]) },
      /^TypeError: Cannot use option 'locality': .*: current value is a Map$/,
    ],
    [{ backoff: new Map() }, /^TypeError: Cannot use option 'backoff': .*: current value is a Map$/],
    [
      { cluster: { kubeconfig: new Map() } },
      /^ConfigError: Cannot resolve cluster access: cluster.kubeconfig must be a file path or a kubeconfig object: current type is Map$/,
    ],
    // The longest delay won: the first one was never waited.
    [
      { backoff: { initialMs: 5000, maxMs: 1000 } },
      /RangeError: Cannot use option 'backoff': initialMs must be at most maxMs \(default 30000\): current values are initialMs 5000 and maxMs 1000$/,
    ],
    [{ backoff: { initialMs: 60_000 } }, /initialMs 60000 and maxMs 30000$/],
    [
      { backoff: 100 },
      /TypeError: Cannot use option 'backoff': it must be an object such as \{ initialMs: 1000, maxMs: 30000 \}: current value is 100$/,
    ],
  ] as const;
  try {
    for (const [options, message] of refused) {
      await assert.rejects(async () => {
        for await (
          const _ of watchEndpoints("kubernetes:///echo.prod:grpc", {
            cluster: { kubeconfig: api.kubeconfig() },
            ...(options as object),
          })
        ) break;
      }, message);
      assert.throws(() => registeredClass(options as never), message);
    }
  } finally {
    await api.close();
  }
});

Deno.test("register() keeps the options it checked: changing the caller's object afterwards changes no later channel", async () => {
  const api = await startFakeApiServer({ token: "t" });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.3.0.1", pod: "a" }, { ip: "10.3.0.2", pod: "b" }],
  }));
  let Resolver: ResolverClass | undefined;
  const fakeGrpc = {
    ...grpc,
    experimental: {
      ...grpc.experimental,
      registerResolver: (_: string, resolver: ResolverClass) => (Resolver = resolver),
    },
  };
  const options = { grpc: fakeGrpc as never, subsetSize: 1, cluster: { kubeconfig: api.kubeconfig() } };
  register(options);
  // Each was read when a channel was created: a subsetSize of 0 threw a RangeError from inside grpc-js, and the
  // kubeconfig of the cluster changed to one never checked.
  options.subsetSize = 0;
  options.cluster.kubeconfig = "/nonexistent/kubeconfig" as never;
  const { reports, listener, call } = recorder();
  const resolver = new Resolver!(uri("kubernetes:///echo.prod:grpc"), listener, {});
  try {
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "a report");
    assert.equal(reports[0].endpoints.ok, true, reports[0].endpoints.error?.details);
    assert.equal(reports[0].endpoints.value!.length, 1, "a subset of one");
  } finally {
    resolver.destroy();
    await api.close();
  }
});

/**
 * Runs `body` with a resolver of `kubernetes:///echo.prod:grpc` whose kubeconfig does not exist yet, so that cluster
 * access waits to be set up again after each try; `writeKubeconfig()` writes one for a fake API server that has the
 * Service's slice.
 */
async function withKubeconfigMissing(
  body: (
    resolver: InstanceType<ResolverClass>,
    recorded: ReturnType<typeof recorder>,
    writeKubeconfig: () => Promise<void>,
  ) => Promise<void>,
  backoff?: { initialMs: number; maxMs: number },
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const kubeconfig = `${dir}/config.json`;
  const api = await startFakeApiServer({ token: "t" });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.3.0.1", pod: "a" }],
  }));
  const Resolver = registeredClass({ cluster: { kubeconfig }, ...(backoff ? { backoff } : {}) });
  const recorded = recorder();
  const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), recorded.listener, {});
  try {
    await body(resolver, recorded, () => Deno.writeTextFile(kubeconfig, JSON.stringify(api.kubeconfig())));
  } finally {
    recorded.call(() => resolver.destroy());
    await api.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a call while cluster access waits to be set up again gets why at once, and the setup is retried when the wait ends", async () => {
  await withKubeconfigMissing(async (resolver, { reports, call }, writeKubeconfig) => {
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the first error");
    assert.match(reports[0].endpoints.error!.details, /Cannot load kubeconfig/);
    // grpc-js calls again for a call that came meanwhile (a channel back from idle, say): it was dropped, and the
    // call waited for ever.
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 2, "the error again, for the call that came");
    assert.match(reports[1].endpoints.error!.details, /Cannot load kubeconfig/);
    // The kubeconfig appears: without another call from grpc-js (a call that waits for ready), the setup is retried.
    await writeKubeconfig();
    await eventually(() => reports.some((report) => report.endpoints.ok), "endpoints");
  }, { initialMs: 300, maxMs: 300 });
});

Deno.test("the setup is retried when the wait ends after grpc-js asked more than once during it", async () => {
  // A channel asks again for each call that comes while it fails (a waitForReady call after a failed call, say):
  // the second ask replaced the session the retry timer was set for, so the setup was never retried, and a call that
  // waits for ready waited out its deadline although the kubeconfig had been fixed.
  await withKubeconfigMissing(async (resolver, { reports, call }, writeKubeconfig) => {
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the first error");
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 2, "the error again, for the first call that came");
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 3, "the error again, for the second call that came");
    assert.match(reports[2].endpoints.error!.details, /Cannot load kubeconfig/);
    await writeKubeconfig();
    await eventually(() => reports.some((report) => report.endpoints.ok), "endpoints, without another ask");
  });
});

Deno.test("a wall clock that steps back while cluster access waits to be set up again does not stretch the wait", async () => {
  // The wait was measured on the wall clock: NTP stepping back a clock 10 minutes ahead left a channel without
  // cluster access for 10 minutes after its kubeconfig was fixed, where the wait is a backoff of about a second.
  const wallClock = Date.now;
  await withKubeconfigMissing(async (resolver, { reports, call }, writeKubeconfig) => {
    try {
      call(() => resolver.updateResolution());
      await eventually(() => reports.length === 1, "the first error");
      Date.now = () => wallClock() - 10 * 60_000;
      call(() => resolver.updateResolution());
      await eventually(() => reports.length === 2, "the error again, for the call that came");
      await writeKubeconfig();
      await eventually(() => reports.some((report) => report.endpoints.ok), "endpoints within the backoff");
    } finally {
      Date.now = wallClock;
    }
  });
});

Deno.test("the setup is retried when its timer fires, whatever the clock says then", async () => {
  // Fake timers that leave performance.now() real (the README's vi.useFakeTimers({ toFake: ["setTimeout",
  // "clearTimeout", "Date"] })) fire the timer with the clock standing still: checked against the clock again, the
  // wait never ended.
  const monotonic = performance.now;
  await withKubeconfigMissing(async (resolver, { reports, call }, writeKubeconfig) => {
    try {
      const frozen = performance.now();
      performance.now = () => frozen;
      call(() => resolver.updateResolution());
      await eventually(() => reports.length === 1, "the first error");
      call(() => resolver.updateResolution());
      await eventually(() => reports.length === 2, "the error again, for the call that came");
      await writeKubeconfig();
      await eventually(() => reports.some((report) => report.endpoints.ok), "endpoints once the timer fired");
    } finally {
      performance.now = monotonic;
    }
  });
});

Deno.test("a wait's timer that fires after a setup it did not start keeps that setup's backoff", async () => {
  // The timer of an earlier wait cleared the backoff of a setup that grpc-js started, once the wait was over, before
  // the timer fired: the next call set up again at once.
  const monotonic = performance.now;
  await withKubeconfigMissing(async (resolver, { reports, call }, writeKubeconfig) => {
    try {
      call(() => resolver.updateResolution());
      await eventually(() => reports.length === 1, "the first error");
      call(() => resolver.updateResolution()); // Waits 1 to 2 s, on a timer.
      await eventually(() => reports.length === 2, "the error again, for the call that came");
      const ahead = performance.now() + 2_000; // The wait is over, its timer not fired yet.
      performance.now = () => ahead;
      call(() => resolver.updateResolution()); // Sets up, fails: the next wait is 2 to 4 s.
      await eventually(() => reports.length === 3, "the setup's error");
      await new Promise((resolve) => setTimeout(resolve, 2_100)); // The first timer fired.
      await writeKubeconfig();
      call(() => resolver.updateResolution());
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(reports.some((report) => report.endpoints.ok), false, "set up again within the backoff");
      await eventually(() => reports.some((report) => report.endpoints.ok), "endpoints once the backoff is over");
    } finally {
      performance.now = monotonic;
    }
  });
});

Deno.test("calls that come while cluster access waits to be set up again do not put the setup off", async () => {
  // Each call armed the wait's timer again for the wait left on performance.now(): fake timers that leave it standing
  // still (the README's vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] })) and calls that came
  // more often than the wait (grpc-js asks again after its own backoff of 1 s) put the setup off for ever.
  const monotonic = performance.now;
  await withKubeconfigMissing(async (resolver, { reports, call }, writeKubeconfig) => {
    try {
      const frozen = performance.now();
      performance.now = () => frozen;
      call(() => resolver.updateResolution());
      await eventually(() => reports.length === 1, "the first error");
      await writeKubeconfig();
      const end = Date.now() + 4_000; // The wait is 1 to 2 s.
      while (!reports.some((report) => report.endpoints.ok) && Date.now() < end) {
        call(() => resolver.updateResolution());
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.equal(reports.some((report) => report.endpoints.ok), true, "no endpoints within twice the wait");
    } finally {
      performance.now = monotonic;
    }
  });
});

Deno.test("grpc-js asking again while the watch fails without endpoints gets the error at once, not at the watch's next try", async () => {
  // grpc-js 1.10 queues calls again once its own backoff after an error ends, then asks: those calls waited for the
  // watch's next try (0.3 to 5.7 s).
  const Resolver = registeredClass({ cluster: { server: "http://127.0.0.1:1" }, backoff: { initialMs: 30_000 } });
  const { reports, listener, call } = recorder();
  const resolver = new Resolver(uri("kubernetes:///echo.prod:grpc"), listener, {});
  try {
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 1, "the first error");
    assert.match(reports[0].endpoints.error!.details, /cannot reach the API server/);
    call(() => resolver.updateResolution());
    await eventually(() => reports.length === 2, "the error again");
    assert.deepEqual(reports[1].endpoints.error, reports[0].endpoints.error);
  } finally {
    call(() => resolver.destroy());
  }
});
