// The pure output of the CLI: the live table, the line per change, the JSON object, colours and cuts.
import assert from "node:assert/strict";
import { changeLine, changeSummary, problemLine, snapshotReport } from "../../src/cli/report.ts";
import { renderTable, type TableContext, withShownChanges } from "../../src/cli/table.ts";
import { colorsWanted, createLiveFrame, fitLine, painter, takesEscapes } from "../../src/cli/terminal.ts";
import { explainEndpoints } from "../../src/selection/endpoint_explanation.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { KubeApiError } from "../../src/base/errors.ts";
import type { ServiceView } from "../../src/cli/service_observer.ts";
import { serviceViewOf } from "./_service_view.ts";

const SLICE: EndpointSlice = {
  metadata: { name: "echo-a", namespace: "prod" },
  addressType: "IPv4",
  ports: [{ name: "grpc", port: 8080 }],
  endpoints: [
    {
      addresses: ["10.0.0.1"],
      targetRef: { name: "echo-0" },
      zone: "a",
      nodeName: "n1",
      hints: { forZones: [{ name: "a" }] },
    },
    {
      addresses: ["10.0.0.2"],
      targetRef: { name: "echo-1" },
      zone: "b",
      nodeName: "n2",
      hints: { forZones: [{ name: "b" }] },
    },
    { addresses: ["10.0.0.3"], targetRef: { name: "echo-2" }, zone: "a", conditions: { ready: false } },
  ],
};

function viewOf(slices: EndpointSlice[], zone?: string): ServiceView {
  return { ...serviceViewOf(slices, zone ? { zone } : {}, "42"), changedAt: 1_000 };
}

const context: TableContext = {
  input: "kubernetes:///echo.prod:grpc",
  server: "https://10.0.0.1:6443",
  source: 'kubeconfig /k (context "kind")',
  origin: { kind: "kubeconfig", files: ["/k"], context: "kind" },
  now: 66_000,
  columns: 130,
  rows: 40,
  paint: painter(false),
  live: true,
};

Deno.test("renderTable() shows the header and one row per pod with why it is used or not", () => {
  assert.deepEqual(renderTable(viewOf([SLICE], "a"), context), [
    "kubernetes:///echo.prod:grpc  service prod/echo  port grpc",
    'cluster https://10.0.0.1:6443 from kubeconfig /k (context "kind")',
    "resourceVersion 42  changed 1m 5s ago  watching  topology zone (client in zone a)",
    "",
    "POD     ADDRESS        ZONE  NODE  READY  SERVING  TERMINATING  USED",
    "echo-0  10.0.0.1:8080  a     n1    yes    yes      no           used: hinted for the client's zone",
    "echo-1  10.0.0.2:8080  b     n2    yes    yes      no           failover: hinted for zone b",
    "echo-2  10.0.0.3:8080  a     -     no     yes      no           not used: not ready",
    "",
    "1 used, 1 failover, 1 not used (1 in zone a)  Ctrl-C to quit",
  ]);
});

Deno.test("renderTable() names an unnamed port as kubectl describe does, where the header showed nothing", () => {
  // A target without a port, for a Service whose only port has no name: the port in use is the one named "".
  const [header] = renderTable({ ...viewOf([SLICE]), port: "" }, { ...context, input: "kubernetes:///echo.prod" });
  assert.equal(header, "kubernetes:///echo.prod  service prod/echo  port <unset>");
});

/** A slice of 30 pods, p-00 to p-29, all ready but those of `notReady`. */
function thirtyPods(notReady: number[] = []): EndpointSlice {
  return {
    ...SLICE,
    endpoints: Array.from({ length: 30 }, (_, i) => ({
      addresses: [`10.0.1.${i}`],
      targetRef: { name: `p-${String(i).padStart(2, "0")}` },
      conditions: { ready: !notReady.includes(i) },
    })),
  };
}

/** The heading and the first two rows of a table. */
function tableRows(lines: string[]): string[] {
  const heading = lines.findIndex((line) => line.startsWith("POD "));
  return lines.slice(heading, heading + 3);
}

Deno.test("renderTable() on a narrow terminal puts the topology, and why it is none, on lines of their own", () => {
  const view: ServiceView = { ...viewOf([SLICE]), locality: { zone: "c" } };
  const lines = renderTable({ ...view, snapshot: { ...view.snapshot!, topology: "none" } }, {
    ...context,
    columns: 60,
  });
  assert.deepEqual(lines.slice(3, 6), [
    "resourceVersion 42  changed 1m 5s ago  watching",
    "topology none: no ready pod is hinted for zone c, only for",
    "zones a and b (client in zone c)",
  ]);
  // Wide enough for the reason, which names the zones hinted (140 characters with the state): on the state's line.
  assert.match(renderTable(view, { ...context, columns: 160 })[2], /^resourceVersion 42 .* watching {2}topology /);
});

Deno.test("renderTable() puts where the cluster access came from on a line of its own when it does not fit", () => {
  const lines = renderTable(viewOf([SLICE]), { ...context, columns: 50 });
  assert.deepEqual(lines.slice(2, 4), ["cluster https://10.0.0.1:6443", '  from kubeconfig /k (context "kind")']);
  assert.equal(
    renderTable(viewOf([SLICE]), context)[1],
    'cluster https://10.0.0.1:6443 from kubeconfig /k (context "kind")',
  );
});

Deno.test("renderTable() fits the terminal: lines cut at its width, rows beyond its height counted", () => {
  const lines = renderTable(viewOf([thirtyPods()]), { ...context, columns: 40, rows: 12 });
  assert.equal(lines.length, 11);
  assert.ok(lines.every((line) => [...line].length <= 40), lines.join("\n"));
  assert.deepEqual(lines.slice(0, 2), ["kubernetes:///echo.prod:grpc", "service prod/echo  port grpc"]);
  // The header took 7 of the 11 lines, which left no room for the headings and a row under them: it gives up the
  // cluster for a row.
  assert.ok(!lines.some((line) => line.startsWith("cluster ")), lines.join("\n"));
  assert.deepEqual(lines.slice(-4), [
    "p-00  10.0.1.0:8080   yes    used",
    "... and 29 more pods: all used",
    "",
    "30 used  Ctrl-C to quit",
  ]);
});

Deno.test("renderTable() live on a terminal too short for its header keeps within its height, summary last", () => {
  // One line more than the terminal's height minus one scrolls the table's top into the scrollback on every redraw.
  for (const rows of [2, 5, 7, 8]) {
    const lines = renderTable(viewOf([thirtyPods()]), { ...context, rows });
    assert.ok(lines.length <= rows - 1, `${rows} rows:\n${lines.join("\n")}`);
    assert.equal(lines.at(-1), "30 used  Ctrl-C to quit");
  }
  // The watch's state outlasts the cluster: kept from the top, the frame had lost it below the header.
  const listing = renderTable({ ...viewOf([]), pods: undefined, snapshot: undefined }, { ...context, rows: 4 });
  assert.deepEqual(listing, [
    "kubernetes:///echo.prod:grpc  service prod/echo  port grpc",
    "resourceVersion -  changed 1m 5s ago  watching  topology - (client locality unknown)",
    "listing EndpointSlices...  Ctrl-C to quit",
  ]);
});

Deno.test("renderTable() with topology leaves out NODE, TERMINATING, SERVING, READY, then ZONE where USED would get under 24 cells", () => {
  // Was, at 69 columns: READY kept and ZONE, where topology sends calls, left out; at 60, ZONE left out for a USED
  // column that fit its longest reason whole.
  const at = (columns: number) => tableRows(renderTable(viewOf([SLICE], "a"), { ...context, columns }));
  assert.deepEqual(at(96), [
    "POD     ADDRESS        ZONE  READY  SERVING  TERMINATING  USED",
    "echo-0  10.0.0.1:8080  a     yes    yes      no           used: hinted for the client's zone",
    "echo-1  10.0.0.2:8080  b     yes    yes      no           failover: hinted for zone b",
  ]);
  assert.deepEqual(at(69), [
    "POD     ADDRESS        ZONE  USED",
    "echo-0  10.0.0.1:8080  a     used: hinted for the client's zone",
    "echo-1  10.0.0.2:8080  b     failover: hinted for zone b",
  ]);
  // USED wraps in its column rather than ZONE goes, while it keeps 24 cells.
  assert.deepEqual(at(60), [
    "POD     ADDRESS        ZONE  USED",
    "echo-0  10.0.0.1:8080  a     used: hinted for the client's",
    "                             zone",
  ]);
  assert.deepEqual(at(50), [
    "POD     ADDRESS        USED",
    "echo-0  10.0.0.1:8080  used: hinted for the",
    "                       client's zone",
  ]);
});

Deno.test("renderTable() keeps long pod names whole over ZONE, and ZONE over SERVING and TERMINATING with topology", () => {
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: [0, 1].map((i) => ({
      addresses: [`10.4.${i + 1}.${i}`],
      targetRef: { name: `payments-gateway-canary-deployment-7f9c8d6b5c-x2k9${i}` },
      zone: i ? "eu-west-1b" : "eu-west-1a",
      nodeName: `ip-10-0-${i}-12.eu-west-1.compute.internal`,
      hints: { forZones: [{ name: i ? "eu-west-1b" : "eu-west-1a" }] },
    })),
  };
  // Was, from 118 to 144 columns: 'payments…-7f9c8d6b5c-x2k90' beside ZONE, SERVING and TERMINATING, where 99 to 117
  // showed the names whole without them. Where topology applies, USED says what SERVING and TERMINATING say, and ZONE
  // where the calls go: it comes back before them, beside whole names.
  const zoned = tableRows(renderTable(viewOf([slice], "eu-west-1a"), { ...context, columns: 123 }));
  assert.deepEqual(zoned, [
    "POD                                                  ADDRESS        ZONE        READY  USED",
    "payments-gateway-canary-deployment-7f9c8d6b5c-x2k90  10.4.1.0:8080  eu-west-1a  yes    used: hinted for the client's zone",
    "payments-gateway-canary-deployment-7f9c8d6b5c-x2k91  10.4.2.1:8080  eu-west-1b  yes    failover: hinted for zone eu-west-1b",
  ]);
  // One column less, and READY goes (USED says it too) rather than ZONE or a name.
  const narrower = tableRows(renderTable(viewOf([slice], "eu-west-1a"), { ...context, columns: 122 }));
  assert.equal(narrower[0], "POD                                                  ADDRESS        ZONE        USED");
  assert.ok(narrower[1].startsWith("payments-gateway-canary-deployment-7f9c8d6b5c-x2k90  "), narrower.join("\n"));
  // ZONE stays beside whole names while USED keeps 24 cells, wrapped; below that, ZONE goes rather than a name is cut.
  const wrapped = tableRows(renderTable(viewOf([slice], "eu-west-1a"), { ...context, columns: 104 }));
  assert.deepEqual(wrapped, [
    "POD                                                  ADDRESS        ZONE        USED",
    "payments-gateway-canary-deployment-7f9c8d6b5c-x2k90  10.4.1.0:8080  eu-west-1a  used: hinted for the",
    "                                                                                client's zone",
  ]);
  const zoneless = tableRows(renderTable(viewOf([slice], "eu-west-1a"), { ...context, columns: 103 }));
  assert.equal(zoneless[0], "POD                                                  ADDRESS        READY  USED");
  assert.ok(zoneless[1].startsWith("payments-gateway-canary-deployment-7f9c8d6b5c-x2k90  "), zoneless.join("\n"));
  // Without topology, ZONE tells nothing of where calls go: it goes first.
  assert.deepEqual(tableRows(renderTable(viewOf([slice]), { ...context, columns: 105 })), [
    "POD                                                  ADDRESS        READY  SERVING  TERMINATING  USED",
    "payments-gateway-canary-deployment-7f9c8d6b5c-x2k90  10.4.1.0:8080  yes    yes      no           used",
    "payments-gateway-canary-deployment-7f9c8d6b5c-x2k91  10.4.2.1:8080  yes    yes      no           used",
  ]);
});

Deno.test("renderTable() shortens a long pod name in its middle, so that pods stay apart and USED shows", () => {
  // A Deployment's pod name may take all 63 characters: its end (ReplicaSet hash, random suffix) tells pods apart.
  const base = "checkout-payments-gateway-canary-release-euwest-7f9c8d6b5-";
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: [0, 1].map((i) => ({
      addresses: [`10.0.3.${i}`],
      targetRef: { name: `${base}x2k9${i}` },
      conditions: { ready: i === 0 },
    })),
  };
  assert.equal(`${base}x2k90`.length, 63);
  assert.deepEqual(tableRows(renderTable(viewOf([slice]), { ...context, columns: 80 })), [
    "POD                                    ADDRESS        READY  USED",
    "checkout-pay…e-euwest-7f9c8d6b5-x2k90  10.0.3.0:8080  yes    used",
    "checkout-pay…e-euwest-7f9c8d6b5-x2k91  10.0.3.1:8080  no     not used: not ready",
  ]);
});

Deno.test("renderTable() on a terminal too short for a row still counts the pods it hides, under no bare heading", () => {
  // 30 pods, 3 not ready, under a three-line header: at 6 and 7 rows the heading was shown with nothing under it and
  // the `... and 30 more pods` line was cut (at 40 columns a two-line target and state put a 12-row terminal there).
  for (let rows = 6; rows <= 12; rows++) {
    const lines = renderTable(viewOf([thirtyPods([3, 12, 21])]), { ...context, rows });
    const frame = `${rows} rows:\n${lines.join("\n")}`;
    assert.ok(lines.length <= rows - 1, frame);
    assert.ok(lines.some((line) => line.startsWith("... and ")), frame);
    const heading = lines.findIndex((line) => line.startsWith("POD "));
    if (heading >= 0) assert.ok(lines[heading + 1] !== "" && heading + 1 < lines.length - 1, frame);
    assert.equal(lines.at(-1), "27 used, 3 not used  Ctrl-C to quit");
  }
});

Deno.test("renderTable() on a short terminal keeps the pods that get no calls, in the table's order", () => {
  const many = thirtyPods([7, 25]);
  const lines = renderTable(viewOf([many]), { ...context, rows: 12 });
  const rows = lines.filter((line) => line.startsWith("p-")).map((line) => line.split(" ")[0]);
  assert.deepEqual(rows, ["p-00", "p-07", "p-25"]);
  assert.equal(lines.at(-3), "... and 27 more pods: all used");
  const tiny = renderTable(viewOf([many]), { ...context, rows: 11 });
  assert.deepEqual(tiny.filter((line) => line.startsWith("p-")).map((line) => line.split(" ")[0]), ["p-07", "p-25"]);
  // No room for a row, but for the header's cluster and blank lines, which it gives up: the count then says "all
  // used" of the pods that are. On 6 rows, one, under no headings, its blank lines given up for it (it showed none, and
  // '... and 30 more pods: 28 used, 2 not used' over the same counts): it does not say "all used" when some are not.
  const short = renderTable(viewOf([many]), { ...context, rows: 8 });
  assert.deepEqual(short.filter((line) => line.startsWith("p-")).map((line) => line.split(" ")[0]), ["p-07", "p-25"]);
  assert.ok(short.includes("... and 28 more pods: all used"), short.join("\n"));
  const one = renderTable(viewOf([many]), { ...context, rows: 6 });
  assert.deepEqual(one.filter((line) => line.startsWith("p-")).map((line) => line.split(" ")[0]), ["p-07"]);
  assert.ok(one.includes("... and 29 more pods: 28 used, 1 not used"), one.join("\n"));
});

Deno.test("renderTable() on a short terminal shows a pod that gets no calls before failover ones", () => {
  // The client is in zone a: the pods hinted for zone b get calls only on failover; p-11 is not ready.
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 12 }, (_, i) => ({
      addresses: [`10.0.2.${i}`],
      targetRef: { name: `p-${String(i).padStart(2, "0")}` },
      zone: i === 10 ? "a" : "b",
      hints: { forZones: [{ name: i === 10 ? "a" : "b" }] },
      conditions: { ready: i !== 11 },
    })),
  };
  const lines = renderTable(viewOf([slice], "a"), { ...context, rows: 12 });
  const rows = lines.filter((line) => line.startsWith("p-")).map((line) => line.replace(/ {2,}.* {2,}/, " "));
  // The only pod hinted for the client's zone, which gets its calls, before any of the ten failover ones.
  assert.deepEqual(rows, ["p-10 used: hinted for the client's zone", "p-11 not used: not ready"]);
  assert.equal(lines.at(-4), "... and 10 more pods: 10 failover");
  // The failover pods not shown, counted by zone (a row gives way to the count).
  assert.equal(lines.at(-3), "failover: 10 hinted for zone b");
  assert.equal(lines.at(-1), "1 used, 10 failover, 1 not used (1 in zone b)  Ctrl-C to quit");
});

Deno.test("renderTable() on a short terminal shows the one pod that gets the calls among many not ready", () => {
  // Was, in a rollout on a real control plane (all new pods not ready, the old one deleted and still serving): 29 rows
  // and counts of 'not used: not ready', and the one pod that got every call only counted ('1 used').
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 30 }, (_, i) => ({
      addresses: [`10.0.3.${i}`],
      targetRef: { name: `p-${String(i).padStart(2, "0")}` },
      conditions: i === 29 ? { ready: false, serving: true, terminating: true } : { ready: false },
    })),
  };
  for (const rows of [8, 12, 24]) {
    const lines = renderTable(viewOf([slice]), { ...context, rows });
    const frame = `${rows} rows:\n${lines.join("\n")}`;
    assert.ok(
      lines.some((line) => line.startsWith("p-29 ") && line.includes("used: serving while terminating")),
      frame,
    );
    // Then those not used, where there is room.
    if (rows > 8) assert.ok(lines.some((line) => line.startsWith("p-00 ")), frame);
  }
});

Deno.test("renderTable() counts by reason the pods that get no calls, or calls on failover, when not all their rows fit", () => {
  // A Service of thousands of pods shows a few dozen rows: the counts say why the others get no calls, and where
  // the failover ones are. The client is in zone a.
  const conditions = (i: number) =>
    i % 10 === 3 ? { ready: false } : i % 10 === 7 ? { ready: false, serving: true, terminating: true } : {};
  const zone = (i: number) => ["a", "b", "c"][i % 3];
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 300 }, (_, i) => ({
      addresses: [`10.0.${i >> 8}.${i & 255}`],
      targetRef: { name: `p-${String(i).padStart(3, "0")}` },
      zone: zone(i),
      hints: { forZones: [{ name: zone(i) }] },
      conditions: conditions(i),
    })),
  };
  const lines = renderTable(viewOf([slice], "a"), { ...context, rows: 20 });
  assert.ok(lines.length <= 19, lines.join("\n"));
  assert.deepEqual(lines.slice(-6), [
    lines.at(-6)!, // the last row shown
    "... and 291 more pods: 80 used, 160 failover, 51 not used",
    "failover: 80 hinted for zone b; 80 hinted for zone c",
    // The pods not shown only, as the line above counts them: 9 not used are shown.
    "not used: 26 terminating while others are ready; 25 not ready",
    "",
    "80 used, 160 failover, 60 not used (20 in zone a, 20 in zone b, 20 in zone c)  Ctrl-C to quit",
  ]);
  assert.match(lines.at(-6)!, /^p-\d+ .* not used: /);
  // Every pod that gets no calls shown, its count is left out.
  const tall = renderTable(viewOf([slice], "a"), { ...context, rows: 80 });
  assert.ok(tall.includes("failover: 80 hinted for zone b; 80 hinted for zone c"), tall.join("\n"));
  assert.ok(!tall.some((line) => line.startsWith("not used:")), tall.join("\n"));
});

Deno.test("renderTable() on a short terminal counts by reason on the lines left, cut with '…', never mid-sentence", () => {
  // At 40 columns the header takes 10 lines (the Service and port, and the watch's state, on lines of their own). The count of the pods that get
  // no calls wrapped to two lines, and on 14 rows the frame, one line too tall, lost its second: 'not used: 2
  // terminating while others are' said nothing of the pod not ready.
  const unused = (i: number, conditions: { ready: boolean; serving?: boolean; terminating?: boolean }) => ({
    addresses: [`10.0.4.${i}`],
    targetRef: { name: `cart-${i}` },
    conditions,
  });
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: [
      ...[0, 1, 2].map((i) => ({ addresses: [`10.0.4.${i}`], targetRef: { name: `cart-${i}` } })),
      unused(7, { ready: false, serving: true, terminating: true }),
      unused(8, { ready: false, serving: true, terminating: true }),
      unused(9, { ready: false }),
    ],
  };
  const narrow = {
    ...context,
    columns: 40,
    source: 'kubeconfig /tmp/i13/kubeconfig.json (context "fake-api-server")',
    origin: { kind: "kubeconfig", files: ["/tmp/i13/kubeconfig.json"], context: "fake-api-server" },
  } as const;
  const more = "... and 5 more pods: 3 used, 2 not used";
  const summary = ["", "3 used, 3 not used  Ctrl-C to quit"];
  // At 40 columns USED goes under each row (three lines for a terminating pod): no row fitted, and the headings gave
  // their line to the counts. The header gives up its cluster (and on fewer rows its resourceVersion, the target and
  // the topology) for a row, and for the counts whole where that shows them so: at 13 and 14 rows they were left off.
  const whole = [more, "not used: 1 not ready; 1 terminating", "while others are ready", ...summary];
  const cut = [more, "not used: 1 not ready; 1 terminating…", ...summary];
  const tails: [number, string[]][] = [[12, cut], [13, whole], [14, whole], [15, cut], [16, whole]];
  for (const [rows, tail] of tails) {
    const lines = renderTable(viewOf([slice]), { ...narrow, rows });
    assert.ok(lines.length <= rows - 1, `${rows} rows:\n${lines.join("\n")}`);
    assert.deepEqual(lines.slice(lines.findIndex((line) => line.startsWith("... and"))), tail, `${rows} rows`);
  }
});

Deno.test("renderTable() at 30 columns counts the pods it hides whole where the screen has the lines", () => {
  // Seen in tmux at 30 columns, 24 rows: 'not used: 1 not ready; 1' / 'terminating while others are…', two lines a
  // kind, which cut the last word of the summary of the pods not shown while the frame had lines to spare.
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 7 }, (_, i) => ({
      addresses: [`10.0.4.${i}`],
      targetRef: { name: `checkout-payments-7d9f8c6b0-x${i}prk` },
      ...(i === 4 || i === 6 ? { conditions: { ready: false, serving: true, terminating: true } } : {}),
      ...(i === 5 ? { conditions: { ready: false } } : {}),
    })),
  };
  const narrow = {
    ...context,
    columns: 30,
    source: "the in-cluster service account",
    origin: { kind: "in-cluster" },
  } as const;
  // At 30 columns how to quit takes a line of its own under the counts: at 20 rows the kinds then had a line too few,
  // and were cut ('not used: 1 not ready; 1…') while the header kept its cluster.
  for (const rows of [18, 20, 21, 24]) {
    const lines = renderTable(viewOf([slice]), { ...narrow, rows });
    const where = `${rows} rows:\n${lines.join("\n")}`;
    assert.ok(lines.length <= rows - 1, where);
    assert.ok(!lines.some((line) => line.endsWith("…")), where);
    // Counted where their rows are not shown, whole (at 18 rows the header now gives up its cluster for their rows).
    const from = lines.findIndex((line) => line.startsWith("not used:"));
    if (from >= 0) {
      const counted = lines.slice(from, lines.indexOf("", from)).join(" ");
      const reason = "1 (?:not ready|terminating while others are ready)";
      assert.match(counted, new RegExp(`^not used: ${reason}(?:; ${reason})?$`), where);
    }
  }
});

Deno.test("renderTable() on a short terminal shows the pods outside the client's subset last", () => {
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 30 }, (_, i) => ({
      addresses: [`10.0.1.${i + 1}`],
      targetRef: { kind: "Pod", name: `p-${String(i).padStart(2, "0")}`, namespace: "prod" },
    })),
  };
  const view = viewOf([slice]);
  view.pods = explainEndpoints([slice], "grpc", {}, { subset: { size: 3, seed: 7 } }).pods;
  const lines = renderTable(view, { ...context, rows: 13 });
  const shown = lines.filter((line) => line.startsWith("p-"));
  assert.equal(shown.length, 3, lines.join("\n"));
  assert.ok(shown.every((line) => line.endsWith("used")), lines.join("\n"));
  // Counted by reason, as other pods whose rows do not fit: the line said only "... and 27 more pods: 27 not used".
  assert.ok(lines.includes("not used: 27 outside this client's subset of 3"), lines.join("\n"));
});

Deno.test("renderTable() shows a failing watch's message, and what it waits for", () => {
  const error = new KubeApiError('Cannot list endpointslices of service "echo" in namespace "prod": forbidden (403)');
  const lines = renderTable(
    { namespace: "prod", service: "echo", locality: {}, watch: { state: "retrying", error, since: 66_000 } },
    { ...context, columns: 60 },
  );
  // The port is not known yet: the first line would be too wide with it.
  assert.deepEqual(lines.slice(0, 2), [
    "kubernetes:///echo.prod:grpc",
    "service prod/echo  port (the Service's first)",
  ]);
  assert.deepEqual(lines.slice(4), [
    "resourceVersion -  no change yet  retrying (see below)",
    "topology - (client locality unknown)",
    'Cannot list endpointslices of service "echo" in namespace',
    '"prod": forbidden (403)',
    "",
    "no pods listed yet: retrying  Ctrl-C to quit",
  ]);
  const once = renderTable(
    { namespace: "prod", service: "echo", locality: {}, watch: { state: "retrying", error, since: 66_000 } },
    { ...context, live: false },
  );
  assert.equal(once.at(-1), "no pods listed yet: retrying", "a table printed once has no Ctrl-C hint");
});

Deno.test("renderTable() live with no pod says how to quit, as with pods", () => {
  const emptyReason = "its EndpointSlices list no pod: the Service selects none, or it is scaled to zero";
  const view = viewOf([{ ...SLICE, endpoints: [] }]);
  const lines = renderTable({ ...view, snapshot: { ...view.snapshot!, emptyReason } }, context);
  assert.deepEqual(lines.slice(4), [`no pods: ${emptyReason}`, "", "0 pods  Ctrl-C to quit"]);
  assert.deepEqual(
    renderTable({ ...view, snapshot: { ...view.snapshot!, emptyReason } }, { ...context, live: false })
      .slice(4),
    [`no pods: ${emptyReason}`],
  );
});

Deno.test("renderTable() printed once (--once on a terminal) keeps every line of why, which only a live one cuts", () => {
  // The advice for a Service with no EndpointSlice takes five lines at 80 columns: --once printed four, cut with '…'
  // before what to do about a Service without a selector or an ExternalName one, and exited 1.
  const emptyReason = "it has no EndpointSlice: check that the Service exists in namespace shop (kubectl get " +
    "service nosuch -n shop); one without a selector needs an Endpoints object of its name that lists addresses " +
    "(ready or not; not labeled endpointslice.kubernetes.io/skip-mirror, which the EndpointSliceMirroring " +
    "controller passes over) or EndpointSlices of its own labeled kubernetes.io/service-name=nosuch, and an " +
    "ExternalName one has no pods: dial its external name (dns:///)";
  const error = new KubeApiError(`Cannot watch: ${emptyReason}`);
  const base = viewOf([{ ...SLICE, endpoints: [] }]);
  const view = { ...base, snapshot: { ...base.snapshot!, emptyReason, portNote: emptyReason } };
  const once = { ...context, columns: 80, rows: Infinity, live: false };
  const text = (lines: string[]) => lines.join(" ").replace(/\s+/g, " ");
  const printed = renderTable(view, once);
  assert.ok(!printed.some((line) => line.endsWith("…")), printed.join("\n"));
  assert.ok(text(printed).endsWith(`no pods: ${emptyReason}`), printed.join("\n"));
  assert.ok(text(printed).includes(`${emptyReason} no pods:`), "the port note whole too");
  const failing = renderTable({ ...view, watch: { state: "retrying", error, since: 66_000 } }, once);
  assert.ok(text(failing).includes(error.message), failing.join("\n"));
  // A live one keeps to the screen: four lines for a note, the last cut with '…'; why there are no pods, last, has
  // the lines that the screen has left, which a pod would have taken.
  const live = renderTable(view, { ...context, columns: 80, rows: 40 });
  assert.ok(live.some((line) => line.endsWith("…")), live.join("\n"));
  const alone = renderTable({ ...base, snapshot: { ...base.snapshot!, emptyReason } }, { ...context, columns: 80 });
  assert.ok(text(alone).endsWith(`no pods: ${emptyReason} 0 pods Ctrl-C to quit`), alone.join("\n"));
  const short = renderTable({ ...base, snapshot: { ...base.snapshot!, emptyReason } }, {
    ...context,
    columns: 80,
    rows: 12,
  });
  assert.equal(short.length, 11, short.join("\n"));
  assert.equal(short.at(-1), "0 pods  Ctrl-C to quit");
});

Deno.test("renderTable() names the CLI's flags where the library names its options, before it wraps a line", () => {
  const error = new KubeApiError(
    'Cannot list endpointslices of service "echo" in namespace "prod": forbidden (403) for the credentials from ' +
      'kubeconfig /k (context "kind") with cluster.namespace: grant "list"',
  );
  const view: ServiceView = { ...viewOf([SLICE]), watch: { state: "retrying", error, since: 66_000 } };
  const source = 'kubeconfig /k (context "kind") with cluster.namespace';
  const lines = renderTable(view, { ...context, source, columns: 64 });
  assert.deepEqual(lines.slice(1, 8), [
    "cluster https://10.0.0.1:6443",
    '  from kubeconfig /k (context "kind") with --namespace',
    "resourceVersion 42  changed 1m 5s ago  retrying (see below)",
    "topology none (client locality unknown)",
    'Cannot list endpointslices of service "echo" in namespace',
    '"prod": forbidden (403) for the credentials from kubeconfig /k',
    '(context "kind") with --namespace: grant "list"',
  ]);
  // Too wide for its line, it wraps (it was cut: "with --na…").
  assert.deepEqual(renderTable(view, { ...context, source, columns: 48 }).slice(3, 5), [
    '  from kubeconfig /k (context "kind") with',
    "  --namespace",
  ]);
});

Deno.test("renderTable() says when the Service changed only when someone knows", () => {
  const view = viewOf([SLICE]);
  const header = (changes: Partial<ServiceView>) => renderTable({ ...view, ...changes }, context)[2];
  assert.ok(
    header({ changedAt: undefined, changes: 1 }).startsWith("resourceVersion 42  unchanged since start  watching"),
  );
  assert.ok(header({ changedAt: 6_000, changes: 2 }).startsWith("resourceVersion 42  changed 1m 0s ago  watching"));
  // --once prints the state a LIST brought, before any watch.
  const once = renderTable({ ...view, watch: { state: "listing", since: 0 } }, { ...context, live: false });
  assert.ok(once[2].includes("  listed  topology"), once[2]);
});

Deno.test("renderTable() live says for how long it has been listing, once that takes 5 s", () => {
  const waiting = { ...viewOf([]), pods: undefined, snapshot: undefined, changedAt: undefined, changes: undefined };
  const state = (since: number) => renderTable({ ...waiting, watch: { state: "listing", since } }, context)[2];
  assert.ok(state(context.now - 4_999).includes("  no change yet  listing  topology"), state(context.now - 4_999));
  // A server that never answers keeps it there until stallTimeoutMs (150 s): it looked stuck.
  assert.ok(state(context.now - 72_000).includes("  no change yet  listing for 1m 12s  topology"));
});

Deno.test("withShownChanges() dates a change only when the table shows it, not a change of hints alone", () => {
  const unhinted: EndpointSlice = {
    ...SLICE,
    endpoints: SLICE.endpoints!.map(({ hints: _, ...endpoint }) => endpoint),
  };
  // A client whose locality is unknown: topology is none with or without hints, the table the same.
  const first = withShownChanges(undefined, { ...viewOf([unhinted]), changedAt: undefined, changes: 1 });
  const hinted = withShownChanges(first, { ...viewOf([SLICE]), changedAt: 60_000, changes: 2 });
  assert.deepEqual([hinted.changedAt, hinted.changes], [undefined, 1]);
  assert.ok(renderTable(hinted, context)[2].includes("  unchanged since start  "));
  // A client in zone a: the hints change its topology, which the table shows.
  const zoned = withShownChanges(
    { ...viewOf([unhinted], "a"), changedAt: undefined, changes: 1 },
    { ...viewOf([SLICE], "a"), changedAt: 60_000, changes: 2 },
  );
  assert.deepEqual([zoned.changedAt, zoned.changes], [60_000, 2]);
  assert.ok(renderTable(zoned, context)[2].includes("  changed 6s ago  "));
  // A pod that became ready: a row changed.
  const ready = withShownChanges(hinted, {
    ...viewOf([{ ...SLICE, endpoints: SLICE.endpoints!.map(({ conditions: _, ...endpoint }) => endpoint) }]),
    changedAt: 62_000,
    changes: 3,
  });
  assert.deepEqual([ready.changedAt, ready.changes], [62_000, 3]);
});

Deno.test("a Service whose pods are all unusable says why in the table and the change line", () => {
  const view = viewOf([SLICE]);
  const snapshot = { ...view.snapshot!, endpoints: [], emptyReason: 'its EndpointSlices have no port named "grcp"' };
  const lines = renderTable({ ...view, snapshot }, context);
  assert.equal(lines[4], 'no usable pod: its EndpointSlices have no port named "grcp"');
  assert.equal(lines[5], "");
  assert.match(
    changeLine({ ...view, snapshot }, 0),
    /; no usable pod: its EndpointSlices have no port named "grcp"$/,
  );
});

Deno.test("a target's port number that no slice has is noted under the table's header, on the change line and in the JSON", () => {
  const portNote = "port 80 is none of the ports the Service's EndpointSlices give its pods";
  const base = viewOf([SLICE]);
  const view = { ...base, port: 80, snapshot: { ...base.snapshot!, portNote } };
  assert.equal(renderTable(view, context)[3], portNote);
  assert.equal(renderTable(view, { ...context, paint: painter(true) })[3], `\x1b[33m${portNote}\x1b[0m`);
  assert.ok(changeLine(view, 0).endsWith(`10.0.0.3:8080; ${portNote}`), changeLine(view, 0));
  assert.equal(snapshotReport(view, 0).portNote, portNote);
  assert.equal("portNote" in snapshotReport(viewOf([SLICE]), 0), false);
});

Deno.test("changeLine() keeps 'no pods' and why next to a port note, for slices with ports but no pod", () => {
  const portNote = "port 80 is none of the ports the Service's EndpointSlices give its pods";
  const emptyReason = "its EndpointSlices list no pod: the Service selects none, or it is scaled to zero";
  const view = viewOf([{ ...SLICE, endpoints: [] }]);
  const snapshot = { ...view.snapshot!, endpoints: [], emptyReason, portNote };
  assert.match(
    changeLine({ ...view, port: 80, snapshot }, 0),
    new RegExp(`: no pods \\(${emptyReason}\\); ${portNote}$`),
  );
});

Deno.test("changeLine() says that used pods are terminating, when no pod is ready and they are the fallback", () => {
  const terminating = { ready: false, serving: true, terminating: true };
  const view = viewOf([{
    ...SLICE,
    endpoints: SLICE.endpoints!.slice(0, 2).map((endpoint) => ({ ...endpoint, conditions: terminating })),
  }]);
  assert.equal(
    changeLine(view, 0),
    "1970-01-01T00:00:00.000Z prod/echo rv 42 topology none (client locality unknown): " +
      "2 used (serving while terminating, as no pod is ready): echo-0 10.0.0.1:8080, echo-1 10.0.0.2:8080",
  );
});

Deno.test("changeLine() gives no reason for a used pod that is ready while terminating (publishNotReadyAddresses)", () => {
  const published = { ready: true, serving: true, terminating: true };
  const endpoints = SLICE.endpoints!.map((endpoint, i) => i === 1 ? { ...endpoint, conditions: published } : endpoint);
  const line = changeSummary(viewOf([{ ...SLICE, endpoints }], "b"));
  assert.match(line, /^topology zone: 1 used: echo-1 10\.0\.0\.2:8080; 1 failover \(hinted for zone a\): echo-0 /);
});

Deno.test("changeLine() names an endpoint whose slice names no pod by its address alone", () => {
  const endpoints = [{ addresses: ["10.0.0.7"] }, { addresses: ["10.0.0.8"], targetRef: { name: "echo-8" } }];
  assert.match(
    changeSummary(viewOf([{ ...SLICE, endpoints }])),
    /: 2 used: echo-8 10\.0\.0\.8:8080, 10\.0\.0\.7:8080$/,
  );
});

Deno.test("changeLine() says a reason once for the pods that share it, one part per reason", () => {
  const endpoints = [
    ...["echo-0", "echo-1", "echo-2"].map((name, i) => ({ addresses: [`10.0.0.${i + 1}`], targetRef: { name } })),
    { addresses: ["10.0.0.4"], targetRef: { name: "echo-3" }, conditions: { ready: false } },
    { addresses: ["10.0.0.5"], targetRef: { name: "echo-4" }, conditions: { ready: false } },
    { addresses: ["10.0.0.6"], targetRef: { name: "echo-5" }, conditions: { ready: false, terminating: true } },
  ];
  const mixed = changeSummary(viewOf([{ ...SLICE, endpoints }]));
  assert.equal(
    mixed,
    "topology none (client locality unknown): 3 used: echo-0 10.0.0.1:8080, echo-1 10.0.0.2:8080, echo-2 " +
      "10.0.0.3:8080; 2 not used (not ready): echo-3 10.0.0.4:8080, echo-4 10.0.0.5:8080; " +
      "1 not used (terminating while others are ready): echo-5 10.0.0.6:8080",
  );
  // A port name the slice lacks: every pod has the same reason, said once (a grep for a pod still finds the line).
  const wrongPort = { ...SLICE, ports: [{ name: "metrics", port: 9090 }], endpoints: endpoints.slice(0, 3) };
  const view = serviceViewOf([wrongPort], {}, "42");
  const line = changeSummary(view);
  assert.equal(line.split("with no port named").length - 1, 1, line);
  assert.match(
    line,
    /: 3 not used \(in an EndpointSlice with no port named "grpc"\): echo-0 10\.0\.0\.1, echo-1 10\.0\.0\.2, /,
  );
  // Counted, the reason reads after its number: it was 'not used: 28 its EndpointSlice has no port named "grcp"'.
  const many = {
    ...wrongPort,
    endpoints: Array.from({ length: 28 }, (_, i) => ({ addresses: [`10.0.1.${i}`], targetRef: { name: `p-${i}` } })),
  };
  const counts = renderTable(serviceViewOf([many], {}), { ...context, rows: 20 }).find((l) =>
    l.startsWith("not used: ")
  );
  assert.match(counts ?? "", /^not used: \d+ in an EndpointSlice with no port named "grpc"$/, counts);
  // So does a shared address's: it was 'not used: 27 its addresses are already p-0's'.
  const shared = {
    ...SLICE,
    endpoints: Array.from({ length: 28 }, (_, i) => ({ addresses: ["10.0.1.1"], targetRef: { name: `p-${i}` } })),
  };
  const sharedCounts = renderTable(serviceViewOf([shared], {}), { ...context, rows: 20 }).find((l) =>
    l.startsWith("not used: ")
  );
  assert.match(sharedCounts ?? "", /^not used: \d+ with every address already p-0's$/, sharedCounts);
});

Deno.test("renderTable() colours only through its painter", () => {
  const coloured = renderTable(viewOf([SLICE]), { ...context, paint: painter(true) });
  assert.ok(coloured[5].endsWith("\x1b[32mused\x1b[0m"), coloured[5]);
  assert.ok(coloured[7].endsWith("\x1b[31mnot used: not ready\x1b[0m"), coloured[7]);
  assert.ok(renderTable(viewOf([SLICE]), context).every((line) => !line.includes("\x1b")));
});

Deno.test("changeLine() and snapshotReport() say the same as the table, on one line", () => {
  const view = viewOf([SLICE], "a");
  assert.equal(
    changeLine(view, 0),
    "1970-01-01T00:00:00.000Z prod/echo rv 42 topology zone: 1 used: echo-0 10.0.0.1:8080; " +
      "1 failover (hinted for zone b): echo-1 10.0.0.2:8080; " +
      "1 not used (not ready): echo-2 10.0.0.3:8080",
  );
  const report = snapshotReport(view, 0);
  assert.deepEqual(Object.keys(report), [
    "time",
    "endpoints",
    "resourceVersion",
    "namespace",
    "service",
    "topology",
    "unused",
  ]);
  assert.equal(report.time, "1970-01-01T00:00:00.000Z");
  assert.deepEqual(report.endpoints.map((endpoint) => [endpoint.podName, endpoint.preferred]), [["echo-0", true], [
    "echo-1",
    false,
  ]]);
  assert.deepEqual(report.unused, [{
    podName: "echo-2",
    addresses: [{ host: "10.0.0.3", port: 8080 }],
    zone: "a",
    nodeName: undefined,
    ready: false,
    serving: true,
    terminating: false,
    reason: "not-ready",
    message: "not used: not ready",
  }]);
});

Deno.test("an address that two slices without a targetRef both list is one used endpoint, its other copies duplicates", () => {
  // Hand-made slices of a Service without a selector (or two managers'): the resolver uses 10.0.9.1 to 10.0.9.3
  // once each, from whichever slice has them ready; only 10.0.9.4 is really not ready.
  const copy = (name: string, endpoints: EndpointSlice["endpoints"], port = "grpc"): EndpointSlice => ({
    metadata: { name, namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: port, port: 8080 }],
    endpoints,
  });
  const view = viewOf([
    copy("ext-a", [{ addresses: ["10.0.9.1"] }, { addresses: ["10.0.9.2"] }, { addresses: ["10.0.9.3"] }]),
    copy("ext-b", [
      { addresses: ["10.0.9.1"], conditions: { ready: false } },
      { addresses: ["10.0.9.2"], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: ["10.0.9.3"] },
      { addresses: ["10.0.9.4"], conditions: { ready: false } },
    ]),
    copy("ext-c", [{ addresses: ["10.0.9.1"] }], "metrics"),
  ]);
  const duplicate = "not used: duplicate of an address used from another slice";
  assert.equal(
    changeSummary(view),
    "topology none (client locality unknown): 3 used: 10.0.9.1:8080, 10.0.9.2:8080, 10.0.9.3:8080; " +
      "4 not used (duplicate of an address used from another slice): 10.0.9.1:8080, 10.0.9.2:8080, " +
      "10.0.9.3:8080, 10.0.9.1; 1 not used (not ready): 10.0.9.4:8080",
  );
  const table = renderTable(view, context);
  assert.deepEqual(table.filter((line) => line.includes("not used: ")).map((line) => line.replace(/ +/g, " ")), [
    `- 10.0.9.1:8080 - - no yes no ${duplicate}`,
    `- 10.0.9.2:8080 - - no yes yes ${duplicate}`,
    `- 10.0.9.3:8080 - - yes yes no ${duplicate}`,
    "- 10.0.9.4:8080 - - no yes no not used: not ready",
    `- 10.0.9.1 - - yes yes no ${duplicate}`,
  ]);
  assert.equal(table.at(-1), "3 used, 5 not used  Ctrl-C to quit");
  assert.deepEqual(
    snapshotReport(view, 0).unused.map(({ addresses, reason, message }) => [addresses[0].host, reason, message]),
    [
      ["10.0.9.1", "duplicate", duplicate],
      ["10.0.9.2", "duplicate", duplicate],
      ["10.0.9.3", "duplicate", duplicate],
      ["10.0.9.4", "not-ready", "not used: not ready"],
      ["10.0.9.1", "duplicate", duplicate],
    ],
  );
});

Deno.test("snapshotReport() with a subset lists only the subset's endpoints, the others as unused", () => {
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 6 }, (_, i) => ({
      addresses: [`10.0.1.${i + 1}`],
      targetRef: { kind: "Pod", name: `p${i}`, namespace: "prod" },
    })),
  };
  const view = viewOf([slice]);
  view.pods = explainEndpoints([slice], "grpc", {}, { subset: { size: 2, seed: 7 } }).pods;
  const report = snapshotReport(view, 0);
  const used = view.pods.filter((pod) => pod.use === "used").map((pod) => pod.pod);
  assert.equal(used.length, 2);
  assert.deepEqual(report.endpoints.map((endpoint) => endpoint.podName), used);
  assert.equal(report.unused.length, 4);
  assert.ok(report.unused.every((pod) => pod.reason === "outside-subset"));
});

Deno.test("snapshotReport() of an empty set says why", () => {
  const view = viewOf([]);
  view.snapshot!.emptyReason = "it has no EndpointSlice";
  assert.equal(snapshotReport(view, 0).emptyReason, "it has no EndpointSlice");
  assert.equal("emptyReason" in snapshotReport(viewOf([SLICE]), 0), false);
});

Deno.test("colorsWanted() colours only a terminal, and never with NO_COLOR set", () => {
  assert.equal(colorsWanted(true, undefined), true);
  assert.equal(colorsWanted(true, ""), true);
  assert.equal(colorsWanted(true, "1"), false);
  assert.equal(colorsWanted(false, undefined), false);
});

Deno.test("fitLine() cuts across segments and keeps styles", () => {
  const paint = painter(true);
  assert.equal(fitLine([{ text: "abc", style: "red" }, { text: "def" }], 5, paint), "\x1b[31mabc\x1b[0md…");
  assert.equal(fitLine([{ text: "abc" }, { text: "defg", style: "bold" }], 5, paint), "abc\x1b[1md…\x1b[0m");
  assert.equal(fitLine([{ text: "abc" }], Infinity, paint), "abc");
  // A segment that ends exactly at the width, with text after it: the cut is marked (a 40-column table's state line
  // lost "watching" without a mark).
  assert.equal(fitLine([{ text: "abcde" }, { text: "watching", style: "green" }], 5, paint), "abcd…");
  assert.equal(fitLine([{ text: "abcde" }, { text: "" }], 5, paint), "abcde");
});

Deno.test("createLiveFrame() writes over the last frame line by line, clears the screen after a resize, and shows the cursor at the end", () => {
  const writes: string[] = [];
  let size = { columns: 80, rows: 24 };
  const frame = createLiveFrame({ write: (text) => writes.push(text), size: () => size });
  frame.draw(["a", "b"]);
  frame.draw(["c"]);
  size = { columns: 60, rows: 24 };
  frame.draw(["d"]);
  frame.finish();
  assert.deepEqual(writes, [
    "\x1b[?25l",
    "\x1b[Ka\n\x1b[Kb\n\x1b[J",
    "\x1b[2A\r\x1b[Kc\n\x1b[J",
    "\x1b[H\x1b[2J\x1b[Kd\n\x1b[J",
    "\r\x1b[K\x1b[?25h",
  ]);
});

Deno.test("takesEscapes() is false off a terminal and on a dumb one", () => {
  assert.equal(takesEscapes(true, "xterm-256color"), true);
  assert.equal(takesEscapes(true, undefined), true);
  assert.equal(takesEscapes(true, "dumb"), false);
  assert.equal(takesEscapes(false, "xterm"), false);
});

Deno.test("createLiveFrame() leaves a released frame on screen and draws the next one below what came after it", () => {
  const writes: string[] = [];
  const frame = createLiveFrame({ write: (text) => writes.push(text), size: () => ({ columns: 80, rows: 24 }) });
  frame.draw(["a", "b"]);
  frame.release();
  frame.draw(["c"]);
  frame.draw(["d"]);
  assert.deepEqual(writes, [
    "\x1b[?25l",
    "\x1b[Ka\n\x1b[Kb\n\x1b[J",
    // The cursor shows for whoever writes below the frame (a plugin's prompt, the answer typed to it).
    "\x1b[?25h",
    // Not up over a and b, which that text pushed up: below it, with the cursor hidden again.
    "\x1b[?25l\x1b[Kc\n\x1b[J",
    "\x1b[1A\r\x1b[Kd\n\x1b[J",
  ]);
});

Deno.test("createLiveFrame() erases a frame for what another writes there, and draws the next one below that", () => {
  // Was: an exec plugin's login instructions went below the first frame ('listing EndpointSlices...'), which stayed
  // on screen above them, stale, with the table below.
  const writes: string[] = [];
  let columns = 80;
  const frame = createLiveFrame({ write: (text) => writes.push(text), size: () => ({ columns, rows: 24 }) });
  frame.draw(["a", "b"]);
  frame.erase();
  frame.erase();
  frame.draw(["c"]);
  columns = 100;
  frame.erase();
  assert.deepEqual(writes.slice(2), [
    // Up to the frame's top, cleared to the end of the screen, the cursor shown for the plugin's prompt.
    "\x1b[2A\r\x1b[J\x1b[?25h",
    // Nothing left to erase.
    "\x1b[?25h",
    // Below what was written there, the cursor hidden again.
    "\x1b[?25l\x1b[Kc\n\x1b[J",
    // The terminal's size changed: where the frame is, rewrapped, is not known; it stays, as a released one does.
    "\x1b[?25h",
  ]);
});

Deno.test("createLiveFrame() prints lines above the frame, which it draws again below them", () => {
  const writes: string[] = [];
  const frame = createLiveFrame({ write: (text) => writes.push(text), size: () => ({ columns: 80, rows: 24 }) });
  frame.draw(["a", "b"]);
  frame.print(["To sign in, open the page"]);
  frame.draw(["c"]);
  assert.deepEqual(writes.slice(2), [
    // From the frame's top: cleared to the end of the screen (the line may wrap), the line, then the frame again.
    "\x1b[2A\r\x1b[JTo sign in, open the page\n\x1b[Ka\n\x1b[Kb\n\x1b[J",
    // The next draw moves up over the frame only: the printed line stays.
    "\x1b[2A\r\x1b[Kc\n\x1b[J",
  ]);
});

Deno.test("createLiveFrame() redraws a paused frame in place, with the cursor hidden again", () => {
  const writes: string[] = [];
  const frame = createLiveFrame({ write: (text) => writes.push(text), size: () => ({ columns: 80, rows: 24 }) });
  frame.draw(["a", "b"]);
  frame.pause();
  frame.draw(["c"]);
  assert.deepEqual(writes, [
    "\x1b[?25l",
    "\x1b[Ka\n\x1b[Kb\n\x1b[J",
    "\x1b[?25h",
    // Nothing was written below it (an exec plugin that asked nothing): up over a and b.
    "\x1b[?25l\x1b[2A\r\x1b[Kc\n\x1b[J",
  ]);
});

Deno.test("createLiveFrame() hides the cursor again after a release when the terminal was resized meanwhile", () => {
  const writes: string[] = [];
  let columns = 80;
  const frame = createLiveFrame({ write: (text) => writes.push(text), size: () => ({ columns, rows: 24 }) });
  frame.draw(["a"]);
  frame.release();
  columns = 100;
  frame.draw(["b"]);
  assert.equal(writes.at(-1), "\x1b[?25l\x1b[H\x1b[2J\x1b[Kb\n\x1b[J");
});

Deno.test("createLiveFrame() writes the lines it printed again after it clears the screen for a new size", () => {
  const writes: string[] = [];
  let size = { columns: 80, rows: 24 };
  const frame = createLiveFrame({ write: (text) => writes.push(text), size: () => size });
  frame.draw(["a"]);
  frame.print(["To sign in, open the page", "and enter the code ABCD1234"]);
  size = { columns: 60, rows: 24 };
  frame.draw(["b"]);
  // A device code still needed while the plugin waits: the clear for the new size must not take it off the screen.
  assert.equal(
    writes.at(-1),
    "\x1b[H\x1b[2J\x1b[JTo sign in, open the page\nand enter the code ABCD1234\n\x1b[Kb\n\x1b[J",
  );
});

Deno.test("createLiveFrame() writes again after a clear only the printed lines a screen of its height shows", () => {
  const writes: string[] = [];
  let size = { columns: 80, rows: 3 };
  const frame = createLiveFrame({ write: (text) => writes.push(text), size: () => size });
  frame.draw(["a"]);
  frame.print(["1", "2", "3", "4"]);
  size = { columns: 60, rows: 3 };
  frame.draw(["b"]);
  assert.equal(writes.at(-1), "\x1b[H\x1b[2J\x1b[J2\n3\n4\n\x1b[Kb\n\x1b[J");
});

Deno.test("renderTable() orders reasons of equal count by their text, whichever pod comes first", () => {
  // In a 1,000-pod rollout on kube-apiserver the count line alternated between "333 hinted for zone zone-b; 333 hinted
  // for zone zone-c" and the reverse from one redraw to the next, as the first failover pod changed zone.
  const failoverLine = (firstZone: string, secondZone: string) => {
    const zone = (i: number) => i < 10 ? "a" : i % 2 === 0 ? firstZone : secondZone;
    const slice: EndpointSlice = {
      ...SLICE,
      endpoints: Array.from({ length: 30 }, (_, i) => ({
        addresses: [`10.0.2.${i + 1}`],
        targetRef: { name: `p-${String(i).padStart(2, "0")}` },
        zone: zone(i),
        hints: { forZones: [{ name: zone(i) }] },
      })),
    };
    const lines = renderTable(viewOf([slice], "a"), { ...context, rows: 16 });
    return lines.find((line) => line.startsWith("failover: "));
  };
  assert.equal(failoverLine("b", "c"), "failover: 10 hinted for zone b; 10 hinted for zone c");
  assert.equal(failoverLine("c", "b"), "failover: 10 hinted for zone b; 10 hinted for zone c");
});

Deno.test("under PreferSameNode, the line and the table's counts say once that the zone's pods are the first failover", () => {
  // The client runs on node n1 in zone a: echo-1 (node n2, zone a) gets calls before echo-2 (zone b). Its reason
  // printed "failover (failover (first: the client's zone a): hinted for node n2)".
  const pod = (name: string, ip: string, node: string, zone: string) => ({
    addresses: [ip],
    targetRef: { name },
    zone,
    nodeName: node,
    hints: { forZones: [{ name: zone }], forNodes: [{ name: node }] },
  });
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: [
      pod("echo-0", "10.0.0.1", "n1", "a"),
      pod("echo-1", "10.0.0.2", "n2", "a"),
      pod("echo-2", "10.0.0.3", "n3", "b"),
    ],
  };
  const view = serviceViewOf([slice], { node: "n1", zone: "a" });
  assert.equal(
    changeSummary(view),
    "topology node: 1 used: echo-0 10.0.0.1:8080; 1 failover (first: the client's zone a, hinted for its own node): " +
      "echo-1 10.0.0.2:8080; 1 failover (hinted for its own node): echo-2 10.0.0.3:8080",
  );
  const row = renderTable(view, context).find((line) => line.startsWith("echo-1 "));
  assert.match(row!, / failover \(first: the client's zone a\): hinted for node n2$/, "the row says it as before");
  // Too short a terminal for every row: the failover pods not shown are counted by reason.
  const many: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 40 }, (_, i) => pod(`p-${i}`, `10.0.1.${i}`, `n${i}`, i % 2 === 0 ? "a" : "b")),
  };
  const lines = renderTable(serviceViewOf([many], { node: "n0", zone: "a" }), { ...context, rows: 20 });
  const counts = lines.find((line) => line.startsWith("failover: "));
  assert.ok(counts !== undefined, lines.join("\n"));
  assert.doesNotMatch(counts, /failover \(first|first: [^,]*\):/, counts);
  assert.match(counts, /\d+ first: the client's zone a, hinted for its own node/, counts);
});

Deno.test("under PreferSameNode, pods hinted for their own nodes share one reason on the line and in the counts", () => {
  // Twenty pods on twenty nodes: the line per change named one reason per failover pod ("1 failover (hinted for node
  // n1): p-1 ...; 1 failover (hinted for node n3): ..."), nineteen groups of one; the counts, nineteen "1 hinted for
  // node nN". The controller hints every pod for its own node: that is one reason.
  const endpoints = Array.from({ length: 20 }, (_, i) => ({
    addresses: [`10.0.1.${i}`],
    targetRef: { name: `p-${i}` },
    zone: i % 2 === 0 ? "a" : "b",
    nodeName: `n${i}`,
    hints: { forZones: [{ name: i % 2 === 0 ? "a" : "b" }], forNodes: [{ name: `n${i}` }] },
  }));
  const view = serviceViewOf([{ ...SLICE, endpoints }], { node: "n0", zone: "a" });
  const groups = changeSummary(view).split("; ").map((group) => group.replace(/: p-.*/, ""));
  assert.deepEqual(groups, [
    "topology node: 1 used",
    "10 failover (hinted for its own node)",
    "9 failover (first: the client's zone a, hinted for its own node)",
  ]);
  const lines = renderTable(view, { ...context, rows: 16 });
  assert.ok(
    lines.includes("failover: 7 first: the client's zone a, hinted for its own node; 7 hinted for its own node"),
    lines.join("\n"),
  );
  // A pod hinted for another node than its own (not what the controller writes) keeps the node's name.
  const odd = serviceViewOf([{ ...SLICE, endpoints: [endpoints[0], { ...endpoints[1], nodeName: "n7" }] }], {
    node: "n0",
    zone: "a",
  });
  assert.match(changeSummary(odd), /1 failover \(hinted for node n1\): p-1 /);
});

Deno.test("renderTable() keeps a kubectl command of why there are no pods on one line, to be copied whole", () => {
  const emptyReason = "it has no EndpointSlice: check that the Service exists in namespace shop, and that namespace " +
    "shop does (kubectl get service nothere -n shop says which is missing)";
  const base = viewOf([{ ...SLICE, endpoints: [] }]);
  const view = { ...base, snapshot: { ...base.snapshot!, emptyReason } };
  // Was, at 44 to 50 columns: '... shop does (kubectl get' over 'service nothere -n shop says which is missing)'.
  for (let columns = 40; columns <= 80; columns++) {
    const lines = renderTable(view, { ...context, columns });
    assert.ok(
      lines.some((line) => line.includes("kubectl get service nothere -n shop")),
      `${columns} columns:\n${lines.join("\n")}`,
    );
  }
  // One wider than the terminal is wrapped, not cut, each of its lines but the last ending in a backslash: pasted, it
  // runs as one command.
  const narrow = renderTable(view, { ...context, columns: 30, live: false });
  const pasted = narrow.join("\n").replace(/ \\\n */g, " ");
  assert.ok(pasted.replace(/\s+/g, " ").includes(emptyReason), narrow.join("\n"));
});

Deno.test("renderTable() cuts a message in a kubectl command wrapped after a backslash without the backslash", () => {
  const emptyReason = "its EndpointSlices list no address, as the EndpointSliceMirroring controller lists them " +
    "(kubectl get endpointslices -n shop -l kubernetes.io/service-name=cart)";
  // Pods, none usable: the reason gets four lines.
  const base = viewOf([SLICE]);
  const view = { ...base, snapshot: { ...base.snapshot!, emptyReason } };
  for (let columns = 30; columns <= 50; columns++) {
    // Was, at 34 to 38 columns: 'lists them (kubectl get \\…', the backslash that says the command goes on, cut.
    const lines = renderTable(view, { ...context, columns });
    assert.ok(lines.every((line) => !line.endsWith("\\…")), `${columns} columns:\n${lines.join("\n")}`);
  }
});

Deno.test("renderTable() on a narrow terminal shows the counts and what it waits for whole, and how to quit whole", () => {
  // At 30 to 45 columns the bottom line ended in 'Ctrl-C …' or 'Ctr…', and at 30 the counts in '43 not…'; then how to
  // quit was left off there: it goes on a line of its own.
  const view = viewOf([thirtyPods([3, 12, 21])]);
  for (const columns of [24, 30, 35, 40, 45]) {
    const lines = renderTable(view, { ...context, columns });
    const frame = `${columns} columns:\n${lines.join("\n")}`;
    assert.ok(lines.every((line) => [...line].length <= columns), frame);
    assert.ok(!lines.some((line) => /Ct?r?l?-?C?…$|Ctrl-C t?o? ?q?u?i?…$/.test(line)), frame);
    // A count cut reads as another ('172' as '17…'): the kinds of the pods not shown go whole or not at all.
    assert.ok(lines.some((line) => /^\.\.\. and \d+ more pods(: all used)?$/.test(line)), frame);
    const bottom = lines.slice(lines.lastIndexOf("") + 1).join(" ");
    assert.ok(bottom.startsWith("27 used, 3 not used"), frame);
    const beside = columns >= "27 used, 3 not used  Ctrl-C to quit".length;
    assert.ok(bottom.endsWith(beside ? "not used  Ctrl-C to quit" : "not used Ctrl-C to quit"), frame);
    assert.equal(lines.at(-1), beside ? "27 used, 3 not used  Ctrl-C to quit" : "Ctrl-C to quit", frame);
    for (const port of [undefined, "grpc"]) {
      const waiting = renderTable({ ...view, port, pods: undefined, snapshot: undefined }, { ...context, columns });
      const text = waiting.slice(waiting.lastIndexOf("") + 1).join(" ");
      assert.ok(
        /^(reading the Service for its first port|listing EndpointSlices)\.\.\.( {1,2})Ctrl-C to quit$/.test(text),
        text,
      );
    }
  }
  const endpoints = Array.from({ length: 300 }, (_, i) => ({
    addresses: [`10.0.${i >> 8}.${i & 255}`],
    conditions: { ready: i % 7 !== 0 },
  }));
  const wide = { ...thirtyPods(), endpoints };
  const counts = renderTable(viewOf([wide]), { ...context, columns: 20 });
  assert.deepEqual(counts.slice(counts.lastIndexOf("") + 1), ["257 used, 43 not", "used", "Ctrl-C to quit"]);
});

Deno.test("renderTable() keeps the header where no part of it would show the counts by reason whole", () => {
  // Was, for 5,000 pods hinted for 60 zones at 80x24: the cluster, the resourceVersion and the time given up for the
  // counts, which stayed cut all the same.
  const zones = Array.from({ length: 60 }, (_, i) => `eu-west-${i}`);
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 5_000 }, (_, i) => ({
      addresses: [`10.${i >> 8}.${i & 255}.1`],
      targetRef: { name: `cart-7d9c5b6f8-${i}` },
      zone: zones[i % 60],
      hints: { forZones: [{ name: zones[i % 60] }] },
      conditions: { ready: i % 13 !== 0 },
    })),
  };
  const lines = renderTable(viewOf([slice], "eu-west-0"), { ...context, columns: 80, rows: 24 });
  const frame = lines.join("\n");
  assert.ok(lines.some((line) => line.startsWith("failover: ") || line.endsWith("…")), frame);
  assert.ok(lines.some((line) => line.startsWith("cluster ")), frame);
  assert.ok(lines.some((line) => line.startsWith("resourceVersion ")), frame);
});

Deno.test("problemLine() says how long the failures lasted in words that hold under a second and over a minute", () => {
  const at = (ms: number) => problemLine(undefined, 1_800_000_000_000, ms).replace(/^\S+ /, "");
  // '0 s of retrying' after a failure retried within the second read as no failure at all.
  assert.equal(at(900), "watching again after less than 1 s of retrying");
  assert.equal(at(37_400), "watching again after 37 s of retrying");
  // Minutes past the first: a 20 minute outage would read as '1200 s'.
  assert.equal(at(125_000), "watching again after 2 min 5 s of retrying");
  assert.equal(at(1_200_000), "watching again after 20 min of retrying");
  assert.equal(problemLine("Cannot watch ...", 0, 0), "1970-01-01T00:00:00.000Z retrying: Cannot watch ...");
});

Deno.test("renderTable() counts by reason the pods that '... and N more pods' counts, not those shown", () => {
  // Seen at 100x30, 28 pods: '... and 10 more pods: 10 failover' over 'failover: 10 hinted for zone a; 6 hinted for
  // zone c', which counted the 6 failover pods shown as well; a reader took the two lines to disagree.
  const zones = ["a", "a", "b", "c"];
  const slice: EndpointSlice = {
    ...SLICE,
    endpoints: Array.from({ length: 28 }, (_, i) => ({
      addresses: [`10.0.0.${i + 10}`],
      targetRef: { name: `cart-${i}` },
      zone: zones[i % 4],
      hints: { forZones: [{ name: zones[i % 4] }] },
      conditions: { ready: i % 5 !== 0 },
    })),
  };
  const sum = (line = "") => [...line.matchAll(/(?:: |; )(\d+) /g)].reduce((n, [, count]) => n + Number(count), 0);
  for (const [columns, rows] of [[100, 30], [60, 15], [80, 16], [130, 20]]) {
    const lines = renderTable(viewOf([slice], "b"), { ...context, columns, rows });
    const more = lines.find((line) => line.startsWith("... and "));
    assert.ok(more, lines.join("\n"));
    for (const kind of ["failover", "not used"]) {
      const inMore: number = Number(more.match(new RegExp(`(\\d+) ${kind}`))?.[1] ?? 0);
      const byReason = lines.find((line) => line.startsWith(`${kind}: `));
      assert.equal(sum(byReason), inMore, `${columns}x${rows} ${kind}:\n${lines.join("\n")}`);
    }
  }
});
