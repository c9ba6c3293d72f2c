import assert from "node:assert/strict";
import { inFlagTerms, withFlagTerms } from "../../src/cli/flag_terms.ts";
import type { CliOutput, CliProcess } from "../../src/runtime/cli_process.ts";
import { statusError } from "../../src/api/api_errors.ts";
import { networkError } from "../../src/api/_network_error.ts";
import { basicAuthCredentials, staticTokenCredentials } from "../../src/cluster/credentials.ts";
import type { ClusterAccess } from "../../src/cluster/types.ts";
import { checkClusterOptions } from "../../src/cluster/cluster_options.ts";

Deno.test("inFlagTerms() names the CLI's flags, never touching a path or a name that contains an option's name", () => {
  assert.equal(
    inFlagTerms(
      'Cannot load kubeconfig /tmp/prod-cluster.kubeconfig (cluster.kubeconfig): context "staging.cluster.context" ' +
        "from cluster.context; pass cluster.kubeconfig or cluster.server; cluster.namespace",
    ),
    'Cannot load kubeconfig /tmp/prod-cluster.kubeconfig (--kubeconfig): context "staging.cluster.context" ' +
      "from --context; pass --kubeconfig; --namespace",
  );
});

Deno.test("inFlagTerms() leaves a kubeconfig path or a name that is exactly an option's name alone", () => {
  assert.equal(
    inFlagTerms("Cannot load kubeconfig cluster.kubeconfig (cluster.kubeconfig): no such file"),
    "Cannot load kubeconfig cluster.kubeconfig (--kubeconfig): no such file",
  );
  assert.equal(
    inFlagTerms('from kubeconfig C:\\k\\cluster.context (context "admin@cluster.context")'),
    'from kubeconfig C:\\k\\cluster.context (context "admin@cluster.context")',
  );
  assert.equal(
    inFlagTerms("kubeconfig /k with cluster.server, cluster.namespace; in-cluster (skipped: cluster.context needs it)"),
    "kubeconfig /k with cluster.server, --namespace; in-cluster (skipped: --context needs it)",
  );
});

Deno.test("inFlagTerms() asks for a path when --kubeconfig was given a kubeconfig's contents", () => {
  let message = "";
  try {
    checkClusterOptions({ kubeconfig: "apiVersion: v1\nclusters: []\n" });
  } catch (error) {
    message = (error as Error).message;
  }
  assert.equal(
    inFlagTerms(message),
    "Cannot resolve cluster access: --kubeconfig holds a kubeconfig's contents where a file's path belongs " +
      "(not shown: it may be a credential): pass the file's path",
  );
});

Deno.test("inFlagTerms() leaves a quoted name alone, and rewrites an option's name at the start of a coloured line", () => {
  assert.equal(
    inFlagTerms('context "cluster.context" from cluster.context is not defined'),
    'context "cluster.context" from --context is not defined',
  );
  assert.equal(inFlagTerms("\x1b[31mcluster.namespace\x1b[0m"), "\x1b[31m--namespace\x1b[0m");
});

Deno.test("inFlagTerms() drops the name of an option the CLI has no flag for", () => {
  assert.equal(
    inFlagTerms("no event for 150000 ms (stallTimeoutMs): check that it is up"),
    "no event for 150000 ms: check that it is up",
  );
});

Deno.test("withFlagTerms() rewrites what the CLI writes to standard output and error, and keeps the rest", () => {
  const written: string[] = [];
  const output = (isTTY: boolean): CliOutput => ({
    write: (text) => written.push(text),
    isTTY,
    size: () => isTTY ? { columns: 80, rows: 24 } : undefined,
  });
  const env = (name: string) => name === "NO_COLOR" ? "1" : undefined;
  const cli = withFlagTerms({ args: ["x"], env, stdout: output(true), stderr: output(false) } as CliProcess);
  cli.stdout.write('cluster https://10.0.0.1 from kubeconfig /k (context "kind") with cluster.namespace\n');
  cli.stderr.write(
    "kgr-resolver: retrying: forbidden (403) for the credentials from in-cluster with cluster.namespace\n",
  );
  assert.deepEqual(written, [
    'cluster https://10.0.0.1 from kubeconfig /k (context "kind") with --namespace\n',
    "kgr-resolver: retrying: forbidden (403) for the credentials from in-cluster with --namespace\n",
  ]);
  assert.deepEqual([cli.stdout.isTTY, cli.stdout.size(), cli.stderr.isTTY, cli.stderr.size()], [
    true,
    { columns: 80, rows: 24 },
    false,
    undefined,
  ]);
  assert.deepEqual([cli.args, cli.env("NO_COLOR")], [["x"], "1"]);
});

Deno.test("inFlagTerms() tells the CLI's user to run kgr-resolver again where the library says to restart the process", () => {
  const access = (credentials: ClusterAccess["credentials"], cert?: string) =>
    ({
      server: "https://10.0.0.1:6443",
      source: "kubeconfig /k",
      origin: { kind: "kubeconfig", files: ["/k"], context: "" },
      credentials,
      tls: { caSource: "the CA of kubeconfig /k", caSettings: "certificate-authority", ...(cert ? { cert } : {}) },
    }) as unknown as ClusterAccess;
  const unauthorized = (credentials: ClusterAccess["credentials"], cert?: string) =>
    statusError(
      { verb: "list", where: "endpointslices", namespace: "prod", grant: "", missing: "" },
      access(credentials, cert),
      new Response("{}", { status: 401, headers: { "content-type": "application/json" } }),
      {},
      false,
    ).message;
  const none = { authorization: () => Promise.resolve(undefined), invalidate() {} } as ClusterAccess["credentials"];
  // An expired token, as its exp claim says.
  const expired = `x.${btoa(JSON.stringify({ exp: 1 }))}.y`;
  const messages = [
    unauthorized(staticTokenCredentials("abc")),
    unauthorized(staticTokenCredentials(expired)),
    unauthorized(basicAuthCredentials("admin", "secret")),
    unauthorized(none, "-----BEGIN CERTIFICATE-----"),
    networkError("list", "endpointslices", access(none), new Error("certificate signed by unknown authority")).message,
    // A CA from a file, read again every 5 minutes.
    networkError(
      "list",
      "endpointslices",
      { ...access(none), currentCa: () => Promise.resolve("") },
      new Error("certificate signed by unknown authority"),
    ).message,
  ].map(inFlagTerms);
  for (const message of messages) {
    assert.match(message, /, then run kgr-resolver again$/, message);
    assert.doesNotMatch(message, /restart|option/, message);
  }
  assert.match(messages[0], /\(401 Unauthorized\): put a fresh token in the kubeconfig \(log in again\), then run/);
  assert.match(messages[1], /: the token expired at 1970-01-01T00:00:01\.000Z \(its exp claim\): put a fresh token/);
});

Deno.test("inFlagTerms() tells a CLI user with an unknown node under internalTrafficPolicy: Local to pass --node", () => {
  // Was: 'set NODE_NAME from the Downward API (env: [...]) or locality.node', a pod's spec and an option the CLI has
  // no flag of that name for (seen with kgr-resolver --once on a Local Service of a real control plane).
  const message = 'service "cart" in namespace "shop" has internalTrafficPolicy: Local, but this client\'s node is ' +
    "unknown, so its calls go to its pods on every node (within the client's zone when the Service's hints prefer " +
    "it), not only to those on its node as kube-proxy would send them: set NODE_NAME from the Downward API (env: [{ name: NODE_NAME, valueFrom: { fieldRef: { fieldPath: spec.nodeName } } " +
    "}]) or locality.node";
  const shown = inFlagTerms(message);
  assert.ok(shown.endsWith("as kube-proxy would send them: pass --node with the client's node"), shown);
});

Deno.test("inFlagTerms() tells a CLI user to pass --no-http2 where the library says to set cluster.http2: false", () => {
  // Was "... or set cluster.http2: false", an option the CLI's user cannot set (a TLS server that chose h2 and never
  // sent SETTINGS, seen with kgr-resolver --once; the GOAWAY message ends the same way).
  const access = {
    server: "https://10.0.0.1:6443",
    source: "kubeconfig /k",
    origin: { kind: "kubeconfig", files: ["/k"], context: "" },
  } as unknown as ClusterAccess;
  const silent = Object.assign(
    new Error(
      "Connect Timeout Error (connected over TLS, but the server did not start HTTP/2 (no SETTINGS frame) within 10000 ms)",
    ),
    { code: "UND_ERR_CONNECT_TIMEOUT" },
  );
  const goaway = new Error("the API server refused new streams after GOAWAY on 7 connections in 5.1 s");
  for (const cause of [silent, goaway]) {
    const shown = inFlagTerms(networkError("watch", "endpointslices", access, cause).message);
    assert.ok(shown.endsWith(", or pass --no-http2"), shown);
    assert.doesNotMatch(shown, /cluster\.http2/, shown);
  }
});
