/**
 * Keeps a local copy of one Service's EndpointSlices in step with the API
 * server, the way client-go's reflector does: LIST, then WATCH from the
 * list's resourceVersion; resume after a clean close, relist only when the
 * resume point expired (410), back off with jitter on failures, abort a
 * watch that stalls.
 *
 * @module
 */

import { type BackoffOptions, createBackoff } from "../backoff.ts";
import { type Clock, sleep, systemClock } from "../clock.ts";
import type { EndpointSlice, Status, WatchEvent } from "../endpoint_slice.ts";
import { KubeApiError, type ResolverError } from "../errors.ts";
import { type EndpointSliceApi, quote, statusFields } from "../kube_api.ts";
import { trace } from "../trace.ts";
import { listPages } from "./_list_pages.ts";
import { asResolverError, planRetry, quickClose, type WatchEndReason, watchEndReason } from "./_retry.ts";
import { checkMetadata, checkSlice } from "./_slice_check.ts";
import { stallDeadline } from "./_stall_deadline.ts";
import { readWatchEvents } from "./watch_decoder.ts";

export type { WatchEndReason } from "./_retry.ts";

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
  /** Called as each LIST starts (all of its pages count once), for metrics. */
  onList?(): void;
  /** Called when a watch ends and will be resumed, with why, for metrics. */
  onWatchEnd?(reason: WatchEndReason): void;
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
  /**
   * Source of randomness in [0, 1), for the watch timeout and the backoff (tests make it fixed).
   * @default {Math.random}
   */
  random?: () => number;
  /**
   * Reads the time and runs the timers: stall deadlines, backoff waits, and the watch durations
   * behind `minWatchMs` and `healthyWatchMs` (tests drive a fake one).
   * @default {systemClock, whose timers do not keep the process alive}
   */
  clock?: Clock;
}

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
  const clock = options.clock ?? systemClock;
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

  async function list(from: string): Promise<void> {
    options.onList?.();
    const pageSize = options.pageSize ?? 500;
    const listed = await listPages(api, { from, pageSize, signal, clock, stallTimeoutMs });
    for (const item of listed.items) checkSlice(item, "a LIST");
    slices.clear();
    for (const slice of listed.items) slices.set(slice.metadata.name ?? "", slice);
    resourceVersion = listed.resourceVersion;
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

  /** Watches until the stream ends; says whether the server ended it at its timeout or earlier. */
  async function watch(): Promise<"timeout" | "closed"> {
    const deadline = stallDeadline(signal, { clock, stallTimeoutMs });
    watchOpenedAt = undefined;
    const timeoutSeconds = 300 + Math.floor(random() * 300);
    try {
      const body = await api.watch({ resourceVersion, timeoutSeconds, signal: deadline.signal });
      watchOpenedAt = clock.now();
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
    const lasted = clock.now() - watchOpenedAt;
    const tooSoon = quickClose(lasted, minWatchMs);
    if (tooSoon) throw tooSoon;
    return lasted >= timeoutSeconds * 900 ? "timeout" : "closed";
  }

  while (!signal.aborted) {
    let watching = false;
    try {
      if (listFrom !== undefined) await list(listFrom);
      if (signal.aborted) break;
      watching = true;
      const ended = await watch();
      options.onWatchEnd?.(ended);
      backoff.reset();
      previousFailure = undefined;
      trace(`watch ended cleanly at resourceVersion ${resourceVersion}: resuming`);
    } catch (caught) {
      if (signal.aborted) break;
      const error = asResolverError(caught);
      if (watching) options.onWatchEnd?.(watchEndReason(error));
      if (watchOpenedAt !== undefined && clock.now() - watchOpenedAt >= healthyWatchMs) backoff.reset();
      watchOpenedAt = undefined;
      const maxDelayMs = options.backoff?.maxMs ?? 30_000;
      const retry = planRetry(error, { listFrom, resourceVersion, previous: previousFailure, backoff, maxDelayMs });
      listFrom = retry.listFrom;
      if (retry.relist) trace(retry.relist);
      if (retry.report) report(options.onError, error);
      trace(`${error.message}; retrying in ${Math.round(retry.delayMs)} ms`);
      previousFailure = error;
      await sleep(retry.delayMs, { clock, signal });
    }
  }
}

function report(onError: (error: ResolverError) => void, error: ResolverError): void {
  try {
    onError(error);
  } catch (failure) {
    trace(`an onError callback threw: ${failure}`);
  }
}
