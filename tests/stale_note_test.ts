import assert from "node:assert/strict";
import { createStaleNote } from "../src/adapters/_stale_note.ts";

const SINCE = Date.UTC(2026, 0, 1, 12, 0, 0, 500);

Deno.test("createStaleNote() notes since when updates fail, and only a new reason", () => {
  const session = {};
  const note = createStaleNote();
  note.resolved(session);
  assert.equal(note.hasNote(), false);
  assert.equal(
    note.fail(new Error("connection refused"), SINCE, session),
    "these endpoints may be stale: updates have failed since 2026-01-01T12:00:00Z: connection refused",
  );
  assert.equal(note.hasNote(), true);
  assert.equal(note.fail(new Error("connection refused"), SINCE + 5_000, session), undefined);
  assert.match(note.fail(new Error("HTTP 503"), undefined, session)!, /failed since 2026-01-01T12:00:00Z: HTTP 503$/);
});

Deno.test("createStaleNote() says when endpoints resolved before an idle channel's destroy() were resolved", () => {
  const note = createStaleNote();
  note.resolved({});
  const text = note.fail(new Error("connection refused"), SINCE, {});
  assert.match(
    text!,
    /^these endpoints may be stale: they were resolved at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, before the channel went idle, and updates have failed since 2026-01-01T12:00:00Z: /,
  );
});

Deno.test("createStaleNote() starts over after clear()", () => {
  const session = {};
  const note = createStaleNote();
  note.resolved(session);
  note.fail(new Error("connection refused"), SINCE, session);
  note.clear();
  assert.equal(note.hasNote(), false);
  assert.match(note.fail(new Error("connection refused"), SINCE + 60_000, session)!, /since 2026-01-01T12:01:00Z/);
});
