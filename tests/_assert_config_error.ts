// Shared by the configuration tests.
import assert from "node:assert/strict";
import { ConfigError } from "../src/errors.ts";

/** Awaits `promise`, asserts it rejects with a ConfigError whose message matches, and returns the error. */
export async function rejectsConfig(
  promise: Promise<unknown>,
  message: RegExp,
): Promise<ConfigError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof ConfigError,
    `expected a ConfigError, got ${caught}`,
  );
  assert.match(caught.message, message);
  return caught;
}
