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

Deno.test("createChannel() refuses a resolver option given beside the channel options, which grpc-js would ignore", () => {
  const recording = recordingGrpc();
  const cases: [Record<string, unknown>, RegExp][] = [
    [
      { subsetSize: 10 },
      /^Cannot use option 'subsetSize' beside the channel options: .* \{ resolver: \{ subsetSize \} \}$/,
    ],
    [{ cluster: { token: "secret-value" } }, /option 'cluster' .*\{ resolver: \{ cluster \} \}$/],
    [{ kubeconfig: "/k" }, /option 'kubeconfig' .*\{ resolver: \{ cluster: \{ kubeconfig \} \} \}$/],
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
