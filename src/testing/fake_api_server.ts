/**
 * An embedded, in-process fake of the part of the Kubernetes API that the
 * resolver uses: listing and watching `discovery.k8s.io/v1` EndpointSlices,
 * `v1` Services (the resolver reads one for its first port) and `v1` Nodes,
 * and `v1` and `events.k8s.io/v1` Events, always none, for `kubectl get events` and `kubectl describe`;
 * `v1` ResourceQuotas and LimitRanges, always none, for `kubectl describe namespace`;
 * `v1` Namespaces (the four a real server creates, and each that held an object), which kubectl reads after a 404.
 * Test a service that resolves through `@kgr/resolver` without a cluster.
 *
 * It answers like kube-apiserver v1.36.3 wherever a client can tell, and
 * `tests/e2e/differential_test.ts` holds it to that: a global, decimal
 * resourceVersion that every change advances (so a filtered watch sees
 * gaps); `limit`/`continue` pages cut as etcd cuts them (a selected list can
 * end with an empty page), exact reads for `limit` with a resourceVersion;
 * label and field selectors; watches that replay history, end their initial
 * events with the `k8s.io/initial-events-end` bookmark, send BOOKMARKs once
 * the resourceVersion moved (it also moves on by itself while no write moves
 * it, as a real cluster's does), end cleanly on `timeoutSeconds`, and answer a
 * resume point the watch cache lost with `200` and a `410 Expired` ERROR
 * event; the real statuses, reasons and messages for refused requests;
 * bearer tokens, with `system:anonymous` for requests without any;
 * discovery, `/version` and health checks; HTTPS. Built on
 * `node:http`/`node:https`, so it runs unchanged on Deno, Bun and Node, and
 * `close()` leaves nothing running.
 *
 * Differences from a real server, all on purpose (the README lists them with
 * their reasons): JSON, and protobuf only for EndpointSlice lists, GETs and
 * watches and for Status errors (a Service, a Node, a review or a discovery
 * document is JSON where a real server writes protobuf, and a 406 when the
 * client accepts no plain JSON; so is YAML or a Table); HTTP/1.1 only, and plain HTTP unless `tls` is given; the
 * resourceVersion moves with this server's own writes and by one per bookmark interval without any (not with every
 * write of a whole cluster); writes only
 * through `applySlice()` and the other methods (the HTTP API is read-only, so
 * objects carry no `managedFields`); `compact()` is an etcd compaction and a
 * watch cache that rolled past every resume point at once, and a write beyond
 * `historyLimit` changes (10,000) compacts all but the newest half; a read of a
 * future resourceVersion waits 1 s (not 3 s); watches without
 * `timeoutSeconds` never time out; loopback and other addresses the real
 * validation rejects are accepted (tests point slices at local servers);
 * Services get cluster IPs and node ports from the test control plane's ranges (10.96.0.0/16, 30000-32767) but
 * derive no slices (the `kubernetes` Service in `default`, there from the start, has none either), and are written
 * in JSON only, as Nodes are; discovery lists only what the fake serves.
 *
 * @example Listing a slice with fetch
 * ```ts
 * import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
 *
 * const server = await startFakeApiServer();
 * try {
 *   server.applySlice(endpointSlice({
 *     namespace: "default",
 *     service: "echo",
 *     port: { name: "grpc", port: 50051 },
 *     endpoints: [{ ip: "10.0.0.1", pod: "echo-0" }],
 *   }));
 *   const response = await fetch(
 *     `${server.url}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices` +
 *       "?labelSelector=kubernetes.io%2Fservice-name%3Decho",
 *   );
 *   const list = await response.json();
 *   console.log(list.items.length); // 1
 * } finally {
 *   await server.close();
 * }
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import type { KubeconfigCluster, KubeconfigContext, KubeconfigObject } from "../cluster/kubeconfig_schema.ts";
import { currentValue, describeValue, isOptionsObject, isRecord, typeName, unknownField } from "../base/_util.ts";
import { nearestName } from "../base/_nearest_name.ts";
import { asyncDisposeKey } from "../base/_async_dispose.ts";
import { createFailureQueue } from "./_failures.ts";
import { createAccessControl } from "./_access_control.ts";
import { createRequestHandler } from "./_handler.ts";
import { createNamespaces, type Namespace } from "./_namespaces.ts";
import type { LimitRange, ResourceQuota } from "./_namespace_policies.ts";
import { startRvProgress } from "./_rv_progress.ts";
import { createRvWaiters } from "./_rv_waiters.ts";
import { copyJson } from "./_json_data.ts";
import { createNodeStore } from "./_node_store.ts";
import { createServiceStore } from "./_service_store.ts";
import { createObjectHistory, type StoredObject } from "./_object_history.ts";
import { createWatchWindow } from "./_watch_window.ts";
import { byStoredKey, type ServedResource, servedResources, storedKey } from "./_served_resources.ts";
import { keyOf, prepareSlice } from "./_slice_input.ts";
import { listenOnFreshPort } from "./_fresh_port.ts";
import { checkTlsPair } from "./_tls_pair.ts";
import { plainHttpFront } from "./_plain_http_front.ts";
import { createWatchHub } from "./_watch.ts";
import type { FakeApiServer, FakeApiServerOptions, KubeconfigOptions, RecordedRequest } from "./server_types.ts";
import type { EndpointSlice, EndpointSliceInput, Node, NodeInput, Service, ServiceInput } from "./types.ts";
import type { Event, GroupEvent } from "./_core_tables.ts";

/** How long a request for a future resourceVersion waits (the real cacher: 3 s). */
const TOO_LARGE_WAIT_MS = 1000;

/** How many EndpointSlice changes the fake keeps by default (see `historyLimit`). */
const DEFAULT_HISTORY_LIMIT = 10_000;

/** What one bearer token is: visible ASCII, no space (kube-apiserver reads `Bearer a b` as the token `a`). */
const BEARER_TOKEN = /^[!-~]+$/;

/**
 * Why a token cannot be sent as one bearer token, and what to do, without quoting it (a token is a secret), or
 * `undefined` when it can.
 *
 * @param token The token given, of any type.
 * @param otherwise The other way out, e.g. "leave 'token' out for no authentication".
 */
function tokenProblem(token: unknown, otherwise: string): string | undefined {
  if (token === undefined || (typeof token === "string" && BEARER_TOKEN.test(token))) return undefined;
  const current = token === null
    ? "is null"
    : typeof token !== "string"
    ? `is of type ${typeName(token)}`
    : token === ""
    ? "is empty"
    : "holds a space, a control character or a non-ASCII character";
  const fix = typeof token === "string" && token !== "" ? `remove those characters, or ${otherwise}` : otherwise;
  return `must be one or more visible ASCII characters without spaces, as one bearer token is: current value ${current} ` +
    `(${fix})`;
}

/** Every option of {@linkcode startFakeApiServer}; the type makes the list whole. */
const SERVER_OPTIONS: readonly string[] = Object.keys(
  {
    token: true,
    tls: true,
    hostname: true,
    port: true,
    bookmarkIntervalMs: true,
    watchCacheSize: true,
    historyLimit: true,
    maxChunkBytes: true,
    watchList: true,
  } satisfies Record<keyof FakeApiServerOptions, true>,
);

/** Every option of {@linkcode FakeApiServer.kubeconfig}; the type makes the list whole. */
const KUBECONFIG_OPTIONS: readonly string[] = Object.keys(
  { namespace: true, ca: true } satisfies Record<keyof KubeconfigOptions, true>,
);

/**
 * Refuses options that are no object of options (a list, a `Map`), and a misspelt option, which left its default
 * without a word (a `namespce` sent the targets without a namespace to `default`), naming the one meant (see
 * `nearestName()`), or every one when none is close. `null` failed with the runtime's "Cannot convert undefined or null to object", a string with
 * `has no option "0"`, and a list was taken for no options. No value is quoted: a misspelt token is a secret.
 */
function checkOptionNames(what: string, options: unknown, known: readonly string[]): void {
  if (!isOptionsObject(options)) {
    throw new TypeError(
      `Cannot ${what} as its options must be an object of ${known.join(", ")}, or left out for the defaults: ` +
        `current ${options === null ? "value is null" : `type is ${typeName(options)}`}`,
    );
  }
  const unknown = unknownField(options, known);
  if (unknown === undefined) return;
  const use = nearestName(unknown, known) ?? known.join(", ");
  throw new TypeError(`Cannot ${what} as it has no option ${JSON.stringify(unknown)}: use ${use}`);
}

/**
 * Refuses a name that is not a string: from JavaScript, `deleteSlice(slice)` deleted nothing and returned false, as
 * for a slice that was not there.
 */
function checkNames(what: string, names: Record<string, unknown>): void {
  for (const [argument, value] of Object.entries(names)) {
    if (typeof value === "string") continue;
    const shown = typeof value === "object" && value !== null
      ? "an object (give its metadata.namespace and metadata.name)"
      : describeValue(value);
    throw new TypeError(`Cannot ${what} as '${argument}' must be a string: current value is ${shown}`);
  }
}

function validateOptions(options: FakeApiServerOptions): void {
  checkOptionNames("start the fake API server", options, SERVER_OPTIONS);
  const { port, bookmarkIntervalMs, maxChunkBytes, watchCacheSize, tls, hostname } = options;
  const problem = tokenProblem(options.token, "leave 'token' out for no authentication");
  if (problem !== undefined) {
    throw new (typeof options.token === "string" ? RangeError : TypeError)(
      `Cannot start the fake API server as 'token' ${problem}`,
    );
  }
  checkNumber("port", port, (value) => Number.isInteger(value) && value >= 0 && value <= 65535, "an integer 0-65535");
  checkNumber(
    "bookmarkIntervalMs",
    bookmarkIntervalMs,
    (value) => Number.isFinite(value) && value > 0,
    "a positive number",
  );
  checkNumber("maxChunkBytes", maxChunkBytes, (value) => Number.isInteger(value) && value >= 1, "a positive integer");
  checkNumber("watchCacheSize", watchCacheSize, (value) => Number.isInteger(value) && value >= 1, "a positive integer");
  checkNumber(
    "historyLimit",
    options.historyLimit,
    (value) => (Number.isInteger(value) && value >= 1) || value === Infinity,
    "a positive integer or Infinity",
  );
  if (options.watchList !== undefined && typeof options.watchList !== "boolean") {
    throw new TypeError(
      `Cannot start the fake API server as 'watchList' must be true or false: ${currentValue(options.watchList)}`,
    );
  }
  // Was: "Cannot read properties of null", or a plain HTTP server for a tls of the wrong shape.
  if (tls !== undefined && !(isRecord(tls) && typeof tls.cert === "string" && typeof tls.key === "string")) {
    throw new TypeError(
      "Cannot start the fake API server as 'tls' must be { cert, key } of PEM strings (leave it out for plain HTTP): " +
        (tls === null ? currentValue(null) : `current type is ${typeName(tls)}`),
    );
  }
  if (tls !== undefined) checkTlsPair(tls.cert, tls.key);
  // Was: "hostname.includes is not a function"; an empty one listened on every interface.
  if (hostname !== undefined && (typeof hostname !== "string" || hostname === "")) {
    throw new TypeError(
      `Cannot start the fake API server as 'hostname' must be an address to listen on, such as "127.0.0.1": ` +
        currentValue(hostname),
    );
  }
  // Was: "getaddrinfo ENOTFOUND [::1]" on Node and Deno; Bun listened and gave the URL http://[[::1]]:PORT.
  if (hostname?.startsWith("[") === true) {
    throw new RangeError(
      `Cannot start the fake API server as 'hostname' must be an address to listen on, written without brackets ` +
        `(an IPv6 address such as "::1" comes in brackets only in the URL): ${currentValue(hostname)}`,
    );
  }
}

/**
 * Refuses a numeric option that is not a number (`TypeError`, `null` included) or out of range (`RangeError`),
 * showing its value as written: `"5"` for a string, `NaN` for NaN.
 */
function checkNumber(name: string, value: unknown, ok: (value: number) => boolean, what: string): void {
  if (value === undefined || (typeof value === "number" && ok(value))) return;
  throw new (typeof value === "number" ? RangeError : TypeError)(
    `Cannot start the fake API server as '${name}' must be ${what}: ${currentValue(value)}`,
  );
}

function kubeconfigFor(url: string, token: string | undefined, options: KubeconfigOptions): KubeconfigObject {
  checkOptionNames("write a kubeconfig", options, KUBECONFIG_OPTIONS);
  for (const name of ["namespace", "ca"] as const) {
    const value: unknown = options[name];
    if (value !== undefined && (typeof value !== "string" || value === "")) {
      throw new TypeError(`Cannot write a kubeconfig as '${name}' must be a non-empty string: ${currentValue(value)}`);
    }
  }
  const cluster: KubeconfigCluster = { server: url };
  if (options.ca !== undefined) {
    cluster["certificate-authority-data"] = Buffer.from(options.ca).toString("base64");
  }
  const context: KubeconfigContext = { cluster: "fake-api-server", user: "fake-api-server" };
  if (options.namespace !== undefined) context.namespace = options.namespace;
  return {
    apiVersion: "v1",
    kind: "Config",
    preferences: {},
    clusters: [{ name: "fake-api-server", cluster }],
    users: [{ name: "fake-api-server", user: token === undefined ? {} : { token } }],
    contexts: [{ name: "fake-api-server", context }],
    "current-context": "fake-api-server",
  };
}

/**
 * Starts a fake Kubernetes API server that serves EndpointSlice, Service and
 * Node lists and watches on loopback. Stop it with `close()`.
 *
 * @param options Authentication, TLS, address, bookmark cadence and chunking.
 * @returns The running server.
 * @throws {RangeError} When an option is out of range, or `tls` is no certificate and its private key.
 * @throws {TypeError} When the options are no object, or an option is unknown (misspelt) or of the wrong type, `null`
 * included (an option left out, or `undefined`, takes its default).
 *
 * @example Serving HTTPS with a token
 * ```ts ignore
 * import { startFakeApiServer } from "@kgr/resolver/testing";
 *
 * // Your test certificate for 127.0.0.1 (its subjectAltName), its key, and the CA that issued it: for example
 * // openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=fake -addext subjectAltName=IP:127.0.0.1
 * //   -keyout server-key.pem -out server.pem (a self-signed certificate is its own CA)
 * const server = await startFakeApiServer({
 *   token: "secret",
 *   tls: { cert: await Deno.readTextFile("server.pem"), key: await Deno.readTextFile("server-key.pem") },
 * });
 * const kubeconfig = server.kubeconfig({ ca: await Deno.readTextFile("server.pem") });
 * await Deno.writeTextFile("kubeconfig.json", JSON.stringify(kubeconfig));
 * await server.close();
 * ```
 *
 * @example Closed when the block ends, a failed assertion's throw included
 * ```ts
 * import { startFakeApiServer } from "@kgr/resolver/testing";
 *
 * {
 *   await using server = await startFakeApiServer();
 *   const response = await fetch(`${server.url}/version`);
 *   console.log((await response.json()).gitVersion); // "v1.36.3"
 * } // server.close() has run here: nothing keeps the process alive
 * ```
 *
 * @example Making the next list fail with a 429
 * ```ts
 * import { startFakeApiServer } from "@kgr/resolver/testing";
 *
 * const server = await startFakeApiServer();
 * try {
 *   server.failNext(1, { status: 429, retryAfterSeconds: 1, path: "list" });
 *   const response = await fetch(`${server.url}/apis/discovery.k8s.io/v1/endpointslices`);
 *   console.log(response.status, response.headers.get("retry-after")); // 429 "1"
 *   await response.body?.cancel();
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  validateOptions(options);
  const hostname = options.hostname ?? "127.0.0.1";
  // One resourceVersion for every resource, as etcd has one revision.
  const uncached = { historyLimit: options.historyLimit ?? DEFAULT_HISTORY_LIMIT, clock: { rv: 1 } };
  // One window for every resource a real server caches: its watch caches all start where it (re)started.
  const window = options.watchCacheSize === undefined ? undefined : createWatchWindow(options.watchCacheSize);
  const limits = { ...uncached, window };
  const history = createObjectHistory<EndpointSlice>(limits);
  const resources = servedResources({
    endpointslices: history,
    services: createObjectHistory<Service>(limits),
    nodes: createObjectHistory<Node>(limits),
    // kube-apiserver v1.36.3 keeps no watch cache of Events: a watch of them resumes from etcd's history (measured).
    events: createObjectHistory<Event>(uncached),
    groupEvents: createObjectHistory<GroupEvent>(uncached),
    namespaces: createObjectHistory<Namespace>(limits),
    resourcequotas: createObjectHistory<ResourceQuota>(limits),
    limitranges: createObjectHistory<LimitRange>(limits),
  });
  const services = createServiceStore(resources.services.history.current);
  const nodes = createNodeStore(resources.nodes.history.current);
  const waiters = createRvWaiters(() => history.rv, TOO_LARGE_WAIT_MS);
  const bookmarkIntervalMs = options.bookmarkIntervalMs ?? 60_000;
  const watches = createWatchHub({
    clock: limits.clock,
    waiters,
    bookmarkIntervalMs,
    maxChunkBytes: options.maxChunkBytes,
    watchList: options.watchList ?? true,
  });
  const failures = createFailureQueue();
  const access = createAccessControl();
  const namespaces = createNamespaces(
    new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    resources.namespaces.history,
  );
  const sockets = new Set<Socket>();
  const requests: RecordedRequest[] = [];
  let token = options.token;
  let closing: Promise<void> | undefined;

  let address = "";
  const handle = createRequestHandler({
    resources,
    waiters,
    watches,
    failures,
    access,
    namespaces,
    requests,
    token: () => token,
    serverAddress: () => address,
  });

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume();
    void handle(req, res);
  };
  const server: Server = options.tls === undefined
    ? createHttpServer(onRequest)
    : createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest);
  // Go's API server keeps an idle HTTP/1.1 connection for 90 s (Node's default is 5 s).
  server.keepAliveTimeout = 90_000;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  server.on("connection", track);
  // Plain HTTP to the TLS port gets kube-apiserver's 400, from a listener in front of the HTTPS server.
  const front = options.tls === undefined ? undefined : plainHttpFront(server, track);
  const port = await listenOnFreshPort(front ?? server, options.port ?? 0, hostname);
  // The HTTPS server behind it listens on loopback once the port was had: a port refused leaves nothing listening.
  if (front !== undefined) await listenOnFreshPort(server, 0, hostname.includes(":") ? "::1" : "127.0.0.1");
  address = `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  seedKubernetesService(port);
  // At the bookmark cadence: a quiet watch's first periodic bookmark comes one or two intervals after its start.
  const progress = startRvProgress({ history, waiters, intervalMs: bookmarkIntervalMs });
  const url = `${options.tls === undefined ? "http" : "https"}://${address}`;

  /**
   * Refuses a change or a kubeconfig after `close()`: no client could see the change or reach the server, and a test
   * that makes one has a bug.
   */
  function checkOpen(what: string): void {
    if (closing !== undefined) throw new Error(`Cannot ${what}: the fake API server was closed`);
  }

  /**
   * The `kubernetes` Service in `default`, which every real cluster has from its API server's start (`kubectl get
   * services -A` lists it), stored as a real server writes it (measured on v1.36.3: its labels, its one port `https`
   * 443 to the server's own port, the first address of the service range), as every Service of the fake; no
   * EndpointSlice goes with it.
   */
  function seedKubernetesService(listening: number): void {
    const { service } = services.apply({
      metadata: {
        namespace: "default",
        name: "kubernetes",
        labels: { component: "apiserver", provider: "kubernetes" },
      },
      spec: {
        clusterIP: "10.96.0.1",
        ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: listening }],
      },
    }, resources.services.history.rv);
    resources.services.history.seed(storedKey(service.metadata), service);
  }

  function applySlice(input: EndpointSliceInput): EndpointSlice {
    checkOpen("apply the EndpointSlice");
    const prepared = prepareSlice(input, history.current, history.nextRv());
    if ("unchanged" in prepared) return copyJson(prepared.unchanged);
    record(resources.endpointslices, prepared.key, prepared.stored);
    return copyJson(prepared.stored);
  }

  function deleteSlice(namespace: string, name: string): boolean {
    checkOpen("delete the EndpointSlice");
    checkNames("delete the EndpointSlice", { namespace, name });
    return record(resources.endpointslices, keyOf(namespace, name), undefined);
  }

  /**
   * Stores a change of an EndpointSlice, Service or Node made at the next resourceVersion (`now`, or undefined for a
   * deletion) and sends it to the watches; whether there was a change (a deletion of nothing is none).
   */
  function record<T extends StoredObject>(resource: ServedResource<T>, key: string, now: T | undefined): boolean {
    const { history: stored } = resource;
    const existing = stored.current.get(key);
    if (now === undefined && existing === undefined) return false;
    const madeNamespace = now?.metadata.namespace === undefined ? undefined : namespaces.hold(now.metadata.namespace);
    if (madeNamespace !== undefined) watches.publish(resources.namespaces, madeNamespace);
    const change = now !== undefined
      ? stored.record(existing === undefined ? "ADDED" : "MODIFIED", key, now, existing)
      : stored.record("DELETED", key, {
        ...existing!,
        metadata: { ...existing!.metadata, resourceVersion: String(stored.nextRv()) },
      }, existing);
    watches.publish(resource, change);
    waiters.wake();
    return true;
  }

  function applyService(input: ServiceInput): Service {
    checkOpen("apply the Service");
    const { service, changed } = services.apply(input, resources.services.history.nextRv());
    if (changed) record(resources.services, storedKey(service.metadata), service);
    return copyJson(service);
  }

  function applyNode(input: NodeInput): Node {
    checkOpen("apply the Node");
    const { node, changed } = nodes.apply(input, resources.nodes.history.nextRv());
    if (changed) record(resources.nodes, storedKey(node.metadata), node);
    return copyJson(node);
  }

  function close(): Promise<void> {
    if (closing !== undefined) return closing;
    progress.stop();
    waiters.close();
    watches.closeAll();
    closing = new Promise<void>((resolve) => {
      let open = front === undefined ? 1 : 2;
      const closed = () => --open === 0 && resolve();
      server.close(closed);
      front?.close(closed);
      (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    });
    return closing;
  }

  return {
    url,
    kubeconfig(kubeconfigOptions = {}) {
      // A closed server's config went to a channel that said only "cannot reach the API server at ...".
      checkOpen("write a kubeconfig");
      return kubeconfigFor(url, token, kubeconfigOptions);
    },
    get resourceVersion() {
      return String(history.rv);
    },
    applySlice,
    deleteSlice,
    applyService,
    applyNode,
    deleteNode(name) {
      checkNames("delete the Node", { name });
      checkOpen("delete the Node");
      return record(resources.nodes, name, undefined);
    },
    deleteService(namespace, name) {
      checkNames("delete the Service", { namespace, name });
      checkOpen("delete the Service");
      return record(resources.services, `${namespace}/${name}`, undefined);
    },
    slices(namespace) {
      // Was: [] for null or a number, as for a namespace without slices, where deleteSlice() refused them.
      if (namespace !== undefined) checkNames("list the EndpointSlices", { namespace });
      return [...history.current.values()]
        .filter((slice) => namespace === undefined || slice.metadata.namespace === namespace)
        .sort(byStoredKey)
        .map((slice) => copyJson(slice));
    },
    compact() {
      checkOpen("compact the history");
      for (const resource of Object.values(resources)) resource.history.compact();
    },
    dropWatches: () => watches.dropAll(),
    endWatches: () => watches.endAll(),
    failNext(count, failure) {
      checkOpen("inject failures");
      failures.add(count, failure);
    },
    setToken(next) {
      checkOpen("set the token");
      const problem = tokenProblem(next, "pass undefined to turn authentication off");
      if (problem !== undefined) throw new RangeError(`Cannot set the token as it ${problem}`);
      token = next;
    },
    setAccess(next) {
      checkOpen("set the access rules");
      access.set(next);
    },
    get requests() {
      return requests.map((request) => ({ ...request, query: { ...request.query } }));
    },
    get pendingFailures() {
      return failures.pending;
    },
    get openWatches() {
      return watches.size;
    },
    close,
    [asyncDisposeKey()]: close,
  };
}
