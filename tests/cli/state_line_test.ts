// The watch's state (watching, listing, retrying) is never cut off the header: too wide for the line of the
// resourceVersion and the time since the last change, it goes on a line of its own.
import assert from "node:assert/strict";
import { KubeApiError } from "../../src/base/errors.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import type { ServiceView } from "../../src/cli/service_observer.ts";
import { serviceViewOf, tableAt } from "./_service_view.ts";

/** The header's lines from the resourceVersion on, up to the blank line before the pods. */
function stateLines(view: ServiceView, columns: number): string[] {
  const lines = tableAt(view, columns);
  const start = lines.findIndex((line) => line.startsWith("resourceVersion"));
  return lines.slice(start, lines.indexOf("", start));
}

/** A view of a real cluster's resourceVersion, unchanged since the table started, whose watch is retrying. */
function retryingView(): ServiceView {
  const view = serviceViewOf([], {}, "123456789");
  const error = new KubeApiError("Cannot watch endpointslices: cannot reach the API server", { status: 0 });
  return { ...view, changes: 1, watch: { state: "retrying", error, since: 0 } };
}

Deno.test("renderTable() puts the watch's state on a line of its own rather than cut it", () => {
  assert.deepEqual(stateLines(retryingView(), 64), [
    "resourceVersion 123456789  unchanged since start",
    "retrying (see below)  topology none (client locality unknown)",
    "Cannot watch endpointslices: cannot reach the API server",
  ]);
  const listing = { ...retryingView(), watch: { state: "listing" as const, since: -7_000 } };
  assert.deepEqual(stateLines(listing, 50), [
    "resourceVersion 123456789  unchanged since start",
    "listing for 7s",
    "topology none (client locality unknown)",
  ]);
});

Deno.test("renderTable() keeps the watch's state after the resourceVersion where it fits", () => {
  assert.deepEqual(stateLines(retryingView(), 71), [
    "resourceVersion 123456789  unchanged since start  retrying (see below)",
    "topology none (client locality unknown)",
    "Cannot watch endpointslices: cannot reach the API server",
  ]);
});

Deno.test("renderTable() puts the time since the last change on a line of its own rather than cut it", () => {
  // At 40 columns the line read "resourceVersion 26  unchanged since sta…".
  const view = { ...serviceViewOf([], {}, "26"), changes: 0 };
  assert.deepEqual(stateLines(view, 40), [
    "resourceVersion 26",
    "unchanged since start  watching",
    "topology none (client locality unknown)",
  ]);
  assert.deepEqual(stateLines(retryingView(), 40), [
    "resourceVersion 123456789",
    "unchanged since start",
    "retrying (see below)",
    "topology none (client locality unknown)",
    "Cannot watch endpointslices: cannot",
    "reach the API server",
  ]);
});

Deno.test("renderTable() keeps the time spent listing in the last frame, drawn once Ctrl-C stops the table", () => {
  // The frame left on the screen after Ctrl-C said "listing" where the frame before said "listing for 7s"; after an
  // outage, a re-list stopped so (a snapshot from before it) said "listed", as a --once table does.
  const listing = { ...retryingView(), watch: { state: "listing" as const, since: -7_000 } };
  const last = (view: ServiceView) => tableAt(view, 100, { live: false, stopped: true })[2];
  assert.equal(last(listing), "resourceVersion 123456789  unchanged since start  listing for 7s");
  assert.equal(
    last({ ...listing, snapshot: undefined, changes: undefined }),
    "resourceVersion -  no change yet  listing for 7s  topology - (client locality unknown)",
  );
  // A table printed once (--once) shows the list it read as done.
  const once = tableAt(listing, 100, { live: false, rows: Infinity });
  assert.match(once[2], /unchanged since start {2}listed {2}topology/);
});

Deno.test("renderTable() shows why topology is none whole, and where the client is, on a narrow terminal", () => {
  // Pods without hints, for a client that says its zone. Seen in tmux at 30 to 60 columns, 24 rows: three lines
  // ending 'sets them…' (30), 'its…' (40), 'can balance the…' (60), which lost how to get hints and the client's zone.
  // The kubectl command that shows why Auto set no hint takes lines of its own, ending in " \\", so 30 columns need
  // 30 rows.
  const view = topologyNoneView();
  for (const [columns, rows] of [[30, 30], [40, 24], [60, 24]]) {
    const lines = tableAt(view, columns, { rows });
    const where = `${columns} columns:\n${lines.join("\n")}`;
    assert.ok(
      lines.join("\n").replace(/ \\\n */g, " ").replace(/\s+/g, " ").includes(
        "trafficDistribution sets them, on Kubernetes 1.31+; its topology-mode Auto annotation only while it can " +
          "balance the zones: kubectl get events -n prod --field-selector involvedObject.name=echo shows why) " +
          "(client in zone us-east-1a)",
      ),
      where,
    );
    assert.ok(lines.some((line) => line.startsWith("echo-0")), `a pod's row too at ${where}`);
  }
});

Deno.test("renderTable() leaves a pod's row below why topology is none when pods not shown are counted by reason", () => {
  // Pods without hints, some not ready and some terminating, for a client that says its zone. At 40 columns, 20 rows
  // (30 columns, 22 to 25 rows), the reason took the lines kept for a pod's row, as the counts of the pods not shown
  // ('not used: 3 not ready; 3 terminating' / 'while others are ready') took two it did not count: the table showed
  // '... and 12 more pods' with no row, and the reason still cut ('... (client in…').
  const slice: EndpointSlice = {
    metadata: { name: "echo-x", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints: Array.from({ length: 12 }, (_, i) => ({
      addresses: [`10.1.0.${i + 1}`],
      targetRef: { name: `echo-${i}` },
      zone: "a",
      conditions: i < 6
        ? { ready: true }
        : i < 9
        ? { ready: false, serving: true, terminating: true }
        : { ready: false },
    })),
  };
  const view = serviceViewOf([slice], { zone: "us-east-1a" });
  for (const [columns, rows] of [[30, 22], [30, 25], [40, 20], [40, 24], [60, 16]]) {
    const lines = tableAt(view, columns, { rows });
    assert.ok(lines.some((line) => /^echo-\d/.test(line)), `a pod's row at ${columns}x${rows}:\n${lines.join("\n")}`);
  }
});

/** A view of three pods without hints for a client in zone us-east-1a, whose watch fails with `message` when given. */
function topologyNoneView(message?: string): ServiceView {
  const slice: EndpointSlice = {
    metadata: { name: "echo-x", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints: [0, 1, 2].map((i) => ({ addresses: [`10.1.0.${i + 1}`], targetRef: { name: `echo-${i}` }, zone: "a" })),
  };
  const view = serviceViewOf([slice], { zone: "us-east-1a" });
  if (message === undefined) return view;
  return { ...view, watch: { state: "retrying", error: new KubeApiError(message, { status: 0 }), since: 0 } };
}

const REFUSED = 'Cannot watch endpointslices of service "echo" in namespace "prod": cannot reach the API server at ' +
  "https://10.0.0.1: connection refused: check that it runs and that the kubeconfig's server is right";

/**
 * The lines of a message in `lines`, from the line that starts with `first` on: as many as match the whole message's
 * lines in a frame with room for all of it (`whole`), then the line that ends it cut, if any.
 */
function messageLines(lines: string[], whole: string[]): string[] {
  const start = lines.indexOf(whole[0]);
  if (start < 0) return [];
  let shown = 0;
  while (shown < whole.length && lines[start + shown] === whole[shown]) shown++;
  return shown === whole.length ? whole : [...whole.slice(0, shown), lines[start + shown]];
}

Deno.test("renderTable() on a short terminal ends a message it cuts with '…', whatever cuts it", () => {
  // At 20 to 22 columns and 12 to 14 rows, a frame too tall for the terminal lost its lines from below, the reason's
  // too: 'topology none: no pod' then '3 used', no '…'; a failing watch's message lost its end the same way.
  for (
    const [view, end] of [[topologyNoneView(), "us-east-1a)"], [topologyNoneView(REFUSED), "server is right"]] as const
  ) {
    for (let columns = 20; columns <= 80; columns += 2) {
      const tall = tableAt(view, columns, { rows: 200 });
      const from = tall.findIndex((line) => line.startsWith(end === "us-east-1a)" ? "topology none" : "Cannot"));
      const whole = tall.slice(from, tall.findIndex((line, i) => i >= from && line.endsWith(end)) + 1);
      for (let rows = 8; rows <= 30; rows++) {
        const lines = tableAt(view, columns, { rows });
        const shown = messageLines(lines, whole);
        if (shown.length === 0 || shown.length === whole.length && shown.at(-1) === whole.at(-1)) continue;
        const last = shown.at(-1);
        assert.ok(
          last?.endsWith("…"),
          `${columns}x${rows}: cut without '…' after '${shown.at(-2)}':\n${lines.join("\n")}`,
        );
      }
    }
  }
});

Deno.test("renderTable() gives a failing watch's message the rows before why topology is none", () => {
  // What to do now comes first: at 40 columns and 22 rows the reason took a fourth line while the watch's message
  // stayed cut to four ('connection refused: check that it runs…').
  const view = topologyNoneView(REFUSED);
  for (const columns of [30, 40, 60]) {
    for (let rows = 8; rows <= 40; rows++) {
      const lines = tableAt(view, columns, { rows });
      const reason = lines.slice(lines.findIndex((line) => line.startsWith("topology none")));
      const reasonLines = reason.findIndex((line) => line.startsWith("Cannot"));
      const whole = lines.join(" ").replace(/\s+/g, " ").includes("kubeconfig's server is right");
      assert.ok(whole || reasonLines <= 3, `${columns}x${rows}:\n${lines.join("\n")}`);
    }
  }
});

Deno.test("renderTable() on a short terminal cuts why topology is none before a failing watch's message", () => {
  // At 22 columns and 13 rows the frame kept 'topology none (client…' and lost the whole message below it: the state
  // said 'retrying (see below)' over nothing; at 30 columns and 16 rows the reason stayed whole, the message cut.
  const view = topologyNoneView(REFUSED);
  for (let columns = 20; columns <= 60; columns += 2) {
    const tall = tableAt(view, columns, { rows: 200 });
    const from = tall.findIndex((line) => line.startsWith("Cannot"));
    const wholeLines = tall.findIndex((line, i) => i >= from && line.endsWith("server is right")) + 1 - from;
    for (let rows = 8; rows <= 40; rows++) {
      const lines = tableAt(view, columns, { rows });
      const reasonShown = lines.some((line) => line.startsWith("topology none"));
      const start = lines.findIndex((line) => line.startsWith("Cannot"));
      let messageShown = 0;
      while (
        start >= 0 && start + messageShown < lines.length && lines[start + messageShown] !== "" &&
        !/^\d+ used/.test(lines[start + messageShown])
      ) messageShown++;
      assert.ok(
        !reasonShown || messageShown >= Math.min(4, wholeLines),
        `${columns}x${rows}: the reason shown, the message on ${messageShown} lines:\n${lines.join("\n")}`,
      );
    }
  }
});

Deno.test("renderTable() says under a watch failing from the start that it retries, not that it lists", () => {
  // At 80x24 against a server that is down, the header said 'retrying (see below)' while the last line said
  // 'listing EndpointSlices...  Ctrl-C to quit', still after 20 s.
  const failing = { ...retryingView(), pods: undefined, snapshot: undefined, changes: undefined };
  for (const port of [undefined, "grpc"]) {
    const lines = tableAt({ ...failing, port }, 80, { rows: 24, now: 20_000 });
    // How long it has failed, after 5 s: it said 'retrying (see below)' however long the API server was down.
    assert.ok(lines.some((line) => line.includes("no change yet  retrying for 20s (see below)")), lines.join("\n"));
    const early = tableAt({ ...failing, port }, 80, { rows: 24, now: 4_000 });
    assert.ok(early.some((line) => line.includes("no change yet  retrying (see below)")), early.join("\n"));
    assert.equal(lines.at(-1), "no pods listed yet: retrying  Ctrl-C to quit");
    const stopped = tableAt({ ...failing, port }, 80, { rows: 24, now: 20_000, live: false, stopped: true });
    assert.equal(stopped.at(-1), "no pods listed yet: retrying");
  }
});
