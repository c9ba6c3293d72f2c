/**
 * The port a target without one (`kubernetes:///echo.prod`) uses. The
 * EndpointSlice controller orders a slice's ports by a hash, not as the
 * Service lists them, so "each slice's first port" would be an arbitrary one
 * on a Service with several ports. Instead: when the slices' TCP ports all
 * share one name, that port; otherwise the Service's first TCP port, matched
 * by name (a slice port carries the Service port's name and the target
 * port's number), which needs one GET of the Service. gRPC dials TCP, so a
 * UDP or SCTP port is chosen only when the Service has no TCP port. Never a
 * different port per slice.
 *
 * @module
 */

import { createBackoff, DEFAULT_BACKOFF_MAX_MS } from "../base/backoff.ts";
import type { BackoffOptions } from "../base/backoff.ts";
import type { EndpointSlice } from "../base/endpoint_slice.ts";
import { KubeApiError, ResolverError } from "../base/errors.ts";
import { quote } from "../api/api_errors.ts";
import { asksToWait, retryAfterMs } from "../api/retry_after.ts";
import type { ServiceApi } from "../api/kube_api.ts";
import { DEFAULT_STALL_TIMEOUT_MS } from "../watch/reflector.ts";
import { trace } from "../runtime/trace.ts";
import { isRecord } from "../base/_util.ts";
import { unrefTimer } from "../runtime/unref_timer.ts";
import { wordList } from "../base/_word_list.ts";
import { printable } from "../base/printable.ts";

/** One port name found in a Service's EndpointSlices, with every number it has there. */
export interface SlicePortName {
  /** The name; empty for a Service's single unnamed port. */
  name: string;
  /** The numbers (target ports) the slices give it, ascending; several when pods differ. */
  numbers: number[];
}

/**
 * The distinct port names of a Service's EndpointSlices (FQDN slices and
 * ports without a number left out), sorted by name.
 *
 * @param slices Every slice of the Service.
 * @returns The names and their numbers.
 *
 * @example Two slices of a Service with two ports
 * ```ts
 * import { slicePortNames } from "./service_port.ts";
 * const names = slicePortNames([
 *   { metadata: { name: "two-a" }, addressType: "IPv4", ports: [{ name: "http", port: 8081 }, { name: "grpc", port: 8080 }] },
 *   { metadata: { name: "two-b" }, addressType: "IPv4", ports: [{ name: "grpc", port: 9090 }] },
 * ]);
 * console.log(names); // [{ name: "grpc", numbers: [8080, 9090] }, { name: "http", numbers: [8081] }]
 * ```
 */
export function slicePortNames(slices: Iterable<EndpointSlice>): SlicePortName[] {
  const numbers = new Map<string, Set<number>>();
  for (const slice of slices) {
    if (slice.addressType === "FQDN") continue;
    const ports = slice.ports ?? [];
    for (let i = 0; i < ports.length; i++) {
      const { name, port } = ports[i];
      if (typeof port !== "number") continue;
      const key = typeof name === "string" ? name : "";
      let set = numbers.get(key);
      if (!set) numbers.set(key, set = new Set());
      set.add(port);
    }
  }
  return [...numbers.keys()].sort().map((name) => ({ name, numbers: [...numbers.get(name)!].sort((a, b) => a - b) }));
}

/** Whether a slice's or Service's port protocol is TCP, which the API server defaults it to. */
function isTcp(protocol: string | null | undefined): boolean {
  return protocol === undefined || protocol === null || protocol === "TCP";
}

/**
 * The ports a target without one chooses from: the slices' TCP ports (gRPC dials TCP), or all of their ports when
 * none is TCP (then the Service's first port is used, and {@linkcode portNoteFor} notes it).
 *
 * @param slices Every slice of the Service.
 * @returns The names and their numbers, as {@linkcode slicePortNames} gives them.
 *
 * @example A UDP port before the gRPC port
 * ```ts
 * import { defaultPortCandidates } from "./service_port.ts";
 * const ports = [{ name: "stats", port: 8125, protocol: "UDP" }, { name: "grpc", port: 50051, protocol: "TCP" }];
 * console.log(defaultPortCandidates([{ metadata: { name: "a" }, addressType: "IPv4", ports }]));
 * // [{ name: "grpc", numbers: [50051] }]
 * ```
 */
export function defaultPortCandidates(slices: Iterable<EndpointSlice>): SlicePortName[] {
  const all = [...slices];
  const tcp = tcpPortNames(all);
  const ports = slicePortNames(all);
  return tcp.size === 0 ? ports : ports.filter(({ name }) => tcp.has(name));
}

/** The names of the ports that some slice (FQDN slices left out) gives as TCP. */
function tcpPortNames(slices: Iterable<EndpointSlice>): Set<string> {
  const names = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType === "FQDN") continue;
    for (const { name, port, protocol } of slice.ports ?? []) {
      if (typeof port === "number" && isTcp(protocol)) names.add(typeof name === "string" ? name : "");
    }
  }
  return names;
}

/**
 * The port a target without one goes on with while the Service cannot be read (a port was added, and the
 * credentials may not get the Service): the name it had, as long as the slices still have it.
 *
 * @param slices Every slice of the Service.
 * @param previous The port the target used until then, if any.
 * @returns That port's name, or `undefined` when there is none to go on with.
 *
 * @example
 * ```ts
 * import { portToKeep } from "./service_port.ts";
 * const slice = { metadata: { name: "a" }, addressType: "IPv4" as const, ports: [{ name: "grpc", port: 8080 }] };
 * console.log(portToKeep([slice], "grpc"), portToKeep([slice], "http")); // grpc undefined
 * ```
 */
export function portToKeep(slices: Iterable<EndpointSlice>, previous: number | string | undefined): string | undefined {
  if (typeof previous !== "string") return undefined;
  return slicePortNames(slices).some(({ name }) => name === previous) ? previous : undefined;
}

/**
 * Says so when a target's port number is none of the numbers the Service's
 * EndpointSlices give its pods: pods are dialed on the number as given
 * (as the Go kuberesolver does), so a Service's `port` where the pods listen
 * on its `targetPort` (`kubernetes:///echo.prod:80` for port 80 → 50051)
 * reaches nothing. Pods may listen on a port the Service does not list, so
 * this is a note, not an error.
 *
 * @param port The target's port number.
 * @param ports The slices' port names and numbers ({@linkcode slicePortNames}).
 * @param tcp The names the slices give as TCP ports, the ones suggested when there are any.
 * @returns The note, or `undefined` when a slice has the number, or no slice has a numbered port.
 */
function unlistedPortNote(port: number, ports: readonly SlicePortName[], tcp: Set<string>): string | undefined {
  if (ports.length === 0 || ports.some(({ numbers }) => numbers.includes(port))) return undefined;
  // Which named port the Service's port maps to is not in the slices: several are offered, none chosen.
  const offered = tcp.size > 0 ? ports.filter(({ name }) => tcp.has(name)) : ports;
  const named = offered.filter(({ name }) => name !== "").map(({ name }) => `:${name}`);
  const instead = named.length > 0
    ? `name the port in the target instead (${wordList(named, "or")})`
    : `give the pods' port instead (:${offered[0].numbers[0]})`;
  return `port ${port} is none of the ports the Service's EndpointSlices give its pods (${portList(ports)}): ` +
    `the pods are dialed on ${port} as given; if ${port} is the Service's port, ${instead}`;
}

/**
 * Says so when a target's port number is what the slices give one port name for some pods only (a named
 * `targetPort` that pods number differently, a rollout that changes the container port, an Endpoints object with
 * subsets on different numbers): every pod is dialed on the number as given, where kube-proxy and a named target
 * use each pod's own.
 *
 * @param port The target's port number.
 * @param ports The slices' port names and numbers ({@linkcode slicePortNames}).
 * @returns The note, or `undefined` when no name with several numbers has this one.
 */
function splitPortNote(port: number, ports: readonly SlicePortName[]): string | undefined {
  const split = ports.find(({ numbers }) => numbers.length > 1 && numbers.includes(port));
  if (split === undefined) return undefined;
  const [shown, instead] = split.name === ""
    ? ["the Service's unnamed port", "leave the port out of the target instead"]
    : [quote(split.name), `name the port in the target instead (:${split.name})`];
  return `port ${port} is the number of ${shown} for some pods only (the Service's EndpointSlices give it ` +
    `${split.numbers.join(", ")}): every pod is dialed on ${port} as given, the others too; ${instead}`;
}

/**
 * Says so when the slices give a target's port (its name, or its number) only as a UDP or SCTP port: gRPC dials
 * TCP, so the pods are reached only if they also listen on TCP there (kube-dns's `dns` and `dns-tcp` share 53; a
 * statsd port does not). A note, not an error, for that reason.
 *
 * @param port The target's port.
 * @param slices Every slice of the Service.
 * @param ports The slices' port names and numbers ({@linkcode slicePortNames}).
 * @param tcp The names the slices give as TCP ports.
 * @returns The note, or `undefined` when a slice gives the port as TCP, or no slice has it.
 */
function nonTcpPortNote(
  port: number | string,
  slices: readonly EndpointSlice[],
  ports: readonly SlicePortName[],
  tcp: Set<string>,
): string | undefined {
  const found = ports.filter((one) => typeof port === "number" ? one.numbers.includes(port) : one.name === port);
  if (found.length === 0 || found.some(({ name }) => tcp.has(name))) return undefined;
  const protocols = new Set<string>();
  for (const slice of slices) {
    for (const { name, protocol } of slice.ports ?? []) {
      if (found.some((one) => one.name === (name ?? "")) && !isTcp(protocol)) protocols.add(String(protocol));
    }
  }
  const named = ports.filter(({ name }) => name !== "" && tcp.has(name)).map(({ name }) => `:${name}`);
  const instead = named.length > 0
    ? `name a TCP port in the target instead (${wordList(named, "or")})`
    : "its EndpointSlices have no TCP port: put the number of the pods' gRPC port in the target";
  const shown = typeof port === "number" ? port : quote(port);
  return `port ${shown} is ${[...protocols].sort().join(" and ")} in the Service's EndpointSlices (${
    portList(found)
  }), ` +
    `and gRPC dials TCP: the pods are reached only if they also listen on TCP there; ${instead}`;
}

/**
 * The note for a target's port, if any: a number that none of the Service's slices has (see
 * `unlistedPortNote()`), or that they give a port name for some pods only (see `splitPortNote()`), or a port that
 * they give only as UDP or SCTP (see `nonTcpPortNote()`).
 *
 * @param port The target's port: a number, or a name.
 * @param slices Every slice of the Service.
 * @returns The note, or `undefined`.
 *
 * @example The Service's port instead of the pods'
 * ```ts
 * import { portNoteFor } from "./service_port.ts";
 * const slice = { metadata: { name: "a" }, addressType: "IPv4" as const, ports: [{ name: "grpc", port: 50051 }] };
 * console.log(portNoteFor(80, [slice]));
 * // port 80 is none of the ports the Service's EndpointSlices give its pods ("grpc" (50051)): the pods are dialed on 80 as given; if 80 is the Service's port, name the port in the target instead (:grpc)
 * console.log(portNoteFor("grpc", [slice])); // undefined
 * ```
 */
export function portNoteFor(port: number | string, slices: Iterable<EndpointSlice>): string | undefined {
  const all = [...slices];
  const ports = slicePortNames(all);
  const tcp = tcpPortNames(all);
  const note =
    (typeof port === "number" ? unlistedPortNote(port, ports, tcp) ?? splitPortNote(port, ports) : undefined) ??
      nonTcpPortNote(port, all, ports, tcp);
  // The slices' port names and protocols come from the API server: a control or bidi character in one must not move
  // a terminal's cursor or reorder the words of a log line, in a quote or in the names suggested.
  return note === undefined ? undefined : printable(note);
}

/** Options of {@linkcode createServicePortLookup}. */
export interface ServicePortLookupOptions {
  /** The Service's name, for messages. */
  service: string;
  /** The Service's namespace, for messages. */
  namespace: string;
  /** Reads the Service. */
  api: ServiceApi;
  /** Ends the lookup: no read starts or reports after it aborts. */
  signal: AbortSignal;
  /**
   * A read that takes longer fails (and is retried), in ms.
   * @default {150000}
   */
  timeoutMs?: number;
  /** Delays between failed reads (default 1 s doubling up to 30 s, with jitter). */
  backoff?: BackoffOptions;
  /**
   * Called after a read ended or a failed read may be retried: what
   * {@linkcode ServicePortLookup.portFor} returns may have changed.
   */
  onChange(): void;
}

/** The port of a target without one, for one Service; see {@linkcode createServicePortLookup}. */
export interface ServicePortLookup {
  /**
   * The port name to select with these slices: the one name their TCP ports
   * all use (any port when none is TCP), else the name of the Service's first
   * TCP port; when they have no port (a Service scaled to 0, or without
   * slices), the name returned last, or before any the Service's first TCP
   * port once read (`""` until then, or when it cannot be read).
   *
   * @param slices Every slice of the Service.
   * @param version Changes whenever the slices change; a repeated call for
   *   the same version (one per subscriber) returns the same answer at once.
   * @returns The name; `undefined` while the Service is being read for
   *   slices of several ports (`onChange` follows); a {@linkcode KubeApiError}
   *   that names the ports found when it cannot be read.
   */
  portFor(slices: Iterable<EndpointSlice>, version: number): string | KubeApiError | undefined;
  /**
   * Whether the name {@linkcode ServicePortLookup.portFor} answers is known: false while no slice of the Service
   * has had a port and the Service is being read or could not be (no pod yet), when it answers `""` for want of
   * one, not for an unnamed port. A name once known stays so: a Service created again, or deleted, keeps the last
   * one until a read names another.
   */
  named(): boolean;
}

/**
 * Creates the port lookup of one Service. The Service is read only when a
 * target without a port meets slices with more than one TCP port name, or
 * slices without a port before any name was chosen (no pod yet), once,
 * and again only when those names change (its ports were edited) or the
 * slices belong to another Service object (it was deleted and created
 * again, as their `ownerReferences` say: the Service, or for a Service
 * without a selector its Endpoints object, which goes with it); a failed
 * read is retried with backoff while such a target asks (while the slices
 * have no port, not after a 403 or 404, as the name then serves only the
 * metrics). Its timers do not
 * keep the process alive.
 *
 * @param options The Service, how to read it, and what to call when a read ends.
 * @returns The lookup.
 *
 * @example The one port of every slice, without a read
 * ```ts
 * import { createServicePortLookup } from "./service_port.ts";
 * const lookup = createServicePortLookup({
 *   service: "echo",
 *   namespace: "prod",
 *   api: { get: () => Promise.reject(new Error("not needed")) },
 *   signal: new AbortController().signal,
 *   onChange: () => {},
 * });
 * const slices = [{ metadata: { name: "echo-a" }, addressType: "IPv4", ports: [{ name: "grpc", port: 8080 }] }];
 * console.log(lookup.portFor(slices, 1)); // "grpc"
 * ```
 */
export function createServicePortLookup(options: ServicePortLookupOptions): ServicePortLookup {
  const { service, namespace, api, signal } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const backoff = createBackoff(options.backoff);
  const maxMs = options.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
  /** The name of the Service's first TCP port, and the slices' port names it was read for. */
  let known: { names: string; name: string } | undefined;
  /** The name {@linkcode ServicePortLookup.portFor} returned last. */
  let chosen: string | undefined;
  /** The owners of the slices `chosen` was chosen with (see `ownerUids()`): a Service created again has others. */
  let chosenOwners: string | undefined;
  let reading = false;
  // Whether the last read was answered 429 or 5xx with Retry-After and is waiting as asked, which client-go does
  // unreported; only a second such answer in a row is reported.
  let waiting = false;
  /** The last read that failed: for which names, why (for slices with ports), and whether it may be made again. */
  let failed: { names: string; error: KubeApiError | undefined; retry: boolean } | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped whenever a read ends or may be retried, so that the answer for a version is recomputed. */
  let epoch = 0;
  let last: { version: number; epoch: number; answer: string | KubeApiError | undefined } | undefined;
  signal.addEventListener("abort", () => clearTimeout(retryTimer), { once: true });

  function changed(): void {
    epoch++;
    if (!signal.aborted) options.onChange();
  }

  async function read(key: string, ports: SlicePortName[]): Promise<void> {
    if (signal.aborted) return;
    reading = true;
    clearTimeout(retryTimer);
    const sliceKind = ports.length === 0 ? "have no port yet" : `have ${portList(ports)}`;
    trace(`reading service ${service} in namespace ${namespace} for its first TCP port: its slices ${sliceKind}`);
    const deadline = new AbortController();
    const abort = () => deadline.abort();
    signal.addEventListener("abort", abort, { once: true });
    let timer = unrefTimer(setTimeout(abort, timeoutMs));
    // The wait for an exec plugin's credentials is not timed: the plugin has its own limit.
    const pauseTiming = () => {
      clearTimeout(timer);
      return () => void (timer = unrefTimer(setTimeout(abort, timeoutMs)));
    };
    try {
      // From etcd: the answer stands until the slices' port names change again, so it must be as new as they are.
      const found = await api.get(deadline.signal, pauseTiming, true);
      const servicePorts = found.spec?.ports ?? [];
      const first = (servicePorts.find((port) => isTcp(port?.protocol)) ?? servicePorts[0])?.name;
      known = { names: key, name: typeof first === "string" ? first : "" };
      failed = undefined;
      waiting = false;
      backoff.reset();
      const named = known.name === "" ? "has no name" : `is ${quote(known.name)}`;
      trace(`service ${service} in namespace ${namespace}: the first TCP port ${named}`);
    } catch (cause) {
      if (signal.aborted) return;
      if (asksToWait(cause) && !waiting) {
        waiting = true;
        const delay = retryAfterMs(cause, maxMs);
        const { status } = cause as KubeApiError;
        trace(
          `reading service ${service} in namespace ${namespace}: ${status} with Retry-After, reading again in ${delay} ms`,
        );
        retryTimer = unrefTimer(setTimeout(() => void read(key, ports), delay));
        return;
      }
      waiting = false;
      const why = deadline.signal.aborted ? `no answer within ${timeoutMs} ms (stallTimeoutMs)` : cause;
      // While the slices have no port, the name is only the metrics' (calls go on with the last one known, or ""):
      // a Service that does not exist, or that these credentials may not read, is not asked again, as a pod's slice
      // will name the port; any other failure may pass, and is retried.
      const status = cause instanceof KubeApiError ? cause.status : undefined;
      const error = ports.length === 0 ? undefined : unreadable(service, namespace, ports, why);
      failed = { names: key, error, retry: false };
      const kept = chosen === undefined ? "" : ` (the metrics keep port ${quote(chosen)}, the last name known)`;
      const said = error?.message ??
        `service ${service} in namespace ${namespace}: cannot read its first TCP port's name, which its slices do not ` +
          `give${kept}: ${why instanceof Error ? why.message : String(why)}`;
      if (ports.length === 0 && (status === 403 || status === 404)) {
        trace(said);
      } else {
        // A second answer in a row that asks to wait is reported, and waited out all the same (as the watch does).
        const delay = Math.max(backoff.next(), retryAfterMs(cause, maxMs));
        trace(`${said}; reading again in ${Math.round(delay)} ms`);
        retryTimer = unrefTimer(setTimeout(() => {
          if (failed) failed.retry = true;
          changed();
        }, delay));
      }
    } finally {
      reading = false;
      clearTimeout(timer);
      signal.removeEventListener("abort", abort);
    }
    changed();
  }

  function choose(iterable: Iterable<EndpointSlice>): string | KubeApiError | undefined {
    const slices = [...iterable]; // Read twice: an iterator of the watch's Map would be empty the second time.
    const ports = defaultPortCandidates(slices);
    // Slices without ports (a Service scaled to 0, whose EndpointSlice controller keeps one without ports; none at
    // all) say nothing of the port: the name chosen last stays, which the Service still has. Before any, the Service
    // names it (read once; a target's metrics series then starts under its name, not as "" that it would leave at 0
    // once a pod came); one that cannot be read leaves it "" (unnamed, as far as is known).
    const owners = ownerUids(slices);
    const ownersKey = JSON.stringify(owners);
    const remember = (name: string) => {
      chosenOwners = ownersKey;
      return chosen = name;
    };
    if (ports.length === 0) {
      // The same owners as the name chosen last (a Service scaled to 0): it stands, which the Service still has (a
      // name read before its first pod may since have been renamed in place).
      if (chosen !== undefined && chosenOwners === ownersKey) return chosen;
      const unported = JSON.stringify([[], owners]);
      if (known?.names === unported) return remember(known.name);
      // No name yet (no pod yet), or other owners (a Service created again may name its first port otherwise, one
      // deleted has none): the Service is read, and the name chosen last, or "", answered at once meanwhile, not
      // held for the read: calls fail at once with why no pod is usable.
      if (!reading && !waiting && (failed?.names !== unported || failed.retry)) void read(unported, []);
      return chosen ?? "";
    }
    if (ports.length === 1) return remember(ports[0]!.name);
    // A Service deleted and created again, its ports in another order, has slices with the same names: the
    // owner's uid tells them apart.
    const key = JSON.stringify([ports.map((port) => port.name), owners]);
    if (known?.names === key) return remember(known.name);
    if (reading || waiting) return undefined;
    if (failed?.error && failed.names === key && !failed.retry) return failed.error;
    void read(key, ports);
    return undefined;
  }

  return {
    portFor(slices, version) {
      if (last?.version !== version || last.epoch !== epoch) last = { version, epoch, answer: choose(slices) };
      return last.answer;
    },
    named: () => chosen !== undefined,
  };
}

/**
 * The uids of the objects that own the slices (`metadata.ownerReferences`), sorted: the Service for the
 * EndpointSlice controller's slices, the Endpoints object for those the EndpointSliceMirroring controller
 * mirrors for a Service without a selector (deleted with the Service, so new when it is created again).
 */
function ownerUids(slices: Iterable<EndpointSlice>): string[] {
  const uids = new Set<string>();
  for (const slice of slices) {
    const owners = slice.metadata.ownerReferences;
    if (!Array.isArray(owners)) continue;
    for (const owner of owners) {
      if (!isRecord(owner) || typeof owner.uid !== "string") continue;
      if (owner.kind === "Service" || owner.kind === "Endpoints") uids.add(owner.uid);
    }
  }
  return [...uids].sort();
}

/**
 * Ports as messages list them: `"grpc" (50051)`, `unnamed (50051)` for a port without a name, not `""`, and
 * `"grpc" (no number)` for one that has no numbers.
 *
 * @param ports The ports, as {@linkcode slicePortNames} finds them.
 * @returns The list, comma-separated.
 *
 * @example
 * ```ts
 * import { portList } from "./service_port.ts";
 * console.log(portList([{ name: "", numbers: [8080] }, { name: "admin", numbers: [9090] }]));
 * // unnamed (8080), "admin" (9090)
 * ```
 */
export function portList(ports: readonly SlicePortName[]): string {
  return ports.map(({ name, numbers }) =>
    `${name === "" ? "unnamed" : quote(name)} (${numbers.length === 0 ? "no number" : numbers.join(", ")})`
  ).join(", ");
}

/** The error of a failed read: the ports found, why the Service cannot be read, and how to do without it. */
function unreadable(service: string, namespace: string, ports: SlicePortName[], cause: unknown): KubeApiError {
  const reason = cause instanceof ResolverError ? cause.message.replace(/^Cannot get [^:]*: /, "") : String(cause);
  const example = ports.find((port) => port.name !== "")?.name ?? "grpc";
  return new KubeApiError(
    printable(
      `Cannot choose a port for service "${service}" in namespace "${namespace}": its EndpointSlices have the ports ` +
        `${
          portList(ports)
        }, a target without a port uses the Service's first TCP port, and reading the Service failed: ` +
        `${reason}; or name a port in the target, e.g. kubernetes:///${service}.${namespace}:${example}`,
    ),
    cause instanceof KubeApiError ? { status: cause.status, reason: cause.reason, cause } : { cause },
  );
}
