// The live table on a tiny terminal: rows of pods win over the header's lines, but for a failing watch's.
import assert from "node:assert/strict";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { KubeApiError } from "../../src/base/errors.ts";
import { serviceViewOf, tableAt } from "./_service_view.ts";

/** Service echo as the CLI tests' fake serves it: three ready pods hinted for their zones, one terminating, one not ready. */
const SLICE: EndpointSlice = {
  metadata: { name: "echo-x", namespace: "prod" },
  addressType: "IPv4",
  ports: [{ name: "grpc", port: 8080 }],
  endpoints: [
    ...[0, 1, 2].map((i) => ({
      addresses: [`10.1.0.${i + 1}`],
      targetRef: { name: `echo-${i}` },
      zone: "ab"[i % 2],
      nodeName: `node-${i % 2}`,
      hints: { forZones: [{ name: "ab"[i % 2] }] },
    })),
    {
      addresses: ["10.1.0.50"],
      targetRef: { name: "echo-old" },
      zone: "a",
      conditions: { ready: false, serving: true, terminating: true },
    },
    {
      addresses: ["10.1.0.51"],
      targetRef: { name: "echo-new" },
      zone: "b",
      conditions: { ready: false, serving: false },
    },
  ],
};

Deno.test("renderTable() at 20 columns and 12 rows gives the header's lines to a row of pods", () => {
  // Was: the target, the Service, the port, the cluster on three lines, the resourceVersion, the time and the state on
  // three, and the counts: ten lines of eleven, no row, nor the topology.
  const lines = tableAt(serviceViewOf([SLICE], { zone: "a" }), 20, { rows: 12 });
  const frame = lines.join("\n");
  assert.ok(lines.length <= 11, frame);
  assert.deepEqual(lines.slice(0, 3), ["service prod/echo", "port grpc", "watching"], frame);
  assert.ok(lines.includes("echo-new"), frame);
  assert.ok(lines.includes("  not used: not"), frame);
});

Deno.test("renderTable() on a tiny terminal keeps a failing watch's message, to its end, over the counts", () => {
  // Was, at 20 columns and 12 rows: 'retrying (see below)' with nothing below it but the counts; then the message cut
  // at its fourth line ('namespace "prod":…') over '... and 5 more pods' and two blank lines, what to do lost.
  const error = new KubeApiError(
    'Cannot watch endpointslices of service "echo" in namespace "prod": connection refused. Start the API server.',
  );
  const view = { ...serviceViewOf([SLICE], { zone: "a" }), watch: { state: "retrying" as const, error, since: 0 } };
  for (const [columns, rows] of [[20, 12], [30, 10], [40, 8]]) {
    const lines = tableAt(view, columns, { rows });
    const frame = `${columns}x${rows}:\n${lines.join("\n")}`;
    assert.ok(lines.length <= rows - 1, frame);
    assert.ok(lines.some((line) => line.startsWith("retrying (see below)")), frame);
    assert.ok(lines.some((line) => line.startsWith("Cannot watch")), frame);
    assert.ok(lines.some((line) => line.endsWith("server.")), frame);
    // The counts of its stale rows give way to it, how to quit does not (it was left off, the counts last).
    assert.equal(lines.at(-1), "Ctrl-C to quit", frame);
  }
});

Deno.test("renderTable() keeps the whole header where it leaves the rows of pods room", () => {
  for (const [columns, rows] of [[80, 24], [20, 40], [40, 20]]) {
    const lines = tableAt(serviceViewOf([SLICE], { zone: "a" }), columns, { rows });
    const frame = `${columns}x${rows}:\n${lines.join("\n")}`;
    assert.ok(lines[0].startsWith("kubernetes:///echo."), frame);
    assert.ok(lines.some((line) => line.startsWith("cluster ")), frame);
    assert.ok(lines.some((line) => line.startsWith("resourceVersion 7")), frame);
  }
});

Deno.test("renderTable() works a crowded tiny terminal's rows of pods out once a redraw, not once a frame it tries", () => {
  // Was: up to six frames tried, each laying out and counting every pod anew: 0.8 s a redraw for 5,000 pods at 20x12
  // on Node, where 80x24 took 0.1 s.
  const view = serviceViewOf([SLICE], { zone: "a" });
  let reads = 0;
  const pods = view.pods!.map((pod) => {
    const { message, ...rest } = pod;
    return Object.defineProperty({ ...rest }, "message", { get: () => (reads++, message), enumerable: true });
  }) as typeof view.pods;
  for (const [columns, rows] of [[20, 12], [80, 24]]) {
    reads = 0;
    tableAt({ ...view, pods }, columns, { rows });
    // Once for its cells, once for the counts of the reasons of the pods not shown.
    assert.ok(reads <= 2 * pods!.length, `${columns}x${rows}: ${reads} reads of ${pods!.length} pods' messages`);
  }
});

Deno.test("renderTable() on a tiny terminal gives up the header's parts where they would push the watch's state off", () => {
  // Was, at 29 to 35 columns and 8 rows, a pod's row fitting: the target, the Service, the cluster on three lines and
  // the resourceVersion, then the counts; 'retrying' and why were cut away below the header.
  const error = new KubeApiError(
    'Cannot watch endpointslices of service "echo" in namespace "prod": connection refused',
  );
  const [one] = serviceViewOf([SLICE], {}).pods!;
  const view = { ...serviceViewOf([SLICE], {}), pods: [one], watch: { state: "retrying" as const, error, since: 0 } };
  for (const columns of [29, 32, 35]) {
    const lines = tableAt(view, columns, { rows: 8 });
    const frame = `${columns}x8:\n${lines.join("\n")}`;
    assert.ok(lines.some((line) => line.includes("retrying (see below)")), frame);
    assert.ok(lines.some((line) => line.startsWith("Cannot watch")), frame);
  }
});

/** A 403 as the CLI words it: what failed, why, what to grant, and what the server said; 16 lines at 20 columns. */
const FORBIDDEN = new KubeApiError(
  'Cannot list endpointslices of service "echo" in namespace "prod": forbidden (403) for the credentials from ' +
    'the in-cluster service account: grant "list" on "endpointslices" in API group "discovery.k8s.io" (a resolver ' +
    'needs "list" and "watch") in namespace "prod" with a Role and RoleBinding (server said: "endpointslices is ' +
    'forbidden")',
);

Deno.test("renderTable() always says how to quit a live table, on a line of its own where the counts leave no room", () => {
  // Was: "Ctrl-C to quit" left off wherever it did not fit after the counts or what the table waits for: at 40x15
  // 'listing EndpointSlices...' alone; at 20x12 '4 used, 1 not used' alone.
  const watching = serviceViewOf([SLICE], { zone: "a" });
  const { snapshot: _, pods: __, ...listing } = { ...watching, watch: { state: "listing" as const, since: 0 } };
  const failing = { ...watching, watch: { state: "retrying" as const, error: FORBIDDEN, since: 0 } };
  for (const view of [watching, listing, failing, { ...listing, watch: failing.watch }]) {
    for (const [columns, rows] of [[20, 12], [40, 15], [30, 10], [80, 24]]) {
      const lines = tableAt(view, columns, { rows });
      const frame = `${view.watch.state} ${columns}x${rows}:\n${lines.join("\n")}`;
      assert.ok(lines.length <= rows - 1, frame);
      assert.ok(lines.at(-1)!.endsWith("Ctrl-C to quit"), frame);
      // What the table waits for, or the counts, are kept with it, unless a failing watch's message takes their lines.
      const counted = lines.some((line) => /^(\d+ used|listing|EndpointSlices)/.test(line));
      assert.ok(counted || (view.watch.state === "retrying" && lines.some((line) => line.startsWith("Cannot"))), frame);
    }
  }
});

Deno.test("renderTable() on a tiny terminal cuts a failing watch's long message with where to read it whole", () => {
  // Was, at 20x12: seven of its sixteen lines, cut at 'kubeconfig…', what to grant lost and nothing said of it.
  const view = {
    ...serviceViewOf([SLICE], { zone: "a" }),
    watch: { state: "retrying" as const, error: FORBIDDEN, since: 0 },
  };
  for (const [columns, rows] of [[20, 12], [30, 10], [40, 12]]) {
    const lines = tableAt(view, columns, { rows });
    const frame = `${columns}x${rows}:\n${lines.join("\n")}`;
    assert.ok(lines.length <= rows - 1, frame);
    assert.ok(lines.some((line) => line.startsWith("Cannot list")), frame);
    assert.ok(lines.includes("--once prints it all"), frame);
    assert.ok(lines.indexOf("--once prints it all") > lines.findIndex((line) => line.endsWith("…")), frame);
  }
  // Whole where it fits: no such line.
  const wide = tableAt(view, 200, { rows: 50 });
  assert.ok(!wide.includes("--once prints it all"), wide.join("\n"));
  assert.ok(wide.some((line) => line.endsWith('forbidden")')), wide.join("\n"));
});

Deno.test("renderTable() in the last frame Ctrl-C leaves keeps a failing watch's message whole where the live one did", () => {
  // Was, at 20x12 while listing: the live frame showed 'connection refused. Start the API server.' whole over how to
  // quit; the frame left in the scrollback kept 'listing EndpointSlices...' on two lines and cut the message at
  // 'connection refused.…', what to do lost.
  const error = new KubeApiError(
    'Cannot watch endpointslices of service "echo" in namespace "prod": connection refused. Start the API server.',
  );
  const watching = serviceViewOf([SLICE], { zone: "a" });
  const { snapshot: _, pods: __, ...listing } = watching;
  for (const [name, view] of [["pods", watching], ["listing", listing]] as const) {
    const failing = { ...view, watch: { state: "retrying" as const, error, since: 0 } };
    for (const [columns, rows] of [[20, 12], [30, 10]]) {
      const lines = tableAt(failing, columns, { rows, live: false, stopped: true });
      const frame = `${name} ${columns}x${rows}:\n${lines.join("\n")}`;
      assert.ok(lines.length <= rows - 1, frame);
      assert.ok(lines.some((line) => line.endsWith("server.")), frame);
      assert.ok(!lines.includes("--once prints it all"), frame);
      assert.ok(!lines.some((line) => line.includes("Ctrl-C")), frame);
    }
  }
});

Deno.test("renderTable() at 20 columns says how many pods have no row whole", () => {
  // Was, for 100 pods and more: '... and 4999 more p…', the line cut where the kinds did not fit after it.
  const many: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 5_000 }, (_, i) => ({
      addresses: [`10.${i >> 8}.${i & 255}.1`],
      targetRef: { name: `echo-7c9f-${i}` },
      conditions: { ready: i % 7 !== 0 },
    })),
  };
  for (const [columns, rows] of [[20, 12], [20, 30], [17, 12]]) {
    const lines = tableAt(serviceViewOf([many], {}), columns, { rows });
    const frame = `${columns}x${rows}:\n${lines.join("\n")}`;
    const more = lines.find((line) => line.startsWith("... and "));
    assert.ok(more !== undefined && /^\.\.\. and \d+ more( pods)?$/.test(more), frame);
  }
});

Deno.test("renderTable() on a terminal too short for the header and the message keeps where to read it whole", () => {
  // Was, at 20x8 and 40x7: the message cut with '…' where the frame was fitted to the height, and '--once prints it
  // all', under it, cut away with the lines below.
  const view = {
    ...serviceViewOf([SLICE], { zone: "a" }),
    watch: { state: "retrying" as const, error: FORBIDDEN, since: 0 },
  };
  for (const [columns, rows] of [[20, 8], [26, 8], [40, 7], [60, 7]]) {
    for (const live of [true, false]) {
      const lines = tableAt(view, columns, { rows, live, stopped: !live });
      const frame = `${columns}x${rows} ${live ? "live" : "stopped"}:\n${lines.join("\n")}`;
      assert.ok(lines.length <= rows - 1, frame);
      // On a line of its own, or before how to quit where the frame has no line to spare.
      const at = lines.findIndex((line) => line.startsWith("--once prints it all"));
      assert.ok(at > 0 && lines[at - 1].endsWith("…"), frame);
      assert.ok(lines.slice(0, at).some((line) => line.startsWith("Cannot list")), frame);
    }
  }
});

Deno.test("renderTable() at 5 and 6 rows says where to read a cut message whole, before how to quit where it has no line", () => {
  // Was: at 40x5 'Cannot list endpointslices of service…' over 'Ctrl-C to quit', nothing said of '--once'; at 40x6 a
  // short message cut without it; at 20x5 and 40x4 'retrying (see below)' with nothing of the message below it.
  const short = new KubeApiError(
    'Cannot watch endpointslices of service "echo" in namespace "prod": connection refused. Start the API server.',
  );
  const watching = serviceViewOf([SLICE], { zone: "a" });
  const { snapshot: _, pods: __, ...listing } = watching;
  for (const [name, view] of [["pods", watching], ["listing", listing]] as const) {
    for (const error of [FORBIDDEN, short]) {
      for (const [columns, rows] of [[40, 5], [40, 6], [80, 5], [20, 5], [40, 4]]) {
        for (const live of [true, false]) {
          const failing = { ...view, watch: { state: "retrying" as const, error, since: 0 } };
          const lines = tableAt(failing, columns, { rows, live, stopped: !live });
          const frame = `${name} ${columns}x${rows} ${live ? "live" : "stopped"}:\n${lines.join("\n")}`;
          assert.ok(lines.length <= rows - 1, frame);
          const state = lines.findIndex((line) => line.startsWith("retrying (see below)"));
          assert.ok(state >= 0 && lines[state + 1]?.startsWith("Cannot"), frame);
          if (live) assert.ok(lines.at(-1)!.endsWith("Ctrl-C to quit"), frame);
          // Whole, or cut with '…' and where to read it whole under it.
          const said = lines.some((line) => line.endsWith("server.") || line.endsWith('forbidden")'));
          const at = lines.findIndex((line) => line.startsWith("--once prints it all"));
          assert.ok(said || (at > 0 && lines[at - 1].endsWith("…")), frame);
        }
      }
    }
  }
});

Deno.test("renderTable() on a short terminal gives why there are no pods the header's lines, or says where to read it whole", () => {
  // Was, at 60x12 and 48x14: the advice for a Service without a selector cut with '…' before what to do, under the
  // cluster's and the resourceVersion's lines, and nothing said where to read it whole.
  const emptyReason = "service echo has no selector, and no EndpointSlice: give it an Endpoints object of its name " +
    "that lists addresses (the EndpointSliceMirroring controller mirrors it into EndpointSlices), give the Service a " +
    "selector, or write EndpointSlices of its own labeled kubernetes.io/service-name=echo (the resolver, like " +
    "kube-proxy, reads EndpointSlices only)";
  const base = serviceViewOf([], { zone: "a" });
  const view = { ...base, snapshot: { ...base.snapshot!, emptyReason } };
  for (const [columns, rows, whole] of [[60, 12, true], [48, 14, true], [80, 6, false], [40, 6, false]] as const) {
    const lines = tableAt(view, columns, { rows });
    const frame = `${columns}x${rows}:\n${lines.join("\n")}`;
    assert.ok(lines.length <= rows - 1, frame);
    assert.ok(lines.some((line) => line.includes("watching")), frame);
    assert.equal(lines.at(-1), "0 pods  Ctrl-C to quit", frame);
    if (whole) assert.ok(lines.join(" ").includes(`no pods: ${emptyReason}`), frame);
    else {
      const at = lines.indexOf("--once prints it all");
      assert.ok(at > 0 && lines[at - 1].endsWith("…") && lines.some((line) => line.startsWith("no pods: ")), frame);
    }
  }
});

Deno.test("renderTable() on a terminal with lines for one row and no more names a pod, not the counts twice", () => {
  // Was, at 40x6, four healthy pods: '... and 4 more pods: 2 used, 2 failover' over '2 used, 2 failover  Ctrl-C to
  // quit', a line left empty and no pod named; at 80x6 the same, where a row fits beside that line.
  const [first, ...others] = SLICE.endpoints!.slice(0, 3);
  const fourth = {
    ...first,
    addresses: ["10.1.0.4"],
    targetRef: { name: "echo-3" },
    zone: "b",
    hints: { forZones: [{ name: "b" }] },
  };
  const healthy: EndpointSlice = { ...SLICE, endpoints: [first, ...others, fourth] };
  const view = serviceViewOf([healthy], { zone: "a" });
  const at40 = tableAt(view, 40, { rows: 6 });
  assert.deepEqual(at40, [
    "service prod/echo  port grpc",
    "watching",
    "echo-0  10.1.0.1:8080  a     yes",
    "  used: hinted for the client's zone",
    "2 used, 2 failover  Ctrl-C to quit",
  ]);
  const at80 = tableAt(view, 80, { rows: 6 });
  assert.ok(at80.some((line) => line.startsWith("echo-0 ")), at80.join("\n"));
  assert.equal(at80.at(-2), "... and 3 more pods: 1 used, 2 failover", at80.join("\n"));
  // No line for a row: how many pods have none, their kinds said once, on the last line.
  const at5 = tableAt(view, 40, { rows: 5 });
  assert.deepEqual(at5.slice(-2), ["... and 4 more pods", "2 used, 2 failover  Ctrl-C to quit"]);
});

Deno.test("renderTable() on a short terminal ends why no pod is usable, cut, with where to read it whole", () => {
  // Was, at 40x6: 'no usable pod: no EndpointSlice has a' over 'port named grpc: its slices have other…', what to do
  // cut away and nothing said where to read it.
  const other: EndpointSlice = { ...SLICE, ports: [{ name: "other", port: 8080 }] };
  const base = serviceViewOf([other], { zone: "a" });
  const emptyReason = "no EndpointSlice has a port named grpc: its slices have other (name the port in the target)";
  const view = { ...base, snapshot: { ...base.snapshot!, emptyReason } };
  for (const [columns, rows] of [[40, 6], [20, 8], [20, 20]]) {
    const lines = tableAt(view, columns, { rows });
    const frame = `${columns}x${rows}:\n${lines.join("\n")}`;
    assert.ok(lines.length <= rows - 1, frame);
    const at = lines.indexOf("--once prints it all");
    assert.ok(at > 0 && lines[at - 1].endsWith("…"), frame);
  }
  // Whole where it fits, with no pointer.
  const whole = tableAt(view, 80, { rows: 12 });
  assert.ok(
    whole.includes("(name the port in the target)") && !whole.includes("--once prints it all"),
    whole.join("\n"),
  );
});

Deno.test("renderTable() gives why no pod is usable the lines the screen has left", () => {
  // Was, at 80x24 with one pod terminating and no longer serving: three lines of the reason, cut with '…' over
  // '--once prints it all', and nine empty lines under the frame.
  const leaving: EndpointSlice = {
    ...SLICE,
    endpoints: [{
      addresses: ["10.1.0.50"],
      targetRef: { name: "echo-old" },
      conditions: { serving: false, terminating: true },
    }],
  };
  const base = serviceViewOf([leaving], {});
  const emptyReason = "every pod it lists is terminating, none still serving: calls resume once new pods are ready " +
    "(it was scaled to zero, a rollout stops old pods before new ones are ready, as strategy Recreate does, or " +
    "namespace prod is being deleted, which kubectl get namespace prod says) " +
    "(kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo)";
  const view = { ...base, snapshot: { ...base.snapshot!, emptyReason } };
  const lines = tableAt(view, 80, { rows: 24 });
  const frame = lines.join("\n");
  assert.ok(lines.length <= 23, frame);
  assert.ok(!lines.includes("--once prints it all"), frame);
  assert.ok(lines.includes("(kubectl get endpointslices -n prod -l kubernetes.io/service-name=echo)"), frame);
  assert.ok(lines.some((line) => line.startsWith("echo-old ")), frame);
  // Cut still where the screen has no room for it, and the row kept.
  const short = tableAt(view, 80, { rows: 14 });
  assert.ok(short.length <= 13, short.join("\n"));
  assert.ok(short.includes("--once prints it all"), short.join("\n"));
  assert.ok(short.some((line) => line.startsWith("echo-old ")), short.join("\n"));
});
