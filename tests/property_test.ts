// Property tests (fast-check) of every input the resolver parses: targets,
// watch streams, kubeconfigs, and the event sequences that build a Service's
// endpoints.
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "yaml";
import type { EndpointSlice, WatchEvent } from "../src/base/endpoint_slice.ts";
import { selectEndpoints } from "../src/selection/endpoint_selection.ts";
import { ConfigError, KubeApiError, TargetError } from "../src/base/errors.ts";
import type { EndpointSliceApi } from "../src/api/kube_api.ts";
import { accessFromKubeconfig } from "../src/cluster/kubeconfig_context.ts";
import { loadKubeconfigFiles } from "../src/cluster/kubeconfig_load.ts";
import { runReflector, type SliceState } from "../src/watch/reflector.ts";
import { formatTarget, parseTarget, type Target } from "../src/base/target.ts";
import { targetForDisplay } from "../src/base/_target_userinfo.ts";
import { readWatchEvents } from "./_decode_events.ts";

/** Fails a property run that takes longer than `ms`: a hang is a failure, not a stuck CI job. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => timer = setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// --- Targets -----------------------------------------------------------------

const TARGET_PIECES = [
  "kubernetes",
  "k8s",
  "dns",
  ":",
  "//",
  "/",
  "///",
  ".",
  "svc",
  "ns",
  "echo",
  "a",
  "-",
  "0",
  "1",
  "80",
  "8080",
  "65535",
  "65536",
  "grpc",
  "http-2",
  "cluster",
  "local",
  "_",
  "A",
  "?",
  "#",
  "[",
  "]",
  "::1",
  " ",
  "\t",
  "é",
  "%20",
  "@",
  "x".repeat(64),
];

const targetLike = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  fc.array(fc.constantFrom(...TARGET_PIECES), { maxLength: 12 }).map((pieces) => pieces.join("")),
  fc.array(fc.constantFrom(...TARGET_PIECES), { maxLength: 8 }).map((pieces) => `kubernetes://${pieces.join("")}`),
);

function assertRoundTrip(target: Target): void {
  const canonical = formatTarget(target);
  assert.deepEqual(parseTarget(canonical), target, canonical);
  assert.equal(formatTarget(parseTarget(canonical)), canonical);
}

Deno.test("parseTarget() throws nothing but TargetError, and what it accepts re-parses from formatTarget()", () => {
  fc.assert(
    fc.property(targetLike, (text) => {
      let target: Target;
      try {
        target = parseTarget(text);
      } catch (error) {
        assert.ok(error instanceof TargetError, `${JSON.stringify(text)} threw ${error}`);
        // As given, but for a user name and password (up to the last "@") and a query or fragment, never quoted.
        assert.equal(error.target, targetForDisplay(text));
        return;
      }
      assertRoundTrip(target);
    }),
    { numRuns: 5000 },
  );
});

const label = (first: string) =>
  fc.tuple(
    fc.constantFrom(...first),
    fc.string({ unit: fc.constantFrom(..."abcz09-"), maxLength: 20 }),
    fc.constantFrom(..."az09"),
  ).map(([a, b, c]) => (a + b + c).slice(0, 63)).filter((text) => !text.endsWith("-"));

Deno.test("formatTarget() gives a target that parseTarget() reads back unchanged, for any valid target", () => {
  fc.assert(
    fc.property(
      fc.record({
        scheme: fc.constantFrom("kubernetes", "k8s", "dns+k8s", "a.b-c"),
        service: label("abcxyz"),
        namespace: fc.option(label("abc019"), { nil: undefined }),
        port: fc.option(
          fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom("grpc", "http-2", "h2c", "p8080")),
          {
            nil: undefined,
          },
        ),
      }, { requiredKeys: ["scheme", "service"] }),
      (target) => {
        const clean = Object.fromEntries(
          Object.entries(target).filter(([, value]) => value !== undefined),
        ) as unknown as Target;
        assertRoundTrip(clean);
      },
    ),
    { numRuns: 2000 },
  );
});

// --- Watch stream decoder --------------------------------------------------------

const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
const watchEvent: fc.Arbitrary<WatchEvent> = fc.record({
  type: fc.constantFrom("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR", "ünknown"),
  object: jsonObject,
}) as fc.Arbitrary<WatchEvent>;

function streamOf(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.length]) {
    if (point > start) pieces.push(bytes.slice(start, point));
    start = Math.max(start, point);
  }
  return new ReadableStream({
    pull(controller) {
      const piece = pieces.shift();
      if (piece) controller.enqueue(piece);
      else controller.close();
    },
  });
}

async function decodeAll(body: ReadableStream<Uint8Array>, maxLineBytes?: number): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  await readWatchEvents(body, (event) => events.push(event), { maxLineBytes });
  return events;
}

Deno.test("readWatchEvents() reads the same events however a valid stream is cut into chunks", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(watchEvent, { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 40 }),
      fc.boolean(),
      async (events, cuts, finalNewline) => {
        const text = events.map((event) => JSON.stringify(event)).join("\n") + (finalNewline ? "\n" : "");
        const bytes = new TextEncoder().encode(text);
        const decoded = await within(2000, "decoding", decodeAll(streamOf(bytes, cuts)));
        assert.deepEqual(decoded, JSON.parse(JSON.stringify(events)));
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("readWatchEvents() turns random junk into events or a KubeApiError, never another error or a hang", async () => {
  const line = fc.oneof(
    watchEvent.map((event) => JSON.stringify(event)),
    fc.string(),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.constantFrom("{", "}", "null", "[]", '{"type":1,"object":{}}', '{"type":"ADDED","object":null}', "\r", "\u2028"),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.array(line, { maxLength: 10 }).map((lines) => new TextEncoder().encode(lines.join("\n"))),
        fc.uint8Array({ maxLength: 400 }),
      ),
      fc.array(fc.nat(), { maxLength: 20 }),
      fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
      async (bytes, cuts, maxLineBytes) => {
        try {
          const events = await within(2000, "decoding", decodeAll(streamOf(bytes, cuts), maxLineBytes));
          for (const event of events) assert.ok(typeof event.type === "string" && typeof event.object === "object");
        } catch (error) {
          assert.ok(error instanceof KubeApiError, `threw ${error}`);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

// --- Kubeconfig loader -------------------------------------------------------------

const FILE = "/home/dev/.kube/config";
const CA_PEM = await Deno.readTextFile(new URL("./fixtures/ca.pem", import.meta.url));

function validKubeconfig(): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "dev",
    clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", "certificate-authority-data": btoa(CA_PEM) } }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "dev", context: { cluster: "c", user: "u", namespace: "shop" } }],
  };
}

async function load(text: string | undefined) {
  const files: Record<string, string | undefined> = { [FILE]: text };
  const readFile = (path: string) => Promise.resolve(files[path]);
  const { merged, missing } = await loadKubeconfigFiles([FILE], readFile);
  if (missing.length > 0) throw new ConfigError(`Cannot load kubeconfig ${FILE}: missing`, { file: FILE });
  return await accessFromKubeconfig(merged, {
    readFile,
    runExecPlugin: () => Promise.reject(new Error("no plugins here")),
  });
}

/** Loads the text; a failure must be a ConfigError naming the file (and, when given, the field). */
async function loadOrConfigError(text: string, field?: (field: string) => void) {
  try {
    return await within(2000, "loading", load(text));
  } catch (error) {
    assert.ok(error instanceof ConfigError, `threw ${error}`);
    assert.equal(error.file, FILE, error.message);
    assert.ok(error.message.includes(FILE), error.message);
    field?.(error.field ?? "");
    return undefined;
  }
}

Deno.test("the kubeconfig loader answers malformed YAML with a ConfigError naming the file", async () => {
  const yamlish = fc.array(
    fc.constantFrom(
      "clusters:",
      "- name: c",
      "  cluster:",
      "    server: x",
      ": ",
      "- ",
      "[",
      "]",
      "{",
      "}",
      "&a",
      "*a",
      "!!binary",
      '"',
      "'",
      "\t",
      "  ",
      "#",
      "---",
      "...",
      "? ",
      "|",
      ">",
      "%YAML 1.2",
    ),
    { maxLength: 15 },
  ).map((parts) => parts.join(fc.sample(fc.constantFrom("", "\n", " "), 1)[0]));
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: "binary" }), yamlish), async (text) => {
      await loadOrConfigError(text);
    }),
    { numRuns: 1500 },
  );
});

/** Where a malformed value can go, and the field a ConfigError must name for it. */
const FIELDS: [path: (string | number)[], field: string][] = [
  [["clusters", 0, "cluster", "server"], "clusters[0].cluster.server"],
  [["clusters", 0, "cluster", "certificate-authority-data"], "clusters[0].cluster.certificate-authority-data"],
  [["clusters", 0, "cluster", "insecure-skip-tls-verify"], "clusters[0].cluster.insecure-skip-tls-verify"],
  [["clusters", 0, "cluster", "tls-server-name"], "clusters[0].cluster.tls-server-name"],
  [["users", 0, "user", "token"], "users[0].user.token"],
  [["users", 0, "user", "client-key-data"], "users[0].user.client-key-data"],
  [["users", 0, "user", "client-certificate-data"], "users[0].user.client-certificate-data"],
  [["contexts", 0, "context", "namespace"], "contexts[0].context.namespace"],
  [["contexts", 0, "context", "cluster"], "contexts[0].context.cluster"],
];

function setAt(object: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let node = object as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]] = value;
}

Deno.test("the kubeconfig loader names the file and field of a malformed value, bad base64 included", async () => {
  const badValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom("!!!", "Zm9v", "LS0tLS1CRUdJTg", "-----BEGIN CERTIFICATE-----", "====", "aGVsbG8=", "   "),
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...FIELDS), badValue, async ([path, field], value) => {
      const config = validKubeconfig();
      setAt(config, path, value);
      await loadOrConfigError(JSON.stringify(config), (named) => {
        // A context naming an unknown cluster is reported on the context, a key without its certificate (or the
        // reverse) on the missing partner; everything else on the field itself.
        const partner = field.replace(
          /client-(key|certificate)-data$/,
          (_, which) => `client-${which === "key" ? "certificate" : "key"}`,
        );
        assert.ok(
          named === field || named.startsWith(partner) ||
            named.startsWith("contexts[0].context") && field.startsWith("contexts"),
          `${named} for ${field}`,
        );
      });
    }),
    { numRuns: 1500 },
  );
});

Deno.test("the kubeconfig loader ignores unknown fields at every level", async () => {
  // Without `<<` keys at any depth: YAML merge keys, refused (by kubectl too) when their value is not a mapping.
  const extra = fc.dictionary(
    fc.string({ minLength: 1, maxLength: 10 }).filter((key) =>
      !/^(name|cluster|user|context|clusters|users|contexts|current-context|server|token|namespace|exec|auth-provider|as|as-groups|as-uid|as-user-extra|username|password|tokenFile|client-|certificate-|insecure-|tls-|proxy-|disable-|extensions)/
        .test(key)
    ),
    fc.jsonValue({ maxDepth: 2 }),
    { minKeys: 1, maxKeys: 4 },
  ).filter((fields) => !JSON.stringify(fields).includes('"<<"'));
  const expected = await load(JSON.stringify(validKubeconfig()));
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom([], ["clusters", 0], ["clusters", 0, "cluster"], ["users", 0, "user"], [
        "contexts",
        0,
        "context",
      ]),
      extra,
      async (path, fields) => {
        const config = validKubeconfig();
        let node = config as Record<string | number, unknown>;
        for (const key of path) node = node[key] as Record<string | number, unknown>;
        Object.assign(node, fields);
        const access = await load(stringify(config));
        assert.equal(access.server, expected.server);
        assert.equal(access.namespace, expected.namespace);
        assert.equal(access.tls.ca, expected.tls.ca);
        assert.equal(await access.credentials.authorization(), "Bearer t");
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("the kubeconfig loader reports a missing file as a ConfigError naming it", async () => {
  await assert.rejects(() => load(undefined), (error: unknown) => error instanceof ConfigError && error.file === FILE);
});

// --- Endpoint selection over event sequences -------------------------------------------

const SLICE_NAMES = ["echo-a", "echo-b", "echo-c", "echo-v6"];

const sliceArbitrary = (name: string) =>
  fc.record({
    ports: fc.constantFrom(
      [{ name: "grpc", port: 8080 }],
      [{ name: "grpc", port: 9090 }],
      [{ name: "other", port: 1 }],
      [],
    ),
    endpoints: fc.array(
      fc.record({
        ip: fc.integer({ min: 1, max: 6 }),
        pod: fc.option(fc.constantFrom("p0", "p1", "p2", "p3"), { nil: undefined }),
        ready: fc.option(fc.boolean(), { nil: undefined }),
        serving: fc.option(fc.boolean(), { nil: undefined }),
        terminating: fc.option(fc.boolean(), { nil: undefined }),
      }),
      { maxLength: 5 },
    ),
  }).map(({ ports, endpoints }): EndpointSlice => {
    const v6 = name === "echo-v6";
    return {
      metadata: { name, namespace: "prod", labels: { "kubernetes.io/service-name": "echo" } },
      addressType: v6 ? "IPv6" : "IPv4",
      ports: structuredClone(ports) as unknown as EndpointSlice["ports"],
      endpoints: endpoints.map(({ ip, pod, ...conditions }) => ({
        addresses: [v6 ? `fd00::${ip}` : `10.0.0.${ip}`],
        conditions: Object.fromEntries(Object.entries(conditions).filter(([, value]) => value !== undefined)),
        ...(pod ? { targetRef: { kind: "Pod", name: pod, namespace: "prod" } } : {}),
      })),
    };
  });

const change = fc.constantFrom(...SLICE_NAMES).chain((name) =>
  fc.oneof(
    sliceArbitrary(name).map((slice) => ({ kind: "apply" as const, slice })),
    fc.constant({ kind: "delete" as const, name }),
  )
);

/** A LIST of `initial`, then a watch that sends `events` and stays open. */
function scriptedApi(initial: EndpointSlice[], listRv: string, events: WatchEvent[]): EndpointSliceApi {
  let listed = false;
  return {
    redact: (text) => text,
    list() {
      if (listed) return new Promise(() => {});
      listed = true;
      return Promise.resolve({ metadata: { resourceVersion: listRv }, items: structuredClone(initial) });
    },
    watch({ signal }) {
      const text = events.map((event) => JSON.stringify(event) + "\n").join("");
      return Promise.resolve({
        chunks: new ReadableStream<Uint8Array>({
          start(controller) {
            if (text) controller.enqueue(new TextEncoder().encode(text));
            signal.addEventListener("abort", () => controller.error(signal.reason), { once: true });
          },
        }),
        encoding: "json",
      });
    },
  };
}

/** Runs a reflector until its state reaches `rv`; returns the last state's slices. */
async function reflect(api: EndpointSliceApi, rv: string): Promise<EndpointSlice[]> {
  const controller = new AbortController();
  let last: SliceState | undefined;
  let reached: () => void = () => {};
  const done = new Promise<void>((resolve) => reached = resolve);
  const running = runReflector(api, {
    signal: controller.signal,
    stallTimeoutMs: 5000,
    onState(state) {
      last = state;
      if (state.resourceVersion === rv) reached();
    },
    onError(error) {
      throw error;
    },
  });
  try {
    await within(3000, "the reflector", done);
  } finally {
    controller.abort();
    await running;
  }
  return [...last!.slices.values()];
}

Deno.test("any sequence of ADDED, MODIFIED and DELETED events gives the endpoints of the final state listed at once", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(change, { minLength: 1, maxLength: 25 }),
      fc.constantFrom("other", "grpc", 8080),
      async (changes, port) => {
        // Replay the changes as a server would: each gets the next resourceVersion.
        const current = new Map<string, EndpointSlice>();
        const events: WatchEvent[] = [];
        let rv = 100;
        for (const step of changes) {
          rv++;
          if (step.kind === "apply") {
            const slice = structuredClone(step.slice);
            slice.metadata.resourceVersion = String(rv);
            events.push({ type: current.has(slice.metadata.name!) ? "MODIFIED" : "ADDED", object: slice });
            current.set(slice.metadata.name!, slice);
          } else {
            const gone = current.get(step.name);
            if (!gone) continue;
            current.delete(step.name);
            events.push({
              type: "DELETED",
              object: { ...gone, metadata: { ...gone.metadata, resourceVersion: String(rv) } },
            });
          }
        }
        const finalRv = events.length > 0
          ? (events[events.length - 1].object as EndpointSlice).metadata.resourceVersion!
          : "100";
        const watched = await reflect(scriptedApi([], "100", events), finalRv);
        // A fresh LIST returns the final state sorted by name, as the API server does.
        const listedState = [...current.values()].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
        const listed = await reflect(scriptedApi(listedState, finalRv, []), finalRv);
        // The same pods with the same addresses in the same order, whatever order the slices arrived in.
        assert.deepEqual(selectEndpoints(watched, port), selectEndpoints(listed, port));
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("runReflector() answers malformed objects from the server with a KubeApiError and selection never throws", async () => {
  const junkSlice = fc.record({
    metadata: fc.oneof(fc.constant({ name: "echo-a", resourceVersion: "101" }), fc.jsonValue({ maxDepth: 2 })),
    addressType: fc.oneof(fc.constantFrom("IPv4", "IPv6", "FQDN"), fc.jsonValue({ maxDepth: 1 })),
    ports: fc.oneof(fc.constant([{ name: "grpc", port: 8080 }]), fc.jsonValue({ maxDepth: 2 })),
    endpoints: fc.oneof(
      fc.constant([{ addresses: ["10.0.0.1"] }]),
      fc.array(fc.record({ addresses: fc.jsonValue({ maxDepth: 1 }), conditions: fc.jsonValue({ maxDepth: 1 }) })),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  });
  await fc.assert(
    fc.asyncProperty(fc.constantFrom("ADDED", "MODIFIED", "DELETED", "BOOKMARK"), junkSlice, async (type, object) => {
      const controller = new AbortController();
      const errors: unknown[] = [];
      let settled: () => void = () => {};
      const done = new Promise<void>((resolve) => settled = resolve);
      const running = runReflector(scriptedApi([], "100", [{ type, object } as WatchEvent]), {
        signal: controller.signal,
        stallTimeoutMs: 5000,
        backoff: { initialMs: 1000, maxMs: 2000 },
        onState(state) {
          selectEndpoints(state.slices.values(), "grpc");
          if (state.resourceVersion !== "100") settled();
        },
        onError(error) {
          errors.push(error);
          settled();
        },
      });
      // A valid event ends with a new state, a malformed one with an error; neither may hang.
      await within(3000, "the reflector", Promise.race([done, new Promise((resolve) => setTimeout(resolve, 20))]));
      controller.abort();
      await running;
      for (const error of errors) assert.ok(error instanceof KubeApiError && /from the API server/.test(error.message));
    }),
    { numRuns: 200 },
  );
});
