/**
 * The live table's state line: the time since the last change and the watch's
 * state (`watching`, `listing for 7s`, `retrying for 12s (see below)`); and, before the
 * first pods, what the table's last line says it waits for, which agrees with it.
 *
 * @module
 */

import type { ServiceView } from "./service_observer.ts";
import type { Segment } from "./terminal.ts";

/** How long a table says only "listing" or "retrying" before it says for how long. */
const DURATION_SHOWN_AFTER_MS = 5_000;

/** Where and when the table is drawn, as far as the state line cares (see `TableContext` in `table.ts`). */
export interface StateLineContext {
  /** Whether the table redraws until Ctrl-C, or is printed once. */
  live: boolean;
  /** Whether this is the last frame of a live table, drawn once Ctrl-C stops it. */
  stopped?: boolean;
  /** The current time, on the clock of the view's times. */
  now: number;
}

/**
 * When the table last changed, as far as anyone knows.
 *
 * @param view The view; its `changedAt` and `changes` tell.
 * @param now The current time, on the clock of `changedAt`.
 * @returns `changed 5s ago`, `unchanged since start` or `no change yet`.
 *
 * @example
 * ```ts
 * import { changeText } from "./state_line.ts";
 * const view = { namespace: "prod", service: "echo", locality: {}, watch: { state: "watching" as const } };
 * console.log(changeText({ ...view, changedAt: 1_000, changes: 2 }, 6_000)); // "changed 5s ago"
 * ```
 */
export function changeText({ changedAt, changes }: ServiceView, now: number): string {
  if (changedAt !== undefined) return `changed ${ago(now - changedAt)} ago`;
  return changes === undefined ? "no change yet" : "unchanged since start";
}

/**
 * The watch's state, coloured.
 *
 * @param view The view; its `watch` and whether it has a `snapshot` tell.
 * @param context Whether the table is live, stopped by Ctrl-C or printed once, and the time.
 * @returns `watching`, `listed` (printed once), `listing`, `listing for 7s` (after 5 s), `retrying (see below)` or
 *   `retrying for 12s (see below)` (after 5 s).
 *
 * @example
 * ```ts
 * import { watchSegment } from "./state_line.ts";
 * const view = { namespace: "prod", service: "echo", locality: {}, watch: { state: "listing" as const, since: 0 } };
 * console.log(watchSegment(view, { live: true, now: 7_000 }).text); // "listing for 7s"
 * ```
 */
export function watchSegment({ watch, snapshot }: ServiceView, { live, stopped, now }: StateLineContext): Segment {
  if (watch.state === "watching") return { text: "watching", style: "green" };
  const once = !live && !stopped;
  // A table printed once (--once) shows the first state, read from a LIST that is done.
  if (watch.state === "listing" && snapshot && once) return { text: "listed", style: "green" };
  // A server that accepts the request and never answers leaves it listing until stallTimeoutMs (150 s): the time
  // shows that the CLI is waiting, not stuck (and, in the last frame, how long it waited).
  if (watch.state === "listing" && !once && now - watch.since >= DURATION_SHOWN_AFTER_MS) {
    return { text: `listing for ${ago(now - watch.since)}`, style: "yellow" };
  }
  if (watch.state === "listing") return { text: "listing", style: "yellow" };
  // An API server down for minutes: how long the last endpoints have gone without updates.
  const failing = now - watch.since;
  return {
    text: `retrying${failing >= DURATION_SHOWN_AFTER_MS ? ` for ${ago(failing)}` : ""} (see below)`,
    style: "red",
  };
}

/**
 * What a table without pods yet says it waits for, on its last line: in the terms of the state line above it.
 *
 * @param view The view; its `watch` and `port` tell.
 * @returns `no pods listed yet: retrying` while the watch fails, else what it reads.
 *
 * @example A watch that fails from the start
 * ```ts
 * import { waitingText } from "./state_line.ts";
 * import { KubeApiError } from "../base/errors.ts";
 * const error = new KubeApiError("Cannot list endpointslices: connection refused", { status: 0 });
 * const view = { namespace: "prod", service: "echo", locality: {}, watch: { state: "retrying" as const, error, since: 0 } };
 * console.log(waitingText(view)); // "no pods listed yet: retrying"
 * ```
 */
export function waitingText({ watch, port }: ServiceView): string {
  // It said 'listing EndpointSlices...' under 'retrying (see below)' for as long as the API server was down.
  if (watch.state === "retrying") return "no pods listed yet: retrying";
  return port === undefined ? "reading the Service for its first port..." : "listing EndpointSlices...";
}

/** A duration as the table says it: `7s`, `1m 12s`, `2h 5m`. */
function ago(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor(seconds / 60) % 60}m`;
}
