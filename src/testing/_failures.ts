/**
 * The queue of failures that `failNext()` injects. Private to the fake API
 * server.
 *
 * @module
 */

import type { InjectedFailure, RecordedRequest } from "./server_types.ts";

/** The `path`s a failure can name: which requests it hits. */
const PATHS: readonly string[] = ["list", "watch", "get", "any"];

/** Injected failures, oldest first. */
export interface FailureQueue {
  /**
   * Queues a failure for the next `count` matching requests.
   *
   * @throws {RangeError} When `count`, the status, the path or `retryAfterSeconds` is not one a failure can have.
   */
  add(count: number, failure: InjectedFailure): void;
  /** Takes the failure for a request of this kind, if one is queued. */
  take(kind: RecordedRequest["kind"]): InjectedFailure | undefined;
}

/**
 * Creates an empty queue.
 *
 * @returns The queue.
 */
export function createFailureQueue(): FailureQueue {
  const failures: { remaining: number; failure: InjectedFailure }[] = [];
  return {
    add(count, failure) {
      if (!Number.isInteger(count) || count < 0) {
        throw new RangeError(
          `Cannot inject failures as 'count' must be a non-negative integer: current value is ${JSON.stringify(count)}`,
        );
      }
      if (!Number.isInteger(failure.status) || failure.status < 400 || failure.status > 599) {
        throw new RangeError(
          `Cannot inject failures as 'status' must be an HTTP error status (400-599): current value is ${
            JSON.stringify(failure.status)
          }`,
        );
      }
      // A misspelled path matched no request: the failure never came, and stayed queued.
      if (failure.path !== undefined && !PATHS.includes(failure.path)) {
        throw new RangeError(
          `Cannot inject failures as 'path' must be one of ${PATHS.map((path) => `"${path}"`).join(", ")}: ` +
            `current value is ${JSON.stringify(failure.path)}`,
        );
      }
      const retry = failure.retryAfterSeconds;
      if (retry !== undefined && !(Number.isInteger(retry) && retry >= 0)) {
        throw new RangeError(
          `Cannot inject failures as 'retryAfterSeconds' must be a non-negative integer (a Retry-After header ` +
            `holds whole seconds): current value is ${JSON.stringify(retry)}`,
        );
      }
      if (count > 0) failures.push({ remaining: count, failure: { ...failure } });
    },
    take(kind) {
      const index = failures.findIndex(({ failure }) => {
        const path = failure.path ?? "any";
        return path === "any" || path === kind;
      });
      if (index === -1) return undefined;
      const entry = failures[index];
      entry.remaining -= 1;
      if (entry.remaining <= 0) failures.splice(index, 1);
      return entry.failure;
    },
  };
}
