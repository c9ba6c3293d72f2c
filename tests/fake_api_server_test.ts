import assert from "node:assert/strict";
import { connect } from "node:net";
import {
  type EndpointSlice,
  endpointSlice,
  type FakeApiServer,
  startFakeApiServer,
} from "../src/testing/fake_api_server.ts";

const BASE = "/apis/discovery.k8s.io/v1";
const fixture = (name: string) => Deno.readTextFileSync(new URL(`./fixtures/${name}`, import.meta.url));

/** `fetch` options, plus Deno's custom HTTP client for TLS. */
type Init = RequestInit & { client?: Deno.HttpClient };

interface Event {
  type: string;
  object: Record<string, unknown> & { metadata: Record<string, unknown> };
}

function slicesUrl(
  server: FakeApiServer,
  namespace: string | undefined,
  params: Record<string, string> = {},
): string {
  const path = namespace === undefined ? `${BASE}/endpointslices` : `${BASE}/namespaces/${namespace}/endpointslices`;
  const query = new URLSearchParams(params).toString();
  return `${server.url}${path}${query === "" ? "" : `?${query}`}`;
}

/** A response body of any shape; the assertions check it. */
// deno-lint-ignore no-explicit-any
type Json = any;

async function getJson(
  url: string,
  init?: Init,
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(url, init);
  return {
    status: response.status,
    headers: response.headers,
    body: await response.json(),
  };
}

/** Rejects when `promise` takes longer than `ms`; the timer never outlives the call. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a watch response one event at a time. */
function events(response: Response) {
  assert.equal(response.status, 200);
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  // A read that timed out stays pending; the next read must reuse it.
  let pending: Promise<ReadableStreamReadResult<string>> | undefined;
  const read = async (ms: number, what: string) => {
    pending ??= reader.read();
    const result = await within(pending, ms, what);
    pending = undefined;
    return result;
  };
  return {
    /** The next event, or `undefined` once the response ended cleanly. */
    async next(ms = 3000): Promise<Event | undefined> {
      for (let reads = 0; reads < 10_000; reads++) {
        const newline = buffer.indexOf("\n");
        if (newline !== -1) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          return JSON.parse(line);
        }
        const { value, done } = await read(ms, "a watch event");
        if (done) {
          assert.equal(buffer, "", "the watch ended in the middle of an event");
          return undefined;
        }
        buffer += value;
      }
      throw new Error("Too many reads for one event");
    },
    /** Expects no event for `ms`. */
    async quiet(ms: number): Promise<void> {
      assert.equal(buffer, "");
      await assert.rejects(read(ms, "silence"), /Timed out/);
    },
    cancel: () => reader.cancel(),
  };
}

async function watch(url: string, init?: Init) {
  return events(await fetch(url, init));
}

function summary(event: Event | undefined): string {
  if (event === undefined) return "end";
  return `${event.type} ${event.object.metadata.name}@${event.object.metadata.resourceVersion}`;
}

function svc(
  service: string,
  ips: string[],
  namespace = "default",
  name?: string,
) {
  return endpointSlice({
    namespace,
    service,
    name,
    port: { name: "grpc", port: 50051 },
    endpoints: ips.map((ip, index) => ({ ip, pod: `${service}-${index}` })),
  });
}

async function withServer(
  options: Parameters<typeof startFakeApiServer>[0],
  run: (server: FakeApiServer) => void | Promise<void>,
): Promise<void> {
  const server = await startFakeApiServer(options);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

// --- store and builder --------------------------------------------------------

Deno.test("endpointSlice() builds a controller-style slice and leaves unset conditions unset", () => {
  const slice = endpointSlice({
    namespace: "shop",
    service: "cart",
    port: { name: "grpc", port: 50051 },
    endpoints: [
      { ip: "10.0.0.1", pod: "cart-0", zone: "a", nodeName: "n1" },
      {
        ip: ["10.0.0.2", "10.0.0.20"],
        ready: false,
        serving: true,
        terminating: true,
      },
    ],
  });
  assert.deepEqual(slice, {
    metadata: {
      namespace: "shop",
      name: "cart-ipv4",
      labels: {
        "kubernetes.io/service-name": "cart",
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
    },
    addressType: "IPv4",
    endpoints: [
      {
        addresses: ["10.0.0.1"],
        conditions: {},
        targetRef: { kind: "Pod", namespace: "shop", name: "cart-0" },
        nodeName: "n1",
        zone: "a",
      },
      {
        addresses: ["10.0.0.2", "10.0.0.20"],
        conditions: { ready: false, serving: true, terminating: true },
      },
    ],
    ports: [{ name: "grpc", protocol: "TCP", port: 50051 }],
  });
  assert.equal(
    endpointSlice({
      namespace: "a",
      service: "b",
      endpoints: [{ ip: "fd00::1" }],
    }).addressType,
    "IPv6",
  );
});

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

// --- lists --------------------------------------------------------------------

Deno.test("a list returns matching slices sorted by namespace and name, without kind on items", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.2"], "b-ns"));
    server.applySlice(svc("echo", ["10.0.0.1"], "a-ns"));
    server.applySlice(svc("other", ["10.0.0.3"], "a-ns"));
    const all = await getJson(slicesUrl(server, undefined));
    assert.equal(all.status, 200);
    assert.equal(all.headers.get("content-type"), "application/json");
    assert.equal(all.body.kind, "EndpointSliceList");
    assert.equal(all.body.apiVersion, "discovery.k8s.io/v1");
    assert.deepEqual(all.body.metadata, {
      resourceVersion: server.resourceVersion,
    });
    assert.deepEqual(
      all.body.items.map((item: EndpointSlice) => `${item.metadata.namespace}/${item.metadata.name}`),
      ["a-ns/echo-ipv4", "a-ns/other-ipv4", "b-ns/echo-ipv4"],
    );
    assert.equal(
      all.body.items[0].kind,
      undefined,
      "list items carry no kind, like the real server's",
    );

    const selected = await getJson(
      slicesUrl(server, "a-ns", {
        labelSelector: "kubernetes.io/service-name=echo",
        resourceVersion: "0",
      }),
    );
    assert.deepEqual(
      selected.body.items.map((item: EndpointSlice) => item.endpoints![0].addresses),
      [["10.0.0.1"]],
    );

    for (
      const [selector, names] of [
        ["kubernetes.io/service-name==other", ["other-ipv4"]],
        ["kubernetes.io/service-name!=other", ["echo-ipv4"]],
        ["kubernetes.io/service-name, !missing", ["echo-ipv4", "other-ipv4"]],
        [
          "kubernetes.io/service-name in (echo,other),endpointslice.kubernetes.io/managed-by",
          ["echo-ipv4", "other-ipv4"],
        ],
        ["missing", []],
      ] as const
    ) {
      const { body } = await getJson(
        slicesUrl(server, "a-ns", { labelSelector: selector }),
      );
      assert.deepEqual(
        body.items.map((item: EndpointSlice) => item.metadata.name),
        names,
        selector,
      );
    }
    for (
      const selector of ["a=b=c", "=x", "a,", "a in ()", "bad key=x", "a=(b"]
    ) {
      const { status, body } = await getJson(
        slicesUrl(server, "a-ns", { labelSelector: selector }),
      );
      assert.equal(status, 400, selector);
      assert.equal(body.reason, "BadRequest");
      assert.equal(body.kind, "Status");
    }
  });
});

Deno.test("list pages show one snapshot even when slices change between pages", async () => {
  await withServer({}, async (server) => {
    for (const name of ["a", "b", "c", "d", "e"]) {
      server.applySlice(svc("echo", ["10.0.0.1"], "default", name));
    }
    const snapshotRv = server.resourceVersion;
    const first = await getJson(slicesUrl(server, "default", { limit: "2" }));
    assert.deepEqual(
      first.body.items.map((item: EndpointSlice) => item.metadata.name),
      ["a", "b"],
    );
    assert.equal(first.body.metadata.resourceVersion, snapshotRv);
    assert.equal(first.body.metadata.remainingItemCount, 3);
    assert.equal(typeof first.body.metadata.continue, "string");

    server.deleteSlice("default", "c");
    server.applySlice(svc("echo", ["10.0.0.99"], "default", "d"));
    server.applySlice(svc("echo", ["10.0.0.1"], "default", "bb"));

    const second = await getJson(
      slicesUrl(server, "default", {
        limit: "2",
        continue: first.body.metadata.continue,
      }),
    );
    assert.deepEqual(
      second.body.items.map((item: EndpointSlice) => item.metadata.name),
      ["c", "d"],
    );
    assert.deepEqual(
      second.body.items[1].endpoints[0].addresses,
      ["10.0.0.1"],
      "d as it was at the snapshot",
    );
    assert.equal(second.body.metadata.resourceVersion, snapshotRv);
    const third = await getJson(
      slicesUrl(server, "default", {
        limit: "2",
        continue: second.body.metadata.continue,
      }),
    );
    assert.deepEqual(
      third.body.items.map((item: EndpointSlice) => item.metadata.name),
      ["e"],
    );
    assert.deepEqual(third.body.metadata, { resourceVersion: snapshotRv });

    const selected = await getJson(
      slicesUrl(server, "default", {
        limit: "1",
        labelSelector: "kubernetes.io/service-name",
      }),
    );
    assert.equal(
      selected.body.metadata.remainingItemCount,
      undefined,
      "unknown with a selector, like the real server",
    );

    const mixed = await getJson(
      slicesUrl(server, "default", {
        continue: first.body.metadata.continue,
        resourceVersion: "5",
      }),
    );
    assert.equal(mixed.status, 400);
    const garbage = await getJson(
      slicesUrl(server, "default", { continue: "garbage" }),
    );
    assert.equal(garbage.status, 400);
  });
});

Deno.test("a continue token from before compact() gets 410 Expired with a token to go on inconsistently", async () => {
  await withServer({}, async (server) => {
    for (const name of ["a", "b", "c"]) {
      server.applySlice(svc("echo", ["10.0.0.1"], "default", name));
    }
    const first = await getJson(slicesUrl(server, "default", { limit: "1" }));
    server.applySlice(svc("echo", ["10.0.0.2"], "default", "b"));
    server.compact();
    const expired = await getJson(
      slicesUrl(server, "default", {
        limit: "1",
        continue: first.body.metadata.continue,
      }),
    );
    assert.equal(expired.status, 410);
    assert.equal(expired.body.kind, "Status");
    assert.equal(expired.body.status, "Failure");
    assert.equal(expired.body.reason, "Expired");
    assert.equal(expired.body.code, 410);
    assert.match(expired.body.message, /continue parameter is too old/);
    const rest = await getJson(
      slicesUrl(server, "default", {
        continue: expired.body.metadata.continue,
      }),
    );
    assert.deepEqual(
      rest.body.items.map((item: EndpointSlice) => item.metadata.name),
      ["b", "c"],
    );
    assert.deepEqual(
      rest.body.items[0].endpoints[0].addresses,
      ["10.0.0.2"],
      "the remainder is read at the current state",
    );
    assert.equal(rest.body.metadata.resourceVersion, server.resourceVersion);
  });
});

Deno.test("a list honours resourceVersion semantics: NotOlderThan, Exact and too large", async () => {
  await withServer({}, async (server) => {
    const old = server.applySlice(svc("echo", ["10.0.0.1"]));
    server.applySlice(svc("echo", ["10.0.0.2"]));
    const notOlder = await getJson(
      slicesUrl(server, "default", {
        resourceVersion: old.metadata.resourceVersion,
      }),
    );
    assert.equal(
      notOlder.body.metadata.resourceVersion,
      server.resourceVersion,
    );
    const exact = await getJson(
      slicesUrl(server, "default", {
        resourceVersion: old.metadata.resourceVersion,
        resourceVersionMatch: "Exact",
      }),
    );
    assert.equal(
      exact.body.metadata.resourceVersion,
      old.metadata.resourceVersion,
    );
    assert.deepEqual(exact.body.items[0].endpoints[0].addresses, ["10.0.0.1"]);
    const forbidden = await getJson(
      slicesUrl(server, "default", { resourceVersionMatch: "Exact" }),
    );
    assert.equal(forbidden.status, 422);

    const started = Date.now();
    const future = String(Number(server.resourceVersion) + 10);
    const tooLarge = await getJson(
      slicesUrl(server, "default", { resourceVersion: future }),
    );
    assert.ok(
      Date.now() - started >= 900,
      "the server waits for the resourceVersion first",
    );
    assert.equal(tooLarge.status, 504);
    assert.equal(tooLarge.headers.get("retry-after"), "1");
    assert.equal(tooLarge.body.reason, "Timeout");
    assert.deepEqual(tooLarge.body.details.causes, [
      {
        reason: "ResourceVersionTooLarge",
        message: "Too large resource version",
      },
    ]);

    const next = String(Number(server.resourceVersion) + 1);
    const waiting = getJson(
      slicesUrl(server, "default", { resourceVersion: next }),
    );
    server.applySlice(svc("late", ["10.0.0.3"]));
    const served = await waiting;
    assert.equal(
      served.status,
      200,
      "a resourceVersion that arrives during the wait is served",
    );
    assert.equal(served.body.metadata.resourceVersion, next);
  });
});

// --- watches --------------------------------------------------------------------

Deno.test("a watch from resourceVersion 0 sends ADDED for the current state, then live events", async () => {
  await withServer({}, async (server) => {
    const a = server.applySlice(svc("echo", ["10.0.0.1"], "default", "a"));
    const b = server.applySlice(svc("echo", ["10.0.0.2"], "default", "b"));
    server.applySlice(svc("other", ["10.0.0.3"]));
    const response = await fetch(
      slicesUrl(server, "default", {
        watch: "true",
        resourceVersion: "0",
        labelSelector: "kubernetes.io/service-name=echo",
      }),
    );
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(response.headers.get("content-length"), null);
    const stream = events(response);
    assert.equal(
      summary(await stream.next()),
      `ADDED a@${a.metadata.resourceVersion}`,
    );
    const added = await stream.next();
    assert.equal(summary(added), `ADDED b@${b.metadata.resourceVersion}`);
    assert.equal(
      added!.object.kind,
      "EndpointSlice",
      "watch objects carry kind and apiVersion",
    );
    assert.equal(added!.object.apiVersion, "discovery.k8s.io/v1");
    assert.equal(server.openWatches, 1);
    assert.equal(server.requests.at(-1)!.kind, "watch");

    server.applySlice(svc("other", ["10.0.0.4"]));
    const modified = server.applySlice(
      svc("echo", ["10.0.0.5"], "default", "a"),
    );
    assert.equal(
      summary(await stream.next()),
      `MODIFIED a@${modified.metadata.resourceVersion}`,
    );
    server.deleteSlice("default", "b");
    assert.equal(
      summary(await stream.next()),
      `DELETED b@${server.resourceVersion}`,
    );
    await stream.cancel();
    await within(
      waitFor(() => server.openWatches === 0),
      2000,
      "the server to notice that the client left",
    );
  });
});

Deno.test("a watch without resourceVersion also starts with the current state", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const stream = await watch(slicesUrl(server, undefined, { watch: "1" }));
    assert.equal((await stream.next())?.type, "ADDED");
    await stream.cancel();
  });
});

Deno.test("a watch from a resourceVersion replays later events with gaps from other services", async () => {
  await withServer({}, async (server) => {
    const listed = server.applySlice(svc("echo", ["10.0.0.1"]));
    server.applySlice(svc("other", ["10.0.0.2"]));
    const changed = server.applySlice(svc("echo", ["10.0.0.3"]));
    server.applySlice(svc("echo", ["10.0.0.4"], "elsewhere"));
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: listed.metadata.resourceVersion,
      labelSelector: "kubernetes.io/service-name=echo",
    }));
    const replayed = await stream.next();
    assert.equal(
      summary(replayed),
      `MODIFIED echo-ipv4@${changed.metadata.resourceVersion}`,
    );
    assert.equal(
      Number(changed.metadata.resourceVersion) -
        Number(listed.metadata.resourceVersion),
      2,
      "a gap",
    );
    await stream.quiet(100);
    const live = server.applySlice(svc("echo", ["10.0.0.5"]));
    assert.equal(
      summary(await stream.next()),
      `MODIFIED echo-ipv4@${live.metadata.resourceVersion}`,
    );
    await stream.cancel();
  });
});

Deno.test("a watch sees a slice whose labels stop or start matching as DELETED or ADDED", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"], "default", "s"));
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: server.resourceVersion,
      labelSelector: "kubernetes.io/service-name=echo",
    }));
    const moved = server.applySlice(svc("other", ["10.0.0.1"], "default", "s"));
    const deleted = await stream.next();
    assert.equal(
      summary(deleted),
      `DELETED s@${moved.metadata.resourceVersion}`,
    );
    assert.equal(
      (deleted!.object.metadata.labels as Record<string, string>)[
        "kubernetes.io/service-name"
      ],
      "echo",
    );
    const back = server.applySlice(svc("echo", ["10.0.0.1"], "default", "s"));
    assert.equal(
      summary(await stream.next()),
      `ADDED s@${back.metadata.resourceVersion}`,
    );
    await stream.cancel();
  });
});

Deno.test("watch bookmarks arrive at the configured interval and carry the current resourceVersion", async () => {
  await withServer({ bookmarkIntervalMs: 150 }, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const started = Date.now();
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: server.resourceVersion,
      allowWatchBookmarks: "true",
    }));
    const first = await stream.next();
    const elapsed = Date.now() - started;
    assert.ok(
      elapsed >= 120 && elapsed < 1000,
      `first bookmark after ${elapsed} ms`,
    );
    assert.deepEqual(first, {
      type: "BOOKMARK",
      object: {
        kind: "EndpointSlice",
        apiVersion: "discovery.k8s.io/v1",
        metadata: { resourceVersion: server.resourceVersion },
        addressType: "",
        endpoints: null,
        ports: null,
      },
    });
    server.applySlice(svc("other", ["10.0.0.2"]));
    assert.equal((await stream.next())?.type, "ADDED");
    const second = await stream.next();
    assert.equal(second?.type, "BOOKMARK");
    assert.equal(
      second?.object.metadata.resourceVersion,
      server.resourceVersion,
    );

    const plain = await watch(
      slicesUrl(server, "default", {
        watch: "true",
        resourceVersion: server.resourceVersion,
      }),
    );
    await plain.quiet(400);
    await plain.cancel();
    await stream.cancel();
  });
});

Deno.test("a watch from a compacted resourceVersion gets 200, a 410 ERROR event, then the end", async () => {
  await withServer({}, async (server) => {
    const old = server.applySlice(svc("echo", ["10.0.0.1"]));
    server.applySlice(svc("echo", ["10.0.0.2"]));
    server.compact();
    const stream = await watch(
      slicesUrl(server, "default", {
        watch: "true",
        resourceVersion: old.metadata.resourceVersion,
      }),
    );
    assert.deepEqual(await stream.next(), {
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `too old resource version: ${old.metadata.resourceVersion} (${server.resourceVersion})`,
        reason: "Expired",
        code: 410,
      },
    });
    assert.equal(await stream.next(), undefined);
    assert.equal(server.openWatches, 0);

    const fresh = await watch(
      slicesUrl(server, "default", {
        watch: "true",
        resourceVersion: server.resourceVersion,
      }),
    );
    await fresh.quiet(100);
    await fresh.cancel();
  });
});

Deno.test("timeoutSeconds ends a watch cleanly, with a bookmark 2 s before", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const started = Date.now();
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: server.resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: "3",
    }));
    const bookmark = await stream.next(5000);
    assert.equal(bookmark?.type, "BOOKMARK");
    const bookmarkAt = Date.now() - started;
    assert.ok(
      bookmarkAt >= 900 && bookmarkAt < 2000,
      `bookmark after ${bookmarkAt} ms`,
    );
    assert.equal(
      await stream.next(5000),
      undefined,
      "the response ends without an error",
    );
    const endAt = Date.now() - started;
    assert.ok(endAt >= 2900 && endAt < 4000, `ended after ${endAt} ms`);
    assert.equal(server.openWatches, 0);
  });
});

Deno.test("dropWatches() breaks open watches and endWatches() ends them cleanly", async () => {
  await withServer({}, async (server) => {
    const url = slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: server.resourceVersion,
    });
    const dropped = await watch(url);
    await within(
      waitFor(() => server.openWatches === 1),
      2000,
      "the watch to open",
    );
    server.dropWatches();
    await assert.rejects(dropped.next(), "a dropped watch errors");
    assert.equal(server.openWatches, 0);

    const ended = await watch(url);
    const other = await watch(url);
    await within(
      waitFor(() => server.openWatches === 2),
      2000,
      "the watches to open",
    );
    server.endWatches();
    assert.equal(await ended.next(), undefined);
    assert.equal(await other.next(), undefined);
    assert.equal(server.openWatches, 0);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(condition());
}

Deno.test("sendInitialEvents streams the state, then a bookmark marking the initial events' end", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      sendInitialEvents: "true",
      resourceVersionMatch: "NotOlderThan",
      allowWatchBookmarks: "true",
    }));
    assert.equal((await stream.next())?.type, "ADDED");
    const end = await stream.next();
    assert.equal(end?.type, "BOOKMARK");
    assert.deepEqual(end?.object.metadata, {
      resourceVersion: server.resourceVersion,
      annotations: { "k8s.io/initial-events-end": "true" },
    });
    await stream.cancel();
    const invalid = await getJson(
      slicesUrl(server, "default", {
        watch: "true",
        sendInitialEvents: "true",
      }),
    );
    assert.equal(invalid.status, 422);
  });
});

Deno.test("maxChunkBytes splits watch events into small chunks, even inside UTF-8 characters", async () => {
  await withServer({ maxChunkBytes: 7 }, async (server) => {
    const response = await fetch(
      slicesUrl(server, "default", { watch: "true" }),
    );
    const reader = response.body!.getReader();
    await within(
      waitFor(() => server.openWatches === 1),
      2000,
      "the watch to open",
    );
    const slice = server.applySlice({
      ...svc("echo", ["10.0.0.1"]),
      metadata: {
        namespace: "default",
        name: "ünïcødé",
        annotations: { note: "größe 😀 ok" },
      },
    });
    const expected = new TextEncoder().encode(
      JSON.stringify({ type: "ADDED", object: slice }) + "\n",
    );
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (let reads = 0; reads < 10_000 && total < expected.length; reads++) {
      const { value, done } = await within(reader.read(), 3000, "a chunk");
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    assert.deepEqual(joined, expected);
    assert.ok(
      chunks.length > 10,
      `the event arrived in ${chunks.length} reads`,
    );
    assert.ok(
      chunks.every((chunk) => chunk.length <= 7 * 4),
      "chunks stay small",
    );
    await reader.cancel();
  });
});

// --- errors, auth, TLS -------------------------------------------------------------

Deno.test("failNext() answers matching requests with a Status and Retry-After, then recovers", async () => {
  await withServer({}, async (server) => {
    server.failNext(2, { status: 429, retryAfterSeconds: 3, path: "watch" });
    const list = await getJson(slicesUrl(server, "default"));
    assert.equal(list.status, 200, "lists are not hit by a watch failure");
    for (let i = 0; i < 2; i++) {
      const throttled = await getJson(
        slicesUrl(server, "default", { watch: "true" }),
      );
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get("retry-after"), "3");
      assert.deepEqual(throttled.body, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "Too many requests, please try again later.",
        reason: "TooManyRequests",
        details: { retryAfterSeconds: 3 },
        code: 429,
      });
    }
    const stream = await watch(slicesUrl(server, "default", { watch: "true" }));
    await stream.cancel();

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
        "list 500",
        "list 403",
        "list 200",
      ],
    );
  });
});

Deno.test("a configured token is required, never recorded, and can be rotated", async () => {
  await withServer({ token: "s3cret" }, async (server) => {
    const missing = await getJson(slicesUrl(server, "default"));
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.body, {
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

Deno.test("unknown paths get a 404 NotFound Status and other methods a 405", async () => {
  await withServer({}, async (server) => {
    for (
      const path of [
        "/api/v1/pods",
        `${BASE}/namespaces/default/endpointslices/x`,
        "/",
      ]
    ) {
      const { status, body } = await getJson(server.url + path);
      assert.equal(status, 404, path);
      assert.equal(body.reason, "NotFound");
      assert.equal(body.kind, "Status");
    }
    const post = await getJson(slicesUrl(server, "default"), {
      method: "POST",
      body: "{}",
    });
    assert.equal(post.status, 405);
    assert.equal(server.requests.at(-1)!.kind, "other");
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
    assert.equal((await getJson(url)).status, 401);
    const headers = { authorization: "Bearer t" };
    server.failNext(1, { status: 403, path: "get" });
    const list = await getJson(slicesUrl(server, "shop"), { headers });
    assert.equal(list.status, 200, "an EndpointSlice list is not hit by a get failure");
    const forbidden = await getJson(url, { headers });
    assert.equal(forbidden.status, 403);
    assert.equal(
      forbidden.body.message,
      'services "two" is forbidden: User "system:serviceaccount:default:default" cannot get resource "services" ' +
        'in API group "" in the namespace "shop"',
    );
    assert.equal((await getJson(url, { headers })).status, 200);
    const post = await getJson(url, { method: "POST", body: "{}", headers });
    assert.equal(post.status, 405);
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
      message: /spec\.ports\[0\]\.name is required when a Service has more than one port/,
    });
    assert.throws(() => server.applyService(ports([{ name: "a", port: 80 }, { name: "a", port: 81 }])), /unique/);
    assert.throws(() => server.applyService(ports([{ name: "a", port: 0 }])), /port must be 1-65535/);
    assert.throws(() => server.applyService(ports([{ name: "a", port: 80, targetPort: "" }])), /targetPort/);
    assert.throws(
      () => server.applyService({ metadata: { namespace: "", name: "x" }, spec: { ports: [] } }),
      /metadata\.namespace is required/,
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
});
