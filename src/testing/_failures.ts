/**
 * The queue of failures that `failNext()` injects. Private to the fake API
 * server.
 *
 * @module
 */

import { describeValue, isRecord, unknownField } from "../base/_util.ts";
import type { InjectedFailure, RecordedRequest } from "./server_types.ts";

/** The `path`s a failure can name: which requests it hits. */
const PATHS: readonly string[] = ["list", "watch", "get", "any"];

/** Every field of an {@linkcode InjectedFailure}; the type makes the list whole. */
const FAILURE_FIELDS: readonly string[] = Object.keys(
  { status: true, reason: true, message: true, retryAfterSeconds: true, path: true } satisfies Record<
    keyof InjectedFailure,
    true
  >,
);

/** Injected failures, oldest first. */
export interface FailureQueue {
  /**
   * Queues a failure for the next `count` matching requests.
   *
   * @throws {TypeError} When `failure` is not an object, or has a field that a failure does not have.
   * @throws {RangeError} When `count`, the status, the path or `retryAfterSeconds` is not one a failure can have.
   */
  add(count: number, failure: InjectedFailure): void;
  /** Takes the failure for a request of this kind, if one is queued. */
  take(kind: RecordedRequest["kind"]): InjectedFailure | undefined;
  /** How many requests the queued failures are still to fail. */
  readonly pending: number;
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
      // Left out, it failed on reading its status; misspelt ("stauts"), the message named only the status.
      if (!isRecord(failure)) {
        throw new TypeError(
          `Cannot inject failures as 'failure' must be an object such as { status: 503 }: current value is ${
            describeValue(failure)
          }`,
        );
      }
      const unknown = unknownField(failure, FAILURE_FIELDS);
      if (unknown !== undefined) {
        throw new TypeError(
          `Cannot inject failures as they have no field ${JSON.stringify(unknown)}: use ${FAILURE_FIELDS.join(", ")}`,
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
    get pending() {
      return failures.reduce((sum, { remaining }) => sum + remaining, 0);
    },
  };
}
