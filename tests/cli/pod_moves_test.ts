// What a line per change says changed since the line before it: pods that came, went or changed use.
import assert from "node:assert/strict";
import { movesText, podMoves } from "../../src/cli/pod_moves.ts";
import { changeLine, snapshotReport } from "../../src/cli/report.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { serviceViewOf } from "./_service_view.ts";

type Endpoint = NonNullable<EndpointSlice["endpoints"]>[number];

/** A slice of pods `web-<i>` for each `i` of `ready`, ready, and of `notReady`, not ready. */
function slice(ready: readonly number[], notReady: readonly number[] = []): EndpointSlice {
  const pod = (i: number, isReady: boolean): Endpoint => ({
    addresses: [`10.0.${i >> 8}.${i & 255}`],
    targetRef: { name: `web-${i}` },
    ...isReady ? {} : { conditions: { ready: false } },
  });
  return {
    metadata: { name: "web-a", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints: [...ready.map((i) => pod(i, true)), ...notReady.map((i) => pod(i, false))],
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

Deno.test("changeLine() says first, after the first line, which pods came, went or changed use", () => {
  const before = serviceViewOf([slice([0, 1, 2, 3])], {}, "10");
  const after = serviceViewOf([slice([1, 2, 3, 4, 5], [0])], {}, "11");
  assert.equal(
    changeLine(after, 0, { since: before.pods }),
    "1970-01-01T00:00:00.000Z prod/echo rv 11 +2 used (web-4, web-5), +1 not used from used (web-0); " +
      "topology none (client locality unknown): 5 used: web-1 10.0.0.1:8080, web-2 10.0.0.2:8080, " +
      "web-3 10.0.0.3:8080, web-4 10.0.0.4:8080, web-5 10.0.0.5:8080; 1 not used (not ready): web-0 10.0.0.0:8080",
  );
  // The first line is as it was: the state alone.
  assert.match(changeLine(before, 0), / rv 10 topology none /);
});

Deno.test("changeLine() names three pods a group at 1,000 pods, then how many more", () => {
  const before = serviceViewOf([slice(range(0, 1000))], {}, "10");
  const step = serviceViewOf([slice(range(0, 995), range(1000, 1010))], {}, "11");
  const line = changeLine(step, 0, { since: before.pods });
  const changed = line.slice(0, line.indexOf("; topology "));
  assert.equal(
    changed,
    "1970-01-01T00:00:00.000Z prod/echo rv 11 +10 not used (web-1000, web-1001, web-1002 and 7 more), " +
      "-5 used (web-995, web-996, web-997 and 2 more)",
  );
  // The whole state follows, every pod named for a grep.
  assert.ok(line.includes("web-1009 10.0.3.241:8080"), line.slice(-200));
});

Deno.test("podMoves() keeps the pods that kept their use out, and movesText() says when none moved", () => {
  const pods = serviceViewOf([slice([0, 1])], {}).pods!;
  assert.deepEqual(podMoves(pods, pods), []);
  assert.equal(movesText([]), "no pod changed use");
});

Deno.test("movesText() says, by use now, the pods that came, then those that moved there, and last those that went", () => {
  const named = (name: string) => ({
    pod: name,
    addresses: [],
    ready: true,
    serving: true,
    terminating: false,
    use: "used" as const,
    message: "used",
  });
  const text = movesText([
    { pod: named("a"), from: "used" },
    { pod: named("b"), from: "unused", to: "used" },
    { pod: named("c"), to: "unused" },
    { pod: named("d"), to: "used" },
    { pod: named("e"), from: "used", to: "failover" },
    { pod: named("f"), from: "used", to: "unused" },
  ]);
  assert.equal(
    text,
    "+1 used (d), +1 used from not used (b), +1 failover from used (e), +1 not used (c), " +
      "+1 not used from used (f), -1 used (a)",
  );
});

Deno.test("snapshotReport() lists every pod that came, went or changed use in `changed`, after the first object", () => {
  const before = serviceViewOf([slice([0, 1, 2, 3, 4])], {}, "10");
  const after = serviceViewOf([slice([1, 2, 3, 4, 5], [6])], {}, "11");
  assert.equal("changed" in snapshotReport(before, 0), false);
  // Named as `unused` names pods (a review: `pod` held a name or an address, which a script could not tell apart).
  assert.deepEqual(JSON.parse(JSON.stringify(snapshotReport(after, 0, { since: before.pods }).changed)), [
    { podName: "web-5", addresses: [{ host: "10.0.0.5", port: 8080 }], to: "used" },
    { podName: "web-6", addresses: [{ host: "10.0.0.6", port: 8080 }], to: "unused" },
    { podName: "web-0", addresses: [{ host: "10.0.0.0", port: 8080 }], from: "used" },
  ]);
});

Deno.test("podMoves() tells pods by name and address: copies of one address move nothing, a pod made again on a new address came", () => {
  // Was (a review): moves keyed by the name alone, so the two rows of one address listed in two slices (two managers)
  // showed "+1 used from not used (10.0.0.1:8080), +1 not used (10.0.0.1:8080)" for a state that had not changed.
  const unnamed = (name: string, ready: boolean): EndpointSlice => ({
    ...slice([]),
    metadata: { name, namespace: "prod" },
    endpoints: [{ addresses: ["10.0.0.1"], ...(ready ? {} : { conditions: { ready: false } }) }],
  });
  const copies = [unnamed("web-a", true), unnamed("web-b", false)];
  const pods = serviceViewOf(copies, {}).pods!;
  assert.equal(pods.length, 2);
  assert.deepEqual(podMoves(pods, serviceViewOf(copies, {}).pods!), []);
  // Two copies that trade uses, one becoming the other's: one move, not two (a review: greedy matching said two).
  const row = (use: "used" | "failover" | "unused") => ({
    addresses: [{ host: "10.0.0.1", port: 8080 }],
    ready: true,
    serving: true,
    terminating: false,
    use,
    message: use,
  });
  assert.equal(
    movesText(podMoves([row("used"), row("unused")], [row("failover"), row("used")])),
    "+1 failover from not used (10.0.0.1:8080)",
  );
  // web-1 created again on another address (a StatefulSet's pod): the old one went, the new one came.
  const moved = slice([1]);
  moved.endpoints![0].addresses = ["10.0.9.9"];
  const moves = podMoves(serviceViewOf([slice([1])], {}).pods!, serviceViewOf([moved], {}).pods!);
  assert.equal(movesText(moves), "+1 used (web-1), -1 used (web-1)");
});
