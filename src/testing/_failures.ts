/**
 * The queue of failures that `failNext()` injects. Private to the fake API
 * server.
 *
 * @module
 */

import { currentValue, describeValue, isRecord, unknownField } from "../base/_util.ts";
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
   * @throws {TypeError} When `failure` is not an object, has a field that a failure does not have, or a field of the
   * wrong type (`null` included), or `count` is not a number.
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
      checkFailure(count, failure);
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

/**
 * Refuses a count or failure that no request could be failed with: a value of the wrong type (`null` included) is a
 * TypeError, a number or path out of range a RangeError, each shown as given (JSON wrote `NaN` and `Infinity` as
 * `null`).
 */
function checkFailure(count: number, failure: InjectedFailure): void {
  // An optional field's message ends with currentValue(), which says that null is no value of it.
  const refuse = (field: string, must: string, value: unknown, ending = `current value is ${describeValue(value)}`) => {
    const ofItsType = field === "path" ? typeof value === "string" : typeof value === "number";
    throw new (ofItsType ? RangeError : TypeError)(`Cannot inject failures as '${field}' must be ${must}: ${ending}`);
  };
  if (!Number.isInteger(count) || count < 0) refuse("count", "a non-negative integer", count);
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
    refuse("status", "an HTTP error status (400-599)", failure.status);
  }
  // A null reason or message gave the status's usual one, yet made a 429 a Status, as a given one does.
  for (const field of ["reason", "message"] as const) {
    const value = failure[field];
    if (value !== undefined && typeof value !== "string") {
      throw new TypeError(
        `Cannot inject failures as '${field}' must be a string, or absent for the status's usual one: ` +
          currentValue(value),
      );
    }
  }
  // A misspelled path matched no request: the failure never came, and stayed queued.
  if (failure.path !== undefined && !PATHS.includes(failure.path)) {
    refuse("path", `one of ${PATHS.map((path) => `"${path}"`).join(", ")}`, failure.path, currentValue(failure.path));
  }
  const retry = failure.retryAfterSeconds;
  if (retry !== undefined && !(Number.isInteger(retry) && retry >= 0)) {
    refuse(
      "retryAfterSeconds",
      "a non-negative integer (a Retry-After header holds whole seconds)",
      retry,
      currentValue(retry),
    );
  }
}
