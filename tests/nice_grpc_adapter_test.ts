// The nice-grpc adapter's createChannel(): which targets it takes, and what it registers.
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { createChannel } from "@kgr/resolver/nice-grpc";

/** A copy of grpc-js whose resolver registry only records the schemes registered in it. */
function recordingGrpc(): { grpc: never; schemes: string[] } {
  const schemes: string[] = [];
  const fake = {
    ...grpc,
    experimental: { ...grpc.experimental, registerResolver: (scheme: string) => void schemes.push(scheme) },
  };
  return { grpc: fake as never, schemes };
}

Deno.test("createChannel() refuses a target of grpc-js's own schemes or nice-grpc's http forms, registering nothing", () => {
  // Each registered our resolver under that scheme: "dns" replaced grpc-js's DNS resolver for every channel of the
  // process (a plain dns:///host:port channel then asked the Kubernetes API for a Service named after the host).
  for (const target of ["dns:///localhost:50051", "unix:///run/grpc.sock", "http://echo.prod:80", "https://echo:443"]) {
    const recording = recordingGrpc();
    assert.throws(() => createChannel(target, undefined, { resolver: { grpc: recording.grpc } }), (error) => {
      assert.ok(error instanceof Error && error.name === "TargetError", String(error));
      assert.match(error.message, /^Cannot parse target ".*": scheme ".*" is not a Kubernetes target: /);
      assert.match(error.message, /use nice-grpc's own createChannel\(\) for it/);
      return true;
    });
    assert.deepEqual(recording.schemes, [], target);
  }
  const recording = recordingGrpc();
  createChannel("k8s-nice-test:///echo.prod:grpc", undefined, { resolver: { grpc: recording.grpc } }).close();
  assert.deepEqual(recording.schemes, ["k8s-nice-test"]);
});

Deno.test("createChannel() refuses options given second, where the credentials go, before registering", () => {
  const recording = recordingGrpc();
  // Was grpc-js's "credentials?._isSecure is not a function".
  assert.throws(
    () => createChannel("k8s-nice-args:///echo.prod:grpc", { resolver: { grpc: recording.grpc } } as never),
    {
      name: "TypeError",
      message: "Cannot create the channel: its second argument must be channel credentials (or undefined for " +
        "insecure), and options come third: createChannel(target, undefined, { resolver: { ... } })",
    },
  );
  assert.deepEqual(recording.schemes, [], "nothing registered");
  createChannel("k8s-nice-args:///echo.prod:grpc", grpc.credentials.createInsecure(), {
    resolver: { grpc: recording.grpc },
  })
    .close();
});

// A credentials factory passed uncalled, or a word for the credentials, reached nice-grpc, and grpc-js threw
// "credentials?._isSecure is not a function" after the resolver was registered.
Deno.test("createChannel() refuses credentials that are no object, and an uncalled factory, before registering", () => {
  const recording = recordingGrpc();
  const resolver = { grpc: recording.grpc };
  assert.throws(
    () => createChannel("k8s-nice-creds:///echo.prod:grpc", grpc.credentials.createInsecure as never, { resolver }),
    {
      name: "TypeError",
      message: "Cannot create the channel: its second argument must be channel credentials, not the function that " +
        "makes them: call it (createInsecure(), not createInsecure), or pass undefined for insecure",
    },
  );
  for (const [credentials, type] of [["insecure", "string"], [true, "boolean"], [0, "number"]] as const) {
    assert.throws(() => createChannel("k8s-nice-creds:///echo.prod:grpc", credentials as never, { resolver }), {
      name: "TypeError",
      message: "Cannot create the channel: its second argument must be channel credentials, such as nice-grpc's " +
        `ChannelCredentials.createInsecure() or createSsl(), or undefined for insecure: current type is ${type}`,
    });
  }
  assert.deepEqual(recording.schemes, [], "nothing registered");
  createChannel("k8s-nice-creds:///echo.prod:grpc", null as never, { resolver }).close();
});

// What makes credentials, passed in their place: the class (ChannelCredentials) was told to be called as a function,
// which throws ("Class constructor ChannelCredentials cannot be invoked without 'new'"; it is abstract too), and
// grpc-js's `credentials` namespace that options come third; a bound factory was named "bound createInsecure()".
Deno.test("createChannel() tells the credentials class or namespace passed in their place to use its factories", () => {
  const recording = recordingGrpc();
  const resolver = { grpc: recording.grpc };
  const factories = "call its createInsecure() or createSsl() (ChannelCredentials.createInsecure(), " +
    "grpc.credentials.createSsl(...)), or pass undefined for insecure";
  for (
    const [credentials, what] of [
      [grpc.ChannelCredentials, "the ChannelCredentials class"],
      [grpc.credentials, "an object of credentials factories"],
    ] as const
  ) {
    assert.throws(() => createChannel("k8s-nice-creds:///echo.prod:grpc", credentials as never, { resolver }), {
      name: "TypeError",
      message: `Cannot create the channel: its second argument must be channel credentials, not ${what}: ${factories}`,
    });
  }
  assert.throws(
    () =>
      createChannel("k8s-nice-creds:///echo.prod:grpc", grpc.credentials.createInsecure.bind(null) as never, {
        resolver,
      }),
    { name: "TypeError", message: /call it \(createInsecure\(\), not createInsecure\)/ },
  );
  assert.deepEqual(recording.schemes, [], "nothing registered");
});

Deno.test("createChannel() refuses a resolver option given beside the channel options, which grpc-js would ignore", () => {
  const recording = recordingGrpc();
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { subsetSize: 10 },
      /^Cannot use option 'subsetSize' beside the channel options: .* \{ resolver: \{ subsetSize \} \}$/,
    ],
    [{ cluster: { token: "secret-value" } }, /option 'cluster' .*\{ resolver: \{ cluster \} \}$/],
    [{ kubeconfig: "/k" }, /option 'kubeconfig' .*\{ resolver: \{ cluster: \{ kubeconfig \} \} \}$/],
    // Misspelt, it was a custom channel option as well.
    [
      { subset_size: 2 },
      /^Cannot use option 'subset_size' .*: it is the resolver's subsetSize: .*\{ resolver: \{ subsetSize \} \}$/,
    ],
    [{ kubeConfig: "/k" }, /option 'kubeConfig' .*\{ resolver: \{ cluster: \{ kubeconfig \} \} \}$/],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () =>
        createChannel("k8s-nice-opts:///echo.prod:grpc", undefined, { ...options, resolver: { grpc: recording.grpc } }),
      (error) => error instanceof TypeError && message.test(error.message) && !error.message.includes("secret-value"),
    );
  }
  assert.deepEqual(recording.schemes, [], "nothing registered");
  // grpc-js's own options, and custom ones, are channel options as before.
  createChannel("k8s-nice-opts:///echo.prod:grpc", undefined, {
    "grpc.keepalive_time_ms": 10_000,
    "my.custom": 1,
    resolver: { grpc: recording.grpc },
  }).close();
});

Deno.test("createChannel() refuses a misspelt resolver key, whose options grpc-js would drop as a custom option", () => {
  const recording = recordingGrpc();
  // Each went to grpc-js as a custom channel option: the channel used KUBECONFIG's cluster, and no subset.
  for (const key of ["Resolver", "resolvers", "resolve", "RESOLVER", "resolverOptions"]) {
    assert.throws(
      () =>
        createChannel("k8s-nice-misspelt:///echo.prod:grpc", undefined, {
          [key]: { cluster: { token: "secret-value" }, subsetSize: 1 },
          resolver: { grpc: recording.grpc },
        }),
      (error) =>
        error instanceof TypeError &&
        error.message.startsWith(`Cannot use option '${key}' beside the channel options: resolver options go under `) &&
        !error.message.includes("secret-value"),
      key,
    );
  }
  assert.deepEqual(recording.schemes, [], "nothing registered");
  // Keys with a dot are grpc-js's or custom channel options, and so are dotless keys far from "resolver" and from
  // any resolver or cluster option's name spelt another way (custom options near them were refused for a while).
  createChannel("k8s-nice-misspelt:///echo.prod:grpc", undefined, {
    "grpc.keepalive_time_ms": 10_000,
    "my.resolver": 1,
    retries: 1,
    keys: 1,
    servers: 1,
    schema: 1,
    resolvConf: 1,
    dnsResolverTimeout: 1,
    resolver: { grpc: recording.grpc },
  }).close();
  // The scheme comes from the target: createChannel() refuses resolver.scheme, so it is not advised.
  assert.throws(
    () => createChannel("k8s-nice-misspelt:///echo.prod:grpc", undefined, { Scheme: "x" }),
    /^TypeError: Cannot use option 'Scheme' beside the channel options: the resolver's scheme is the target's/,
  );
});

Deno.test("createChannel()'s channel options have grpc-js's types, as those of nice-grpc's own createChannel() do", () => {
  // Checked when deno test type-checks this file; never run. Each compiled (the options were typed unknown): a
  // keepalive of "10s", and a service config object where grpc-js parses JSON text, which threw its SyntaxError.
  const typed = () => {
    const target = "k8s-nice-types:///echo.prod:grpc";
    // @ts-expect-error milliseconds, a number
    createChannel(target, undefined, { "grpc.keepalive_time_ms": "10s" });
    const config = { loadBalancingConfig: [] };
    // @ts-expect-error JSON text
    createChannel(target, undefined, { "grpc.service_config": config });
    // Custom options and resolver options as before, and undefined for any (left out, as every option's).
    createChannel(target, undefined, { "my.custom": { a: 1 }, resolver: { subsetSize: 2 } });
    createChannel(target, undefined, { "grpc.keepalive_time_ms": undefined, "grpc.service_config": undefined });
  };
  assert.equal(typeof typed, "function");
});

Deno.test("createChannel() says where watchEndpoints()'s own options go when resolver has them", () => {
  const recording = recordingGrpc();
  for (
    const [option, message] of [
      ["signal", /^Cannot use option 'signal': it is unknown: it is watchEndpoints\(\)'s: .* to stop$/],
      [
        "onError",
        /^Cannot use option 'onError': it is unknown: it is watchEndpoints\(\)'s: .* traces each, and one the watch cannot get over by itself .* is said once on standard error$/,
      ],
    ] as const
  ) {
    assert.throws(
      () =>
        createChannel("k8s-nice-watch-only:///echo.prod:grpc", undefined, {
          resolver: { grpc: recording.grpc, [option]: () => {} },
        }),
      (error) => error instanceof TypeError && message.test(error.message),
    );
  }
  assert.deepEqual(recording.schemes, [], "nothing registered");
});

Deno.test("createChannel() refuses options, a resolver or a resolver.grpc that are null or of another type, registering nothing", () => {
  const recording = recordingGrpc();
  const cases: [unknown, RegExp][] = [
    [null, /^Cannot use the options: they must be an object .*: current value is null$/],
    [{ resolver: null }, /^Cannot use option 'resolver': .*current value is null \(leave the option out, /],
    [{ resolver: "k8s" }, /^Cannot use option 'resolver': .*current type is string$/],
    // A class's instance set no option: the channel used the defaults (KUBECONFIG's cluster) without a word.
    [new Map([["resolver", {}]]), /^Cannot use the options: they must be an object .*: current type is Map$/],
    [{ resolver: new Map([["subsetSize", 1]]) }, /^Cannot use option 'resolver': .*current type is Map$/],
    // Was: nice-grpc's own copy, as if resolver.grpc were left out.
    [
      { resolver: { grpc: null } },
      /^Cannot use option 'grpc': it must be the @grpc\/grpc-js module.*: current value is null \(leave the option out, /,
    ],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => createChannel("k8s-nice-null:///echo.prod:grpc", undefined, options as never),
      (error) => error instanceof TypeError && message.test(error.message),
    );
  }
  assert.deepEqual(recording.schemes, [], "nothing registered");
});

Deno.test("createChannel() refuses a resolver.grpc that is another copy of grpc-js than nice-grpc's, registering nothing", () => {
  // The app's copy, beside the one nice-grpc has of its own (npm installs two when their ranges do not meet): the
  // resolver went to the app's registry, nice-grpc's channel never found it, and every call failed with grpc-js's
  // "Name resolution failed for target dns:kubernetes:///echo.prod:grpc".
  const recording = recordingGrpc();
  const anotherCopy = { ...(recording.grpc as object), Channel: class extends grpc.Channel {} };
  assert.throws(
    () => createChannel("k8s-nice-copy:///echo.prod:grpc", undefined, { resolver: { grpc: anotherCopy as never } }),
    {
      name: "TypeError",
      message: "Cannot use option 'grpc' in resolver: it is another copy of @grpc/grpc-js than the one nice-grpc " +
        "creates channels with, and a channel looks its scheme up in its own copy's registry (grpc-js would resolve " +
        'the target by DNS: "Name resolution failed for target dns:k8s-nice-copy:///..."): leave resolver.grpc out, ' +
        "and createChannel() registers with nice-grpc's copy (with the options of your copy's register())",
    },
  );
  assert.deepEqual(recording.schemes, [], "nothing registered");
});

Deno.test("createChannel() refuses resolver.scheme, which the target's scheme overrode, and names only the options resolver takes", () => {
  const recording = recordingGrpc();
  assert.throws(
    () =>
      createChannel("k8s-nice-scheme:///echo.prod:grpc", undefined, {
        resolver: { grpc: recording.grpc, scheme: "k8s" } as never,
      }),
    {
      name: "TypeError",
      message: "Cannot use option 'scheme' in resolver: createChannel() takes the scheme from the target: write it " +
        'there ("k8s:///echo.prod:grpc" registers k8s) and leave resolver.scheme out',
    },
  );
  assert.throws(
    () =>
      createChannel("k8s-nice-scheme:///echo.prod:grpc", undefined, {
        resolver: { grpc: recording.grpc, subset: 3 } as never,
      }),
    (error) =>
      error instanceof TypeError && /use one of grpc, loadBalancing, /.test(error.message) &&
      !/scheme/.test(error.message),
  );
  assert.deepEqual(recording.schemes, [], "nothing registered");
});

Deno.test("createChannel() with resolver options uses them for that channel alone, and equal options share one entry", async () => {
  // Each createChannel() with resolver options registered them for the whole scheme: grpc-js clients and option-less
  // channels created afterwards went to that channel's cluster, with its credentials.
  const { endpointSlice, startFakeApiServer } = await import("@kgr/resolver/testing");
  const { register } = await import("@kgr/resolver");
  const { echoCaller, EchoService, startEchoServer } = await import("../scripts/echo_service.mjs");
  const clusters = await Promise.all(["prod", "test"].map(async (name, i) => {
    const api = await startFakeApiServer();
    const backend = await startEchoServer(grpc, { name, host: `127.0.0.${i + 2}`, port: 0 });
    api.applySlice(endpointSlice({
      namespace: "acc",
      service: "echo",
      port: { name: "grpc", port: backend.port },
      endpoints: [{ ip: backend.host, pod: name }],
    }));
    return { api, backend };
  }));
  const [prod, test] = clusters;
  const target = "k8s-nice-own:///echo.acc:grpc";
  const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
  const clients: grpc.Client[] = [];
  const channels: grpc.Channel[] = [];
  const answer = (options: grpc.ClientOptions = {}) => {
    const client = new Echo(target, grpc.credentials.createInsecure(), options);
    clients.push(client);
    return echoCaller(client)("hi") as Promise<string>;
  };
  const channel = (resolver?: Record<string, unknown>) => {
    const created = createChannel(target, undefined, resolver ? { resolver } : {}) as unknown as grpc.Channel;
    channels.push(created);
    return created;
  };
  /** The private channel option that names the channel's resolver options (grpc-js keeps the options private). */
  const idOf = (created: grpc.Channel) =>
    (created as unknown as { internalChannel: { options: Record<string, unknown> } }).internalChannel
      .options["kgr_resolver.channel_options"];
  try {
    register({ grpc, scheme: "k8s-nice-own", cluster: { kubeconfig: prod.api.kubeconfig() } });
    assert.equal(await answer(), "prod:hi");
    const own = channel({ cluster: { kubeconfig: test.api.kubeconfig() } });
    assert.equal(await answer({ channelOverride: own }), "test:hi");
    assert.equal(await answer(), "prod:hi", "a grpc-js client created afterwards");
    assert.equal(await answer({ channelOverride: channel() }), "prod:hi", "a channel without resolver options");
    // Equal inline options (keys in another order too) share one id, and so grpc-js's subchannels; others get theirs.
    const again = channel({ cluster: { kubeconfig: test.api.kubeconfig() } });
    assert.equal(await answer({ channelOverride: again }), "test:hi");
    const reordered = channel({ stallTimeoutMs: 60_000, cluster: { kubeconfig: test.api.kubeconfig() } });
    const sameReordered = channel({ cluster: { kubeconfig: test.api.kubeconfig() }, stallTimeoutMs: 60_000 });
    assert.equal(typeof idOf(own), "string");
    assert.equal(idOf(again), idOf(own));
    assert.equal(idOf(sameReordered), idOf(reordered));
    assert.notEqual(idOf(reordered), idOf(own));
    assert.equal(idOf(channels[1]), undefined, "a channel without resolver options carries no id");
  } finally {
    for (const client of clients) client.close();
    for (const created of channels) created.close();
    for (const { api, backend } of clusters) {
      await backend.stop();
      await api.close();
    }
  }
});

Deno.test("createChannel() with equal resolver options reads a kubeconfig file again for each new channel, as a new register() does", async () => {
  // Equal options shared one options object, and so the cluster access of the first channel: a channel created after
  // the file changed (kubectl config use-context) still watched the old cluster.
  const { endpointSlice, startFakeApiServer } = await import("@kgr/resolver/testing");
  const servers = [await startFakeApiServer(), await startFakeApiServer()];
  for (const server of servers) {
    server.applySlice(endpointSlice({
      namespace: "acc",
      service: "echo",
      port: { name: "grpc", port: 1 },
      endpoints: [{ ip: "127.0.0.1", pod: "a" }],
    }));
  }
  const dir = await Deno.makeTempDir();
  const path = `${dir}/config`;
  const channels: { close(): void; getConnectivityState(connect: boolean): unknown }[] = [];
  const watches = (server: (typeof servers)[number]) => server.requests.filter((r) => r.kind === "watch").length;
  try {
    for (const server of servers) {
      await Deno.writeTextFile(path, JSON.stringify(server.kubeconfig()));
      const created = createChannel("k8s-nice-file:///echo.acc:grpc", undefined, {
        resolver: { cluster: { kubeconfig: path } },
      });
      channels.push(created);
      created.getConnectivityState(true);
      const deadline = Date.now() + 5000;
      while (watches(server) === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(servers.map(watches).map((count) => count > 0), [true, true]);
  } finally {
    for (const created of channels) created.close();
    for (const server of servers) await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createChannel() leaves out channel options given as undefined: grpc.enable_http_proxy stays off", async () => {
  // "grpc.enable_http_proxy": undefined reached grpc-js, which took it for on: the channel to a target with a port
  // number went to the proxy that grpc_proxy names (CONNECT echo.acc:<port>), past the resolver, and the call failed.
  const { createServer } = await import("node:net");
  const { endpointSlice, startFakeApiServer } = await import("@kgr/resolver/testing");
  const { echoCaller, EchoService, startEchoServer } = await import("../scripts/echo_service.mjs");
  const connects: string[] = [];
  const proxy = createServer((socket) =>
    socket.once("data", (data) => {
      connects.push(String(data).split("\r\n")[0]);
      socket.destroy();
    })
  );
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const variables = ["grpc_proxy", "no_grpc_proxy", "no_proxy", "NO_PROXY"];
  const saved = variables.map((name) => [name, Deno.env.get(name)] as const);
  await using api = await startFakeApiServer();
  const backend = await startEchoServer(grpc, { name: "direct", host: "127.0.0.1", port: 0 });
  const channels: grpc.Channel[] = [];
  try {
    for (const name of variables) Deno.env.delete(name);
    Deno.env.set("grpc_proxy", `http://127.0.0.1:${(proxy.address() as { port: number }).port}`);
    api.applySlice(endpointSlice({
      namespace: "acc",
      service: "echo",
      port: { name: "grpc", port: backend.port },
      endpoints: [{ ip: "127.0.0.1", pod: "direct" }],
    }));
    const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
    for (
      const [label, options] of [["left out", {}], ["undefined", { "grpc.enable_http_proxy": undefined }]] as const
    ) {
      const channel = createChannel(`k8s-nice-undefined:///echo.acc:${backend.port}`, undefined, {
        ...options,
        resolver: { cluster: { kubeconfig: api.kubeconfig() } },
      }) as unknown as grpc.Channel;
      channels.push(channel);
      const client = new Echo("unused:///", grpc.credentials.createInsecure(), { channelOverride: channel });
      const answer = await (echoCaller(client)("hi") as Promise<string>).catch((error: Error) => error.message);
      client.close();
      assert.deepEqual([answer, connects], ["direct:hi", []], label);
    }
  } finally {
    for (const channel of channels) channel.close();
    for (const [name, value] of saved) value === undefined ? Deno.env.delete(name) : Deno.env.set(name, value);
    await backend.stop();
    proxy.close();
  }
});
