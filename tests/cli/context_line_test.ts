// The context's name, which tells a wrong cluster, is never cut while it fits on a line: the kubeconfig's path is.
import assert from "node:assert/strict";
import { KubeApiError } from "../../src/base/errors.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import type { TableContext } from "../../src/cli/table.ts";
import { serviceViewOf, tableAt } from "./_service_view.ts";

const ARN = "arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu-west-1";

/** Access from the kubeconfig `files` and its `context`, as the library says it, with `flags` after it. */
function kubeconfig(files: string[], context: string, flags = ""): Pick<TableContext, "source" | "origin"> {
  return {
    source: `kubeconfig ${files.join(", ")} (context ${JSON.stringify(context)})${flags}`,
    origin: { kind: "kubeconfig", files, context },
  };
}

function header(from: Pick<TableContext, "source" | "origin">, columns: number): string[] {
  const server = "https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com";
  const lines = tableAt(serviceViewOf([], { zone: "a" }), columns, { server, ...from });
  return lines.slice(1, lines.findIndex((line) => line.startsWith("resourceVersion")));
}

Deno.test("renderTable() at 80 columns puts an EKS context on a line of its own, and cuts the kubeconfig's path, not the name", () => {
  const from = kubeconfig(["/home/someone/.kube/clusters/production/eks.kubeconfig"], ARN);
  assert.deepEqual(header(from, 80), [
    "cluster https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com",
    "  from kubeconfig /home/someone/.kube/clusters/production/eks.kubeconfig",
    `  context "${ARN}"`,
  ]);
  // Narrower, the path is its file name; the name, wider alone than the terminal, is cut at its end.
  assert.deepEqual(header(from, 60).slice(1), [
    "  from kubeconfig …/eks.kubeconfig",
    `  context "${ARN.slice(0, 48)}…`,
  ]);
  assert.deepEqual(header(from, 110), [
    "cluster https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com",
    `  from kubeconfig …/eks.kubeconfig (context "${ARN}")`,
  ]);
  assert.deepEqual(header(from, 240), [
    `cluster https://ABCDEF0123456789.gr7.eu-west-1.eks.amazonaws.com from ${from.source}`,
  ]);
});

Deno.test("renderTable() cuts a context's name only when it alone is wider than the terminal", () => {
  const from = kubeconfig(["/k/eks.kubeconfig"], ARN);
  const lines = header(from, 40);
  assert.equal(lines.at(-1), `  context "${ARN.slice(0, 40 - 12)}…`);
  assert.ok(lines.includes("  from kubeconfig /k/eks.kubeconfig"), lines.join("\n"));
});

Deno.test("renderTable() on a narrow terminal shows the start of the kubeconfig's file name, on a line of its own", () => {
  const from = kubeconfig(["/tmp/configs/staging-eu-west-1/platform-team-admin.kubeconfig"], "admin");
  // Was, at 30: "  from kubeconfig ….kubeconfig" (its end), and at 40 "  from kubeconfig …team-admin.kubeconfig".
  assert.deepEqual(header(from, 40).slice(-3), [
    "  from kubeconfig",
    "  …/platform-team-admin.kubeconfig",
    '  context "admin"',
  ]);
  assert.deepEqual(header(from, 30).slice(-3), [
    "  from kubeconfig",
    "  …/platform-team-admin.kubec…",
    '  context "admin"',
  ]);
});

Deno.test("renderTable() shows every file of a KUBECONFIG list by its file name, not the last one alone", () => {
  // Was, at 80 columns: '  from kubeconfig …/eks.kubeconfig (context "prod")', as if the first file were not read.
  const from = kubeconfig(["/home/me/.kube/first-team-config", "/home/me/.kube/eks.kubeconfig"], "prod");
  assert.deepEqual(header(from, 80).slice(1), [
    '  from kubeconfig …/first-team-config, …/eks.kubeconfig (context "prod")',
  ]);
  // Narrower, one file a line, each whole where it fits, and the context whole on its own.
  assert.deepEqual(header(from, 40).slice(-4), [
    "  from kubeconfig",
    "  /home/me/.kube/first-team-config,",
    "  /home/me/.kube/eks.kubeconfig",
    '  context "prod"',
  ]);
  assert.deepEqual(header(from, 30).slice(-4), [
    "  from kubeconfig",
    "  …/first-team-config,",
    "  …/eks.kubeconfig",
    '  context "prod"',
  ]);
});

Deno.test("renderTable() finds the kubeconfig's path whole when a folder's name holds ' (context \"a\")'", () => {
  // Was, in a message shortened to the file name: 'kubeconfig …/x (context "a")/eks.kubeconfig (context "sa")', the
  // path cut at the folder whose name looked like the end of the source.
  for (
    const [files, shown] of [
      [
        ['/tmp/configs/staging-eu-west-1 (context "a")/team-platform/platform-team-admin.kubeconfig'],
        "…/platform-team-admin.kubeconfig",
      ],
      [
        ["/tmp/configs/staging-eu-west-1/first-team-config", "/tmp/configs/staging-eu-west-1/eks.kubeconfig"],
        "…/first-team-config, …/eks.kubeconfig",
      ],
    ] as [string[], string][]
  ) {
    const from = kubeconfig(files, "sa");
    const error = new KubeApiError(
      `Cannot list endpointslices of service "echo" in namespace "prod": cannot reach the API server at ` +
        `https://127.0.0.1:1 from ${from.source} (connect ECONNREFUSED 127.0.0.1:1); check that the address is ` +
        "right and the server is up",
    );
    const view = { ...serviceViewOf([], {}), watch: { state: "retrying" as const, error, since: 0 } };
    const lines = tableAt(view, 40, from);
    const message = lines.slice(lines.findIndex((line) => line.startsWith("Cannot")), lines.indexOf("")).join(" ");
    assert.ok(message.includes(`from kubeconfig ${shown} (context "sa") (connect ECONNREFUSED`), message);
  }
});

Deno.test("renderTable() wraps a source other than a kubeconfig's path and context at spaces, rather than cut it", () => {
  // Was, at 30: "  from in-cluster service acc…".
  assert.deepEqual(header({ source: "the in-cluster service account", origin: { kind: "in-cluster" } }, 30).slice(-2), [
    "  from the in-cluster service",
    "  account",
  ]);
});

Deno.test("renderTable() shows the kubeconfig's file name with --namespace too, and says 'with --namespace' after the context", () => {
  const from = kubeconfig(
    ["/tmp/configs/staging-eu-west-1/platform-team-admin.kubeconfig"],
    "admin",
    " with cluster.namespace",
  );
  // Was, at 40: "  /tmp/configs/staging-eu-west-1/platf…" and at 60 "  /tmp/configs/staging-eu-west-1/platform-team-admin.ku…":
  // the path went through the wrapping of other sources, whose fit keeps its start and cuts the file name.
  assert.deepEqual(header(from, 40).slice(-3), [
    "  from kubeconfig",
    "  …/platform-team-admin.kubeconfig",
    '  context "admin" with --namespace',
  ]);
  assert.deepEqual(header(from, 60).slice(-2), [
    "  from kubeconfig …/platform-team-admin.kubeconfig",
    '  context "admin" with --namespace',
  ]);
  assert.deepEqual(header(from, 30).slice(-4), [
    "  from kubeconfig",
    "  …/platform-team-admin.kubec…",
    '  context "admin"',
    "  with --namespace",
  ]);
});

Deno.test("renderTable() shows a failing watch's kubeconfig by its file name when the path would be cut, as the header does", () => {
  // Seen in tmux at 60 columns: the message's four lines ended in '/tmp/.../team-platform/platf…', and the context and
  // why the API server could not be reached (ECONNREFUSED) were cut off.
  const path = "/tmp/configs/staging-eu-west-1/team-platform/platform-team-admin.kubeconfig";
  const from = kubeconfig([path], "sa");
  const error = new KubeApiError(
    `Cannot list endpointslices of service "echo" in namespace "prod": cannot reach the API server at ` +
      `https://127.0.0.1:1 from ${from.source} (connect ECONNREFUSED 127.0.0.1:1); check that the address is right and ` +
      "the server is up",
  );
  const view = { ...serviceViewOf([], {}), watch: { state: "retrying" as const, error, since: 0 } };
  const message = (columns: number) => {
    const lines = tableAt(view, columns, from);
    return lines.slice(lines.findIndex((line) => line.startsWith("Cannot")), lines.indexOf("")).join(" ");
  };
  assert.match(
    message(60),
    /from kubeconfig …\/platform-team-admin\.kubeconfig \(context "sa"\) \(connect ECONNREFUSED/,
  );
  // Wide enough for the whole path on a line, the message keeps it.
  assert.ok(message(120).includes(`from kubeconfig ${path} (context "sa")`), message(120));
});

Deno.test("renderTable() shows a failing watch's cause and what to do on a narrow terminal, in the lines the screen has", () => {
  // Seen in tmux at 40 columns, 30 rows: four lines ending '... from kubeconfig …/kc-dead.json (context…', with the
  // screen half empty below; the cause (ECONNREFUSED) and what to do were cut off, at 60 what to do.
  const from = kubeconfig(["/home/me/.kube/kc-dead.json"], "fake-api-server");
  const error = new KubeApiError(
    `Cannot list endpointslices of service "echo" in namespace "e2e": cannot reach the API server at ` +
      `http://127.0.0.1:1 from ${from.source} (connect ECONNREFUSED 127.0.0.1:1); check that the address is right and ` +
      "the server is up",
  );
  const slice: EndpointSlice = {
    metadata: { name: "echo-x", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints: [0, 1, 2].map((i) => ({ addresses: [`10.1.0.${i + 1}`], targetRef: { name: `echo-${i}` } })),
  };
  // Before the first list (no pods yet), and after one (a watch that failed later).
  for (const slices of [[], [slice]]) {
    const view = { ...serviceViewOf(slices, {}), watch: { state: "retrying" as const, error, since: 0 } };
    if (slices.length === 0) delete view.pods;
    for (const columns of [30, 40, 60]) {
      const lines = tableAt(view, columns, { ...from, rows: 30 });
      const text = lines.join(" ").replace(/\s+/g, " ");
      const where = `${columns} columns:\n${lines.join("\n")}`;
      assert.ok(
        text.includes("(connect ECONNREFUSED 127.0.0.1:1); check that the address is right and the server is up"),
        where,
      );
      if (slices.length > 0) assert.ok(lines.some((line) => line.startsWith("echo-")), `a pod's row too at ${where}`);
      assert.ok(!lines.some((line) => line.endsWith("…")), where);
    }
  }
});

Deno.test("renderTable() gives a failing watch's message the lines a pod's row too tall for the screen leaves empty", () => {
  // Seen in tmux at 40x24 with --zone, after the API server went away: the message cut at '... (context…', why
  // topology is none at '... its…', and four rows of the screen empty below the counts, as the row kept for a pod
  // took three lines there ('  not used: terminating while others are' / '  ready' under it), not the two kept.
  const from = kubeconfig(["/tmp/regrcli/kc.json"], "fake-api-server");
  const error = new KubeApiError(
    `Cannot watch endpointslices of service "echo" in namespace "e2e": cannot reach the API server at ` +
      `http://127.0.0.1:41999 from ${from.source} (connect ECONNREFUSED 127.0.0.1:41999); check that the address is right ` +
      "and the server is up",
  );
  const slice: EndpointSlice = {
    metadata: { name: "echo-x", namespace: "e2e" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints: Array.from({ length: 7 }, (_, i) => ({
      addresses: [`10.1.4.${i + 1}`],
      targetRef: { name: `echo-4-${i}` },
      zone: i % 2 ? "b" : "a",
      conditions: i < 4
        ? { ready: true }
        : i < 6
        ? { ready: false, serving: true, terminating: true }
        : { ready: false },
    })),
  };
  const view = { ...serviceViewOf([slice], { zone: "a" }), watch: { state: "retrying" as const, error, since: 0 } };
  for (const [columns, rows] of [[40, 24], [40, 26], [50, 20]]) {
    const lines = tableAt(view, columns, { ...from, rows });
    const where = `${columns}x${rows}:\n${lines.join("\n")}`;
    const cut = lines.filter((line) => line.endsWith("…"));
    if (cut.length > 0) assert.equal(lines.length, rows - 1, `${cut.join(", ")} cut with rows to spare at ${where}`);
  }
});
