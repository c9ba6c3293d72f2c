/**
 * The two servers of the differential test behind one interface, and the
 * normalization that makes their answers comparable: the embedded fake API
 * server and a real kube-apiserver (with anonymous authentication on, as a
 * kube-apiserver runs by default).
 *
 * What normalization hides, and why:
 * - resourceVersions: the real server's count every write of the cluster, the
 *   fake's only its slices and Services. Each becomes the label of the write
 *   that made it (`w3`), or `current` for a list or bookmark at or after the
 *   latest write; digits in messages become `#`.
 * - `uid`, `creationTimestamp`: generated.
 * - continue tokens: opaque; only whether one is there is kept.
 * - `managedFields`: the fake writes none (a known difference, checked on its
 *   own in the test).
 * - Timing: the too-large wait (1 s on the fake, 3 s on the real server).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type EndpointSliceInput,
  type FakeApiServer,
  type FakeApiServerOptions,
  type ServiceInput,
  startFakeApiServer,
} from "@kgr/resolver/testing";
import type { ControlPlane } from "./control_plane.ts";
import {
  bindEndpointSliceReader,
  createEndpointSliceReaderRole,
  createServiceAccount,
  kubeRequest,
  requestToken,
} from "./kube_objects.ts";
import { ZONE_LABEL } from "./workloads.ts";
import { sliceEventHead } from "../../src/watch/watch_decoder.ts";
import { decodeEndpointSlice } from "../../src/api/protobuf/endpoint_slice.ts";
import { openEnvelope } from "../../src/api/protobuf/envelope.ts";
import { FrameSplitter } from "../../src/api/protobuf/frame_splitter.ts";
import { decodeEndpointSliceList, decodeStatusBody, decodeWatchEvent } from "../../src/api/protobuf/messages.ts";
import { WireReader } from "../../src/api/protobuf/wire_reader.ts";

/** The namespace of every object of the test, on both servers. */
export const NAMESPACE = "diff";
/** A second namespace, whose writes move the resourceVersion without touching `diff`. */
export const OTHER_NAMESPACE = "diff-other";

/** A slice of the test: one address per endpoint, one gRPC port. */
export interface SliceSpec {
  name: string;
  service: string;
  addresses: string[];
  namespace?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

/**
 * Who sends a request: the admin, nobody, a token the server does not know, basic auth (which it ignores), or a
 * client without credentials of its own that sends this `Authorization` header.
 */
export type Caller = "admin" | "anonymous" | "bad token" | "basic auth" | { authorization: string };

/** The Authorization header of a caller other than the admin. */
function authorization(as: Exclude<Caller, "admin">): Record<string, string> {
  if (as === "anonymous") return {};
  if (typeof as === "object") return as;
  return { authorization: as === "bad token" ? "Bearer nope" : `Basic ${btoa("user:password")}` };
}

/** The Accept header of a request, when it sets one. */
function acceptHeader(accept: string | undefined): Record<string, string> {
  return accept === undefined ? {} : { accept };
}

/** One of the two servers. */
export interface Target {
  readonly name: "fake" | "real";
  /** A GET (or `method`) as the admin, anonymously, or with another token; `accept` sets the Accept header. */
  get(
    path: string,
    options?: { as?: Caller; signal?: AbortSignal; accept?: string; method?: string },
  ): Promise<Response>;
  /** Creates or replaces a slice; remembers its resourceVersion under `label`. */
  applySlice(label: string, spec: SliceSpec): Promise<Record<string, unknown>>;
  /**
   * Validates a slice without storing it (a real server's `dryRun=All`; on the fake, `applySlice()` on a server
   * of its own): the object that would be stored, or the refusal's message.
   */
  checkSlice(input: EndpointSliceInput): Promise<Checked>;
  /** Validates a Service without storing it, as {@linkcode Target.checkSlice} does a slice. */
  checkService(input: ServiceInput): Promise<Checked>;
  /** Deletes a slice. */
  deleteSlice(namespace: string, name: string): Promise<void>;
  /** Creates a Service with two named ports. */
  createService(name: string): Promise<void>;
  /** Creates a Node with a zone label. */
  createNode(name: string, zone: string): Promise<void>;
  /**
   * Makes a namespace as a client must before it writes there: a POST on the real server; nothing on the fake, which
   * makes one with the first object stored in it.
   */
  createNamespace(name: string): Promise<void>;
  /** Names a resourceVersion: the label of the write that made it, or `current`. */
  label(rv: string, kind: "object" | "state"): string;
  /** Remembers a resourceVersion seen in an event under a label. */
  remember(label: string, rv: string): void;
  /**
   * Runs `body` as a service account bound to the README's reader Role in {@linkcode NAMESPACE} (list and watch
   * slices, get Services): a real account and token, or the fake's `setAccess()` with the same rules until `body`
   * ends.
   */
  asReader<T>(body: (as: Caller) => Promise<T>): Promise<T>;
}

/** The reader's service account, in {@linkcode NAMESPACE}. */
const READER = "reader";

/** What a check of an object answers: the object that would be stored, or the refusal's message. */
type Checked = { stored: Record<string, unknown> } | { refused: string };

/** Applies an object on a fake API server of its own, which is closed after. */
async function checkOnScratch(apply: (scratch: FakeApiServer) => unknown): Promise<Checked> {
  await using scratch = await startFakeApiServer();
  try {
    return { stored: apply(scratch) as Record<string, unknown> };
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

/** POSTs an object to a collection of the real server with `dryRun=All`, as the admin. */
async function checkByDryRun(controlPlane: ControlPlane, collection: string, object: unknown): Promise<Checked> {
  const response = await controlPlane.adminFetch(`${collection}?dryRun=All`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(object),
  });
  const body = await response.json();
  return response.status === 201 ? { stored: body } : { refused: `${response.status} ${body.message}` };
}

/** The fake API server as a target; it wants a token, so that anonymous requests are possible. */
export async function fakeTarget(options: FakeApiServerOptions = {}): Promise<Target & { server: FakeApiServer }> {
  const token = "differential";
  const server = await startFakeApiServer({ ...options, token });
  const versions = new Versions();
  return {
    name: "fake",
    server,
    get(path, { as = "admin", signal, accept, method } = {}) {
      const headers = as === "admin" ? { authorization: `Bearer ${token}` } : authorization(as);
      return fetch(`${server.url}${path}`, { method, headers: { ...headers, ...acceptHeader(accept) }, signal });
    },
    applySlice(label, spec) {
      const stored = server.applySlice(sliceInput(spec));
      versions.remember(label, stored.metadata.resourceVersion);
      return Promise.resolve(stored as unknown as Record<string, unknown>);
    },
    checkSlice: (input) => checkOnScratch((scratch) => scratch.applySlice(input)),
    checkService: (input) => checkOnScratch((scratch) => scratch.applyService(input)),
    deleteSlice(namespace, name) {
      server.deleteSlice(namespace, name);
      return Promise.resolve();
    },
    createService(name) {
      server.applyService({
        metadata: { namespace: NAMESPACE, name },
        spec: { ports: [{ name: "grpc", port: 80, targetPort: 8080 }, { name: "http", port: 81 }] },
      });
      return Promise.resolve();
    },
    createNode(name, zone) {
      server.applyNode({ metadata: { name, labels: { [ZONE_LABEL]: zone } } });
      return Promise.resolve();
    },
    createNamespace: () => Promise.resolve(),
    label: (rv, kind) => versions.label(rv, kind),
    remember: (label, rv) => versions.remember(label, rv),
    async asReader(body) {
      server.setAccess({
        username: `system:serviceaccount:${NAMESPACE}:${READER}`,
        groups: ["system:serviceaccounts", `system:serviceaccounts:${NAMESPACE}`, "system:authenticated"],
        rules: [
          {
            verbs: ["list", "watch"],
            apiGroups: ["discovery.k8s.io"],
            resources: ["endpointslices"],
            namespace: NAMESPACE,
          },
          { verbs: ["get"], apiGroups: [""], resources: ["services"], namespace: NAMESPACE },
        ],
      });
      try {
        // The fake's one token is the reader's now: setAccess() changed who it is.
        return await body("admin");
      } finally {
        server.setAccess(undefined);
      }
    },
  };
}

/** The real kube-apiserver as a target; its namespaces are created here. */
export async function realTarget(controlPlane: ControlPlane): Promise<Target & { close(): void }> {
  const anonymous = Deno.createHttpClient({ caCerts: [controlPlane.ca] });
  const versions = new Versions();
  let readerToken: Promise<string> | undefined;
  for (const name of [NAMESPACE, OTHER_NAMESPACE]) {
    await kubeRequest(controlPlane.adminFetch, "POST", "/api/v1/namespaces", {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name },
    });
  }
  return {
    name: "real",
    get(path, { as = "admin", signal, accept, method } = {}) {
      if (as === "admin") return controlPlane.adminFetch(path, { method, signal, headers: acceptHeader(accept) });
      const headers = { ...authorization(as), ...acceptHeader(accept) };
      return fetch(`${controlPlane.server}${path}`, { method, client: anonymous, headers, signal });
    },
    async applySlice(label, spec) {
      const namespace = spec.namespace ?? NAMESPACE;
      const { metadata: _metadata, ...rest } = sliceInput(spec);
      const stored = await kubeRequest<{ metadata: { resourceVersion: string } }>(
        controlPlane.adminFetch,
        "PATCH",
        `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${spec.name}?fieldManager=differential&force=true`,
        {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: {
            name: spec.name,
            labels: sliceLabels(spec),
            ...(spec.annotations ? { annotations: spec.annotations } : {}),
          },
          ...rest,
        },
        "application/apply-patch+yaml",
      );
      versions.remember(label, stored.metadata.resourceVersion);
      return stored;
    },
    checkSlice: (input) =>
      checkByDryRun(
        controlPlane,
        `/apis/discovery.k8s.io/v1/namespaces/${input.metadata.namespace}/endpointslices`,
        { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", ...input },
      ),
    checkService: (input) =>
      checkByDryRun(
        controlPlane,
        `/api/v1/namespaces/${input.metadata.namespace}/services`,
        { apiVersion: "v1", kind: "Service", ...input },
      ),
    async deleteSlice(namespace, name) {
      await kubeRequest(
        controlPlane.adminFetch,
        "DELETE",
        `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${name}`,
      );
    },
    async createService(name) {
      await kubeRequest(controlPlane.adminFetch, "POST", `/api/v1/namespaces/${NAMESPACE}/services`, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name },
        spec: {
          ports: [
            { name: "grpc", port: 80, targetPort: 8080, protocol: "TCP" },
            { name: "http", port: 81, targetPort: 81, protocol: "TCP" },
          ],
        },
      });
    },
    async createNode(name, zone) {
      await kubeRequest(controlPlane.adminFetch, "POST", "/api/v1/nodes", {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name, labels: { [ZONE_LABEL]: zone } },
      });
    },
    async createNamespace(name) {
      await kubeRequest(controlPlane.adminFetch, "POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name },
      });
    },
    label: (rv, kind) => versions.label(rv, kind),
    remember: (label, rv) => versions.remember(label, rv),
    async asReader(body) {
      readerToken ??= (async () => {
        await createEndpointSliceReaderRole(controlPlane.adminFetch, NAMESPACE);
        await createServiceAccount(controlPlane.adminFetch, NAMESPACE, READER);
        await bindEndpointSliceReader(controlPlane.adminFetch, NAMESPACE, READER);
        return await requestToken(controlPlane.adminFetch, NAMESPACE, READER);
      })();
      return await body({ authorization: `Bearer ${await readerToken}` });
    },
    close: () => anonymous.close(),
  };
}

function sliceLabels(spec: SliceSpec): Record<string, string> {
  return { "kubernetes.io/service-name": spec.service, ...spec.labels };
}

/** The same slice for both servers: what a client writes. */
function sliceInput(spec: SliceSpec): EndpointSliceInput {
  return {
    metadata: {
      namespace: spec.namespace ?? NAMESPACE,
      name: spec.name,
      labels: sliceLabels(spec),
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
    },
    addressType: "IPv4",
    endpoints: spec.addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
    ports: [{ name: "grpc", protocol: "TCP", port: 50051 }],
  };
}

/** The resourceVersions of one server's writes, by label. */
class Versions {
  #labels = new Map<string, string>();
  #latest = 0n;

  remember(label: string, rv: string): void {
    this.#labels.set(rv, label);
    if (BigInt(rv) > this.#latest) this.#latest = BigInt(rv);
  }

  label(rv: string, kind: "object" | "state"): string {
    if (kind === "state" && /^\d+$/.test(rv) && BigInt(rv) >= this.#latest) return "current";
    return this.#labels.get(rv) ?? `unknown`;
  }
}

/** A JSON value of any shape, as read from a server. */
// deno-lint-ignore no-explicit-any
type Json = any;

/**
 * One object or list as comparable data: resourceVersions as labels, generated
 * fields as placeholders, continue tokens as their presence, no managedFields.
 */
export function normalize(target: Target, value: Json, kind: "object" | "state" = "object"): Json {
  if (Array.isArray(value)) return value.map((item) => normalize(target, item, kind));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, Json> = {};
  const isList = typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items);
  for (const [key, entry] of Object.entries(value)) {
    if (key === "managedFields" || key === "uid" || key === "creationTimestamp") continue;
    if (key === "continue") out[key] = "<continue>";
    else if (key === "resourceVersion" && typeof entry === "string") out[key] = target.label(entry, kind);
    else if (key === "message" && typeof entry === "string") out[key] = entry.replace(/\d+/g, "#");
    else if (isList && key === "metadata") out[key] = normalize(target, entry, "state");
    else if (isList && key === "items") out[key] = normalize(target, entry, "object");
    else out[key] = normalize(target, entry, kind);
  }
  return out;
}

/**
 * A response as comparable data: the status, the content type, the headers a client may act on (`Warning`,
 * `X-Content-Type-Options`) and the normalized body (empty for a HEAD).
 */
export async function answer(target: Target, response: Response): Promise<Json> {
  const bytes = await response.bytes();
  const text = new TextDecoder().decode(bytes);
  const type = response.headers.get("content-type");
  // fetch asks for gzip and reads the body decompressed; the header says whether the server compressed it.
  const encoding = response.headers.get("content-encoding");
  const warning = response.headers.get("warning");
  const sniffing = response.headers.get("x-content-type-options");
  let body: Json = text;
  if (type === "application/json" && text !== "") body = normalize(target, JSON.parse(text));
  if (type === "application/vnd.kubernetes.protobuf") body = normalize(target, decodeProtobuf(bytes));
  return { status: response.status, type, encoding, warning, sniffing, body };
}

/** A protobuf body, decoded by the resolver's decoder (the fields it reads). */
function decodeProtobuf(bytes: Uint8Array): Json {
  const { apiVersion, kind, raw } = openEnvelope(bytes);
  if (kind === "EndpointSliceList") return decodeEndpointSliceList(bytes);
  if (kind === "Status") return decodeStatusBody(bytes);
  return { kind, apiVersion, ...decodeEndpointSlice(new WireReader(raw)) };
}

/** Reads a watch: its events until `done` holds, then `quietMs` more; or until the server ends it. */
/**
 * The reflector reads a slice event's type and name from the start of its line and parses only the last
 * event of each slice in a burst (`sliceEventHead`): both servers must write lines it recognizes.
 */
function checkEventHead(line: string, event: Json): void {
  const { type, object } = event as { type: string; object: { kind?: string; metadata?: { name?: string } } };
  if (!["ADDED", "MODIFIED", "DELETED"].includes(type) || object.kind !== "EndpointSlice") return;
  const head = sliceEventHead(new TextEncoder().encode(line));
  assert.deepEqual(head, { type, name: object.metadata?.name }, `an unrecognized event line: ${line}`);
}

/**
 * Watches `path` on `target` and collects its events until `quietMs` after `done` first holds, the watch ends, or
 * `maxMs` passed, while `during` runs; returns the events normalized for comparison and whether the watch ended, or
 * the answer to a watch refused.
 */
export async function watchEvents(
  target: Target,
  path: string,
  options: { done?: (events: Json[]) => boolean; quietMs?: number; maxMs?: number; during?: () => Promise<void> } = {},
): Promise<Json> {
  const { done = () => false, quietMs = 400, maxMs = 8000 } = options;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), maxMs);
  try {
    const response = await target.get(path, { signal: controller.signal });
    if (response.status !== 200) return await answer(target, response);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const events: Json[] = [];
    let buffer = "";
    let quietUntil: number | undefined;
    let ended = false;
    const during = options.during?.();
    // Bounded by maxMs: the abort ends the read.
    while (quietUntil === undefined || Date.now() < quietUntil) {
      const wait = quietUntil === undefined ? undefined : quietUntil - Date.now();
      const chunk = await readWithin(reader, wait);
      if (chunk === "timeout") break;
      if (chunk === undefined) {
        ended = true;
        break;
      }
      buffer += chunk;
      for (let newline = buffer.indexOf("\n"); newline !== -1; newline = buffer.indexOf("\n")) {
        const line = buffer.slice(0, newline);
        const event = JSON.parse(line);
        checkEventHead(line, event);
        events.push(event);
        buffer = buffer.slice(newline + 1);
      }
      if (quietUntil === undefined && done(events)) quietUntil = Date.now() + quietMs;
    }
    await reader.cancel().catch(() => {});
    await during;
    // Only now: an event can arrive before the response of the write that made it.
    const normalized: Json[] = [];
    for (const event of events) {
      const state = event.type === "BOOKMARK" || event.type === "ERROR";
      const next = { type: event.type, object: normalize(target, event.object, state ? "state" : "object") };
      // Two bookmarks in a row with the same resourceVersion tell nothing more.
      if (JSON.stringify(normalized.at(-1)) !== JSON.stringify(next)) normalized.push(next);
    }
    return { status: 200, events: normalized, ended };
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

/**
 * Reads a streaming list in protobuf (`Accept: application/vnd.kubernetes.protobuf, application/json`) until the
 * initial-events-end BOOKMARK or 8 s: its Content-Type and its events, decoded and normalized.
 */
export async function protobufInitialEvents(target: Target, path: string): Promise<Json> {
  const signal = AbortSignal.timeout(8000);
  const response = await target.get(path, { accept: "application/vnd.kubernetes.protobuf, application/json", signal });
  const type = response.headers.get("content-type");
  if (response.status !== 200) return await answer(target, response);
  const splitter = new FrameSplitter();
  const events: Json[] = [];
  const reader = response.body!.getReader();
  const ended = (event: Json) => event.object.metadata?.annotations?.["k8s.io/initial-events-end"] === "true";
  // Bounded by the signal: the abort ends the read.
  while (!events.some(ended)) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
    if (done || value === undefined) break;
    for (const frame of splitter.push(value)) events.push(decodeWatchEvent(frame));
  }
  await reader.cancel().catch(() => {});
  const normalized = events.map(({ type, object }) => ({
    type,
    object: normalize(target, object, type === "BOOKMARK" ? "state" : "object"),
  }));
  return { status: response.status, type, events: normalized };
}

async function readWithin(
  reader: ReadableStreamDefaultReader<string>,
  ms: number | undefined,
): Promise<string | undefined | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const read = reader.read().then(({ value, done }) => done ? undefined : value, () => undefined);
    if (ms === undefined) return await read;
    return await Promise.race([
      read,
      new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
