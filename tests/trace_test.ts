import assert from "node:assert/strict";

const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
const CHILD = new URL("./trace/trace_child.ts", import.meta.url).pathname;

async function run(env: Record<string, string>): Promise<string> {
  const output = await new Deno.Command(DENO, {
    args: ["run", "-A", CHILD],
    env: { NODE_NAME: "", ZONE: "", ...env },
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
