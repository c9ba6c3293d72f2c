/**
 * Keeps a local copy of one Service's EndpointSlices in step with the API
 * server, the way client-go's reflector does: LIST, then WATCH from the
 * list's resourceVersion; resume after a clean close, relist only when the
 * resume point expired (410), back off with jitter on failures, abort a
 * watch that stalls.
 *
 * @module
 */

import { type Backoff, type BackoffOptions, createBackoff } from "./backoff.ts";
import type { EndpointSlice, Status, WatchEvent } from "./endpoint_slice.ts";
import { KubeApiError, ResolverError } from "./errors.ts";
import { type EndpointSliceApi, isExpired, isResourceVersionTooLarge, quote, statusFields } from "./kube_api.ts";
import { trace } from "./trace.ts";
import { readWatchEvents } from "./watch_decoder.ts";
import { unrefTimer } from "./runtime/unref_timer.ts";
import { isRecord } from "./_util.ts";

/** The slices of one Service by name, and the resourceVersion they reflect. */
export interface SliceState {
  /** Slices by name. */
  readonly slices: ReadonlyMap<string, EndpointSlice>;
  /** The last resourceVersion seen. */
  readonly resourceVersion: string;
}

/** Options of {@linkcode runReflector}. */
export interface ReflectorOptions {
  /** Ends the reflector; it then returns quietly. */
  signal: AbortSignal;
  /** Called after every LIST and every event that changed a slice. */
  onState(state: SliceState): void;
  /** Called for every failure (an API error, or a credential plugin's `ConfigError`); the reflector retries by itself. */
  onError(error: ResolverError): void;
  /**
   * A LIST page that takes longer than this, or a watch that delivers no
   * complete event for this long, is aborted and retried, in ms. Bytes of an
   * event that never completes are not progress: a server trickling one
   * byte at a time cannot hold a watch (and its buffered line) forever. Real
   * API servers send a BOOKMARK about every minute, so a healthy watch never
   * goes this long without an event.
   * @default {150000}
   */
  stallTimeoutMs?: number;
  /**
   * A watch that ends sooner than this after opening counts as a failure, in ms.
   * @default {1000}
   */
  minWatchMs?: number;
  /**
   * A watch open this long resets the backoff however it ends, in ms.
   * @default {30000}
   */
  healthyWatchMs?: number;
  /**
   * Page size of LISTs.
   * @default {500}
   */
  pageSize?: number;
  /** Delays between failed attempts (default 1 s doubling up to 30 s, with jitter). */
  backoff?: BackoffOptions;
  /** Source of randomness in [0, 1), for the watch timeout and the backoff. */
  random?: () => number;
}

/** A watch ended by the stall timer. */
class StallError extends KubeApiError {}

/**
 * Runs LIST+WATCH until `options.signal` aborts. Never throws: failures go
 * to `onError` and are retried. Its timers (stall, backoff) do not keep the
 * process alive: a caller that needs the process to wait holds it itself.
 *
 * @param api The LIST/WATCH calls of the Service.
 * @param options Callbacks, signal and timings.
 * @returns A promise that settles once the signal aborted and everything is released.
 *
 * @example Following a Service
 * ```ts ignore
 * import { runReflector } from "./reflector.ts";
 * const controller = new AbortController();
 * await runReflector(api, {
 *   signal: controller.signal,
 *   onState: (state) => console.log(state.slices.size),
 *   onError: (error) => console.error(error.message),
 * });
 * ```
 */
export async function runReflector(api: EndpointSliceApi, options: ReflectorOptions): Promise<void> {
  const { signal } = options;
  const random = options.random ?? Math.random;
  const minWatchMs = options.minWatchMs ?? 1000;
  const healthyWatchMs = options.healthyWatchMs ?? 30_000;
  const stallTimeoutMs = options.stallTimeoutMs ?? 150_000;
  const backoff = createBackoff(options.backoff, random);
  const slices = new Map<string, EndpointSlice>();
  let resourceVersion = "";
  // The LIST to make next: "0" (watch cache) first, the last resourceVersion
  // after a watch expired, "" (consistent read) after a LIST expired.
  let listFrom: string | undefined = "0";
  let previousFailure: ResolverError | undefined;
  let watchOpenedAt: number | undefined;

  const publish = () => options.onState({ slices, resourceVersion });

  async function list(): Promise<void> {
    const page = await listAll(api, listFrom!, options.pageSize ?? 500, signal, stallTimeoutMs);
    for (const item of page.items) checkSlice(item, "a LIST");
    slices.clear();
    for (const slice of page.items) slices.set(slice.metadata.name ?? "", slice);
    resourceVersion = page.resourceVersion;
    listFrom = undefined;
    publish();
  }

  function apply(event: WatchEvent): void {
    if (event.type === "ERROR") {
      const status = event.object as Status;
      throw new KubeApiError(
        `Watch of EndpointSlices failed: ${typeof status.message === "string" ? quote(status.message) : "ERROR event"}`,
        statusFields(status),
      );
    }
    const slice = event.object as EndpointSlice;
    if (event.type === "ADDED" || event.type === "MODIFIED") checkSlice(slice, `a ${event.type} event`);
    else checkMetadata(slice, `a ${quote(event.type)} event`);
    const version = slice.metadata?.resourceVersion;
    if (version) resourceVersion = version;
    const name = slice.metadata?.name ?? "";
    switch (event.type) {
      case "ADDED":
      case "MODIFIED":
        slices.set(name, slice);
        publish();
        break;
      case "DELETED":
        if (slices.delete(name)) publish();
        break;
      case "BOOKMARK":
        break;
      default:
        trace(`ignoring watch event of unknown type ${quote(event.type)}`);
    }
  }

  async function watch(): Promise<void> {
    const deadline = stallDeadline(signal, stallTimeoutMs);
    watchOpenedAt = undefined;
    try {
      const timeoutSeconds = 300 + Math.floor(random() * 300);
      const body = await api.watch({ resourceVersion, timeoutSeconds, signal: deadline.signal });
      watchOpenedAt = Date.now();
      // Progress is a complete event, not a byte: see `stallTimeoutMs`.
      await readWatchEvents(body, (event) => {
        deadline.touch();
        apply(event);
      }, { signal: deadline.signal });
    } catch (error) {
      throw deadline.stalled() ?? error;
    } finally {
      deadline.dispose();
    }
    const lasted = Date.now() - watchOpenedAt;
    if (lasted < minWatchMs) throw new QuickCloseError(`Watch closed after ${lasted} ms: resuming with backoff`);
  }

  while (!signal.aborted) {
    try {
      if (listFrom !== undefined) await list();
      if (signal.aborted) break;
      await watch();
      backoff.reset();
      previousFailure = undefined;
      trace(`watch ended cleanly at resourceVersion ${resourceVersion}: resuming`);
    } catch (caught) {
      if (signal.aborted) break;
      const error = caught instanceof ResolverError
        ? caught
        : new KubeApiError(`Watch of EndpointSlices broke: ${String(caught)}; resuming`, { cause: caught });
      if (watchOpenedAt !== undefined && Date.now() - watchOpenedAt >= healthyWatchMs) backoff.reset();
      watchOpenedAt = undefined;
      const delay = retryDelay(error, previousFailure, backoff, options.backoff?.maxMs ?? 30_000);
      if (isResourceVersionTooLarge(error)) {
        // This server does not have our resourceVersion yet: only a consistent read can go on.
        listFrom = "";
        trace(`resourceVersion ${resourceVersion} is ahead of the API server: relisting from ""`);
      } else if (isExpired(error)) {
        // A watch that expired relists from where it was; a LIST that expired reads the latest.
        listFrom = listFrom === undefined ? resourceVersion : "";
        trace(`resourceVersion expired: relisting from "${listFrom}"`);
      } else if (!(error instanceof QuickCloseError)) {
        report(options.onError, error);
      }
      trace(`${error.message}; retrying in ${Math.round(delay)} ms`);
      previousFailure = error;
      await sleep(delay, signal);
    }
  }
}

/** A watch that ended too soon after opening: retried with backoff, traced, not reported. */
class QuickCloseError extends KubeApiError {}

function report(onError: (error: ResolverError) => void, error: ResolverError): void {
  try {
    onError(error);
  } catch (failure) {
    trace(`an onError callback threw: ${failure}`);
  }
}

/**
 * A signal that aborts with the caller's signal, or when `touch()` was not
 * called for `stallTimeoutMs` (the watch calls it on every event).
 */
function stallDeadline(outer: AbortSignal, stallTimeoutMs: number) {
  const controller = new AbortController();
  const forward = () => controller.abort();
  outer.addEventListener("abort", forward, { once: true });
  if (outer.aborted) controller.abort();
  let lastProgressAt = Date.now();
  let stall: StallError | undefined;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (delay: number) => {
    timer = unrefTimer(setTimeout(() => {
      const idle = Date.now() - lastProgressAt;
      if (idle < stallTimeoutMs) return arm(stallTimeoutMs - idle);
      stall = new StallError(`Request to the API server stalled: no complete answer or event for ${idle} ms; retrying`);
      controller.abort(stall);
    }, delay));
  };
  arm(stallTimeoutMs);
  return {
    signal: controller.signal,
    touch: () => void (lastProgressAt = Date.now()),
    stalled: () => stall,
    dispose() {
      clearTimeout(timer);
      outer.removeEventListener("abort", forward);
      controller.abort();
    },
  };
}

/** Lists every page, each within the stall timeout; an expired continue token gives one full LIST without `limit`. */
async function listAll(
  api: EndpointSliceApi,
  from: string,
  pageSize: number,
  signal: AbortSignal,
  stallTimeoutMs: number,
) {
  const items: EndpointSlice[] = [];
  let continueToken: string | undefined;
  // A LIST at a specific resourceVersion with `limit` is an exact read of that
  // (possibly old) version; without `limit` it is served at that version or newer.
  let limit: number | undefined = from === "0" || from === "" ? pageSize : undefined;
  while (true) {
    const deadline = stallDeadline(signal, stallTimeoutMs);
    try {
      const result = await api.list({ resourceVersion: from, limit, continueToken, signal: deadline.signal });
      // A loop, not push(...items): a huge page must not overflow the stack.
      for (const item of result.items ?? []) items.push(item);
      continueToken = result.metadata?.continue || undefined;
      if (!continueToken) return { items, resourceVersion: result.metadata?.resourceVersion ?? "" };
    } catch (caught) {
      const error = deadline.stalled() ?? caught;
      if (!continueToken || !isExpired(error)) throw error;
      trace("continue token expired during a paged LIST: listing again in one request");
      items.length = 0;
      continueToken = undefined;
      limit = undefined;
      from = "";
    } finally {
      deadline.dispose();
    }
  }
}

/** The first 401 (fresh credentials), 410 or too-large resourceVersion (relist) retry at once; others back off. */
function retryDelay(error: ResolverError, previous: ResolverError | undefined, backoff: Backoff, maxMs: number) {
  const status = statusOf(error);
  const first = previous === undefined || statusOf(previous) !== status;
  if (first && (status === 401 || isExpired(error) || isResourceVersionTooLarge(error))) return 0;
  const retryAfterMs = Math.min(maxMs, (error instanceof KubeApiError ? error.retryAfterSeconds ?? 0 : 0) * 1000);
  return Math.max(backoff.next(), retryAfterMs);
}

function statusOf(error: ResolverError): number | undefined {
  return error instanceof KubeApiError ? error.status : undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = unrefTimer(setTimeout(done, ms));
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Checks that an object from the server has the shape endpoint selection
 * relies on; a real API server validates slices, so a malformed one means a
 * broken or hostile server: the LIST or watch fails and is retried, and the
 * last good state stays.
 */
function checkSlice(value: unknown, from: string): void {
  checkMetadata(value, from);
  // Indexed loops and no closures: this runs for every event (see selectEndpoints()).
  const { ports, endpoints } = value as Record<string, unknown>;
  if (ports !== undefined && ports !== null) {
    if (!Array.isArray(ports)) badSlice(from, "has ports that are not a list of objects");
    for (let i = 0; i < ports.length; i++) {
      if (!isRecord(ports[i])) badSlice(from, "has ports that are not a list of objects");
    }
  }
  if (endpoints === undefined || endpoints === null) return;
  if (!Array.isArray(endpoints)) badSlice(from, "has endpoints that are not a list");
  for (let i = 0; i < endpoints.length; i++) {
    const endpoint: unknown = endpoints[i];
    if (!isRecord(endpoint)) badSlice(from, "has an endpoint that is not an object");
    const { addresses, conditions, targetRef } = endpoint;
    if (addresses !== undefined && addresses !== null) {
      if (!Array.isArray(addresses)) badSlice(from, "has addresses that are not a list of strings");
      for (let a = 0; a < addresses.length; a++) {
        if (typeof addresses[a] !== "string") badSlice(from, "has addresses that are not a list of strings");
      }
    }
    if (conditions !== undefined && conditions !== null && !isRecord(conditions)) {
      badSlice(from, "has conditions that are not an object");
    }
    if (targetRef !== undefined && targetRef !== null && !isRecord(targetRef)) {
      badSlice(from, "has a targetRef that is not an object");
    }
  }
}

function badSlice(from: string, problem: string): never {
  throw new KubeApiError(`Cannot use ${from} from the API server: an EndpointSlice ${problem}; retrying`);
}

function checkMetadata(value: unknown, from: string): void {
  const metadata = isRecord(value) ? value.metadata : undefined;
  const ok = isRecord(metadata) &&
    (metadata.name === undefined || typeof metadata.name === "string") &&
    (metadata.resourceVersion === undefined || typeof metadata.resourceVersion === "string");
  if (!ok) {
    throw new KubeApiError(
      `Cannot use ${from} from the API server: its object has no valid metadata (name and resourceVersion must be strings); retrying`,
    );
  }
}
