/**
 * Keeps a local copy of one Service's EndpointSlices in step with the API
 * server, the way client-go's reflector does: LIST, then WATCH from the
 * list's resourceVersion; resume after a clean close, relist only when the
 * resume point expired (410), back off with jitter on failures, abort a
 * watch that stalls. With `watchList`, the state comes from a streaming list
 * instead (one watch that starts with the current state, KEP-3157), and from
 * a LIST on servers that refuse those.
 *
 * @module
 */

import { type BackoffOptions, createBackoff, DEFAULT_BACKOFF_MAX_MS } from "../base/backoff.ts";
import { type Clock, sleep, systemClock } from "../runtime/clock.ts";
import type { WatchEvent } from "../base/endpoint_slice.ts";
import { KubeApiError, ResolverError } from "../base/errors.ts";
import { quote } from "../api/api_errors.ts";
import type { EndpointSliceApi } from "../api/kube_api.ts";
import { trace as traceLine, type TraceSink } from "../runtime/trace.ts";
import { type ListedSlices, listPages } from "./_list_pages.ts";
import {
  asResolverError,
  planRetry,
  quickClose,
  reportFailure,
  type StallError,
  type WatchEndReason,
  watchEndReason,
} from "./_retry.ts";
import { recoveryByTime } from "./_recovery_by_time.ts";
import { judgeQuietWatch } from "./_judge_quiet_watch.ts";
import { BOOKMARKS_DUE_MS, stallDeadline } from "./_stall_deadline.ts";
import { openWatchCodec } from "./watch_codec.ts";
import { chunkEndPublish } from "./_chunk_end_publish.ts";
import { tellState } from "./_tell_state.ts";
import { INITIAL_EVENTS_END, type SliceState, sliceStore } from "./_slice_store.ts";

export type { WatchEndReason } from "./_retry.ts";
export type { SliceState } from "./_slice_store.ts";

/**
 * Whether one cluster serves streaming lists (WatchList, KEP-3157). Share one
 * per cluster between its reflectors: once its API server refused a streaming
 * list, every reflector given this object lists instead, without asking again.
 *
 * @example One per API server
 * ```ts
 * import type { WatchListSupport } from "./reflector.ts";
 * const clusters = new Map<string, WatchListSupport>();
 * clusters.set("https://10.0.0.1:6443", { refused: false });
 * ```
 */
export interface WatchListSupport {
  /** Set once the API server refused a streaming list (400 or 422: before 1.27, or its `WatchList` gate off). */
  refused: boolean;
}

/**
 * How long a LIST page, a read of the Service or a watch without a complete event may take when `stallTimeoutMs` is
 * unset, in ms.
 */
export const DEFAULT_STALL_TIMEOUT_MS = 150_000;

/** How many EndpointSlices one LIST page asks for (`limit`): client-go's pager asks for 500 too. */
const PAGE_SIZE = 500;

/** Options of {@linkcode runReflector}. */
export interface ReflectorOptions {
  /** Ends the reflector; it then returns quietly. */
  signal: AbortSignal;
  /**
   * Called after every LIST, at the end of a streaming list's initial events, and after the events that changed a
   * slice, once the chunk of the watch's body that brought them was read up to an event's end (see
   * `_chunk_end_publish.ts`). A streaming list's state is never published before its initial events ended, nor any
   * once `signal` aborted. What it throws is traced, and the watch goes on (see `_tell_state.ts`).
   */
  onState(state: SliceState): void;
  /**
   * Called for every failure the caller should hear of (an API error, or a credential plugin's `ConfigError`); the
   * reflector retries by itself. Routine ones are only traced: see `Retry.report` in `_retry.ts`.
   */
  onError(error: ResolverError): void;
  /**
   * Called once the API server serves the watch again after failures reported to `onError`: a LIST completed, a
   * streaming list's initial events ended, or a watch delivered an event or stayed open for `minWatchMs` without an
   * error, unless the last failure ended one that had been open that long too, with no event since the failures before
   * it, or after it missed a change while quiet (on a quiet Service no event may come for minutes: kube-apiserver
   * v1.36.3 restarted on an idle etcd sent its first bookmark 2 minutes later). See `_recovery_by_time.ts`.
   */
  onRecovered?(): void;
  /** Called as each LIST (its pages count once) or streaming list starts: for metrics, and to read the Service anew. */
  onList?(): void;
  /**
   * Called when a watch ends and will be resumed, with why (as `onList`: metrics, the Service); not for a streaming
   * list that fails before its initial events ended (refused, say): that is a failed list, which `onList` counted.
   */
  onWatchEnd?(reason: WatchEndReason): void;
  /**
   * Receives the reflector's diagnostic lines; a caller that runs several reflectors names the watch in each line,
   * so that a trace of several Services or clusters says which one broke.
   * @default {trace}
   */
  trace?: TraceSink;
  /**
   * A LIST page that takes longer than this, or a watch that delivers no complete event for this long, is aborted and
   * retried, in ms. Bytes of an unfinished event are not progress: a server trickling one byte at a time cannot hold a
   * watch and its buffered line forever. Real API servers send a BOOKMARK about every minute once their resourceVersion
   * moved past the watch's start, which on a quiet cluster can take minutes: a watch that brought not one byte (after a
   * streaming list's initial events too) is resumed at once, and reported only when the next one does so too while a
   * LIST from the watch cache after each shows the Service's EndpointSlices at other resourceVersions than the watch
   * left them, a change it missed, or the LIST after the second fails (before 1.34, a quiet cluster's server may send
   * none). One that had a bookmark and then none for 75 s (`BOOKMARKS_DUE_MS`, when shorter: a hung server) is resumed
   * at once, unreported. One silent for 10 s (when shorter) in the middle of an event or of a streaming list's initial
   * events, which the server sends whole and back to back, is broken (see `heard()` in `_stall_deadline.ts`).
   * @default {150000}
   */
  stallTimeoutMs?: number;
  /**
   * A watch that ends sooner than this after opening, with no event, counts as a failure; after failures, one open this
   * long without an error counts as served again (see `onRecovered`), in ms.
   * @default {1000}
   */
  minWatchMs?: number;
  /**
   * A watch open this long resets the backoff however it ends, `nextUnanswered()`'s quick retries included, in ms.
   * @default {30000}
   */
  healthyWatchMs?: number;
  /** Delays between failed attempts (default 1 s doubling up to 30 s, with jitter). */
  backoff?: BackoffOptions;
  /**
   * Get the state from streaming lists (`sendInitialEvents=true`: the watch starts with the current state as ADDED
   * events, ended by a BOOKMARK annotated `k8s.io/initial-events-end`) unless this cluster refused them; without
   * it, from a LIST. A streaming list that fails in a way a LIST may not (401, 403, 404, 5xx, a stall; or, once the
   * server answered, broken or closed before its initial events ended) lists once instead.
   * @default {undefined} (LIST, then WATCH)
   */
  watchList?: WatchListSupport;
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
  const trace = options.trace ?? traceLine;
  const minWatchMs = options.minWatchMs ?? 1000;
  const healthyWatchMs = options.healthyWatchMs ?? 30_000;
  const stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const backoff = createBackoff(options.backoff, random);
  const store = sliceStore(api, trace);
  // The LIST to make next: "0" (watch cache) first, the last resourceVersion once a watch expired, "" once a LIST did.
  let listFrom: string | undefined = "0";
  // Set when a streaming list failed in a way a LIST may not: the next state comes from a LIST.
  let listInstead = false;
  let previousFailure: ResolverError | undefined;
  // Set when a failure was reported to onError, until the API server serves the watch again.
  let failing = false;
  let reportedAt = 0; // When the last failure was reported to onError.
  let watchOpenedAt: number | undefined;
  const openedHealthyLong = () => watchOpenedAt !== undefined && clock.now() - watchOpenedAt >= healthyWatchMs;
  // Changes the current watch delivered (its events other than bookmarks; the end of a streaming list's initial events).
  let changes = 0;
  // Watches in a row that the API server answered and that then stalled without a byte since their resume point.
  let quietStalls = 0;
  // Whether the API server's watch cache had the Service's EndpointSlices otherwise than the state after the last quiet
  // watch of the run: that watch may have missed a change of the Service.
  let missedBefore = false;
  // When a resumed watch open for minWatchMs without an event counts as served again.
  const timedRecovery = recoveryByTime(clock, minWatchMs);

  const publish = tellState(() => options.onState(store.state), { signal, trace, read: store.applyUnparsedForReader });
  const checks = { api, signal, clock, stallTimeoutMs, pageSize: PAGE_SIZE, trace, onList: options.onList };
  const recovered = () => {
    if (!failing) return;
    failing = false;
    options.onRecovered?.();
  };

  async function list(from: string): Promise<void> {
    options.onList?.();
    adopt(await listPages(api, { from, pageSize: PAGE_SIZE, signal, clock, stallTimeoutMs }));
  }

  /** Makes a LIST's slices the state, and publishes it. */
  function adopt(listed: ListedSlices): void {
    store.adopt(listed.items, listed.resourceVersion);
    listFrom = undefined;
    listInstead = false;
    recovered();
    publish();
  }

  /** Applies an event (`shaped` as in `SliceStore.check`), and tells the reader when it changed the state. */
  function apply(event: WatchEvent, shaped: boolean): void {
    store.check(event, shaped);
    if (!store.collecting) {
      if (store.change(event)) publish();
    } else if (store.collect(event)) {
      listFrom = undefined;
      recovered();
      publish();
    }
  }

  /**
   * Watches until the stream ends; says whether the server ended it at its timeout or earlier, or, for a
   * connection that broke after the watch delivered a change or had been open for at least `minWatchMs`, what
   * broke it: such a watch is resumed at once, as client-go resumes it, since the server was serving it. That
   * holds for a watch that delivered nothing too: a proxy that cuts connections idle for less than the bookmark
   * interval breaks every watch of a quiet Service before its first event, and backing off would leave the
   * endpoints stale. Only a watch that ends sooner than `minWatchMs` with no change is a quick close (client-go
   * counts any event; a bookmark alone does not count here, so that a server closing every watch after one
   * cannot make it spin).
   *
   * A watch that the server answered and that then stalls without a byte since its resume point (its start, or the
   * end of a streaming list's initial events) is `"quiet"`, or `quietAgain` when the one before it ended so too; the
   * loop checks each against the Service's slices in the watch cache: that is what a quiet Service looks like where
   * the API server sends its first bookmark late. Its bookmarks come only once the watch cache moved past where it was
   * when the watch started, and on a quiet cluster that took kube-apiserver v1.36.3 about 120 s with etcd's default
   * progress notifications (60 s with kubeadm's), and may take 180 s; servers before 1.34 may send none while no
   * EndpointSlice changes (v1.33.13: none in 12 minutes).
   */
  async function watch(
    streaming: boolean,
  ): Promise<"timeout" | "closed" | "quiet" | "unbookmarked" | { broken: unknown } | { quietAgain: StallError }> {
    const deadline = stallDeadline(signal, { clock, stallTimeoutMs, server: api.server, via: api.via });
    // Its changes are told at the end of a chunk that ends on an event's end (see `_chunk_end_publish.ts`).
    const told = chunkEndPublish(publish, clock, (error) => deadline.fail(error));
    watchOpenedAt = undefined;
    if (streaming) {
      store.beginInitialEvents();
      options.onList?.();
    }
    const timeoutSeconds = 300 + Math.floor(random() * 300);
    // Whether a complete event came since the resume point (see `quiet` below), and the bytes of one still incomplete.
    let eventful = false;
    let incompleteBytes = 0;
    // Cancels the timer that counts this watch as served once it has been open for minWatchMs after failures.
    let cancelServed: (() => void) | undefined;
    try {
      // A streaming list starts from the latest state ("", as client-go) rather than from the watch cache's ("0").
      const params = streaming
        ? { resourceVersion: listFrom === "0" ? "" : listFrom!, sendInitialEvents: true }
        : { resourceVersion: store.resourceVersion };
      if (streaming) trace(`streaming list from resourceVersion ${quote(params.resourceVersion)}`);
      const body = await api.watch({ ...params, timeoutSeconds, signal: deadline.signal, pauseTiming: deadline.pause });
      const codec = openWatchCodec(body.encoding);
      deadline.answered();
      watchOpenedAt = clock.now();
      cancelServed = timedRecovery.opened(failing, streaming, recovered);
      store.beginWatch((error) => deadline.fail(error));
      changes = 0;
      // Progress is a complete event, not a byte: see `stallTimeoutMs`.
      await codec.read(body.chunks, (line) => {
        // A line read late that failed the watch ends it here: nothing that follows it may apply.
        deadline.signal.throwIfAborted();
        deadline.touch();
        eventful = true;
        quietStalls = 0;
        const head = store.collecting ? undefined : codec.head(line);
        if (head) {
          // After failures, the event that says the watch works again must be a good one: checked now.
          if (failing) store.check(codec.parse(line, api.redact), codec.shaped);
          store.keep({ name: head.name, type: head.type, line, codec });
          changes++;
          timedRecovery.proved();
          recovered();
          told.changed();
          return;
        }
        store.applyUnparsed();
        const event = codec.parse(line, api.redact);
        const streamed = store.collecting;
        apply(event, codec.shaped);
        // A streaming list recovers at the end of its initial events (in `apply`), and resumes from there.
        if (store.collecting) return;
        if (streamed) eventful = false;
        if (streamed || event.type !== "BOOKMARK") changes++;
        else deadline.expectEvery(BOOKMARKS_DUE_MS);
        timedRecovery.proved();
        recovered();
      }, {
        signal: deadline.signal,
        onChunkRead: (bytes) => {
          incompleteBytes = bytes;
          told.chunkRead(bytes);
          // An event begun, or a streaming list's initial events, come whole and back to back: a pause in them is a
          // broken connection, which Deno may never report (see `heard()`).
          deadline.heard(bytes > 0 || store.collecting);
        },
        onTruncated: (bytes) => trace(`watch body ended in the middle of an event: its ${bytes} bytes are dropped`),
      });
      store.applyUnparsed();
    } catch (error) {
      const stall = deadline.stalled();
      if (deadline.early()) return "unbookmarked";
      // Answered, then not one byte (not even a bookmark's) from the resume point until the stall.
      const quiet = stall !== undefined && watchOpenedAt !== undefined && !store.collecting && !eventful &&
        incompleteBytes === 0;
      if (quiet && quietStalls++ === 0) return "quiet";
      if (quiet) return { quietAgain: stall };
      // Any other end breaks a run of quiet watches: the next quiet one is the first again.
      quietStalls = 0;
      const failure = stall ?? deadline.failure();
      if (failure) throw failure;
      // The connection itself broke (the runtime's error, not one of ours about the data or the server).
      const broken = !(error instanceof ResolverError) && !signal.aborted && !store.collecting &&
        watchOpenedAt !== undefined && (changes > 0 || clock.now() - watchOpenedAt >= minWatchMs);
      if (broken) return { broken: error };
      throw error;
    } finally {
      cancelServed?.();
      store.endWatch();
      // Lines before a stall or a broken connection are complete events all the same, and apply when they
      // can; else the watch that follows brings them again, as it resumes from the state's resourceVersion.
      // None waits after a bad line read late: applying its lines took them all (those before it applied).
      if (!deadline.failure()) {
        try {
          store.applyUnparsed();
        } catch (error) {
          trace(`dropping the last events of the failed watch from a bad one on: ${(error as Error).message}`);
        }
      }
      deadline.dispose();
      told.end();
    }
    if (store.collecting) {
      throw new KubeApiError(
        "Watch of EndpointSlices closed before its initial events ended (no BOOKMARK annotated " +
          `${INITIAL_EVENTS_END}): its partial state is dropped`,
      );
    }
    const lasted = clock.now() - watchOpenedAt;
    const tooSoon = changes === 0 ? quickClose(lasted, minWatchMs) : undefined;
    if (tooSoon) throw tooSoon;
    return lasted >= timeoutSeconds * 900 ? "timeout" : "closed";
  }

  while (!signal.aborted) {
    let watching = false;
    try {
      const streaming = listFrom !== undefined && options.watchList?.refused === false && !listInstead;
      if (listFrom !== undefined && !streaming) await list(listFrom);
      if (signal.aborted) break;
      watching = true;
      const ended = await watch(streaming);
      if (ended === "unbookmarked") {
        // A hung API server: resumed from the watch cache (no LIST), maybe on another one behind a load balancer.
        options.onWatchEnd?.("stall");
        backoff.reset();
        previousFailure = undefined;
        trace(`watch brought no bookmark, due every minute, for ${BOOKMARKS_DUE_MS} ms: resuming at once, unreported`);
        continue;
      }
      if (ended === "quiet" || (typeof ended === "object" && "quietAgain" in ended)) {
        const again = ended === "quiet" ? undefined : ended.quietAgain;
        const verdict = await judgeQuietWatch(checks, store.slices, store.resourceVersion, { again, missedBefore });
        if ("stopped" in verdict) break;
        if ("rewound" in verdict) {
          adopt(verdict.rewound);
          options.onWatchEnd?.("stall");
          quietStalls = 0;
          missedBefore = false;
          backoff.reset();
          previousFailure = undefined;
          continue;
        }
        if ("missed" in verdict) {
          timedRecovery.missedChange();
          throw verdict.missed;
        }
        missedBefore = verdict.differs;
        options.onWatchEnd?.("stall");
        if (verdict.served) {
          // The server served the watch, and the LIST completed: as after a watch that ended cleanly, failures
          // before it are over, and the next one is the first in a row.
          recovered();
          backoff.reset();
          previousFailure = undefined;
        }
        trace(verdict.line);
        continue;
      }
      quietStalls = 0;
      // Open for minWatchMs or more from the resume point, or it delivered a change, without an error: it was served.
      recovered();
      options.onWatchEnd?.(typeof ended === "string" ? ended : "error");
      backoff.reset(openedHealthyLong()); // The quick retries come back only after a healthy watch.
      previousFailure = undefined;
      trace(
        typeof ended === "string"
          ? `watch ended cleanly at resourceVersion ${store.resourceVersion}: resuming`
          : `watch broke after a change or ${minWatchMs} ms open (${String(ended.broken)}): resuming at once ` +
            `from resourceVersion ${store.resourceVersion}`,
      );
    } catch (caught) {
      if (signal.aborted) break;
      timedRecovery.failed(watchOpenedAt);
      const error = asResolverError(caught, api);
      // A streaming list that failed before its initial events ended is a failed list, as a LIST's failure is: no
      // watch ended (a server that refuses streaming lists answers the request with a 422, and is listed instead).
      const streaming = store.collecting;
      if (watching && !streaming) options.onWatchEnd?.(watchEndReason(error));
      if (openedHealthyLong()) backoff.reset();
      const maxDelayMs = options.backoff?.maxMs ?? DEFAULT_BACKOFF_MAX_MS;
      store.dropInitialEvents();
      const context = {
        listFrom,
        resourceVersion: store.resourceVersion,
        previous: previousFailure,
        backoff,
        maxDelayMs,
        streaming,
      };
      const served = !streaming && watchOpenedAt !== undefined &&
        (changes > 0 || clock.now() - watchOpenedAt >= minWatchMs);
      const reported = { reported: failing, reportedMsAgo: clock.now() - reportedAt };
      const retry = planRetry(error, { ...context, answered: watchOpenedAt !== undefined, served, ...reported });
      watchOpenedAt = undefined;
      listFrom = retry.listFrom;
      const wait = `${Math.round(retry.delayMs)} ms`;
      // A relist says so once, with its wait: the error's own line would repeat it.
      if (retry.relist) trace(retry.delayMs > 0 ? `${retry.relist} in ${wait}` : retry.relist);
      if (retry.listInstead === "refused") {
        options.watchList!.refused = true;
        trace("the API server refused a streaming list (WatchList): listing instead, for every later watch of it too");
      } else if (retry.listInstead) {
        listInstead = true;
        trace("a streaming list failed in a way a LIST may not: listing instead, this once");
      }
      if (retry.report) {
        failing = true;
        reportedAt = clock.now();
        reportFailure(options.onError, error);
      }
      if (!retry.relist) trace(`${error.message}; retrying in ${wait}`);
      // A streaming list that a LIST replaces at once is no failure: a restarting server's 403 to both counts once.
      if (!retry.listInstead) previousFailure = error;
      await sleep(retry.delayMs, { clock, signal });
    }
  }
}
