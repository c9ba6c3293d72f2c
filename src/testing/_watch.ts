/**
 * Watches of the fake API server: the request's options, what a watch sends
 * first (the current state, or the history since a resourceVersion), what
 * each later change looks like to it, and its bookmarks. Private to the fake
 * API server.
 *
 * @module
 */

import type { ServerResponse } from "node:http";
import { invalidListOptions, tooLarge, tooOldStatus } from "./_api_status.ts";
import type { LabelSelector } from "./_label_selector.ts";
import { parseResourceVersion, parseSelector, queryBool, queryInt } from "./_request_options.ts";
import type { RvWaiters } from "./_rv_waiters.ts";
import type { Change, SliceHistory } from "./_slice_history.ts";
import { byKey } from "./_slice_input.ts";
import { openWatchStream, type WatchStream } from "./_watch_stream.ts";
import type { EndpointSlice } from "./types.ts";

/** The pre-timeout BOOKMARK goes this long before a watch's deadline. */
const PRE_TIMEOUT_BOOKMARK_MS = 2000;

/** The open watches of one server. */
export interface WatchHub {
  /**
   * Answers a watch request: validates it, sends the head and the first
   * events, and keeps it open until it times out or ends.
   *
   * @returns Whether a `200` head was sent; rejects with an `HttpError` for a refused request.
   */
  serve(res: ServerResponse, namespace: string | undefined, query: Record<string, string>): Promise<boolean>;
  /** Sends a stored change to every open watch that sees it. */
  publish(change: Change): void;
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
  /** The storage. */
  history: SliceHistory;
  /** Waits for a future resourceVersion. */
  waiters: RvWaiters;
  /** How often a watch that allows bookmarks gets one. */
  bookmarkIntervalMs: number;
  /** Cut watch writes into pieces of at most this many bytes. */
  maxChunkBytes?: number;
}

interface OpenWatch {
  readonly stream: WatchStream;
  readonly namespace: string | undefined;
  readonly selector: LabelSelector;
  /** Only changes above this resourceVersion are sent. */
  readonly startRv: number;
}

/**
 * Creates the watch registry of one server.
 *
 * @param options Storage, waits, bookmark cadence and chunking.
 * @returns The registry.
 */
export function createWatchHub(options: WatchHubOptions): WatchHub {
  const { history, waiters, bookmarkIntervalMs, maxChunkBytes } = options;
  const watches = new Set<OpenWatch>();

  function inScope(watch: OpenWatch, slice: EndpointSlice): boolean {
    return (watch.namespace === undefined || slice.metadata.namespace === watch.namespace) &&
      watch.selector.matches(slice.metadata.labels);
  }

  function sendBookmark(watch: OpenWatch, annotations?: Record<string, string>): void {
    if (history.rv < watch.startRv) return;
    watch.stream.send("BOOKMARK", {
      kind: "EndpointSlice",
      apiVersion: "discovery.k8s.io/v1",
      metadata: annotations === undefined
        ? { resourceVersion: String(history.rv) }
        : { resourceVersion: String(history.rv), annotations },
      addressType: "",
      endpoints: null,
      ports: null,
    });
  }

  /** What a watcher sees of a change, as the watch cache decides it. */
  function deliver(watch: OpenWatch, change: Change): void {
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
    namespace: string | undefined,
    query: Record<string, string>,
  ): Promise<boolean> {
    const selector = parseSelector(query);
    const timeoutSeconds = queryInt("timeoutSeconds", query.timeoutSeconds);
    const bookmarks = queryBool(query.allowWatchBookmarks) ?? false;
    const sendInitialEvents = queryBool(query.sendInitialEvents);
    const match = query.resourceVersionMatch ?? "";
    const rvParam = query.resourceVersion ?? "";
    if (sendInitialEvents !== undefined && match !== "NotOlderThan") {
      throw invalidListOptions(
        "resourceVersionMatch",
        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
      );
    }
    if (match !== "") {
      if (sendInitialEvents === undefined) {
        throw invalidListOptions(
          "resourceVersionMatch",
          "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
        );
      }
      if (match !== "NotOlderThan") {
        throw invalidListOptions("resourceVersionMatch", `Unsupported value: ${JSON.stringify(match)}`);
      }
      if (sendInitialEvents && !bookmarks) {
        throw invalidListOptions(
          "allowWatchBookmarks",
          "allowWatchBookmarks must be set to true when sendInitialEvents is true",
        );
      }
    }
    const requested = rvParam === "" || rvParam === "0" ? undefined : parseResourceVersion(rvParam);

    // initial: "state" sends the current state as ADDED events; "replay" sends history.
    let initial: "state" | "replay" | "none";
    let startRv: number;
    if (sendInitialEvents === true) {
      if (requested !== undefined && requested > history.rv && !(await waiters.wait(requested))) {
        throw tooLarge(requested, history.rv);
      }
      initial = "state";
      startRv = history.rv;
    } else if (requested === undefined) {
      initial = sendInitialEvents === false ? "none" : "state";
      startRv = history.rv;
    } else {
      initial = "replay";
      startRv = requested;
    }
    if (res.destroyed) return false;

    const watch: OpenWatch = {
      stream: openWatchStream(res, { maxChunkBytes, onDone: () => watches.delete(watch) }),
      namespace,
      selector,
      startRv,
    };
    watches.add(watch);
    if (initial === "replay" && startRv < history.compactedRv) {
      watch.stream.send("ERROR", tooOldStatus(startRv, history.compactedRv));
      watch.stream.end();
      return true;
    }
    if (initial === "state") {
      const current = [...history.current.values()].filter((slice) => inScope(watch, slice)).sort(byKey);
      for (const slice of current) watch.stream.send("ADDED", slice);
      if (sendInitialEvents === true) {
        sendBookmark(watch, { "k8s.io/initial-events-end": "true" });
      }
    } else if (initial === "replay") {
      for (const change of history.changesAfter(startRv)) deliver(watch, change);
    }

    if (bookmarks) watch.stream.every(bookmarkIntervalMs, () => sendBookmark(watch));
    if (timeoutSeconds > 0) {
      const timeoutMs = timeoutSeconds * 1000;
      if (bookmarks && timeoutMs > PRE_TIMEOUT_BOOKMARK_MS) {
        watch.stream.later(timeoutMs - PRE_TIMEOUT_BOOKMARK_MS, () => sendBookmark(watch));
      }
      watch.stream.later(timeoutMs, () => watch.stream.end());
    }
    return true;
  }

  return {
    serve,
    publish(change) {
      for (const watch of watches) deliver(watch, change);
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
