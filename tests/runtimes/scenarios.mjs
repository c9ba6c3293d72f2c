// End-to-end scenarios that run unchanged on Deno, Bun and Node: the embedded
// fake API server, real grpc-js echo backends on 127.0.0.x, and a real
// grpc-js or nice-grpc client dialing through the resolver, imported by
// package name as a user would.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createHttpServer } from "node:http";
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { connect, createServer as createTcpServer } from "node:net";
import process from "node:process";
import { inspect } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { createClient } from "nice-grpc";
import { ConfigError, KubeApiError, register, watchEndpoints, withResolverOptions } from "@kgr/resolver";
import { createChannel } from "@kgr/resolver/nice-grpc";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { echoCaller, EchoService, freePort, startEchoServer, startLoad } from "../../scripts/echo_service.mjs";
import { TOPOLOGY_CASES } from "../topology_cases.mjs";
import { runScenarios } from "./run_scenarios.mjs";
import { cluster, EchoClient, eventually, grpcClient, NAMESPACE, sleep } from "./_cluster.mjs";
import { balancingScenarios } from "./balancing_scenarios.mjs";
import { childEnv } from "../_child_env.mjs";

const fixture = (name) => readFile(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const onDeno = typeof globalThis.Deno === "object";
const grpcJsVersion = () => createRequire(import.meta.url)("@grpc/grpc-js/package.json").version;
const onBun = typeof globalThis.Bun === "object";

/**
 * Runs `body` with the resolver's warnings (`@kgr/resolver: ...` on standard error, through console.warn) kept from
 * standard error; resolves to them.
 */
async function warningsOf(body) {
  const warnings = [];
  const { warn } = console;
  console.warn = (text, ...rest) => {
    if (typeof text === "string" && text.startsWith("@kgr/resolver: ")) warnings.push(text);
    else warn(text, ...rest);
  };
  try {
    await body();
  } finally {
    console.warn = warn;
  }
  return warnings;
}

/** The first snapshot of a Service, or the first error. */
async function firstResult(cluster) {
  const controller = new AbortController();
  let error;
  const onError = (failure) => {
    error ??= failure;
    controller.abort();
  };
  for await (
    const snapshot of watchEndpoints(`kubernetes:///echo.${NAMESPACE}:grpc`, {
      cluster,
      signal: controller.signal,
      onError,
    })
  ) {
    controller.abort();
    return snapshot;
  }
  return error;
}

/**
 * Runs a script of this folder in a child process of the current runtime, with
 * extra environment variables, and returns its standard output. Bounded: the
 * child is killed after 30 s.
 */
function runChild(script, args, env) {
  const path = new URL(script, import.meta.url).pathname;
  const command = onDeno ? [globalThis.Deno.execPath(), "run", "-A", path] : [process.execPath, path];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [...command.slice(1), ...args], {
      env: childEnv({ ...process.env, ...env }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => stdout += chunk);
    child.stderr.on("data", (chunk) => stderr += chunk);
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new Error(`${script} exited with ${code}: ${stderr}${stdout}`));
    });
  });
}

/**
 * The first results of first_result_child.mjs for each case (name → cluster options),
 * in a child process with these extra environment variables; the child must print
 * nothing to standard error.
 */
async function childResults(env, cases) {
  const { stdout, stderr } = await runChild("first_result_child.mjs", [JSON.stringify(cases)], env);
  assert.equal(stderr, "");
  return JSON.parse(stdout);
}

/** A kubeconfig object for a cluster entry, with a token and no CA: for a server that refuses connections. */
function minimalKubeconfig(cluster) {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u", namespace: NAMESPACE } }],
    "current-context": "c",
  };
}

/** A fake API server on https://127.0.0.1 (tests/fixtures/server.pem) with one pod "a" behind Service echo. */
/**
 * A CA, and a server certificate for 127.0.0.1 signed by it that expired in 2021 (`expired`) and another valid from
 * 2099 (`future`), both for `key`: made with the openssl command line (`openssl ca`, the one that sets both dates).
 */
async function outOfPeriodCertificates() {
  const dir = await mkdtemp(join(tmpdir(), "kgr-cert-period-"));
  const at = (name) => join(dir, name);
  const openssl = (...args) =>
    new Promise((resolve, reject) => {
      const child = spawn("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      let errors = "";
      child.stderr.on("data", (data) => errors += data);
      child.on("error", reject);
      child.on("close", (code) => code === 0 ? resolve() : reject(new Error(`openssl ${args[0]}: ${errors}`)));
    });
  try {
    await writeFile(
      at("ca.cnf"),
      "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\n" +
        "policy = p\nunique_subject = no\n[p]\ncommonName = supplied\n",
    );
    await writeFile(at("index.txt"), "");
    await writeFile(at("serial"), "01\n");
    await writeFile(
      at("server.ext"),
      "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n" +
        "subjectAltName=IP:127.0.0.1\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
    );
    for (const key of ["ca-key.pem", "key.pem"]) {
      await openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key);
    }
    await openssl(
      "req",
      "-x509",
      "-new",
      "-key",
      "ca-key.pem",
      "-sha256",
      "-days",
      "2",
      "-subj",
      "/CN=kgr-resolver period CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
      "-out",
      "ca.pem",
    );
    await openssl("req", "-new", "-key", "key.pem", "-subj", "/CN=kgr-resolver period server", "-out", "server.csr");
    const dates = { expired: ["20200101000000Z", "20210101000000Z"], future: ["20990101000000Z", "21000101000000Z"] };
    for (const [name, [start, end]] of Object.entries(dates)) {
      await openssl(
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-cert",
        "ca.pem",
        "-keyfile",
        "ca-key.pem",
        "-in",
        "server.csr",
        "-out",
        `${name}.pem`,
        "-startdate",
        start,
        "-enddate",
        end,
        "-extfile",
        "server.ext",
        "-notext",
      );
    }
    const [ca, key, expired, future] = await Promise.all(
      ["ca.pem", "key.pem", "expired.pem", "future.pem"].map((name) => readFile(at(name), "utf8")),
    );
    return { ca, key, expired, future };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function startTlsApi() {
  const [cert, key] = await Promise.all(["server.pem", "server-key.pem"].map(fixture));
  const api = await startFakeApiServer({ token: "t", tls: { cert, key } });
  api.applySlice(endpointSlice({
    namespace: NAMESPACE,
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.1.0.1", pod: "a" }],
  }));
  return api;
}

/**
 * An HTTP CONNECT proxy on 127.0.0.1 that records each tunnel's target
 * (`host:port`) and connects every tunnel to 127.0.0.1 at that port, whatever
 * the host: it never dials anywhere else. Other requests get a 502.
 */
async function startConnectProxy() {
  const sockets = new Set();
  const tunnels = [];
  const server = createHttpServer((_request, response) => response.writeHead(502).end());
  const track = (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  server.on("connection", track);
  server.on("connect", (request, socket, head) => {
    tunnels.push(request.url);
    const upstream = connect(Number(new URL(`http://${request.url}`).port), "127.0.0.1", () => {
      socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    track(upstream);
    upstream.on("close", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    tunnels,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A SOCKS5 proxy on 127.0.0.1 (no login, or user name and password) that records
 * each tunnel as "host:port as user" ("-" without a login) and connects every
 * tunnel to 127.0.0.1 at that port, whatever the host: it never dials anywhere else.
 */
async function startSocks5Proxy() {
  const sockets = new Set();
  const tunnels = [];
  const server = createTcpServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    let buffered = Buffer.alloc(0);
    let user = "-";
    let state = "greeting";
    client.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (state === "greeting" && buffered.length >= 2 && buffered.length >= 2 + buffered[1]) {
        const methods = [...buffered.subarray(2, 2 + buffered[1])];
        buffered = buffered.subarray(2 + buffered[1]);
        state = methods.includes(2) ? "login" : "request";
        client.write(Uint8Array.of(5, state === "login" ? 2 : 0));
      }
      if (state === "login" && buffered.length >= 2) {
        const userLength = buffered[1];
        const passwordLength = buffered[2 + userLength];
        if (passwordLength === undefined || buffered.length < 3 + userLength + passwordLength) return;
        user = buffered.subarray(2, 2 + userLength).toString();
        buffered = buffered.subarray(3 + userLength + passwordLength);
        state = "request";
        client.write(Uint8Array.of(1, 0));
      }
      if (state === "request" && buffered.length >= 5) {
        const type = buffered[3];
        const length = type === 1 ? 4 : type === 4 ? 16 : 1 + buffered[4];
        if (buffered.length < 4 + length + 2) return;
        const address = buffered.subarray(4, 4 + length);
        const host = type === 1 ? [...address].join(".") : type === 3 ? address.subarray(1).toString() : "ipv6";
        const port = buffered.readUInt16BE(4 + length);
        tunnels.push(`${host}:${port} as ${user}`);
        state = "tunnel";
        const upstream = connect(port, "127.0.0.1", () => {
          client.write(Uint8Array.of(5, 0, 0, 1, 127, 0, 0, 1, port >> 8, port & 255));
          client.removeAllListeners("data");
          upstream.pipe(client);
          client.pipe(upstream);
        });
        sockets.add(upstream);
        upstream.on("close", () => {
          sockets.delete(upstream);
          client.destroy();
        });
        upstream.on("error", () => upstream.destroy());
        client.on("close", () => upstream.destroy());
      }
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `socks5://127.0.0.1:${server.address().port}`,
    tunnels,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The cross-runtime scenarios, by what each checks: runtimes_test.ts runs them on Deno, run.mjs on Node and Bun. */
export const scenarios = {
  async "the default policy spreads calls over every pod and follows a scale-up"() {
    const k8s = await cluster("k8s-spread", 10);
    const { client, call } = grpcClient("k8s-spread");
    try {
      for (let i = 0; i < 3; i++) await k8s.startPod(`echo-${i}`, k8s.hosts[i]);
      const seen = new Set();
      for (let i = 0; i < 30; i++) seen.add((await call("hi")).split(":")[0]);
      assert.deepEqual([...seen].sort(), ["echo-0", "echo-1", "echo-2"]);
      await k8s.startPod("echo-3", k8s.hosts[3]);
      await eventually(async () => (await call("hi")).startsWith("echo-3"), 5000, "echo-3 to get calls");
    } finally {
      client.close();
      await k8s.close();
    }
  },

  async "a rolling update and a scale-down complete with zero failed calls"() {
    const k8s = await cluster("k8s-rollout", 20);
    const { client, call } = grpcClient("k8s-rollout");
    try {
      for (let i = 0; i < 3; i++) await k8s.startPod(`old-${i}`, k8s.hosts[i]);
      await call("warm-up");
      const load = startLoad(call, { intervalMs: 5, maxCalls: 4000 });
      for (let i = 0; i < 3; i++) {
        await k8s.startPod(`new-${i}`, k8s.hosts[3 + i]);
        await sleep(150);
        k8s.setConditions(`old-${i}`, { ready: false, serving: true, terminating: true });
        await sleep(100);
        await k8s.removePod(`old-${i}`);
      }
      await sleep(200);
      await k8s.removePod("new-2");
      await sleep(300);
      const counts = load.take();
      await load.stop();
      assert.deepEqual(load.failures.map(String), []);
      assert.ok(counts["new-0"] > 0 && counts["new-1"] > 0, JSON.stringify(counts));
      const after = new Set();
      for (let i = 0; i < 20; i++) after.add((await call("hi")).split(":")[0]);
      assert.deepEqual([...after].sort(), ["new-0", "new-1"]);
    } finally {
      client.close();
      await k8s.close();
    }
  },

  async "clients of withResolverOptions() in tests that run at once are each answered by their own fake's pods"() {
    // Each cluster() registers the same scheme: with that alone, both clients went to the cluster registered last.
    const scheme = "k8s-own-options";
    const oneTest = async (name, firstHost) => {
      const k8s = await cluster(scheme, firstHost);
      const options = { grpc, scheme, cluster: { kubeconfig: k8s.api.kubeconfig({ namespace: NAMESPACE }) } };
      const client = withResolverOptions(
        options,
        (channelOptions) =>
          new EchoClient(`${scheme}:///echo.${NAMESPACE}:grpc`, grpc.credentials.createInsecure(), channelOptions),
      );
      try {
        for (let i = 0; i < 2; i++) await k8s.startPod(`${name}-${i}`, k8s.hosts[i]);
        const answered = new Set();
        for (let i = 0; i < 20; i++) answered.add((await echoCaller(client)("hi")).split(":")[0]);
        assert.deepEqual([...answered].sort(), [`${name}-0`, `${name}-1`]);
      } finally {
        client.close();
        await k8s.close();
      }
    };
    await Promise.all([oneTest("a", 200), oneTest("b", 210)]);
  },

  async "a rollout that moves the pods to a new EndpointSlice fails no call, whether the old one is deleted first or last"() {
    const k8s = await cluster("k8s-reslice", 160);
    const { client, call } = grpcClient("k8s-reslice");
    try {
      for (let i = 0; i < 2; i++) await k8s.startPod(`echo-${i}`, k8s.hosts[i]);
      await call("warm-up");
      const load = startLoad(call, { intervalMs: 2, maxCalls: 2000 });
      const endpoints = [...k8s.pods.values()].map((pod) => ({ ip: pod.host, pod: pod.name }));
      let old = "echo-abc12";
      // The EndpointSlice controller creates, then deletes: the Service always has a slice. A hand-written
      // slice manager may delete first: the moment without a slice, in the same turn, must fail no call either.
      for (let i = 0; i < 20; i++) {
        await sleep(30);
        const name = `echo-new${i}`;
        const create = () =>
          k8s.api.applySlice(
            endpointSlice({
              namespace: NAMESPACE,
              service: "echo",
              name,
              port: { name: "grpc", port: k8s.port },
              endpoints,
            }),
          );
        if (i % 2 === 0) create();
        k8s.api.deleteSlice(NAMESPACE, old);
        if (i % 2 === 1) create();
        old = name;
      }
      await sleep(200);
      const counts = load.take();
      await load.stop();
      assert.deepEqual(load.failures.map(String), []);
      assert.ok(counts["echo-0"] > 0 && counts["echo-1"] > 0, JSON.stringify(counts));
    } finally {
      client.close();
      await k8s.close();
    }
  },

  async "nice-grpc createChannel balances over every pod"() {
    const k8s = await cluster("k8s-nice", 30);
    for (let i = 0; i < 2; i++) await k8s.startPod(`echo-${i}`, k8s.hosts[i]);
    const channel = createChannel(`k8s-nice:///echo.${NAMESPACE}:grpc`, undefined, {
      resolver: { cluster: { kubeconfig: k8s.api.kubeconfig({ namespace: NAMESPACE }) } },
    });
    try {
      const client = createClient(EchoService, channel);
      const seen = new Set();
      for (let i = 0; i < 20; i++) seen.add((await client.echo({ message: "hi" })).message.split(":")[0]);
      assert.deepEqual([...seen].sort(), ["echo-0", "echo-1"]);
    } finally {
      channel.close();
      await k8s.close();
    }
  },

  async "watchEndpoints yields a complete snapshot for every change of the usable set"() {
    const api = await startFakeApiServer({ token: "e2e-token" });
    const kubeconfig = api.kubeconfig({ namespace: NAMESPACE });
    const slice = (endpoints) =>
      endpointSlice({
        namespace: NAMESPACE,
        service: "echo",
        name: "s1",
        port: { name: "grpc", port: 8080 },
        endpoints,
      });
    api.applySlice(slice([{ ip: "10.1.0.1", pod: "a" }]));
    const controller = new AbortController();
    const seen = [];
    try {
      for await (
        const snapshot of watchEndpoints("kubernetes:///echo:grpc", {
          cluster: { kubeconfig },
          signal: controller.signal,
        })
      ) {
        seen.push(snapshot.endpoints.map((endpoint) => endpoint.podName).join(","));
        if (seen.length === 1) {
          api.applySlice(slice([{ ip: "10.1.0.1", pod: "a" }, { ip: "10.1.0.2", pod: "b" }]));
        } else if (seen.length === 2) {
          // A pod that is not ready changes nothing a snapshot shows.
          api.applySlice(slice([{ ip: "10.1.0.1", pod: "a" }, { ip: "10.1.0.2", pod: "b" }, {
            ip: "10.1.0.3",
            pod: "c",
            ready: false,
          }]));
          api.applySlice(slice([{ ip: "10.1.0.2", pod: "b" }]));
        } else break;
      }
      assert.deepEqual(seen, ["a", "a,b", "b"]);
    } finally {
      controller.abort();
      await api.close();
    }
  },

  async "await using ends a watchEndpoints loop: its [Symbol.asyncDispose]() ends the watch, a waiting next() too"() {
    // What TypeScript compiles `await using snapshots = watchEndpoints(...)` to on Node 20 and 22, whose async
    // generators have no [Symbol.asyncDispose] of their own (it threw "Object not disposable." there).
    const api = await startFakeApiServer();
    api.applySlice(endpointSlice({
      namespace: NAMESPACE,
      service: "echo",
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.1.0.1", pod: "a" }],
    }));
    try {
      const snapshots = watchEndpoints("kubernetes:///echo:grpc", {
        cluster: { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) },
      });
      assert.equal(typeof snapshots[Symbol.asyncDispose], "function");
      assert.deepEqual((await snapshots.next()).value.endpoints.map((endpoint) => endpoint.podName), ["a"]);
      await eventually(() => api.openWatches === 1, 5000, "the watch");
      const waiting = snapshots.next(); // nothing changes: it would wait for good
      assert.equal(await snapshots[Symbol.asyncDispose](), undefined);
      assert.deepEqual(await waiting, { value: undefined, done: true });
      await eventually(() => api.openWatches === 0, 5000, "the watch to end");
    } finally {
      await api.close();
    }
  },

  "the error classes as built for npm have only the fields they were given (no status, no cause: absent)"() {
    const network = new KubeApiError("Cannot watch endpointslices: unreachable", { cause: new Error("ECONNREFUSED") });
    assert.deepEqual(Object.keys(network), ["name"]);
    assert.equal("status" in network, false);
    const missing = new ConfigError("Cannot load kubeconfig: no current-context");
    assert.equal(Object.hasOwn(missing, "cause"), false);
    assert.doesNotMatch(inspect(missing), /undefined/);
  },

  async "one shutdown signal shared by 12 watchEndpoints loops draws no listener-leak warning, and ends them all"() {
    const api = await startFakeApiServer();
    api.applySlice(endpointSlice({
      namespace: NAMESPACE,
      service: "echo",
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.1.0.1", pod: "a" }],
    }));
    const warnings = [];
    const onWarning = (warning) => warnings.push(warning.name);
    process.on("warning", onWarning);
    const controller = new AbortController();
    const options = { cluster: { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) }, signal: controller.signal };
    let snapshots = 0;
    try {
      const loops = Array.from({ length: 12 }, async () => {
        for await (const _ of watchEndpoints("kubernetes:///echo:grpc", options)) snapshots++;
      });
      await eventually(() => snapshots === 12, 5000, "a snapshot in every loop");
      controller.abort();
      await Promise.all(loops);
      // Node reports the warning on a later turn.
      await sleep(50);
      assert.deepEqual(warnings.filter((name) => name === "MaxListenersExceededWarning"), []);
    } finally {
      process.off("warning", onWarning);
      controller.abort();
      await api.close();
    }
  },

  async "streaming lists: one watch brings the state, cut in 7-byte chunks; a server that refuses them is listed"() {
    const pods = (snapshot) => snapshot.endpoints.map((endpoint) => endpoint.podName).join(",");
    // The slices' requests: the Service is read too, for its internalTrafficPolicy (a 404 here: the fake has none).
    const kinds = (api) =>
      api.requests.filter((r) => !r.path.includes("/services/"))
        .map((r) => `${r.query.sendInitialEvents === "true" ? "streaming" : r.kind} ${r.status}`);
    for (const refuses of [false, true]) {
      const api = await startFakeApiServer({ token: "e2e-token", maxChunkBytes: 7 });
      for (const name of ["s1", "s2"]) {
        api.applySlice(endpointSlice({
          namespace: NAMESPACE,
          service: "echo",
          name,
          port: { name: "grpc", port: 8080 },
          endpoints: [{ ip: `10.1.${name === "s1" ? 1 : 2}.1`, pod: `${name}-é` }],
        }));
      }
      if (refuses) {
        const message = "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled";
        api.failNext(1, { status: 422, reason: "Invalid", message, path: "watch" });
      }
      const controller = new AbortController();
      const seen = [];
      try {
        for await (
          const snapshot of watchEndpoints(`kubernetes:///echo.${NAMESPACE}:grpc`, {
            cluster: { kubeconfig: api.kubeconfig() },
            signal: controller.signal,
            onError: (error) => seen.push(`error: ${error.message}`),
          })
        ) {
          seen.push(pods(snapshot));
          if (seen.length === 1) api.deleteSlice(NAMESPACE, "s1");
          else break;
        }
        assert.deepEqual(seen, ["s1-é,s2-é", "s2-é"], "the whole state at once, then the change");
        const expected = refuses ? ["streaming 422", "list 200", "watch 200"] : ["streaming 200"];
        assert.deepEqual(kinds(api), expected);
      } finally {
        controller.abort();
        await api.close();
      }
    }
  },

  async "protobuf: kube-apiserver's captured protobuf answers, cut in 3-byte writes, resolve as their JSON twins"() {
    // Real v1.36.3 answers (tests/fixtures/protobuf): a streaming list; a LIST, then a watch; each in both forms.
    const bytes = (name) => readFile(new URL(`../fixtures/protobuf/${name}`, import.meta.url));
    const resolved = async (form, watchList) => {
      const answers = form === "protobuf"
        ? {
          list: ["list.pb", ""],
          watch: ["watch.pb", ";stream=watch"],
          streaming: ["streaming_list.pb", ";stream=watch"],
        }
        : { list: ["list.json", ""], watch: ["watch.ndjson", ""], streaming: ["streaming_list.ndjson", ""] };
      const type = form === "protobuf" ? "application/vnd.kubernetes.protobuf" : "application/json";
      const served = [];
      const server = createHttpServer(async (req, res) => {
        const url = new URL(req.url, "http://x");
        if (url.pathname.includes("/services/")) {
          // The read of the Service for its internalTrafficPolicy, at once, as from a cluster without it: answered
          // with a slice list cut in 3-byte writes, it ended before or after the watch's events, and the first
          // snapshot, which waits for it, had one resourceVersion or the other.
          const status = { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 };
          res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify(status));
          return;
        }
        const query = url.searchParams;
        const kind = query.get("sendInitialEvents") === "true" ? "streaming" : query.get("watch") ? "watch" : "list";
        const [file, stream] = answers[kind];
        const body = await bytes(file);
        res.writeHead(200, { "content-type": type + stream });
        for (let at = 0; at < body.length; at += 3) res.write(body.subarray(at, at + 3));
        // A watch stays open, as a server's does until its timeout.
        if (kind === "list") res.end();
        served.push(kind);
      });
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      const controller = new AbortController();
      const errors = [];
      try {
        for await (
          const snapshot of watchEndpoints("kubernetes:///echo.proto:grpc", {
            cluster: { server: `http://127.0.0.1:${server.address().port}` },
            watchList,
            locality: {},
            signal: controller.signal,
            onError: (error) => errors.push(error.message),
          })
        ) {
          const hosts = snapshot.endpoints.flatMap((endpoint) => endpoint.addresses.map(({ host }) => host)).sort();
          // With LIST+WATCH, the watch's events (of slices without the port) are read too.
          await eventually(() => watchList || served.includes("watch"), 5000, "the watch");
          await sleep(50);
          return { hosts, resourceVersion: snapshot.resourceVersion, errors };
        }
      } finally {
        controller.abort();
        server.closeAllConnections();
        server.close();
      }
    };
    for (const watchList of [true, false]) {
      const json = await resolved("json", watchList);
      assert.ok(json.hosts.length > 0, JSON.stringify(json));
      assert.deepEqual(await resolved("protobuf", watchList), json, `watchList: ${watchList}`);
    }
  },

  async "an RBAC 403 before any success fails calls with advice, and calls succeed once granted"() {
    const k8s = await cluster("k8s-rbac", 40, { backoff: { initialMs: 100, maxMs: 200 } });
    await k8s.startPod("echo-0", k8s.hosts[0]);
    // Forbidden for about one second, then granted.
    k8s.api.failNext(6, { status: 403, reason: "Forbidden", message: "forbidden by test" });
    const { client, call } = grpcClient("k8s-rbac");
    const warnings = await warningsOf(async () => {
      try {
        const error = await call("hi").then(() => null, (error) => error);
        assert.equal(error?.code, grpc.status.UNAVAILABLE);
        assert.match(
          error.details,
          /grant "(list|watch)" on "endpointslices" in API group "discovery\.k8s\.io" \(a resolver needs "list" and "watch"\)/,
        );
        assert.doesNotMatch(error.details, /e2e-token/);
        await eventually(() => call("hi").then(() => true, () => false), 10000, "calls to succeed after the grant");
      } finally {
        client.close();
        await k8s.close();
      }
    });
    // No onError hears a channel's failures: the 403, which no retry gets over, is said once on standard error.
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /forbidden \(403\).*\(channels have no endpoints to call yet, and retry; /);
  },

  async "TLS: the API server is checked against the CA and tls-server-name, and a mismatch names the CA"() {
    const [cert, key, ca, otherCa] = await Promise.all(
      ["server.pem", "server-key.pem", "ca.pem", "other-ca.pem"].map(fixture),
    );
    const api = await startFakeApiServer({ token: "t", tls: { cert, key } });
    api.applySlice(endpointSlice({
      namespace: NAMESPACE,
      service: "echo",
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.1.0.1", pod: "a" }],
    }));
    try {
      const good = await firstResult({ kubeconfig: api.kubeconfig({ ca }) });
      assert.deepEqual(good.endpoints?.map((endpoint) => endpoint.podName), ["a"], String(good?.message));
      const mismatch = await firstResult({ server: api.url, token: "t", ca: otherCa });
      assert.match(mismatch.message, /TLS verification of https:\/\/127\.0\.0\.1:\d+ failed with/);
      const named = await firstResult({ server: api.url, token: "t", ca, tlsServerName: "localhost" });
      assert.equal(named.endpoints?.length, 1, String(named?.message));
      const wrong = await firstResult({ server: api.url, token: "t", ca, tlsServerName: "wrong.example" });
      assert.match(wrong.message, /TLS verification/);
    } finally {
      await api.close();
    }
  },

  async "TLS: a CA bundle with a block that does not parse, and an IP address tls-server-name, work as in kubectl"() {
    const [api, ca] = await Promise.all([startTlsApi(), fixture("ca.pem")]);
    // Valid PEM armour around DER that is no certificate: kubectl skips it.
    const garbage = "-----BEGIN CERTIFICATE-----\nQUJDREVGR0g=\n-----END CERTIFICATE-----\n";
    try {
      const bundle = await firstResult({ kubeconfig: api.kubeconfig({ ca: garbage + ca }) });
      assert.equal(bundle.endpoints?.length, 1, String(bundle?.message));
      // Refused when the access is set up, as kubectl refuses it, not retried as a TLS failure.
      const none = await firstResult({ kubeconfig: api.kubeconfig({ ca: garbage }) }).catch((error) => error);
      assert.equal(none.name, "ConfigError");
      assert.match(none.message, /none of its 1 CERTIFICATE blocks is an X\.509 certificate/);
      // The server's certificate names IP:127.0.0.1 and IP:::1; the connection goes to 127.0.0.1.
      const ip = await firstResult({ server: api.url, token: "t", ca, tlsServerName: "::1" });
      assert.equal(ip.endpoints?.length, 1, String(ip?.message));
      const wrong = await firstResult({ server: api.url, token: "t", ca, tlsServerName: "10.0.0.9" });
      assert.match(wrong.message, /TLS verification .*10\.0\.0\.9/);
    } finally {
      await api.close();
    }
  },

  async "TLS: an API server certificate that has expired or is not valid yet says so on Node and Bun, not to check the CA"() {
    const certs = await outOfPeriodCertificates();
    for (const [name, period] of [["expired", /has expired/], ["future", /is not valid yet/]]) {
      const api = await startFakeApiServer({ token: "t", tls: { cert: certs[name], key: certs.key } });
      try {
        const failure = await firstResult({ server: api.url, token: "t", ca: certs.ca });
        // Deno's node:tls reports either as UNABLE_TO_VERIFY_LEAF_SIGNATURE: the CA advice stays.
        const expected = onDeno
          ? /TLS verification of https:\/\/127\.0\.0\.1:\d+ failed with .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/
          : new RegExp(
            `the TLS certificate of the API server at https://127\\.0\\.0\\.1:\\d+ ${period.source} \\(local time ` +
              `\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z; .*CERT_(HAS_EXPIRED|NOT_YET_VALID).*\\): ` +
              (name === "expired" ? "renew the API server's serving certificate" : "set this machine's clock right"),
          );
        assert.match(String(failure?.message), expected, name);
        if (!onDeno) assert.doesNotMatch(failure.message, /certificate-authority|rotated/, name);
      } finally {
        await api.close();
      }
    }
  },

  async "a Service without a ready pod fails calls at once with UNAVAILABLE and the note, then recovers"() {
    const k8s = await cluster("k8s-empty", 80);
    await k8s.startPod("echo-0", k8s.hosts[0]);
    k8s.setConditions("echo-0", { ready: false });
    const client = new EchoClient(`k8s-empty:///echo.${NAMESPACE}:grpc`, grpc.credentials.createInsecure());
    const call = echoCaller(client, 3000);
    const channel = createChannel(`k8s-empty:///echo.${NAMESPACE}:grpc`, undefined, {
      resolver: { cluster: { kubeconfig: k8s.api.kubeconfig({ namespace: NAMESPACE }) } },
    });
    const nice = createClient(EchoService, channel);
    const note = /no ready endpoints for service echo in namespace e2e/;
    const failsFast = async (what) => {
      for (
        const [name, attempt] of [["grpc-js", () => call("hi")], [
          "nice-grpc",
          () => nice.echo({ message: "hi" }, { deadline: Date.now() + 3000 }),
        ]]
      ) {
        const started = Date.now();
        const error = await attempt().then(() => null, (error) => error);
        const elapsed = Date.now() - started;
        assert.equal(error?.code, grpc.status.UNAVAILABLE, `${name} ${what}: ${error}`);
        assert.match(error.details, note, `${name} ${what}`);
        assert.ok(elapsed < 1000, `${name} ${what}: failed after ${elapsed} ms, not at once`);
      }
    };
    try {
      await failsFast("with no ready pod");
      k8s.setConditions("echo-0", {});
      await eventually(() => call("hi").then(() => true, () => false), 5000, "calls to succeed once the pod is ready");
      assert.match((await nice.echo({ message: "hi" })).message, /^echo-0:/);
      await k8s.removePod("echo-0", { gracePeriodMs: 0 });
      await eventually(() => call("hi").then(() => false, (error) => note.test(error.details)), 5000, "the scale-down");
      await failsFast("after scaling to zero");
    } finally {
      client.close();
      channel.close();
      await k8s.close();
    }
  },

  async "a target without a port calls the Service's first port, after naming the ports while it cannot be read"() {
    const k8s = await cluster("k8s-portless", 60, { backoff: { initialMs: 100, maxMs: 200 } });
    await k8s.startPod("echo-0", k8s.hosts[0]);
    // The EndpointSlice controller's order: http (nothing listens there: refused) before grpc.
    const refused = await freePort([k8s.hosts[0]]);
    k8s.api.applySlice({
      ...endpointSlice({
        namespace: NAMESPACE,
        service: "echo",
        name: "echo-abc12",
        endpoints: [{ ip: k8s.hosts[0], pod: "echo-0" }],
      }),
      ports: [{ name: "http", protocol: "TCP", port: refused }, { name: "grpc", protocol: "TCP", port: k8s.port }],
    });
    k8s.api.applyService({
      metadata: { namespace: NAMESPACE, name: "echo" },
      spec: {
        ports: [{ name: "grpc", port: 80, targetPort: k8s.port }, { name: "http", port: 81, targetPort: refused }],
      },
    });
    k8s.api.failNext(2, { status: 403, path: "get" });
    const client = new EchoClient(`k8s-portless:///echo.${NAMESPACE}`, grpc.credentials.createInsecure());
    const call = echoCaller(client);
    const warnings = await warningsOf(async () => {
      try {
        const error = await call("hi").then(() => null, (error) => error);
        assert.equal(error?.code, grpc.status.UNAVAILABLE);
        assert.match(error.details, /its EndpointSlices have the ports "grpc" \(\d+\), "http" \(\d+\)/);
        assert.match(error.details, /grant "get" on "services" in the core API group/);
        assert.match(error.details, /name a port in the target, e\.g\. kubernetes:\/\/\/echo\.e2e:grpc$/);
        await eventually(() => call("hi").then(() => true, () => false), 10000, "calls to succeed once readable");
        assert.equal(await call("hi"), "echo-0:hi");
        assert.equal(k8s.api.requests.filter((request) => request.kind === "get").length, 3);
      } finally {
        client.close();
        await k8s.close();
      }
    });
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /^@kgr\/resolver: Cannot choose a port for service "echo".*forbidden \(403\)/);
  },

  async "a client certificate and key are checked at load: a key of another certificate is refused, naming both"() {
    const names = ["server.pem", "server-key.pem", "ca.pem", "client.pem", "client-key.pem", "client-key-pkcs1.pem"];
    const [serverCert, serverKey, ca, cert, key, keyPkcs1, ecCert, ecKey] = await Promise.all(
      [...names, "client-ec.pem", "client-ec-key.pem"].map(fixture),
    );
    const api = await startFakeApiServer({ token: "t", tls: { cert: serverCert, key: serverKey } });
    api.applySlice(endpointSlice({
      namespace: NAMESPACE,
      service: "echo",
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.1.0.1", pod: "a" }],
    }));
    const withUser = (user) => {
      const kubeconfig = api.kubeconfig({ ca });
      Object.assign(kubeconfig.users[0].user, user);
      return kubeconfig;
    };
    try {
      // Matching pairs, with keys in PKCS#1 (kubeadm) and SEC1 (EC) form, are used.
      for (const [certPem, keyPem] of [[cert, keyPkcs1], [ecCert, ecKey]]) {
        const user = { "client-certificate-data": btoa(certPem), "client-key-data": btoa(keyPem) };
        const good = await firstResult({ kubeconfig: withUser(user) });
        assert.equal(good.endpoints?.length, 1, String(good?.message));
      }
      // An EC certificate with an RSA key: Node sent no certificate at all, Bun and Deno could not connect.
      const mismatch = { "client-certificate-data": btoa(ecCert), "client-key-data": btoa(key) };
      await assert.rejects(firstResult({ kubeconfig: withUser(mismatch) }), (error) => {
        assert.equal(error.name, "ConfigError");
        assert.match(
          error.message,
          /users\[0\]\.user\.client-key-data does not match users\[0\]\.user\.client-certificate-data: the key is an RSA 2048-bit key, but the certificate holds an EC P-256 public key/,
        );
        return true;
      });
      // Same type, another key.
      await assert.rejects(
        firstResult({ server: api.url, token: "t", ca, cert, key: serverKey }),
        /cluster\.key does not match cluster\.cert: both are RSA 2048-bit keys, but not the same key/,
      );
    } finally {
      await api.close();
    }
  },

  async "TLS: only the configured CA is trusted, even when the process trusts the server's CA"() {
    // tests/fixtures/ca.pem signed the server's certificate and is made a trusted root of a child
    // process; the kubeconfig (or options.ca) names other-ca.pem. kubectl refuses such a server.
    const [ca, otherCa] = await Promise.all(["ca.pem", "other-ca.pem"].map(fixture));
    const api = await startTlsApi();
    try {
      const trustedRoot = new URL("../fixtures/ca.pem", import.meta.url).pathname;
      const results = await childResults({ [onDeno ? "DENO_CERT" : "NODE_EXTRA_CA_CERTS"]: trustedRoot }, {
        "kubeconfig names another CA": { kubeconfig: api.kubeconfig({ ca: otherCa, namespace: NAMESPACE }) },
        "options.ca names another CA": { server: api.url, token: "t", ca: otherCa },
        "kubeconfig names the signing CA": { kubeconfig: api.kubeconfig({ ca, namespace: NAMESPACE }) },
        "no CA configured: the process trust store": { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) },
      });
      const refused = /TLS verification of https:\/\/127\.0\.0\.1:\d+ failed with/;
      assert.match(String(results["kubeconfig names another CA"]), refused);
      assert.match(String(results["options.ca names another CA"]), refused);
      assert.deepEqual(results["kubeconfig names the signing CA"], ["a"]);
      assert.deepEqual(results["no CA configured: the process trust store"], ["a"]);
    } finally {
      await api.close();
    }
  },

  async "an X.509 v1 client certificate (openssl x509 -req without -extfile) works on every runtime"() {
    const [serverCert, serverKey, ca, v1Cert, key] = await Promise.all(
      ["server.pem", "server-key.pem", "ca.pem", "client-v1.pem", "client-key.pem"].map(fixture),
    );
    const api = await startFakeApiServer({ token: "t", tls: { cert: serverCert, key: serverKey } });
    api.applySlice(endpointSlice({
      namespace: NAMESPACE,
      service: "echo",
      port: { name: "grpc", port: 8080 },
      endpoints: [{ ip: "10.1.0.1", pod: "a" }],
    }));
    const kubeconfig = api.kubeconfig({ ca });
    Object.assign(kubeconfig.users[0].user, { "client-certificate-data": btoa(v1Cert), "client-key-data": btoa(key) });
    try {
      // Deno.createHttpClient (rustls) refused it with a message that blamed certificate-authority-data;
      // undici over node:tls, which every runtime now uses, takes it.
      const result = await firstResult({ kubeconfig }).catch((error) => error);
      assert.equal(result.endpoints?.length, 1, String(result?.message));
    } finally {
      await api.close();
    }
  },

  async "impersonation: each group and extra value on a header line of its own, or a clear error from Bun's fetch"() {
    // The server is its own proxy (an http:// target goes through an HTTP proxy in absolute form): it keeps each
    // request's impersonation lines, and answers 403 so that the watch reports at once.
    const seen = [];
    const server = createHttpServer((request, response) => {
      const lines = [];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        const name = request.rawHeaders[i].toLowerCase();
        if (name.startsWith("impersonate-")) lines.push(`${name}: ${request.rawHeaders[i + 1]}`);
      }
      seen.push(lines);
      response.writeHead(403, { "content-type": "application/json" })
        .end(JSON.stringify({ kind: "Status", code: 403, reason: "Forbidden", message: "no" }));
    });
    await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${server.address().port}`;
    const firstError = async (cluster) => {
      const controller = new AbortController();
      let error;
      const done = (async () => {
        for await (
          const _ of watchEndpoints("kubernetes:///echo.prod:8080", {
            cluster,
            signal: controller.signal,
            onError: (e) => {
              error ??= e;
              controller.abort();
            },
          })
        ) {
          // No snapshot comes: every answer is a 403.
        }
      })();
      await eventually(() => error !== undefined, 5000, "an error");
      controller.abort();
      await done.catch(() => {});
      return error;
    };
    const kubeconfig = (cluster) => ({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      clusters: [{ name: "c", cluster: { server: url, ...cluster } }],
      users: [{ name: "u", user: { token: "t", as: "jane", "as-groups": ["dev", "a, b"] } }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    });
    try {
      await firstError({ kubeconfig: kubeconfig({}) });
      assert.deepEqual(seen[0], ["impersonate-user: jane", "impersonate-group: dev", "impersonate-group: a, b"]);
      seen.length = 0;
      const proxied = await firstError({ kubeconfig: kubeconfig({ "proxy-url": url }) });
      if (onBun) {
        assert.match(proxied.message, /Bun's fetch, which reaches the API server through the proxy .* joins them/);
        assert.deepEqual(seen, []);
      } else {
        assert.deepEqual(seen[0], ["impersonate-user: jane", "impersonate-group: dev", "impersonate-group: a, b"]);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  },

  async "proxies: HTTPS_PROXY and NO_PROXY as kubectl reads them, loopback direct, proxy-url first"() {
    // The API server listens on 127.0.0.1. Loopback servers never go through an environment
    // proxy (as kubectl), so the proxied cases name it 0.0.0.0, the one local address that
    // Go's rule does not exempt; the proxies tunnel every CONNECT to 127.0.0.1 only.
    const ca = await fixture("ca.pem");
    const api = await startTlsApi();
    const fromEnvironment = await startConnectProxy();
    const fromKubeconfig = await startConnectProxy();
    const port = new URL(api.url).port;
    const at = (server, extra = {}) => {
      const kubeconfig = api.kubeconfig({ ca, namespace: NAMESPACE });
      Object.assign(kubeconfig.clusters[0].cluster, { server, "tls-server-name": "localhost", ...extra });
      return { kubeconfig };
    };
    try {
      const upper = await childResults({ HTTPS_PROXY: fromEnvironment.url, NO_PROXY: "example.com" }, {
        "unspecified address, HTTPS_PROXY": at(`https://0.0.0.0:${port}`),
        "loopback address, HTTPS_PROXY": at(`https://127.0.0.1:${port}`),
        "localhost, HTTPS_PROXY": at(`https://localhost:${port}`),
        "proxy-url and HTTPS_PROXY": at(`https://127.0.0.1:${port}`, { "proxy-url": fromKubeconfig.url }),
      });
      assert.deepEqual(upper, {
        "unspecified address, HTTPS_PROXY": ["a"],
        "loopback address, HTTPS_PROXY": ["a"],
        "localhost, HTTPS_PROXY": ["a"],
        "proxy-url and HTTPS_PROXY": ["a"],
      });
      // A client may open more than one connection (LIST, then WATCH): count the targets, not the tunnels.
      const targets = (proxy) => [...new Set(proxy.tunnels)];
      assert.deepEqual(targets(fromEnvironment), [`0.0.0.0:${port}`]);
      assert.deepEqual(targets(fromKubeconfig), [`127.0.0.1:${port}`]);

      const before = fromEnvironment.tunnels.length;
      const lower = await childResults({ https_proxy: fromEnvironment.url, no_proxy: "example.com" }, {
        "unspecified address, https_proxy": at(`https://0.0.0.0:${port}`),
      });
      assert.deepEqual(lower, { "unspecified address, https_proxy": ["a"] });
      assert.ok(fromEnvironment.tunnels.length > before);

      const beforeSkipped = [fromEnvironment.tunnels.length, fromKubeconfig.tunnels.length];
      const skipped = await childResults({ HTTPS_PROXY: fromEnvironment.url, NO_PROXY: "example.com,0.0.0.0" }, {
        "unspecified address in NO_PROXY": at(`https://0.0.0.0:${port}`),
      });
      assert.deepEqual(skipped, { "unspecified address in NO_PROXY": ["a"] });
      assert.deepEqual([fromEnvironment.tunnels.length, fromKubeconfig.tunnels.length], beforeSkipped);
      assert.deepEqual(targets(fromEnvironment), [`0.0.0.0:${port}`]);
    } finally {
      await Promise.all([api.close(), fromEnvironment.close(), fromKubeconfig.close()]);
    }
  },

  async "proxy-url with NO_PROXY naming the server: the error of a server that refuses names the proxy only where it is used"() {
    // Bun's fetch skips any proxy, a proxy-url too, for a server that NO_PROXY names, and connected directly while its
    // error said "through the proxy ...: check that the proxy is up"; Node and Deno use proxy-url for every request,
    // as kubectl.
    const proxy = await startConnectProxy();
    const refused = await freePort(["127.0.0.1"]);
    const server = `https://127.0.0.1:${refused}`;
    try {
      const results = await childResults({ NO_PROXY: "127.0.0.1" }, {
        "proxy-url, NO_PROXY": { kubeconfig: minimalKubeconfig({ server, "proxy-url": proxy.url }) },
      });
      const message = results["proxy-url, NO_PROXY"];
      if (onBun) {
        assert.match(message, new RegExp(`cannot reach the API server at ${server} `));
        assert.doesNotMatch(message, /proxy/);
        assert.deepEqual(proxy.tunnels, []);
      } else {
        // The proxy, which cannot reach the server, closes the tunnel unanswered: before undici's loop was broken,
        // Node reported a TLS verification failure (ERR_SSL_UNEXPECTED_MESSAGE) for it.
        assert.match(message, /through the proxy .*\(the proxy closed the connection before it answered the CONNECT/);
        assert.deepEqual([...new Set(proxy.tunnels)], [`127.0.0.1:${refused}`]);
      }
    } finally {
      await proxy.close();
    }
  },

  async "through a proxy, a watch past Bun's cap on requests in flight fails with what to set, never waits silently"() {
    // Bun sends at most BUN_CONFIG_MAX_HTTP_REQUESTS (256 by default) fetch requests at once, and a proxied
    // cluster is reached through its fetch: 5 Services under a cap of 3 left 2 of them without a first snapshot,
    // with no error. Node and Deno have no such cap: every Service gets its snapshot.
    const ca = await fixture("ca.pem");
    const api = await startTlsApi();
    const proxy = await startConnectProxy();
    const services = ["s0", "s1", "s2", "s3", "s4"];
    for (const [i, service] of services.entries()) {
      api.applySlice(endpointSlice({
        namespace: NAMESPACE,
        service,
        port: { name: "grpc", port: 8080 },
        endpoints: [{ ip: `10.1.1.${i + 1}`, pod: service }],
      }));
    }
    const kubeconfig = api.kubeconfig({ ca, namespace: NAMESPACE });
    Object.assign(kubeconfig.clusters[0].cluster, { "tls-server-name": "localhost", "proxy-url": proxy.url });
    const cases = Object.fromEntries(
      services.map((
        service,
      ) => [service, { target: `kubernetes:///${service}.${NAMESPACE}:grpc`, cluster: { kubeconfig } }]),
    );
    try {
      const { stdout } = await runChild("concurrent_results_child.mjs", [JSON.stringify(cases)], {
        BUN_CONFIG_MAX_HTTP_REQUESTS: "3",
      });
      const results = Object.values(JSON.parse(stdout));
      const snapshots = results.filter(Array.isArray);
      const errors = results.filter((result) => !Array.isArray(result));
      if (onBun) {
        assert.ok(snapshots.length >= 1 && snapshots.length <= 3, stdout);
        assert.ok(errors.length >= 2, stdout);
        for (const error of errors) assert.match(error, /^KubeApiError: Cannot .*BUN_CONFIG_MAX_HTTP_REQUESTS/, stdout);
      } else assert.deepEqual(results, services.map((service) => [service]));
    } finally {
      await Promise.all([api.close(), proxy.close()]);
    }
  },

  async "proxy-url: socks5 where the runtime can, quietly; other schemes are a ConfigError at load"() {
    const ca = await fixture("ca.pem");
    const api = await startTlsApi();
    const socks = await startSocks5Proxy();
    const withProxy = (proxyUrl) => {
      const kubeconfig = api.kubeconfig({ ca, namespace: NAMESPACE });
      kubeconfig.clusters[0].cluster["proxy-url"] = proxyUrl;
      return { kubeconfig };
    };
    try {
      const results = await childResults({}, {
        "socks5": withProxy(socks.url),
        "socks5 with a user": withProxy(socks.url.replace("//", "//kgr:pass%40word@")),
        "SOCKS5 in capitals": withProxy(socks.url.replace("socks5:", "SOCKS5:")),
        "socks5h": withProxy(socks.url.replace("socks5:", "socks5h:")),
        "no scheme": withProxy(socks.url.replace("socks5://", "")),
      });
      const port = new URL(api.url).port;
      if (onBun) {
        const refused = /^ConfigError: Cannot load .*proxy-url uses socks5, which Bun cannot use as a proxy/;
        assert.match(results["socks5"], refused);
        assert.match(results["socks5 with a user"], refused);
        assert.doesNotMatch(results["socks5 with a user"], /pass@word/);
        assert.match(results["SOCKS5 in capitals"], refused);
        assert.deepEqual(socks.tunnels, []);
      } else {
        assert.deepEqual(results["socks5"], ["a"]);
        assert.deepEqual(results["socks5 with a user"], ["a"]);
        assert.deepEqual(results["SOCKS5 in capitals"], ["a"]);
        assert.deepEqual([...new Set(socks.tunnels)], [`127.0.0.1:${port} as -`, `127.0.0.1:${port} as kgr`]);
      }
      assert.match(
        results["socks5h"],
        /^ConfigError: Cannot load .*proxy-url has scheme "socks5h", which kubectl refuses/,
      );
      assert.match(results["no scheme"], /^ConfigError: Cannot load .*proxy-url is not a URL/);
    } finally {
      await Promise.all([api.close(), socks.close()]);
    }
  },

  async "a proxy that refuses the tunnel and echoes its login: no error shows the login, its cause included"() {
    // Bun's error for a refused tunnel carries the proxy's status text and headers, and so its cause did.
    const proxy = createHttpServer((_request, response) => response.writeHead(502).end());
    proxy.on("connect", (request, socket) => {
      const login = request.headers["proxy-authorization"] ?? "";
      socket.on("error", () => {});
      socket.end(`HTTP/1.1 407 Login ${login}\r\nX-Echo: ${login}\r\nContent-Length: 0\r\n\r\n`);
    });
    await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const { port } = proxy.address();
    const password = "kgr-canary-proxypass-4c1e";
    const apiKey = "kgr-canary-proxykey-82ad"; // a proxy that takes an API key as the user name
    try {
      for (const login of [`user:${password}`, apiKey]) {
        const kubeconfig = {
          "current-context": "c",
          // Nothing listens there, and the proxy opens no tunnel to it.
          clusters: [{
            name: "c",
            cluster: { server: "https://127.0.0.1:1", "proxy-url": `http://${login}@127.0.0.1:${port}` },
          }],
          users: [{ name: "u", user: { token: "t" } }],
          contexts: [{ name: "c", context: { cluster: "c", user: "u", namespace: NAMESPACE } }],
        };
        const error = await firstResult({ kubeconfig });
        assert.match(
          String(error),
          /through the proxy http:\/\/127\.0\.0\.1:\d+\/ \(its user name and password not shown\)/,
        );
        const shown = inspect(error, { depth: 10, showHidden: true });
        const encoded = Buffer.from(login.includes(":") ? login : `${login}:`).toString("base64");
        for (const secret of [password, apiKey, encoded.slice(0, 24)]) assert.ok(!shown.includes(secret), shown);
      }
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  },

  async "topology: watchEndpoints prefers exactly what kube-proxy routes to, for each case of its topology tests"() {
    const api = await startFakeApiServer({ token: "t" });
    const cluster = { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) };
    try {
      for (const [i, testCase] of TOPOLOGY_CASES.entries()) {
        const slice = endpointSlice({
          namespace: NAMESPACE,
          service: `topo-${i}`,
          port: { name: "grpc", port: 8080 },
          endpoints: testCase.endpoints.map(({ ip, ready, serving, terminating }) => ({
            ip,
            pod: `pod-${ip}`,
            ...(ready === undefined ? {} : { ready }),
            ...(serving === undefined ? {} : { serving }),
            ...(terminating === undefined ? {} : { terminating }),
          })),
        });
        api.applySlice({
          ...slice,
          endpoints: slice.endpoints.map((endpoint, j) => {
            const { zones, nodes } = testCase.endpoints[j];
            if (!zones && !nodes) return endpoint;
            const names = (list) => (list ?? []).map((name) => ({ name }));
            return { ...endpoint, hints: { forZones: names(zones), forNodes: names(nodes) } };
          }),
        });
        const controller = new AbortController();
        const target = `kubernetes:///topo-${i}.${NAMESPACE}:grpc`;
        for await (
          const snapshot of watchEndpoints(target, { cluster, locality: testCase.locality, signal: controller.signal })
        ) {
          const routed = snapshot.endpoints.filter((e) => e.preferred).map((e) => e.addresses[0].host).sort();
          assert.deepEqual(routed, testCase.expected, testCase.name);
          controller.abort();
        }
      }
    } finally {
      await api.close();
    }
  },

  async "topology: grpc-js and nice-grpc clients in zone a stay there, fail over with zero failed calls, and come back"() {
    const api = await startFakeApiServer({ token: "t" });
    const hosts = ["127.0.0.90", "127.0.0.91", "127.0.0.92"];
    const port = await freePort(hosts);
    const zones = ["zone-a", "zone-b", "zone-c"];
    const servers = await Promise.all(
      zones.map((zone, i) => startEchoServer(grpc, { name: zone, host: hosts[i], port })),
    );
    const slice = endpointSlice({
      namespace: NAMESPACE,
      service: "zoned",
      port: { name: "grpc", port },
      endpoints: zones.map((zone, i) => ({ ip: hosts[i], pod: `${zone}-pod`, zone })),
    });
    // As the EndpointSlice controller writes them for trafficDistribution: PreferSameZone.
    api.applySlice({
      ...slice,
      endpoints: slice.endpoints.map((e) => ({ ...e, hints: { forZones: [{ name: e.zone }] } })),
    });
    const resolver = {
      locality: { zone: "zone-a" },
      cluster: { kubeconfig: api.kubeconfig({ namespace: NAMESPACE }) },
    };
    const fastReconnect = { "grpc.max_reconnect_backoff_ms": 500 };
    register({ grpc, scheme: "k8s-topology", ...resolver });
    const client = new EchoClient(
      `k8s-topology:///zoned.${NAMESPACE}:grpc`,
      grpc.credentials.createInsecure(),
      fastReconnect,
    );
    const channel = createChannel(`k8s-topology-nice:///zoned.${NAMESPACE}:grpc`, undefined, {
      ...fastReconnect,
      resolver,
    });
    const nice = createClient(EchoService, channel);
    // Both channels resolve and connect first: at load 25, calls of 1 s made at once ran out their deadline in name
    // resolution (4 of them, 3 runs of 3 on Deno), which is no failover's failure.
    await echoCaller(client, 20_000)("first");
    await nice.echo({ message: "first" }, { deadline: Date.now() + 20_000 });
    const loads = {
      "grpc-js": startLoad(echoCaller(client, 1000), { intervalMs: 10, maxCalls: 2000 }),
      "nice-grpc": startLoad(
        (message) => nice.echo({ message }, { deadline: Date.now() + 1000 }).then((answer) => answer.message),
        { intervalMs: 10, maxCalls: 2000 },
      ),
    };
    const takeAll = () => Object.fromEntries(Object.entries(loads).map(([name, load]) => [name, load.take()]));
    const zonesOf = (counts) => Object.keys(counts).sort().join(",");
    try {
      // Each window of 500 ms starts once both clients' calls were answered where they should be (after 300 ms on an
      // idle machine, not always at load 25, where calls go out every 70 ms, not every 10).
      await eventually(() => Object.values(takeAll()).every((counts) => counts["zone-a"] > 0), 10_000, "zone a");
      takeAll();
      await sleep(500);
      for (const [name, counts] of Object.entries(takeAll())) assert.equal(zonesOf(counts), "zone-a", name);
      await servers[0].stop();
      // Zones b and c were not used: their connections may come one after the other (only zone b answered within 500
      // ms of the failover in the CI-style run at load 25).
      const failedOver = Object.fromEntries(Object.keys(loads).map((name) => [name, new Set()]));
      await eventually(
        () => {
          for (const [name, counts] of Object.entries(takeAll())) {
            for (const zone of Object.keys(counts)) failedOver[name].add(zone);
          }
          return Object.values(failedOver).every((zones) => zones.has("zone-b") && zones.has("zone-c"));
        },
        10_000,
        "the failover",
      );
      takeAll();
      await sleep(500);
      for (const [name, counts] of Object.entries(takeAll())) assert.equal(zonesOf(counts), "zone-b,zone-c", name);
      servers[0] = await startEchoServer(grpc, { name: "zone-a", host: hosts[0], port });
      await eventually(() => Object.values(takeAll()).every((counts) => counts["zone-a"] > 0), 5000, "zone a back");
      await sleep(500);
      for (const [name, counts] of Object.entries(takeAll())) assert.equal(zonesOf(counts), "zone-a", name);
      for (const [name, load] of Object.entries(loads)) {
        await load.stop();
        assert.deepEqual(load.failures.map(String), [], name);
      }
    } finally {
      await Promise.all(Object.values(loads).map((load) => load.stop()));
      client.close();
      channel.close();
      await Promise.all(servers.map((server) => server.stop()));
      await api.close();
    }
  },

  async "API failures after a success keep the last good endpoints; calls failing on them say why they may be stale"() {
    const k8s = await cluster("k8s-keep", 50, { backoff: { initialMs: 100, maxMs: 200 } });
    for (let i = 0; i < 2; i++) await k8s.startPod(`echo-${i}`, k8s.hosts[i]);
    const { client, call } = grpcClient("k8s-keep");
    try {
      await call("hi");
      // About 3 s of outage: retries come every 200 to 400 ms.
      k8s.api.failNext(12, { status: 503, message: "etcd down" });
      k8s.api.dropWatches();
      const load = startLoad(call, { intervalMs: 5, maxCalls: 200 });
      await sleep(500);
      await load.stop();
      assert.deepEqual(load.failures.map(String), []);
      // About 100 calls on an idle machine; a loaded one makes far fewer, and the outage must outlast this window.
      assert.ok(load.calls > 5, `${load.calls} calls in the outage`);
      // Every pod goes while the resolver cannot see it: calls fail on the endpoints it kept.
      await Promise.all([k8s.removePod("echo-0", { gracePeriodMs: 0 }), k8s.removePod("echo-1", { gracePeriodMs: 0 })]);
      const [major, minor] = grpcJsVersion().split(".").map(Number);
      if (major > 1 || minor >= 14) {
        let failure = "";
        await eventually(
          async () => {
            failure = await call("hi").then(() => "", (error) => error.details);
            return /Resolution note: these endpoints may be stale: .*answered 503/.test(failure);
          },
          2000,
          "a failed call with the stale note",
        );
        assert.match(
          failure,
          /^No connection to any endpoint of service echo in namespace e2e: last error: .+\. Resolution note: these endpoints may be stale: updates have failed since \S+Z: /,
        );
      }
      await k8s.startPod("echo-2", k8s.hosts[2]);
      await eventually(
        async () => (await call("hi").catch(() => "")).startsWith("echo-2"),
        8000,
        "echo-2 after the outage",
      );
    } finally {
      client.close();
      await k8s.close();
    }
  },

  async "the fake API server keeps an idle connection open past 5 s, as kube-apiserver keeps it for 90 s"() {
    const api = await startFakeApiServer();
    const socket = connect(Number(new URL(api.url).port), "127.0.0.1");
    try {
      await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
      let received = "";
      socket.setEncoding("utf8");
      socket.on("data", (data) => received += data);
      socket.write("GET /apis/discovery.k8s.io/v1/endpointslices HTTP/1.1\r\nHost: fake\r\n\r\n");
      await eventually(() => received.trimEnd().endsWith('"items":[]}'), 2000, "the answer");
      // Node's default (5 s) closed it here on every runtime; Go's API server waits 90 s.
      const closed = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(false), 6500);
        socket.once("close", () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      assert.equal(closed, false, "the idle connection was closed");
    } finally {
      socket.destroy();
      await api.close();
    }
  },
  ...balancingScenarios,
};

/** Runs every scenario (or those whose name matches `filter`) and prints one line each. */
export function runAll(filter = "") {
  return runScenarios(scenarios, filter);
}
