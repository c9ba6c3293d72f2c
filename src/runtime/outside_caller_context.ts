/**
 * The async context this module was loaded in (on `node:async_hooks`, which Node, Bun and Deno all have), for work
 * that outlives the call that started it. An app's tracer (OpenTelemetry's context manager) or logger keeps the
 * current request in an `AsyncLocalStorage`; a shared watch started by a request's first gRPC call inherited it, so
 * that request's trace got the watch, every pod connection made at a later rollout and every re-watch for the rest of
 * the process, and the request's sampling decision held for all of them.
 *
 * @module
 */

import { AsyncResource } from "node:async_hooks";

/** Captured when the module is evaluated: at import, before any request, in the app's startup context. */
const loadContext = new AsyncResource("kgr-resolver.watch");

/**
 * Runs `run` in the async context this module was loaded in rather than the caller's: what it starts (promises,
 * timers, requests) inherits that context, not the caller's span or request.
 *
 * @param run The work to start.
 * @returns What `run` returns.
 *
 * @example Starting a watch that no request owns
 * ```ts
 * import { outsideCallerContext } from "./outside_caller_context.ts";
 * const started = outsideCallerContext(() => Promise.resolve("watching"));
 * console.log(await started);
 * ```
 */
export function outsideCallerContext<T>(run: () => T): T {
  return loadContext.runInAsyncScope(run);
}
