/**
 * What a failed request's `Retry-After` asks of the caller: whether to wait
 * before trying again, and for how long.
 *
 * @module
 */

import { KubeApiError } from "../base/errors.ts";

/**
 * Whether the server asked to be called again later: a 429 or 5xx answer with `Retry-After` (priority and fairness
 * throttling, a server shutting down, a load balancer without a ready backend), which client-go waits out unreported
 * (`checkWait` in rest/with_retry.go, up to 10 times). The callers wait too, and report it only when the next answer
 * asks to wait again.
 *
 * @param error Any failure, or `undefined`.
 * @returns True for a 429 or 5xx with `Retry-After`.
 *
 * @example A 503 with Retry-After
 * ```ts
 * import { KubeApiError } from "../base/errors.ts";
 * import { asksToWait } from "./retry_after.ts";
 * console.log(asksToWait(new KubeApiError("unavailable", { status: 503, retryAfterSeconds: 5 }))); // true
 * console.log(asksToWait(new KubeApiError("unavailable", { status: 503 }))); // false
 * ```
 */
export function asksToWait(error: unknown): boolean {
  if (!(error instanceof KubeApiError) || error.retryAfterSeconds === undefined) return false;
  return error.status === 429 || (error.status !== undefined && error.status >= 500);
}

/**
 * The longest `Retry-After` waited in full whatever the backoff's `maxMs`, in ms: kube-apiserver's priority and fairness
 * asks for up to 32 s (v1.36.3, while a priority level keeps rejecting), as client-go waits; a longer one (a bogus
 * header) is cut to this, or to `maxMs` when longer, so that it cannot park the resolver for hours.
 */
const LONGEST_RETRY_AFTER_MS = 60_000;

/**
 * How long a failure's `Retry-After` asks to wait, in ms: 0 without one, at most `maxMs` or 60 s, the longer.
 *
 * @param error Any failure.
 * @param maxMs The backoff's longest delay.
 * @returns The wait, in ms.
 *
 * @example kube-apiserver's longest, above the default `maxMs`
 * ```ts
 * import { KubeApiError } from "../base/errors.ts";
 * import { retryAfterMs } from "./retry_after.ts";
 * console.log(retryAfterMs(new KubeApiError("busy", { status: 429, retryAfterSeconds: 32 }), 30_000)); // 32000
 * ```
 */
export function retryAfterMs(error: unknown, maxMs: number): number {
  const seconds = error instanceof KubeApiError ? error.retryAfterSeconds ?? 0 : 0;
  return Math.min(Math.max(maxMs, LONGEST_RETRY_AFTER_MS), seconds * 1000);
}
