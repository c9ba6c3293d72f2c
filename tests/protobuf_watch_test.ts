// The resolver asks for EndpointSlices in protobuf with JSON as fallback, as client-go's protobuf clients do, and
// reads each answer in the form its Content-Type names: LISTs (gzipped too), watches, streaming lists and error
// Statuses, from real kube-apiserver v1.36.3 answers captured in both forms (tests/fixtures/protobuf). The reflector
// reads protobuf frames as it reads JSON lines: the same states, relists and dropped partial events.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import type { EndpointSlice, EndpointSliceList } from "../src/base/endpoint_slice.ts";
import { KubeApiError, type ResolverError } from "../src/base/errors.ts";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { createEndpointSliceApi, type EndpointSliceApi, type WatchEncoding } from "../src/api/kube_api.ts";
import { decodeEndpointSliceList, decodeWatchEvent } from "../src/api/protobuf/messages.ts";
import { createHttpClient } from "../src/runtime/http_client.ts";
import { nodeHttpClient } from "../src/runtime/node_http_client.ts";
import type { HttpClient } from "../src/runtime/http_response.ts";
import { runReflector, type SliceState } from "../src/watch/reflector.ts";
import { openWatchCodec } from "../src/watch/watch_codec.ts";
import { watchEndpoints } from "../src/watch_endpoints.ts";

const dir = new URL("./fixtures/protobuf/", import.meta.url);
const fixture = (name: string) => Deno.readFileSync(new URL(name, dir));
const PROTOBUF = "application/vnd.kubernetes.protobuf";
const ASKED = "application/vnd.kubernetes.protobuf,application/json";

// A hand-built protobuf Status and ERROR event (the wire format of PROTO_NOTES.md), for a server that echoes a token.
const varint = (value: number): number[] => value < 0x80 ? [value] : [(value & 0x7f) | 0x80, ...varint(value >>> 7)];
const field = (number: number, bytes: Uint8Array | string): number[] => {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return [(number << 3) | 2, ...varint(data.length), ...data];
};
const status = (message: string, code: number) =>
  new Uint8Array([
    ...new TextEncoder().encode("k8s\0"),
    ...field(1, new Uint8Array([...field(1, "v1"), ...field(2, "Status")])),
    ...field(
      2,
      new Uint8Array([
        ...field(2, "Failure"),
        ...field(3, message),
        ...field(4, "Unauthorized"),
        0x30,
        ...varint(code),
      ]),
    ),
  ]);
const frame = (bytes: Uint8Array) => new Uint8Array([0, 0, bytes.length >> 8, bytes.length & 0xff, ...bytes]);
const errorFrame = (message: string, code: number) =>
  frame(new Uint8Array([...field(1, "ERROR"), ...field(2, new Uint8Array(field(1, status(message, code))))]));

interface Answer {
  code?: number;
  type: string;
  body: Uint8Array;
}

/**
 * A server answering LISTs and watches as `answer` says; records the Accept header of each. The Service's GET (its
 * internalTrafficPolicy) gets a 404, as from a server without the Service, unrecorded.
 */
async function startServer(answer: (kind: "list" | "watch" | "streaming") => Answer) {
  const accepted: Record<string, string> = {};
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url!.includes("/services/")) {
      res.writeHead(404, { "content-type": "application/json" });
      return res.end(
        JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 }),
      );
    }
    const query = new URL(req.url!, "http://x").searchParams;
    const kind = query.get("sendInitialEvents") === "true" ? "streaming" : query.get("watch") ? "watch" : "list";
    accepted[kind] = req.headers.accept ?? "";
    const { code = 200, type, body } = answer(kind);
    const gzip = kind === "list" && /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
    res.writeHead(code, { "content-type": type, ...(gzip ? { "content-encoding": "gzip" } : {}) });
    res.end(gzip ? gzipSync(body) : body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const clients: [string, (tls: Parameters<typeof nodeHttpClient>[0]) => Promise<HttpClient>][] = [
  ["undici (Deno)", (tls) => createHttpClient({ tls })],
  ["node:http (Node, Bun)", (tls) => Promise.resolve(nodeHttpClient(tls))],
];

/** Runs `body` with the API calls of a server that answers as `answer` says, and the server. */
async function withApi(
  makeClient: (tls: Parameters<typeof nodeHttpClient>[0]) => Promise<HttpClient>,
  answer: (kind: "list" | "watch" | "streaming") => Answer,
  body: (api: EndpointSliceApi, server: Awaited<ReturnType<typeof startServer>>) => Promise<void>,
  ask?: WatchEncoding,
  token?: string,
): Promise<void> {
  const server = await startServer(answer);
  const access = await resolveClusterAccess({ server: server.url, ...(token ? { token } : {}) });
  const client = await makeClient(access.tls);
  try {
    await body(createEndpointSliceApi(access, client, "prod", "echo", ask), server);
  } finally {
    client.close();
    await server.close();
  }
}

/** The events of a watch body, parsed by the codec of its encoding. */
async function events(api: EndpointSliceApi, sendInitialEvents = false) {
  const controller = new AbortController();
  const { chunks, encoding } = await api.watch({
    resourceVersion: "",
    timeoutSeconds: 5,
    sendInitialEvents,
    signal: controller.signal,
  });
  const codec = openWatchCodec(encoding);
  const read: unknown[] = [];
  await codec.read(chunks, (event) => read.push(codec.parse(event, (text) => text)), {});
  return { encoding, read };
}

/** The frames of a protobuf watch body, decoded one by one. */
function frames(body: Uint8Array): unknown[] {
  const decoded = [];
  for (let at = 0; at < body.length;) {
    const length = new DataView(body.buffer, body.byteOffset + at).getUint32(0);
    decoded.push(decodeWatchEvent(body.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  return decoded;
}

for (const [name, makeClient] of clients) {
  Deno.test(`${name}: LISTs (gzipped), watches and streaming lists ask for protobuf and read it`, async () => {
    const answers = {
      list: { type: PROTOBUF, body: fixture("list.pb") },
      watch: { type: `${PROTOBUF};stream=watch`, body: fixture("watch.pb") },
      streaming: { type: `${PROTOBUF};stream=watch`, body: fixture("streaming_list.pb") },
    };
    await withApi(makeClient, (kind) => answers[kind], async (api, server) => {
      const listed = await api.list({ signal: AbortSignal.timeout(5000) });
      assert.deepEqual(listed, decodeEndpointSliceList(fixture("list.pb")));
      assert.equal(listed.items.length, 3);
      assert.deepEqual(await events(api), { encoding: "protobuf", read: frames(fixture("watch.pb")) });
      assert.deepEqual(await events(api, true), { encoding: "protobuf", read: frames(fixture("streaming_list.pb")) });
      assert.deepEqual(server.accepted, { list: ASKED, watch: ASKED, streaming: ASKED });
    });
  });

  Deno.test(`${name}: a server that answers JSON to the protobuf Accept header is read as JSON`, async () => {
    const text = (file: string) => fixture(file);
    const answers = {
      list: { type: "application/json", body: text("list.json") },
      watch: { type: "application/json;stream=watch", body: text("watch.ndjson") },
      streaming: { type: "application/json;stream=watch", body: text("streaming_list.ndjson") },
    };
    const lines = (file: string) =>
      new TextDecoder().decode(fixture(file)).split("\n").filter((line) => line).map((line) => JSON.parse(line));
    await withApi(makeClient, (kind) => answers[kind], async (api, server) => {
      const listed = await api.list({ signal: AbortSignal.timeout(5000) });
      assert.deepEqual(listed, JSON.parse(new TextDecoder().decode(fixture("list.json"))));
      assert.deepEqual(await events(api), { encoding: "json", read: lines("watch.ndjson") });
      assert.deepEqual(await events(api, true), { encoding: "json", read: lines("streaming_list.ndjson") });
      assert.deepEqual(server.accepted, { list: ASKED, watch: ASKED, streaming: ASKED });
    });
  });
}

Deno.test("asked for JSON only, the calls send Accept: application/json, and refuse a protobuf answer as before", async () => {
  const answer = () => ({ type: PROTOBUF, body: fixture("list.pb") });
  await withApi(clients[0][1], answer, async (api, server) => {
    const error = await api.list({ signal: AbortSignal.timeout(5000) }).catch((error) => error);
    assert.ok(error instanceof KubeApiError, String(error));
    assert.match(error.message, /answered 200 with content type "application\/vnd\.kubernetes\.protobuf", not JSON/);
    await api.watch({ resourceVersion: "1", timeoutSeconds: 5, signal: AbortSignal.timeout(5000) }).catch(() => {});
    assert.deepEqual(server.accepted, { list: "application/json", watch: "application/json" });
  }, "json");
});

Deno.test("a protobuf LIST or watch that is not what kube-apiserver writes is an error that says so", async () => {
  const answer = (kind: string) =>
    kind === "list"
      ? { type: PROTOBUF, body: new Uint8Array([0x6b, 0x38, 0x73, 0x00, 0x0a, 0x7f]) }
      : { type: `${PROTOBUF};stream=watch`, body: frame(new Uint8Array([0x0a, 0x03, 0x41])) };
  await withApi(clients[1][1], answer, async (api) => {
    const error = await api.list({ signal: AbortSignal.timeout(5000) }).catch((error) => error);
    assert.ok(error instanceof KubeApiError, String(error));
    assert.match(
      error.message,
      /^Cannot list endpointslices of service "echo" in namespace "prod": the protobuf response from http:\/\/127\.0\.0\.1:\d+ is not an EndpointSliceList \(.+\): if this repeats, check that nothing on the way/,
    );
    const watched = await events(api).catch((error) => error);
    assert.ok(watched instanceof KubeApiError, String(watched));
    assert.match(watched.message, /^Cannot decode protobuf watch stream: .+; the watch restarts$/);
  });
});

Deno.test("a protobuf error Status gives the error its JSON twin gives: message, status, reason, causes", async () => {
  for (const [file, code] of [["status404", 404], ["status422", 422], ["status504", 504]] as const) {
    const errors: unknown[] = [];
    for (const [type, suffix] of [[PROTOBUF, "pb"], ["application/json", "json"]]) {
      const answer = () => ({ code, type, body: fixture(`${file}.${suffix}`) });
      await withApi(clients[1][1], answer, async (api) => {
        errors.push(await api.list({ signal: AbortSignal.timeout(5000) }).catch((error) => error));
      });
    }
    const [protobuf, json] = errors as KubeApiError[];
    assert.ok(protobuf instanceof KubeApiError && json instanceof KubeApiError, String(protobuf));
    const unported = (text: string) => text.replace(/127\.0\.0\.1:\d+/, "SERVER");
    assert.equal(unported(protobuf.message), unported(json.message));
    assert.match(protobuf.message, /server said/);
    for (const key of ["status", "reason", "causes", "retryAfterSeconds", "contentType"] as const) {
      assert.deepEqual(protobuf[key], json[key], `${file}: ${key}`);
    }
  }
});

Deno.test("a protobuf Status or ERROR event that echoes the token is shown without it", async () => {
  const token = "s3cret-t0ken-value";
  const answer = (kind: string) =>
    kind === "list"
      ? { code: 401, type: PROTOBUF, body: status(`invalid bearer token ${token}`, 401) }
      : { type: `${PROTOBUF};stream=watch`, body: errorFrame(`etcd said: Bearer ${token}`, 500) };
  await withApi(
    clients[0][1],
    answer,
    async (api) => {
      const error = await api.list({ signal: AbortSignal.timeout(5000) }).catch((error) => error);
      assert.ok(error instanceof KubeApiError, String(error));
      assert.match(error.message, /401/);
      assert.doesNotMatch(error.message, new RegExp(token));
      const errors: ResolverError[] = [];
      const controller = new AbortController();
      const watched: EndpointSliceApi = {
        ...api,
        list: () => Promise.resolve({ metadata: { resourceVersion: "5" }, items: [] }),
      };
      const running = runReflector(watched, {
        signal: controller.signal,
        backoff: { initialMs: 1, maxMs: 1 },
        onState() {},
        onError(error) {
          errors.push(error);
          controller.abort();
        },
        trace() {},
      });
      await running;
      assert.match(errors[0].message, /sent an ERROR event \(500\)/);
      assert.match(errors[0].message, /server said: "etcd said: \[redacted\]"/);
      assert.doesNotMatch(errors[0].message, new RegExp(token));
    },
    undefined,
    token,
  );
});

Deno.test("a protobuf LIST or watch frame whose object echoes the token is an error shown without it", async () => {
  // A server or proxy that writes the request's credentials where the object's kind goes: the error that quotes the
  // kind must not print them, as a JSON line that is not a watch event is quoted without them. A kind cut short
  // would no longer match a long token (a service account's runs to a thousand characters): it is not quoted.
  const echoed = (kind: string) =>
    new Uint8Array([
      ...new TextEncoder().encode("k8s\0"),
      ...field(1, new Uint8Array(field(2, kind))),
      ...field(2, ""),
    ]);
  for (const token of ["s3cret-t0ken-value", `s3cret-${"t0ken".repeat(20)}`]) {
    const answer = (kind: string) =>
      kind === "list" ? { type: PROTOBUF, body: echoed(`Bearer ${token}`) } : {
        type: `${PROTOBUF};stream=watch`,
        body: frame(new Uint8Array([...field(1, "ADDED"), ...field(2, new Uint8Array(field(1, echoed(token))))])),
      };
    const kind = token.length < 60
      ? /an object of kind "\[redacted\]" where/
      : /an object whose kind is \d+ characters/;
    await withApi(
      clients[1][1],
      answer,
      async (api) => {
        const listed = await api.list({ signal: AbortSignal.timeout(5000) }).catch((error) => error);
        assert.ok(listed instanceof KubeApiError, String(listed));
        assert.match(listed.message, kind);
        const { chunks, encoding } = await api.watch({
          resourceVersion: "",
          timeoutSeconds: 5,
          signal: AbortSignal.timeout(5000),
        });
        const codec = openWatchCodec(encoding);
        const watched = await codec.read(chunks, (event) => codec.parse(event, api.redact), {}).catch((error) => error);
        assert.ok(watched instanceof KubeApiError, String(watched));
        assert.match(watched.message, kind);
        for (const error of [listed, watched]) assert.doesNotMatch(error.message, /t0ken/);
      },
      undefined,
      token,
    );
  }
});

/** The state the reflector publishes after a LIST of list.pb and one watch body, fed in chunks of `size` bytes. */
async function reflect(encoding: WatchEncoding, body: Uint8Array, size: number, options: { streaming?: boolean } = {}) {
  const controller = new AbortController();
  const traces: string[] = [];
  const errors: ResolverError[] = [];
  let lists = 0;
  let watches = 0;
  let published = 0;
  let state: SliceState | undefined;
  const api: EndpointSliceApi = {
    redact: (text) => text,
    list: () => {
      lists++;
      return Promise.resolve(decodeEndpointSliceList(fixture("list.pb")) as EndpointSliceList);
    },
    watch({ signal }) {
      // The first watch brings the body; later ones stay open and quiet.
      const first = watches++ === 0;
      const chunks = new ReadableStream<Uint8Array>({
        start(stream) {
          if (first) {
            for (let at = 0; at < body.length; at += size) stream.enqueue(body.slice(at, at + size));
            stream.close();
          }
          signal.addEventListener("abort", () => stream.error(signal.reason));
        },
      });
      return Promise.resolve({ chunks, encoding });
    },
  };
  const running = runReflector(api, {
    signal: controller.signal,
    minWatchMs: 0,
    backoff: { initialMs: 1, maxMs: 1 },
    ...(options.streaming ? { watchList: { refused: false } } : {}),
    onState(next) {
      published++;
      state = next;
    },
    onError: (error) => errors.push(error),
    trace: (text) => traces.push(text),
  });
  // Until the first watch ended and the next one opened (or, after a 410, the relist's watch).
  for (let wait = 0; wait < 500 && watches < 2; wait++) await new Promise((resolve) => setTimeout(resolve, 2));
  const slices = [...(state?.slices ?? new Map<string, EndpointSlice>()).values()].map((slice) => ({
    name: slice.metadata.name,
    resourceVersion: slice.metadata.resourceVersion,
    endpoints: slice.endpoints?.map((endpoint) => {
      const { deprecatedTopology: _, ...rest } = endpoint as unknown as Record<string, unknown>;
      return rest;
    }) ?? null,
    ports: slice.ports,
  }));
  const resourceVersion = state?.resourceVersion;
  controller.abort();
  await running;
  return { slices, resourceVersion, lists, published: published > 0, errors: errors.map((e) => e.message), traces };
}

Deno.test("runReflector() reads a protobuf watch, split anywhere, to the state its JSON twin gives", async () => {
  const json = await reflect("json", fixture("watch.ndjson"), 1 << 20);
  assert.ok(json.slices.length > 0 && json.resourceVersion, JSON.stringify(json));
  for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
    const protobuf = await reflect("protobuf", fixture("watch.pb"), size);
    assert.deepEqual(protobuf.slices, json.slices, `chunks of ${size}`);
    assert.equal(protobuf.resourceVersion, json.resourceVersion);
    assert.deepEqual(protobuf.errors, []);
  }
});

Deno.test("runReflector() takes a protobuf streaming list's state at its initial-events-end BOOKMARK, as JSON's", async () => {
  const json = await reflect("json", fixture("streaming_list.ndjson"), 1 << 20, { streaming: true });
  assert.equal(json.lists, 0);
  for (const size of [1, 5, 1 << 20]) {
    const protobuf = await reflect("protobuf", fixture("streaming_list.pb"), size, { streaming: true });
    assert.deepEqual(protobuf.slices, json.slices, `chunks of ${size}`);
    assert.equal(protobuf.resourceVersion, json.resourceVersion);
    assert.equal(protobuf.lists, 0);
    assert.ok(protobuf.published);
  }
});

Deno.test("runReflector() relists after a protobuf ERROR 410 event without a word, as after JSON's", async () => {
  const json = await reflect("json", fixture("watch_error_410.ndjson"), 1 << 20);
  const protobuf = await reflect("protobuf", fixture("watch_error_410.pb"), 3);
  assert.equal(json.lists, 2);
  assert.equal(protobuf.lists, 2);
  assert.deepEqual(protobuf.errors, []);
  const relisted = (traces: string[]) => traces.filter((text) => text.startsWith("resourceVersion expired: relisting"));
  assert.deepEqual(relisted(protobuf.traces), relisted(json.traces));
  assert.equal(relisted(protobuf.traces).length, 1);
});

Deno.test("runReflector() drops a protobuf event that the body cut off, and applies the ones before it", async () => {
  const whole = await reflect("protobuf", fixture("watch.pb"), 64);
  const body = fixture("watch.pb");
  // The last frame is the last BOOKMARK: cut 3 bytes into it.
  const cut = await reflect("protobuf", body.subarray(0, body.length - 3), 64);
  assert.deepEqual(cut.slices, whole.slices);
  const length = frames(body).length;
  assert.equal(length, 5);
  assert.ok(
    cut.traces.some((text) => /^watch body ended in the middle of an event: its \d+ bytes are dropped$/.test(text)),
    cut.traces.join("\n"),
  );
  assert.deepEqual(cut.errors, []);
});

Deno.test("runReflector() restarts a protobuf watch whose frame exceeds 16 MiB, as a JSON line over it", async () => {
  const huge = new Uint8Array([0x01, 0x00, 0x00, 0x01]);
  const { traces } = await reflect("protobuf", huge, 4);
  assert.ok(
    traces.some((text) =>
      text.startsWith(
        "Cannot decode protobuf watch stream: a watch frame of 16777217 bytes exceeds 16777216 bytes; " +
          "the watch restarts",
      )
    ),
    traces.join("\n"),
  );
});

Deno.test("watchEndpoints() asks for protobuf by default, and for JSON only with protobuf: false", async () => {
  for (const protobuf of [undefined, false]) {
    const answers = {
      list: { type: PROTOBUF, body: fixture("list.pb") },
      watch: { type: `${PROTOBUF};stream=watch`, body: fixture("watch.pb") },
      streaming: { type: "application/json;stream=watch", body: fixture("streaming_list.ndjson") },
    };
    // Asked for JSON only, it gets JSON: as kube-apiserver answers that header.
    const json = {
      list: { type: "application/json", body: fixture("list.json") },
      watch: { type: "application/json;stream=watch", body: fixture("watch.ndjson") },
      streaming: answers.streaming,
    };
    const server = await startServer((kind) => (protobuf === false ? json : answers)[kind]);
    const controller = new AbortController();
    try {
      const watch = watchEndpoints("kubernetes:///echo.proto:grpc", {
        cluster: { server: server.url },
        watchList: false,
        protobuf,
        signal: controller.signal,
      });
      for await (const snapshot of watch) {
        const hosts = snapshot.endpoints.flatMap((endpoint) => endpoint.addresses.map(({ host }) => host));
        assert.ok(hosts.includes("10.0.0.1"), String(hosts));
        // Leaving the loop stops the watch: not before it was asked for.
        for (let wait = 0; wait < 200 && !server.accepted.watch; wait++) await new Promise((ok) => setTimeout(ok, 10));
        break;
      }
      const asked = protobuf === false ? "application/json" : ASKED;
      assert.deepEqual(server.accepted, { list: asked, watch: asked });
    } finally {
      controller.abort();
      await server.close();
    }
  }
});
