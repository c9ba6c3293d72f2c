import assert from "node:assert/strict";
import { stringify } from "yaml";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { checkClusterOptions } from "../src/cluster/cluster_options.ts";
import { ConfigError } from "../src/base/errors.ts";
import type { ClusterOptions } from "../src/cluster/types.ts";
import { rejectsConfig } from "./_assert_config_error.ts";
import { CA, fakeEnvironment, IN_CLUSTER_VARS, kubeconfigText, SA_FILES } from "./_cluster_environment.ts";

const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));

Deno.test("resolveClusterAccess() uses options.server alone without looking at the environment", async () => {
  const access = await resolveClusterAccess(
    { server: "https://127.0.0.1:6443", token: "opt-token", ca: CA },
    fakeEnvironment({ ...IN_CLUSTER_VARS, KUBECONFIG: "/k" }, SA_FILES),
  );
  assert.equal(access.server, "https://127.0.0.1:6443");
  assert.equal(access.source, "cluster options");
  assert.equal(access.tls.ca, CA);
  assert.equal(access.tls.caSource, "cluster.ca");
  assert.equal(await access.credentials.authorization(), "Bearer opt-token");
  assert.match(
    access.identity,
    /^https:\/\/127\.0\.0\.1:6443 token hmac-sha256:[0-9a-f]{16}$/,
  );
  assert.equal(access.namespace, "shop"); // from the service-account namespace file, as the chain says
});

Deno.test("the identity tells credentials apart with a keyed hash: an unkeyed one would let a log check password guesses", async () => {
  const identity = async (token: string) =>
    (await resolveClusterAccess({ server: "https://127.0.0.1:6443", token }, fakeEnvironment({}, {}))).identity;
  const [a, again, b] = [await identity("PASSW0RD-xyz"), await identity("PASSW0RD-xyz"), await identity("other")];
  assert.equal(a, again, "the same credentials keep one identity in a process");
  assert.notEqual(a, b);
  const plain = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode("PASSW0RD-xyz")));
  const prefix = Array.from(plain.subarray(0, 8), (byte) => byte.toString(16).padStart(2, "0")).join("");
  assert.ok(!a.includes(prefix), a);
});

Deno.test("resolveClusterAccess() lets options override what the kubeconfig says", async () => {
  const files = {
    "/k/config": kubeconfigText("https://kc.example", { namespace: "kc-ns" }),
    "/run/token": "file-token",
    "/run/ca.crt": CA,
  };
  const access = await resolveClusterAccess(
    {
      tokenFile: "/run/token",
      caFile: "/run/ca.crt",
      namespace: "mine",
      tlsServerName: "api.internal",
    },
    fakeEnvironment({ KUBECONFIG: "/k/config" }, files),
  );
  assert.equal(access.server, "https://kc.example");
  assert.equal(access.namespace, "mine");
  assert.equal(await access.credentials.authorization(), "Bearer file-token");
  assert.equal(access.tls.ca, CA);
  assert.equal(access.tls.caSource, "cluster.caFile /run/ca.crt");
  assert.equal(access.tls.serverName, "api.internal");
  assert.equal(access.identity, "https://kc.example token file /run/token");
  assert.equal(
    access.source,
    'kubeconfig /k/config (context "dev") with cluster.caFile, cluster.tlsServerName, cluster.tokenFile, cluster.namespace',
  );
});

Deno.test("cluster.server drops the kubeconfig's tls-server-name, as kubectl's --server does", async () => {
  const files = {
    "/k/config": stringify({
      "current-context": "dev",
      clusters: [{ name: "c", cluster: { server: "https://tunnel:8443", "tls-server-name": "api.internal" } }],
      contexts: [{ name: "dev", context: { cluster: "c" } }],
    }),
  };
  const env = () => fakeEnvironment({ KUBECONFIG: "/k/config" }, files);
  assert.equal((await resolveClusterAccess({}, env())).tls.serverName, "api.internal");
  // The name was the old server's: kubectl then checks the new server's host (client-go clientcmd, getCluster).
  const moved = await resolveClusterAccess({ context: "dev", server: "https://10.0.0.1:6443" }, env());
  assert.equal(moved.server, "https://10.0.0.1:6443");
  assert.equal(moved.tls.serverName, undefined);
  const named = await resolveClusterAccess(
    { kubeconfig: "/k/config", server: "https://10.0.0.1:6443", tlsServerName: "kubernetes" },
    env(),
  );
  assert.equal(named.tls.serverName, "kubernetes");
});

Deno.test("resolveClusterAccess() skips TLS verification only when options say so explicitly", async () => {
  const base = { server: "https://127.0.0.1:6443" };
  assert.equal(
    (await resolveClusterAccess(base, fakeEnvironment({}, {}))).tls
      .insecureSkipVerify,
    undefined,
  );
  const insecure = await resolveClusterAccess({
    ...base,
    insecureSkipTlsVerify: true,
  }, fakeEnvironment({}, {}));
  assert.equal(insecure.tls.insecureSkipVerify, true);
  assert.equal(insecure.tls.ca, undefined);
  await rejectsConfig(
    resolveClusterAccess(
      { ...base, insecureSkipTlsVerify: true, ca: CA },
      fakeEnvironment({}, {}),
    ),
    /cluster.insecureSkipTlsVerify and a CA \(cluster.ca or cluster.caFile\) are both set: keep one/,
  );
});

Deno.test("resolveClusterAccess() rejects conflicting and malformed options", async () => {
  await rejectsConfig(
    resolveClusterAccess(
      { server: "https://k", token: "a", tokenFile: "/b" },
      fakeEnvironment({}, {}),
    ),
    /cluster.token and cluster.tokenFile are both set: keep one/,
  );
  await rejectsConfig(
    resolveClusterAccess(
      { server: "https://k", cert: CA },
      fakeEnvironment({}, {}),
    ),
    /a client certificate needs both cert and key: set cluster.key or cluster.keyFile/,
  );
  await rejectsConfig(
    resolveClusterAccess(
      { server: "https://k", ca: btoa(CA) },
      fakeEnvironment({}, {}),
    ),
    /cluster.ca must be PEM text/,
  );
  await rejectsConfig(
    resolveClusterAccess({ server: "not a url" }, fakeEnvironment({}, {})),
    /cluster.server is not a valid URL/,
  );
  await rejectsConfig(
    resolveClusterAccess(
      { server: "https://k", caFile: "/none" },
      fakeEnvironment({}, {}),
    ),
    /cluster.caFile \/none does not exist: fix the path/,
  );
});

Deno.test("resolveClusterAccess() names options as users write them, under cluster", async () => {
  const env = fakeEnvironment({}, {});
  const cases: [Parameters<typeof resolveClusterAccess>[0], RegExp, string | undefined][] = [
    [{}, /pass cluster\.kubeconfig or cluster\.server, /, undefined],
    [
      { server: "" },
      /^Cannot resolve cluster access: cluster\.server must be a non-empty string: current value is empty$/,
      "cluster.server",
    ],
    [
      { server: "https://k", insecureSkipTlsVerify: "yes" as never },
      /cluster\.insecureSkipTlsVerify must be/,
      "cluster.insecureSkipTlsVerify",
    ],
    [
      { kubeconfig: [] as never },
      /cluster\.kubeconfig must be a file path or a kubeconfig object/,
      "cluster.kubeconfig",
    ],
    [
      { server: "https://k", cert: CA, certFile: "/c" },
      /cluster\.cert and cluster\.certFile are both set/,
      "cluster.certFile",
    ],
    [
      { server: "https://k", keyFile: "/none", certFile: "/none" },
      /cluster\.certFile \/none does not exist/,
      "cluster.certFile",
    ],
    [{ server: "https://k", namespace: "A" }, /from cluster\.namespace: a namespace is/, "cluster.namespace"],
    [{ kubeconfig: {}, context: "nope" }, /context "nope" from cluster\.context is not defined/, "cluster.context"],
    [
      { kubeconfig: { "current-context": "a", contexts: [{ name: "a", context: {} }] } },
      /kubeconfig object given as cluster\.kubeconfig:/,
      "contexts[0].context.cluster",
    ],
    [
      { kubeconfig: { contexts: [] } },
      /current-context is not set: the kubeconfig defines no contexts/,
      "current-context",
    ],
  ];
  for (const [options, message, field] of cases) {
    const error = await rejectsConfig(resolveClusterAccess(options, env), message);
    assert.equal(error.field, field, error.message);
    assert.doesNotMatch(error.message, /\boptions\./, error.message);
  }
  const overridden = await resolveClusterAccess({
    kubeconfig: "/k",
    server: "https://other",
    token: "t",
    insecureSkipTlsVerify: true,
  }, fakeEnvironment({}, { "/k": kubeconfigText("https://k") }));
  assert.equal(
    overridden.source,
    'kubeconfig /k (context "dev") with cluster.server, cluster.insecureSkipTlsVerify, cluster.token',
  );
  assert.equal(overridden.tls.caSource, "no verification (cluster.insecureSkipTlsVerify)");
  assert.equal((await resolveClusterAccess({ server: "https://k" }, env)).source, "cluster options");
});

Deno.test("checkClusterOptions() refuses at the call what needs no file: a server that is no URL, a CA, cert or key that is no PEM, half a client certificate", () => {
  const cases: [ClusterOptions, RegExp, string][] = [
    [{ server: "not a url" }, /^Cannot resolve cluster access: cluster\.server is not a valid URL/, "cluster.server"],
    [{ server: "ftp://k" }, /cluster\.server must start with https:\/\/ or http:\/\//, "cluster.server"],
    [{ server: "https://k", ca: btoa(CA) }, /cluster\.ca must be PEM text/, "cluster.ca"],
    [
      { server: "https://k", certFile: "/c" },
      /needs both cert and key: set cluster\.key or cluster\.keyFile$/,
      "cluster.key",
    ],
    [
      { server: "https://k", key: CA },
      /needs both cert and key: set cluster\.cert or cluster\.certFile$/,
      "cluster.cert",
    ],
  ];
  for (const [options, message, field] of cases) {
    assert.throws(() => checkClusterOptions(options), (error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, message);
      assert.equal(error.field, field);
      return true;
    });
  }
});

Deno.test("checkClusterOptions() names the type of a bad value, never the value, and says that null is no default", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ token: 12345 }, "cluster.token must be a non-empty string: current type is number"],
    [{ token: ["s3cret"] }, "cluster.token must be a non-empty string: current type is list"],
    [
      { namespace: null },
      "cluster.namespace must be a non-empty string: current value is null (leave the option out, or pass undefined, " +
      "for its default)",
    ],
    [{ insecureSkipTlsVerify: "true" }, "cluster.insecureSkipTlsVerify must be true or false: current type is string"],
    [{ http2: 1 }, "cluster.http2 must be true or false: current type is number"],
    [{ kubeconfig: 7 }, "cluster.kubeconfig must be a file path or a kubeconfig object: current type is number"],
    // The fake API server's method, not called: the message named its type alone.
    [
      { kubeconfig: () => ({}) },
      "cluster.kubeconfig must be a file path or a kubeconfig object: current type is function " +
      "(pass what the function returns, such as the fake's api.kubeconfig(), not the function)",
    ],
    // The fake API server itself: calls failed later with "current-context is not set: the kubeconfig defines no
    // contexts".
    [
      { kubeconfig: { url: "http://127.0.0.1:1", kubeconfig: () => ({}), close: () => {} } },
      "cluster.kubeconfig is an object with a kubeconfig() method, such as the fake API server, not a kubeconfig: " +
      "pass what that method returns (api.kubeconfig())",
    ],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => checkClusterOptions(options as ClusterOptions),
      (error) => error instanceof ConfigError && error.message === `Cannot resolve cluster access: ${message}`,
    );
  }
  // A misspelt field left undefined changes nothing, as the right name left undefined would not either.
  assert.doesNotThrow(() => checkClusterOptions({ server: "https://k", namespce: undefined } as ClusterOptions));
});

Deno.test("resolveClusterAccess() refuses a misspelt option, which left access to the next source (another cluster, maybe)", async () => {
  // KUBECONFIG names a cluster: the misspelt kubeconfig option was ignored and that one was used.
  const env = fakeEnvironment({ KUBECONFIG: "/k" }, { "/k": kubeconfigText("https://k") });
  await rejectsConfig(resolveClusterAccess({ kubeConfig: "/other" } as never, env), {
    message: /^Cannot resolve cluster access: cluster has no option "kubeConfig": use kubeconfig$/,
    field: "cluster.kubeConfig",
  });
  await rejectsConfig(resolveClusterAccess({ server: "https://k", tokn: "s3cret" } as never, env), {
    message: /^Cannot resolve cluster access: cluster has no option "tokn": use token$/,
    field: "cluster.tokn",
  });
  // No near match: every option is listed, and the value (a token, here) is never quoted.
  const error = await rejectsConfig(
    resolveClusterAccess({ server: "https://k", bearerToken: "s3cret" } as never, env),
    {
      message:
        /^Cannot resolve cluster access: cluster has no option "bearerToken": use one of kubeconfig, context, server, token, /,
      field: "cluster.bearerToken",
    },
  );
  assert.doesNotMatch(error.message, /s3cret/);
});

Deno.test("checkClusterOptions() says to pass a kubeconfig object given as the cluster options as cluster.kubeconfig", () => {
  // Was: 'cluster has no option "apiVersion": use one of kubeconfig, context, ...', for
  // register({ grpc, cluster: api.kubeconfig() }) in place of cluster: { kubeconfig: api.kubeconfig() }.
  const kubeconfig = { apiVersion: "v1", kind: "Config", clusters: [], users: [], contexts: [] };
  for (const options of [kubeconfig, { clusters: [], "current-context": "c" }]) {
    assert.throws(() => checkClusterOptions(options as never), {
      name: "ConfigError",
      message: "Cannot resolve cluster access: cluster is a kubeconfig object, not cluster options: pass it as " +
        "cluster: { kubeconfig }",
    });
  }
});

Deno.test("resolveClusterAccess() refuses cluster.cert and cluster.key that do not match, naming both", async () => {
  const [cert, ecCert, key, otherKey] = await Promise.all(
    ["client.pem", "client-ec.pem", "client-key.pem", "server-key.pem"].map(fixture),
  );
  const files = { "/c.pem": ecCert, "/k.pem": key };
  const error = await rejectsConfig(
    resolveClusterAccess({ server: "https://k", certFile: "/c.pem", keyFile: "/k.pem" }, fakeEnvironment({}, files)),
    /^Cannot resolve cluster access: cluster\.keyFile \/k\.pem does not match cluster\.certFile \/c\.pem: the key is an RSA 2048-bit key, but the certificate holds an EC P-256 public key: use the key the certificate was issued for$/,
  );
  assert.equal(error.field, "cluster.keyFile");
  await rejectsConfig(
    resolveClusterAccess({ server: "https://k", cert, key: otherKey }, fakeEnvironment({}, {})),
    /cluster\.key does not match cluster\.cert: both are RSA 2048-bit keys, but not the same key/,
  );
  const access = await resolveClusterAccess({ server: "https://k", cert, key }, fakeEnvironment({}, {}));
  assert.equal(access.tls.key, key);
});

Deno.test("resolveClusterAccess() makes a server without a scheme http:// unless TLS settings apply, as kubectl does", async () => {
  const [cert, key] = await Promise.all(["client.pem", "client-key.pem"].map(fixture));
  const env = fakeEnvironment({}, {});
  const server = async (options: Parameters<typeof resolveClusterAccess>[0]) =>
    (await resolveClusterAccess(options, env)).server;
  assert.equal(await server({ server: "127.0.0.1:6443" }), "http://127.0.0.1:6443");
  assert.equal(await server({ server: "127.0.0.1:6443", token: "t" }), "http://127.0.0.1:6443");
  assert.equal(await server({ server: "localhost:6443", ca: CA }), "https://localhost:6443");
  assert.equal(await server({ server: "k.example", insecureSkipTlsVerify: true }), "https://k.example");
  assert.equal(await server({ server: "127.0.0.1:443", cert, key }), "https://127.0.0.1:443");
  assert.equal(await server({ server: "https://127.0.0.1:6443" }), "https://127.0.0.1:6443");
  assert.equal(await server({ server: "http://127.0.0.1:6443", ca: CA }), "http://127.0.0.1:6443");
  const kubeconfig = (cluster: Record<string, unknown>) => ({
    "current-context": "c",
    clusters: [{ name: "c", cluster: { server: "10.0.0.1:6443", ...cluster } }],
    contexts: [{ name: "c", context: { cluster: "c" } }],
  });
  assert.equal(await server({ kubeconfig: kubeconfig({}) }), "http://10.0.0.1:6443");
  assert.equal(
    await server({ kubeconfig: kubeconfig({ "certificate-authority-data": btoa(CA) }) }),
    "https://10.0.0.1:6443",
  );
  assert.equal(await server({ kubeconfig: kubeconfig({}), ca: CA }), "https://10.0.0.1:6443");
  assert.equal(
    await server({
      kubeconfig: {
        ...kubeconfig({}),
        contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
        users: [{ name: "u", user: { "client-certificate-data": btoa(cert), "client-key-data": btoa(key) } }],
      },
    }),
    "https://10.0.0.1:6443",
  );
  await rejectsConfig(
    resolveClusterAccess({ server: "10.0.0.1:6443/prefix" }, env),
    /^Cannot resolve cluster access: cluster\.server has no scheme but a path: current value is "10\.0\.0\.1:6443\/prefix": write the scheme, e\.g\. https:\/\/host:port\/path$/,
  );
});

Deno.test("resolveClusterAccess() gives different identities to different tokens and the same to the same", async () => {
  const env = fakeEnvironment({}, {});
  const a = await resolveClusterAccess({
    server: "https://k",
    token: "token-a",
  }, env);
  const b = await resolveClusterAccess({
    server: "https://k",
    token: "token-b",
  }, env);
  const a2 = await resolveClusterAccess({
    server: "https://k/",
    token: "token-a",
  }, env);
  assert.notEqual(a.identity, b.identity);
  assert.equal(a.identity, a2.identity);
  assert.ok(!a.identity.includes("token-a"));
});

Deno.test("checkClusterOptions() says null is no cluster options, and that leaving them out gives the default", () => {
  assert.throws(
    () => checkClusterOptions(null as never),
    /^ConfigError: Cannot resolve cluster access: options must be an object such as \{ kubeconfig, context \}: current value is null \(leave cluster out for the default access\)$/,
  );
});

Deno.test("a server that does not parse, from the options or a kubeconfig, is never quoted past its host", async () => {
  const servers = ["https://admin:SRVpass", "https://k8s:6443/?access_token=SRVtoken", "https://u:SRVpw@k 8s"];
  for (const server of servers) {
    const fromOptions = await rejectsConfig(
      resolveClusterAccess({ server }, fakeEnvironment({}, {})),
      /cluster\.server/,
    );
    const fromKubeconfig = await rejectsConfig(
      resolveClusterAccess({ kubeconfig: "/k" }, fakeEnvironment({}, { "/k": kubeconfigText(server) })),
      /clusters\[0\]\.cluster\.server/,
    );
    for (const error of [fromOptions, fromKubeconfig]) assert.doesNotMatch(error.message, /SRV/, error.message);
  }
});

// A server URL with credentials in it was told to "put credentials in users", a kubeconfig's section that options have
// no equivalent of: the options that carry them are cluster.token and cluster.tokenFile (or a client certificate).
Deno.test("cluster.server with a user name and password points to cluster.token, and never shows the password", async () => {
  for (const server of ["https://admin:s3cr3t-pw@10.0.0.1:6443", "admin:s3cr3t-pw@10.0.0.1:6443"]) {
    await assert.rejects(
      () => resolveClusterAccess({ server }, fakeEnvironment({}, {})),
      (error: Error) => {
        assert.equal(
          error.message,
          'Cannot resolve cluster access: cluster.server must not hold a user name or password (the part up to "@", ' +
            "not shown): pass a token as cluster.token (or its file as cluster.tokenFile), or a client certificate " +
            "as cluster.cert and cluster.key (or cluster.certFile and cluster.keyFile)",
        );
        assert.doesNotMatch(`${error.message} ${JSON.stringify(error)}`, /s3cr3t|admin/);
        return true;
      },
      server,
    );
  }
});
