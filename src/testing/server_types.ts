/**
 * The public shape of the fake API server: its options, what it records and
 * injects, who its client is ({@linkcode FakeAccess}), and the {@linkcode FakeApiServer} object itself.
 *
 * @module
 */

import type { KubeconfigObject } from "../cluster/kubeconfig_schema.ts";
import type { AsyncDisposableWhereDeclared } from "../base/optional_globals.ts";
import type { EndpointSlice, EndpointSliceInput, Node, NodeInput, Service, ServiceInput } from "./types.ts";

/**
 * Options of {@linkcode startFakeApiServer}.
 *
 * @example An HTTPS server that wants a token and sends bookmarks every 100 ms
 * ```ts
 * import type { FakeApiServerOptions } from "@kgr/resolver/testing";
 * const options: FakeApiServerOptions = {
 *   token: "secret",
 *   tls: { cert: "-----BEGIN CERTIFICATE-----…", key: "-----BEGIN PRIVATE KEY-----…" },
 *   bookmarkIntervalMs: 100,
 * };
 * console.log(options.bookmarkIntervalMs);
 * ```
 */
export interface FakeApiServerOptions {
  /**
   * When set, every request must carry `Authorization: Bearer <token>`: one
   * with other credentials gets a `401` Status, and one without any is
   * `system:anonymous`, which gets a `403` Status except for `/version` and
   * the health checks, as on a real server. Change it later with `setToken()`.
   * One or more visible ASCII characters without spaces (what one bearer
   * token is); others make `startFakeApiServer()` throw a `RangeError`.
   *
   * @default {undefined} (no authentication)
   */
  token?: string | undefined;
  /**
   * A PEM certificate chain (the server's certificate first) and its private key: serve HTTPS. Without it, plain
   * HTTP. A `cert` that holds no certificate, or a `key` that is not its private key, makes `startFakeApiServer()`
   * throw a `RangeError`.
   */
  tls?: { cert: string; key: string } | undefined;
  /**
   * The address to listen on; an IPv6 one without brackets (`"::1"`).
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string | undefined;
  /**
   * The port to listen on; `0` picks a free one that no earlier fake API
   * server of this process had: the resolver remembers per server URL whether
   * it serves streaming lists, so a server with `watchList: false` would
   * otherwise make a later one on the same port look like it.
   *
   * @default {0}
   */
  port?: number | undefined;
  /**
   * How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK, from
   * the watch's start, once the resourceVersion has moved past that start (as
   * on a real server). It is also how often the resourceVersion moves on by
   * one with no object change when no write moved it during the interval, as
   * other objects' writes move a real cluster's: a watch of a quiet server
   * gets its first bookmark one or two intervals after it starts (a quiet
   * kube-apiserver v1.36.3: 60 to 120 s), as a client's stall detection
   * expects. Above 75 s, the resolver's watches resume each time a bookmark
   * is late, as from a hung server (unreported, no LIST).
   *
   * @default {60000}
   */
  bookmarkIntervalMs?: number | undefined;
  /**
   * How many of the latest changes a watch can resume from, like a real
   * server's watch caches: a watch from an older resourceVersion gets `200`
   * and a `410 Expired` ERROR event. The changes are counted over every
   * resource a real server caches (EndpointSlices, Services, Nodes,
   * Namespaces), which share one resourceVersion: a Service watch from before
   * the window expires though no Service changed since, as after a restart of
   * kube-apiserver, whose watch caches all start where it started (Events,
   * which it does not cache, still resume). Lists still read older states the
   * fake holds (see `historyLimit` and `compact()`), as a real server reads
   * them from etcd.
   *
   * @default {undefined} (every change the fake holds, as a real server's
   * watch cache holds under a burst of writes)
   */
  watchCacheSize?: number | undefined;
  /**
   * How many EndpointSlice changes the fake keeps at most, so that a long
   * demo, benchmark or soak stays within bounded memory (100-endpoint slices
   * take about 31 KiB a change: 10,000 changes about 300 MiB). A write that
   * goes beyond it compacts all but the newest half of it, as
   * kube-apiserver's compactor compacts etcd every 5 minutes, keeping 5 to 10
   * minutes of history: a watch from an older resourceVersion then gets `200`
   * and a `410 Expired` ERROR event ("too old resource version"), exact lists
   * of an older state and older continue tokens a `410`, as after
   * `compact()`. `Infinity` keeps every change until `compact()`.
   *
   * @default {10000} (a real watch cache holds at least 75 s of changes, up
   * to 102,400)
   */
  historyLimit?: number | undefined;
  /**
   * Whether the server's `WatchList` feature gate is on, as it is by default
   * from Kubernetes 1.34 (1.33 ships it off). With `false`, the fake answers
   * as kube-apiserver v1.36.3 with `--feature-gates=WatchList=false` does: a
   * watch with `sendInitialEvents` gets `422 Invalid` ("sendInitialEvents is
   * forbidden for watch unless the WatchList feature gate is enabled"), and a
   * watch of the current state (`resourceVersion` `0` or none) that allows
   * bookmarks ends its initial events with no `k8s.io/initial-events-end`
   * bookmark. Use it to test a client's fallback to LIST and WATCH.
   * @default {true}
   */
  watchList?: boolean | undefined;
  /**
   * When set, every write of a watch response is cut into pieces of at most
   * this many bytes, sent one event-loop turn apart, so clients see events
   * split anywhere, even inside a UTF-8 character.
   *
   * @default {undefined} (one write per event)
   */
  maxChunkBytes?: number | undefined;
}

/**
 * An HTTP error that {@linkcode FakeApiServer.failNext} injects.
 *
 * @example Throttling the next watch
 * ```ts
 * import type { InjectedFailure } from "@kgr/resolver/testing";
 * const failure: InjectedFailure = { status: 429, retryAfterSeconds: 2, path: "watch" };
 * console.log(failure.status);
 * ```
 */
export interface InjectedFailure {
  /**
   * The HTTP status, e.g. `429`, `500`, `503`, `403`. A `429` without a `reason` or `message` is answered as
   * kube-apiserver's API Priority and Fairness throttles a request: `text/plain` `Too many requests, please try
   * again later.`, no Status (it always sends a `Retry-After`: give `retryAfterSeconds` too). With either, it is a
   * Status, as the watch cache's `429` while it starts (`message: "storage is (re)initializing"`,
   * `retryAfterSeconds: 1`).
   */
  status: number;
  /** The Status `reason`; defaults to the usual one for `status` (`TooManyRequests` for 429). */
  reason?: string | undefined;
  /**
   * The Status `message`. With neither `reason` nor `message`, the answer is the real server's for the usual cause
   * of `status`: a 409 is a write conflict (`Operation cannot be fulfilled on endpointslices.discovery.k8s.io
   * "": the object has been modified; ...`), a 410 an exact list too old (`The resourceVersion for the provided
   * list is too old.`; a watch gets an ERROR event), a 422 a streaming list on a server whose `WatchList` gate is
   * off, a 504 the request deadline as its timeout filter writes it (`Timeout: request did not complete within the
   * allotted timeout`, in plain text, the Status without `kind` or `apiVersion`). A 400 keeps client-go's words for
   * one without a Status (`the server rejected our request for an unknown reason`): a real 400 quotes the
   * parameter it could not read, and an injected one has none.
   */
  message?: string | undefined;
  /** Sets a `Retry-After` header, and a Status's `details.retryAfterSeconds` (not on a watch's `410` event). */
  retryAfterSeconds?: number | undefined;
  /**
   * Which requests fail: lists, watches (of EndpointSlices, Services or
   * Nodes: a `kubectl get svc -w` takes a `watch` failure as the resolver's
   * slice watch does), reads of one object (`get`: a Service, a Node or an
   * EndpointSlice), or any request. A streaming list (WatchList,
   * `sendInitialEvents=true`), which the resolver makes by default in place
   * of a LIST, is a watch. Other reads (of a Namespace, and the Events,
   * ResourceQuotas and LimitRanges that `kubectl describe` lists) fail only
   * with `any`.
   *
   * @default {"any"}
   */
  path?: "list" | "watch" | "get" | "any" | undefined;
}

/**
 * Options of {@linkcode FakeApiServer.kubeconfig}.
 *
 * @example A kubeconfig for the `shop` namespace
 * ```ts
 * import type { KubeconfigOptions } from "@kgr/resolver/testing";
 * const options: KubeconfigOptions = { namespace: "shop" };
 * console.log(options.namespace);
 * ```
 */
export interface KubeconfigOptions {
  /** The context's namespace. */
  namespace?: string | undefined;
  /** A PEM CA certificate, written as `certificate-authority-data`. */
  ca?: string | undefined;
}

/**
 * One request the fake server received. The `Authorization` header is never
 * recorded.
 *
 * @example Counting the watches a client opened
 * ```ts
 * import type { RecordedRequest } from "@kgr/resolver/testing";
 * function watches(requests: RecordedRequest[]): number {
 *   return requests.filter((request) => request.kind === "watch").length;
 * }
 * console.log(watches([]));
 * ```
 */
export interface RecordedRequest {
  /** The HTTP method. */
  method: string;
  /** The URL path, without the query. */
  path: string;
  /**
   * The decoded query parameters (the first value of each), as the server read them: like a real server, it
   * drops a pair with a raw `;` or a malformed escape.
   */
  query: Record<string, string>;
  /**
   * `list` or `watch` for the EndpointSlice, Service and Node collections (a
   * streaming list, with `sendInitialEvents=true` in `query`, is a `watch`), `get` for a read of one
   * object (a Service, a Node or an EndpointSlice), `other` for anything
   * else (Namespaces, which the resolver reads only to explain a missing Service; the Events, ResourceQuotas and
   * LimitRanges that kubectl reads; discovery, `/version`, health checks, access reviews, paths the server does not
   * serve).
   */
  kind: "list" | "watch" | "get" | "other";
  /** The HTTP status sent; `0` while a list waits for its answer. */
  status: number;
  /** When the request arrived, in milliseconds since the epoch. */
  at: number;
}

/**
 * A running fake API server; see {@linkcode startFakeApiServer}.
 *
 * @example Changing a slice while a client watches
 * ```ts
 * import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
 *
 * const server = await startFakeApiServer();
 * try {
 *   const first = server.applySlice(endpointSlice({
 *     namespace: "default",
 *     service: "echo",
 *     endpoints: [{ ip: "10.0.0.1" }],
 *   }));
 *   const watch = await fetch(
 *     `${server.url}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices` +
 *       `?watch=true&resourceVersion=${first.metadata.resourceVersion}`,
 *   );
 *   server.applySlice(endpointSlice({
 *     namespace: "default",
 *     service: "echo",
 *     endpoints: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }],
 *   }));
 *   const reader = watch.body!.pipeThrough(new TextDecoderStream()).getReader();
 *   const { value } = await reader.read();
 *   console.log(JSON.parse(value!.split("\n")[0]).type); // "MODIFIED"
 *   await reader.cancel();
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export interface FakeApiServer extends AsyncDisposableWhereDeclared {
  /** The base URL, e.g. `http://127.0.0.1:43567`. */
  readonly url: string;
  /**
   * A kubeconfig object (`apiVersion: v1`, `kind: Config`) whose current
   * context points at this server with the current token, ready for a
   * kubeconfig loader (write it as JSON, which is valid YAML).
   *
   * @param options The namespace and the CA certificate to write.
   * @returns The kubeconfig.
   * @throws {TypeError} When the options are no object, or an option is unknown (misspelt).
   * @throws {Error} After `close()`: no client could reach the server.
   */
  kubeconfig(options?: KubeconfigOptions): KubeconfigObject;
  /** The current global resourceVersion, a decimal counter like etcd's. */
  readonly resourceVersion: string;
  /**
   * Creates a slice (ADDED) or replaces the one with the same namespace and
   * name (MODIFIED); a replacement that changes nothing is a no-op, like on
   * a real server. Assigns `resourceVersion`, `uid`, `creationTimestamp` and
   * `generation`.
   *
   * @param slice The slice to store.
   * @returns A copy of the stored slice.
   * @throws {TypeError} When the slice is invalid (no namespace, no name, a
   * namespace or name kube-apiserver would refuse, bad address type, an
   * address of the wrong kind, a changed address type, more than 1,000
   * endpoints, a field of the wrong JSON type such as `ready: "false"`).
   */
  applySlice(slice: EndpointSliceInput): EndpointSlice;
  /**
   * Deletes a slice; watchers get a DELETED event carrying its last state
   * with a new resourceVersion.
   *
   * @param namespace The slice's namespace.
   * @param name The slice's name.
   * @returns Whether the slice existed.
   * @throws {TypeError} When the namespace or name is not a string (a slice object, say).
   */
  deleteSlice(namespace: string, name: string): boolean;
  /**
   * Creates or replaces a Service, served at
   * `GET /api/v1/namespaces/<namespace>/services/<name>` (the only Service
   * route). A write advances the global resourceVersion, as on a real server;
   * a replacement that changes nothing is a no-op.
   *
   * @param service The Service to store.
   * @returns A copy of the stored Service.
   * @throws {TypeError} When the Service is invalid (no namespace or name,
   * a namespace or name kube-apiserver would refuse, a port out of range,
   * unnamed or repeated names among several ports, a label or selector key
   * or value it would refuse).
   */
  applyService(service: ServiceInput): Service;
  /**
   * Deletes a Service; a read of it then gets a `404 NotFound` Status. Its slices stay (a cluster's garbage
   * collector deletes those it owns): delete them with {@linkcode FakeApiServer.deleteSlice}.
   *
   * @param namespace The Service's namespace.
   * @param name The Service's name.
   * @returns Whether the Service existed.
   * @throws {TypeError} When the namespace or name is not a string.
   */
  deleteService(namespace: string, name: string): boolean;
  /**
   * Creates or replaces a Node, served at `GET /api/v1/nodes/<name>`: the
   * resolver reads the `topology.kubernetes.io/zone` label of its own Node
   * when only `NODE_NAME` (or `locality.node`) is known. A write advances the
   * global resourceVersion; a replacement that changes nothing is a no-op.
   *
   * @param node The Node's name and labels.
   * @returns A copy of the stored Node.
   * @throws {TypeError} When the name is not a DNS-1123 subdomain or a label is not a string.
   */
  applyNode(node: NodeInput): Node;
  /**
   * Deletes a Node; a read of it then gets a `404 NotFound` Status.
   *
   * @param name The Node's name.
   * @returns Whether the Node existed.
   * @throws {TypeError} When the name is not a string.
   */
  deleteNode(name: string): boolean;
  /**
   * The current slices, sorted by namespace and name.
   *
   * @param namespace Only this namespace; all when omitted.
   * @returns Copies of the stored slices.
   * @throws {TypeError} When the namespace is neither a string nor `undefined`.
   */
  slices(namespace?: string): EndpointSlice[];
  /**
   * Forgets the history up to the current resourceVersion, like an etcd
   * compaction after which the watch cache no longer holds the old changes
   * either (on a real server, a restart): later watches from an older
   * resourceVersion get a `410 Expired` ERROR event, exact lists of an older
   * state (`resourceVersionMatch=Exact`, or `limit` with a resourceVersion)
   * and older continue tokens a `410`.
   */
  compact(): void;
  /** Ends every open watch abruptly, by destroying its connection. */
  dropWatches(): void;
  /** Ends every open watch cleanly, like a server-side timeout. */
  endWatches(): void;
  /**
   * Makes the next `count` matching requests fail with this HTTP error and
   * a Kubernetes Status body (a `429` without a `reason` or `message`: the
   * plain text of API Priority and Fairness, as on a real server). Checked
   * after authentication, before routing. A `410` on a watch comes as a
   * real server sends a resourceVersion too old to watch from: `200`, then
   * one ERROR event with the Status (`too old resource version: 7 (8)`,
   * naming the watch's resourceVersion), then a clean end; its watch options
   * are checked first, as for any watch, and it has no `Retry-After`.
   *
   * @param count How many requests fail.
   * @param failure The error and which requests it hits.
   * @throws {TypeError} When `failure` is not an object, has a field an {@linkcode InjectedFailure} does not have,
   * or a value of the wrong type (`null` included: leave an optional field out), or `count` is not a number.
   * @throws {RangeError} When `count` is not a non-negative integer, the status not 400-599, the path none of
   * `list`, `watch`, `get` and `any`, or `retryAfterSeconds` not a non-negative integer.
   */
  failNext(count: number, failure: InjectedFailure): void;
  /**
   * How many requests the failures that {@linkcode FakeApiServer.failNext} queued are still to fail. A test that
   * expects its failures to have hit can check that it is `0`: one for `path: "list"` waits for a LIST, which the
   * resolver, reading the state with a streaming list (a watch) by default, makes only after one failed.
   */
  readonly pendingFailures: number;
  /**
   * Changes the accepted token; `undefined` turns authentication off.
   *
   * @param token The new token.
   * @throws {RangeError} When the token is empty or holds a space, a control
   * or a non-ASCII character: no client could send it as one bearer token.
   */
  setToken(token: string | undefined): void;
  /**
   * Sets who the client is and what it may do, as RBAC would: lists, watches
   * and reads that no rule allows get a `403 Forbidden` Status, and
   * SelfSubjectAccessReviews and SelfSubjectReviews answer from the same
   * rules. `undefined` (the default) allows everything, as for an admin.
   *
   * @param access The user name, groups and rules.
   * @throws {TypeError} When `access` has no `username`, a field it does not know, or a rule without a list of
   * `verbs`, `apiGroups` or `resources`.
   */
  setAccess(access: FakeAccess | undefined): void;
  /** A copy of every request received so far, oldest first. */
  readonly requests: RecordedRequest[];
  /** How many watch responses are open. */
  readonly openWatches: number;
  /**
   * Ends every watch and connection, clears every timer and stops
   * listening. Safe to call twice. Changes after it (applying or deleting a
   * slice, Service or Node, `compact()`, `failNext()`, `setToken()`,
   * `setAccess()`) throw: no client could see them; so does `kubeconfig()`, whose server no longer listens. `[Symbol.asyncDispose]()` calls it too, for `await using`
   * (where the project's lib or types declare `Symbol.asyncDispose`): the server stops when the block that holds it
   * ends, by a throw too, so that a failed test leaves no server that keeps the process alive.
   *
   * @returns A promise that settles once the server has stopped.
   */
  close(): Promise<void>;
}

/**
 * One rule, as in a Role or ClusterRole: `*` matches any verb, group or
 * resource.
 *
 * @example What the resolver needs in namespace shop
 * ```ts
 * import type { AccessRule } from "@kgr/resolver/testing";
 * const rule: AccessRule = {
 *   verbs: ["list", "watch"],
 *   apiGroups: ["discovery.k8s.io"],
 *   resources: ["endpointslices"],
 *   namespace: "shop",
 * };
 * console.log(rule.verbs);
 * ```
 */
export interface AccessRule {
  /** Verbs, e.g. `list`, `watch`, `get`. */
  verbs: string[];
  /** API groups; `""` is the core group (services, nodes). */
  apiGroups: string[];
  /** Resources, e.g. `endpointslices`. */
  resources: string[];
  /** The namespace the rule applies in (a Role); absent: every namespace and cluster-wide objects (a ClusterRole). */
  namespace?: string | undefined;
}

/**
 * The client's identity and what it may do, for {@linkcode FakeApiServer.setAccess}.
 *
 * @example A service account that may only read slices in shop
 * ```ts
 * import type { FakeAccess } from "@kgr/resolver/testing";
 * const access: FakeAccess = {
 *   username: "system:serviceaccount:shop:cart-client",
 *   rules: [{ verbs: ["list", "watch"], apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], namespace: "shop" }],
 * };
 * console.log(access.username);
 * ```
 */
export interface FakeAccess {
  /** The user name a SelfSubjectReview reports and 403 messages quote. */
  username: string;
  /**
   * The user's groups. A SelfSubjectReview lists `system:authenticated` after them, as kube-apiserver adds it to
   * every authenticated user (unless they hold it or `system:unauthenticated`, or the user is `system:anonymous`).
   */
  groups?: string[] | undefined;
  /** What the user may do; nothing else is allowed. */
  rules: AccessRule[];
}
