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

/**
 * An async context and nothing else: no socket, timer or other handle, so it keeps nothing alive. `hasRef()` says so
 * to leak finders that ask it of every async resource made while a test runs (Jest's `--detectOpenHandles`, Vitest's
 * `--detectAsyncLeaks`): without it they count one never destroyed as an open handle for good ("1 open handle
 * potentially keeping Jest from exiting: kgr-resolver.watch"), where this module was loaded inside a test.
 */
class ContextOnlyResource extends AsyncResource {
  /** Whether this resource keeps the process alive, as a timer's `hasRef()` says: never. */
  hasRef(): boolean {
    return false;
  }
}

/** Captured when the module is evaluated: at import, before any request, in the app's startup context. */
const loadContext = new ContextOnlyResource("kgr-resolver.watch");

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
