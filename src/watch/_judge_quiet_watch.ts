/**
 * What the reflector makes of a quiet watch: one that the API server answered and that then stalled without a byte
 * since its resume point. It is judged by the Service's own slices in the watch cache (see `_quiet_checks.ts`), and
 * the verdict says whether to resume at once, unreported, to adopt a LIST, or to report a change missed twice.
 * Private to `watch/`.
 *
 * @module
 */

import type { EndpointSlice } from "../base/endpoint_slice.ts";
import type { ListedSlices } from "./_list_pages.ts";
import { checkWatchCache, type QuietCheckContext, rewoundHistory } from "./_quiet_checks.ts";
import { quietAgain, type StallError } from "./_retry.ts";

/**
 * What to do after a quiet watch: `stopped` (the signal aborted: no watch is resumed, and the abort proves nothing);
 * `rewound`, a LIST to adopt (the watches were served: they had nothing to bring from a resourceVersion the server has
 * not reached); `missed`, the failure to report; else resume at once, unreported, after tracing `line`.
 */
export type QuietVerdict =
  | { readonly stopped: true }
  | { readonly rewound: ListedSlices }
  | { readonly missed: StallError }
  | {
    /** Whether the watch cache had the Service's slices otherwise than the state: the watch may have missed a change. */
    readonly differs: boolean;
    /** Whether this was the second quiet watch in a row, and the server had none of the Service's to send: served. */
    readonly served: boolean;
    /** What to trace. */
    readonly line: string;
  };

/** How the quiet watch ended, and how the one before it did. */
export interface QuietWatch {
  /** The stall, when the watch before it was quiet too (`quietAgain`); `undefined` for the first in a row. */
  again: StallError | undefined;
  /** Whether the check after the watch before it found the Service's slices otherwise than the state had them. */
  missedBefore: boolean;
}

/**
 * Judges a quiet watch by the Service's own slices in the watch cache, not by the cluster's resourceVersion: other
 * Services' writes move that, and a served watch gets their bookmark only at the server's next once-a-minute tick,
 * maybe after the stall (v1.32.13: a write 64 s into a watch, stall at 70 s), or none while its cache stays put.
 * Slices as the state has them: the watch had nothing to bring. Other ones: it may have missed a change, which the
 * next watch, from the state's resourceVersion, brings on a working path; a path that brings nothing (a proxy that
 * buffers watches while LISTs pass) misses it again, and the second quiet watch in a row is reported. On an HA cluster
 * the LIST may reach a server whose cache lags: its older slices, at an older resourceVersion, are reported only when
 * two checks in a row, stallTimeoutMs apart, find a difference, as lag.
 *
 * @param checks The reflector's API, timings and trace, for the LISTs.
 * @param slices The state's slices by name (a quiet watch brought no line, so none waits unparsed).
 * @param resourceVersion The state's resourceVersion.
 * @param quiet How this watch and the one before it ended.
 * @returns The verdict.
 */
export async function judgeQuietWatch(
  checks: QuietCheckContext,
  slices: ReadonlyMap<string, EndpointSlice>,
  resourceVersion: string,
  quiet: QuietWatch,
): Promise<QuietVerdict> {
  const { again } = quiet;
  const checked = await checkWatchCache(checks, slices, resourceVersion);
  if (checks.signal.aborted) return STOPPED;
  const same = checked === "same" ? true : typeof checked === "object" && "failed" in checked ? undefined : false;
  if (again && checked !== "same" && (same === undefined || quiet.missedBefore)) {
    const rewound = same === false ? await rewoundHistory(checks, slices, resourceVersion) : undefined;
    if (rewound) return { rewound };
    if (checks.signal.aborted) return STOPPED;
    return { missed: quietAgain(again, checked) };
  }
  const silent = `watch delivered no event, not even a bookmark, for ${checks.stallTimeoutMs} ms (stallTimeoutMs)` +
    (again ? " again" : "");
  const resuming = `resuming at once from resourceVersion ${resourceVersion}`;
  let line: string;
  if (same === undefined) {
    line = `${silent}: ${resuming}, unreported (the API server's watch cache could not be checked)`;
  } else if (!same) {
    const found = typeof checked === "object" && "behind" in checked
      ? `older than the state has them (its resourceVersion ${checked.behind} is behind ${checked.held})`
      : "other than the state has them (a change the watch may have missed)";
    line = `${silent}, and the API server's watch cache has the Service's EndpointSlices ${found}: ${resuming}, ` +
      "unreported unless the next check finds a difference too";
  } else {
    line = `${silent}, but the API server had none of the Service's to send: its watch cache has the Service's ` +
      `EndpointSlices as the state has them (servers before 1.34 may send no bookmark then): ${resuming}, ` +
      "unreported";
  }
  return { differs: same === false, served: again !== undefined && same === true, line };
}

/** The verdict once the signal aborted. */
const STOPPED: QuietVerdict = { stopped: true };
