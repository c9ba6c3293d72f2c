// withResolverOptions(): a grpc-js client with resolver options of its own, as tests that run at the same time in one
// process need, each against its own fake API server.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { register, withResolverOptions } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, startEchoServer } from "../scripts/echo_service.mjs";

const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");

/** A copy of grpc-js whose resolver registry only records the schemes registered in it. */
function recordingGrpc(): { grpc: never; schemes: string[] } {
  const schemes: string[] = [];
  const fake = {
    ...grpc,
    experimental: { ...grpc.experimental, registerResolver: (scheme: string) => void schemes.push(scheme) },
  };
  return { grpc: fake as never, schemes };
}

/**
 * One test of a file whose tests run at once: its own fake and pods, a register() as the README had each test make,
 * then a client with its own resolver options; returns the pods that answered 20 calls.
 */
async function oneConcurrentTest(name: string): Promise<Set<string>> {
  const scheme = "k8s-own-options";
  await using api = await startFakeApiServer();
  const kubeconfig = api.kubeconfig({ namespace: "shop" });
  register({ grpc, scheme, cluster: { kubeconfig } });
  const backends = [];
  try {
    for (const pod of [`${name}-0`, `${name}-1`]) {
      // Each await lets the other test's register() come in between.
      const backend = await startEchoServer(grpc, { name: pod, host: "127.0.0.1", port: 0 });
      backends.push(backend);
      api.applySlice(endpointSlice({
        namespace: "shop",
        service: "cart",
        name: pod,
        port: { name: "grpc", port: backend.port },
        endpoints: [{ ip: "127.0.0.1", pod }],
      }));
    }
    const target = `${scheme}:///cart:grpc`;
    const credentials = grpc.credentials.createInsecure();
    const client = withResolverOptions(
      { grpc, scheme, cluster: { kubeconfig } },
      (options) => new Echo(target, credentials, options),
    );
    try {
      const answered = new Set<string>();
      for (let i = 0; i < 20; i++) answered.add(((await echoCaller(client)("hi")) as string).split(":")[0]);
      return answered;
    } finally {
      client.close();
    }
  } finally {
    await Promise.all(backends.map((backend) => backend.stop()));
  }
}

Deno.test("withResolverOptions() gives tests that run at once each its own fake: each is answered by its own pods", async () => {
  // With register() alone, the test that registered last had both clients: "test a was answered by b-1".
  const [a, b] = await Promise.all([oneConcurrentTest("a"), oneConcurrentTest("b")]);
  assert.deepEqual([...a].sort(), ["a-0", "a-1"]);
  assert.deepEqual([...b].sort(), ["b-0", "b-1"]);
});

Deno.test("withResolverOptions() refuses a create that is no function or returns nothing, and bad options, registering nothing", () => {
  const recording = recordingGrpc();
  assert.throws(() => withResolverOptions({ grpc: recording.grpc }, "kubernetes:///cart:grpc" as never), {
    name: "TypeError",
    message: "Cannot create the client: the second argument must be a function that creates it with the channel " +
      "options it is given ((channelOptions) => new grpc.Client(target, credentials, channelOptions)): current type " +
      "is string",
  });
  assert.throws(() => withResolverOptions({ grpc: recording.grpc, subsetSize: 0 }, () => ({})), {
    name: "RangeError",
  });
  assert.throws(() => withResolverOptions({ grpc: recording.grpc, kubeconfig: "/k" } as never, () => ({})), {
    name: "TypeError",
    message: /'kubeconfig'/,
  });
  assert.deepEqual(recording.schemes, []);
  assert.throws(
    () =>
      withResolverOptions(
        { grpc: recording.grpc, scheme: "k8s-own-nothing" },
        (() => {
          // A forgotten return.
        }) as never,
      ),
    {
      name: "TypeError",
      message: "Cannot create the client: the function must return the client or channel it created with the " +
        "channel options it was given (an arrow function with braces needs a return): current type is undefined",
    },
  );
});

Deno.test("withResolverOptions() without options, or with its arguments swapped, says what to pass first", () => {
  // Said before: "... or left out for the defaults" (they cannot be left out here), and for the swapped arguments only
  // "current type is function".
  const create = (channelOptions: Record<string, string | number>) =>
    new Echo("kubernetes:///cart:grpc", grpc.credentials.createInsecure(), channelOptions);
  const needed =
    "Cannot create the client: the first argument must be the resolver options, such as { grpc, cluster: " +
    "{ kubeconfig } }, or {} for the defaults";
  assert.throws(() => withResolverOptions(undefined as never, create), {
    name: "TypeError",
    message: `${needed}: current type is undefined`,
  });
  assert.throws(() => withResolverOptions(create as never, { grpc } as never), {
    name: "TypeError",
    message: `${needed}; the arguments look swapped: the options come first, then the function: current type is ` +
      "function",
  });
});

Deno.test("withResolverOptions() registers its scheme with the copy of grpc-js when not yet, and hands the option on", () => {
  const recording = recordingGrpc();
  const given: Record<string, string | number>[] = [];
  const created = withResolverOptions({ grpc: recording.grpc, scheme: "k8s-own-register" }, (options) => {
    given.push(options);
    return { options };
  });
  assert.deepEqual(recording.schemes, ["k8s-own-register"]);
  assert.deepEqual(Object.keys(given[0]), ["grpc.enable_http_proxy", "kgr_resolver.channel_options"]);
  assert.equal(created.options, given[0]);
  withResolverOptions({ grpc: recording.grpc, scheme: "k8s-own-register" }, (options) => ({ options }));
  assert.deepEqual(recording.schemes, ["k8s-own-register"], "registered once");
});

Deno.test("withResolverOptions() keeps grpc-js's proxy variables off its channels: a target with a port number still resolves", async () => {
  // With https_proxy set, grpc-js sent kubernetes:///cart:PORT to the proxy by DNS, past the resolver: "Failed to
  // connect to proxy", and a call's status without a resolution note. Nothing listens on the proxy's loopback port.
  const scheme = "k8s-proxy-env";
  const saved = process.env.https_proxy;
  process.env.https_proxy = "http://127.0.0.1:9";
  await using api = await startFakeApiServer();
  const backend = await startEchoServer(grpc, { name: "cart-0", host: "127.0.0.1", port: 0 });
  try {
    api.applySlice(endpointSlice({
      namespace: "shop",
      service: "cart",
      port: { name: "grpc", port: backend.port },
      endpoints: [{ ip: "127.0.0.1", pod: "cart-0" }],
    }));
    const client = withResolverOptions(
      { grpc, scheme, cluster: { kubeconfig: api.kubeconfig({ namespace: "shop" }) } },
      (options) => new Echo(`${scheme}:///cart:${backend.port}`, grpc.credentials.createInsecure(), options),
    );
    try {
      assert.match((await echoCaller(client)("hi")) as string, /^cart-0:/);
    } finally {
      client.close();
    }
  } finally {
    if (saved === undefined) delete process.env.https_proxy;
    else process.env.https_proxy = saved;
    await backend.stop();
  }
});
