// The events kept unparsed, applied with a bad one among them, against client-go's reflector, which applies each
// event as it comes until the bad one: what applies must be the state after some run of the events from the first,
// with the resourceVersion of that run's last event (the next watch resumes from it), and the longest such run.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { WatchEvent } from "../src/base/endpoint_slice.ts";
import { type UnparsedEvent, unparsedEvents } from "../src/watch/_unparsed_events.ts";
import { openWatchCodec } from "../src/watch/watch_codec.ts";

/** One event of a burst: its slice, its type, and whether it fails to parse. */
interface BurstEvent {
  name: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  bad: boolean;
}

const codec = openWatchCodec("json");

/** The state (slice name → resourceVersion) after `events` applied one by one, and the last resourceVersion. */
function applied(events: readonly BurstEvent[]): { slices: Map<string, number>; resourceVersion: number } {
  const slices = new Map<string, number>();
  events.forEach(({ name, type }, index) => type === "DELETED" ? slices.delete(name) : slices.set(name, index + 1));
  return { slices, resourceVersion: events.length };
}

/** Runs a burst through unparsedEvents(): the state (from none, at resourceVersion 0) and whether it threw. */
function throughUnparsed(burst: readonly BurstEvent[]) {
  const events = unparsedEvents();
  burst.forEach(({ name, type }, index) => {
    events.add({ name, type, line: new TextEncoder().encode(String(index)), codec });
  });
  const slices = new Map<string, number>();
  let resourceVersion = 0;
  const parse = ({ name, type, line }: UnparsedEvent): WatchEvent => {
    const index = Number(new TextDecoder().decode(line));
    if (burst[index].bad) throw new Error(`bad event ${index}`);
    return { type, object: { metadata: { name, resourceVersion: String(index + 1) } } } as WatchEvent;
  };
  const change = ({ type, object }: WatchEvent) => {
    const { name, resourceVersion: version } = (object as { metadata: { name: string; resourceVersion: string } })
      .metadata;
    resourceVersion = Number(version);
    if (type === "DELETED") slices.delete(name);
    else slices.set(name, resourceVersion);
  };
  let threw = false;
  try {
    events.applyAll(parse, change);
  } catch {
    threw = true;
  }
  return { slices, resourceVersion, threw };
}

/** The longest run from the first event whose state the kept events can give: no slice's events span its end. */
function longestRun(burst: readonly BurstEvent[]): number {
  const lastOf = new Map(burst.map(({ name }, index) => [name, index]));
  const kept = (index: number) => lastOf.get(burst[index].name) === index;
  const badAt = burst.findIndex((event, index) => event.bad && kept(index));
  for (let end = badAt === -1 ? burst.length : badAt; end > 0; end--) {
    if (burst.slice(0, end).every(({ name }) => lastOf.get(name)! < end)) return end;
  }
  return 0;
}

const burstArbitrary = fc.array(
  fc.record({
    name: fc.constantFrom("a", "b", "c", "d"),
    type: fc.constantFrom("ADDED" as const, "MODIFIED" as const, "DELETED" as const),
    bad: fc.boolean(),
  }),
  { maxLength: 10 },
);

Deno.test("unparsedEvents() applies, before a bad event, the longest run client-go's store held, and its resourceVersion", () => {
  fc.assert(
    fc.property(burstArbitrary, (burst) => {
      const ours = throughUnparsed(burst);
      const end = longestRun(burst);
      const expected = applied(burst.slice(0, end));
      assert.deepEqual(ours.slices, expected.slices, "the state after the run");
      assert.equal(ours.resourceVersion, expected.resourceVersion, "the resourceVersion of the run's last event");
      assert.equal(ours.threw, end < burst.length, "throws when a kept event is bad");
    }),
    { numRuns: 5000 },
  );
});

Deno.test("unparsedEvents() applies nothing when a slice kept after the bad event had one before the rest", () => {
  const burst: BurstEvent[] = [
    { name: "a", type: "ADDED", bad: false },
    { name: "b", type: "ADDED", bad: false },
    { name: "c", type: "ADDED", bad: true },
    { name: "a", type: "MODIFIED", bad: false },
  ];
  // Event b alone would be the state at resourceVersion 2 without a, which the server never had.
  assert.deepEqual(throughUnparsed(burst), { slices: new Map(), resourceVersion: 0, threw: true });
});
