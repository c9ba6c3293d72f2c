// The `kgr-resolver` CLI as a user runs it, in a child process, against the embedded fake API server on
// 127.0.0.1: --once --json, the exit codes, `check` against a server that says no and then yes, and one
// line per change off a terminal. `cli` is the command that starts the CLI: `["deno", "run", "-A",
// "cli.ts"]` from a checkout (tests/cli/cli_test.ts), the installed bin from the packed tarball
// (scripts/pack_check.sh through tests/cli/run_bin.mjs). Runs on Deno, Bun and Node.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseAllDocuments } from "yaml";
import { endpointSlice } from "@kgr/resolver/testing";
import { echoSlice, NAMESPACE, startCluster, TARGET } from "./_cluster.mjs";
import { runScenarios } from "../runtimes/run_scenarios.mjs";
import { childEnv } from "../_child_env.mjs";

const READER = `system:serviceaccount:${NAMESPACE}:reader`;
/**
 * The --timeout, in seconds, of a run whose server answers (a LIST, a 429, a list's first bytes) before it runs out:
 * the CLI's start is not counted, but its first requests are, and on Deno, Node and Bun at load 25-30 here they got
 * no answer within 2 s (1 run of 2), so the test saw "no answer" instead of what it is for.
 */
const ANSWERED_WITHIN_S = 6;
/** A grant to list the Service's EndpointSlices but not to watch them. */
const LIST_ONLY = [{
  apiGroups: ["discovery.k8s.io"],
  resources: ["endpointslices"],
  verbs: ["list"],
  namespace: NAMESPACE,
}];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `use` with a named pipe as the kubeconfig, which nothing writes: its read hangs, as on a mount that does. */
async function withKubeconfigPipe(use) {
  const dir = await mkdtemp(join(tmpdir(), "kgr-fifo-"));
  try {
    const pipe = join(dir, "kubeconfig");
    const made = spawn("mkfifo", [pipe]);
    assert.equal(await new Promise((resolve) => made.on("close", resolve)), 0);
    await use(pipe);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Starts the CLI with `args`. `exited` resolves to its exit code (a signal's name if killed) and output;
 * the child is killed after `timeoutMs`, so a hang is a failure, not a stuck run.
 */
function startCli(cli, args, timeoutMs = 30_000) {
  const child = spawn(cli[0], [...cli.slice(1), ...args], {
    env: childEnv({ ...process.env, NO_COLOR: "", KUBECONFIG: "" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => stdout += chunk);
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const exited = new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
  return { child, exited, output: () => stdout, errors: () => stderr };
}

const runCli = (cli, args) => startCli(cli, args).exited;

/**
 * Runs the CLI with `args` beside `kgr-resolver --version`, both started at once, and returns its result with
 * `elapsed`: the ms from the end of the `--version` run to its own end. That is the command's time from its start, its
 * process's start left out (the same runtime loading the same modules beside it: 2.5-8.5 s at load 8-16, which a bound
 * from the spawn would have to allow), and anything before its first connection counted.
 */
async function runCliTimed(cli, args) {
  const version = startCli(cli, ["--version"]);
  const run = startCli(cli, args);
  const { code } = await version.exited;
  const started = Date.now();
  assert.equal(code, 0, "kgr-resolver --version");
  const result = await run.exited;
  return { ...result, elapsed: Date.now() - started };
}

/** Waits until `condition()` holds, polling; fails after `ms`. */
async function eventually(what, condition, ms = 15_000) {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A loopback port where nothing listens: connections are refused. */
async function refusedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Writes a kubeconfig next to the cluster's (`<its file>.<name>.json`) whose server is `server` instead, and returns
 * its path: the same credentials and namespace, another API server (a broken one, on loopback).
 */
async function kubeconfigFor(cluster, server, name) {
  const config = cluster.api.kubeconfig();
  config.clusters[0].cluster.server = server;
  if (server.startsWith("https:")) config.clusters[0].cluster["insecure-skip-tls-verify"] = true;
  const file = `${cluster.kubeconfig}.${name}.json`;
  await writeFile(file, JSON.stringify(config));
  return file;
}

/**
 * A loopback listener that accepts connections and never answers, neither TLS nor HTTP: a hung API server.
 * `connections()` counts the connections it accepted, and `kubeconfig(scheme)` writes a kubeconfig file for it next to
 * the cluster's.
 */
async function silentServer(cluster) {
  const sockets = new Set();
  let connections = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    connections++;
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    port,
    connections: () => connections,
    kubeconfig(scheme) {
      return kubeconfigFor(cluster, `${scheme}://127.0.0.1:${port}`, `silent-${scheme}`);
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The access rules a Role of the printed YAML grants, as the fake server takes them. */
/** Sends a request that a test's proxy received on to the fake API server, body and token included. */
/**
 * A proxy's request handler that gives up on a request it cannot forward: the CLI may exit at its --timeout (or the
 * test close the fake) while a request is on its way, and the rejection ("aborted") was left unhandled, which fails
 * the whole test file (1 run of 2 at load 28, after the scenario had failed).
 */
function forwarding(handler) {
  return (req, res) => handler(req, res).catch(() => res.destroy());
}

async function forwardToFake(cluster, req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return await fetch(`${cluster.api.url}${req.url}`, {
    method: req.method,
    headers: { authorization: req.headers.authorization, "content-type": "application/json" },
    body: req.method === "POST" ? body : undefined,
  });
}

function rulesOf(yaml) {
  return parseAllDocuments(yaml).map((document) => document.toJS()).filter((object) => object.kind === "Role")
    .flatMap((role) => role.rules.map((rule) => ({ ...rule, namespace: role.metadata.namespace })));
}

/** The Service `two` with ports grpc and http, and one pod whose slice lists both: a target without a port needs `get`. */
function applyTwoPortService(cluster) {
  cluster.api.applyService({
    metadata: { namespace: NAMESPACE, name: "two" },
    spec: { ports: [{ name: "grpc", port: 80, targetPort: 8080 }, { name: "http", port: 81, targetPort: 8081 }] },
  });
  cluster.api.applySlice({
    ...endpointSlice({ namespace: NAMESPACE, service: "two", endpoints: [{ ip: "10.3.0.1", pod: "two-0" }] }),
    ports: [{ name: "http", port: 8081, protocol: "TCP" }, { name: "grpc", port: 8080, protocol: "TCP" }],
  });
}

/** The CLI's scenarios, by what each checks: cli_test.ts runs them on Deno, {@linkcode runAll} on the installed bin. */
export const scenarios = {
  async "--once --json prints the first snapshot with the unused pods and why, and exits 0"(cli) {
    const cluster = await startCluster();
    try {
      const { code, stdout, stderr } = await runCli(cli, [
        "--once",
        "--json",
        "--kubeconfig",
        cluster.kubeconfig,
        TARGET,
      ]);
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "");
      const lines = stdout.trimEnd().split("\n");
      assert.equal(lines.length, 1, stdout);
      const snapshot = JSON.parse(lines[0]);
      assert.equal(snapshot.resourceVersion, cluster.api.resourceVersion);
      assert.deepEqual([snapshot.namespace, snapshot.service, snapshot.topology], [NAMESPACE, "echo", "none"]);
      assert.deepEqual(snapshot.endpoints.map((endpoint) => endpoint.podName), ["echo-0", "echo-1", "echo-2"]);
      assert.deepEqual(snapshot.endpoints[0].addresses, [{ host: "10.1.0.1", port: 8080 }]);
      assert.ok(Math.abs(Date.parse(snapshot.time) - Date.now()) < 60_000, snapshot.time);
      assert.deepEqual(snapshot.unused.map((pod) => [pod.podName, pod.reason, pod.message]), [
        ["echo-new", "not-ready", "not used: not ready"],
        ["echo-old", "terminating", "not used: terminating while others are ready"],
      ]);
    } finally {
      await cluster.close();
    }
  },

  async "--once --json writes all of a snapshot larger than a pipe holds to a reader that starts late"(cli) {
    // Bun's process.stdout says it holds nothing while it still writes to a full pipe: exiting once a write("")
    // called back cut 2,000 pods (about 450 KB of JSON) at 65,536 bytes whenever the reader was slower.
    const cluster = await startCluster();
    try {
      for (let s = 0; s < 20; s++) {
        cluster.api.applySlice(endpointSlice({
          namespace: NAMESPACE,
          service: "echo",
          name: `echo-many-${s}`,
          port: { name: "grpc", port: 8080 },
          endpoints: Array.from({ length: 100 }, (_, i) => ({ ip: `10.2.${s}.${i + 1}`, pod: `many-${s}-${i}` })),
        }));
      }
      const child = spawn(cli[0], [...cli.slice(1), "--once", "--json", "--kubeconfig", cluster.kubeconfig, TARGET], {
        env: childEnv({ ...process.env, NO_COLOR: "", KUBECONFIG: "" }),
        stdio: ["ignore", "pipe", "inherit"],
      });
      const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
      // Not read until the CLI exited (or, where a full pipe blocks its writes, for 2 s).
      await Promise.race([exited, sleep(2_000)]);
      let stdout = "";
      child.stdout.setEncoding("utf8").on("data", (chunk) => stdout += chunk);
      await new Promise((resolve) => child.stdout.on("end", resolve));
      assert.equal(await exited, 0);
      assert.ok(stdout.endsWith("}\n"), `${stdout.length} characters, ending ${JSON.stringify(stdout.slice(-20))}`);
      assert.equal(JSON.parse(stdout).endpoints.length, 2_003);
    } finally {
      await cluster.close();
    }
  },

  async "--once off a terminal prints one line, --namespace fills in the target's namespace"(cli) {
    const cluster = await startCluster();
    try {
      const args = ["--once", "--kubeconfig", cluster.kubeconfig, "--namespace", NAMESPACE, "kubernetes:///echo:grpc"];
      const { code, stdout, stderr } = await runCli(cli, args);
      assert.equal(code, 0, stderr);
      assert.match(
        stdout,
        /^\S+Z e2e\/echo rv \d+ topology none \(client locality unknown\): 3 used: echo-0 10\.1\.0\.1:8080, echo-1 10\.1\.0\.2:8080, echo-2 10\.1\.0\.3:8080; 1 not used \(not ready\): echo-new 10\.1\.0\.51:8080; 1 not used \(terminating while others are ready\): echo-old 10\.1\.0\.50:8080\n$/,
      );
      // -n for a target that names its own namespace: the target's is used, and a warning says so, once.
      const other = await runCli(cli, ["--once", "--kubeconfig", cluster.kubeconfig, "-n", "other", TARGET]);
      assert.equal(other.code, 0, other.stderr);
      assert.match(other.stdout, / e2e\/echo rv \d+ /);
      assert.equal(
        other.stderr,
        `kgr-resolver: warning: --namespace other is ignored: the target ${TARGET} names its namespace, e2e\n`,
      );
      // A scheme that grpc-js channels of register() do not reach: followed, with a warning that says so.
      const capitals = await runCli(cli, [
        "--once",
        "--kubeconfig",
        cluster.kubeconfig,
        TARGET.replace("kubernetes", "KUBERNETES"),
      ]);
      assert.equal(capitals.code, 0, capitals.stderr);
      assert.match(capitals.stdout, / e2e\/echo rv \d+ /);
      assert.match(
        capitals.stderr,
        /^kgr-resolver: warning: the scheme "KUBERNETES" is not "kubernetes", .*; did you mean kubernetes:\/\/\/echo\.e2e:grpc\?\n$/,
      );
      // check's cluster line does not say the ignored flag was used.
      const otherCheck = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, "-n", "other", TARGET]);
      assert.equal(otherCheck.code, 0, otherCheck.stdout);
      assert.doesNotMatch(otherCheck.stdout, /--namespace/, otherCheck.stdout);
      // A client in a zone, but slices without hints: the line says why topology does not apply.
      const zoned = await runCli(cli, ["--once", "--kubeconfig", cluster.kubeconfig, "--zone", "a", TARGET]);
      assert.equal(zoned.code, 0, zoned.stderr);
      assert.match(
        zoned.stdout,
        / topology none \(no pod has a topology hint \(the Service's trafficDistribution sets them, on Kubernetes 1\.31\+; its topology-mode Auto annotation only while it can balance the zones: kubectl get events -n e2e --field-selector involvedObject\.name=echo shows why\)\): 3 used: /,
      );
      // No usable pod (a port name the slices lack): printed, and exit 1, so that a script stops there.
      const wrongPort = await runCli(cli, [
        "--once",
        "--kubeconfig",
        cluster.kubeconfig,
        `kubernetes:///echo.${NAMESPACE}:grcp`,
      ]);
      assert.equal(wrongPort.code, 1, wrongPort.stderr);
      assert.match(
        wrongPort.stdout,
        /; no usable pod: its EndpointSlices have no port named "grcp" \(they have "grpc" \(\d+\)\)/,
      );
      // Why, first and on standard error (as kubectl's "No resources found"), not only at the end of a line that
      // 5,000 pods make 134 KB long; the JSON on standard output keeps its shape.
      for (const json of [false, true]) {
        const args = ["--once", ...(json ? ["--json"] : []), "--kubeconfig", cluster.kubeconfig];
        const why = await runCli(cli, [...args, `kubernetes:///echo.${NAMESPACE}:grcp`]);
        assert.equal(why.code, 1, why.stderr);
        assert.match(
          why.stderr,
          /^kgr-resolver: no usable pod, so calls fail with UNAVAILABLE: its EndpointSlices have no port named "grcp" \(they have "grpc" \(\d+\)\)[^\n]*\n$/,
        );
        if (json) assert.equal(JSON.parse(why.stdout).endpoints.length, 0, why.stdout);
      }
    } finally {
      await cluster.close();
    }
  },

  async "--once with credentials that may list but not watch prints the snapshot, says why it is not enough, and exits 1"(
    cli,
  ) {
    const cluster = await startCluster();
    try {
      cluster.api.setAccess({ username: READER, rules: LIST_ONLY });
      for (const json of [false, true]) {
        const args = ["--once", ...(json ? ["--json"] : []), "--kubeconfig", cluster.kubeconfig, TARGET];
        const { code, stdout, stderr } = await runCli(cli, args);
        assert.equal(code, 1, stderr);
        assert.equal(stdout.split("\n").length, 2, stdout);
        assert.ok(json ? JSON.parse(stdout).endpoints.length === 3 : stdout.includes(" 3 used: "), stdout);
        assert.match(
          stderr,
          /^kgr-resolver: the snapshot above is from a LIST, but a resolver with these credentials would see a change only when it lists again, up to 30 s late: Cannot watch endpointslices of service "echo" in namespace "e2e": forbidden \(403\) .*grant "watch" on "endpointslices" in API group "discovery\.k8s\.io" \(a resolver needs "list" and "watch"\)/,
        );
        assert.equal(stderr.split("\n").length, 2, stderr);
      }
      // No usable pod as well: two lines, one for each problem, as each needs its own fix.
      cluster.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "echo",
        port: { name: "grpc", port: 8080 },
        endpoints: [{ ip: "10.1.0.51", pod: "echo-new", ready: false, serving: false }],
      }));
      const { code, stderr } = await runCli(cli, ["--once", "--kubeconfig", cluster.kubeconfig, TARGET]);
      assert.equal(code, 1, stderr);
      const [empty, watch, end] = stderr.split("\n");
      assert.match(empty, /^kgr-resolver: no usable pod, so calls fail with UNAVAILABLE: /);
      assert.match(watch, /^kgr-resolver: the snapshot above is from a LIST, but a resolver with these credentials /);
      assert.equal(end, "", stderr);
    } finally {
      await cluster.close();
    }
  },

  async "a target's port number that no slice has (the Service's port, not the pods') is flagged, not refused"(cli) {
    const cluster = await startCluster();
    try {
      const target = `kubernetes:///echo.${NAMESPACE}:80`;
      const note = 'port 80 is none of the ports the Service\'s EndpointSlices give its pods ("grpc" (8080)): ' +
        "the pods are dialed on 80 as given; if 80 is the Service's port, name the port in the target instead (:grpc)";
      const once = await runCli(cli, ["--once", "--kubeconfig", cluster.kubeconfig, target]);
      assert.equal(once.code, 0, once.stderr);
      assert.ok(once.stdout.endsWith(`; ${note}\n`), once.stdout);
      const json = await runCli(cli, ["--once", "--json", "--kubeconfig", cluster.kubeconfig, target]);
      assert.equal(JSON.parse(json.stdout).portNote, note);
      const check = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, target]);
      assert.equal(check.code, 0, check.stdout);
      assert.ok(check.stdout.includes(`\nunknown  port      ${note}\n`), check.stdout);
      assert.match(check.stdout, /\nok: \S+ resolves with these credentials; see the port step above\n$/);
      // The pods' own number is fine.
      const pods = await runCli(cli, [
        "check",
        "--kubeconfig",
        cluster.kubeconfig,
        `kubernetes:///echo.${NAMESPACE}:8080`,
      ]);
      assert.equal(pods.code, 0, pods.stdout);
      assert.doesNotMatch(pods.stdout, /port step|unknown {2}port/);
    } finally {
      await cluster.close();
    }
  },

  async "names from EndpointSlices are printed with their control characters escaped, by --once and by check"(cli) {
    const cluster = await startCluster();
    try {
      cluster.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "echo",
        port: { name: "grpc", port: 8080 },
        endpoints: [
          { ip: "10.1.0.1", pod: "x\u001b]0;pwned\u0007", zone: "a\r", nodeName: "node-1" },
          { ip: "10.1.0.2", pod: "y\u001b[2J", ready: false, serving: false },
        ],
      }));
      // deno-lint-ignore no-control-regex
      const control = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
      const once = await runCli(cli, ["--once", "--kubeconfig", cluster.kubeconfig, TARGET]);
      assert.equal(once.code, 0, once.stderr);
      assert.doesNotMatch(once.stdout, control, JSON.stringify(once.stdout));
      assert.match(once.stdout, /x\^\[\]0;pwned\\x07 10\.1\.0\.1:8080/);
      const check = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, TARGET]);
      assert.doesNotMatch(check.stdout, control, JSON.stringify(check.stdout));
      assert.match(check.stdout, /x\^\[\]0;pwned\\x07/);
      assert.match(check.stdout, /y\^\[\[2J/);
    } finally {
      await cluster.close();
    }
  },

  async "usage errors and bad targets exit 2, quoting the input"(cli) {
    const bad = await runCli(cli, ["--once", "kubernetes:///echo.e2e:0"]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, "");
    assert.match(bad.stderr, /^kgr-resolver: Cannot parse target "kubernetes:\/\/\/echo\.e2e:0": port must be 1-65535/);
    const unknown = await runCli(cli, ["--once", "--colour", TARGET]);
    assert.equal(unknown.code, 2);
    assert.match(
      unknown.stderr,
      /^kgr-resolver: Cannot use option "--colour": it is unknown: run kgr-resolver --help\n$/,
    );
    const none = await runCli(cli, ["--json"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /Cannot run without a target/);
  },

  async "--help shows examples, check --help check's own, and --version the version, all exit 0"(cli) {
    const help = await runCli(cli, ["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:\n {2}kgr-resolver kubernetes:\/\/\/echo\.prod:grpc\n/);
    // It printed the main help, which says nothing of what check asks and prints.
    const checkHelp = await runCli(cli, ["check", "--help"]);
    assert.equal(checkHelp.code, 0);
    assert.match(checkHelp.stdout, /^kgr-resolver check: /);
    assert.match(checkHelp.stdout, /Examples:\n {2}kgr-resolver check kubernetes:\/\/\/echo\.prod:grpc\n/);
    assert.doesNotMatch(checkHelp.stdout, /--once/);
    const version = await runCli(cli, ["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^kgr-resolver \d+\.\d+\.\d+\n$/);
  },

  async "a context namespace that is not a DNS label fails check's target step only for a target that names none"(cli) {
    const cluster = await startCluster();
    try {
      const config = cluster.api.kubeconfig();
      config.contexts[0].context.namespace = "Bad_NS";
      const badNamespace = `${cluster.kubeconfig}.bad-namespace.json`;
      await writeFile(badNamespace, JSON.stringify(config));
      const named = await runCli(cli, ["--once", "--kubeconfig", badNamespace, TARGET]);
      assert.equal(named.code, 0, named.stderr);
      const unnamed = await runCli(cli, ["check", "--kubeconfig", badNamespace, "kubernetes:///echo:grpc"]);
      assert.equal(unnamed.code, 1);
      assert.match(unnamed.stdout, /^ok +cluster /m);
      assert.match(
        unnamed.stdout,
        /^FAILED +target +Cannot use namespace "Bad_NS" from the context namespace of kubeconfig .*name the namespace in the target/m,
      );
      assert.match(unnamed.stdout, /FAILED: the target has no namespace to use; fix the step marked above\n$/);
    } finally {
      await cluster.close();
    }
  },

  async "cluster and API failures exit 1 with the library's message"(cli) {
    const cluster = await startCluster();
    try {
      cluster.api.setAccess({ username: READER, rules: [] });
      const forbidden = await runCli(cli, ["--once", "--kubeconfig", cluster.kubeconfig, "-n", NAMESPACE, TARGET]);
      assert.equal(forbidden.code, 1);
      assert.equal(forbidden.stdout, "");
      assert.match(
        forbidden.stderr,
        /^kgr-resolver: Cannot list endpointslices of service "echo" in namespace "e2e": forbidden \(403\) .*grant "list" on "endpointslices" in API group "discovery\.k8s\.io" \(a resolver needs "list" and "watch"\)/,
      );
      // The credentials' source names the flag that changed it, not the library's option (cluster.namespace).
      assert.match(
        forbidden.stderr,
        /forbidden \(403\) for the credentials from kubeconfig .* with --namespace: grant/,
      );
      assert.doesNotMatch(forbidden.stderr, /cluster\./);
      assert.ok(!forbidden.stderr.includes("cli-test-token"), "the token must never be shown");
      // So does the line of a watch that retries.
      const retrying = startCli(cli, ["--kubeconfig", cluster.kubeconfig, "-n", NAMESPACE, TARGET]);
      await eventually("the retrying line", () => retrying.errors().includes("\n"));
      process.kill(retrying.child.pid, "SIGINT");
      const retried = await retrying.exited;
      assert.match(
        retried.stderr,
        /^kgr-resolver: \S+Z retrying: Cannot list .* forbidden \(403\) .* with --namespace: /,
      );
      assert.doesNotMatch(retried.stderr, /cluster\./);

      const port = await refusedPort();
      const refusedConfig = await kubeconfigFor(cluster, `http://127.0.0.1:${port}`, "refused");
      const unreachable = await runCli(cli, ["--once", "--kubeconfig", refusedConfig, TARGET]);
      assert.equal(unreachable.code, 1);
      assert.match(unreachable.stderr, new RegExp(`cannot reach the API server at http://127\\.0\\.0\\.1:${port}`));
      // check stops at refused credentials too, with one line.
      const badToken = cluster.api.kubeconfig();
      badToken.users[0].user.token = "not-the-token";
      const badTokenConfig = `${cluster.kubeconfig}.bad-token.json`;
      await writeFile(badTokenConfig, JSON.stringify(badToken));
      const refused = await runCli(cli, ["check", "--kubeconfig", badTokenConfig, TARGET]);
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /^FAILED +user +.*rejected the credentials .*\(401 Unauthorized\)/m);
      // Not /401/: the server's port (127.0.0.1:40197) may hold those digits.
      assert.equal(refused.stdout.match(/\(401 Unauthorized\)/g).length, 1, refused.stdout);
      assert.match(refused.stdout, /FAILED: the API server refuses these credentials; fix the step marked above\n$/);
      // The advice is the CLI user's: a fresh token, then run it again (the library tells a program to restart).
      assert.match(
        refused.stdout,
        /\(401 Unauthorized\): put a fresh token in the kubeconfig \(log in again\), then run kgr-resolver again\n/,
      );
      assert.doesNotMatch(refused.stdout, /restart/);
      // An exec plugin that fails: the server was never asked.
      const failingPlugin = cluster.api.kubeconfig();
      failingPlugin.users[0].user = {
        exec: { apiVersion: "client.authentication.k8s.io/v1", command: "false", interactiveMode: "Never" },
      };
      const failingPluginConfig = `${cluster.kubeconfig}.failing-plugin.json`;
      await writeFile(failingPluginConfig, JSON.stringify(failingPlugin));
      const noCredentials = await runCli(cli, ["check", "--kubeconfig", failingPluginConfig, TARGET]);
      assert.equal(noCredentials.code, 1, noCredentials.stdout + noCredentials.stderr);
      assert.match(noCredentials.stdout, /^FAILED +user +/m);
      assert.match(noCredentials.stdout, /FAILED: the credentials could not be obtained; fix the step marked above\n$/);
      // One that hangs: --timeout ends the wait, on the user step, not the plugin's 15 s. The plugin notes when it
      // starts, and the wait is timed from there: with the CLI's start, check took 7.3 s in all at load 15; from the
      // plugin's start, --once took 4.5-6 s to end at load 25 (2 runs of 3 failed a 4 s bound), so the bound is 9 s.
      const pluginStarts = `${cluster.kubeconfig}.plugin-starts`;
      // Date.now() from node, not `date +%s%3N`: BSD and macOS date print "...3N" for it. Its pid too: the CLI leaves
      // it running at its exit (and may have started it more than once), and the test ends each rather than leave
      // them for 15 s.
      const noteStartThenHang =
        `require("fs").appendFileSync(${JSON.stringify(pluginStarts)}, Date.now() + " " + process.pid + "\\n");` +
        "setTimeout(() => {}, 15000);";
      failingPlugin.users[0].user.exec = {
        ...failingPlugin.users[0].user.exec,
        command: "node",
        args: ["-e", noteStartThenHang],
      };
      await writeFile(failingPluginConfig, JSON.stringify(failingPlugin));
      const hungPlugin = async (command) => {
        await writeFile(pluginStarts, "");
        const run = await runCli(cli, [command, "--timeout", "1", "--kubeconfig", failingPluginConfig, TARGET]);
        const ended = Date.now();
        assert.equal(run.code, 1, run.stdout + run.stderr);
        // On a machine slow enough, --timeout runs out before the plugin starts (then nothing waits for it).
        const starts = (await readFile(pluginStarts, "utf8")).split("\n").filter(Boolean).map((line) =>
          line.split(" ")
        );
        for (const [, pid] of starts) {
          try {
            process.kill(Number(pid));
          } catch { /* It ended already. */ }
        }
        const started = starts[0]?.[0] ?? "";
        const waited = ended - Number(started);
        assert.ok(
          started === "" || waited < 9000,
          `${command} with --timeout 1 ended ${waited} ms after its plugin started`,
        );
        return run;
      };
      const slowPlugin = await hungPlugin("check");
      assert.match(slowPlugin.stdout, /^FAILED +user +no credentials within 1 s from kubeconfig /m);
      // --once says the same, rather than blame the API server, which was never asked.
      const slowOnce = await hungPlugin("--once");
      assert.match(
        slowOnce.stderr,
        /^kgr-resolver: Cannot resolve "[^"]+": no credentials within 1 s from kubeconfig .*: run its exec plugin by hand to see why, or raise --timeout\n$/,
      );
      assert.doesNotMatch(slowOnce.stderr, /API server/);
      // One that says where to log in and waits (kubelogin's devicecode login): its words show at once, as kubectl
      // shows them, masked.
      const signIn = "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the " +
        "code ABCD1234 to authenticate.";
      failingPlugin.users[0].user.exec = {
        ...failingPlugin.users[0].user.exec,
        command: "sh",
        args: ["-c", `echo "${signIn}" >&2; echo "token=hunter2secret" >&2; sleep 8`],
      };
      await writeFile(failingPluginConfig, JSON.stringify(failingPlugin));
      const login = await runCli(cli, ["--once", "--timeout", "1", "--kubeconfig", failingPluginConfig, TARGET]);
      assert.equal(login.code, 1, login.stdout + login.stderr);
      assert.ok(login.stderr.startsWith(`${signIn}\ntoken=[redacted]\nkgr-resolver: Cannot `), login.stderr);
      // check stops at the first request that gets no answer, instead of repeating it for every step.
      const unchecked = await runCli(cli, ["check", "--kubeconfig", refusedConfig, TARGET]);
      assert.equal(unchecked.code, 1);
      assert.match(
        unchecked.stdout,
        /^FAILED +server +Cannot create a SelfSubjectReview: cannot reach the API server/m,
      );
      assert.equal(unchecked.stdout.match(/cannot reach/g).length, 1, unchecked.stdout);
      assert.match(unchecked.stdout, /FAILED: no connection to the API server; fix the step marked above\n$/);

      const missing = await runCli(cli, ["--once", "--kubeconfig", `${cluster.kubeconfig}.missing`, TARGET]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^kgr-resolver: Cannot .*kubeconfig.*\.missing \(--kubeconfig\): /);
      assert.doesNotMatch(missing.stderr, /cluster\./, "the CLI's flags, not the library's options");
      const noContext = await runCli(cli, ["--once", "--kubeconfig", cluster.kubeconfig, "--context", "nope", TARGET]);
      assert.equal(noContext.code, 1);
      assert.match(noContext.stderr, /context "nope" from --context is not defined/);
      // check ends with a summary line there too, as after every other step that stops it.
      const noCluster = await runCli(cli, ["check", "--kubeconfig", `${cluster.kubeconfig}.missing`, TARGET]);
      assert.equal(noCluster.code, 1);
      assert.match(noCluster.stdout, /^FAILED +cluster +Cannot .*\.missing \(--kubeconfig\): /m);
      assert.match(noCluster.stdout, /\n\nFAILED: no cluster access; fix the step marked above\n$/);
    } finally {
      await cluster.close();
    }
  },

  async "check: an API server that says no gets the Role and RoleBinding that make it say yes"(cli) {
    const cluster = await startCluster();
    try {
      cluster.api.setAccess({ username: READER, groups: ["system:serviceaccounts"], rules: [] });
      const denied = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, "--namespace", NAMESPACE, TARGET]);
      assert.equal(denied.code, 1, denied.stdout + denied.stderr);
      assert.match(denied.stdout, /^ok +cluster +http:\/\/127\.0\.0\.1:\d+ from kubeconfig .* with --namespace$/m);
      assert.match(
        denied.stdout,
        /^FAILED +resolve +.* forbidden \(403\) for the credentials from .* with --namespace: /m,
      );
      assert.doesNotMatch(denied.stdout, /cluster\./, "the CLI's flags, not the library's options");
      assert.match(denied.stdout, /^ok +user +system:serviceaccount:e2e:reader$/m);
      assert.match(denied.stdout, /^MISSING +list +endpointslices\.discovery\.k8s\.io in namespace e2e \(required\)$/m);
      assert.match(
        denied.stdout,
        /^MISSING +watch +endpointslices\.discovery\.k8s\.io in namespace e2e \(required\)$/m,
      );
      assert.match(
        denied.stdout,
        /^FAILED +resolve +Cannot list endpointslices of service "echo" in namespace "e2e": forbidden \(403\)/m,
      );
      // With --yaml, standard output is the YAML alone, for kubectl apply -f -, and the report is on standard error.
      const yamlOnly = await runCli(cli, ["check", "--yaml", "--kubeconfig", cluster.kubeconfig, TARGET]);
      assert.equal(yamlOnly.code, 1, yamlOnly.stdout + yamlOnly.stderr);
      assert.match(yamlOnly.stderr, /^MISSING +list +endpointslices/m);
      const yaml = yamlOnly.stdout;
      const documents = parseAllDocuments(yaml).map((document) => {
        assert.deepEqual(document.errors, [], yaml);
        return document.toJS();
      });
      assert.deepEqual(documents.map((object) => object.kind), ["Role", "RoleBinding"]);
      assert.deepEqual(documents[1].subjects, [{ kind: "ServiceAccount", name: "reader", namespace: NAMESPACE }]);
      assert.equal(documents[1].metadata.namespace, NAMESPACE);

      // May list but not watch: the target resolves once, and the summary says why that is not enough.
      cluster.api.setAccess({ username: READER, rules: LIST_ONLY });
      const listed = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, TARGET]);
      assert.equal(listed.code, 1, listed.stdout + listed.stderr);
      assert.match(listed.stdout, /^MISSING +watch +endpointslices/m);
      assert.match(listed.stdout, /^ok +resolve +3 pods used/m);
      assert.match(
        listed.stdout,
        /\nFAILED: kubernetes:\/\/\/echo\.e2e:grpc resolves once, but these credentials lack a grant the resolver needs to follow it; fix the steps marked above\n$/,
      );

      // "kubectl apply" the printed YAML: the same checks now pass.
      cluster.api.setAccess({ username: READER, rules: rulesOf(yaml) });
      const allowed = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, TARGET]);
      assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
      assert.match(allowed.stdout, /^ok +list +endpointslices\.discovery\.k8s\.io in namespace e2e \(required\)$/m);
      assert.match(allowed.stdout, /^ok +resolve +3 pods used \(echo-0, echo-1, echo-2\), 2 not used/m);
      assert.ok(!allowed.stdout.includes("apiVersion:"), allowed.stdout);
      assert.match(allowed.stdout, /\nok: kubernetes:\/\/\/echo\.e2e:grpc resolves with these credentials\n$/);
    } finally {
      await cluster.close();
    }
  },

  async "check: get on services is required for a target without a port whose slices have several ports"(cli) {
    const cluster = await startCluster();
    try {
      applyTwoPortService(cluster);
      const slicesOnly = [{
        apiGroups: ["discovery.k8s.io"],
        resources: ["endpointslices"],
        verbs: ["list", "watch"],
        namespace: NAMESPACE,
      }];
      cluster.api.setAccess({ username: READER, rules: slicesOnly });
      const several = await runCli(cli, [
        "check",
        "--kubeconfig",
        cluster.kubeconfig,
        `kubernetes:///two.${NAMESPACE}`,
      ]);
      assert.equal(several.code, 1, several.stdout + several.stderr);
      assert.match(
        several.stdout,
        /^MISSING +get +services in namespace e2e \(required: its slices have several ports, and a target without a port uses the Service's first TCP port\)$/m,
      );
      assert.match(several.stdout, /^FAILED +resolve +Cannot choose a port for service "two"/m);

      // One port name in the slices: the port needs no Service, and the check passes without the grant (its read for
      // the ExternalName doubt is refused, which says nothing).
      const one = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, `kubernetes:///echo.${NAMESPACE}`]);
      assert.equal(one.code, 0, one.stdout + one.stderr);
      assert.match(one.stdout, /^MISSING +get +services in namespace e2e \(optional: /m);
      assert.match(one.stdout, /^ok +resolve +3 pods used/m);
    } finally {
      await cluster.close();
    }
  },

  async "check: an impersonation the API server refuses stops it at the user step, naming the grant"(cli) {
    const cluster = await startCluster();
    // What kube-apiserver 1.36 answers every request of a user that may not impersonate its kubeconfig's `as`.
    const refusing = createHttpServer((req, res) => {
      const message = `forbidden: User "system:serviceaccount:prod:actor" cannot impersonate-on:user-info:` +
        `${req.method === "POST" ? "create" : "list"} resource "x" in API group "" at the cluster scope`;
      res.writeHead(403, { "content-type": "application/json" })
        .end(
          JSON.stringify({
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            reason: "Forbidden",
            code: 403,
            message,
          }),
        );
    });
    await new Promise((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    try {
      const kubeconfig = await kubeconfigFor(cluster, `http://127.0.0.1:${refusing.address().port}`, "impersonating");
      const config = JSON.parse(await readFile(kubeconfig, "utf8"));
      config.users[0].user.as = "jane";
      await writeFile(kubeconfig, JSON.stringify(config));
      const checked = await runCli(cli, ["check", "--kubeconfig", kubeconfig, TARGET]);
      assert.equal(checked.code, 1, checked.stdout + checked.stderr);
      assert.match(
        checked.stdout,
        /^FAILED +user +Cannot create a SelfSubjectReview: the user of kubeconfig \S+ \(context "\S+"\) may not impersonate "jane" \(403\): grant that user "impersonate" on "users" named "jane" with a ClusterRole and ClusterRoleBinding/m,
      );
      // One line: the grants of a user it cannot act as are not asked for.
      assert.doesNotMatch(checked.stdout, /\n(unknown|MISSING) +(list|watch)/);
      assert.match(checked.stdout, /\nFAILED: the API server refuses the impersonation; fix the step marked above\n$/);
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
      await cluster.close();
    }
  },

  async "check: a web server in the API server's place stops it at its first request, saying so"(cli) {
    const cluster = await startCluster();
    // As python3 -m http.server answers: an HTML 404 page for GET, an HTML 501 page for POST.
    const web = createHttpServer((req, res) => {
      const status = req.method === "POST" ? 501 : 404;
      res.writeHead(status, { "content-type": "text/html;charset=utf-8" });
      res.end(`<html><body><h1>Error response</h1><p>Error code: ${status}</p></body></html>`);
    });
    await new Promise((resolve) => web.listen(0, "127.0.0.1", resolve));
    try {
      const kubeconfig = await kubeconfigFor(cluster, `http://127.0.0.1:${web.address().port}`, "web");
      const checked = await runCli(cli, ["check", "--kubeconfig", kubeconfig, TARGET]);
      assert.equal(checked.code, 1, checked.stdout + checked.stderr);
      assert.match(
        checked.stdout,
        /^FAILED +server +Cannot create a SelfSubjectReview: the API server at http:\/\/127\.0\.0\.1:\d+ answered 501 with content type "text\/html;charset=utf-8", not the API server's own answer/m,
      );
      assert.equal(checked.stdout.match(/text\/html/g).length, 1, checked.stdout);
      assert.match(
        checked.stdout,
        /\nFAILED: the server does not answer as a Kubernetes API server; fix the step marked above\n$/,
      );
      const once = await runCli(cli, ["--once", "--kubeconfig", kubeconfig, TARGET]);
      assert.equal(once.code, 1, once.stdout + once.stderr);
      assert.match(
        once.stderr,
        /answered 404 with content type "text\/html;charset=utf-8", not JSON: point the kubeconfig at the Kubernetes API server itself/,
      );
      assert.doesNotMatch(once.stderr, /Kubernetes 1\.21/);
    } finally {
      await new Promise((resolve) => web.close(resolve));
      await cluster.close();
    }
  },

  async "check: a server URL with a stray path fails without blaming the credentials"(cli) {
    const cluster = await startCluster();
    try {
      const kubeconfig = await kubeconfigFor(cluster, `${cluster.api.url}/k8s`, "path");
      const checked = await runCli(cli, ["check", "--kubeconfig", kubeconfig, TARGET]);
      assert.equal(checked.code, 1, checked.stdout + checked.stderr);
      assert.match(checked.stdout, /^FAILED +resolve .*remove the path/m);
      // It ended "does not resolve with these credentials", which no credential fixes.
      assert.match(checked.stdout, /\nFAILED: \S+ does not resolve; fix the steps marked above\n$/);
    } finally {
      await cluster.close();
    }
  },

  async "an answer that is not JSON says retrying once while following a target, and not at all with --once"(cli) {
    const cluster = await startCluster();
    // Something on the way that claims JSON and sends a page.
    const bad = createHttpServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html>");
    });
    await new Promise((resolve) => bad.listen(0, "127.0.0.1", resolve));
    try {
      const kubeconfig = await kubeconfigFor(cluster, `http://127.0.0.1:${bad.address().port}`, "not-json");
      const following = startCli(cli, ["--kubeconfig", kubeconfig, TARGET]);
      await eventually("the retrying line", () => following.errors().includes("\n"));
      process.kill(following.child.pid, "SIGINT");
      const { stderr } = await following.exited;
      assert.match(
        stderr,
        /^kgr-resolver: \S+Z retrying: Cannot list .* is not valid JSON: if this repeats, check that nothing on the way/,
      );
      assert.equal(stderr.split("\n")[0].match(/retrying/g).length, 1, stderr);
      // --once gives up at the first failure: its line must not promise a retry.
      const once = await runCli(cli, ["--once", "--kubeconfig", kubeconfig, TARGET]);
      assert.equal(once.code, 1, once.stdout + once.stderr);
      assert.match(once.stderr, /^kgr-resolver: Cannot list .* is not valid JSON: if this repeats, /);
      assert.doesNotMatch(once.stderr, /retry/);
    } finally {
      await new Promise((resolve) => bad.close(resolve));
      await cluster.close();
    }
  },

  async "check: a Service with no usable pod fails and says why (no such Service, a port name it lacks)"(cli) {
    const cluster = await startCluster();
    try {
      const absent = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, "kubernetes:///nosuch.e2e:grpc"]);
      assert.equal(absent.code, 1, absent.stdout + absent.stderr);
      assert.match(absent.stdout, /^ok +target +service nosuch in namespace e2e$/m);
      assert.match(
        absent.stdout,
        // The Service's 404, which the fake API server answers as kube-apiserver does.
        /^FAILED +resolve +no usable pod, so calls fail with UNAVAILABLE: service nosuch does not exist in namespace e2e \(kubectl get services -n e2e lists those there are\)$/m,
      );
      assert.match(
        absent.stdout,
        /\nFAILED: kubernetes:\/\/\/nosuch\.e2e:grpc resolves to no usable pod; see the resolve step above\n$/,
      );
      const port = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, "kubernetes:///echo.e2e:http"]);
      assert.equal(port.code, 1, port.stdout + port.stderr);
      assert.match(
        port.stdout,
        /^FAILED +resolve +.*its EndpointSlices have no port named "http" \(they have "grpc" \(\d+\)\)/m,
      );
    } finally {
      await cluster.close();
    }
  },

  async "check --zone counts the pods kept for failover apart from the used ones, and says whether topology applies"(
    cli,
  ) {
    const cluster = await startCluster();
    try {
      cluster.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "zoned",
        port: { name: "grpc", port: 8080 },
        trafficDistribution: "PreferSameZone",
        endpoints: ["a", "b", "a", "b"].map((zone, i) => ({
          ip: `10.2.0.${i + 1}`,
          pod: `zoned-${i}`,
          zone,
          ready: i !== 3,
        })),
      }));
      const target = `kubernetes:///zoned.${NAMESPACE}:grpc`;
      const checked = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, "--zone", "a", target]);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      assert.match(
        checked.stdout,
        /^ok +resolve +2 pods used \(zoned-0, zoned-2\), 1 failover \(zoned-1\), 1 not used \(1 not ready: zoned-3\)$/m,
      );
      // The pods not used, by zone: whether the client's zone, or the one it fails over to, is short of ready pods.
      assert.match(
        checked.stdout,
        /^ok +topology +zone: calls go to the pods hinted for the client's zone, the others only on failover \(client in zone a\); not used: 1 in zone b$/m,
      );
      // Slices without hints: topology is off, and the check says why, without failing.
      const unhinted = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, "--zone", "a", TARGET]);
      assert.equal(unhinted.code, 0, unhinted.stdout + unhinted.stderr);
      assert.match(
        unhinted.stdout,
        /^unknown +topology +none, so calls go to the used pods in every zone: no pod has a topology hint .*\(client in zone a\)$/m,
      );
      assert.match(unhinted.stdout, /resolves with these credentials; see the topology step above\n$/);
      const nowhere = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, TARGET]);
      assert.doesNotMatch(nowhere.stdout, /topology/, "a client that does not say where it is gets no topology step");
    } finally {
      await cluster.close();
    }
  },

  async "check names at most 10 pods of each kind, and counts the rest, those not used by reason"(cli) {
    const cluster = await startCluster();
    try {
      cluster.api.applySlice(echoSlice(12));
      cluster.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "echo",
        name: "echo-unready",
        port: { name: "grpc", port: 8080 },
        endpoints: Array.from({ length: 14 }, (_, i) => ({
          ip: `10.1.1.${i + 1}`,
          pod: `nr-${String(i).padStart(2, "0")}`,
          ready: false,
        })),
      }));
      const checked = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, TARGET]);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      const resolve = checked.stdout.split("\n").find((line) => line.startsWith("ok       resolve"));
      // The 16 pods not used: 15 not ready, of which the first 10 not used name 9, and one terminating.
      assert.match(
        resolve,
        /^ok +resolve +12 pods used \((echo-\d+, ){9}echo-\d+ and 2 more\), 16 not used \(15 not ready: echo-new, nr-00, nr-01, nr-02, nr-03, nr-04, nr-05, nr-06, nr-07 and 6 more; 1 terminating while others are ready: echo-old\)$/,
      );
    } finally {
      await cluster.close();
    }
  },

  async "check orders reasons of equal count by their text, as the live table does"(cli) {
    // 5,000 pods, half not ready and half terminating: check said "2500 terminating, no longer serving: web-0, ...;
    // 2500 not ready: web-1, ..." (its first pod's reason first), the live table "2500 not ready; 2500 terminating,
    // no longer serving".
    const cluster = await startCluster();
    try {
      cluster.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "echo",
        port: { name: "grpc", port: 8080 },
        endpoints: [
          { ip: "10.5.0.1", pod: "echo-0" },
          { ip: "10.5.0.2", pod: "echo-1", ready: false, serving: true, terminating: true },
          { ip: "10.5.0.3", pod: "echo-2", ready: false },
        ],
      }));
      const checked = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, TARGET]);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      assert.match(
        checked.stdout,
        /^ok +resolve +1 pod used \(echo-0\), 2 not used \(1 not ready: echo-2; 1 terminating while others are ready: echo-1\)$/m,
      );
    } finally {
      await cluster.close();
    }
  },

  async "check says that the pods it uses are terminating, when no pod is ready and they are the fallback, and only then"(
    cli,
  ) {
    const cluster = await startCluster();
    try {
      cluster.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "leaving",
        port: { name: "grpc", port: 8080 },
        endpoints: Array.from({ length: 12 }, (_, i) => ({
          ip: `10.4.0.${i + 1}`,
          pod: `leaving-${String(i).padStart(2, "0")}`,
          ready: false,
          serving: true,
          terminating: true,
        })),
      }));
      const target = `kubernetes:///leaving.${NAMESPACE}:grpc`;
      const checked = await runCli(cli, ["check", "--kubeconfig", cluster.kubeconfig, target]);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      // Said once for them all, not once a pod.
      assert.match(
        checked.stdout,
        /^ok +resolve +12 pods used \(12 serving while terminating, as no pod is ready: (leaving-0\d, ){9}leaving-09 and 2 more\)$/m,
      );
      // Ready while terminating (publishNotReadyAddresses): used as any other pod, no fallback to speak of.
      cluster.api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service: "published",
        port: { name: "grpc", port: 8080 },
        endpoints: [{ ip: "10.4.0.2", pod: "published-0", ready: true, serving: true, terminating: true }],
      }));
      const published = await runCli(cli, [
        "check",
        "--kubeconfig",
        cluster.kubeconfig,
        `kubernetes:///published.${NAMESPACE}:grpc`,
      ]);
      assert.equal(published.code, 0, published.stdout + published.stderr);
      assert.match(published.stdout, /^ok +resolve +1 pod used \(published-0\)$/m);
    } finally {
      await cluster.close();
    }
  },

  async "off a terminal: one JSON object per change, and Ctrl-C exits 0"(cli) {
    const cluster = await startCluster();
    try {
      const run = startCli(cli, ["--json", "--kubeconfig", cluster.kubeconfig, TARGET]);
      const objects = () => run.output().split("\n").filter(Boolean).map((line) => JSON.parse(line));
      await eventually("the first snapshot", () => objects().length === 1);
      cluster.api.applySlice(echoSlice(4));
      await eventually("the scale-up", () => objects().length === 2);
      // Not child.kill(): Deno's (2.9) then reports the signal as the cause of the exit, whatever the child did.
      process.kill(run.child.pid, "SIGINT");
      const { code, stderr } = await run.exited;
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "");
      const [before, after] = objects();
      assert.deepEqual(before.endpoints.map((endpoint) => endpoint.podName), ["echo-0", "echo-1", "echo-2"]);
      assert.deepEqual(after.endpoints.map((endpoint) => endpoint.podName), ["echo-0", "echo-1", "echo-2", "echo-3"]);
      assert.equal(after.resourceVersion, cluster.api.resourceVersion);
    } finally {
      await cluster.close();
    }
  },

  // What a script or a supervisor that stops a follower can rely on (README, "Exit codes"): SIGTERM ends it as Ctrl-C
  // does, with 0, unlike --once and check, which it cuts short (143).
  async "following a target ends with 0 on SIGTERM, as on Ctrl-C"(cli) {
    const cluster = await startCluster();
    try {
      const run = startCli(cli, ["--kubeconfig", cluster.kubeconfig, TARGET]);
      await eventually("the first line", () => run.output().includes("\n"));
      process.kill(run.child.pid, "SIGTERM");
      const { code, stderr } = await run.exited;
      assert.equal(code, 0, stderr);
      assert.equal(stderr, "");
    } finally {
      await cluster.close();
    }
  },

  async "off a terminal: a change only of hints, which topology does not use here, prints no line"(cli) {
    const cluster = await startCluster();
    try {
      const run = startCli(cli, ["--kubeconfig", cluster.kubeconfig, TARGET]);
      const json = startCli(cli, ["--json", "--kubeconfig", cluster.kubeconfig, TARGET]);
      const objects = () => json.output().split("\n").filter(Boolean).map((line) => JSON.parse(line));
      // Two CLIs start at once on each runtime, six in all: at load 25-30 one runtime's took over 15 s (2 runs of 3).
      await eventually(
        "the first snapshots",
        () => run.output().includes("3 used") && objects().length === 1,
        25_000,
      );
      cluster.api.applySlice(echoSlice(3, "PreferSameZone"));
      // The JSON shows the hints: once it has, the line per change has seen them too.
      await eventually("the hints in the JSON", () => objects().length === 2);
      assert.deepEqual(objects()[1].endpoints[0].hints, { forZones: ["a"], forNodes: [] });
      // The first object has no `changed`; the next one says no pod came, went or changed use.
      assert.equal("changed" in objects()[0], false);
      assert.deepEqual(objects()[1].changed, []);
      cluster.api.applySlice(echoSlice(4, "PreferSameZone"));
      await eventually("the scale-up", () => run.output().includes("4 used"));
      for (const each of [run, json]) process.kill(each.child.pid, "SIGINT");
      const { code, stdout, stderr } = await run.exited;
      assert.equal(code, 0, stderr);
      const lines = stdout.trimEnd().split("\n");
      assert.equal(lines.length, 2, stdout);
      assert.match(lines[0], / rv \d+ topology none \(client locality unknown\): 3 used: /);
      // After the first line, what changed since the line before comes first, then the whole state.
      assert.match(lines[1], / rv \d+ \+1 used \(echo-3\); topology none \(client locality unknown\): 4 used: /);
      await json.exited;
    } finally {
      await cluster.close();
    }
  },

  async "Ctrl-C stops --once and check at once while they wait for the API server, says where, and exits 130"(cli) {
    const cluster = await startCluster();
    const silent = await silentServer(cluster);
    try {
      // On https the request waits in the TLS handshake, on http for the HTTP answer.
      for (const scheme of ["http", "https"]) {
        const kubeconfig = await silent.kubeconfig(scheme);
        for (const args of [["--once"], ["check"]]) {
          const what = `${args[0]} on ${scheme}`;
          const before = silent.connections();
          const run = startCli(cli, [...args, "--kubeconfig", kubeconfig, TARGET]);
          await eventually("a request to the API server", () => silent.connections() > before);
          await sleep(200);
          const sent = Date.now();
          process.kill(run.child.pid, "SIGINT");
          const { code, stdout, stderr } = await run.exited;
          const elapsed = Date.now() - sent;
          assert.equal(code, 130, `${what}: ${stdout}${stderr}`);
          // Not --timeout's default 30 s, nor undici's connect timeout (10 s): Deno took 1.5 s at load 15.
          assert.ok(elapsed < 5000, `${what} exited ${elapsed} ms after Ctrl-C`);
          // One line says how far it got (was: nothing, in the log of a Job whose deadline stopped it).
          const where = args[0] === "--once"
            ? "before the first snapshot was read: waiting for the first list of its EndpointSlices"
            : "in the user step: waiting for the API server to say who the credentials are";
          assert.match(
            stderr,
            new RegExp(`^kgr-resolver: stopped by Ctrl-C after (less than 1 s|\\d+ s), ${where}\n$`),
          );
          assert.doesNotMatch(stdout, /unknown|FAILED/, "an interrupted check stops, it reports no step as failed");
        }
      }
    } finally {
      await silent.close();
      await cluster.close();
    }
  },

  async "SIGTERM ends --once and check while the kubeconfig's read hangs (a pipe nothing writes), at once"(cli) {
    // Was (a review): with the handler registered before connecting, Node's exit waited for the read, SIGKILL alone
    // ended it; the process now ends by the signal itself, which a shell reports as 143.
    await withKubeconfigPipe(async (pipe) => {
      for (const command of ["--once", "check"]) {
        const run = startCli(cli, [command, "--kubeconfig", pipe, TARGET], 10_000);
        await sleep(1500);
        const sent = Date.now();
        process.kill(run.child.pid, "SIGTERM");
        const { code, stderr } = await run.exited;
        assert.ok(code === 143 || code === "SIGTERM", `${command}: ${code} ${stderr}`);
        assert.ok(Date.now() - sent < 5000, `${command} ended ${Date.now() - sent} ms after SIGTERM`);
        assert.match(
          stderr,
          /^kgr-resolver: stopped by SIGTERM after .*reading where the cluster is and how to log in/,
        );
      }
    });
  },

  async "--once --timeout says at the timeout that the kubeconfig's read hangs; Bun and Deno end with 1"(cli) {
    // Was: --once's timer started once the cluster was connected, so --timeout never came. Node's exit waits for the
    // read (its file threads), so there the line comes and SIGTERM ends the process, as the README says.
    await withKubeconfigPipe(async (pipe) => {
      const run = startCli(cli, ["--once", "--timeout", "1", "--kubeconfig", pipe, TARGET], 20_000);
      await eventually("the timeout's line", () => run.errors().includes("no cluster access within 1 s"));
      // Node as run_bin.mjs runs it (its own execPath) or as cli_test.ts does (`node`).
      const onNode = /(^|[\\/])node(\.exe)?$/.test(cli[0]);
      if (onNode) {
        // Not in the moment after the line, while its interrupt handler may still be in place and take the signal.
        await sleep(500);
        process.kill(run.child.pid, "SIGTERM");
      }
      const { code, stdout, stderr } = await run.exited;
      assert.ok(code === 1 || (onNode && (code === 143 || code === "SIGTERM")), `${code}`);
      assert.equal(stdout, "");
      assert.match(stderr, /^kgr-resolver: Cannot resolve .*: no cluster access within 1 s: reading where the cluster/);
    });
  },

  async "check whose reader goes away (| head -1) never exits 0: 141 when that cuts it short, else its verdict"(cli) {
    const cluster = await startCluster();
    const silent = await silentServer(cluster);
    try {
      const kubeconfig = await silent.kubeconfig("http");
      const run = startCli(cli, ["check", "--timeout", "1", "--kubeconfig", kubeconfig, TARGET]);
      // The reader goes away after the first line; the check then writes its next steps, or its verdict (1: no
      // answer within --timeout), into a closed pipe, which the old code took for success.
      await eventually("the first line", () => run.output().includes("\n"));
      run.child.stdout.destroy();
      const { code, stderr } = await run.exited;
      assert.ok(code === 141 || code === 1, `exit code ${code}: ${stderr}`);
      assert.equal(stderr, "");
    } finally {
      await silent.close();
      await cluster.close();
    }
  },

  // A corporate proxy that takes the connection and never answers the CONNECT (or the request) holds the watch as a
  // hung server does; --once and check told to check the API server only, never naming the proxy on the way.
  async "--timeout against a proxy that accepts and never answers names the proxy and where it came from"(cli) {
    const cluster = await startCluster();
    const silent = await silentServer(cluster);
    try {
      const config = cluster.api.kubeconfig();
      config.clusters[0].cluster["proxy-url"] = `http://u:proxy-secret@127.0.0.1:${silent.port}`;
      const kubeconfig = `${cluster.kubeconfig}.silent-proxy.json`;
      await writeFile(kubeconfig, JSON.stringify(config));
      for (const args of [["--once"], ["check"]]) {
        const { code, stdout, stderr } = await runCli(cli, [
          ...args,
          "--timeout",
          "1",
          "--kubeconfig",
          kubeconfig,
          TARGET,
        ]);
        const output = args[0] === "--once" ? stderr : stdout;
        assert.equal(code, 1, `${args[0]}: ${stdout}${stderr}`);
        assert.match(
          output,
          new RegExp(
            "no answer within 1 s.*: check that the API server at http://127\\.0\\.0\\.1:\\d+ is reachable through the " +
              `proxy http://127\\.0\\.0\\.1:${silent.port}/ \\(its user name and password not shown\\) from proxy-url of ` +
              "kubeconfig .*, and that the proxy answers, or raise --timeout",
          ),
          `${args[0]}: ${output}`,
        );
        assert.doesNotMatch(stdout + stderr, /proxy-secret/);
      }
    } finally {
      await silent.close();
      await cluster.close();
    }
  },

  // A proxy that asks for a login refuses every request: check printed its 407 once per step (user, each grant,
  // resolve). Bun's fetch hands its 407 over as the answer, undici makes it an error: both are said once.
  async "check through a proxy that asks for a login says so once, at the server step"(cli) {
    const cluster = await startCluster();
    let requests = 0;
    const proxy = createHttpServer((_request, response) => {
      requests++;
      response.writeHead(407, { "proxy-authenticate": 'Basic realm="corp"', connection: "close" }).end();
    });
    proxy.on("connect", (_request, socket) => {
      requests++;
      socket.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n' +
          "Content-Length: 0\r\nConnection: close\r\n\r\n",
      );
    });
    await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const config = cluster.api.kubeconfig();
      config.clusters[0].cluster["proxy-url"] = `http://127.0.0.1:${proxy.address().port}`;
      const kubeconfig = `${cluster.kubeconfig}.login-proxy.json`;
      await writeFile(kubeconfig, JSON.stringify(config));
      const { code, stdout, stderr } = await runCli(cli, [
        "check",
        "--timeout",
        "5",
        "--kubeconfig",
        kubeconfig,
        TARGET,
      ]);
      assert.equal(code, 1, stdout + stderr);
      assert.equal(stdout.match(/the proxy asks for a login \(407\)/g)?.length, 1, stdout);
      assert.match(stdout, /\nFAILED {3}server {4}Cannot create a SelfSubjectReview: /, stdout);
      assert.match(stdout, /\nFAILED: the proxy to the API server refuses its login; fix the step marked above\n$/);
      assert.equal(requests, 1, stdout);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await cluster.close();
    }
  },

  async "--timeout bounds --once and check against a server that accepts and never answers (TLS or HTTP)"(cli) {
    const cluster = await startCluster();
    const silent = await silentServer(cluster);
    try {
      for (const scheme of ["https", "http"]) {
        const kubeconfig = await silent.kubeconfig(scheme);
        const server = `${scheme}://127\\.0\\.0\\.1:\\d+`;
        for (const args of [["--once"], ["check"]]) {
          const { code, stdout, stderr, elapsed } = await runCliTimed(cli, [
            ...args,
            "--timeout",
            "1",
            "--kubeconfig",
            kubeconfig,
            TARGET,
          ]);
          const what = `${args[0]} on ${scheme}`;
          assert.equal(code, 1, `${what}: ${stdout}${stderr}`);
          // undici's connect timeout (10 s) and stall timeout (150 s) must not be what ends it, nor a wait before the
          // first connection: timed from the command's start, not from the first connection (before which a hang
          // went uncounted; --timeout may even run out before a connection on a loaded machine).
          assert.ok(elapsed < 5000, `${what} ended ${elapsed} ms after its command started, with --timeout 1`);
          // An http:// server is a proxy (kubectl proxy) that holds the request as long as the API server behind it:
          // "check that the API server at http://127.0.0.1:8001 is reachable" sent the user to the proxy, which answers.
          const advice = scheme === "https"
            ? `no answer within 1 s.*: check that the API server at ${server} is reachable, or raise --timeout`
            : `no answer within 1 s.*: the server at ${server} serves plain HTTP, as kubectl proxy does \\(an API ` +
              "server serves HTTPS only\\): check that the API server behind it answers \\(kubectl get --raw " +
              "/readyz with the kubeconfig the proxy was started with\\) and that the proxy is running, or raise " +
              "--timeout";
          if (args[0] === "--once") {
            assert.match(stderr, new RegExp(`^kgr-resolver: Cannot resolve "${TARGET}": ${advice}\\n$`));
          } else {
            assert.match(stdout, new RegExp(`^FAILED +server +${advice}$`, "m"));
            assert.match(stdout, /FAILED: no answer from the API server; fix the step marked above\n$/);
          }
        }
      }
    } finally {
      await silent.close();
      await cluster.close();
    }
  },

  async "--once says when the LIST answered but no WATCH started within --timeout; check, when resolving used it up"(
    cli,
  ) {
    const cluster = await startCluster();
    // In front of the fake: streaming lists refused (as with the WatchList gate off), LISTs and access reviews
    // passed on, and watches held without an answer (with `holdSlices`, every slice request).
    const held = new Set();
    let holdSlices = false;
    const proxy = createHttpServer(forwarding(async (req, res) => {
      const url = new URL(req.url, "http://proxy");
      if (holdSlices && url.pathname.includes("/endpointslices")) held.add(res);
      else if (url.searchParams.get("watch") !== "true" || req.method !== "GET") {
        const answer = await forwardToFake(cluster, req);
        res.writeHead(answer.status, { "content-type": "application/json" }).end(await answer.text());
      } else if (url.searchParams.has("sendInitialEvents")) {
        res.writeHead(422, { "content-type": "application/json" }).end(JSON.stringify({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
          reason: "Invalid",
          code: 422,
        }));
      } else held.add(res);
    }));
    await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const kubeconfig = await kubeconfigFor(cluster, `http://127.0.0.1:${proxy.address().port}`, "held-watch");
      const { code, stdout, stderr } = await runCli(cli, [
        "--once",
        "--timeout",
        String(ANSWERED_WITHIN_S),
        "--kubeconfig",
        kubeconfig,
        TARGET,
      ]);
      assert.equal(code, 1, stderr);
      assert.match(stdout, /3 used/);
      assert.match(
        stderr,
        new RegExp(
          `^kgr-resolver: the snapshot above is from a LIST, but no WATCH started within ${ANSWERED_WITHIN_S} s: a ` +
            "resolver would not see changes; check the API server at http://127\\.0\\.0\\.1:\\d+, or raise --timeout\n$",
        ),
      );
      // check, where even the LIST gets no answer: resolving uses up --timeout, and the grants are not asked.
      holdSlices = true;
      const timeout = String(ANSWERED_WITHIN_S);
      const checked = await runCli(cli, ["check", "--timeout", timeout, "--kubeconfig", kubeconfig, TARGET]);
      assert.equal(checked.code, 1, checked.stdout);
      assert.match(checked.stdout, /^ok +user /m);
      assert.match(checked.stdout, new RegExp(`^unknown +access +not asked: no answer within ${timeout} s`, "m"));
      assert.equal(checked.stdout.match(/no answer within/g).length, 2, checked.stdout);
      assert.match(checked.stdout, new RegExp(`^FAILED +resolve +no answer within ${timeout} s`, "m"));
    } finally {
      for (const res of held) res.destroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await cluster.close();
    }
  },

  async "off a terminal: a failing watch is one line on standard error, and so is its recovery"(cli) {
    const cluster = await startCluster();
    try {
      const run = startCli(cli, ["--kubeconfig", cluster.kubeconfig, TARGET]);
      await eventually("the first snapshot", () => run.output().includes("3 used"));
      cluster.api.failNext(1, { status: 503, message: "etcd is down", path: "watch" });
      cluster.api.dropWatches();
      await eventually("the recovery", () => run.errors().includes("watching again"));
      cluster.api.applySlice(echoSlice(4));
      await eventually("the scale-up after the recovery", () => run.output().includes("4 used"));
      process.kill(run.child.pid, "SIGINT");
      const { code, stdout, stderr } = await run.exited;
      assert.equal(code, 0, stderr);
      const problems = stderr.trimEnd().split("\n");
      // Each with the time, as the lines of changes on standard output: a log of both tells when the watch failed.
      assert.match(problems[0], /^kgr-resolver: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z retrying: /);
      assert.ok(
        problems.some((line) =>
          /^kgr-resolver: \S+Z retrying: Cannot watch endpointslices .*answered 503.*etcd is down/.test(line)
        ),
        stderr,
      );
      assert.match(
        problems.at(-1),
        /^kgr-resolver: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z watching again after (?:less than 1|\d+) s of retrying$/,
      );
      assert.equal(stdout.trimEnd().split("\n").length, 2, stdout);
    } finally {
      await cluster.close();
    }
  },

  async "--once and check say the list was still coming in when --timeout comes in the middle of its answer"(cli) {
    // A large Service over a slow link (a VPN, a satellite office): 5,000 endpoints through 16 kbit/s took over 30 s
    // to list, and --once said "no answer within 30 s: check that the API server ... is reachable", of a server
    // whose answer was arriving. In front of the fake, a LIST answers its first bytes and holds the rest.
    const cluster = await startCluster();
    const held = new Set();
    const proxy = createHttpServer(forwarding(async (req, res) => {
      const answer = await forwardToFake(cluster, req);
      const text = await answer.text();
      res.writeHead(answer.status, { "content-type": "application/json" });
      if (!new URL(req.url, "http://proxy").pathname.includes("/endpointslices")) return res.end(text);
      res.write(text.slice(0, 20));
      held.add(res);
    }));
    await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const kubeconfig = await kubeconfigFor(cluster, `http://127.0.0.1:${proxy.address().port}`, "slow-list");
      const timeout = String(ANSWERED_WITHIN_S);
      const slow = "the list of its EndpointSlices was still coming in from the API server at " +
        `http://127\\.0\\.0\\.1:\\d+ after ${timeout} s: a slow link \\(a large Service over a VPN, say\\); raise --timeout`;
      const once = await runCli(cli, ["--once", "--timeout", timeout, "--kubeconfig", kubeconfig, TARGET]);
      assert.equal(once.code, 1, once.stderr);
      assert.match(once.stderr, new RegExp(`^kgr-resolver: Cannot resolve "${TARGET}": ${slow}\\n$`));
      const checked = await runCli(cli, ["check", "--timeout", timeout, "--kubeconfig", kubeconfig, TARGET]);
      assert.equal(checked.code, 1, checked.stdout);
      assert.match(checked.stdout, new RegExp(`^FAILED +resolve +${slow}$`, "m"));
      assert.match(
        checked.stdout,
        new RegExp(`^unknown +access +not asked: resolving used up --timeout \\(${timeout} s\\)$`, "m"),
      );
    } finally {
      for (const res of held) res.destroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
      await cluster.close();
    }
  },

  async "--once and check name the answer they were waiting out when --timeout comes first, not an unreachable server"(
    cli,
  ) {
    // A 429 with Retry-After (kube-apiserver's priority and fairness) is waited out unreported, as client-go waits
    // it out: --once said "no answer within 2 s: check that the API server ... is reachable", of a server that had
    // answered, and check said it of the resolve step.
    const cases = [
      [["--once"], TARGET, "any", "the first list of its EndpointSlices"],
      [["check"], TARGET, "any", "the first list of its EndpointSlices"],
      // A target without a port whose slices have two: the Service read that picks one waits out its 429 too.
      [["--once"], `kubernetes:///two.${NAMESPACE}`, "get", "the Service's first port"],
      [["check"], `kubernetes:///two.${NAMESPACE}`, "get", "the Service's first port"],
    ];
    for (const [args, target, path, waiting] of cases) {
      const cluster = await startCluster();
      try {
        applyTwoPortService(cluster);
        cluster.api.failNext(100, { status: 429, retryAfterSeconds: 60, path });
        const { code, stdout, stderr } = await runCli(cli, [
          ...args,
          "--timeout",
          String(ANSWERED_WITHIN_S),
          "--kubeconfig",
          cluster.kubeconfig,
          target,
        ]);
        const what = `${args[0]} ${target}: ${stdout}${stderr}`;
        assert.equal(code, 1, what);
        assert.doesNotMatch(stdout + stderr, /is reachable/, what);
        const said =
          'answered 429: .*\\(server said: "Too many requests, please try again later."\\); it asked to wait ' +
          "60 s \\(Retry-After\\): raise --timeout above that, or check the API server's load";
        if (args[0] === "--once") {
          const start =
            `^kgr-resolver: Cannot resolve "${target}" within ${ANSWERED_WITHIN_S} s \\(waiting for ${waiting}\\): `;
          assert.match(stderr, new RegExp(`${start}.*${said}\\n$`), what);
        } else {
          assert.match(
            stdout,
            new RegExp(`^FAILED +resolve +not within ${ANSWERED_WITHIN_S} s: .*${said}$`, "m"),
            what,
          );
        }
      } finally {
        await cluster.close();
      }
    }
  },
};

/**
 * Runs every scenario (or those whose name includes `filter`) with the CLI started by `cli`, printing one
 * line each.
 */
export function runAll(cli, filter = "") {
  return runScenarios(scenarios, filter, [cli]);
}
