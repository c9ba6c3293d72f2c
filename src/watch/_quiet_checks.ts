/**
 * The LISTs that check a watch that brought nothing for `stallTimeoutMs`: one from the API server's watch cache, which
 * says whether the watch had anything of the Service's to bring, and a consistent one, which says whether the
 * cluster's history went back behind the state (etcd restored from a snapshot). Private to `watch/`.
 *
 * @module
 */

import type { Clock } from "../runtime/clock.ts";
import type { EndpointSlice } from "../base/endpoint_slice.ts";
import type { EndpointSliceApi } from "../api/kube_api.ts";
import type { TraceSink } from "../runtime/trace.ts";
import { type CacheDifference, compareWithWatchCache, historyWentBack } from "./_cache_check.ts";
import { type ListedSlices, listPages } from "./_list_pages.ts";

/** What the checks need of the reflector: its API, signal, clock and stall timeout, page size, trace and LIST count. */
export interface QuietCheckContext {
  /** The LIST call. */
  api: EndpointSliceApi;
  /** Ends a check's LIST. */
  signal: AbortSignal;
  /** Runs the stall timer. */
  clock: Clock;
  /** How long one page may take, in ms. */
  stallTimeoutMs: number;
  /** Page size. */
  pageSize: number;
  /** Receives what a check could not do, and what it found. */
  trace: TraceSink;
  /** Counts each LIST, for metrics. */
  onList?: () => void;
}

/**
 * Whether a LIST from the API server's watch cache (`resourceVersion=0`, one cheap request) has the Service's
 * EndpointSlices as the state has them: the same names at the same resourceVersions. Then a watch that brought
 * nothing had nothing of the Service's to bring, however far other Services' writes moved the cluster's
 * resourceVersion (kube-apiserver sends a watch bookmarks only once that moved, and before 1.34 on a quiet cluster
 * may send none: v1.33.13 sent none in 12 minutes). Its failure (redacted, traced) when it failed: no proof.
 * It reads every slice of the Service, as any LIST does: `onList` counts it.
 *
 * @param context The reflector's API, timings and trace.
 * @param state The state's slices by name.
 * @param resourceVersion The state's resourceVersion.
 * @returns `"same"`, or what differs.
 */
export async function checkWatchCache(
  context: QuietCheckContext,
  state: ReadonlyMap<string, EndpointSlice>,
  resourceVersion: string,
): Promise<"same" | CacheDifference> {
  context.onList?.();
  try {
    return compareWithWatchCache(state, resourceVersion, await listFrom("0", context));
  } catch (error) {
    const failure = context.api.redact(String((error as Error).message));
    if (!context.signal.aborted) context.trace(`could not check the API server's watch cache: ${failure}`);
    return { failed: failure };
  }
}

/**
 * A consistent LIST (`resourceVersion=""`, read from etcd, one request) when it shows that the cluster's history went
 * back behind the state (see `historyWentBack()`), traced as such: etcd restored from a snapshot without
 * `--bump-revision`. kube-apiserver v1.36.3 on it accepts a watch from the state's resourceVersion and sends nothing
 * until its own passes it, then only later changes; client-go's reflector keeps its old slices for good.
 *
 * @param context The reflector's API, timings and trace.
 * @param state The state's slices by name.
 * @param resourceVersion The state's resourceVersion.
 * @returns The LIST, to become the state; `undefined` when the history did not go back, or when the LIST failed (no
 * proof: traced, redacted).
 */
export async function rewoundHistory(
  context: QuietCheckContext,
  state: ReadonlyMap<string, EndpointSlice>,
  resourceVersion: string,
): Promise<ListedSlices | undefined> {
  context.onList?.();
  let listed: ListedSlices;
  try {
    listed = await listFrom("", context);
  } catch (error) {
    const failure = context.api.redact(String((error as Error).message));
    if (!context.signal.aborted) context.trace(`could not list from etcd: ${failure}`);
    return undefined;
  }
  const how = historyWentBack(state, resourceVersion, listed);
  if (!how) return undefined;
  context.trace(
    (how === "older"
      ? `the API server's resourceVersion went back from ${resourceVersion} to ${listed.resourceVersion}`
      : `the API server (at resourceVersion ${listed.resourceVersion}) has another history than the state (at ` +
        `${resourceVersion}): EndpointSlices at resourceVersions up to the state's that the state does not have`) +
      ": its etcd was restored from a snapshot (restore with --bump-revision and --mark-compacted to spare " +
      "watchers this): its EndpointSlices replace the state, unreported",
  );
  return listed;
}

function listFrom(from: string, { api, signal, clock, stallTimeoutMs, pageSize }: QuietCheckContext) {
  return listPages(api, { from, pageSize, signal, clock, stallTimeoutMs });
}
