import assert from "node:assert/strict";
import { inspect } from "node:util";
import { parse, stringify } from "yaml";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { ConfigError } from "../src/base/errors.ts";
import { rejectsConfig } from "./_assert_config_error.ts";
import { CA, fakeEnvironment, IN_CLUSTER_VARS, kubeconfigText, SA, SA_FILES } from "./_cluster_environment.ts";
import { tempDir } from "./_temp_dir.ts";
import { readTextFile } from "../src/runtime/files.ts";
import { setTraceSink } from "../src/runtime/trace.ts";

const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));

Deno.test("resolveClusterAccess() uses the in-cluster service account from an injected folder", async () => {
  const access = await resolveClusterAccess(
    {},
    fakeEnvironment(IN_CLUSTER_VARS, SA_FILES),
  );
  assert.equal(access.server, "https://10.96.0.1:443");
  assert.equal(access.namespace, "shop");
  assert.equal(access.tls.ca, CA);
  assert.equal(access.tls.caSource, `${SA}/ca.crt`);
  // What a TLS failure says to check: a pod has no kubeconfig with certificate-authority and tls-server-name.
  assert.equal(access.tls.caSettings, "KUBERNETES_SERVICE_HOST and the service account's ca.crt");
  assert.equal(access.source, "the in-cluster service account");
  assert.equal(
    access.identity,
    `https://10.96.0.1:443 service account token ${SA}/token`,
  );
  assert.equal(await access.credentials.authorization(), "Bearer sa-token");
  // A 401 there is no kubeconfig's business: the kubelet writes the token, for the pod's ServiceAccount.
  assert.match(
    access.credentials.renewal!,
    new RegExp(
      `^the kubelet writes the pod's service account token into ${SA}/token, read again every minute .*ServiceAccount exists`,
    ),
  );
});

Deno.test("resolveClusterAccess() says in origin where access came from, whatever options its source names", async () => {
  const pod = await resolveClusterAccess({ token: "t" }, fakeEnvironment(IN_CLUSTER_VARS, SA_FILES));
  assert.equal(pod.source, "the in-cluster service account with cluster.token");
  assert.deepEqual(pod.origin, { kind: "in-cluster" });
  const alone = await resolveClusterAccess({ server: "https://10.0.0.1:6443" }, fakeEnvironment(IN_CLUSTER_VARS, {}));
  assert.deepEqual(alone.origin, { kind: "options" });
  const files = { "/a/first": kubeconfigText("https://10.0.0.1:6443"), "/b/second": kubeconfigText("https://x:1") };
  const listed = await resolveClusterAccess(
    { namespace: "shop" },
    fakeEnvironment({ KUBECONFIG: "/a/first:/b/second" }, files),
  );
  assert.equal(listed.source, 'kubeconfig /a/first, /b/second (context "dev") with cluster.namespace');
  assert.deepEqual(listed.origin, { kind: "kubeconfig", files: ["/a/first", "/b/second"], context: "dev" });
  const object = await resolveClusterAccess(
    { kubeconfig: parse(files["/a/first"]), server: "https://10.0.0.2:6443" },
    fakeEnvironment({}, {}),
  );
  assert.deepEqual(object.origin, { kind: "kubeconfig", files: [], context: "dev" });
});

Deno.test("resolveClusterAccess() carries cluster.http2 as set, and nothing when it is left out", async () => {
  for (const [http2, carried] of [[true, true], [false, false], [undefined, undefined]] as const) {
    const access = await resolveClusterAccess({ server: "https://10.0.0.1:6443", http2 }, fakeEnvironment({}, {}));
    assert.equal(access.http2, carried);
  }
});

Deno.test("resolveClusterAccess() with http2: true on Deno traces once per access that HTTP/1.1 is kept", async () => {
  // Was traced by createHttpClient(), once per client built: not at all for a channel whose client a default one
  // had built first, again after each rotation.
  const traces: string[] = [];
  const before = setTraceSink((text) => traces.push(text));
  try {
    for (const http2 of [true, undefined, false, true]) {
      await resolveClusterAccess({ server: "https://10.0.0.1:6443", http2 }, fakeEnvironment({}, {}));
    }
    const kept = "cluster.http2 is true, but HTTP/1.1 is used on Deno for https://10.0.0.1:6443";
    assert.deepEqual(traces, [kept, kept]);
  } finally {
    setTraceSink(before ?? undefined);
  }
});

Deno.test("resolveClusterAccess() brackets an IPv6 KUBERNETES_SERVICE_HOST", async () => {
  const access = await resolveClusterAccess(
    {},
    fakeEnvironment({
      KUBERNETES_SERVICE_HOST: "fd00:10:96::1",
      KUBERNETES_SERVICE_PORT: "443",
    }, SA_FILES),
  );
  assert.equal(access.server, "https://[fd00:10:96::1]:443");
});

Deno.test("resolveClusterAccess() reads the service account from serviceAccountDirectory", async () => {
  const access = await resolveClusterAccess(
    {},
    fakeEnvironment(IN_CLUSTER_VARS, { "/sa/token": "other" }, {
      serviceAccountDirectory: "/sa",
    }),
  );
  assert.equal(await access.credentials.authorization(), "Bearer other");
  assert.equal(access.namespace, "default");
  assert.equal(access.tls.ca, undefined);
  assert.match(access.tls.caSource, /^the runtime's default CA roots/);
});

Deno.test("resolveClusterAccess() re-reads the in-cluster token after 60 seconds and after invalidate()", async () => {
  const files: Record<string, string> = { ...SA_FILES };
  let now = 0;
  const access = await resolveClusterAccess(
    {},
    fakeEnvironment(IN_CLUSTER_VARS, files, { now: () => now }),
  );
  assert.equal(await access.credentials.authorization(), "Bearer sa-token");
  files[`${SA}/token`] = "rotated-1";
  now += 30_000;
  assert.equal(await access.credentials.authorization(), "Bearer sa-token");
  now += 30_000;
  assert.equal(await access.credentials.authorization(), "Bearer rotated-1");
  files[`${SA}/token`] = "rotated-2";
  access.credentials.invalidate();
  assert.equal(await access.credentials.authorization(), "Bearer rotated-2");
});

Deno.test("resolveClusterAccess() rejects a KUBERNETES_SERVICE_PORT that is not a port", async () => {
  await rejectsConfig(
    resolveClusterAccess(
      {},
      fakeEnvironment(
        { ...IN_CLUSTER_VARS, KUBERNETES_SERVICE_PORT: "https" },
        SA_FILES,
      ),
    ),
    /KUBERNETES_SERVICE_PORT must be a port number 1-65535: current value is "https"/,
  );
});

Deno.test("resolveClusterAccess() says what is wrong with a KUBERNETES_SERVICE_HOST that holds '@', not a kubeconfig's fix", async () => {
  for (const host of ["admin@10.96.0.1", "admin:s3cret@10.96.0.1", "@10.96.0.1", "admin@fd00::1"]) {
    const error = await rejectsConfig(
      resolveClusterAccess({}, fakeEnvironment({ ...IN_CLUSTER_VARS, KUBERNETES_SERVICE_HOST: host }, SA_FILES)),
      /KUBERNETES_SERVICE_HOST/,
    );
    assert.equal(
      error.message,
      "Cannot use the in-cluster service account: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT make a server " +
        'URL that must not hold a user name or password (the part up to "@", not shown): the kubelet sets ' +
        "KUBERNETES_SERVICE_HOST to the API server's address alone, and in a pod the service account's token is the " +
        "credential: remove what sets the variable in the pod's spec or image, or set it to the API server's IP " +
        "address or DNS name",
      host,
    );
    assert.equal(error.field, "KUBERNETES_SERVICE_HOST");
    assert.doesNotMatch(`${error.message} ${JSON.stringify(error)}`, /users|s3cret|admin/);
  }
});

Deno.test("resolveClusterAccess() prefers KUBECONFIG over the in-cluster service account", async () => {
  const files = {
    ...SA_FILES,
    "/k/config": kubeconfigText("https://kc.example:6443"),
  };
  const access = await resolveClusterAccess(
    {},
    fakeEnvironment({ ...IN_CLUSTER_VARS, KUBECONFIG: "/k/config" }, files),
  );
  assert.equal(access.server, "https://kc.example:6443");
  assert.equal(access.source, 'kubeconfig /k/config (context "dev")');
  assert.match(
    access.identity,
    /^https:\/\/kc\.example:6443 user "dev-user" of \/k\/config \(token hmac-sha256:[0-9a-f]{16}\)$/,
  );
  assert.equal(await access.credentials.authorization(), "Bearer kube-token");
});

Deno.test("resolveClusterAccess() names a kubeconfig user's client certificate in its identity, where it said 'no credentials'", async () => {
  const [cert, key] = await Promise.all(["client.pem", "client-key.pem"].map(fixture));
  const user = { "client-certificate-data": btoa(cert), "client-key-data": btoa(key) };
  const kubeconfig = (extra: Record<string, string>) =>
    stringify({
      "current-context": "dev",
      clusters: [{ name: "c", cluster: { server: "https://kc.example:6443" } }],
      users: [{ name: "dev-user", user: { ...user, ...extra } }],
      contexts: [{ name: "dev", context: { cluster: "c", user: "dev-user" } }],
    });
  const identity = async (extra: Record<string, string>) =>
    (await resolveClusterAccess({}, fakeEnvironment({ KUBECONFIG: "/k/config" }, { "/k/config": kubeconfig(extra) })))
      .identity;
  const hmac = "hmac-sha256:[0-9a-f]{16}";
  assert.match(
    await identity({}),
    new RegExp(`^https://kc\\.example:6443 user "dev-user" of /k/config \\(client certificate ${hmac}\\)$`),
  );
  // Both are sent, as kubectl sends them.
  assert.match(
    await identity({ token: "kube-token" }),
    new RegExp(`\\(token ${hmac} \\+ client certificate ${hmac}\\)$`),
  );
});

Deno.test("resolveClusterAccess() merges a KUBECONFIG list, first file winning", async () => {
  await using dir = await tempDir("kgr-cluster-access-");
  await Deno.writeTextFile(
    `${dir.path}/first`,
    stringify({
      users: [{ name: "dev-user", user: { token: "first-token" } }],
    }),
  );
  await Deno.writeTextFile(
    `${dir.path}/second`,
    kubeconfigText("https://second.example", { token: "second-token" }),
  );
  const access = await resolveClusterAccess(
    {},
    {
      env: (
        name,
      ) => (name === "KUBECONFIG" ? `${dir.path}/first::${dir.path}/missing:${dir.path}/second` : undefined),
    },
  );
  assert.equal(access.server, "https://second.example");
  assert.equal(await access.credentials.authorization(), "Bearer first-token");
  assert.equal(
    access.source,
    `kubeconfig ${dir.path}/first, ${dir.path}/second (context "dev")`,
  );
});

Deno.test("resolveClusterAccess() prefers the in-cluster service account over ~/.kube/config", async () => {
  const files = {
    ...SA_FILES,
    "/home/me/.kube/config": kubeconfigText("https://home.example"),
  };
  const access = await resolveClusterAccess(
    {},
    fakeEnvironment(IN_CLUSTER_VARS, files, {
      homeDirectory: () => "/home/me",
    }),
  );
  assert.equal(access.source, "the in-cluster service account");
});

Deno.test("resolveClusterAccess() falls back to ~/.kube/config outside a cluster", async () => {
  const files = {
    "/home/me/.kube/config": kubeconfigText("https://home.example"),
  };
  const access = await resolveClusterAccess(
    {},
    fakeEnvironment({}, files, { homeDirectory: () => "/home/me" }),
  );
  assert.equal(access.server, "https://home.example");
  assert.equal(
    access.source,
    'kubeconfig /home/me/.kube/config (context "dev")',
  );
});

Deno.test("resolveClusterAccess() falls back to ~/.kube/config when the service account token is missing", async () => {
  const files = {
    "/home/me/.kube/config": kubeconfigText("https://home.example"),
  };
  const access = await resolveClusterAccess(
    {},
    fakeEnvironment(IN_CLUSTER_VARS, files, {
      homeDirectory: () => "/home/me",
    }),
  );
  assert.equal(access.server, "https://home.example");
});

Deno.test("resolveClusterAccess() in a pod takes the service account when KUBECONFIG chooses no context, as kubectl", async () => {
  // An empty placeholder, or one without current-context: client-go's default config, for which kubectl (and
  // controller-runtime) take the in-cluster config in a pod (clientcmd's DeferredLoadingClientConfig).
  const noContext = kubeconfigText("https://kc.example:6443").replace(/^current-context: .*$/m, "");
  for (const text of ["", noContext]) {
    const files = { ...SA_FILES, "/k/config": text };
    const inPod = await resolveClusterAccess(
      {},
      fakeEnvironment({ ...IN_CLUSTER_VARS, KUBECONFIG: "/k/config" }, files),
    );
    assert.equal(inPod.source, "the in-cluster service account");
    assert.equal(inPod.server, "https://10.96.0.1:443");
    assert.equal(inPod.namespace, "shop");
    // Outside a pod, or with a context chosen, the kubeconfig is used as before.
    await rejectsConfig(
      resolveClusterAccess({}, fakeEnvironment({ KUBECONFIG: "/k/config" }, files)),
      /current-context is not set/,
    );
  }
  const files = { ...SA_FILES, "/k/config": noContext };
  const chosen = await resolveClusterAccess(
    { context: "dev" },
    fakeEnvironment({ ...IN_CLUSTER_VARS, KUBECONFIG: "/k/config" }, files),
  );
  assert.equal(chosen.source, 'kubeconfig /k/config (context "dev")');
  // A context or cluster without a name is what kubectl uses without current-context: not the default config.
  for (const entry of ["name: dev\n", "name: dev-cluster\n"]) {
    const unnamed = { ...SA_FILES, "/k/config": noContext.replace(entry, 'name: ""\n') };
    const access = await resolveClusterAccess(
      {},
      fakeEnvironment({ ...IN_CLUSTER_VARS, KUBECONFIG: "/k/config" }, unnamed),
    );
    assert.equal(access.source, 'kubeconfig /k/config (context "")');
    assert.equal(access.server, "https://kc.example:6443");
  }
});

Deno.test("resolveClusterAccess() in a pod whose service account cannot be used, with a KUBECONFIG that chooses no context, says why", async () => {
  // kubectl fails with the token's error there (client-go takes the in-cluster config for a default config once the
  // token file exists): "current-context is not set" sent the user to a context the pod did not need.
  const noContext = kubeconfigText("https://kc.example:6443").replace(/^current-context: .*$/m, "");
  const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  const unreadable = fakeEnvironment({ ...IN_CLUSTER_VARS, KUBECONFIG: "/k/config" }, {}, {
    readFile: (path) =>
      path.endsWith("/token") ? Promise.reject(denied) : Promise.resolve(path === "/k/config" ? noContext : undefined),
  });
  await rejectsConfig(resolveClusterAccess({}, unreadable), {
    message: /^Cannot read the in-cluster service account token: .*securityContext\.fsGroup/,
    file: `${SA}/token`,
  });
  // On Deno, variables it may not read: which of the two applies cannot be told, and the error names them.
  const refused = fakeEnvironment({ KUBECONFIG: "/k/config" }, { ...SA_FILES, "/k/config": noContext }, {
    refused: (name) => name.startsWith("KUBERNETES_SERVICE_"),
  });
  await rejectsConfig(resolveClusterAccess({}, refused), {
    message:
      /^Cannot tell whether this process runs in a pod: this Deno process may not read KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, which decide whether the in-cluster service account is used \(instead of KUBECONFIG, whose files set no current-context\): run it with --allow-env, or add them to its list \(--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT,\.\.\.\), or pass cluster\.context, cluster\.kubeconfig or cluster\.server$/,
    field: "KUBERNETES_SERVICE_HOST",
  });
});

Deno.test("resolveClusterAccess() in a pod whose token path is a folder, with a KUBECONFIG that chooses no context, says no context is chosen", async () => {
  // client-go's in-cluster source is not possible then (icc.Possible(): the token must not be a folder), and kubectl
  // v1.36.3 goes on with the kubeconfig; the folder's error sent the user to a service account kubectl does not use.
  const noContext = kubeconfigText("https://kc.example:6443").replace(/^current-context: .*$/m, "");
  const folder = Object.assign(new Error("EISDIR: illegal operation on a directory, read"), { code: "EISDIR" });
  const env = fakeEnvironment({ ...IN_CLUSTER_VARS, KUBECONFIG: "/k/config" }, {}, {
    readFile: (path) =>
      path.endsWith("/token") ? Promise.reject(folder) : Promise.resolve(path === "/k/config" ? noContext : undefined),
  });
  await rejectsConfig(resolveClusterAccess({}, env), /current-context is not set/);
});

Deno.test("resolveClusterAccess() goes from a KUBECONFIG of missing files to in-cluster, not to ~/.kube/config", async () => {
  const files = {
    ...SA_FILES,
    "/home/me/.kube/config": kubeconfigText("https://home.example"),
  };
  const access = await resolveClusterAccess(
    {},
    fakeEnvironment(
      { ...IN_CLUSTER_VARS, KUBECONFIG: "/nope/a:/nope/b" },
      files,
      { homeDirectory: () => "/home/me" },
    ),
  );
  assert.equal(access.source, "the in-cluster service account");
  await rejectsConfig(
    resolveClusterAccess(
      {},
      fakeEnvironment({ KUBECONFIG: "/nope/a" }, {
        "/home/me/.kube/config": kubeconfigText("https://home.example"),
      }, {
        homeDirectory: () => "/home/me",
      }),
    ),
    // Not "set KUBECONFIG": it is set, to a file that does not exist.
    /KUBECONFIG=\/nope\/a \(no listed file exists\).*~\/.kube\/config \(skipped because KUBECONFIG is set, as kubectl does\): point KUBECONFIG at a kubeconfig that exists \(or unset it to use ~\/.kube\/config\), pass cluster/,
  );
});

Deno.test("resolveClusterAccess() says that a leading ~ in a kubeconfig path is not expanded", async () => {
  const files = { "/home/me/.kube/config": kubeconfigText("https://home.example") };
  const env = (vars: Record<string, string>) => fakeEnvironment(vars, files, { homeDirectory: () => "/home/me" });
  // kubectl reads both as written too, and then says only "current-context is not set".
  await rejectsConfig(
    resolveClusterAccess({ kubeconfig: "~/.kube/config" }, env({})),
    /^Cannot load kubeconfig ~\/\.kube\/config \(cluster\.kubeconfig\): the file does not exist: a leading ~ is not expanded \(only a shell does that\): write the home directory out$/,
  );
  await rejectsConfig(
    resolveClusterAccess({}, env({ KUBECONFIG: "~/.kube/config" })),
    /KUBECONFIG=~\/\.kube\/config \(no listed file exists; a leading ~ is not expanded \(only a shell does that\)\);/,
  );
});

Deno.test("resolveClusterAccess() says what it tried when nothing is found", async () => {
  await rejectsConfig(
    resolveClusterAccess(
      {},
      fakeEnvironment({}, {}, { homeDirectory: () => "/home/me" }),
    ),
    /^Cannot find a Kubernetes cluster to talk to: tried KUBECONFIG \(not set\); in-cluster \(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set\); \/home\/me\/.kube\/config \(does not exist\): set KUBECONFIG/,
  );
});

Deno.test("resolveClusterAccess() names the one in-cluster variable that is missing", async () => {
  await rejectsConfig(
    resolveClusterAccess(
      {},
      fakeEnvironment({ KUBERNETES_SERVICE_HOST: "10.96.0.1" }, {}, { homeDirectory: () => "/home/me" }),
    ),
    /; in-cluster \(KUBERNETES_SERVICE_PORT is not set\);/,
  );
});

Deno.test("resolveClusterAccess() uses the runtime's default CA roots for an in-cluster ca.crt without PEM, as client-go", async () => {
  for (const text of ["", "not a certificate\n"]) {
    const files = { ...SA_FILES, [`${SA}/ca.crt`]: text };
    const access = await resolveClusterAccess({}, fakeEnvironment(IN_CLUSTER_VARS, files));
    assert.equal(access.tls.ca, undefined);
    assert.equal(access.tls.caSource, `the runtime's default CA roots (${SA}/ca.crt holds no whole PEM certificate)`);
    assert.equal(access.currentCa, undefined);
  }
  const access = await resolveClusterAccess({}, fakeEnvironment(IN_CLUSTER_VARS, { [`${SA}/token`]: "t" }));
  assert.equal(access.tls.caSource, `the runtime's default CA roots (${SA}/ca.crt does not exist)`);
});

Deno.test("resolveClusterAccess() in a pod without a mounted token says how to mount one", async () => {
  await rejectsConfig(
    resolveClusterAccess({}, fakeEnvironment(IN_CLUSTER_VARS, {}, { homeDirectory: () => "/home/me" })),
    /; in-cluster \(\/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token does not exist: the pod mounts no service account token: set automountServiceAccountToken: true in the pod's spec, which overrides its ServiceAccount's, or on the ServiceAccount when the pod's spec leaves it out\);/,
  );
});

Deno.test("resolveClusterAccess() in a pod whose token this user cannot read says what makes it readable", async () => {
  const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  const environment = fakeEnvironment(IN_CLUSTER_VARS, {}, {
    readFile: (path) => path.endsWith("/token") ? Promise.reject(denied) : Promise.resolve(undefined),
  });
  await rejectsConfig(resolveClusterAccess({}, environment), {
    message:
      /^Cannot read the in-cluster service account token: \/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/token cannot be read \(EACCES\): this process's user may not read it: set the pod's securityContext\.fsGroup, and the kubelet makes the file readable by that group$/,
    file: `${SA}/token`,
  });
});

Deno.test("resolveClusterAccess() takes an explicit kubeconfig path over KUBECONFIG", async () => {
  const files = {
    "/a/config": kubeconfigText("https://a.example"),
    "/b/config": kubeconfigText("https://b.example"),
  };
  const access = await resolveClusterAccess(
    { kubeconfig: "/b/config" },
    fakeEnvironment({ KUBECONFIG: "/a/config" }, files),
  );
  assert.equal(access.server, "https://b.example");
  const error = await rejectsConfig(
    resolveClusterAccess(
      { kubeconfig: "/c/config" },
      fakeEnvironment({}, files),
    ),
    /^Cannot load kubeconfig \/c\/config \(cluster.kubeconfig\): the file does not exist: fix the path$/,
  );
  assert.equal(error.file, "/c/config");
});

Deno.test("resolveClusterAccess() takes a kubeconfig object with a context", async () => {
  const access = await resolveClusterAccess(
    {
      kubeconfig: {
        clusters: [{ name: "c", cluster: { server: "https://obj.example/" } }],
        contexts: [{
          name: "x",
          context: { cluster: "c", namespace: "obj-ns" },
        }],
      },
      context: "x",
    },
    fakeEnvironment({}, {}),
  );
  assert.equal(access.server, "https://obj.example");
  assert.equal(access.namespace, "obj-ns");
  assert.equal(access.identity, "https://obj.example anonymous");
  assert.equal(
    access.source,
    'the kubeconfig object given as cluster.kubeconfig (context "x")',
  );
});

Deno.test("resolveClusterAccess() refuses a CA of which no certificate parses, as kubectl does, and skips such a block", async () => {
  // Valid PEM armour around DER that is no certificate.
  const garbage = "-----BEGIN CERTIFICATE-----\nQUJDREVGR0g=\n-----END CERTIFICATE-----\n";
  const kubeconfig = (ca: string) => ({
    clusters: [{ name: "c", cluster: { server: "https://obj.example", "certificate-authority-data": btoa(ca) } }],
    contexts: [{ name: "x", context: { cluster: "c", namespace: "obj-ns" } }],
    "current-context": "x",
  });
  // It used to fail only at the first request, as a TLS failure that every watch retried with backoff.
  await rejectsConfig(
    resolveClusterAccess({ kubeconfig: kubeconfig(garbage) }, fakeEnvironment({}, {})),
    /^Cannot trust the CA in certificate-authority-data of cluster "c": none of its 1 CERTIFICATE blocks is an X\.509 certificate: replace it with the PEM of the cluster's CA certificate \(the kubeconfig object given as cluster\.kubeconfig \(context "x"\)\)$/,
  );
  await rejectsConfig(
    resolveClusterAccess({ server: "https://obj.example", ca: garbage }, fakeEnvironment({}, {})),
    /^Cannot trust the CA in cluster\.ca: none of its 1 CERTIFICATE blocks/,
  );
  const ca = await fixture("ca.pem");
  const access = await resolveClusterAccess({ kubeconfig: kubeconfig(garbage + ca) }, fakeEnvironment({}, {}));
  assert.equal(access.server, "https://obj.example");
});

Deno.test("resolveClusterAccess() stops when Deno may not read KUBECONFIG, rather than use another cluster", async () => {
  const files = { ...SA_FILES, "/home/me/.kube/config": kubeconfigText("https://home.example") };
  const refused = (names: string[]) =>
    fakeEnvironment(IN_CLUSTER_VARS, files, {
      homeDirectory: () => "/home/me",
      refused: (name) => names.includes(name),
    });
  // It used the pod's service account, or ~/.kube/config, though KUBECONFIG may name another cluster.
  await rejectsConfig(resolveClusterAccess({}, refused(["KUBECONFIG"])), {
    message:
      /^Cannot tell which cluster to use: this Deno process may not read KUBECONFIG, and kubectl uses the kubeconfig it names whenever it is set: run it with --allow-env, or add KUBECONFIG to its list \(--allow-env=KUBECONFIG,\.\.\.\), or pass cluster\.kubeconfig or cluster\.server$/,
    field: "KUBECONFIG",
  });
  await rejectsConfig(resolveClusterAccess({ context: "dev" }, refused(["KUBECONFIG"])), /may not read KUBECONFIG/);
  // An option that names the cluster makes KUBECONFIG irrelevant.
  const server = await resolveClusterAccess({ server: "https://10.0.0.1" }, refused(["KUBECONFIG"]));
  assert.equal(server.server, "https://10.0.0.1");
  const kubeconfig = await resolveClusterAccess({ kubeconfig: "/home/me/.kube/config" }, refused(["KUBECONFIG"]));
  assert.equal(kubeconfig.server, "https://home.example");
});

Deno.test("resolveClusterAccess() stops when Deno may not read the in-cluster variables, rather than use ~/.kube/config", async () => {
  const files = { ...SA_FILES, "/home/me/.kube/config": kubeconfigText("https://home.example") };
  const environment = (vars: Record<string, string>, names: string[]) =>
    fakeEnvironment(vars, files, { homeDirectory: () => "/home/me", refused: (name) => names.includes(name) });
  // It used ~/.kube/config, an image's, in a pod whose own service account wins.
  await rejectsConfig(
    resolveClusterAccess({}, environment({}, ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"])),
    {
      message:
        /^Cannot tell whether this process runs in a pod: this Deno process may not read KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, which decide whether the in-cluster service account is used \(before ~\/\.kube\/config\): run it with --allow-env, or add them to its list \(--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT,\.\.\.\), or pass cluster\.kubeconfig or cluster\.server$/,
      field: "KUBERNETES_SERVICE_HOST",
    },
  );
  await rejectsConfig(
    resolveClusterAccess({}, environment({ KUBERNETES_SERVICE_PORT: "443" }, ["KUBERNETES_SERVICE_HOST"])),
    {
      message: /may not read KUBERNETES_SERVICE_HOST, which decides whether .* add it to its list/,
      field: "KUBERNETES_SERVICE_HOST",
    },
  );
  // A variable known to be unset rules the pod out, whatever the refused one holds.
  const unset = await resolveClusterAccess({}, environment({}, ["KUBERNETES_SERVICE_PORT"]));
  assert.equal(unset.server, "https://home.example");
  // So do a KUBECONFIG that names a file, and cluster.context, which in-cluster access cannot serve.
  const refusedBoth = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"];
  const listed = await resolveClusterAccess({}, environment({ KUBECONFIG: "/home/me/.kube/config" }, refusedBoth));
  assert.equal(listed.server, "https://home.example");
  const context = await resolveClusterAccess({ context: "dev" }, environment({}, refusedBoth));
  assert.equal(context.server, "https://home.example");
});

Deno.test("resolveClusterAccess() with options.context skips the in-cluster service account", async () => {
  const files = {
    ...SA_FILES,
    "/home/me/.kube/config": kubeconfigText("https://home.example"),
  };
  const access = await resolveClusterAccess(
    { context: "dev" },
    fakeEnvironment(IN_CLUSTER_VARS, files, {
      homeDirectory: () => "/home/me",
    }),
  );
  assert.equal(access.server, "https://home.example");
  await rejectsConfig(
    resolveClusterAccess(
      { context: "dev" },
      fakeEnvironment(IN_CLUSTER_VARS, SA_FILES),
    ),
    /in-cluster \(skipped: cluster.context needs a kubeconfig\)/,
  );
});

Deno.test("resolveClusterAccess() picks the namespace: options, context, POD_NAMESPACE, service account, default", async () => {
  const kubeconfig = (namespace?: string) => ({
    "/k": kubeconfigText("https://kc.example", namespace ? { namespace } : {}),
  });
  const vars = { KUBECONFIG: "/k" };
  const ns = async (
    options: { namespace?: string },
    extraVars: Record<string, string>,
    files: Record<string, string>,
  ) =>
    (await resolveClusterAccess(
      options,
      fakeEnvironment({ ...vars, ...extraVars }, files),
    )).namespace;
  const saNamespace = { [`${SA}/namespace`]: "from-file" };
  assert.equal(
    await ns({ namespace: "opt" }, { POD_NAMESPACE: "pod" }, {
      ...kubeconfig("ctx"),
      ...saNamespace,
    }),
    "opt",
  );
  assert.equal(
    await ns({}, { POD_NAMESPACE: "pod" }, {
      ...kubeconfig("ctx"),
      ...saNamespace,
    }),
    "ctx",
  );
  assert.equal(
    await ns({}, { POD_NAMESPACE: "pod" }, { ...kubeconfig(), ...saNamespace }),
    "pod",
  );
  // In a pod (whose KUBECONFIG wins over its service account), as in client-go.
  assert.equal(
    await ns({}, IN_CLUSTER_VARS, { ...kubeconfig(), ...saNamespace }),
    "from-file",
  );
  assert.equal(await ns({}, {}, kubeconfig()), "default");
  // Outside a pod the file is not read: Deno asked for it on a terminal, for targets that name their namespace too.
  assert.equal(await ns({}, {}, { ...kubeconfig(), ...saNamespace }), "default");
});

Deno.test("resolveClusterAccess() says what set the namespace, for a target that names none", async () => {
  const kubeconfig = (namespace?: string) => ({
    "/k": kubeconfigText("https://kc.example", namespace ? { namespace } : {}),
  });
  const saNamespace = { [`${SA}/namespace`]: "from-file" };
  const origin = async (
    options: { namespace?: string },
    vars: Record<string, string>,
    files: Record<string, string>,
  ) => {
    const access = await resolveClusterAccess(options, fakeEnvironment({ KUBECONFIG: "/k", ...vars }, files));
    return [access.namespace, access.namespaceSource];
  };
  assert.deepEqual(await origin({ namespace: "opt" }, {}, kubeconfig("ctx")), ["opt", "cluster.namespace"]);
  assert.deepEqual(await origin({}, {}, kubeconfig("ctx")), ["ctx", 'kubeconfig /k (context "dev")']);
  assert.deepEqual(await origin({}, { POD_NAMESPACE: "pod" }, kubeconfig()), ["pod", "POD_NAMESPACE"]);
  assert.deepEqual(
    await origin({}, IN_CLUSTER_VARS, { ...kubeconfig(), ...saNamespace }),
    ["from-file", `${SA}/namespace`],
  );
  // Nothing set it: messages say that the source sets none.
  assert.deepEqual(await origin({}, {}, kubeconfig()), ["default", undefined]);
});

Deno.test("resolveClusterAccess() in a pod whose token Deno may not read names the service account's folder to grant", async () => {
  // Deno refused the token, then ca.crt, then namespace, each named alone: three runs to learn the grant.
  const readFile = (path: string) =>
    Promise.reject(Object.assign(new Error(`Requires read access to "${path}"`), { name: "NotCapable" }));
  await assert.rejects(
    resolveClusterAccess({}, fakeEnvironment(IN_CLUSTER_VARS, {}, { readFile })),
    new RegExp(
      `${SA}/token cannot be read by this Deno process: run it with --allow-read=${SA}, or add the service ` +
        "account's folder to its list$",
    ),
  );
  const caRefused = (path: string) =>
    path === `${SA}/ca.crt` ? readFile(path) : Promise.resolve((SA_FILES as Record<string, string>)[path]);
  await assert.rejects(
    resolveClusterAccess({}, fakeEnvironment(IN_CLUSTER_VARS, {}, { readFile: caRefused })),
    new RegExp(`${SA}/ca\\.crt cannot be read by this Deno process: run it with --allow-read=${SA}, or add the `),
  );
});

Deno.test('resolveClusterAccess() in a pod whose namespace file Deno may not read says so, not "default"', async () => {
  const refused = Object.assign(new Error(`Requires read access to "${SA}/namespace"`), { name: "NotCapable" });
  const files: Record<string, string> = SA_FILES;
  const readFile = (path: string) =>
    path === `${SA}/namespace` ? Promise.reject(refused) : Promise.resolve(files[path]);
  const inPod = await resolveClusterAccess({}, fakeEnvironment(IN_CLUSTER_VARS, {}, { readFile }));
  // It was "default", and `check` then said to grant access in the wrong namespace.
  assert.throws(() => inPod.namespace, (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      `Cannot read the pod's namespace: ${SA}/namespace cannot be read by this Deno process: run it with ` +
        `--allow-read=${SA}, or add the service account's folder to its list (KUBERNETES_SERVICE_HOST and ` +
        "KUBERNETES_SERVICE_PORT are set, " +
        'as in a pod; where no service account is mounted, the namespace is then "default"); fix it, or name the ' +
        "namespace in the target (kubernetes:///SERVICE.NAMESPACE:PORT) or pass cluster.namespace",
    );
    assert.equal(error.file, `${SA}/namespace`);
    return true;
  });
  // The same in a pod whose KUBECONFIG's context names no namespace: kubectl and Node take the pod's, so Deno's
  // "default" watched another namespace's Service of that name without a word. Where the variables are set but no
  // service account is mounted (automountServiceAccountToken: false, a dev container), kubectl takes "default", which
  // Deno cannot tell apart: the message says why a pod is assumed, and what a missing file gives.
  const kubeconfigInPod = await resolveClusterAccess(
    {},
    fakeEnvironment({ ...IN_CLUSTER_VARS, KUBECONFIG: "/k" }, {}, {
      readFile: (path) => path === "/k" ? Promise.resolve(kubeconfigText("https://kc.example")) : readFile(path),
    }),
  );
  assert.equal(kubeconfigInPod.source, `kubeconfig /k (context "dev")`);
  assert.throws(() => kubeconfigInPod.namespace, {
    name: "ConfigError",
    message: /^Cannot read the pod's namespace: .* --allow-read/,
  });
  // A file that does not exist is "default", as in client-go; so is a refused one outside a pod, on a laptop
  // whose --allow-read names only its kubeconfig.
  const noFile = await resolveClusterAccess({}, fakeEnvironment(IN_CLUSTER_VARS, { [`${SA}/token`]: "t" }));
  assert.equal(noFile.namespace, "default");
  const laptop = await resolveClusterAccess(
    {},
    fakeEnvironment({ KUBECONFIG: "/k" }, {}, {
      readFile: (path) => path === "/k" ? Promise.resolve(kubeconfigText("https://kc.example")) : readFile(path),
    }),
  );
  assert.equal(laptop.namespace, "default");
});

Deno.test("resolveClusterAccess() rejects a namespace that is not a DNS label", async () => {
  await rejectsConfig(
    resolveClusterAccess(
      { server: "https://k", namespace: "Bad_NS" },
      fakeEnvironment({}, {}),
    ),
    /^Cannot use namespace "Bad_NS" from cluster.namespace: a namespace is a DNS-1123 label \(at most 63 of a-z[^?]*$/,
  );
  await rejectsConfig(
    resolveClusterAccess({ server: "https://k", namespace: "Prod" }, fakeEnvironment({}, {})),
    /^Cannot use namespace "Prod" from cluster.namespace: .*: Kubernetes names are lower case, did you mean "prod"\?$/,
  );
  // A context's or the pod's namespace fails only where it is read: targets that name their namespace never do.
  const fromContext = await resolveClusterAccess(
    {},
    fakeEnvironment({ KUBECONFIG: "/k" }, { "/k": kubeconfigText("https://kc.example", { namespace: "Bad_NS" }) }),
  );
  assert.equal(fromContext.server, "https://kc.example");
  assert.throws(
    () => fromContext.namespace,
    /Cannot use namespace "Bad_NS" from the context namespace of kubeconfig \/k \(context "dev"\): a namespace is/,
  );
  const fromPod = await resolveClusterAccess(
    {},
    fakeEnvironment({ ...IN_CLUSTER_VARS, POD_NAMESPACE: "Bad_NS" }, SA_FILES),
  );
  assert.throws(() => fromPod.namespace, /Cannot use namespace "Bad_NS" from POD_NAMESPACE/);
});

Deno.test("resolveClusterAccess() in a pod where Deno may not read POD_NAMESPACE says so, not the namespace file's", async () => {
  const environment = (vars: Record<string, string>) =>
    fakeEnvironment(vars, { ...SA_FILES, "/k": kubeconfigText("https://kc.example") }, {
      refused: (name) => name === "POD_NAMESPACE",
    });
  // It took the service account's namespace file, though POD_NAMESPACE, which client-go reads first, may name another.
  const inPod = await resolveClusterAccess({}, environment(IN_CLUSTER_VARS));
  assert.throws(() => inPod.namespace, (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(
      error.message,
      "Cannot tell the pod's namespace: this Deno process may not read POD_NAMESPACE, which names it before " +
        `${SA}/namespace: run it with --allow-env, or add it to its list (--allow-env=POD_NAMESPACE,...); fix it, ` +
        "or name the namespace in the target (kubernetes:///SERVICE.NAMESPACE:PORT) or pass cluster.namespace",
    );
    assert.equal(error.field, "POD_NAMESPACE");
    return true;
  });
  // Named elsewhere, POD_NAMESPACE is not read; outside a pod, a laptop's narrow --allow-env list gets "default".
  const named = await resolveClusterAccess({ namespace: "shop" }, environment(IN_CLUSTER_VARS));
  assert.equal(named.namespace, "shop");
  const laptop = await resolveClusterAccess({}, environment({ KUBECONFIG: "/k" }));
  assert.equal(laptop.namespace, "default");
});

/**
 * Awaits `promise` with the event loop held: a real exec plugin's process holds nothing (it must not keep a script
 * alive), and every public caller holds the loop while it waits (the watch loop, grpc-js's call, the CLI).
 */
async function held<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1000);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}

Deno.test("resolveClusterAccess() works with the real file system and an exec plugin from KUBECONFIG", async () => {
  await using dir = await tempDir("kgr-cluster-access-");
  await Deno.writeTextFile(
    `${dir.path}/plugin`,
    '#!/bin/sh\nprintf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-%s"}}\' "$EXTRA"\n',
  );
  await Deno.chmod(`${dir.path}/plugin`, 0o755);
  await Deno.writeTextFile(
    `${dir.path}/config`,
    stringify({
      "current-context": "eks",
      clusters: [{ name: "c", cluster: { server: "https://eks.example" } }],
      users: [{
        name: "u",
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1",
            command: "./plugin",
            env: [{ name: "EXTRA", value: "ok" }],
            interactiveMode: "IfAvailable",
          },
        },
      }],
      contexts: [{ name: "eks", context: { cluster: "c", user: "u" } }],
    }),
  );
  const access = await resolveClusterAccess({}, {
    env: (name) => (name === "KUBECONFIG" ? `${dir.path}/config` : undefined),
    readFile: readTextFile,
  });
  assert.equal(await held(access.credentials.authorization()), "Bearer exec-ok");
  assert.equal(typeof access.credentials.clientCertificate, "function");
});

Deno.test("resolveClusterAccess() fixes relative paths of a relative KUBECONFIG at load, as client-go does", async () => {
  await using temp = await tempDir("kgr-cluster-access-");
  const dir = await Deno.realPath(temp.path);
  await Deno.writeTextFile(`${dir}/token`, "file-token\n");
  await Deno.writeTextFile(
    `${dir}/config`,
    stringify({
      "current-context": "dev",
      clusters: [{ name: "c", cluster: { server: "https://k.example" } }],
      users: [{ name: "u", user: { tokenFile: "token" } }, {
        name: "e",
        user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./plugin" } },
      }],
      contexts: [{ name: "dev", context: { cluster: "c", user: "u" } }, {
        name: "exec",
        context: { cluster: "c", user: "e" },
      }],
    }),
  );
  const commands: string[] = [];
  const environment = fakeEnvironment({ KUBECONFIG: "config" }, {}, {
    readFile: readTextFile,
    runExecPlugin: (request) => {
      commands.push(request.command);
      return Promise.resolve({
        ok: true,
        stderr: "",
        stdout: '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"x"}}',
      });
    },
  });
  const cwd = Deno.cwd();
  let token, exec;
  try {
    Deno.chdir(dir);
    token = await resolveClusterAccess({}, environment);
    exec = await resolveClusterAccess({ context: "exec" }, environment);
  } finally {
    Deno.chdir(cwd);
  }
  // Both are used after the working folder changed, as a token file is re-read for months.
  assert.equal(await token.credentials.authorization(), "Bearer file-token");
  await exec.credentials.authorization();
  assert.deepEqual(commands, [`${dir}/plugin`]);
});

Deno.test("resolveClusterAccess() with equal inline options runs their exec plugin once", async () => {
  // The access was cached by the options object alone: an equal inline { kubeconfig } ran the plugin again for each
  // watchEndpoints() loop or nice-grpc channel.
  await using temp = await tempDir("kgr-cluster-access-");
  const dir = await Deno.realPath(temp.path);
  await Deno.writeTextFile(
    `${dir}/config`,
    stringify({
      "current-context": "exec",
      clusters: [{ name: "c", cluster: { server: "https://k.example" } }],
      users: [{ name: "e", user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./plugin" } } }],
      contexts: [{ name: "exec", context: { cluster: "c", user: "e" } }],
    }),
  );
  let runs = 0;
  const environment = fakeEnvironment({}, {}, {
    readFile: readTextFile,
    runExecPlugin: () => {
      runs++;
      return Promise.resolve({
        ok: true,
        stderr: "",
        stdout: '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"x"}}',
      });
    },
  });
  for (let i = 0; i < 3; i++) {
    const access = await resolveClusterAccess({ kubeconfig: `${dir}/config` }, environment);
    assert.equal(await access.credentials.authorization(), "Bearer x");
  }
  assert.equal(runs, 1);
});

Deno.test("resolveClusterAccess() never shows a token, password or key in output, errors or traces", async () => {
  const canary = "CANARY-7f3a9b";
  const canaryKey = `-----BEGIN PRIVATE KEY-----\n${canary}-key\n-----END PRIVATE KEY-----\n`;
  const [cert, key, otherKey] = await Promise.all(["client.pem", "client-key.pem", "server-key.pem"].map(fixture));
  await using dir = await tempDir("kgr-cluster-access-");
  await Deno.writeTextFile(
    `${dir.path}/plugin`,
    `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${canary}-exec","expirationTimestamp":"2099-01-01T00:00:00Z"}}'\n`,
  );
  await Deno.chmod(`${dir.path}/plugin`, 0o755);
  await Deno.writeTextFile(`${dir.path}/token`, `${canary}-file`);
  const users = [
    {
      name: "static",
      user: {
        token: `${canary}-static`,
        "client-certificate-data": btoa(cert),
        "client-key-data": btoa(key),
      },
    },
    {
      name: "file",
      user: { tokenFile: `${dir.path}/token`, token: `${canary}-ignored` },
    },
    {
      name: "basic",
      user: { username: "admin", password: `${canary}-password` },
    },
    {
      name: "exec",
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: `${dir.path}/plugin`,
        },
      },
    },
  ];
  const kubeconfig = {
    "current-context": "static",
    clusters: [{ name: "c", cluster: { server: "https://k.example" } }],
    users,
    contexts: users.map(({ name }) => ({
      name,
      context: { cluster: "c", user: name },
    })),
  };
  const traces: string[] = [];
  setTraceSink((line) => traces.push(line));
  try {
    const outputs: string[] = [];
    const headers: string[] = [];
    for (const { name } of users) {
      const access = await resolveClusterAccess(
        { kubeconfig, context: name },
        fakeEnvironment({}, {}, { readFile: readTextFile }),
      );
      const authorization = await held(access.credentials.authorization());
      const sent = authorization?.startsWith("Basic ") ? atob(authorization.slice(6)) : authorization;
      assert.ok(sent?.includes(canary), `user ${name} has its secret`);
      if (authorization) headers.push(authorization);
      access.credentials.invalidate();
      await held(access.credentials.authorization());
      outputs.push(
        inspect(access, { depth: Infinity, showHidden: true, getters: true }),
        Deno.inspect(access, { depth: Infinity, showHidden: true }),
        JSON.stringify(access),
        String(access),
        String(access.tls),
        String(access.credentials),
        access.identity,
        access.source,
      );
    }
    const withOptions = await resolveClusterAccess(
      { server: "https://k.example", token: `${canary}-option`, cert, key },
      fakeEnvironment({}, {}),
    );
    assert.equal(withOptions.tls.key, key);
    outputs.push(
      inspect(withOptions, { depth: Infinity, showHidden: true }),
      JSON.stringify(withOptions),
      withOptions.identity,
    );

    // Errors about fields that hold secrets.
    const errors: ConfigError[] = [];
    const bad = [
      { token: 12345 },
      {
        "client-certificate-data": btoa(cert),
        "client-key-data": `${canary}!!`,
      },
      { "client-certificate-data": btoa(cert), "client-key-data": key },
      { "client-certificate-data": btoa(cert), "client-key-data": btoa(canaryKey) },
      { "client-certificate-data": btoa(cert), "client-key-data": btoa(otherKey) },
      { username: "admin", password: `${canary}-pw`, token: `${canary}-tok` },
    ];
    for (const user of bad) {
      try {
        await resolveClusterAccess({
          kubeconfig: {
            ...kubeconfig,
            users: [{ name: "static", user: user as never }],
            contexts: [kubeconfig.contexts[0]],
          },
        }, fakeEnvironment({}, {}));
        assert.fail("expected an error");
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        errors.push(error);
      }
    }
    try {
      await parseYamlWithSecret(canary);
      assert.fail("expected an error");
    } catch (error) {
      errors.push(error as ConfigError);
    }
    for (const error of errors) {
      outputs.push(
        error.message,
        String(error),
        inspect(error, { depth: Infinity, showHidden: true }),
        Deno.inspect(error),
      );
    }
    assert.match(errors.map((error) => error.message).join("\n"), /is not a readable private key/);
    assert.match(errors.map((error) => error.message).join("\n"), /does not match/);
    const keyLines = [key, otherKey].map((pem) => pem.split("\n")[5]);
    for (const text of [...outputs, ...traces]) {
      assert.ok(!text.includes(canary), `secret leaked in: ${text}`);
      assert.ok(!keyLines.some((line) => text.includes(line)), `key leaked in: ${text}`);
      for (const header of headers) {
        assert.ok(
          !text.includes(header.split(" ")[1]),
          `credential leaked in: ${text}`,
        );
      }
    }
    assert.ok(traces.length > 0);
  } finally {
    setTraceSink(undefined);
  }
});

async function parseYamlWithSecret(canary: string): Promise<void> {
  await resolveClusterAccess(
    { kubeconfig: "/k" },
    fakeEnvironment({}, {
      "/k": `users:\n- name: u\n  user:\n    token: ${canary}\n   oops: [\n`,
    }),
  );
}

Deno.test("resolveClusterAccess() sends no credentials over plain http:// to another machine, as kubectl sends none", async () => {
  const traced: string[] = [];
  setTraceSink((line) => traced.push(line));
  try {
    for (const server of ["http://10.0.0.1:8080", "http://api.example.com", "http://[fd00::1]:8080"]) {
      const access = await resolveClusterAccess({ server, token: "secret-token-abc" }, fakeEnvironment({}, {}));
      assert.equal(await access.credentials.authorization(), undefined, server);
      assert.match(
        access.credentials.withheld!,
        /are not sent to http:\/\/.*: over plain http:\/\/ to another machine they would travel in clear text \(kubectl sends none over http:\/\/ either\); use https:\/\//,
      );
    }
    // Loopback keeps them (kubectl proxy, the fake API server), and so does https://.
    for (const server of ["http://127.0.0.1:8080", "http://127.1.2.3", "http://localhost:8001", "http://[::1]:8080"]) {
      const access = await resolveClusterAccess({ server, token: "secret-token-abc" }, fakeEnvironment({}, {}));
      assert.equal(await access.credentials.authorization(), "Bearer secret-token-abc", server);
      assert.equal(access.credentials.withheld, undefined);
    }
    const secure = await resolveClusterAccess(
      { server: "https://10.0.0.1:6443", token: "secret-token-abc", insecureSkipTlsVerify: true },
      fakeEnvironment({}, {}),
    );
    assert.equal(await secure.credentials.authorization(), "Bearer secret-token-abc");
    // Nothing to withhold: no message.
    const anonymous = await resolveClusterAccess({ server: "http://10.0.0.1:8080" }, fakeEnvironment({}, {}));
    assert.equal(anonymous.credentials.withheld, undefined);
    // A loopback server behind a proxy on another machine: the request crosses the network to the proxy in clear.
    for (const proxy of ["http://10.9.9.9:3128", "socks5://10.9.9.9:1080"]) {
      const kubeconfig = {
        "current-context": "c",
        clusters: [{ name: "c", cluster: { server: "http://127.0.0.1:8080", "proxy-url": proxy } }],
        users: [{ name: "u", user: { token: "secret-token-abc" } }],
        contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
      };
      const proxied = await resolveClusterAccess({ kubeconfig }, fakeEnvironment({}, {}));
      assert.equal(await proxied.credentials.authorization(), undefined, proxy);
      assert.match(proxied.credentials.withheld!, /are not sent to http:\/\/127\.0\.0\.1:8080 through its proxy: /);
    }
    const localProxy = await resolveClusterAccess({
      kubeconfig: {
        "current-context": "c",
        clusters: [{ name: "c", cluster: { server: "http://127.0.0.1:8080", "proxy-url": "http://127.0.0.1:3128" } }],
        users: [{ name: "u", user: { token: "secret-token-abc" } }],
        contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
      },
    }, fakeEnvironment({}, {}));
    assert.equal(await localProxy.credentials.authorization(), "Bearer secret-token-abc");
  } finally {
    setTraceSink(undefined);
  }
  assert.ok(traced.some((line) => line.includes("are not sent to http://10.0.0.1:8080")), traced.join("\n"));
  assert.ok(!traced.join("\n").includes("secret-token-abc"));
});

Deno.test("resolveClusterAccess() tells an exec plugin with provideClusterInfo about the cluster the options made", async () => {
  // The plugin was told about the kubeconfig's server, name and CA although cluster.server and others replaced them.
  const otherCa = await fixture("other-ca.pem");
  const kubeconfig = {
    "current-context": "c",
    clusters: [{
      name: "a",
      cluster: {
        server: "https://a.example:6443",
        "tls-server-name": "a.example",
        "certificate-authority-data": btoa(CA),
        "proxy-url": "http://127.0.0.1:3128",
        extensions: [{ name: "client.authentication.k8s.io/exec", extension: { x: 1 } }],
      },
    }],
    users: [{
      name: "u",
      user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "plugin", provideClusterInfo: true } },
    }],
    contexts: [{ name: "c", context: { cluster: "a", user: "u" } }],
  };
  const told: unknown[] = [];
  const environment = fakeEnvironment({}, { "/other-ca.pem": otherCa }, {
    runExecPlugin: (request) => {
      told.push(JSON.parse(request.env.KUBERNETES_EXEC_INFO).spec.cluster);
      return Promise.resolve({
        ok: true,
        stderr: "",
        stdout: '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"x"}}',
      });
    },
  });
  const options = [
    { kubeconfig, server: "https://127.0.0.1:3", caFile: "/other-ca.pem" },
    { kubeconfig, server: "https://127.0.0.1:3", tlsServerName: "b.example", insecureSkipTlsVerify: true },
  ];
  for (const option of options) {
    const access = await resolveClusterAccess(option, environment);
    await access.credentials.authorization();
  }
  // What kubectl 1.36 tells the plugin with --server (and --certificate-authority, or --tls-server-name and
  // --insecure-skip-tls-verify): the proxy and the plugin's config stay the kubeconfig's.
  assert.deepEqual(told, [
    {
      server: "https://127.0.0.1:3",
      "certificate-authority-data": btoa(otherCa),
      "proxy-url": "http://127.0.0.1:3128",
      config: { x: 1 },
    },
    {
      server: "https://127.0.0.1:3",
      "tls-server-name": "b.example",
      "insecure-skip-tls-verify": true,
      "proxy-url": "http://127.0.0.1:3128",
      config: { x: 1 },
    },
  ]);
});
