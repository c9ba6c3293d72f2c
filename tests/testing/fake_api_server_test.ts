import assert from "node:assert/strict";
import { connect } from "node:net";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import type {
  Endpoint,
  EndpointSliceInput,
  InjectedFailure,
  NodeInput,
  ObjectReference,
  ServiceInput,
} from "@kgr/resolver/testing";
import {
  BASE,
  events,
  fixture,
  getJson,
  type Json,
  slicesUrl,
  svc,
  waitFor,
  watch,
  within,
  withServer,
} from "./_helpers.ts";

/** The 403 Status kube-apiserver v1.36.3 writes for a denied request. */
function forbidden(message: string, details: Record<string, string>) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: "Forbidden",
    details,
    code: 403,
  };
}

Deno.test("applySlice() assigns server fields, bumps the resourceVersion and skips no-op updates", async () => {
  await withServer({}, (server) => {
    assert.equal(server.resourceVersion, "1");
    const created = server.applySlice(svc("echo", ["10.0.0.1"]));
    assert.equal(created.kind, "EndpointSlice");
    assert.equal(created.apiVersion, "discovery.k8s.io/v1");
    assert.equal(created.metadata.resourceVersion, "2");
    assert.equal(created.metadata.generation, 1);
    assert.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
    assert.match(
      created.metadata.creationTimestamp,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    assert.equal(server.resourceVersion, "2");

    assert.deepEqual(
      server.applySlice(svc("echo", ["10.0.0.1"])),
      created,
      "a no-op update changes nothing",
    );
    assert.equal(server.resourceVersion, "2");

    const updated = server.applySlice(svc("echo", ["10.0.0.1", "10.0.0.2"]));
    assert.equal(updated.metadata.resourceVersion, "3");
    assert.equal(updated.metadata.generation, 2);
    assert.equal(updated.metadata.uid, created.metadata.uid);

    const empty = server.applySlice({
      metadata: { namespace: "default", name: "bare" },
      addressType: "IPv4",
    });
    assert.equal(
      empty.endpoints,
      null,
      "an empty endpoint list is stored as null, like the real server",
    );
    assert.equal(empty.ports, null);

    const generated = server.applySlice({
      metadata: { namespace: "default", generateName: "echo-" },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.9"] }],
    });
    assert.match(generated.metadata.name, /^echo-[a-z0-9]{5}$/);
    assert.deepEqual(generated.endpoints![0].conditions, {});

    assert.throws(
      () =>
        server.applySlice(
          endpointSlice({
            namespace: "default",
            service: "x",
            addressType: "IPv4",
            endpoints: [{ ip: "fd00::1" }],
          }),
        ),
      {
        name: "TypeError",
        message: /must be IPv4 addresses: current value is "fd00::1"/,
      },
    );
    assert.throws(
      () =>
        server.applySlice({
          ...svc("echo", ["10.0.0.1"]),
          addressType: "IPv6",
          endpoints: [{ addresses: ["fd00::1"] }],
        }),
      { name: "TypeError", message: /addressType is immutable/ },
    );
    assert.throws(
      () =>
        server.applySlice({
          metadata: { namespace: "default" },
          addressType: "IPv4",
        }),
      TypeError,
    );

    // Names kube-apiserver refuses: an upper-case namespace, and the name an upper-case service gives (an empty
    // service, which gave "-ipv4", endpointSlice() refuses itself).
    assert.throws(
      () => server.applySlice(endpointSlice({ namespace: "Shop", service: "x", endpoints: [] })),
      { name: "TypeError", message: /metadata\.namespace must be a DNS-1123 label .*current value is "Shop"$/ },
    );
    assert.throws(
      () => server.applySlice(endpointSlice({ namespace: "default", service: "Cart", endpoints: [] })),
      {
        name: "TypeError",
        message:
          /^Cannot apply EndpointSlice "default\/Cart-ipv4": metadata\.name must be a DNS-1123 subdomain .*: fix metadata\.name \(from endpointSlice\(\): its name, else the service it is made from\)$/,
      },
    );
    // Ports as kube-apiserver checks them: DNS-1123 label names, unique, a known protocol.
    const withPorts = (ports: { name?: string; protocol?: string; port: number }[]) =>
      server.applySlice({ metadata: { namespace: "default", name: "ports" }, addressType: "IPv4", ports });
    assert.throws(() => withPorts([{ name: "GRPC", port: 80 }]), /ports\[0\]\.name must be a DNS-1123 label/);
    assert.throws(
      () => withPorts([{ name: "a", port: 80 }, { name: "a", port: 81 }]),
      /ports\[1\]\.name must be unique/,
    );
    assert.throws(
      () => withPorts([{ port: 80 }, { port: 81 }]),
      /ports\[1\]\.name must be unique: current value is ""/,
    );
    assert.throws(
      () => withPorts([{ name: "a", protocol: "HTTP", port: 80 }]),
      /protocol must be "TCP", "UDP" or "SCTP"/,
    );
    // A hostile value is quoted as kube-apiserver's field errors quote it (field.Error.ErrorBody in
    // k8s.io/apimachinery v0.36.3): a plain string (a port name) with Go's %q (strconv.Quote), a value of a named
    // string type (a protocol) with Go's JSON encoder, which leaves a bidi override raw (v1.36.3 answered both so).
    for (
      const [name, quoted, json] of [
        ["g\u202erpc", '"g\\u202erpc"', '"g\u202erpc"'],
        ["a\u001b]0;x\u0007", '"a\\x1b]0;x\\a"', '"a\\u001b]0;x\\u0007"'],
        ['a\u0085\u00a0"\\b<', '"a\\u0085\\u00a0\\"\\\\b<"', '"a\u0085\u00a0\\"\\\\b\\u003c"'],
        ["\u{1f600}\u{e0001}", '"\u{1f600}\\U000e0001"', '"\u{1f600}\u{e0001}"'],
      ]
    ) {
      assert.throws(() => withPorts([{ name, port: 80 }]), (error: Error) => {
        assert.ok(error.message.endsWith(`current value is ${quoted}`), error.message);
        return true;
      });
      assert.throws(() => withPorts([{ name: "a", protocol: name, port: 80 }]), (error: Error) => {
        assert.ok(error.message.endsWith(`current value is ${json}`), error.message);
        return true;
      });
    }
    assert.deepEqual(withPorts([{ port: 80 }, { name: "b", port: 81 }]).ports, [
      { name: "", protocol: "TCP", port: 80 },
      { name: "b", protocol: "TCP", port: 81 },
    ]);
    server.deleteSlice("default", "ports");
    // generateName is checked whole, as a prefix (a trailing "-" allowed), before it is cut.
    for (const generateName of ["Echo-", `${"a".repeat(58)}UPPER_case-`, `${"a".repeat(300)}-`]) {
      assert.throws(
        () => server.applySlice({ metadata: { namespace: "default", generateName }, addressType: "IPv4" }),
        {
          name: "TypeError",
          message: new RegExp(
            `metadata\\.generateName must be a DNS-1123 subdomain prefix .*current value is "${generateName}"$`,
          ),
        },
      );
    }
    // A long prefix is cut to 58 characters, as kube-apiserver cuts it.
    const long = server.applySlice({
      metadata: { namespace: "default", generateName: `${"a".repeat(100)}-` },
      addressType: "IPv4",
    });
    assert.match(long.metadata.name, /^a{58}[a-z0-9]{5}$/);
    assert.equal(server.deleteSlice("default", long.metadata.name), true);

    assert.equal(server.deleteSlice("default", "bare"), true);
    assert.equal(server.deleteSlice("default", "bare"), false);
    assert.deepEqual(
      server.slices().map((slice) => slice.metadata.name).sort(),
      [
        "echo-ipv4",
        generated.metadata.name,
      ].sort(),
    );
    assert.deepEqual(server.slices("other"), []);
  });
});

Deno.test("applySlice() stores a field set to undefined as one left out, as a real server gets neither", async () => {
  await withServer({}, (server) => {
    const metadata = { namespace: "default", labels: { "kubernetes.io/service-name": "echo" } };
    const absent = server.applySlice({
      metadata: { ...metadata, name: "absent" },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"], targetRef: { kind: "Pod", name: "echo-0" }, hints: {} }],
      ports: [{ port: 50051 }],
    });
    const undefinedFields = server.applySlice({
      kind: undefined,
      metadata: { ...metadata, name: "undefined", generateName: undefined, annotations: undefined },
      addressType: "IPv4",
      endpoints: [{
        addresses: ["10.0.0.1"],
        conditions: undefined,
        hostname: undefined,
        targetRef: { kind: "Pod", namespace: undefined, name: "echo-0", uid: undefined, fieldPath: undefined },
        zone: undefined,
        hints: { forZones: undefined, forNodes: undefined },
      }],
      ports: [{ name: undefined, port: 50051, appProtocol: undefined }],
    });
    assert.deepEqual(undefinedFields.endpoints, absent.endpoints);
    assert.deepEqual(undefinedFields.ports, absent.ports);
    assert.deepEqual(server.slices()[1].endpoints, absent.endpoints);
  });
});

Deno.test("applySlice() refuses endpoint and port fields of the wrong JSON type, as kube-apiserver's decoder does", async () => {
  await withServer({}, (server) => {
    const metadata = { namespace: "default", name: "typed", labels: { "kubernetes.io/service-name": "echo" } };
    const withEndpoint = (fields: Record<string, unknown>) =>
      ({ metadata, addressType: "IPv4", endpoints: [{ addresses: ["10.0.0.1"], ...fields }] }) as EndpointSliceInput;
    // Each was a 400 BadRequest on kube-apiserver v1.36.3 ("json: cannot unmarshal string into Go struct field
    // EndpointConditions.endpoints.conditions.ready of type bool"); the fake stored "false" as ready: true.
    const cases: [EndpointSliceInput, string][] = [
      [
        withEndpoint({ conditions: { ready: "false" } }),
        'endpoints[0].conditions.ready must be a boolean: current value is "false"',
      ],
      [
        withEndpoint({ conditions: { serving: 0 } }),
        "endpoints[0].conditions.serving must be a boolean: current value is 0",
      ],
      [withEndpoint({ conditions: [] }), "endpoints[0].conditions must be an object: current value is []"],
      [withEndpoint({ zone: 1 }), "endpoints[0].zone must be a string: current value is 1"],
      [withEndpoint({ targetRef: "echo-0" }), 'endpoints[0].targetRef must be an object: current value is "echo-0"'],
      [withEndpoint({ targetRef: { kind: "Pod", name: 1 } }), "endpoints[0].targetRef.name must be a string"],
      [withEndpoint({ hints: "a" }), 'endpoints[0].hints must be an object: current value is "a"'],
      [withEndpoint({ hints: { forZones: [{ name: 1 }] } }), "endpoints[0].hints.forZones[0].name must be a string"],
      [withEndpoint({ hints: { forNodes: { name: "n" } } }), "endpoints[0].hints.forNodes must be a list"],
      [
        { metadata, addressType: "IPv4", endpoints: { a: 1 } } as unknown as EndpointSliceInput,
        "endpoints must be a list",
      ],
      [
        { metadata, addressType: "IPv4", ports: { name: "a" } } as unknown as EndpointSliceInput,
        "ports must be a list",
      ],
      [
        {
          metadata,
          addressType: "IPv4",
          ports: [{ name: "a", port: 1, appProtocol: 1 }],
        } as unknown as EndpointSliceInput,
        "ports[0].appProtocol must be a string: current value is 1",
      ],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => server.applySlice(input), (error: Error) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.ok(error.message.includes(message), `${error.message} should include ${message}`);
        assert.match(error.message, /kube-apiserver's JSON decoder refuses it with a 400/);
        return true;
      });
    }
    assert.deepEqual(server.slices(), []);
  });
});

Deno.test("applySlice() reads null as a field left out, as kube-apiserver's decoder does", async () => {
  await withServer({}, (server) => {
    const metadata = { namespace: "default", labels: { "kubernetes.io/service-name": "echo" } };
    const absent = server.applySlice({
      metadata: { ...metadata, name: "absent" },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"] }],
    });
    // kube-apiserver v1.36.3 stored this one as the one above; the fake failed on the nodeName ("Cannot read
    // properties of null") and served "zone": null.
    const nulls = server.applySlice({
      metadata: { ...metadata, name: "nulls" },
      addressType: "IPv4",
      endpoints: [{
        addresses: ["10.0.0.1"],
        conditions: null,
        hostname: null,
        nodeName: null,
        zone: null,
        targetRef: null,
        hints: null,
      }],
    } as unknown as EndpointSliceInput);
    assert.deepEqual(nulls.endpoints, absent.endpoints);
  });
});

Deno.test("applySlice() reads a null appProtocol as left out and a null port or hint as an empty one, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    // kube-apiserver v1.36.3 stored each with dryRun=All (measured): no appProtocol, a port {name: "", protocol:
    // "TCP"} and a zone hint {name: ""} (Go decodes null into a struct as its zero value). The fake failed inside
    // with "Cannot read properties of null (reading 'split')", "(reading 'port')" and "(reading 'name')".
    const metadata = { namespace: "default", labels: { "kubernetes.io/service-name": "echo" } };
    const appProtocol = server.applySlice({
      metadata: { ...metadata, name: "app-protocol" },
      addressType: "IPv4",
      endpoints: [],
      ports: [{ name: "grpc", port: 8080, appProtocol: null }],
    } as unknown as EndpointSliceInput);
    assert.deepEqual(appProtocol.ports, [{ name: "grpc", protocol: "TCP", port: 8080 }]);
    const port = server.applySlice({
      metadata: { ...metadata, name: "port" },
      addressType: "IPv4",
      endpoints: [],
      ports: [null],
    } as unknown as EndpointSliceInput);
    assert.deepEqual(port.ports, [{ name: "", protocol: "TCP" }]);
    const hints = (hints: unknown) =>
      server.applySlice({
        metadata: { ...metadata, name: "hints" },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.0.0.1"], hints }],
      } as unknown as EndpointSliceInput);
    assert.deepEqual(hints({ forZones: [null] }).endpoints?.[0].hints, { forZones: [{ name: "" }] });
    // "" is no node name: kube-apiserver answers 422 'endpoints[0].hints.forNodes[0].name: Invalid value: ""'.
    assert.throws(() => hints({ forNodes: [null] }), /endpoints\[0\]\.hints\.forNodes\[0\]\.name must be a DNS-1123/);
  });
});

Deno.test("applySlice() stores hints and a targetRef as kube-apiserver does: no empty list or field, no unknown one", async () => {
  await withServer({}, (server) => {
    const stored = server.applySlice({
      metadata: { namespace: "default", name: "echo", labels: { "kubernetes.io/service-name": "echo" } },
      addressType: "IPv4",
      endpoints: [
        {
          addresses: ["10.0.0.1"],
          targetRef: { kind: "Pod", namespace: "", name: "echo-0", extra: 1 } as ObjectReference,
          hints: { forZones: [], forNodes: null } as unknown as Endpoint["hints"],
        },
        { addresses: ["10.0.0.2"], hints: { forZones: [{ name: "a", extra: 1 } as { name: string }] } },
      ],
    });
    // As kube-apiserver v1.36.3 stores the same slice (measured with kubectl create --dry-run=server).
    assert.deepEqual(stored.endpoints, [
      { addresses: ["10.0.0.1"], conditions: {}, targetRef: { kind: "Pod", name: "echo-0" }, hints: {} },
      { addresses: ["10.0.0.2"], conditions: {}, hints: { forZones: [{ name: "a" }] } },
    ]);
  });
});

Deno.test("labels, annotations and a selector are served with their keys sorted, as kube-apiserver writes a map", async () => {
  await withServer({}, async (server) => {
    const slice = endpointSlice({ namespace: "default", service: "echo", endpoints: [{ ip: "10.0.0.1" }] });
    server.applySlice({ ...slice, metadata: { ...slice.metadata, annotations: { z: "1", a: "2" } } });
    server.applyService({
      metadata: { namespace: "default", name: "echo", labels: { z: "1", a: "2" } },
      spec: { ports: [{ port: 80 }], selector: { z: "1", a: "2" } },
    });
    const served = await (await fetch(`${slicesUrl(server, "default")}`)).text();
    // As kube-apiserver v1.36.3 serves a slice of endpointSlice() (measured: kubectl create, then a GET).
    assert.match(
      served,
      /"labels":\{"endpointslice\.kubernetes\.io\/managed-by":"endpointslice-controller\.k8s\.io","kubernetes\.io\/service-name":"echo"\},"annotations":\{"a":"2","z":"1"\}/,
    );
    const service = await (await fetch(`${server.url}/api/v1/namespaces/default/services/echo`)).text();
    assert.match(service, /"labels":\{"a":"2","z":"1"\}/);
    assert.match(service, /"selector":\{"a":"2","z":"1"\}/);
  });
});

Deno.test("a timeout Go cannot read gets kube-apiserver's 400 before authentication, on any request but a long-running one (a watch)", async () => {
  await withServer({ token: "good" }, async (server) => {
    const refused = (duration: string) => ({
      status: 400,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `invalid timeout specified in the request URL - time: ${duration}`,
        reason: "BadRequest",
        code: 400,
      },
    });
    const answer = async (url: string, token = "good") => {
      const { status, body } = await getJson(url, { headers: { authorization: `Bearer ${token}` } });
      return { status, body };
    };
    // As kube-apiserver v1.36.3 answers them (measured), for a bad token too: it reads the deadline first.
    assert.deepEqual(
      await answer(slicesUrl(server, "shop", { timeout: "30" })),
      refused('missing unit in duration "30"'),
    );
    assert.deepEqual(await answer(`${server.url}/version?timeout=abc`, "bad"), refused('invalid duration "abc"'));
    assert.deepEqual(await answer(`${server.url}/nope?timeout=1d`), refused('unknown unit "d" in duration "1d"'));
    assert.deepEqual(
      await answer(`${server.url}/api/v1/nodes/n1?timeout=99999999999h`),
      refused('invalid duration "99999999999h"'),
    );
    // Go reads the first value; an empty one is none; a watch has no deadline, so its timeout is not read.
    assert.equal((await answer(slicesUrl(server, "shop", { limit: "5" }) + "&timeout=1s&timeout=abc")).status, 200);
    assert.equal((await answer(slicesUrl(server, "shop", { timeout: "" }))).status, 200);
    assert.equal((await answer(slicesUrl(server, "shop", { timeout: "1m30s" }))).status, 200);
    const watched = await fetch(slicesUrl(server, "shop", { watch: "1", timeout: "abc", timeoutSeconds: "1" }), {
      headers: { authorization: "Bearer good" },
    });
    await watched.body?.cancel();
    assert.equal(watched.status, 200);
    // Nor is that of any request kube-apiserver counts as long-running, served here or not: a watch of Nodes is
    // served (200, as on v1.36.3); a watch of what the fake does not serve gets its 404, as it got before the timeout
    // was read (v1.36.3: 200 for the /watch/ path, 404 for a group it lacks).
    const nodes = await fetch(`${server.url}/api/v1/nodes?watch=1&timeout=1d&timeoutSeconds=1`, {
      headers: { authorization: "Bearer good" },
    });
    await nodes.body?.cancel();
    assert.equal(nodes.status, 200);
    for (
      const path of [
        "/apis/discovery.k8s.io/v1/watch/namespaces/shop/endpointslices?timeout=abc",
        "/api/v1/namespaces/shop/pods/p/log?timeout=abc",
        "/api/v1/namespaces/shop/pods/p/exec?timeout=abc",
        "/api/v1/proxy/namespaces/shop/pods/p?timeout=abc",
        "/apis/foo.example/v1/bars?watch=true&timeout=abc",
        "/debug/pprof/profile?timeout=abc",
      ]
    ) {
      const response = await fetch(`${server.url}${path}`, { headers: { authorization: "Bearer good" } });
      await response.body?.cancel();
      assert.equal(response.status, 404, path);
    }
    // A watch=false or watch=0 is a list, whose timeout is read.
    assert.equal((await answer(slicesUrl(server, "shop", { watch: "false", timeout: "30" }))).status, 400);
  });
});

Deno.test("failNext() answers matching requests as kube-apiserver does, a 429 as its priority and fairness throttles, then recovers", async () => {
  await withServer({}, async (server) => {
    server.failNext(2, { status: 429, retryAfterSeconds: 3, path: "watch" });
    const list = await getJson(slicesUrl(server, "default"));
    assert.equal(list.status, 200, "lists are not hit by a watch failure");
    for (let i = 0; i < 2; i++) {
      const throttled = await fetch(slicesUrl(server, "default", { watch: "true" }));
      // As kube-apiserver v1.36.3's priority and fairness throttles (measured): Go's http.Error, no Status.
      assert.deepEqual(
        {
          status: throttled.status,
          type: throttled.headers.get("content-type"),
          sniffing: throttled.headers.get("x-content-type-options"),
          retryAfter: throttled.headers.get("retry-after"),
          body: await throttled.text(),
        },
        {
          status: 429,
          type: "text/plain; charset=utf-8",
          sniffing: "nosniff",
          retryAfter: "3",
          body: "Too many requests, please try again later.\n",
        },
      );
    }
    const stream = await watch(slicesUrl(server, "default", { watch: "true" }));
    await stream.cancel();

    // With a message, a Status: the watch cache's 429 while it starts.
    server.failNext(1, { status: 429, message: "storage is (re)initializing", retryAfterSeconds: 1 });
    const starting = await getJson(slicesUrl(server, "default"));
    assert.equal(starting.headers.get("retry-after"), "1");
    assert.deepEqual(starting.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "storage is (re)initializing",
      reason: "TooManyRequests",
      details: { retryAfterSeconds: 1 },
      code: 429,
    });

    server.failNext(1, { status: 500, message: "etcd is down" });
    const broken = await getJson(slicesUrl(server, "default"));
    assert.equal(broken.status, 500);
    assert.equal(broken.body.reason, "InternalError");
    assert.equal(broken.body.message, "etcd is down");
    assert.equal(broken.headers.get("retry-after"), null);
    server.failNext(1, { status: 403, path: "list" });
    const forbidden = await getJson(slicesUrl(server, "shop"));
    assert.match(
      forbidden.body.message,
      /cannot list resource "endpointslices" .* in the namespace "shop"/,
    );
    assert.equal((await getJson(slicesUrl(server, "default"))).status, 200);
    assert.deepEqual(
      server.requests.map((request) => `${request.kind} ${request.status}`),
      [
        "list 200",
        "watch 429",
        "watch 429",
        "watch 200",
        "list 429",
        "list 500",
        "list 403",
        "list 200",
      ],
    );
  });
});

Deno.test("failNext() answers a watch with a 410 as kube-apiserver answers a resourceVersion too old to watch from: 200, one ERROR event, a clean end", async () => {
  await withServer({}, async (server) => {
    const rv = server.applySlice(svc("echo", ["10.0.0.1"])).metadata.resourceVersion;
    const current = server.applySlice(svc("echo", ["10.0.0.2"])).metadata.resourceVersion;
    server.failNext(2, { status: 410, path: "watch" });
    const response = await fetch(slicesUrl(server, "default", { watch: "true", resourceVersion: rv }));
    assert.equal(response.headers.get("content-type"), "application/json");
    const stream = events(response);
    // As kube-apiserver v1.36.3 answered a watch from a resourceVersion its restarted watch cache no longer held
    // (measured): 200, then {"type":"ERROR","object":{...,"message":"too old resource version: 202 (206)",...}}.
    assert.deepEqual(await stream.next(), {
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `too old resource version: ${rv} (${current})`,
        reason: "Expired",
        code: 410,
      },
    });
    assert.equal(await stream.next(), undefined, "the watch ends after its ERROR event");
    // From the current resourceVersion, the one named as the oldest held is past it, as on a real server.
    const latest = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: current }));
    assert.equal(
      (await latest.next())?.object.message,
      `too old resource version: ${current} (${Number(current) + 1})`,
    );
    assert.equal(await latest.next(), undefined);
    assert.deepEqual(server.requests.map((request) => `${request.kind} ${request.status}`), [
      "watch 200",
      "watch 200",
    ]);
    // A failure's own message goes in the event.
    server.failNext(1, { status: 410, message: "gone", path: "watch" });
    const worded = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: rv }));
    assert.equal((await worded.next())?.object.message, "gone");
    assert.equal(await worded.next(), undefined);
  });
});

Deno.test("failNext() without a reason or message answers 409, 410, 422 and 504 as kube-apiserver does for their usual cause", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const answer = async (url: string) => {
      const response = await fetch(url);
      return {
        status: response.status,
        type: response.headers.get("content-type"),
        sniffing: response.headers.get("x-content-type-options"),
        body: await response.text(),
      };
    };
    const json = (status: number, body: Record<string, unknown>) => ({
      status,
      type: "application/json",
      sniffing: null,
      body: JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", ...body }) + "\n",
    });
    // Each as kube-apiserver v1.36.3 answered it (measured): a PUT from a stale resourceVersion, an exact list
    // after a restart, a streaming list with --feature-gates=WatchList=false, and ?timeout=1ns.
    server.failNext(1, { status: 409, path: "get" });
    assert.deepEqual(
      await answer(`${server.url}${BASE}/namespaces/default/endpointslices/echo-ipv4`),
      json(409, {
        message: 'Operation cannot be fulfilled on endpointslices.discovery.k8s.io "echo-ipv4": the object has been ' +
          "modified; please apply your changes to the latest version and try again",
        reason: "Conflict",
        details: { name: "echo-ipv4", group: "discovery.k8s.io", kind: "endpointslices" },
        code: 409,
      }),
    );
    server.failNext(1, { status: 410, path: "list" });
    assert.deepEqual(
      await answer(slicesUrl(server, "default")),
      json(410, { message: "The resourceVersion for the provided list is too old.", reason: "Expired", code: 410 }),
    );
    server.failNext(1, { status: 422, path: "watch" });
    const cause = "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled";
    assert.deepEqual(
      await answer(slicesUrl(server, "default", { watch: "true" })),
      json(422, {
        message: `ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: ${cause}`,
        reason: "Invalid",
        details: {
          group: "meta.k8s.io",
          kind: "ListOptions",
          causes: [{ reason: "FieldValueForbidden", message: `Forbidden: ${cause}`, field: "sendInitialEvents" }],
        },
        code: 422,
      }),
    );
    server.failNext(1, { status: 504, path: "list" });
    assert.deepEqual(await answer(slicesUrl(server, "default")), {
      status: 504,
      type: "text/plain; charset=utf-8",
      sniffing: null,
      body: '{"metadata":{},"status":"Failure","message":"Timeout: request did not complete within the allotted ' +
        'timeout","reason":"Timeout","details":{},"code":504}\n',
    });
    // A message of its own keeps the usual reason.
    server.failNext(1, { status: 409, message: "busy" });
    server.failNext(1, { status: 422, message: "no" });
    for (const [code, reason] of [[409, "Conflict"], [422, "Invalid"]] as const) {
      const { body } = await getJson(slicesUrl(server, "default"));
      assert.deepEqual([body.code, body.reason, body.message], [code, reason, code === 409 ? "busy" : "no"]);
    }
    // With words of its own, a 504 is a Status, as the one for a resourceVersion too large.
    server.failNext(1, { status: 504, message: "Timeout: Too large resource version: 9, current: 2", path: "list" });
    assert.equal((await answer(slicesUrl(server, "default"))).type, "application/json");
  });
});

Deno.test("pendingFailures counts the injected failures still to come, so a test sees those that hit nothing", async () => {
  await withServer({}, async (server) => {
    assert.equal(server.pendingFailures, 0);
    server.failNext(2, { status: 500, path: "list" });
    assert.equal(server.pendingFailures, 2);
    // A streaming list (WatchList), as the resolver makes by default, is a watch: a "list" failure misses it.
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      sendInitialEvents: "true",
      resourceVersionMatch: "NotOlderThan",
      allowWatchBookmarks: "true",
    }));
    await stream.cancel();
    assert.equal(server.pendingFailures, 2);
    server.failNext(1, { status: 503 });
    assert.equal(server.pendingFailures, 3);
    for (const status of [500, 500, 503, 200]) {
      assert.equal((await getJson(slicesUrl(server, "default"))).status, status);
    }
    assert.equal(server.pendingFailures, 0);
  });
});

Deno.test("a configured token is required, never recorded, and can be rotated", async () => {
  await withServer({ token: "s3cret" }, async (server) => {
    const wrongBody = await getJson(slicesUrl(server, "default"), { headers: { authorization: "Bearer nope" } });
    assert.equal(wrongBody.status, 401);
    assert.deepEqual(wrongBody.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    });
    const wrong = await fetch(slicesUrl(server, "default"), {
      headers: { authorization: "Bearer nope" },
    });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const ok = await fetch(slicesUrl(server, "default"), {
      headers: { authorization: "Bearer s3cret" },
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const stream = await watch(
      slicesUrl(server, "default", { watch: "true" }),
      {
        headers: { authorization: "Bearer s3cret" },
      },
    );
    await stream.cancel();

    server.setToken("rotated");
    const stale = await fetch(slicesUrl(server, "default"), {
      headers: { authorization: "Bearer s3cret" },
    });
    assert.equal(stale.status, 401);
    await stale.body?.cancel();
    const fresh = await fetch(slicesUrl(server, "default"), {
      headers: { authorization: "Bearer rotated" },
    });
    assert.equal(fresh.status, 200);
    await fresh.body?.cancel();
    assert.ok(!JSON.stringify(server.requests).includes("s3cret"));
    assert.equal(
      (server.kubeconfig().users as { user: { token: string } }[])[0].user
        .token,
      "rotated",
    );
  });
});

Deno.test("unknown paths get a 404 NotFound Status (plain text outside the API) and other methods a 405", async () => {
  await withServer({}, async (server) => {
    for (const path of ["/api/v1/pods", `${BASE}/namespaces/default/pods`, "/apis/apps/v1"]) {
      const { status, body } = await getJson(server.url + path);
      assert.equal(status, 404, path);
      assert.equal(body.reason, "NotFound");
      assert.equal(body.kind, "Status");
    }
    // As kube-apiserver v1.36.3 (measured): outside /api and the API groups it has, a 404 is Go's plain text.
    assert.equal((await getJson(`${server.url}/apis/storage.k8s.io/v1/x`)).body.reason, "NotFound", "a real group");
    // A trailing slash names the same thing, inside the API and for /version.
    for (
      const [path, kind] of [[`${BASE}/namespaces/default/endpointslices/`, "EndpointSliceList"], [
        "/apis/",
        "APIGroupList",
      ], ["/api/", "APIVersions"]]
    ) {
      assert.equal((await getJson(server.url + path)).body.kind, kind, path);
    }
    assert.equal((await getJson(`${server.url}/version/`)).body.gitVersion, "v1.36.3");
    // An encoded slash separates segments as a slash does: Go routes the decoded path (measured on v1.36.3).
    const slashed = await getJson(`${server.url}${BASE}/namespaces/default/endpointslices/a%2F1`);
    assert.deepEqual([slashed.status, slashed.body.message], [404, "the server could not find the requested resource"]);
    assert.equal((await getJson(`${server.url}/apis%2Fdiscovery.k8s.io/v1`)).body.kind, "APIResourceList");
    assert.equal(
      (await getJson(`${server.url}${BASE}/namespaces/default/endpointslices%2F`)).body.kind,
      "EndpointSliceList",
    );
    for (
      const path of [
        "/nothing",
        "/apis/foo.example",
        "/apis/foo.example/v1/namespaces/x/foos",
        "/apisx",
        "/apis/nope.k8s.io/v1/x",
        "/healthz/",
      ]
    ) {
      const response = await fetch(server.url + path);
      assert.deepEqual(
        [
          response.status,
          response.headers.get("content-type"),
          response.headers.get("x-content-type-options"),
          await response.text(),
        ],
        [404, "text/plain; charset=utf-8", "nosniff", "404 page not found\n"],
        path,
      );
    }
    const post = await getJson(slicesUrl(server, "default"), {
      method: "POST",
      body: "{}",
    });
    assert.equal(post.status, 405);
    assert.equal(server.requests.at(-1)!.kind, "other");
  });
});

Deno.test("JSON answers are laid out as kube-apiserver writes them: one line and a newline, or indented", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const text = async (path: string, accept?: string) =>
      await (await fetch(server.url + path, { headers: accept === undefined ? {} : { accept } })).text();
    // Go's JSON encoder: one line, then a newline (measured on v1.36.3).
    for (
      const path of [
        slicesUrl(server, "default").slice(server.url.length),
        `${BASE}/namespaces/default/endpointslices/nope`,
        "/api",
      ]
    ) {
      const body = await text(path);
      assert.match(body, /^\{"[^\n]*\}\n$/, path);
    }
    // json.MarshalIndent, no newline at the end: `/`, `/version` and a 406.
    const version = await text("/version");
    assert.equal(version, JSON.stringify(JSON.parse(version), null, 2));
    assert.equal(await text("/"), JSON.stringify(JSON.parse(await text("/")), null, 2));
    const refused = await text("/api", "text/html");
    assert.equal(refused, JSON.stringify(JSON.parse(refused), null, 2));
    assert.ok(refused.startsWith(`{\n  "kind": "Status",\n`));
    // Indented too for ?pretty= (Go's strconv.ParseBool) and for curl, Wget and browsers; a watch's events never.
    const layout = async (path: string, userAgent = "kgr-test") => {
      const body = await (await fetch(server.url + path, { headers: { "user-agent": userAgent } })).text();
      return body.startsWith('{\n  "') ? "indented" : "lines";
    };
    const list = slicesUrl(server, "default").slice(server.url.length);
    assert.equal(await layout(`${list}?pretty=true`), "indented");
    assert.equal(await layout(`${list}?pretty=T`), "indented");
    assert.equal(await layout(`${list}?pretty=yes`), "lines");
    assert.equal(await layout(`${BASE}/namespaces/default/endpointslices/nope?pretty=1`), "indented");
    assert.equal(await layout(list, "curl/8.5.0"), "indented");
    assert.equal(await layout(list, "Wget/1.21"), "indented");
    assert.equal(await layout(list, "Mozilla/5.0 (X11; Linux x86_64)"), "indented");
    assert.equal(await layout(`${list}?pretty=0`, "curl/8.5.0"), "lines");
    assert.equal(await layout(`${list}?watch=1&timeoutSeconds=1`, "curl/8.5.0"), "lines");
  });
});

Deno.test("JSON answers and watch events escape <, >, & and U+2028 as Go's encoder does", async () => {
  await withServer({}, async (server) => {
    const slice = svc("echo", ["10.0.0.1"]);
    server.applySlice({ ...slice, metadata: { ...slice.metadata, annotations: { note: "a<b&c>d\u2028" } } });
    // As kube-apiserver v1.36.3 writes the same annotation (measured).
    const escaped = '"note":"a\\u003cb\\u0026c\\u003ed\\u2028"';
    const read = async (url: string) => await (await fetch(url)).text();
    assert.ok((await read(`${slicesUrl(server, "default")}/echo-ipv4`)).includes(escaped));
    assert.ok((await read(slicesUrl(server, "default"))).includes(escaped));
    assert.ok((await read(slicesUrl(server, "default", { watch: "1", timeoutSeconds: "1" }))).includes(escaped));
    const refused = await read(slicesUrl(server, "default", { labelSelector: "a<&" }));
    assert.ok(refused.includes('Invalid value: \\"\\u0026\\"'), refused);
    assert.equal(JSON.parse(refused).reason, "BadRequest");
  });
});

Deno.test("a list of more than 128 KiB is gzipped when Accept-Encoding has an entry that is exactly gzip", async () => {
  await withServer({}, async (server) => {
    for (let s = 0; s < 4; s++) {
      const ips = Array.from({ length: 1000 }, (_, e) => `10.9.${s * 4 + (e >> 8)}.${e & 255}`);
      server.applySlice(svc("big", ips, "default", `big-${s}`));
    }
    const encoding = async (acceptEncoding: string) => {
      const response = await fetch(slicesUrl(server, "default"), { headers: { "accept-encoding": acceptEncoding } });
      await response.body?.cancel();
      return response.headers.get("content-encoding");
    };
    // As kube-apiserver v1.36.3 answers each (measured).
    for (const accepted of ["gzip", "deflate, gzip", "gzip, deflate, br"]) {
      assert.equal(await encoding(accepted), "gzip");
    }
    for (const refused of ["GZIP", "gzip;q=0", "gzip;q=1", "x-gzip", "*", "identity", "br"]) {
      assert.equal(await encoding(refused), null, refused);
    }
  });
});

Deno.test("health checks, /, /apis and /apis/<group> answer any method; /version and /api only GET", async () => {
  await withServer({ token: "t" }, async (server) => {
    const status = async (method: string, path: string, authorization?: string) => {
      const response = await fetch(server.url + path, {
        method,
        headers: authorization === undefined ? {} : { authorization },
      });
      const text = await response.text();
      return { status: response.status, text: method === "HEAD" ? text : text.slice(0, 2) };
    };
    // As kube-apiserver v1.36.3 answers (measured): plain handlers ignore the method, go-restful routes do not.
    for (const path of ["/healthz", "/livez", "/readyz"]) {
      for (const method of ["HEAD", "POST"]) {
        assert.deepEqual(await status(method, path, "Bearer t"), { status: 200, text: method === "HEAD" ? "" : "ok" });
      }
    }
    for (const path of ["/", "/apis", "/apis/discovery.k8s.io"]) {
      assert.deepEqual(await status("POST", path, "Bearer t"), await status("GET", path, "Bearer t"), path);
      assert.equal((await status("HEAD", path, "Bearer t")).status, 200, path);
    }
    for (const path of ["/version", "/api", "/api/v1", "/apis/discovery.k8s.io/v1"]) {
      assert.equal((await status("HEAD", path, "Bearer t")).status, 405, path);
      assert.equal((await status("POST", path, "Bearer t")).status, 405, path);
    }
    // Only a GET of them is public: RBAC's verb for anything else is the method.
    assert.equal((await status("GET", "/healthz")).status, 200);
    const post = await fetch(`${server.url}/healthz`, { method: "POST" });
    assert.deepEqual([post.status, (await post.json()).message], [
      403,
      'forbidden: User "system:anonymous" cannot post path "/healthz"',
    ]);
  });
});

Deno.test("a path is routed as sent: dot segments and a leading // are not resolved, as Go does not", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const { port } = new URL(server.url);
    // fetch would resolve the path before sending it: write the request line by hand.
    const statusLine = async (path: string) => {
      const socket = connect(Number(port), "127.0.0.1");
      try {
        let received = "";
        socket.setEncoding("utf8");
        socket.on("data", (data: string) => received += data);
        await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
        socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        await within(new Promise((resolve) => socket.once("end", resolve)), 3000, `the answer to ${path}`);
        const body = received.slice(received.indexOf("\r\n\r\n") + 4);
        return `${received.split("\r\n")[0].split(" ")[1]} ${body.startsWith("{") ? JSON.parse(body).kind : body}`;
      } finally {
        socket.destroy();
      }
    };
    // Each as kube-apiserver v1.36.3 answers it (measured).
    assert.equal(await statusLine("//apis"), "404 404 page not found\n");
    assert.equal(await statusLine("/api/v1/../v1"), "404 Status");
    assert.equal(await statusLine("/apis/./discovery.k8s.io/v1"), "404 404 page not found\n");
    assert.equal(await statusLine(`${BASE}/namespaces/default/endpointslices/./echo-ipv4`), "404 Status");
    assert.equal(await statusLine(`${BASE}/namespaces/default/endpointslices/echo-ipv4`), "200 EndpointSlice");
  });
});

Deno.test("a Service is served by name like the real server and a missing one gets 404 NotFound", async () => {
  await withServer({}, async (server) => {
    const url = (namespace: string, name: string) => `${server.url}/api/v1/namespaces/${namespace}/services/${name}`;
    const before = Number(server.resourceVersion);
    const stored = server.applyService({
      metadata: { namespace: "shop", name: "two" },
      spec: { ports: [{ name: "grpc", port: 80, targetPort: 8080 }, { name: "http", port: 8081 }] },
    });
    assert.equal(stored.metadata.resourceVersion, String(before + 1));
    assert.equal(server.resourceVersion, String(before + 1), "a Service write advances the resourceVersion");
    const got = await getJson(url("shop", "two"));
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, stored);
    assert.deepEqual(got.body.spec.ports, [
      { name: "grpc", protocol: "TCP", port: 80, targetPort: 8080 },
      { name: "http", protocol: "TCP", port: 8081, targetPort: 8081 },
    ]);
    assert.equal(
      server.applyService({
        metadata: { namespace: "shop", name: "two" },
        spec: { ports: [{ name: "grpc", port: 80, targetPort: 8080 }, { name: "http", port: 8081 }] },
      }).metadata.resourceVersion,
      stored.metadata.resourceVersion,
      "a no-op update keeps the object",
    );
    const labelled = (labels: Record<string, string>) =>
      server.applyService({
        metadata: { namespace: "shop", name: "three", labels },
        spec: { ports: [{ port: 80 }], selector: labels },
      });
    assert.equal(
      labelled({ b: "2", a: "1" }).metadata.resourceVersion,
      labelled({ a: "1", b: "2" }).metadata.resourceVersion,
      "labels and a selector in another order are no change",
    );
    const single = server.applyService({
      metadata: { namespace: "shop", name: "one" },
      spec: { ports: [{ port: 80 }] },
    });
    assert.deepEqual(single.spec.ports, [{ protocol: "TCP", port: 80, targetPort: 80 }], "an empty name is left out");

    const missing = await getJson(url("other", "two"));
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'services "two" not found',
      reason: "NotFound",
      details: { name: "two", kind: "services" },
      code: 404,
    });
    assert.equal(server.deleteService("shop", "two"), true);
    assert.equal(server.deleteService("shop", "two"), false);
    assert.equal((await getJson(url("shop", "two"))).status, 404);
    assert.deepEqual(server.requests.map((request) => `${request.kind} ${request.status}`), [
      "get 200",
      "get 404",
      "get 404",
    ]);
  });
});

Deno.test("a Service read honours the token and failNext() with the real server's 403 wording", async () => {
  await withServer({ token: "t" }, async (server) => {
    server.applyService({
      metadata: { namespace: "shop", name: "two" },
      spec: { ports: [{ name: "grpc", port: 80 }] },
    });
    const url = `${server.url}/api/v1/namespaces/shop/services/two`;
    assert.equal((await getJson(url, { headers: { authorization: "Bearer x" } })).status, 401);
    const headers = { authorization: "Bearer t" };
    server.failNext(1, { status: 403, path: "get" });
    const list = await getJson(slicesUrl(server, "shop"), { headers });
    assert.equal(list.status, 200, "an EndpointSlice list is not hit by a get failure");
    const forbidden = await getJson(url, { headers });
    assert.equal(forbidden.status, 403);
    assert.equal(
      forbidden.body.message,
      'services "two" is forbidden: User "kubernetes-admin" cannot get resource "services" ' +
        'in API group "" in the namespace "shop"',
    );
    assert.equal((await getJson(url, { headers })).status, 200);
    const post = await getJson(url, { method: "POST", body: "{}", headers });
    assert.equal(post.status, 405);
    // The user of setAccess(), as its own refusals name it.
    server.setAccess({
      username: "system:serviceaccount:shop:cart",
      rules: [{ verbs: ["get"], apiGroups: [""], resources: ["services"] }],
    });
    server.failNext(1, { status: 403, path: "get" });
    assert.match((await getJson(url, { headers })).body.message, /User "system:serviceaccount:shop:cart" cannot get/);
  });
});

Deno.test("setAccess() denies a Service or Node read with the real server's 403 Status, details without an empty group", async () => {
  await withServer({ token: "t" }, async (server) => {
    server.setAccess({ username: "reader", rules: [] });
    const headers = { authorization: "Bearer t" };
    // Measured on kube-apiserver v1.36.3: the core group is left out of `details`, as a Service or Node 404 leaves it.
    const service = await getJson(`${server.url}/api/v1/namespaces/shop/services/two`, { headers });
    assert.equal(service.status, 403);
    assert.deepEqual(
      service.body,
      forbidden(
        'services "two" is forbidden: User "reader" cannot get resource "services" in API group "" in the namespace "shop"',
        { name: "two", kind: "services" },
      ),
    );
    const node = await getJson(`${server.url}/api/v1/nodes/n1`, { headers });
    assert.deepEqual(
      node.body,
      forbidden(
        'nodes "n1" is forbidden: User "reader" cannot get resource "nodes" in API group "" at the cluster scope',
        { name: "n1", kind: "nodes" },
      ),
    );
  });
});

Deno.test("setAccess() denies any request its rules do not allow with RBAC's 403, served or not, as a real server authorizes before routing", async () => {
  await withServer({ token: "t" }, async (server) => {
    const headers = { authorization: "Bearer t" };
    const status = async (
      path: string,
      method = "GET",
    ) => (await fetch(`${server.url}${path}`, { headers, method }).then(async (response) => {
      await response.body?.cancel();
      return response.status;
    }));
    // The admin (no access set) gets the 404 and 405 of a path or method the fake does not serve.
    assert.equal(await status("/api/v1/namespaces/shop/pods"), 404);
    assert.equal(await status(`${BASE}/namespaces/shop/endpointslices`, "POST"), 405);
    server.setAccess({
      username: "reader",
      rules: [{
        verbs: ["list", "watch"],
        apiGroups: ["discovery.k8s.io"],
        resources: ["endpointslices"],
        namespace: "shop",
      }],
    });
    const message = async (path: string, method = "GET") => {
      const answer = await fetch(`${server.url}${path}`, { headers, method });
      assert.equal(answer.status, 403, `${method} ${path}`);
      return (await answer.json()).message;
    };
    assert.equal(
      await message("/api/v1/namespaces/shop/pods"),
      'pods is forbidden: User "reader" cannot list resource "pods" in API group "" in the namespace "shop"',
    );
    assert.equal(
      await message("/api/v1/namespaces/shop/pods/p-1/log"),
      'pods "p-1" is forbidden: User "reader" cannot get resource "pods/log" in API group "" in the namespace "shop"',
    );
    assert.equal(
      await message(`${BASE}/namespaces/shop/endpointslices`, "POST"),
      'endpointslices.discovery.k8s.io is forbidden: User "reader" cannot create resource "endpointslices" in API ' +
        'group "discovery.k8s.io" in the namespace "shop"',
    );
    assert.equal(await message("/metrics"), 'forbidden: User "reader" cannot get path "/metrics"');
    assert.equal(await message("/"), 'forbidden: User "reader" cannot get path "/"');
    assert.equal(await message("/healthz", "POST"), 'forbidden: User "reader" cannot post path "/healthz"');
    assert.equal(await status("/healthz", "HEAD"), 403, "RBAC's verb for a HEAD of a path is head");
    // Discovery and health paths are every authenticated user's (system:discovery): what the fake lacks stays 404.
    assert.equal(await status("/apis/example.com/v1"), 404);
    assert.equal(await status("/version"), 200);
    // A rule that allows what the fake does not serve leaves its 404.
    server.setAccess({ username: "reader", rules: [{ verbs: ["list"], apiGroups: [""], resources: ["pods"] }] });
    assert.equal(await status("/api/v1/namespaces/shop/pods"), 404);
  });
});

Deno.test("a Node is served by name with its labels, as the resolver reads its zone, and 404 once deleted", async () => {
  await withServer({ token: "t" }, async (server) => {
    const labels = { "topology.kubernetes.io/zone": "zone-a" };
    const stored = server.applyNode({ metadata: { name: "node-1", labels } });
    assert.equal(stored.kind, "Node");
    assert.equal(stored.metadata.resourceVersion, server.resourceVersion);
    assert.deepEqual(server.applyNode({ metadata: { name: "node-1", labels } }), stored, "a no-op update");
    const url = `${server.url}/api/v1/nodes/node-1`;
    const headers = { authorization: "Bearer t" };
    const read = await getJson(url, { headers });
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, stored);
    server.setAccess({
      username: "reader",
      rules: [{ verbs: ["get"], apiGroups: [""], resources: ["services"], namespace: "shop" }],
    });
    const forbidden = await getJson(url, { headers });
    assert.equal(forbidden.status, 403);
    assert.equal(
      forbidden.body.message,
      'nodes "node-1" is forbidden: User "reader" cannot get resource "nodes" in API group "" at the cluster scope',
    );
    server.setAccess(undefined);
    assert.equal(server.deleteNode("node-1"), true);
    assert.equal(server.deleteNode("node-1"), false);
    const gone = await getJson(url, { headers });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.message, 'nodes "node-1" not found');
    assert.throws(() => server.applyNode({ metadata: { name: "Node_1" } }), /DNS-1123 subdomain/);
    // A Node read is a `get`, as RecordedRequest.kind and InjectedFailure.path say.
    server.applyNode({ metadata: { name: "node-1", labels } });
    server.failNext(1, { status: 500, path: "get" });
    assert.equal((await getJson(url, { headers })).status, 500);
    assert.equal((await getJson(url, { headers })).status, 200);
    assert.deepEqual(server.requests.slice(-2).map((request) => [request.kind, request.status]), [["get", 500], [
      "get",
      200,
    ]]);
  });
});

Deno.test("applySlice() lists every problem of a slice at once: metadata, then ports, then endpoints, as kube-apiserver does", async () => {
  const server = await startFakeApiServer();
  try {
    // kube-apiserver v1.36.3 answered the same slice with these five causes, in this order (in its own words).
    const input = {
      metadata: { namespace: "p", name: "e1", labels: { "a b": "c" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["1.2.3"] }, { addresses: ["10.0.0.1"], hostname: "A_B" }],
      ports: [{ name: "GRPC", port: 80 }, { name: "x", port: 80, protocol: "XX" }],
    } as unknown as EndpointSliceInput;
    const problems = [
      'metadata.labels key "a b" is no label key, as kube-apiserver requires one: name part must consist of ' +
      "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. " +
      "'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      'ports[0].name must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters): current ' +
      'value is "GRPC"',
      'ports[1].protocol must be "TCP", "UDP" or "SCTP": current value is "XX"',
      'endpoints[0].addresses must be IPv4 addresses: current value is "1.2.3"',
      'endpoints[1].hostname must be a DNS-1123 label (at most 63 of a-z, 0-9 and "-", starting and ending with a ' +
      'letter or digit), as kube-apiserver requires: current value is "A_B"',
    ];
    assert.throws(() => server.applySlice(input), {
      name: "TypeError",
      message: `Cannot apply EndpointSlice "p/e1": [${problems.join(", ")}]`,
    });
    // One problem is given as it is, without brackets.
    assert.throws(() => server.applySlice({ ...input, endpoints: [] }), {
      name: "TypeError",
      message: `Cannot apply EndpointSlice "p/e1": [${problems.slice(0, 3).join(", ")}]`,
    });
    assert.throws(() => server.applySlice({ ...input, endpoints: [], ports: [] }), {
      name: "TypeError",
      message: `Cannot apply EndpointSlice "p/e1": ${problems[0]}`,
    });
  } finally {
    await server.close();
  }
});

Deno.test("applySlice() lists every problem of each port, and names the port that repeats a name", async () => {
  await withServer({}, (server) => {
    // kube-apiserver v1.36.3 named ports[0].name, ports[0].protocol, then ports[2].name's repeat for such ports
    // (measured: it stores any port number, which the fake refuses first).
    const input = {
      metadata: { namespace: "p", name: "ports" },
      addressType: "IPv4",
      ports: [{ name: "A", port: 0, protocol: "XX" }, { name: "a", port: 80 }, { name: "a", port: 81 }],
    } as unknown as EndpointSliceInput;
    assert.throws(() => server.applySlice(input), {
      name: "TypeError",
      message: 'Cannot apply EndpointSlice "p/ports": [ports[0].port must be 1-65535: current value is 0, ' +
        'ports[0].name must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters): ' +
        'current value is "A", ports[0].protocol must be "TCP", "UDP" or "SCTP": current value is "XX", ' +
        'ports[2].name must be unique: current value is "a"]',
    });
  });
});

Deno.test("applySlice() lists every bad address of an endpoint and its other fields' problems", async () => {
  await withServer({}, (server) => {
    // kube-apiserver v1.36.3 named each bad address of an endpoint, then its hostname (measured); its nodeName after.
    const input = {
      metadata: { namespace: "p", name: "endpoint" },
      addressType: "IPv4",
      endpoints: [{ addresses: ["x", "10.0.0.1", "y"], hostname: "A_B", nodeName: "A B" }],
    } as unknown as EndpointSliceInput;
    assert.throws(() => server.applySlice(input), {
      name: "TypeError",
      message: 'Cannot apply EndpointSlice "p/endpoint": [endpoints[0].addresses must be IPv4 addresses: current ' +
        'value is "x", endpoints[0].addresses must be IPv4 addresses: current value is "y", endpoints[0].hostname ' +
        'must be a DNS-1123 label (at most 63 of a-z, 0-9 and "-", starting and ending with a letter or digit), as ' +
        'kube-apiserver requires: current value is "A_B", endpoints[0].nodeName must be a DNS-1123 subdomain (at ' +
        'most 253 of a-z, 0-9, "-" and ".", starting and ending with a letter or digit), as kube-apiserver ' +
        'requires: current value is "A B"]',
    });
  });
});

Deno.test("applySlice() lists the first 10 problems of a slice that has many, and counts the rest", async () => {
  await withServer({}, (server) => {
    // kube-apiserver v1.36.3 lists all 1,000 of 1,000 bad endpoints, a message of 114,837 characters (measured): a
    // test failure that long is no help, so the fake keeps to the first 10 and counts the others.
    const endpoints = Array.from({ length: 150 }, (_, index) => ({ addresses: [`x${index}`] }));
    const input = { metadata: { namespace: "p", name: "many" }, addressType: "IPv4", endpoints };
    const first = endpoints.slice(0, 10).map(({ addresses }, index) =>
      `endpoints[${index}].addresses must be IPv4 addresses: current value is "${addresses[0]}"`
    );
    assert.throws(() => server.applySlice(input as unknown as EndpointSliceInput), {
      name: "TypeError",
      message: `Cannot apply EndpointSlice "p/many": [${first.join(", ")}, and 140 more problems]`,
    });
    // Ten are listed as they are.
    assert.throws(() => server.applySlice({ ...input, endpoints: endpoints.slice(0, 10) } as EndpointSliceInput), {
      name: "TypeError",
      message: `Cannot apply EndpointSlice "p/many": [${first.join(", ")}]`,
    });
  });
});

Deno.test("applySlice() refuses more than 1,000 endpoints in one slice, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    // At most 1,000 endpoints per slice, as kube-apiserver v1.36.3 requires ("Too many: 1001: must have at most
    // 1000 items", measured): a test that builds a larger Service in one slice builds one no cluster can hold.
    const endpoints = (n: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.7.${i >> 8}.${i & 255}` }));
    assert.throws(
      () => server.applySlice(endpointSlice({ namespace: "default", service: "big", endpoints: endpoints(1001) })),
      {
        name: "TypeError",
        message: /endpoints must hold at most 1000 endpoints, as kube-apiserver requires: current count is 1001: /,
      },
    );
    assert.equal(
      server.applySlice(endpointSlice({ namespace: "default", service: "big", endpoints: endpoints(1000) })).endpoints
        ?.length,
      1000,
    );
  });
});

Deno.test("applySlice() refuses the node names, hints and IPv6 forms kube-apiserver refuses", async () => {
  await withServer({}, (server) => {
    const apply = (endpoint: Record<string, unknown>, addressType: "IPv4" | "IPv6" = "IPv4") =>
      server.applySlice({
        metadata: {
          namespace: "default",
          name: `s-${addressType.toLowerCase()}`,
          labels: { "kubernetes.io/service-name": "s" },
        },
        addressType,
        endpoints: [{ addresses: [addressType === "IPv4" ? "10.0.0.1" : "fd00::1"], ...endpoint }],
      });
    const zones = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `zone-${i}` }));
    // Each refused by kube-apiserver v1.36.3 with a 422 (measured), each accepted there in the form that follows.
    for (
      const [endpoint, message] of [
        [{ nodeName: "Node_1" }, /endpoints\[0\]\.nodeName must be a DNS-1123 subdomain .*current value is "Node_1"/],
        [{ nodeName: "" }, /endpoints\[0\]\.nodeName must be a DNS-1123 subdomain .*current value is ""/],
        [{ hints: { forZones: zones(9) } }, /endpoints\[0\]\.hints\.forZones must hold at most 8 zones/],
        [{ hints: { forZones: [{ name: "a" }, { name: "a" }] } }, /forZones\[1\]\.name must be unique: .*"a"/],
        [{ hints: { forZones: [{ name: "a b" }] } }, /forZones\[0\]\.name must be a label value .*"a b"/],
        [{ hints: { forNodes: zones(9) } }, /endpoints\[0\]\.hints\.forNodes must hold at most 8 nodes/],
        [{ hints: { forNodes: [{ name: "n" }, { name: "n" }] } }, /forNodes\[1\]\.name must be unique: .*"n"/],
        [{ hints: { forNodes: [{ name: "" }] } }, /forNodes\[0\]\.name must be a DNS-1123 subdomain .*""/],
        [{ addresses: ["FD00::1"] }, /addresses\[0\] must be in canonical form.*"FD00::1".*"fd00::1"/],
        [{ addresses: ["fd00:0:1:0:0:1:0:1"] }, /addresses\[0\] must be in canonical form.*"fd00:0:1::1:0:1"/],
        [{ addresses: ["::ffff:10.0.0.1"] }, /addresses\[0\] must not be an IPv4-mapped IPv6 address/],
        // kube-apiserver v1.36.3 refuses it written in hex too: "must not be an IPv4-mapped IPv6 address".
        [{ addresses: ["::ffff:a00:1"] }, /addresses\[0\] must not be an IPv4-mapped IPv6 address/],
        [{ addresses: ["fe80::1%eth0"] }, /addresses must be IPv6 addresses: current value is "fe80::1%eth0"/],
      ] as const
    ) {
      const addressType = "addresses" in endpoint ? "IPv6" : "IPv4";
      assert.throws(
        () => apply(endpoint, addressType),
        { name: "TypeError", message: message },
        JSON.stringify(endpoint),
      );
    }
    apply({ nodeName: "node-1", hints: { forZones: zones(8), forNodes: [{ name: "node-1" }] } });
    apply({ hints: { forZones: [{ name: "" }] }, zone: "" });
    apply({ addresses: ["fd00:0:1::1:0:1", "fe80::1"] }, "IPv6");
  });
});

Deno.test("applySlice(), applyService() and applyNode() refuse the label keys and values kube-apiserver refuses, in a Service's selector too", async () => {
  await withServer({}, (server) => {
    const slice = (labels: Record<string, string>, annotations?: Record<string, string>) =>
      server.applySlice({
        metadata: {
          namespace: "default",
          name: "s",
          labels: { "kubernetes.io/service-name": "s", ...labels },
          annotations,
        },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.0.0.1"] }],
      });
    const service = (labels: Record<string, string>) =>
      server.applyService({ metadata: { namespace: "default", name: "s", labels }, spec: { ports: [{ port: 80 }] } });
    const node = (labels: Record<string, string>) => server.applyNode({ metadata: { name: "n1", labels } });
    // Each refused by kube-apiserver v1.36.3 with a 422 (measured); its reasons are quoted.
    const valueRule = /is no label value, as kube-apiserver requires one: a valid label must be an empty string/;
    const keyRule = /key "-bad" is no label key, as kube-apiserver requires one: name part must consist of/;
    assert.throws(() => slice({ "kubernetes.io/service-name": "a b" }), { name: "TypeError", message: valueRule });
    assert.throws(() => slice({ "kubernetes.io/service-name": "x".repeat(64) }), /must be no more than 63 bytes/);
    assert.throws(() => slice({ "-bad": "x" }), { name: "TypeError", message: keyRule });
    assert.throws(() => slice({}, { "-bad": "any value" }), /metadata\.annotations key "-bad" is no label key/);
    assert.throws(() => service({ "-bad": "x" }), { name: "TypeError", message: keyRule });
    assert.throws(() => node({ "topology.kubernetes.io/zone": "zone a" }), {
      name: "TypeError",
      message: /metadata\.labels\["topology\.kubernetes\.io\/zone"\] is no label value.*current value is "zone a"/,
    });
    assert.throws(() => node({ "a/b/c": "x" }), /key "a\/b\/c" is no label key/);
    const selected = (selector: Record<string, string>) =>
      server.applyService({ metadata: { namespace: "default", name: "s" }, spec: { ports: [{ port: 80 }], selector } });
    assert.throws(() => selected({ app: "a b" }), {
      name: "TypeError",
      message: /spec\.selector\["app"\] is no label value.*current value is "a b"/,
    });
    assert.throws(() => selected({ "Bad Key": "x" }), /spec\.selector key "Bad Key" is no label key/);
    // Stored as kube-apiserver stores it: an empty selector is left out.
    assert.equal(selected({}).spec.selector, undefined);
    slice({ "example.com/x": "" }, { "example.com/note": "free text, any length" });
    service({ app: "s" });
    node({ "topology.kubernetes.io/zone": "zone-a" });
  });
});

Deno.test("applySlice() and applyService() refuse the hostnames, appProtocols and FQDNs kube-apiserver refuses", async () => {
  await withServer({}, (server) => {
    const slice = (endpoint: Record<string, unknown>, port: Record<string, unknown> = {}, fqdn = false) =>
      server.applySlice({
        metadata: { namespace: "default", name: fqdn ? "s-fqdn" : "s", labels: { "kubernetes.io/service-name": "s" } },
        addressType: fqdn ? "FQDN" : "IPv4",
        endpoints: [{ addresses: [fqdn ? "a.example.com" : "10.0.0.1"], ...endpoint }],
        ports: [{ name: "grpc", port: 50051, ...port }],
      });
    // Each refused by kube-apiserver v1.36.3 with a 422 (measured), and accepted in the form after.
    assert.throws(() => slice({ hostname: "Bad_Host" }), {
      name: "TypeError",
      message: /endpoints\[0\]\.hostname must be a DNS-1123 label .*current value is "Bad_Host"/,
    });
    assert.throws(() => slice({}, { appProtocol: "a b" }), {
      name: "TypeError",
      message: /ports\[0\]\.appProtocol "a b" is no qualified name, as kube-apiserver requires one: name part must/,
    });
    assert.throws(() => slice({ addresses: ["Example_com"] }, {}, true), {
      name: "TypeError",
      message:
        /endpoints\[0\]\.addresses\[0\] is no fully qualified domain name, as kube-apiserver requires one: a lowercase RFC 1123 subdomain must .*current value is "Example_com"/,
    });
    assert.throws(
      () =>
        server.applyService({
          metadata: { namespace: "default", name: "s" },
          spec: { ports: [{ name: "grpc", port: 80, appProtocol: "a b" }] },
        }),
      /spec\.ports\[0\]\.appProtocol "a b" is no qualified name/,
    );
    slice({ hostname: "host-0" }, { appProtocol: "kubernetes.io/h2c" });
    slice({}, {}, true);
    server.applyService({
      metadata: { namespace: "default", name: "s" },
      spec: { ports: [{ name: "grpc", port: 80, appProtocol: "grpc" }] },
    });
  });
});

Deno.test("applySlice() holds FQDN addresses to kube-apiserver's rule: two labels or more, one trailing dot", async () => {
  await withServer({}, (server) => {
    const slice = (address: string) =>
      server.applySlice({
        metadata: { namespace: "default", name: "s", labels: { "kubernetes.io/service-name": "s" } },
        addressType: "FQDN",
        endpoints: [{ addresses: [address] }],
      });
    // Each refused by kube-apiserver v1.36.3 with a 422 and this reason (measured with POST ?dryRun=All).
    const refused: [string, string][] = [
      ["foo", "should be a domain with at least two segments separated by dots"],
      ["foo.", "should be a domain with at least two segments separated by dots"],
      [`${"a".repeat(64)}.com`, "must be no more than 63 characters"],
      [`${"a".repeat(60)}.`.repeat(5), "must be no more than 253 characters"],
      ["foo.bar..", "a lowercase RFC 1123 subdomain must consist of"],
      [".foo.bar", "a lowercase RFC 1123 subdomain must consist of"],
      ["a..b", "a lowercase RFC 1123 subdomain must consist of"],
      ["", "Required value"],
    ];
    for (const [address, reason] of refused) {
      assert.throws(() => slice(address), (error: Error) => {
        assert.equal(error.name, "TypeError");
        assert.ok(
          error.message.includes(`is no fully qualified domain name, as kube-apiserver requires one: ${reason}`),
        );
        assert.ok(error.message.endsWith(`current value is ${JSON.stringify(address)}`), error.message);
        return true;
      }, `address ${JSON.stringify(address)}`);
    }
    // Accepted, and stored as written (the trailing dot too).
    for (const address of ["foo.bar.", "foo.bar", `${"a".repeat(63)}.com`, `${"a".repeat(62)}.`.repeat(4)]) {
      assert.deepEqual(slice(address).endpoints?.[0].addresses, [address]);
    }
  });
});

Deno.test("applySlice() refuses owner references kube-apiserver refuses and stores the others as it does", async () => {
  await withServer({}, (server) => {
    const slice = (ownerReferences: Record<string, unknown>[]) =>
      server.applySlice({
        metadata: { namespace: "default", name: "s", labels: { "kubernetes.io/service-name": "s" }, ownerReferences },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.0.0.1"] }],
      });
    const owner = { apiVersion: "v1", kind: "Service", name: "s", uid: "u1" };
    // Each refused by kube-apiserver v1.36.3 with a 422 and this reason (measured with POST ?dryRun=All).
    const refused: [Record<string, unknown>[], string][] = [
      [[{ ...owner, uid: "" }], 'metadata.ownerReferences.uid: Invalid value: "": must not be empty'],
      [[{ ...owner, uid: undefined }], 'metadata.ownerReferences.uid: Invalid value: "": must not be empty'],
      [[{ ...owner, name: "" }], 'metadata.ownerReferences.name: Invalid value: "": must not be empty'],
      [[{ ...owner, kind: undefined }], 'metadata.ownerReferences.kind: Invalid value: "": must not be empty'],
      [
        [{ ...owner, apiVersion: "" }],
        'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
      ],
      [[{ ...owner, apiVersion: "apps/" }], 'Invalid value: "apps/": version must not be empty'],
      [[{ ...owner, apiVersion: "a/b/c" }], 'Invalid value: "a/b/c": version must not be empty'],
      [[{ ...owner, kind: "Event" }], "/v1, Kind=Event is disallowed from being an owner"],
      [[owner, { ...owner, uid: "u2", kind: "" }], "metadata.ownerReferences[1] is no owner reference"],
      [
        [{ ...owner, controller: true }, { ...owner, kind: "Pod", controller: true }],
        'Only one reference can have Controller set to true. Found "true" in references for Service/s and Pod/s',
      ],
      // The references are quoted with Go's json.Marshal, which escapes <, > and &.
      [
        [{ ...owner, kind: "Event", name: "e<&>" }],
        'Invalid value: {"apiVersion":"v1","kind":"Event","name":"e\\u003c\\u0026\\u003e","uid":"u1"}: /v1, Kind=Event',
      ],
      [
        [{ ...owner, name: "s<&>", controller: true }, { ...owner, kind: "Pod", controller: true }],
        'Invalid value: [{"apiVersion":"v1","kind":"Service","name":"s\\u003c\\u0026\\u003e","uid":"u1",' +
        '"controller":true},{"apiVersion":"v1","kind":"Pod","name":"s","uid":"u1","controller":true}]: Only one ' +
        'reference can have Controller set to true. Found "true" in references for Service/s<&> and Pod/s',
      ],
    ];
    for (const [references, reason] of refused) {
      assert.throws(() => slice(references), (error: Error) => {
        assert.equal(error.name, "TypeError");
        assert.ok(error.message.includes(reason), error.message);
        return true;
      }, JSON.stringify(references));
    }
    // A field of the wrong type: the real server's 400 (it cannot decode the object).
    assert.throws(() => slice([{ ...owner, uid: 5 }]), /metadata\.ownerReferences\[0\]\.uid must be a string/);
    assert.throws(() => slice([{ ...owner, controller: "yes" }]), /controller must be a boolean/);
    // Stored as kube-apiserver stores them: its fields in its order, an entry equal to an earlier one dropped,
    // entries that share only a uid kept.
    const stored = slice([
      { uid: "u1", name: "s", kind: "Service", apiVersion: "v1", extra: 1, blockOwnerDeletion: true, controller: true },
      { ...owner, controller: true, blockOwnerDeletion: true },
      { ...owner, kind: "Pod", name: "p", controller: null },
    ]);
    assert.equal(
      JSON.stringify(stored.metadata.ownerReferences),
      JSON.stringify([
        { ...owner, controller: true, blockOwnerDeletion: true },
        { ...owner, kind: "Pod", name: "p" },
      ]),
    );
    assert.equal(slice([]).metadata.ownerReferences, undefined);
  });
});

Deno.test("applySlice() refuses annotations of more than 262144 bytes in all, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    const slice = (annotations: Record<string, string>) =>
      server.applySlice({
        metadata: { namespace: "default", name: "s", labels: { "kubernetes.io/service-name": "s" }, annotations },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.0.0.1"] }],
      });
    // Keys and values count, in UTF-8 bytes (measured on kube-apiserver v1.36.3: 262145 refused, 262144 stored).
    slice({ a: "x".repeat(262144 - 7), bcdefg: "" });
    assert.throws(() => slice({ a: "x".repeat(262145 - 7), bcdefg: "" }), {
      name: "TypeError",
      message: /metadata\.annotations: Too long: may not be more than 262144 bytes: current size is 262145 bytes/,
    });
    assert.throws(() => slice({ a: "\u00e9".repeat(131072) }), /current size is 262145 bytes/);
  });
});

Deno.test("applyService(), applyNode() and endpointSlice() name a field of the wrong JSON type instead of failing inside", async () => {
  await withServer({}, (server) => {
    const service = (port: unknown) =>
      ({ metadata: { namespace: "shop", name: "bad" }, spec: { ports: [port] } }) as unknown as ServiceInput;
    // Were "Cannot read properties of null (reading 'name')" and "key.split is not a function".
    assert.throws(() => server.applyService(service(null)), {
      name: "TypeError",
      message: 'Cannot apply Service "shop/bad": spec.ports[0] must be an object such as { name: "grpc", port: ' +
        "50051 }: current value is null",
    });
    assert.throws(() => server.applyService(service({ port: 80, appProtocol: 1 })), {
      name: "TypeError",
      message: 'Cannot apply Service "shop/bad": spec.ports[0].appProtocol must be a string: current value is 1',
    });
    // Was "firstIp?.includes is not a function".
    assert.throws(
      () => endpointSlice({ namespace: "a", service: "b", endpoints: [{ ip: 167772161 as unknown as string }] }),
      {
        name: "TypeError",
        message: "Cannot build an EndpointSlice: endpointSlice() endpoints[0].ip must be an address or a list of " +
          'them, such as "10.0.0.1": current value is 167772161',
      },
    );
    // As kube-apiserver v1.36.3 reads them, labels: null are no labels; the fake failed with "Cannot convert
    // undefined or null to object". Labels that are no object were read as a map of their characters.
    const node = server.applyNode({ metadata: { name: "n1", labels: null } } as unknown as NodeInput);
    assert.equal(node.metadata.labels, undefined);
    assert.throws(() => server.applyNode({ metadata: { name: "n1", labels: "zone-a" } } as unknown as NodeInput), {
      name: "TypeError",
      message: 'Cannot apply Node "n1": metadata.labels must map strings to strings',
    });
  });
});

Deno.test("applySlice() and applyService() read null labels, annotations, selector and port fields as left out, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    // kube-apiserver v1.36.3 stored both with dryRun=All (measured); the fake refused them ("metadata.labels must map
    // strings to strings", "Cannot convert undefined or null to object", "targetPort must be 1-65535 or a port name:
    // current value is null").
    const slice = server.applySlice({
      metadata: { namespace: "shop", name: "x", labels: null, annotations: null },
      addressType: "IPv4",
      endpoints: [],
    } as unknown as EndpointSliceInput);
    assert.equal(slice.metadata.labels, undefined);
    assert.equal(slice.metadata.annotations, undefined);
    const service = server.applyService({
      metadata: { namespace: "shop", name: "x", labels: null },
      spec: { ports: [{ port: 80, name: null, protocol: null, appProtocol: null, targetPort: null }], selector: null },
    } as unknown as ServiceInput);
    assert.deepEqual(service.spec.ports, [{ protocol: "TCP", port: 80, targetPort: 80 }]);
    assert.equal(service.spec.selector, undefined);
    assert.equal(service.metadata.labels, undefined);
  });
});

Deno.test('applySlice(), applyService() and applyNode() read a null map value as "", as kube-apiserver does', async () => {
  await withServer({}, (server) => {
    // kube-apiserver v1.36.3 stored each with dryRun=All (measured): labels {a: ""}, annotations {b: ""}, selector
    // {app: ""} (Go decodes null into a string as ""). The fake refused them: "metadata.labels must map strings to
    // strings", "endpoints[0].deprecatedTopology must be a map of strings", "spec.selector must map strings to strings".
    const slice = server.applySlice({
      metadata: { namespace: "shop", name: "x", labels: { a: null }, annotations: { b: null } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"], deprecatedTopology: { c: null } }],
    } as unknown as EndpointSliceInput);
    assert.deepEqual(slice.metadata.labels, { a: "" });
    assert.deepEqual(slice.metadata.annotations, { b: "" });
    const service = server.applyService({
      metadata: { namespace: "shop", name: "x", labels: { a: null } },
      spec: { ports: [{ port: 80 }], selector: { app: null } },
    } as unknown as ServiceInput);
    assert.deepEqual(service.metadata.labels, { a: "" });
    assert.deepEqual(service.spec.selector, { app: "" });
    const node = server.applyNode({ metadata: { name: "n", labels: { a: null } } } as unknown as NodeInput);
    assert.deepEqual(node.metadata.labels, { a: "" });
  });
});

Deno.test("applyService() defaults internalTrafficPolicy to Cluster, keeps Local and refuses another value, as kube-apiserver does", async () => {
  await withServer({}, (server) => {
    const service = (internalTrafficPolicy?: string | null) =>
      server.applyService({
        metadata: { namespace: "shop", name: "agent" },
        spec: { ports: [{ port: 4317 }], internalTrafficPolicy: internalTrafficPolicy as "Local" | undefined },
      });
    // kube-apiserver v1.36.3 (measured): "Cluster" when left out or null, "Local" kept, and a 422 otherwise.
    assert.equal(service().spec.internalTrafficPolicy, "Cluster");
    assert.equal(service(null).spec.internalTrafficPolicy, "Cluster");
    assert.equal(service("Local").spec.internalTrafficPolicy, "Local");
    assert.throws(() => service("Nearby"), {
      name: "TypeError",
      message: 'Cannot apply Service "shop/agent": spec.internalTrafficPolicy: Unsupported value: "Nearby": ' +
        'supported values: "Cluster", "Local"',
    });
  });
});

Deno.test("applyService() takes ipFamilies and ipFamilyPolicy as kube-apiserver v1.36.3 on an IPv4 cluster does", async () => {
  await withServer({}, (server) => {
    const service = (spec: Record<string, unknown>, name = "agent") =>
      server.applyService({
        metadata: { namespace: "shop", name },
        spec: { ports: [{ port: 4317 }], ...spec },
      } as unknown as ServiceInput).spec;
    const families = (spec: Record<string, unknown>) => {
      const { ipFamilies, ipFamilyPolicy } = service(spec);
      return [ipFamilies, ipFamilyPolicy];
    };
    // Measured with kubectl create against v1.36.3: what it stores, and the 422 it answers otherwise.
    assert.deepEqual(families({}), [["IPv4"], "SingleStack"]);
    assert.deepEqual(families({ ipFamilies: null, ipFamilyPolicy: null }), [["IPv4"], "SingleStack"]);
    assert.deepEqual(families({ ipFamilies: [] }), [["IPv4"], "SingleStack"]);
    assert.deepEqual(families({ ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack" }), [["IPv4"], "SingleStack"]);
    assert.deepEqual(families({ ipFamilyPolicy: "PreferDualStack" }), [["IPv4"], "PreferDualStack"]);
    assert.deepEqual(families({ ipFamilies: ["IPv4"], ipFamilyPolicy: "PreferDualStack" }), [
      ["IPv4"],
      "PreferDualStack",
    ]);
    const refused: [Record<string, unknown>, string][] = [
      [
        { ipFamilies: ["IPv6"] },
        'spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster',
      ],
      [
        { ipFamilies: ["IPv6", "IPv4"], ipFamilyPolicy: "PreferDualStack" },
        'spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster',
      ],
      [
        { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" },
        'spec.ipFamilies[1]: Invalid value: "IPv6": not configured on this cluster',
      ],
      [
        { ipFamilies: ["IPv4", "IPv6"] },
        "spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when " +
        "multiple IP families are specified",
      ],
      [
        { ipFamilyPolicy: "RequireDualStack" },
        'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
      ],
      [
        { ipFamilyPolicy: "Bogus" },
        'spec.ipFamilyPolicy: Unsupported value: "Bogus": supported values: "PreferDualStack", "RequireDualStack", ' +
        '"SingleStack"',
      ],
      [
        { ipFamilies: ["IPv5"] },
        'spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"',
      ],
      [
        { ipFamilies: ["IPv4", "IPv4"], ipFamilyPolicy: "PreferDualStack" },
        'spec.ipFamilies[1]: Duplicate value: "IPv4"',
      ],
    ];
    // Each as a new Service, as measured.
    for (const [spec, problem] of refused) {
      assert.throws(() => service(spec, "new"), {
        name: "TypeError",
        message: new RegExp(`^Cannot apply Service "shop/new": ${RegExp.escape(problem)}`),
      });
    }
    // The fake's is an IPv4 cluster: the message says so, and what to give instead.
    assert.throws(() => service({ ipFamilies: ["IPv6"] }), /IPv4 cluster.*"IPv4"/);
    // A replacement that leaves the policy out keeps the stored one (measured: kubectl replace); one given wins.
    assert.deepEqual(families({}), [["IPv4"], "PreferDualStack"]);
    assert.deepEqual(families({ ipFamilyPolicy: "SingleStack" }), [["IPv4"], "SingleStack"]);
    assert.deepEqual(families({}), [["IPv4"], "SingleStack"]);
  });
});

/** A Service `shop/<name>` with the given spec, read as given (a manifest a test applies). */
function headlessInput(name: string, spec: Record<string, unknown>): ServiceInput {
  return { metadata: { namespace: "shop", name }, spec } as unknown as ServiceInput;
}

Deno.test("applyService() stores a headless Service as kube-apiserver v1.36.3 does, with or without a selector and ports", async () => {
  await withServer({}, async (server) => {
    const stored = (name: string, spec: Record<string, unknown>) => server.applyService(headlessInput(name, spec)).spec;
    const grpc = [{ name: "grpc", port: 80 }];
    // Measured on kube-apiserver v1.36.3 (an IPv4 cluster), key order too.
    assert.equal(
      JSON.stringify(stored("selected", { clusterIP: "None", selector: { app: "a" }, ports: grpc })),
      JSON.stringify({
        ports: [{ name: "grpc", protocol: "TCP", port: 80, targetPort: 80 }],
        selector: { app: "a" },
        clusterIP: "None",
        clusterIPs: ["None"],
        type: "ClusterIP",
        sessionAffinity: "None",
        ipFamilies: ["IPv4"],
        ipFamilyPolicy: "SingleStack",
        internalTrafficPolicy: "Cluster",
      }),
    );
    // Without a selector, both families and RequireDualStack, even on an IPv4 cluster.
    assert.deepEqual(stored("manual", { clusterIP: "None", ports: grpc }), {
      ports: [{ name: "grpc", protocol: "TCP", port: 80, targetPort: 80 }],
      clusterIP: "None",
      clusterIPs: ["None"],
      type: "ClusterIP",
      sessionAffinity: "None",
      ipFamilies: ["IPv4", "IPv6"],
      ipFamilyPolicy: "RequireDualStack",
      internalTrafficPolicy: "Cluster",
    });
    // No ports: none stored.
    for (const ports of [undefined, null, []]) {
      assert.equal("ports" in stored("portless", { clusterIP: "None", selector: { app: "a" }, ports }), false);
      assert.equal("ports" in stored("bare", { clusterIP: "None", ports }), false);
    }
    const families = (spec: Record<string, unknown>) => {
      const { ipFamilies, ipFamilyPolicy } = stored("families", { clusterIP: "None", ports: grpc, ...spec });
      return [ipFamilies, ipFamilyPolicy];
    };
    assert.deepEqual(families({ ipFamilyPolicy: "SingleStack" }), [["IPv4"], "SingleStack"]);
    server.deleteService("shop", "families");
    assert.deepEqual(families({ ipFamilyPolicy: "PreferDualStack" }), [["IPv4", "IPv6"], "PreferDualStack"]);
    server.deleteService("shop", "families");
    assert.deepEqual(families({ ipFamilies: ["IPv4"] }), [["IPv4", "IPv6"], "RequireDualStack"]);
    server.deleteService("shop", "families");
    assert.deepEqual(families({ ipFamilies: ["IPv6"] }), [["IPv6", "IPv4"], "RequireDualStack"]);
    server.deleteService("shop", "families");
    assert.deepEqual(families({ ipFamilies: ["IPv6"], ipFamilyPolicy: "SingleStack" }), [["IPv6"], "SingleStack"]);
    // With a selector, as a ClusterIP Service of an IPv4 cluster.
    assert.throws(() => stored("v6", { clusterIP: "None", selector: { a: "b" }, ipFamilies: ["IPv6"] }), {
      message: /spec\.ipFamilies\[0\]: Invalid value: "IPv6": not configured on this cluster/,
    });
    assert.throws(
      () => stored("dual", { clusterIP: "None", selector: { a: "b" }, ipFamilyPolicy: "RequireDualStack" }),
      {
        message:
          /spec\.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack/,
      },
    );
    assert.equal(
      stored("local", { clusterIP: "None", selector: { a: "b" }, internalTrafficPolicy: "Local" })
        .internalTrafficPolicy,
      "Local",
    );
    // Served as stored: kubectl's CLUSTER-IP column says None, and a field selector finds it.
    const table = await fetch(`${server.url}/api/v1/namespaces/shop/services/manual`, {
      headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
    }).then((response) => response.json());
    assert.deepEqual(table.rows[0].cells.slice(0, 5), ["manual", "ClusterIP", "None", "<none>", "80/TCP"]);
    const found = await fetch(`${server.url}/api/v1/services?fieldSelector=spec.clusterIP%3DNone`)
      .then((response) => response.json());
    assert.deepEqual(found.items.map((item: { metadata: { name: string } }) => item.metadata.name), [
      "bare",
      "families",
      "local",
      "manual",
      "portless",
      "selected",
    ]);
  });
});

Deno.test("applyService() refuses a cluster IP as kube-apiserver v1.36.3 does, and stores an address of its service range", async () => {
  await withServer({}, (server) => {
    const refusal = (spec: Record<string, unknown>) => {
      try {
        server.applyService(headlessInput("agent", { ports: [{ port: 4317 }], ...spec }));
      } catch (error) {
        return (error as Error).message.replace('Cannot apply Service "shop/agent": ', "");
      }
      return "stored";
    };
    // The real server's words (measured), each with what to do where the fake adds it.
    assert.equal(
      refusal({ clusterIPs: ["None"] }),
      'spec.clusterIPs: Invalid value: ["None"]: must be empty when `clusterIP` is not specified',
    );
    assert.equal(
      refusal({ clusterIP: "None", clusterIPs: ["10.0.0.5"] }),
      'spec.clusterIPs: Invalid value: ["10.0.0.5"]: first value must match `clusterIP`',
    );
    assert.equal(
      refusal({ clusterIP: "None", clusterIPs: ["None", "None"] }),
      `spec.clusterIPs: Invalid value: ["None","None"]: 'None' must be the first and only value`,
    );
    assert.equal(
      refusal({ clusterIP: "none" }),
      'spec.clusterIPs[0]: Invalid value: "none": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff) ' +
        '(give "None" for a headless Service, with a capital N)',
    );
    assert.equal(
      refusal({ clusterIP: "fd00::1" }),
      'spec.clusterIPs[0]: Invalid value: ["fd00::1"]: IPv6 is not configured on this cluster (the fake API server is ' +
        'an IPv4 cluster: give an address of 10.96.0.0/16, leave spec.clusterIP out, or give "None" for a headless ' +
        "Service)",
    );
    // Outside the service range, the real server's words (measured), then what to do.
    assert.equal(
      refusal({ clusterIP: "192.168.1.1" }),
      'spec.clusterIPs: Invalid value: ["192.168.1.1"]: failed to allocate IP 192.168.1.1: the provided network does ' +
        "not match the current range (the fake API server's service range is 10.96.0.0/16: give a free address of " +
        "it, or leave spec.clusterIP out to have one allocated)",
    );
    assert.match(refusal({ clusterIP: 7 }), /^spec\.clusterIP must be a string such as "None": current value is 7/);
    // Left out, as kube-apiserver reads "" and null: an address allocated.
    assert.equal(refusal({ clusterIP: "" }), "stored");
    assert.match(
      server.applyService(headlessInput("agent", { ports: [{ port: 4317 }], clusterIP: null })).spec.clusterIP!,
      /^10\.96\.\d+\.\d+$/,
    );
    // Inside it and free, the address given.
    const given = server.applyService(headlessInput("dns", { ports: [{ port: 53 }], clusterIP: "10.96.0.10" }));
    assert.deepEqual([given.spec.clusterIP, given.spec.clusterIPs], ["10.96.0.10", ["10.96.0.10"]]);
    // A ClusterIP Service without a port is refused; a headless one may have none.
    assert.match(refusal({ ports: [] }), /^spec\.ports: Required value \(a ClusterIP Service needs at least one port/);
  });
});

Deno.test("applyService() keeps a Service headless or not, as kube-apiserver v1.36.3 refuses a change of its clusterIP", async () => {
  await withServer({}, (server) => {
    const apply = (name: string, spec: Record<string, unknown>) =>
      server.applyService(headlessInput(name, { ports: [{ name: "grpc", port: 80 }], ...spec })).spec;
    const mayNotChange = (value: string) => ({
      name: "TypeError",
      message:
        `Cannot apply Service "shop/${
          value === "None" ? "plain" : "headless"
        }": spec.clusterIPs[0]: Invalid value: ["${value}"]: may not change once set (a Service cannot become ` +
        "headless or stop being one: delete it, then apply it again)",
    });
    apply("plain", {});
    assert.throws(() => apply("plain", { clusterIP: "None" }), mayNotChange("None"));
    assert.throws(() => apply("plain", { clusterIP: "None", clusterIPs: ["None"] }), mayNotChange("None"));
    apply("headless", { clusterIP: "None", selector: { app: "a" } });
    assert.throws(() => apply("headless", { clusterIP: "10.96.0.50" }), mayNotChange("10.96.0.50"));
    // Left out (or ""), the replaced Service's is kept, as a real update keeps it.
    assert.equal(apply("headless", { selector: { app: "a" } }).clusterIP, "None");
    assert.deepEqual(apply("headless", { clusterIP: "", clusterIPs: [], selector: { app: "a" } }).clusterIPs, ["None"]);
    // The selector removed, with RequireDualStack: both families (measured).
    const unselected = apply("headless", { ipFamilyPolicy: "RequireDualStack" });
    assert.deepEqual([unselected.ipFamilies, unselected.ipFamilyPolicy], [["IPv4", "IPv6"], "RequireDualStack"]);
    // The policy and families left out keep the replaced Service's; SingleStack keeps the first family.
    assert.deepEqual(apply("headless", {}).ipFamilies, ["IPv4", "IPv6"]);
    const single = apply("headless", { ipFamilyPolicy: "SingleStack" });
    assert.deepEqual([single.ipFamilies, single.ipFamilyPolicy], [["IPv4"], "SingleStack"]);
    // A selector again, the dual-stack policy kept: refused, as on an IPv4 cluster.
    apply("manual", { clusterIP: "None" });
    assert.throws(() => apply("manual", { selector: { app: "a" } }), {
      message: /spec\.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack/,
    });
  });
});

Deno.test("applyService() fills a replacement's clusterIP in from the stored Service before it checks clusterIPs", async () => {
  // As kube-apiserver v1.36.3 (measured with PUT): a replacement that leaves clusterIP out gets the stored one first, so
  // clusterIPs given alone must match it, where a creation must leave clusterIPs out with clusterIP.
  await withServer({}, (server) => {
    const apply = (name: string, spec: Record<string, unknown>) =>
      server.applyService(headlessInput(name, { ports: [{ name: "grpc", port: 80 }], ...spec })).spec;
    const refused = (name: string, spec: Record<string, unknown>) => {
      try {
        apply(name, spec);
      } catch (error) {
        return (error as Error).message.replace(/^Cannot apply Service "[^"]+": /, "");
      }
      assert.fail(`${name} ${JSON.stringify(spec)} was stored`);
    };
    apply("headless", { clusterIP: "None", selector: { app: "a" } });
    const kept = apply("headless", { clusterIPs: ["None"], selector: { app: "a" } });
    assert.deepEqual([kept.clusterIP, kept.clusterIPs], ["None", ["None"]]);
    assert.equal(
      refused("headless", { clusterIPs: ["10.0.0.5"], selector: { app: "a" } }),
      'spec.clusterIPs: Invalid value: ["10.0.0.5"]: first value must match `clusterIP`',
    );
    assert.equal(
      refused("headless", { clusterIPs: ["None", "None"] }),
      `spec.clusterIPs: Invalid value: ["None","None"]: 'None' must be the first and only value`,
    );
    // A Service that is not headless has its allocated address filled in.
    apply("plain", {});
    assert.equal(
      refused("plain", { clusterIPs: ["None"] }),
      'spec.clusterIPs: Invalid value: ["None"]: first value must match `clusterIP`',
    );
    // A creation still refuses clusterIPs without clusterIP.
    assert.equal(
      refused("new", { clusterIPs: ["None"] }),
      'spec.clusterIPs: Invalid value: ["None"]: must be empty when `clusterIP` is not specified',
    );
  });
});

Deno.test("applyService() drops a headless Service's second IP family only under SingleStack, as kube-apiserver v1.36.3", async () => {
  await withServer({}, (server) => {
    const apply = (spec: Record<string, unknown>) =>
      server.applyService(headlessInput("manual", { clusterIP: "None", ports: [{ name: "grpc", port: 80 }], ...spec }))
        .spec;
    assert.deepEqual(apply({}).ipFamilies, ["IPv4", "IPv6"]);
    // Measured with PUT: one family given where two are stored, the dual-stack policy kept, is refused.
    for (const ipFamilies of [["IPv6"], ["IPv4"]]) {
      assert.throws(() => apply({ ipFamilies }), {
        name: "TypeError",
        message:
          `Cannot apply Service "shop/manual": spec.ipFamilyPolicy: Invalid value: "RequireDualStack": must be ` +
          `'SingleStack' to release the secondary IP family (give ipFamilyPolicy: "SingleStack" with the one family)`,
      });
    }
    assert.deepEqual(apply({ ipFamilies: ["IPv4", "IPv6"] }).ipFamilies, ["IPv4", "IPv6"]);
    // With SingleStack the one family given is kept, the primary one changed too (measured).
    const single = apply({ ipFamilies: ["IPv6"], ipFamilyPolicy: "SingleStack" });
    assert.deepEqual([single.ipFamilies, single.ipFamilyPolicy], [["IPv6"], "SingleStack"]);
  });
});

Deno.test("applyService() rejects invalid Services", async () => {
  await withServer({}, (server) => {
    const ports = (ports: { name?: string; port: number; targetPort?: number | string }[]) => ({
      metadata: { namespace: "shop", name: "bad" },
      spec: { ports },
    });
    assert.throws(() => server.applyService(ports([{ port: 80 }, { name: "b", port: 81 }])), {
      name: "TypeError",
      message: /spec\.ports\[0\]\.name: Required value \(a Service with more than one port names each of them\)$/,
    });
    assert.throws(
      () => server.applyService(ports([{ name: "a", port: 80 }, { name: "a", port: 81 }])),
      /name: Duplicate value: "a"$/,
    );
    // As kube-apiserver v1.36.3 answers a ClusterIP Service without ports (measured): 422 Invalid,
    // "Service \"bad\" is invalid: spec.ports: Required value".
    assert.throws(() => server.applyService(ports([])), {
      name: "TypeError",
      message:
        /^Cannot apply Service "shop\/bad": spec\.ports: Required value \(a ClusterIP Service needs at least one port/,
    });
    // As kube-apiserver v1.36.3 (measured): one port number and protocol once ("spec.ports[1]: Duplicate value").
    assert.throws(() => server.applyService(ports([{ name: "a", port: 80 }, { name: "b", port: 80 }])), {
      name: "TypeError",
      message: /spec\.ports\[1\] must not repeat port 80 with protocol TCP, as kube-apiserver requires/,
    });
    server.applyService({
      metadata: { namespace: "shop", name: "dns" },
      spec: { ports: [{ name: "a", port: 53 }, { name: "b", port: 53, protocol: "UDP" }] },
    });
    assert.throws(() => server.applyService(ports([{ name: "GRPC", port: 80 }])), /name must be a DNS-1123 label/);
    assert.throws(
      () => server.applyService(ports([{ name: "a", port: 0 }])),
      /port: Invalid value: 0: must be between 1 and 65535/,
    );
    // As kube-apiserver v1.36.3 (measured): a targetPort name is an IANA service name, and 0 or "" mean the port.
    for (
      const [targetPort, problem] of [
        ["a".repeat(16), "at most 15 characters"],
        ["Grpc", "only a-z, 0-9 and"],
        [
          "a--b",
          "no consecutive hyphens",
        ],
        ["123", "at least one letter"],
        ["-a", "no hyphen at either end"],
      ]
    ) {
      assert.throws(() => server.applyService(ports([{ name: "a", port: 80, targetPort }])), {
        name: "TypeError",
        message: new RegExp(
          `spec\\.ports\\[0\\]\\.targetPort must be .*${problem}.*: current value is "${targetPort}"`,
        ),
      });
    }
    for (const targetPort of [0, ""]) {
      assert.equal(server.applyService(ports([{ name: "a", port: 80, targetPort }])).spec.ports![0].targetPort, 80);
    }
    assert.throws(
      () => server.applyService({ metadata: { namespace: "", name: "x" }, spec: { ports: [] } }),
      /metadata\.namespace is required/,
    );
    // kube-apiserver v1.36.3 refuses these (measured with kubectl apply --dry-run=server); a target cannot name them.
    for (const name of ["Cart", "cart.v1", "-cart", "x".repeat(64)]) {
      assert.throws(
        () => server.applyService({ metadata: { namespace: "shop", name }, spec: { ports: [] } }),
        { name: "TypeError", message: /metadata\.name must be a DNS-1123 label .*: current value is "/ },
      );
    }
    assert.throws(
      () => server.applyService({ metadata: { namespace: "Shop", name: "cart" }, spec: { ports: [] } }),
      { name: "TypeError", message: /metadata\.namespace must be a DNS-1123 label .*: current value is "Shop"/ },
    );
    // A DNS-1123 label may start with a digit, as kube-apiserver v1.36.3 accepts for a Service.
    assert.equal(
      server.applyService({ metadata: { namespace: "shop", name: "1cart" }, spec: { ports: [{ port: 80 }] } }).metadata
        .name,
      "1cart",
    );
  });
});

Deno.test("the server keeps connections alive and streams watches with chunked encoding", async () => {
  await withServer({}, async (server) => {
    const { port } = new URL(server.url);
    const socket = connect(Number(port), "127.0.0.1");
    try {
      let received = "";
      socket.setEncoding("utf8");
      socket.on("data", (data: string) => received += data);
      await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
      socket.write(`GET ${BASE}/endpointslices HTTP/1.1\r\nHost: x\r\n\r\n`);
      await within(
        waitFor(() => received.includes('"items":[]')),
        3000,
        "the list",
      );
      assert.match(received, /^HTTP\/1\.1 200 /);
      assert.doesNotMatch(received, /connection: close/i);
      received = "";
      socket.write(
        `GET ${BASE}/endpointslices?watch=true HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      await within(
        waitFor(() => /\r\n\r\n/.test(received)),
        3000,
        "the watch headers",
      );
      assert.match(received, /^HTTP\/1\.1 200 /);
      assert.match(received, /transfer-encoding: chunked/i);
      server.applySlice(svc("echo", ["10.0.0.1"]));
      await within(
        waitFor(() => received.includes('"type":"ADDED"')),
        3000,
        "the event",
      );
      assert.equal(server.requests.length, 2);
    } finally {
      socket.destroy();
    }
  });
});

Deno.test("HTTPS with the fixture certificates works with the right CA and fails with another", async () => {
  await withServer(
    {
      tls: { cert: fixture("server.pem"), key: fixture("server-key.pem") },
      token: "t",
    },
    async (server) => {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const trusted = Deno.createHttpClient({ caCerts: [fixture("ca.pem")] });
      const untrusted = Deno.createHttpClient({
        caCerts: [fixture("other-ca.pem")],
      });
      try {
        server.applySlice(svc("echo", ["10.0.0.1"]));
        const headers = { authorization: "Bearer t" };
        const list = await getJson(slicesUrl(server, "default"), {
          client: trusted,
          headers,
        });
        assert.equal(list.status, 200);
        assert.equal(list.body.items.length, 1);
        const stream = await watch(
          slicesUrl(server, "default", { watch: "true" }),
          { client: trusted, headers },
        );
        assert.equal((await stream.next())?.type, "ADDED");
        await stream.cancel();
        await assert.rejects(
          fetch(slicesUrl(server, "default"), { client: untrusted, headers }),
        );
        const localhost = await fetch(
          slicesUrl(server, "default").replace("127.0.0.1", "localhost"),
          {
            client: trusted,
            headers,
          },
        );
        assert.equal(localhost.status, 200);
        await localhost.body?.cancel();
      } finally {
        trusted.close();
        untrusted.close();
      }
    },
  );
});

// kube-apiserver v1.36.3 answers these bytes to plain HTTP on its TLS port, then closes (measured). The fake reset the
// connection on Node and Bun and wrote a TLS alert on Deno, so no client met the real answer against it.
Deno.test("HTTPS answers a plain HTTP request with kube-apiserver's 400, and still serves TLS on the same port", async () => {
  await withServer({ tls: { cert: fixture("server.pem"), key: fixture("server-key.pem") } }, async (server) => {
    const port = Number(new URL(server.url).port);
    const answer = await new Promise<string>((resolve, reject) => {
      let text = "";
      const socket = connect(port, "127.0.0.1", () => socket.write("GET /version HTTP/1.1\r\nHost: x\r\n\r\n"));
      socket.setEncoding("latin1");
      socket.on("data", (chunk: string) => text += chunk);
      socket.on("error", reject);
      socket.on("close", () => resolve(text));
    });
    assert.equal(answer, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n");
    const client = Deno.createHttpClient({ caCerts: [fixture("ca.pem")] });
    try {
      const version = await fetch(`${server.url}/version`, { client });
      assert.equal(version.status, 200);
      await version.body?.cancel();
    } finally {
      client.close();
    }
  });
});

// kube-apiserver v1.36.3 closes a plain PATCH or DELETE on its TLS port without a byte (measured: Go takes only GET,
// HEAD, POST, PUT and OPTIONS for plain HTTP, and drops any other first record that is no TLS handshake). The fake
// passed them on to its HTTPS server, which wrote a TLS alert (Deno) or reset the connection (Node, Bun).
Deno.test("HTTPS closes a plain PATCH or DELETE without a word, as kube-apiserver does", async () => {
  await withServer({ tls: { cert: fixture("server.pem"), key: fixture("server-key.pem") } }, async (server) => {
    const port = Number(new URL(server.url).port);
    for (const method of ["PATCH", "DELETE", "TRACE"]) {
      const answer = await new Promise<string>((resolve, reject) => {
        let text = "";
        const socket = connect(port, "127.0.0.1", () => {
          socket.write(`${method} /api/v1/namespaces/default/services/x HTTP/1.1\r\nHost: x\r\n\r\n`);
        });
        socket.setEncoding("latin1");
        socket.on("data", (chunk: string) => text += chunk);
        socket.on("error", reject);
        socket.on("close", () => resolve(text));
      });
      assert.equal(JSON.stringify(answer), '""', `${method}: the connection must close with no byte written`);
    }
  });
});

Deno.test("kubeconfig() points at the server with the token, CA and namespace", async () => {
  await withServer({ token: "t" }, (server) => {
    const ca = fixture("ca.pem");
    assert.deepEqual(server.kubeconfig({ namespace: "shop", ca }), {
      apiVersion: "v1",
      kind: "Config",
      preferences: {},
      clusters: [{
        name: "fake-api-server",
        cluster: { server: server.url, "certificate-authority-data": btoa(ca) },
      }],
      users: [{ name: "fake-api-server", user: { token: "t" } }],
      contexts: [{
        name: "fake-api-server",
        context: {
          cluster: "fake-api-server",
          user: "fake-api-server",
          namespace: "shop",
        },
      }],
      "current-context": "fake-api-server",
    });
  });
});

Deno.test("startFakeApiServer() and kubeconfig() refuse a misspelt option, which left its default without a word", async () => {
  // A token's value is never quoted.
  await assert.rejects(startFakeApiServer({ tokn: "s3cret" } as never), {
    name: "TypeError",
    message: 'Cannot start the fake API server as it has no option "tokn": use token',
  });
  // Close to no option: every one.
  await assert.rejects(startFakeApiServer({ bearer: "s3cret" } as never), {
    name: "TypeError",
    message: 'Cannot start the fake API server as it has no option "bearer": use token, tls, hostname, port, ' +
      "bookmarkIntervalMs, watchCacheSize, historyLimit, maxChunkBytes, watchList",
  });
  await withServer({}, (server) => {
    // Targets without a namespace went to "default", which has no slice.
    assert.throws(() => server.kubeconfig({ namespce: "shop" } as never), {
      name: "TypeError",
      message: 'Cannot write a kubeconfig as it has no option "namespce": use namespace',
    });
  });
});

Deno.test("startFakeApiServer() and kubeconfig() refuse options that are no object, before their names", async () => {
  // null failed with the runtime's "Cannot convert undefined or null to object", "shop" with `has no option "0"`,
  // and a list started a server with the defaults. A string's value is never quoted: it may be a token.
  const cases: [unknown, string][] = [
    [null, "current value is null"],
    [[], "current type is list"],
    ["s3cret", "current type is string"],
    [5, "current type is number"],
  ];
  for (const [options, current] of cases) {
    await assert.rejects(startFakeApiServer(options as never), {
      name: "TypeError",
      message: "Cannot start the fake API server as its options must be an object of token, tls, hostname, port, " +
        `bookmarkIntervalMs, watchCacheSize, historyLimit, maxChunkBytes, watchList, or left out for the defaults: ${current}`,
    });
  }
  await withServer({}, (server) => {
    for (const [options, current] of cases) {
      assert.throws(() => server.kubeconfig(options as never), {
        name: "TypeError",
        message: `Cannot write a kubeconfig as its options must be an object of namespace, ca, or left out for the ` +
          `defaults: ${current}`,
      });
    }
  });
});

Deno.test("close() ends open watches and pending lists and leaves nothing running", async () => {
  const server = await startFakeApiServer({ bookmarkIntervalMs: 50 });
  const stream = await watch(slicesUrl(server, undefined, {
    watch: "true",
    allowWatchBookmarks: "true",
    timeoutSeconds: "600",
  }));
  const idle = await fetch(slicesUrl(server, undefined));
  await idle.body?.cancel();
  const pending = fetch(
    slicesUrl(server, undefined, { resourceVersion: "999" }),
  ).then(
    async (response) => {
      await response.body?.cancel();
      return response.status;
    },
    () => "failed",
  );
  await within(
    waitFor(() => server.requests.length === 3),
    2000,
    "the pending list",
  );
  await server.close();
  await server.close();
  assert.equal(server.openWatches, 0);
  for (let i = 0; i < 100; i++) {
    const event = await stream.next();
    if (event === undefined) break;
    assert.equal(event.type, "BOOKMARK");
  }
  assert.notEqual(await pending, 200);
  await assert.rejects(fetch(slicesUrl(server, undefined)));
});

Deno.test("await using closes the fake API server when its block ends, even by a throw, as a failed test's does", async () => {
  let url = "";
  await assert.rejects(
    async () => {
      await using server = await startFakeApiServer();
      url = server.url;
      assert.equal((await getJson(`${url}/version`)).status, 200);
      throw new Error("the test failed");
    },
    { message: "the test failed" },
  );
  await assert.rejects(fetch(`${url}/version`), "nothing listens there any longer");
});

Deno.test("startFakeApiServer() rejects bad options", async () => {
  await assert.rejects(startFakeApiServer({ maxChunkBytes: 0 }), {
    name: "RangeError",
    message: /maxChunkBytes/,
  });
  await assert.rejects(
    startFakeApiServer({ bookmarkIntervalMs: -1 }),
    RangeError,
  );
  await assert.rejects(startFakeApiServer({ port: 70000 }), RangeError);
  // "false" is truthy: the gate would have stayed on.
  await assert.rejects(startFakeApiServer({ watchList: "false" as never }), {
    name: "TypeError",
    message: `Cannot start the fake API server as 'watchList' must be true or false: current value is "false"`,
  });
  // A token no client can send as one bearer token: the server's own kubeconfig() then got 403 ("") or 401 ("a b").
  // The message says what the token holds without quoting it. Was: "current value is holds a space, ...".
  const rule = "must be one or more visible ASCII characters without spaces, as one bearer token is: current value";
  const holds = `${rule} holds a space, a control character or a non-ASCII character (remove those characters, or`;
  await assert.rejects(startFakeApiServer({ token: "" }), {
    name: "RangeError",
    message: `Cannot start the fake API server as 'token' ${rule} is empty (leave 'token' out for no authentication)`,
  });
  for (const token of ["a b", "tok\n", "tökén"]) {
    await assert.rejects(startFakeApiServer({ token }), {
      name: "RangeError",
      message: `Cannot start the fake API server as 'token' ${holds} leave 'token' out for no authentication)`,
    });
  }
  await withServer({ token: "t" }, (server) => {
    assert.throws(() => server.setToken(""), {
      name: "RangeError",
      message: `Cannot set the token as it ${rule} is empty (pass undefined to turn authentication off)`,
    });
    assert.throws(() => server.setToken("a b"), {
      name: "RangeError",
      message: `Cannot set the token as it ${holds} pass undefined to turn authentication off)`,
    });
    assert.equal((server.kubeconfig().users as { user: { token: string } }[])[0].user.token, "t");
    server.setToken("Zm9v.YmFy-_~+/=");
    server.setToken(undefined);
  });
});

// Deno started an HTTPS server on a tls it cannot use, whose every request then failed ("fetch failed", nothing said
// why); Node and Bun threw OpenSSL's words ("error:0480006C:PEM routines::no start line"). Neither message quotes
// the PEM, which holds a private key.
Deno.test("startFakeApiServer() refuses a tls that is no certificate and its key, on every runtime, saying which", async () => {
  const [cert, key, ca] = await Promise.all([fixture("server.pem"), fixture("server-key.pem"), fixture("ca.pem")]);
  const start = "Cannot start the fake API server as";
  const cases: [{ cert: string; key: string }, string][] = [
    [
      { cert: "server.pem", key },
      `${start} 'tls.cert' must be a PEM certificate (-----BEGIN CERTIFICATE-----): it is none`,
    ],
    [
      { cert: key, key: cert },
      `${start} 'tls.cert' must be a PEM certificate (-----BEGIN CERTIFICATE-----): it holds a private key: ` +
      "give the certificate here, and its key as 'tls.key'",
    ],
    [
      { cert, key: "server-key.pem" },
      `${start} 'tls.key' must be a PEM private key (-----BEGIN PRIVATE KEY-----): it is none`,
    ],
    [
      { cert: ca, key },
      `${start} 'tls.key' is not the private key of 'tls.cert': give the key the certificate was made for`,
    ],
  ];
  for (const [tls, message] of cases) {
    await assert.rejects(startFakeApiServer({ tls }), { name: "RangeError", message });
  }
  await withServer({ tls: { cert, key } }, (server) => assert.match(server.url, /^https:/));
});

Deno.test("startFakeApiServer() listens on an IPv6 hostname written bare, and says so for one in brackets", async () => {
  await withServer({ hostname: "::1" }, (server) => {
    assert.match(server.url, /^http:\/\/\[::1\]:\d+$/);
  });
  // Was: "getaddrinfo ENOTFOUND [::1]" on Node and Deno; on Bun it listened and gave the URL http://[[::1]]:PORT.
  await assert.rejects(startFakeApiServer({ hostname: "[::1]" }), {
    name: "RangeError",
    message: "Cannot start the fake API server as 'hostname' must be an address to listen on, written without " +
      'brackets (an IPv6 address such as "::1" comes in brackets only in the URL): current value is "[::1]"',
  });
});

Deno.test("startFakeApiServer() refuses a wrong type with a TypeError, null included, and shows the value as written", async () => {
  const cases: [Record<string, unknown>, string | RegExp][] = [
    // Was a RangeError saying "current value is 5", as if the number were out of range.
    [{ port: "5" }, `Cannot start the fake API server as 'port' must be an integer 0-65535: current value is "5"`],
    [
      { bookmarkIntervalMs: null },
      "Cannot start the fake API server as 'bookmarkIntervalMs' must be a positive number: current value is null " +
      "(leave the option out, or pass undefined, for its default)",
    ],
    [{ watchCacheSize: {} }, /'watchCacheSize' must be a positive integer: current value is \{\}$/],
    // Was: "Cannot read properties of null (reading 'cert')", and a plain string made an HTTPS server without a cert.
    [{ tls: null }, /^Cannot start the fake API server as 'tls' must be \{ cert, key \} of PEM strings .*null/],
    [{ tls: "cert.pem" }, /'tls' must be \{ cert, key \} of PEM strings .*: current type is string$/],
    // Was: "hostname.includes is not a function"; an empty one listened on every interface.
    [{ hostname: 127 }, /'hostname' must be an address to listen on, .*: current value is 127$/],
    [{ hostname: "" }, /'hostname' must be an address to listen on, .*: current value is ""$/],
    [
      { token: 12345 },
      /'token' must be .*: current value is of type number \(leave 'token' out for no authentication\)$/,
    ],
  ];
  for (const [options, message] of cases) {
    await assert.rejects(startFakeApiServer(options as never), (error: Error) => {
      assert.equal(error.name, "TypeError", error.message);
      if (typeof message === "string") assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    });
  }
  await assert.rejects(startFakeApiServer({ port: Number.NaN }), {
    name: "RangeError",
    message: /current value is NaN$/,
  });
  // A misspelt option left undefined changes nothing.
  await withServer({ prot: undefined } as never, (server) => {
    assert.throws(() => server.kubeconfig({ namespace: null } as never), {
      name: "TypeError",
      message:
        "Cannot write a kubeconfig as 'namespace' must be a non-empty string: current value is null (leave the " +
        "option out, or pass undefined, for its default)",
    });
  });
});

Deno.test("deleteSlice(), deleteService() and deleteNode() refuse a name that is not a string, where they deleted nothing and said false", async () => {
  await withServer({}, (server) => {
    const slice = server.applySlice(endpointSlice({ namespace: "a", service: "b", endpoints: [{ ip: "10.0.0.1" }] }));
    // The object that applySlice() took and returned: the slice stayed, and its pods with it.
    assert.throws(() => server.deleteSlice(slice as unknown as string, undefined as unknown as string), {
      name: "TypeError",
      message: "Cannot delete the EndpointSlice as 'namespace' must be a string: current value is an object (give " +
        "its metadata.namespace and metadata.name)",
    });
    assert.throws(() => server.deleteSlice("a", undefined as unknown as string), {
      name: "TypeError",
      message: "Cannot delete the EndpointSlice as 'name' must be a string: current value is undefined",
    });
    assert.throws(() => server.deleteService("a", 7 as unknown as string), {
      name: "TypeError",
      message: "Cannot delete the Service as 'name' must be a string: current value is 7",
    });
    assert.throws(() => server.deleteNode(undefined as unknown as string), {
      name: "TypeError",
      message: "Cannot delete the Node as 'name' must be a string: current value is undefined",
    });
    assert.equal(server.slices("a").length, 1);
    assert.equal(server.deleteSlice("a", "b"), false); // a Service's name is no slice's: still answered false
    assert.equal(server.deleteSlice("a", slice.metadata.name), true);
  });
});

Deno.test("failNext() refuses a failure left out or with a misspelt field, and a path or Retry-After that no failure can have, instead of never failing; a number written as a string is quoted", async () => {
  await withServer({}, async (server) => {
    // "lists" matched no request: the failure never came, and the test that counted on it passed without it.
    for (const path of ["lists", "LIST", ""]) {
      assert.throws(() => server.failNext(1, { status: 503, path: path as "list" }), {
        name: "RangeError",
        message: `Cannot inject failures as 'path' must be one of "list", "watch", "get", "any": current value is ${
          JSON.stringify(path)
        }`,
      });
    }
    // -1 and 1.5 went out as "Retry-After: -1" and "Retry-After: 1.5", which no client reads.
    for (const retryAfterSeconds of [-1, 1.5]) {
      assert.throws(() => server.failNext(1, { status: 429, retryAfterSeconds }), {
        name: "RangeError",
        message: /^Cannot inject failures as 'retryAfterSeconds' must be a non-negative integer .*: current value is /,
      });
    }
    // A number written as a string was shown as the number itself ("current value is 50051"), which it seemed to be.
    assert.throws(() => server.failNext("2" as unknown as number, { status: 503 }), {
      name: "TypeError",
      message: `Cannot inject failures as 'count' must be a non-negative integer: current value is "2"`,
    });
    assert.throws(
      () =>
        server.applySlice({
          ...endpointSlice({ namespace: "a", service: "b", endpoints: [] }),
          ports: [{ name: "grpc", port: "50051" as unknown as number }],
        }),
      { name: "TypeError", message: /ports\[0\]\.port must be 1-65535: current value is "50051"$/ },
    );
    assert.throws(
      () =>
        server.applyService({
          metadata: { namespace: "a", name: "b" },
          spec: { ports: [{ name: "grpc", port: "80" as unknown as number }] },
        }),
      { name: "TypeError", message: /spec\.ports\[0\]\.port must be 1-65535: current value is "80"$/ },
    );
    assert.throws(() => server.failNext(1, { status: "503" as unknown as number }), {
      name: "TypeError",
      message: `Cannot inject failures as 'status' must be an HTTP error status (400-599): current value is "503"`,
    });
    // Was: "Cannot read properties of undefined (reading 'status')", and for a misspelt field a message about status.
    assert.throws(() => server.failNext(1, undefined as unknown as InjectedFailure), {
      name: "TypeError",
      message:
        "Cannot inject failures as 'failure' must be an object such as { status: 503 }: current value is undefined",
    });
    assert.throws(() => server.failNext(1, { stauts: 503 } as unknown as InjectedFailure), {
      name: "TypeError",
      message:
        'Cannot inject failures as they have no field "stauts": use status, reason, message, retryAfterSeconds, ' +
        "path",
    });
    // Nothing refused was queued.
    assert.equal((await getJson(slicesUrl(server, "default"))).status, 200);
    server.failNext(1, { status: 429, retryAfterSeconds: 0, path: "list" });
    const throttled = await fetch(slicesUrl(server, "default"));
    await throttled.body?.cancel();
    assert.equal(throttled.headers.get("retry-after"), "0");
  });
});

Deno.test("failNext() shows NaN and Infinity as written, and refuses null and values of the wrong type with a TypeError", async () => {
  await withServer({}, async (server) => {
    const refused: [() => void, string, string][] = [
      // JSON showed NaN and Infinity as null, a value no count could be either.
      [
        () => server.failNext(NaN, { status: 503 }),
        "RangeError",
        "'count' must be a non-negative integer: current value is NaN",
      ],
      [
        () => server.failNext(Infinity, { status: 503 }),
        "RangeError",
        "'count' must be a non-negative integer: current value is Infinity",
      ],
      [
        () => server.failNext(null as never, { status: 503 }),
        "TypeError",
        "'count' must be a non-negative integer: current value is null",
      ],
      [
        () => server.failNext(1, { status: NaN }),
        "RangeError",
        "'status' must be an HTTP error status (400-599): current value is NaN",
      ],
      [
        () => server.failNext(1, { status: 429, retryAfterSeconds: NaN }),
        "RangeError",
        "'retryAfterSeconds' must be a non-negative integer (a Retry-After header holds whole seconds): current value is NaN",
      ],
      [
        () => server.failNext(1, { status: 429, retryAfterSeconds: null as never }),
        "TypeError",
        "'retryAfterSeconds' must be a non-negative integer (a Retry-After header holds whole seconds): current value " +
        "is null (leave the option out, or pass undefined, for its default)",
      ],
      // Was queued: a null reason made a 429 a Status with the usual reason.
      [
        () => server.failNext(1, { status: 429, reason: null as never }),
        "TypeError",
        "'reason' must be a string, or absent for the status's usual one: current value is null (leave the option " +
        "out, or pass undefined, for its default)",
      ],
      [
        () => server.failNext(1, { status: 500, message: 5 as never }),
        "TypeError",
        "'message' must be a string, or absent for the status's usual one: current value is 5",
      ],
      [
        () => server.failNext(1, { status: 503, path: null as never }),
        "TypeError",
        `'path' must be one of "list", "watch", "get", "any": current value is null (leave the option out, or pass ` +
        "undefined, for its default)",
      ],
    ];
    for (const [inject, name, message] of refused) {
      assert.throws(inject, { name, message: `Cannot inject failures as ${message}` });
    }
    assert.equal(server.pendingFailures, 0);
    // undefined is a field left out: a 429 without reason or message stays API Priority and Fairness's plain text.
    server.failNext(1, { status: 429, reason: undefined, message: undefined, path: undefined, retryAfterSeconds: 1 });
    const throttled = await fetch(slicesUrl(server, "default"));
    assert.equal(throttled.status, 429);
    assert.match(throttled.headers.get("content-type") ?? "", /^text\/plain/);
    await throttled.body?.cancel();
  });
});

Deno.test("slices() refuses a namespace that is not a string, as deleteSlice() does, instead of finding no slice", async () => {
  await withServer({}, (server) => {
    server.applySlice(endpointSlice({ namespace: "shop", service: "cart", endpoints: [{ ip: "10.0.0.1" }] }));
    for (
      const [namespace, shown] of [[null, "null"], [5, "5"], [
        {},
        "an object (give its metadata.namespace and metadata.name)",
      ]] as const
    ) {
      assert.throws(() => server.slices(namespace as never), {
        name: "TypeError",
        message: `Cannot list the EndpointSlices as 'namespace' must be a string: current value is ${shown}`,
      });
      assert.throws(() => server.deleteSlice(namespace as never, "cart-ipv4"), {
        name: "TypeError",
        message: `Cannot delete the EndpointSlice as 'namespace' must be a string: current value is ${shown}`,
      });
    }
    assert.equal(server.slices(undefined).length, 1);
    assert.equal(server.slices("shop").length, 1);
    assert.deepEqual(server.slices("other"), []);
  });
});

Deno.test("requests and failNext() count only reads of EndpointSlices, Services and Nodes as list, watch and get; kubectl's reads of Events, ResourceQuotas and LimitRanges, and Namespaces, are other", async () => {
  await withServer({}, async (server) => {
    const kindOf = async (path: string) => {
      const response = await fetch(server.url + path);
      await response.body?.cancel();
      return `${server.requests.at(-1)!.kind} ${response.status} ${path}`;
    };
    const paths = [
      "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
      "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/x",
      "/api/v1/namespaces/default/services",
      "/api/v1/namespaces/default/services/kubernetes",
      "/api/v1/nodes",
      "/api/v1/namespaces/default/events",
      "/apis/events.k8s.io/v1/namespaces/default/events",
      "/api/v1/events",
      "/api/v1/namespaces/default/resourcequotas",
      "/api/v1/namespaces/default/limitranges/x",
      "/api/v1/namespaces",
      "/api/v1/namespaces/default",
    ];
    const kinds = [];
    for (const path of paths) kinds.push(await kindOf(path));
    assert.deepEqual(kinds, [
      "list 200 /apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
      "get 404 /apis/discovery.k8s.io/v1/namespaces/default/endpointslices/x",
      "list 200 /api/v1/namespaces/default/services",
      "get 200 /api/v1/namespaces/default/services/kubernetes",
      "list 200 /api/v1/nodes",
      // Were list, and a path: "list" failure meant for the resolver went to kubectl describe's Events.
      "other 200 /api/v1/namespaces/default/events",
      "other 200 /apis/events.k8s.io/v1/namespaces/default/events",
      "other 200 /api/v1/events",
      "other 200 /api/v1/namespaces/default/resourcequotas",
      "other 404 /api/v1/namespaces/default/limitranges/x",
      "other 200 /api/v1/namespaces",
      "other 200 /api/v1/namespaces/default",
    ]);
    server.failNext(1, { status: 503, path: "list" });
    assert.equal(await kindOf("/api/v1/namespaces/default/events"), "other 200 /api/v1/namespaces/default/events");
    assert.equal(server.pendingFailures, 1);
    assert.equal(await kindOf(paths[0]), `list 503 ${paths[0]}`);
    server.failNext(1, { status: 503, path: "any" });
    assert.equal(await kindOf("/api/v1/namespaces/default/events"), "other 503 /api/v1/namespaces/default/events");
  });
});

Deno.test("setAccess() refuses what RBAC cannot mean, which allowed everything or failed every request", async () => {
  await withServer({}, async (server) => {
    const refused: [unknown, RegExp][] = [
      // Without a username, no request was ever denied.
      [
        { user: "reader", rules: [] },
        /^Cannot set access as 'access' must be an object of username, groups, rules \(no "user"\)/,
      ],
      [{ rules: [] }, /^Cannot set access as 'username' must be a user name such as .*: current value is undefined$/],
      // Every request failed with a 500 ("Internal error occurred: TypeError: ...").
      [
        { username: "reader", rules: [{ verbs: ["list", "watch"], resources: ["endpointslices"] }] },
        /^Cannot set access as rules\[0\]\.apiGroups must be a list of at least one string \("\*" for all\): current value is undefined$/,
      ],
      // A Role's rule that allowed every namespace.
      [
        {
          username: "reader",
          rules: [{
            verbs: ["list"],
            apiGroups: ["discovery.k8s.io"],
            resources: ["endpointslices"],
            namespaces: ["shop"],
          }],
        },
        /^Cannot set access as rules\[0\] must be an object of verbs, apiGroups, resources, namespace \(no "namespaces"\)/,
      ],
      [
        { username: "reader", rules: [{ verbs: "list", apiGroups: [""], resources: ["services"] }] },
        /^Cannot set access as rules\[0\]\.verbs must be a list/,
      ],
    ];
    for (const [access, message] of refused) {
      assert.throws(() => server.setAccess(access as never), { name: "TypeError", message });
    }
    // Nothing refused was set: the admin still lists.
    assert.equal((await getJson(slicesUrl(server, "shop"))).status, 200);
    server.setAccess({
      username: "reader",
      groups: [],
      rules: [{ verbs: ["get"], apiGroups: [""], resources: ["services"] }],
    });
    assert.equal((await getJson(slicesUrl(server, "shop"))).status, 403);
  });
});

Deno.test("a request without credentials is system:anonymous: 403 but for the public info paths", async () => {
  await withServer({ token: "s3cret" }, async (server) => {
    server.applyService({
      metadata: { namespace: "shop", name: "two" },
      spec: { ports: [{ name: "grpc", port: 80 }] },
    });
    const anonymous = async (url: string) => {
      const response = await fetch(url);
      const text = await response.text();
      return {
        status: response.status,
        body: response.headers.get("content-type") === "application/json" ? JSON.parse(text) : text,
      };
    };
    const user = 'User "system:anonymous"';
    const slices = { group: "discovery.k8s.io", kind: "endpointslices" };
    // As kube-apiserver v1.36.3 answers with its default --anonymous-auth=true and RBAC.
    assert.deepEqual(await anonymous(slicesUrl(server, "default")), {
      status: 403,
      body: forbidden(
        `endpointslices.discovery.k8s.io is forbidden: ${user} cannot list resource "endpointslices" in API group "discovery.k8s.io" in the namespace "default"`,
        slices,
      ),
    });
    assert.equal(
      (await anonymous(slicesUrl(server, undefined, { watch: "true" }))).body.message,
      `endpointslices.discovery.k8s.io is forbidden: ${user} cannot watch resource "endpointslices" in API group "discovery.k8s.io" at the cluster scope`,
    );
    assert.deepEqual(await anonymous(`${server.url}${BASE}/namespaces/default/endpointslices/x`), {
      status: 403,
      body: forbidden(
        `endpointslices.discovery.k8s.io "x" is forbidden: ${user} cannot get resource "endpointslices" in API group "discovery.k8s.io" in the namespace "default"`,
        { name: "x", ...slices },
      ),
    });
    assert.deepEqual(await anonymous(`${server.url}/api/v1/namespaces/shop/services/two`), {
      status: 403,
      body: forbidden(
        `services "two" is forbidden: ${user} cannot get resource "services" in API group "" in the namespace "shop"`,
        { name: "two", kind: "services" },
      ),
    });
    assert.deepEqual(await anonymous(`${server.url}/apis`), {
      status: 403,
      body: forbidden(`forbidden: ${user} cannot get path "/apis"`, {}),
    });
    // As kube-apiserver v1.36.3 (measured): credentials that are no bearer token, or an empty one, are none.
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer ", "bearer", "Token s3cret", "Bearer  s3cret"]) {
      const response = await fetch(slicesUrl(server, "default"), { headers: { authorization } });
      assert.equal(response.status, 403, authorization);
      assert.match((await response.json()).message, /User "system:anonymous" cannot list/);
    }
    const spaced = await fetch(slicesUrl(server, "default"), { headers: { authorization: "bearer s3cret x" } });
    assert.equal(spaced.status, 200, "the scheme in any case; the token ends at the next space");
    await spaced.body?.cancel();
    assert.equal((await anonymous(`${server.url}/healthz`)).body, "ok");
    assert.equal((await anonymous(`${server.url}/version`)).body.gitVersion, "v1.36.3");
    // Access reviews are resources: RBAC names them, as it does for system:anonymous on the real server.
    for (
      const [group, resource] of [["authorization.k8s.io", "selfsubjectaccessreviews"], [
        "authentication.k8s.io",
        "selfsubjectreviews",
      ]]
    ) {
      const response = await fetch(`${server.url}/apis/${group}/v1/${resource}`, { method: "POST", body: "{}" });
      assert.deepEqual({ status: response.status, body: await response.json() }, {
        status: 403,
        body: forbidden(
          `${resource}.${group} is forbidden: ${user} cannot create resource "${resource}" in API group "${group}" at the cluster scope`,
          { group, kind: resource },
        ),
      });
    }
    assert.deepEqual(
      server.requests.map((request) => request.status),
      [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 200, 200, 200, 403, 403],
    );
  });
});

Deno.test("a 403 names what RBAC sees of any request: its verb, resource, subresource, namespace and object", async () => {
  await withServer({ token: "s3cret" }, async (server) => {
    const refusal = async (method: string, path: string) => {
      const response = await fetch(server.url + path, { method });
      const body = method === "HEAD" ? undefined : await response.json();
      return { status: response.status, sniffing: response.headers.get("x-content-type-options"), body };
    };
    const user = 'User "system:anonymous"';
    const slices = `${BASE}/namespaces/shop/endpointslices`;
    // As kube-apiserver v1.36.3 words them (measured), each with X-Content-Type-Options: nosniff.
    const cases: [string, string, string, Record<string, string>][] = [
      [
        "POST",
        slices,
        'endpointslices.discovery.k8s.io is forbidden: USER cannot create resource "endpointslices" in API group "discovery.k8s.io" in the namespace "shop"',
        { group: "discovery.k8s.io", kind: "endpointslices" },
      ],
      [
        "DELETE",
        slices,
        'endpointslices.discovery.k8s.io is forbidden: USER cannot deletecollection resource "endpointslices" in API group "discovery.k8s.io" in the namespace "shop"',
        { group: "discovery.k8s.io", kind: "endpointslices" },
      ],
      [
        "PATCH",
        `${slices}/x`,
        'endpointslices.discovery.k8s.io "x" is forbidden: USER cannot patch resource "endpointslices" in API group "discovery.k8s.io" in the namespace "shop"',
        { name: "x", group: "discovery.k8s.io", kind: "endpointslices" },
      ],
      [
        "OPTIONS",
        "/api/v1/nodes/n",
        'nodes "n" is forbidden: USER cannot  resource "nodes" in API group "" at the cluster scope',
        { name: "n", kind: "nodes" },
      ],
      [
        "GET",
        "/api/v1/namespaces/shop/pods/p/log",
        'pods "p" is forbidden: USER cannot get resource "pods/log" in API group "" in the namespace "shop"',
        { name: "p", kind: "pods" },
      ],
      [
        "GET",
        "/apis/foo.example/v1/bars",
        'bars.foo.example is forbidden: USER cannot list resource "bars" in API group "foo.example" at the cluster scope',
        { group: "foo.example", kind: "bars" },
      ],
      [
        "GET",
        `${BASE}/watch/namespaces/shop/endpointslices`,
        'endpointslices.discovery.k8s.io is forbidden: USER cannot watch resource "endpointslices" in API group "discovery.k8s.io" in the namespace "shop"',
        { group: "discovery.k8s.io", kind: "endpointslices" },
      ],
      [
        "GET",
        `${slices}?fieldSelector=metadata.name%3Dx`,
        'endpointslices.discovery.k8s.io "x" is forbidden: USER cannot list resource "endpointslices" in API group "discovery.k8s.io" in the namespace "shop"',
        { name: "x", group: "discovery.k8s.io", kind: "endpointslices" },
      ],
      // Whatever other fields the selector names, ones the resource is selected by or not (the list then fails).
      [
        "GET",
        `${slices}?fieldSelector=foo%3Dbar,metadata.name%3Dx&watch=1`,
        'endpointslices.discovery.k8s.io "x" is forbidden: USER cannot watch resource "endpointslices" in API group "discovery.k8s.io" in the namespace "shop"',
        { name: "x", group: "discovery.k8s.io", kind: "endpointslices" },
      ],
      [
        "GET",
        "/api/v1/namespaces/shop/services?fieldSelector=spec.type%3DClusterIP,metadata.name%3Decho",
        'services "echo" is forbidden: USER cannot list resource "services" in API group "" in the namespace "shop"',
        { name: "echo", kind: "services" },
      ],
      [
        "GET",
        "/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse,metadata.name%3Dn1",
        'nodes "n1" is forbidden: USER cannot list resource "nodes" in API group "" at the cluster scope',
        { name: "n1", kind: "nodes" },
      ],
      // A list option the server cannot read: RBAC sees no name.
      [
        "GET",
        `${slices}?fieldSelector=metadata.name%3Dx&limit=abc`,
        'endpointslices.discovery.k8s.io is forbidden: USER cannot list resource "endpointslices" in API group "discovery.k8s.io" in the namespace "shop"',
        { group: "discovery.k8s.io", kind: "endpointslices" },
      ],
      ["POST", "/nothing", 'forbidden: USER cannot post path "/nothing"', {}],
    ];
    for (const [method, path, message, details] of cases) {
      assert.deepEqual(
        await refusal(method, path),
        { status: 403, sniffing: "nosniff", body: forbidden(message.replace("USER", user), details) },
        `${method} ${path}`,
      );
    }
    assert.deepEqual(await refusal("HEAD", slices), { status: 403, sniffing: "nosniff", body: undefined });
    // A token after two spaces is no credentials, and every answer says so.
    const warning =
      '299 - "the provided Authorization header contains extra space before the bearer token, and is ignored"';
    for (const path of [slices, "/version", `${slices}?watch=1`]) {
      const response = await fetch(server.url + path, { headers: { authorization: "Bearer  s3cret" } });
      await response.body?.cancel();
      assert.equal(response.headers.get("warning"), warning, path);
    }
    const plain = await fetch(server.url + slices, { headers: { authorization: "Bearer s3cret" } });
    await plain.body?.cancel();
    assert.deepEqual([plain.status, plain.headers.get("warning")], [200, null]);
  });
});

Deno.test("discovery, version and health paths answer as the real server's, listing only what the fake serves", async () => {
  await withServer({}, async (server) => {
    const get = async (path: string) => {
      const response = await fetch(server.url + path);
      return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
    };
    const json = async (path: string) => {
      const { status, type, text } = await get(path);
      assert.equal(status, 200, path);
      assert.equal(type, "application/json", path);
      return JSON.parse(text);
    };
    const version = await json("/version");
    assert.deepEqual(Object.keys(version), [
      "major",
      "minor",
      "emulationMajor",
      "emulationMinor",
      "minCompatibilityMajor",
      "minCompatibilityMinor",
      "gitVersion",
      "gitCommit",
      "gitTreeState",
      "buildDate",
      "goVersion",
      "compiler",
      "platform",
    ]);
    assert.deepEqual([version.major, version.minor, version.gitVersion], ["1", "36", "v1.36.3"]);
    const host = new URL(server.url).host;
    assert.deepEqual(await json("/api"), {
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }],
    });
    const groupVersion = { groupVersion: "discovery.k8s.io/v1", version: "v1" };
    const group = { name: "discovery.k8s.io", versions: [groupVersion], preferredVersion: groupVersion };
    const eventsVersion = { groupVersion: "events.k8s.io/v1", version: "v1" };
    const events = { name: "events.k8s.io", versions: [eventsVersion], preferredVersion: eventsVersion };
    assert.deepEqual(await json("/apis"), { kind: "APIGroupList", apiVersion: "v1", groups: [events, group] });
    assert.deepEqual(await json("/apis/discovery.k8s.io"), { kind: "APIGroup", apiVersion: "v1", ...group });
    assert.deepEqual(await json("/apis/events.k8s.io"), { kind: "APIGroup", apiVersion: "v1", ...events });
    assert.deepEqual(await json("/apis/discovery.k8s.io/v1"), {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "discovery.k8s.io/v1",
      resources: [{
        name: "endpointslices",
        singularName: "endpointslice",
        namespaced: true,
        kind: "EndpointSlice",
        verbs: ["get", "list", "watch"],
      }],
    });
    // As kube-apiserver v1.36.3: the legacy core group's list has no apiVersion (the groups' lists have one).
    const core = await json("/api/v1");
    assert.deepEqual(Object.keys(core), ["kind", "groupVersion", "resources"]);
    assert.deepEqual([core.kind, core.groupVersion], ["APIResourceList", "v1"]);
    assert.deepEqual(core.resources.map((resource: { name: string }) => resource.name), [
      "events",
      "limitranges",
      "namespaces",
      "nodes",
      "resourcequotas",
      "services",
    ]);
    assert.ok((await json("/")).paths.includes("/apis/discovery.k8s.io/v1"));
    for (const path of ["/healthz", "/livez", "/readyz"]) {
      assert.deepEqual(await get(path), { status: 200, type: "text/plain; charset=utf-8", text: "ok" });
      const response = await fetch(server.url + path);
      await response.body?.cancel();
      assert.equal(response.headers.get("x-content-type-options"), "nosniff", path);
    }
    assert.ok(server.requests.every((request) => request.kind === "other"));
  });
});

Deno.test("a GET of one slice answers it with its kind, or 404 NotFound", async () => {
  await withServer({}, async (server) => {
    const stored = server.applySlice(svc("echo", ["10.0.0.1"]));
    const url = (name: string) => `${server.url}${BASE}/namespaces/default/endpointslices/${name}`;
    const got = await getJson(url("echo-ipv4"));
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, stored);
    const missing = await getJson(url("nope"));
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'endpointslices.discovery.k8s.io "nope" not found',
      reason: "NotFound",
      details: { name: "nope", group: "discovery.k8s.io", kind: "endpointslices" },
      code: 404,
    });
    assert.equal((await getJson(url("echo-ipv4").replace("/default/", "/other/"))).status, 404);
    // Measured on kube-apiserver v1.36.3: `watch` means nothing on an object's path; the answer is the GET's.
    // As kube-apiserver v1.36.3 (measured): a GET's resourceVersion is a "not older than" read, so a future one
    // waits, then gets 504, and one that is no number a 500 without a reason.
    const future = Number(server.resourceVersion) + 100;
    const tooLarge = await getJson(`${url("echo-ipv4")}?resourceVersion=${future}`);
    assert.deepEqual([tooLarge.status, tooLarge.body.details.causes[0].reason], [504, "ResourceVersionTooLarge"]);
    const notNumber = await getJson(`${url("echo-ipv4")}?resourceVersion=abc`);
    assert.deepEqual([notNumber.status, notNumber.body.message, notNumber.body.reason], [
      500,
      'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
      undefined,
    ]);
    assert.equal((await getJson(`${url("echo-ipv4")}?resourceVersion=1`)).status, 200);
    const watched = await within(getJson(`${url("echo-ipv4")}?watch=1`), 2000, "a GET with watch=1");
    assert.deepEqual([watched.status, watched.body], [200, stored]);
    assert.equal((await within(getJson(`${url("nope")}?watch=true`), 2000, "a GET with watch=true")).status, 404);
    assert.deepEqual(server.requests.map((request) => `${request.kind} ${request.status}`), [
      "get 200",
      "get 404",
      "get 404",
      "get 504",
      "get 500",
      "get 200",
      "get 200",
      "get 404",
    ]);
  });
});

Deno.test("applySlice() bumps generation for a change of content or labels, not of annotations", async () => {
  await withServer({}, (server) => {
    const base = svc("echo", ["10.0.0.1"]);
    const created = server.applySlice(base);
    const annotated = server.applySlice({ ...base, metadata: { ...base.metadata, annotations: { note: "x" } } });
    assert.equal(annotated.metadata.resourceVersion, String(Number(created.metadata.resourceVersion) + 1));
    assert.equal(annotated.metadata.generation, 1, "an annotation is metadata only, as on kube-apiserver v1.36.3");
    const labelled = server.applySlice({
      ...base,
      metadata: { ...base.metadata, annotations: { note: "x" }, labels: { ...base.metadata.labels, extra: "y" } },
    });
    assert.equal(labelled.metadata.generation, 2, "a label change counts, as on the real server");
    const moved = server.applySlice({
      ...svc("echo", ["10.0.0.2"]),
      metadata: { ...base.metadata, annotations: { note: "x" }, labels: { ...base.metadata.labels, extra: "y" } },
    });
    assert.equal(moved.metadata.generation, 3);
  });
});

Deno.test("changes and kubeconfig() after close() throw: no client could see them, nor reach the server", async () => {
  const server = await startFakeApiServer();
  await server.close();
  const slice = endpointSlice({ namespace: "default", service: "echo", endpoints: [{ ip: "10.0.0.1" }] });
  const changes: [string, () => unknown][] = [
    ["apply the EndpointSlice", () => server.applySlice(slice)],
    ["delete the EndpointSlice", () => server.deleteSlice("default", "echo-ipv4")],
    [
      "apply the Service",
      () =>
        server.applyService({
          metadata: { namespace: "default", name: "echo" },
          spec: { ports: [{ name: "grpc", port: 50051 }] },
        }),
    ],
    ["delete the Service", () => server.deleteService("default", "echo")],
    ["compact the history", () => server.compact()],
    ["inject failures", () => server.failNext(1, { status: 503 })],
    // Were accepted without a word: a test that turned authentication on after close() checked nothing.
    ["set the token", () => server.setToken("t")],
    ["set the access rules", () => server.setAccess({ username: "u", rules: [] })],
    // Returned a kubeconfig without a word: a channel made from it said only "cannot reach the API server at ...".
    ["write a kubeconfig", () => server.kubeconfig()],
  ];
  for (const [what, change] of changes) {
    assert.throws(change, { message: `Cannot ${what}: the fake API server was closed` });
  }
  await server.close();
});

Deno.test("the fake API server says it serves no OpenAPI documents, which kubectl explain reads, in its 404", async () => {
  await withServer({}, async (server) => {
    // kubectl explain reads /openapi/v3, then /openapi/v2: a real server without them, and the fake before, wrote a
    // bare "404 page not found", which kubectl -v=6 shows as the cause of "the server could not find the requested
    // resource". A JSON Status would be lost ("unknown"): client-go reads only plain text there.
    for (const path of ["/openapi/v3", "/openapi/v2", "/openapi/v3/apis/discovery.k8s.io/v1"]) {
      const response = await fetch(server.url + path);
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8", path);
      assert.match(
        await response.text(),
        /^404 page not found: .*serves no OpenAPI documents.*kubectl explain against a real cluster.*\n$/,
        path,
      );
    }
    const other = await fetch(`${server.url}/openapi/v4`);
    assert.equal(await other.text(), "404 page not found\n");
  });
});

Deno.test("a Namespace that held an object reads as active, as kubectl reads one after a missing object; other methods are 405", async () => {
  await withServer({}, async (server) => {
    server.applySlice(endpointSlice({ namespace: "shop", service: "echo", endpoints: [] }));
    server.deleteSlice("shop", server.slices("shop")[0].metadata.name);
    // Emptied, it stays: nothing deletes a namespace.
    const { status, body } = await getJson(`${server.url}/api/v1/namespaces/shop`);
    assert.equal(status, 200);
    assert.deepEqual(
      { ...body, metadata: { ...body.metadata, uid: typeof body.metadata.uid } },
      {
        kind: "Namespace",
        apiVersion: "v1",
        metadata: {
          name: "shop",
          uid: "string",
          // Made with the write of the first object in it, at that write's resourceVersion.
          resourceVersion: "2",
          creationTimestamp: body.metadata.creationTimestamp,
          labels: { "kubernetes.io/metadata.name": "shop" },
        },
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      },
    );
    assert.equal((await getJson(`${server.url}/api/v1/namespaces/shop`)).body.metadata.uid, body.metadata.uid);
    const deleted = await fetch(`${server.url}/api/v1/namespaces/shop`, { method: "DELETE" });
    await deleted.body?.cancel();
    assert.equal(deleted.status, 405);
  });
});

Deno.test("a Namespace that never held an object is not found, as one never created on kube-apiserver", async () => {
  // kubectl get service echo -n nope then says 'namespaces "nope" not found', as against kube-apiserver v1.36.3
  // (measured), where it said 'services "echo" not found' and sent the user looking for the Service. Names no
  // namespace can have (not a DNS-1123 label) are never stored in (applyService() and applySlice() refuse them).
  await withServer({}, async (server) => {
    server.applyService({ metadata: { namespace: "shop", name: "echo" }, spec: { ports: [{ port: 80 }] } });
    for (const name of ["nope", "Shop", "a.b", "-a", "x".repeat(64)]) {
      const { status, body } = await getJson(`${server.url}/api/v1/namespaces/${name}`);
      assert.equal(status, 404, name);
      assert.deepEqual(body, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `namespaces ${JSON.stringify(name)} not found`,
        reason: "NotFound",
        details: { name, kind: "namespaces" },
        code: 404,
      });
    }
  });
});

Deno.test("Namespaces list the four a kube-apiserver creates and those that held an object, also as a Table", async () => {
  // kubectl get namespaces said 'the server doesn't have a resource type "namespaces"'.
  await withServer({}, async (server) => {
    server.applySlice(endpointSlice({ namespace: "shop", service: "echo", endpoints: [] }));
    const { status, body } = await getJson(`${server.url}/api/v1/namespaces`);
    assert.equal(status, 200);
    assert.equal(body.kind, "NamespaceList");
    assert.deepEqual(
      body.items.map((item: Json) => [item.metadata.name, item.status.phase, item.kind]),
      ["default", "kube-node-lease", "kube-public", "kube-system", "shop"].map((name) => [name, "Active", undefined]),
    );
    const table = await getJson(`${server.url}/api/v1/namespaces`, {
      headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
    });
    assert.deepEqual(table.body.columnDefinitions.map((column: Json) => column.name), ["Name", "Status", "Age"]);
    assert.deepEqual(table.body.rows[4].cells.slice(0, 2), ["shop", "Active"]);
    const discovery = await getJson(`${server.url}/api/v1`);
    assert.deepEqual(
      discovery.body.resources.find((resource: Json) => resource.name === "namespaces")?.shortNames,
      ["ns"],
    );
  });
});

Deno.test("the kubernetes Service is in default from the start, as on every cluster, without moving the resourceVersion", async () => {
  // kubectl get services -A listed none on a fresh fake, where every kube-apiserver v1.36.3 lists this one
  // (measured: these labels, one port https 443 to the server's own port).
  await withServer({}, async (server) => {
    const { status, body } = await getJson(`${server.url}/api/v1/namespaces/default/services/kubernetes`);
    assert.equal(status, 200);
    assert.deepEqual(body.metadata.labels, { component: "apiserver", provider: "kubernetes" });
    assert.deepEqual(body.spec.ports, [
      { name: "https", protocol: "TCP", port: 443, targetPort: Number(new URL(server.url).port) },
    ]);
    assert.equal(body.metadata.resourceVersion, "1");
    assert.equal(server.resourceVersion, "1");
    // Listed, though no write made it.
    const all = await getJson(`${server.url}/api/v1/services`);
    assert.deepEqual(all.body.items.map((item: Json) => item.metadata.name), ["kubernetes"]);
  });
});

Deno.test("events.k8s.io/v1 Events are served, always none, with the real server's discovery, fields and 404", async () => {
  // kubectl get events.events.k8s.io said 'the server doesn't have a resource type "events"'; kube-apiserver
  // v1.36.3 answers these (measured).
  await withServer({}, async (server) => {
    const group = "/apis/events.k8s.io/v1";
    const list = await getJson(`${server.url}${group}/namespaces/default/events`);
    assert.deepEqual(list.body, {
      kind: "EventList",
      apiVersion: "events.k8s.io/v1",
      metadata: { resourceVersion: server.resourceVersion },
      items: [],
    });
    const one = await getJson(`${server.url}${group}/namespaces/default/events/x`);
    assert.deepEqual([one.status, one.body.message, one.body.details], [
      404,
      'events.events.k8s.io "x" not found',
      { name: "x", group: "events.k8s.io", kind: "events" },
    ]);
    assert.equal((await getJson(`${server.url}${group}/events?fieldSelector=regarding.name%3Dx`)).status, 200);
    const note = await getJson(`${server.url}${group}/events?fieldSelector=note%3Dx`);
    assert.deepEqual([note.status, note.body.message], [400, "field label not supported: note"]);
    const resources = await getJson(`${server.url}${group}`);
    assert.deepEqual(resources.body.resources.map((resource: Json) => [resource.name, resource.kind]), [
      ["events", "Event"],
    ]);
    const groups = await getJson(`${server.url}/apis`);
    assert.deepEqual(groups.body.groups.map((entry: Json) => entry.name), ["events.k8s.io", "discovery.k8s.io"]);
  });
});

Deno.test("Namespaces are watched as kubectl get namespaces -w watches them, and selected by name and phase", async () => {
  // kubectl get namespaces -w listed them, then said only "Error from server (MethodNotAllowed): the server does
  // not allow this method on the requested resource".
  await withServer({}, async (server) => {
    const list = await getJson(`${server.url}/api/v1/namespaces?fieldSelector=metadata.name%3Dkube-public`);
    assert.deepEqual(list.body.items.map((item: Json) => item.metadata.name), ["kube-public"]);
    const rv = list.body.metadata.resourceVersion;
    const stream = await watch(
      `${server.url}/api/v1/namespaces?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true`,
    );
    try {
      // A namespace made by the first write in it comes at once, at that write's resourceVersion.
      const slice = server.applySlice(endpointSlice({ namespace: "shop", service: "echo", endpoints: [] }));
      const added = await stream.next();
      assert.deepEqual([added?.type, added?.object.metadata.name, (added?.object as Json)?.status.phase], [
        "ADDED",
        "shop",
        "Active",
      ]);
      assert.equal(Number(added?.object.metadata.resourceVersion), Number(slice.metadata.resourceVersion));
      // A second write there makes nothing.
      server.applySlice(endpointSlice({ namespace: "shop", service: "other", endpoints: [] }));
      await stream.quiet(300);
    } finally {
      await stream.cancel();
    }
    const initial = await watch(`${server.url}/api/v1/namespaces?watch=1&fieldSelector=status.phase%3DActive`);
    try {
      const names = [];
      for (let i = 0; i < 5; i++) names.push((await initial.next())?.object.metadata.name);
      assert.deepEqual(names, ["default", "kube-node-lease", "kube-public", "kube-system", "shop"]);
    } finally {
      await initial.cancel();
    }
    const one = await getJson(`${server.url}/api/v1/namespaces/shop`, {
      headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
    });
    assert.deepEqual([one.body.metadata, one.body.rows[0].cells.slice(0, 2)], [{ resourceVersion: "2" }, [
      "shop",
      "Active",
    ]]);
    const refused = await getJson(`${server.url}/api/v1/namespaces?fieldSelector=spec.finalizers%3Dx`);
    assert.deepEqual([refused.status, refused.body.message], [400, "field label not supported: spec.finalizers"]);
    const discovery = await getJson(`${server.url}/api/v1`);
    assert.deepEqual(
      discovery.body.resources.find((resource: Json) => resource.name === "namespaces")?.verbs,
      ["get", "list", "watch"],
    );
  });
});

Deno.test("a watch of Namespaces resumed from a resourceVersion replays those made since, as kube-apiserver does", async () => {
  // Measured on v1.36.3: `?watch=1&resourceVersion=<before>` (with or without allowWatchBookmarks) sends the ADDED
  // of a namespace created after it; the fake sent nothing, so a kubectl get ns -w that resumed missed it.
  await withServer({}, async (server) => {
    const before = server.resourceVersion;
    server.applySlice(endpointSlice({ namespace: "shop", service: "echo", endpoints: [] }));
    const slice = server.applySlice(endpointSlice({ namespace: "ops", service: "echo", endpoints: [] }));
    server.applySlice(endpointSlice({ namespace: "shop", service: "other", endpoints: [] }));
    for (const bookmarks of ["", "&allowWatchBookmarks=true"]) {
      const stream = await watch(`${server.url}/api/v1/namespaces?watch=1&resourceVersion=${before}${bookmarks}`);
      try {
        const seen = [await stream.next(), await stream.next()];
        assert.deepEqual(seen.map((event) => [event?.type, event?.object.metadata.name]), [
          ["ADDED", "shop"],
          ["ADDED", "ops"],
        ]);
        // Each at the resourceVersion of the write that made it.
        assert.equal(seen[1]?.object.metadata.resourceVersion, slice.metadata.resourceVersion);
        await stream.quiet(300);
      } finally {
        await stream.cancel();
      }
    }
    // From the second write on, only what came after it.
    const later = await watch(
      `${server.url}/api/v1/namespaces?watch=1&resourceVersion=${slice.metadata.resourceVersion}`,
    );
    try {
      await later.quiet(300);
    } finally {
      await later.cancel();
    }
    // After a compaction, the resume point is gone: 200, then kube-apiserver's 410 ERROR event.
    server.compact();
    const expired = await watch(`${server.url}/api/v1/namespaces?watch=1&resourceVersion=${before}`);
    try {
      const error = await expired.next();
      assert.deepEqual([error?.type, (error?.object as Json)?.code, (error?.object as Json)?.reason], [
        "ERROR",
        410,
        "Expired",
      ]);
    } finally {
      await expired.cancel();
    }
  });
});
