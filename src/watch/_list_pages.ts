/**
 * The reflector's LIST: every page of it, each page answered within the stall
 * timeout and its body never silent for long. Private to `watch/`.
 *
 * @module
 */

import type { Clock } from "../runtime/clock.ts";
import type { EndpointSlice } from "../base/endpoint_slice.ts";
import type { EndpointSliceApi } from "../api/kube_api.ts";
import { KubeApiError } from "../base/errors.ts";
import { trace } from "../runtime/trace.ts";
import { isExpired } from "./_retry.ts";
import { stallDeadline } from "./_stall_deadline.ts";

/**
 * How many bytes of a page's body count as progress, which moves its stall deadline: a slow link brings that in well
 * under a second (8 kB/s at 64 kbit/s), a byte sent now and then to keep a connection alive takes a long time to.
 */
const PAGE_PROGRESS_BYTES = 1024;

/** Options of {@linkcode listPages}. */
export interface ListPagesOptions {
  /** The resourceVersion to list at: `"0"` (watch cache), `""` (consistent read) or a version. */
  from: string;
  /** Page size. */
  pageSize: number;
  /** Ends the LIST; it then rejects. */
  signal: AbortSignal;
  /** Runs the stall timer. */
  clock: Clock;
  /** How long one page may go without an answer, or its body without a KiB, in ms. */
  stallTimeoutMs: number;
}

/** Every item of a LIST, and the resourceVersion it reflects. */
export interface ListedSlices {
  /** The slices, from every page. */
  items: EndpointSlice[];
  /** The resourceVersion of the last page. */
  resourceVersion: string;
}

/**
 * Lists every page; an expired continue token gives one full LIST without
 * `limit`, at the latest resourceVersion.
 *
 * @param api The LIST call.
 * @param options Where to list from, the page size, the signal and the stall timeout.
 * @returns The items and the resourceVersion.
 * @throws {KubeApiError} What the LIST failed with, a page's body that paused halfway (see `heard()` in
 * `_stall_deadline.ts`), or a `StallError`.
 *
 * @example Listing from the watch cache
 * ```ts ignore
 * import { systemClock } from "../runtime/clock.ts";
 * import { listPages } from "./_list_pages.ts";
 * const signal = new AbortController().signal;
 * const { items } = await listPages(api, { from: "0", pageSize: 500, signal, clock: systemClock, stallTimeoutMs: 150_000 });
 * ```
 */
export async function listPages(api: EndpointSliceApi, options: ListPagesOptions): Promise<ListedSlices> {
  const { pageSize, signal } = options;
  let from = options.from;
  const items: EndpointSlice[] = [];
  let continueToken: string | undefined;
  // A LIST at a specific resourceVersion with `limit` is an exact read of that
  // (possibly old) version; without `limit` it is served at that version or newer.
  let limit: number | undefined = from === "0" || from === "" ? pageSize : undefined;
  while (true) {
    const deadline = stallDeadline(signal, { ...options, server: api.server, via: api.via });
    // The bytes of the page that came since its last progress.
    let unprogressedBytes = 0;
    try {
      const result = await api.list({
        resourceVersion: from,
        limit,
        continueToken,
        signal: deadline.signal,
        pauseTiming: deadline.pause,
        // A LIST page comes in one go: a pause in its body is a broken connection, which Deno may never report. Its
        // bytes are progress: a large page over a slow link takes longer than stallTimeoutMs, and timed as a whole
        // it was listed again from the start, as slowly, for ever. Only a KiB is, though: a byte now and then (a
        // proxy's keepalive) would hold the LIST for ever.
        onBytes: (count) => {
          deadline.answered();
          deadline.heard(true);
          unprogressedBytes += count;
          if (unprogressedBytes < PAGE_PROGRESS_BYTES) return;
          unprogressedBytes = 0;
          deadline.touch();
        },
      });
      // A loop, not push(...items): a huge page must not overflow the stack.
      for (const item of result.items) items.push(item);
      continueToken = result.metadata?.continue || undefined;
      if (!continueToken) return { items, resourceVersion: result.metadata?.resourceVersion ?? "" };
    } catch (caught) {
      const error = deadline.stalled() ?? brokenPage(deadline.broken(), api.server) ?? caught;
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

/** The failure of a LIST page whose body paused halfway, as the runtime's report of a broken connection would say. */
function brokenPage(broken: Error | undefined, server: string | undefined): KubeApiError | undefined {
  if (!broken) return undefined;
  return new KubeApiError(
    `Cannot list EndpointSlices: ${broken.message}${server ? ` (the API server at ${server})` : ""}: it is listed ` +
      "again; if this repeats, check the network and the proxies on the way",
    { cause: broken },
  );
}
