import assert from "node:assert/strict";
import { childEnv } from "./_child_env.mjs";

const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
const CHILD = new URL("./trace/trace_child.ts", import.meta.url).pathname;
const BALANCER_CHILD = new URL("./trace/balancer_trace_child.ts", import.meta.url).pathname;
const TIERS_CHILD = new URL("./trace/balancer_tiers_trace_child.ts", import.meta.url).pathname;

async function run(env: Record<string, string>, child = CHILD): Promise<string> {
  const output = await new Deno.Command(DENO, {
    args: ["run", "-A", child],
    env: childEnv({ NODE_NAME: "", ZONE: "", ...env }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.ok(output.success, stderr);
  return stderr;
}

Deno.test("without register(), GRPC_TRACE=kubernetes_resolver traces to standard error, and nothing is written without it", async () => {
  const traced = await run({ GRPC_TRACE: "kubernetes_resolver", GRPC_VERBOSITY: "DEBUG" });
  assert.match(traced, /^D \S+ \| kubernetes_resolver \| watching endpointslices of service echo in namespace prod/m);
  assert.match(traced, /kubernetes_resolver \| no locality in NODE_NAME and ZONE: topology-aware routing is off/);
  const node = await run({ GRPC_TRACE: "kubernetes_resolver", GRPC_VERBOSITY: "DEBUG", NODE_NAME: "node-a" });
  assert.match(node, /kubernetes_resolver \| locality: node node-a \(from NODE_NAME\), zone unknown$/m);
  assert.equal(await run({ GRPC_TRACE: "kubernetes_resolver" }), "", "GRPC_VERBOSITY=DEBUG is needed, as in grpc-js");
  assert.equal(await run({}), "");
});

Deno.test("without register(), GRPC_NODE_TRACE and GRPC_NODE_VERBOSITY win, and -kubernetes_resolver turns it off, as in grpc-js", async () => {
  const line = /kubernetes_resolver \| watching endpointslices of service echo in namespace prod/;
  assert.match(await run({ GRPC_NODE_TRACE: "kubernetes_resolver", GRPC_NODE_VERBOSITY: "DEBUG" }), line);
  assert.match(await run({ GRPC_TRACE: "kubernetes_resolver", GRPC_NODE_VERBOSITY: "debug" }), line);
  assert.equal(
    await run({ GRPC_NODE_TRACE: "channel", GRPC_TRACE: "kubernetes_resolver", GRPC_VERBOSITY: "DEBUG" }),
    "",
  );
  assert.equal(
    await run({ GRPC_TRACE: "kubernetes_resolver", GRPC_VERBOSITY: "DEBUG", GRPC_NODE_VERBOSITY: "ERROR" }),
    "",
  );
  assert.equal(await run({ GRPC_TRACE: "all,-kubernetes_resolver", GRPC_VERBOSITY: "DEBUG" }), "");
  assert.equal(await run({ GRPC_TRACE: "-kubernetes_resolver,all", GRPC_VERBOSITY: "DEBUG" }), "");
  assert.match(await run({ GRPC_TRACE: "all,-channel", GRPC_VERBOSITY: "DEBUG" }), line);
});

Deno.test("GRPC_TRACE=kubernetes_round_robin traces the policy's states and lists under its own name, a line each", async () => {
  const traced = await run({ GRPC_TRACE: "kubernetes_round_robin", GRPC_VERBOSITY: "DEBUG" }, BALANCER_CHILD);
  const lines = traced.split("\n").filter((line) => line.includes(" | kubernetes_round_robin | "));
  const text = lines.map((line) => line.split(" | ").slice(3).join(" | ")).join("\n");
  const service = "service echo in namespace prod";
  assert.match(text, new RegExp(`^${service}: 2 endpoints \\(1 preferred\\): 2 new, 0 gone$`, "m"));
  assert.match(
    text,
    new RegExp(`^${service}: READY: 0 of 1 preferred endpoints READY, calls go to the others: 1 of 1 READY$`, "m"),
  );
  assert.match(text, new RegExp(`^${service}: 0 endpoints: 0 new, [12] gone$`, "m"));
  assert.match(text, new RegExp(`^${service}: TRANSIENT_FAILURE: no endpoints$`, "m"));
  assert.ok(lines.length <= 10, text);
  assert.doesNotMatch(traced, / \| kubernetes_resolver \| /, "only the tracers named");
  const resolverOnly = await run({ GRPC_TRACE: "kubernetes_resolver", GRPC_VERBOSITY: "DEBUG" }, BALANCER_CHILD);
  assert.doesNotMatch(resolverOnly, / \| kubernetes_round_robin \| /);
});

Deno.test("under PreferSameNode, kubernetes_round_robin traces each tier calls go to, and no line shows the token", async () => {
  const traced = await run({ GRPC_TRACE: "kubernetes_round_robin", GRPC_VERBOSITY: "DEBUG" }, TIERS_CHILD);
  const lines = traced.split("\n").filter((line) => line.includes(" | kubernetes_round_robin | "));
  const text = lines.map((line) => line.split(" | ").slice(3).join(" | ")).join("\n");
  const service = "service echo in namespace prod";
  // The slices come one by one: the first lists may have fewer endpoints.
  assert.match(
    text,
    new RegExp(`^${service}: 3 endpoints \\(1 preferred, 1 in the client's zone\\): [0-3] new, 0 gone$`, "m"),
  );
  const zone = "calls go to the client's zone: 1 of 1 READY, the others wait: 1 of 1 READY";
  assert.match(text, new RegExp(`^${service}: READY: 0 of 1 preferred endpoints READY, ${zone}$`, "m"));
  const others = "the client's zone failed: 0 of 1 READY, calls go to the others: 1 of 1 READY";
  assert.match(text, new RegExp(`^${service}: READY: 0 of 1 preferred endpoints READY, ${others}$`, "m"));
  const back = text.slice(text.search(new RegExp(others)));
  assert.match(back, new RegExp(`^${service}: READY: 0 of 1 preferred endpoints READY, ${zone}$`, "m"), "back");
  assert.ok(lines.length <= 16, text);
  assert.doesNotMatch(traced, /tiers-trace-secret-token/);
});
