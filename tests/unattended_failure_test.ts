// A failure the watch cannot get over by itself, which no onError handles: said once on standard error.
import assert from "node:assert/strict";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { watchEndpoints, type WatchEndpointsOptions } from "@kgr/resolver";
import { ConfigError, KubeApiError } from "../src/base/errors.ts";
import { TlsVerificationError, UnreachableError } from "../src/api/api_errors.ts";
import { unattendedKind, warnUnattended } from "../src/_unattended_failure.ts";
import { networkError } from "../src/api/_network_error.ts";
import { connectTimeoutText } from "../src/runtime/_connect_timeout_text.ts";
import type { ClusterAccess } from "../src/cluster/types.ts";
import { setTraceSink, setWarningSink } from "../src/runtime/trace.ts";
import { eventually, sleep } from "./_watch_helpers.ts";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import * as grpc from "@grpc/grpc-js";
import { register } from "../mod.ts";

/** The resolver class register() hands grpc-js, as grpc-js uses it. */
interface ResolverClass {
  new (uri: unknown, listener: (result: { ok: boolean; value?: unknown[] }) => boolean, options: object): {
    updateResolution(): void;
    destroy(): void;
  };
}

// The target as grpc-js hands it to a resolver.
const { parseUri } = createRequire(import.meta.url)("@grpc/grpc-js/build/src/uri-parser") as {
  parseUri(uri: string): unknown;
};

function apply(api: FakeApiServer, service: string) {
  api.applySlice(endpointSlice({
    namespace: "prod",
    service,
    name: `${service}-a`,
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.2.1.1", pod: "a" }],
  }));
}

/** The warnings and traces said while `body` runs (the traces kept from standard error). */
async function capture(body: (said: { warnings: string[]; traces: string[] }) => Promise<void>): Promise<string[]> {
  const said = { warnings: [] as string[], traces: [] as string[] };
  const previousWarning = setWarningSink((text) => said.warnings.push(text));
  const previousTrace = setTraceSink((text) => said.traces.push(text));
  try {
    await body(said);
  } finally {
    setWarningSink(previousWarning);
    setTraceSink(previousTrace);
  }
  return said.warnings;
}

/** Loops over `target` until stopped, counting its snapshots, without waiting for one (none may come). */
function loop(target: string, options: WatchEndpointsOptions) {
  const controller = new AbortController();
  let snapshots = 0;
  const done = (async () => {
    const backoff = { initialMs: 10, maxMs: 40 };
    for await (const _ of watchEndpoints(target, { signal: controller.signal, backoff, ...options })) snapshots++;
  })();
  return {
    snapshots: () => snapshots,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** Follows `service` in prod until stopped; resolves once its first snapshot came. */
async function follow(api: FakeApiServer, service: string, options: WatchEndpointsOptions = {}) {
  const watching = loop(`kubernetes:///${service}.prod:grpc`, {
    cluster: { kubeconfig: api.kubeconfig() },
    ...options,
  });
  await eventually(() => watching.snapshots() > 0, `the first snapshot of ${service}`);
  return watching.stop;
}

/**
 * The warnings said while `body` runs beside loops that {@linkcode follow} `services` (with `options`), each past its
 * first snapshot first, and stopped after `body` however it ends.
 */
async function warningsWhileFollowing(
  api: FakeApiServer,
  services: readonly string[],
  body: (said: { warnings: string[]; traces: string[] }) => Promise<void>,
  options: WatchEndpointsOptions = {},
): Promise<string[]> {
  return await capture(async (said) => {
    const stops: (() => Promise<void>)[] = [];
    try {
      for (const service of services) stops.push(await follow(api, service, options));
      await body(said);
    } finally {
      for (const stop of stops) await stop();
    }
  });
}

/** Waits until the fake has refused `more` further requests after this call. */
async function refusedMore(api: FakeApiServer, more: number): Promise<void> {
  const before = api.requests.length;
  await eventually(() => api.requests.length >= before + more, `${more} more requests`);
}

Deno.test("unattendedKind() names failures only the user can end, and none that end by themselves", () => {
  const table: [Error, string | undefined][] = [
    [new KubeApiError("x", { status: 401 }), "credentials"],
    [new KubeApiError("x", { status: 403 }), "forbidden"],
    [new KubeApiError("x", { status: 407 }), "proxy login"],
    [new TlsVerificationError("x"), "tls"],
    [new ConfigError("x"), "config"],
    [new KubeApiError("x", { status: 503 }), undefined],
    [new KubeApiError("x", { status: 429 }), undefined],
    [new KubeApiError("x", { status: 404 }), undefined],
    [new UnreachableError("x"), undefined],
    [new KubeApiError("x"), undefined],
  ];
  for (const [error, kind] of table) assert.equal(unattendedKind(error as KubeApiError), kind, error.message);
});

Deno.test("unattendedKind() names a failed TLS verification and a certificate out of its dates as networkError() words them", () => {
  const access = {
    server: "https://10.0.0.1:6443",
    source: "kubeconfig /k",
    origin: { kind: "kubeconfig", files: ["/k"], context: "" },
    credentials: {},
    tls: { caSource: "the CA of kubeconfig /k" },
  } as unknown as ClusterAccess;
  for (const code of ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID"]) {
    const refused = Object.assign(new Error(`TLS refused: ${code}`), { code });
    assert.equal(unattendedKind(networkError("watch", "endpointslices", access, refused)), "tls", code);
  }
  const reset = Object.assign(
    new Error("Client network socket disconnected before secure TLS connection was established"),
    {
      code: "ECONNRESET",
    },
  );
  assert.equal(unattendedKind(networkError("watch", "endpointslices", access, reset)), undefined, "a reset");
});

Deno.test("unattendedKind() names a proxy's refused login as networkError() words it: a CONNECT's 407, SOCKS5's refusal", () => {
  const access = {
    server: "https://10.0.0.1:6443",
    source: "kubeconfig /k",
    origin: { kind: "kubeconfig", files: ["/k"], context: "" },
    credentials: {},
    tls: { caSource: "the CA of kubeconfig /k" },
    proxySource: "HTTPS_PROXY",
  } as unknown as ClusterAccess;
  const failed = (message: string) => new TypeError("fetch failed", { cause: new Error(message) });
  const cases: [string, string, string | undefined][] = [
    ["http://127.0.0.1:3128", "Proxy response (407) !== 200 when HTTP Tunneling", "proxy login"],
    [
      "socks5://u:p@127.0.0.1:1080",
      "the SOCKS5 proxy 127.0.0.1:1080 refused the user name and password in HTTPS_PROXY",
      "proxy login",
    ],
    [
      "socks5://127.0.0.1:1080",
      "the SOCKS5 proxy 127.0.0.1:1080 asks for a login: put ... in HTTPS_PROXY",
      "proxy login",
    ],
    ["http://127.0.0.1:3128", "connect ECONNREFUSED 127.0.0.1:3128", undefined],
  ];
  for (const [proxyUrl, said, kind] of cases) {
    const error = networkError("watch", "endpointslices", { ...access, proxyUrl } as ClusterAccess, failed(said));
    assert.equal(unattendedKind(error), kind, said);
  }
});

Deno.test("unattendedKind() names no TLS failure that verified nothing: a handshake through a proxy that did not finish", () => {
  const access = {
    server: "https://10.0.0.1:6443",
    source: "kubeconfig /k",
    origin: { kind: "kubeconfig", files: ["/k"], context: "" },
    credentials: {},
    tls: { caSource: "the CA of kubeconfig /k" },
  } as unknown as ClusterAccess;
  const proxied = { ...access, proxyUrl: "http://127.0.0.1:3128", proxySource: "HTTPS_PROXY" } as ClusterAccess;
  const failed = (message: string, code?: string) =>
    new TypeError("fetch failed", { cause: Object.assign(new Error(message), code ? { code } : {}) });
  const transient: [ClusterAccess, Error][] = [
    [proxied, failed(connectTimeoutText(true, 10_000), "UND_ERR_CONNECT_TIMEOUT")],
    [access, failed("peer closed connection without sending TLS close_notify")],
  ];
  for (const [where, cause] of transient) {
    const error = networkError("watch", "endpointslices", where, cause);
    assert.equal(unattendedKind(error), undefined, error.message);
    assert.doesNotMatch(error.message, /TLS verification/);
  }
  // What Deno (rustls), Bun and Node (OpenSSL) say of a certificate they refuse, and a server of ours.
  const verdicts = [
    "invalid peer certificate: UnknownIssuer",
    "invalid peer certificate: NotValidForName",
    "self signed certificate in certificate chain",
    "unable to verify the first certificate",
    "Hostname/IP does not match certificate's altnames: IP: 10.0.0.1 is not in the cert's list: ",
    "error:0A000412:SSL routines::sslv3 alert bad certificate",
    "received fatal alert: HandshakeFailure",
  ];
  for (const said of verdicts) {
    assert.equal(unattendedKind(networkError("watch", "endpointslices", access, failed(said))), "tls", said);
  }
});

Deno.test("warnUnattended() says the last endpoints are kept only when endpoints were delivered", async () => {
  const error = new KubeApiError("Cannot watch endpointslices: ... (401 Unauthorized): renew the token", {
    status: 401,
  });
  const warnings = await capture(() => {
    for (const routesCalls of [false, true]) {
      for (const delivered of [false, true]) {
        const cluster = `https://10.0.0.1:6443 routes ${routesCalls} delivered ${delivered}`;
        warnUnattended(error, { cluster, namespace: "prod", routesCalls, delivered });
      }
    }
    return Promise.resolve();
  });
  assert.equal(warnings.length, 4, warnings.join("\n"));
  assert.match(
    warnings[0],
    /\(the watch retries; said once for this cluster, credentials and kind of failure: pass onError/,
  );
  assert.match(warnings[1], /\(the watch keeps the last endpoints and retries; said once/);
  assert.match(warnings[2], /\(channels have no endpoints to call yet, and retry; said once/);
  assert.match(
    warnings[3],
    /\(channels go on calling the endpoints they had, which may be stale, and retry; said once/,
  );
});

Deno.test("watchEndpoints() without onError says a 403 once per namespace: a grant fixes one at a time", async () => {
  const api = await startFakeApiServer({ token: "t" });
  api.setAccess({ username: "u", rules: [] });
  const warnings = await capture(async (said) => {
    const cluster = { kubeconfig: api.kubeconfig() };
    const stops = [
      loop("kubernetes:///echo.a:grpc", { cluster }).stop,
      loop("kubernetes:///echo.b:grpc", { cluster }).stop,
    ];
    try {
      await eventually(() => said.warnings.length >= 2, "a warning for each namespace");
      await refusedMore(api, 10);
    } finally {
      for (const stop of stops) await stop();
    }
  });
  await api.close();
  assert.equal(warnings.length, 2, warnings.join("\n"));
  assert.deepEqual(
    warnings.map((warning) => /kind of failure in namespace (\w+):/.exec(warning)?.[1]).sort(),
    ["a", "b"],
    warnings.join("\n"),
  );
  // No endpoints were ever delivered: none are kept.
  for (const warning of warnings) assert.match(warning, /\(the watch retries; /);
});

Deno.test("watchEndpoints() without onError says refused credentials once per set: two kubeconfigs with one context name", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const withToken = (token: string) => {
    const kubeconfig = api.kubeconfig();
    kubeconfig.users![0].user = { token };
    return { kubeconfig };
  };
  const warnings = await capture(async (said) => {
    const stops = [
      loop("kubernetes:///echo.prod:grpc", { cluster: withToken("wrong-a") }).stop,
      loop("kubernetes:///other.prod:grpc", { cluster: withToken("wrong-b") }).stop,
    ];
    try {
      await eventually(() => said.warnings.length >= 2, "a warning for each set of credentials");
      await refusedMore(api, 10);
    } finally {
      for (const stop of stops) await stop();
    }
  });
  await api.close();
  assert.equal(warnings.length, 2, warnings.join("\n"));
  for (const warning of warnings) {
    assert.match(warning, /\(401 Unauthorized\)/);
    assert.doesNotMatch(warning, /wrong-[ab]/);
  }
});

Deno.test("a grpc-js channel without onError says a token refused for good once, and keeps calling its pods", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, "echo");
  let Resolver: ResolverClass | undefined;
  const experimental = {
    ...grpc.experimental,
    registerResolver: (_: string, found: ResolverClass) => Resolver = found,
  };
  const backoff = { initialMs: 10, maxMs: 40 };
  register({ cluster: { kubeconfig: api.kubeconfig() }, backoff, grpc: { ...grpc, experimental } as never });
  const lists: number[] = [];
  const listener = (result: { ok: boolean; value?: unknown[] }) => {
    if (result.ok) lists.push(result.value!.length);
    return true;
  };
  const resolver = new Resolver!(parseUri("kubernetes:///echo.prod:grpc"), listener, {});
  const warnings = await capture(async (said) => {
    try {
      resolver.updateResolution();
      await eventually(() => lists.length > 0, "the first list");
      api.setToken("revoked");
      api.dropWatches();
      await eventually(() => said.warnings.length > 0, "the warning");
      await refusedMore(api, 10);
    } finally {
      resolver.destroy();
    }
  });
  await api.close();
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /rejected the credentials from .* \(401 Unauthorized\)/);
  assert.match(
    warnings[0],
    /\(channels go on calling the endpoints they had, which may be stale, and retry; said once for this cluster, credentials and kind of failure: GRPC_TRACE=kubernetes_resolver GRPC_VERBOSITY=DEBUG traces each one\)$/,
  );
  assert.ok(lists.every((length) => length === 1), `every list has the pod: ${lists}`);
});

Deno.test("watchEndpoints() without onError says a token refused for good once per cluster, however many Services and retries", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, "echo");
  apply(api, "other");
  const warnings = await warningsWhileFollowing(api, ["echo", "other"], async (said) => {
    api.setToken("revoked");
    api.dropWatches();
    await eventually(() => said.warnings.length > 0, "the warning");
    await refusedMore(api, 10);
  });
  await api.close();
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /rejected the credentials from .* \(401 Unauthorized\)/);
  assert.match(
    warnings[0],
    /\(the watch keeps the last endpoints and retries; said once for this cluster, credentials and kind of failure: pass onError to watchEndpoints\(\) to handle such failures in code\)$/,
  );
});

Deno.test("watchEndpoints() without onError says once that a token file that is gone needs a valid token", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, "echo");
  const directory = await mkdtemp(join(tmpdir(), "kgr-"));
  const tokenFile = join(directory, "token");
  await writeFile(tokenFile, "t\n");
  const warnings = await capture(async (said) => {
    const watching = loop("kubernetes:///echo.prod:grpc", { cluster: { server: api.url, tokenFile } });
    try {
      await eventually(() => watching.snapshots() > 0, "the first snapshot");
      // A 401 makes the watch read the token again, and the file is gone.
      await rm(directory, { recursive: true });
      api.setToken("rotated");
      api.dropWatches();
      await eventually(() => said.warnings.length > 0, "the warning");
      await sleep(300);
    } finally {
      await watching.stop();
    }
  });
  await api.close();
  assert.equal(warnings.length, 1, warnings.join("\n"));
  // The token read before stays in use: the file's path is where the fix goes.
  assert.ok(warnings[0].includes(`(401 Unauthorized): write a valid token into ${tokenFile}`), warnings[0]);
});

Deno.test("watchEndpoints() without onError says nothing of a first 401 that fresh credentials get over", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, "echo");
  const warnings = await warningsWhileFollowing(api, ["echo"], async () => {
    api.failNext(1, { status: 401, path: "watch" });
    api.dropWatches();
    await eventually(() => api.pendingFailures === 0 && api.openWatches === 1, "the watch again after the 401");
  });
  await api.close();
  assert.deepEqual(warnings, []);
});

Deno.test("watchEndpoints() with onError leaves a refused token to it, and says nothing", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, "echo");
  const errors: string[] = [];
  const warnings = await warningsWhileFollowing(api, ["echo"], async () => {
    api.setToken("revoked");
    api.dropWatches();
    await eventually(() => errors.length > 0, "the error");
    await refusedMore(api, 5);
  }, { onError: (error) => errors.push(error.message) });
  await api.close();
  assert.deepEqual(warnings, []);
});

Deno.test("watchEndpoints() without onError says nothing of a server that answers 503 or cannot be reached", async () => {
  const api = await startFakeApiServer({ token: "t" });
  apply(api, "echo");
  const warnings = await warningsWhileFollowing(api, ["echo"], async ({ traces }) => {
    api.failNext(20, { status: 503 });
    api.dropWatches();
    await eventually(() => api.pendingFailures === 0, "every 503");
    await eventually(() => api.openWatches === 1, "the watch again");
    await api.close();
    await eventually(() => traces.some((line) => /cannot reach the API server/.test(line)), "an unreachable server");
    await eventually(() => traces.filter((line) => /cannot reach the API server/.test(line)).length > 2, "retries");
  });
  assert.deepEqual(warnings, []);
});
