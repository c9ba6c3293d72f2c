// A burst with a bad line in it (broken JSON, or a start that names another slice than its object), cut into chunks
// anywhere, through the reflector against a server that resumes a watch from the resourceVersion asked: every state
// read is one the server had at that resourceVersion (as client-go's store, which applies each event as it comes),
// and the watch after the failure brings the state to the server's last.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { EndpointSliceApi } from "../src/api/kube_api.ts";
import type { ResolverError } from "../src/base/errors.ts";
import { runReflector, type SliceState } from "../src/watch/reflector.ts";

/** One change the server makes, or a bookmark it sends. */
type Step = { kind: "set" | "delete"; name: string } | { kind: "bookmark" };

/** An event line in the API server's field order (kind and apiVersion first, as the reflector reads the start). */
function eventLine(type: string, name: string, rv: number, objectName = name): string {
  const metadata = type === "BOOKMARK"
    ? { resourceVersion: String(rv) }
    : { name: objectName, resourceVersion: String(rv) };
  const object = { kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", metadata, addressType: "IPv4" };
  const text = JSON.stringify({ type, object });
  return objectName === name ? text : text.replace(`"name":"${objectName}"`, `"name":"${name}","name":"${objectName}"`);
}

/** The server's events from resourceVersion 11 on, and its state (name → resourceVersion of the slice) at each. */
function serverHistory(steps: readonly Step[]) {
  const states = new Map<number, Map<string, number>>([[10, new Map()]]);
  const events: { rv: number; line: string; bad: string; bookmark: boolean }[] = [];
  let current = new Map<string, number>();
  let rv = 10;
  for (const step of steps) {
    if (step.kind === "bookmark") {
      events.push({ rv, line: eventLine("BOOKMARK", "", rv), bad: "", bookmark: true });
      continue;
    }
    const exists = current.has(step.name);
    if (step.kind === "delete" && !exists) continue;
    rv++;
    current = new Map(current);
    const type = step.kind === "delete" ? "DELETED" : exists ? "MODIFIED" : "ADDED";
    if (step.kind === "delete") current.delete(step.name);
    else current.set(step.name, rv);
    states.set(rv, current);
    const line = eventLine(type, step.name, rv);
    events.push({ rv, line, bad: eventLine(type, step.name, rv, "zz"), bookmark: false });
  }
  return { states, events, last: rv };
}

/** The state's slices as name → resourceVersion. */
function told(state: SliceState): Map<string, number> {
  return new Map([...state.slices].map(([name, slice]) => [name, Number(slice.metadata.resourceVersion)]));
}

const set = (name: string): Step => ({ kind: "set", name });

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom("set" as const, "delete" as const),
      name: fc.constantFrom("a", "b", "c"),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "bookmark" as const }) },
);

Deno.test("runReflector() reads a burst with a bad line into states the server had, and resumes to its last", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(stepArbitrary, { minLength: 1, maxLength: 14 }),
      fc.nat(),
      fc.boolean(),
      fc.array(fc.nat({ max: 2000 }), { maxLength: 6 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      async (steps, badPick, brokenJson, cuts, reads) => {
        const { states, events, last } = serverHistory(steps);
        const changes = events.filter((event) => !event.bookmark);
        if (changes.length === 0) return;
        const badRv = changes[badPick % changes.length].rv;
        const controller = new AbortController();
        const errors: ResolverError[] = [];
        // The states read; one the server never had is marked (an assertion in onState would go to the reflector).
        const seen: string[] = [];
        let watches = 0;
        let state: SliceState | undefined;
        const check = (where: string) => {
          const rv = Number(state!.resourceVersion);
          const slices = told(state!);
          const had = JSON.stringify([...slices].sort()) === JSON.stringify([...states.get(rv) ?? []].sort());
          seen.push(`${where} ${rv} ${JSON.stringify([...slices])}${had ? "" : " (never the server's)"}`);
        };
        const api: EndpointSliceApi = {
          redact: (text) => text,
          list: () => Promise.resolve({ metadata: { resourceVersion: "10" }, items: [] }),
          watch({ resourceVersion, signal }) {
            const first = watches++ === 0;
            const lines = events.filter((event) => event.rv > Number(resourceVersion) || event.bookmark && first)
              .map((event) => {
                if (!first || event.bookmark || event.rv !== badRv) return event.line;
                return brokenJson ? event.line.slice(0, -3) + "oops" : event.bad;
              });
            const bytes = new TextEncoder().encode(lines.map((line) => line + "\n").join(""));
            const at = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((x, y) => x - y);
            return Promise.resolve({
              chunks: new ReadableStream<Uint8Array>({
                start(stream) {
                  let from = 0;
                  for (const to of [...at, bytes.length]) {
                    if (to > from) stream.enqueue(bytes.slice(from, to));
                    from = to;
                  }
                  signal.addEventListener("abort", () => stream.error(signal.reason), { once: true });
                },
              }),
              encoding: "json",
            });
          },
        };
        let announced = 0;
        const running = runReflector(api, {
          signal: controller.signal,
          minWatchMs: 0,
          backoff: { initialMs: 1, maxMs: 2 },
          onState(next) {
            state = next;
            if (reads[announced++ % reads.length]) check("told");
          },
          onError: (error) => errors.push(error),
        });
        try {
          for (let i = 0; i < 500 && !(state && Number(state.resourceVersion) === last); i++) {
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
          check("last");
          assert.ok(!seen.some((entry) => entry.endsWith("(never the server's)")), seen.join("; "));
          assert.equal(Number(state!.resourceVersion), last, `resumed to the last: ${seen.join("; ")}`);
          assert.ok(errors.length <= 1, errors.map((error) => error.message).join("; "));
        } finally {
          controller.abort();
          await running;
        }
      },
    ),
    {
      numRuns: 300,
      // a11 b12 (bad c13) a14 in one chunk: b alone at 12 was never the server's state.
      examples: [[[set("a"), set("b"), set("c"), set("a")], 2, false, [], [true]]],
    },
  );
});
