/**
 * Watches of the fake API server (of EndpointSlices, Services or Nodes): the request's options, what a watch sends
 * first (the current state, or the history since a resourceVersion), what
 * each later change looks like to it, and its bookmarks. Private to the fake
 * API server.
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import type { Format } from "./_accept.ts";
import {
  forbiddenField,
  HttpError,
  injectedWatchExpiry,
  invalidListOptions,
  status,
  tooLarge,
  tooOldStatus,
  unsupportedValue,
} from "./_api_status.ts";
import { type ObjectSelector, queryBool, readListOptions, watchResourceVersion } from "./_request_options.ts";
import type { RvWaiters } from "./_rv_waiters.ts";
import type { Change, StoredObject } from "./_object_history.ts";
import { byStoredKey, type ServedResource } from "./_served_resources.ts";
import { includeObjectOf, type TableOptions, type TablePrinter, toTable } from "./_table.ts";
import { openWatchStream, type WatchStream } from "./_watch_stream.ts";
import type { InjectedFailure } from "./server_types.ts";

/** The pre-timeout BOOKMARK goes this long before a watch's deadline. */
const PRE_TIMEOUT_BOOKMARK_MS = 2000;
/**
 * The longest delay a timer takes (2^31 - 1 ms, about 24.8 days; a longer one fires at once): a watch whose
 * timeout is longer than that is never timed out, as no test runs that long.
 */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The open watches of one server. */
export interface WatchHub {
  /**
   * Answers a watch request: validates it, sends the head and the first
   * events, and keeps it open until it times out or ends.
   *
   * @param res The response to stream the watch into.
   * @param resource What is watched.
   * @param namespace The namespace watched, or `undefined` for all.
   * @param query The request's query parameters.
   * @param format The stream's format; or the answer to give instead of it, once the request is found valid
   * (an `Accept` header whose format the fake cannot write).
   * @param expiry An injected `410`: once the request is found valid, the stream sends only its ERROR event.
   * @returns Whether a `200` head was sent; rejects with an `HttpError` for a refused request.
   */
  serve(
    res: ServerResponse,
    resource: ServedResource,
    namespace: string | undefined,
    query: Record<string, string>,
    format: Format | HttpError,
    expiry?: InjectedFailure,
  ): Promise<boolean>;
  /** Sends a stored change of a resource to every open watch of it that sees it. */
  publish<T extends StoredObject>(resource: ServedResource<T>, change: Change<T>): void;
  /** Breaks every open watch. */
  dropAll(): void;
  /** Ends every open watch cleanly. */
  endAll(): void;
  /** Ends every open watch at once: the server closes. */
  closeAll(): void;
  /** How many watches are open. */
  readonly size: number;
}

/** What {@linkcode createWatchHub} needs. */
export interface WatchHubOptions {
  /** The resourceVersion every resource shares. */
  clock: { readonly rv: number };
  /** Waits for a future resourceVersion. */
  waiters: RvWaiters;
  /** How often a watch that allows bookmarks gets one. */
  bookmarkIntervalMs: number;
  /** Cut watch writes into pieces of at most this many bytes. */
  maxChunkBytes?: number;
  /** Whether the server's `WatchList` feature gate is on: streaming lists, and the initial-events-end bookmark. */
  watchList: boolean;
}

interface OpenWatch {
  readonly stream: WatchStream;
  readonly resource: ServedResource;
  readonly namespace: string | undefined;
  readonly selector: ObjectSelector;
  /** Only changes above this resourceVersion are sent; bookmarks only once the server is past it. */
  readonly startRv: number;
}

/**
 * The checks of `continue`, `sendInitialEvents` and `resourceVersionMatch` on a watch; with the `WatchList` gate
 * off, any `sendInitialEvents` is refused too, its cause second, as kube-apiserver v1.36.3 orders them.
 */
function checkWatchOptions(
  query: Record<string, string>,
  sendInitialEvents: boolean | undefined,
  watchList: boolean,
): void {
  const field = "resourceVersionMatch";
  const match = query.resourceVersionMatch ?? "";
  const errors = [];
  if (sendInitialEvents !== undefined && match !== "NotOlderThan") {
    errors.push(forbiddenField(field, "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"));
  }
  if (sendInitialEvents !== undefined && !watchList) {
    errors.push(
      forbiddenField(
        "sendInitialEvents",
        "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
      ),
    );
  }
  if (match !== "" && sendInitialEvents === undefined) {
    errors.push(
      forbiddenField(field, "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"),
    );
  }
  if (match !== "" && match !== "NotOlderThan") errors.push(unsupportedValue(field, match, ["NotOlderThan"]));
  if ((query.continue ?? "") !== "") {
    errors.push(forbiddenField(field, "resourceVersionMatch is forbidden when continue is provided"));
  }
  if (errors.length > 0) throw invalidListOptions(...errors);
}

/**
 * Creates the watch registry of one server.
 *
 * @param options Storage, waits, bookmark cadence and chunking.
 * @returns The registry.
 */
export function createWatchHub(options: WatchHubOptions): WatchHub {
  const { clock, waiters, bookmarkIntervalMs, maxChunkBytes, watchList } = options;
  const watches = new Set<OpenWatch>();

  function inScope(watch: OpenWatch, object: StoredObject): boolean {
    const { metadata } = object;
    return (watch.namespace === undefined || metadata.namespace === watch.namespace) &&
      watch.selector.matches(metadata.labels, watch.resource.fieldValues(object));
  }

  /**
   * A BOOKMARK with the current resourceVersion. Periodic and pre-timeout
   * ones go out only once the server is past the watch's start, as the real
   * watch cache decides; the one that ends the initial events always does.
   */
  function sendBookmark(watch: OpenWatch, annotations?: Record<string, string>): void {
    if (annotations === undefined && clock.rv <= watch.startRv) return;
    watch.stream.send("BOOKMARK", watch.resource.bookmark(String(clock.rv), annotations));
  }

  /** What a watcher sees of a change, as the watch cache decides it. */
  function deliver(watch: OpenWatch, change: Change<StoredObject>): void {
    if (change.rv <= watch.startRv) return;
    const now = change.type !== "DELETED" && inScope(watch, change.object);
    const before = change.prev !== undefined && inScope(watch, change.prev);
    if (now && !before) watch.stream.send("ADDED", change.object);
    else if (now && before) watch.stream.send("MODIFIED", change.object);
    else if (before) {
      const gone = change.type === "DELETED" ? change.object : {
        ...change.prev!,
        metadata: { ...change.prev!.metadata, resourceVersion: String(change.rv) },
      };
      watch.stream.send("DELETED", gone);
    }
  }

  async function serve(
    res: ServerResponse,
    resource: ServedResource,
    namespace: string | undefined,
    query: Record<string, string>,
    format: Format | HttpError,
    expiry?: InjectedFailure,
  ): Promise<boolean> {
    const { selector, timeoutMs } = readListOptions(query, resource.fields);
    const bookmarks = queryBool(query.allowWatchBookmarks) ?? false;
    const sendInitialEvents = queryBool(query.sendInitialEvents);
    checkWatchOptions(query, sendInitialEvents, watchList);
    const rvParam = query.resourceVersion ?? "";
    const requested = rvParam === "" || rvParam === "0" ? undefined : watchResourceVersion(rvParam);
    // A WatchList waits for its resourceVersion, then fails inside the stream, as the real server does.
    // A negative timeout: the deadline passed before the watch began, so there is nothing to wait for.
    const expired = timeoutMs < 0;
    const reached = expired || sendInitialEvents !== true || requested === undefined || await waiters.wait(requested);
    if (res.destroyed) return false;
    if (format instanceof HttpError) throw format;
    const convert = typeof format === "string"
      ? undefined
      : tableEvents(resource.printer, format.table, includeObjectOf(query));
    const { history } = resource;

    // "state" sends the current state as ADDED events, "replay" the changes since `startRv`.
    const initial = sendInitialEvents === true || (requested === undefined && sendInitialEvents === undefined)
      ? "state"
      : requested === undefined
      ? "none"
      : "replay";
    const startRv = initial === "replay" ? requested! : history.rv;
    const watch: OpenWatch = {
      stream: openWatchStream(res, { format, convert, maxChunkBytes, onDone: () => watches.delete(watch) }),
      resource,
      namespace,
      selector,
      startRv,
    };
    watches.add(watch);
    if (expiry !== undefined) {
      watch.stream.send("ERROR", injectedWatchExpiry(expiry, requested, history.rv));
      watch.stream.end();
      return true;
    }
    if (expired) {
      // As on the real server: the state's consistent read fails at the deadline; anything else just ends.
      if (initial === "state" && rvParam === "") {
        watch.stream.send("ERROR", status(500, "InternalError", "context deadline exceeded"));
      }
      watch.stream.end();
      return true;
    }
    const floor = history.watchableFrom;
    if (!reached || (initial === "replay" && startRv < floor)) {
      watch.stream.send("ERROR", reached ? tooOldStatus(startRv, floor) : tooLarge(requested!, history.rv).body);
      watch.stream.end();
      return true;
    }
    if (initial === "state") {
      const current = [...history.current.values()].filter((object) => inScope(watch, object)).sort(byStoredKey);
      for (const object of current) watch.stream.send("ADDED", object);
      // With the gate off, kube-apiserver v1.36.3 marks no end of the initial events (measured).
      if (bookmarks && watchList) sendBookmark(watch, { "k8s.io/initial-events-end": "true" });
    } else if (initial === "replay") {
      for (const change of history.changesAfter(startRv)) deliver(watch, change);
    }

    const heartbeats = bookmarks && resource.watchCached;
    if (heartbeats) watch.stream.every(bookmarkIntervalMs, () => sendBookmark(watch));
    if (timeoutMs > 0 && timeoutMs <= MAX_TIMER_MS) {
      if (heartbeats && timeoutMs > PRE_TIMEOUT_BOOKMARK_MS) {
        watch.stream.later(timeoutMs - PRE_TIMEOUT_BOOKMARK_MS, () => sendBookmark(watch));
      }
      watch.stream.later(timeoutMs, () => watch.stream.end());
    }
    return true;
  }

  return {
    serve,
    publish(resource, change) {
      for (const watch of watches) if (watch.resource === resource) deliver(watch, change);
    },
    dropAll() {
      for (const watch of [...watches]) watch.stream.drop();
    },
    endAll() {
      for (const watch of [...watches]) watch.stream.end();
    },
    closeAll() {
      for (const watch of [...watches]) watch.stream.close();
    },
    get size() {
      return watches.size;
    },
  };
}

/**
 * Converts a watch's events to Tables, as the real server does: only the first lists the columns, and a BOOKMARK
 * becomes the row of its empty object, which carries at least its metadata (`includeObject=None` too).
 */
function tableEvents(
  printer: TablePrinter<StoredObject>,
  version: TableOptions["version"],
  include: TableOptions["include"],
) {
  let columns = true;
  return (type: string, object: unknown): unknown => {
    const stored = object as StoredObject;
    const options = { version, include, columns, now: Date.now() };
    columns = false;
    const metadata = { resourceVersion: stored.metadata.resourceVersion };
    if (type !== "BOOKMARK") return toTable([stored], printer, metadata, options);
    return toTable([stored], printer, metadata, { ...options, include: include === "Object" ? "Object" : "Metadata" });
  };
}
