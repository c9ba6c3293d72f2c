// Shared by the configuration tests.
import assert from "node:assert/strict";
import { ConfigError } from "../src/base/errors.ts";

/**
 * Awaits `promise` (or calls it), asserts it rejects with a ConfigError whose
 * message matches and, when `expected` names them, whose `file` and `field`
 * are these; returns the error.
 */
export async function rejectsConfig(
  promise: Promise<unknown> | (() => unknown),
  expected: RegExp | { message: RegExp; file?: string; field?: string },
): Promise<ConfigError> {
  const { message, ...fields } = expected instanceof RegExp ? { message: expected } : expected;
  let caught: unknown;
  try {
    if (typeof promise === "function") await promise();
    else await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof ConfigError,
    `expected a ConfigError, got ${caught}`,
  );
  assert.match(caught.message, message);
  if ("file" in fields) assert.equal(caught.file, fields.file);
  if ("field" in fields) assert.equal(caught.field, fields.field);
  return caught;
}
