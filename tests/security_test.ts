// Security properties: TLS verification is never turned off by accident;
// tokens and client keys never show in errors, traces or inspect output;
// exec plugins get exactly the documented environment; nothing is written
// to disk.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { inspect } from "node:util";
import fc from "fast-check";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import {
  type ClusterOptions,
  ConfigError,
  type KubeconfigObject,
  type ResolverError,
  watchEndpoints,
} from "@kgr/resolver";
import { contentsInsteadOfPath } from "../src/cluster/_contents_instead_of_path.ts";
import { execCredentials } from "../src/cluster/exec_credentials.ts";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { heldExecPlugin as runExecPlugin } from "./_held_exec_plugin.ts";
import { setTraceSink } from "../src/runtime/trace.ts";
import { boundedTest } from "./_hostile_server.ts";
import { eventually } from "./_watch_helpers.ts";
import { childEnv } from "./_child_env.mjs";

const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const CANARY = "kgr-canary-7d41f09a";

// --- TLS verification ------------------------------------------------------

function kubeconfigWith(cluster: Record<string, unknown>): KubeconfigObject {
  return {
    "current-context": "c",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443", ...cluster } }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  };
}

Deno.test("TLS verification is skipped only when the kubeconfig says insecure-skip-tls-verify: true", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.constantFrom<unknown>("true", "True", "yes", 1, "1", "on", null, false, "false", [true], { value: true }),
        fc.jsonValue(),
      ),
      fc.boolean(),
      async (value, present) => {
        const cluster = present ? { "insecure-skip-tls-verify": value } : {};
        let insecure: boolean | undefined;
        try {
          insecure = (await resolveClusterAccess({ kubeconfig: kubeconfigWith(cluster) })).tls.insecureSkipVerify;
        } catch (error) {
          assert.ok(error instanceof ConfigError, String(error));
          return;
        }
        assert.equal(insecure === true, present && value === true);
      },
    ),
    { numRuns: 300 },
  );
  const explicit = await resolveClusterAccess({ kubeconfig: kubeconfigWith({ "insecure-skip-tls-verify": true }) });
  assert.equal(explicit.tls.insecureSkipVerify, true);
  const overridden = await resolveClusterAccess({
    kubeconfig: kubeconfigWith({ "insecure-skip-tls-verify": true }),
    insecureSkipTlsVerify: false,
  });
  assert.notEqual(overridden.tls.insecureSkipVerify, true);
});

/**
 * `text` without its comment lines and with its string literals emptied, so that a doc or an error's advice may name
 * an option (the TLS name advice tells users of `checkServerIdentity`) while code that sets it, by name or by a quoted
 * key (`options["checkServerIdentity"]`), is still found.
 */
function codeOnly(text: string): string {
  return text
    .replace(/^\s*(\*|\/\/|\/\*\*).*$/gm, "")
    .replace(
      /(\[\s*)?(`(?:\\.|[^`\\])*`|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')/g,
      (literal, key) => key === undefined ? '""' : literal,
    );
}

/**
 * `text` without the one replaced identity check that verifies: `tls_options.ts` checks the certificate against an IP
 * address `tls-server-name` with `node:tls`'s own `checkServerIdentity`.
 */
function verifiedIdentityCheckRemoved(path: string, text: string): string {
  if (!path.endsWith("/runtime/tls_options.ts")) return text;
  return text
    .replace('import { checkServerIdentity, type ConnectionOptions } from "node:tls";', "")
    .replace('| "rejectUnauthorized" | "checkServerIdentity"', "")
    .replace("options.checkServerIdentity = (_host, certificate) => checkServerIdentity(ip, certificate);", "")
    .replace(/^\s*\*.*$/gm, "");
}

Deno.test("no source file turns TLS verification off by itself", async () => {
  const files = await sourceFiles(new URL("../src/", import.meta.url));
  for (const [path, text] of files) {
    assert.doesNotMatch(text, /NODE_TLS_REJECT_UNAUTHORIZED/, path);
    assert.doesNotMatch(text, /rejectUnauthorized:\s*false/, path);
    assert.doesNotMatch(
      codeOnly(verifiedIdentityCheckRemoved(path, text)),
      /unsafelyIgnoreCertificateErrors|checkServerIdentity/,
      path,
    );
    for (const match of text.matchAll(/rejectUnauthorized:\s*([^,}]+)/g)) {
      assert.equal(match[1].trim(), "!tls.insecureSkipVerify", path);
    }
  }
});

boundedTest(
  "a TLS server is refused without a CA for it, and reached only with insecure-skip-tls-verify: true",
  15_000,
  async (defer) => {
    const api = await startTlsApi();
    defer(() => api.close());
    const refused = follow({ kubeconfig: api.kubeconfig() });
    try {
      await eventually(() => refused.errors.length > 0, "the TLS error");
      assert.match(refused.errors[0].message, /TLS verification of https:\/\/127\.0\.0\.1:\d+ failed/);
    } finally {
      await refused.stop();
    }
    assert.equal(api.requests.length, 0);
    const kubeconfig = api.kubeconfig();
    Object.assign(kubeconfig.clusters![0].cluster, { "insecure-skip-tls-verify": true });
    const skipped = follow({ kubeconfig });
    try {
      await eventually(() => skipped.snapshots.length > 0, "a snapshot without verification");
    } finally {
      await skipped.stop();
    }
  },
);

// --- Secrets never shown ------------------------------------------------------

async function startTlsApi(token?: string): Promise<FakeApiServer> {
  const api = await startFakeApiServer({
    token,
    tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
  });
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.9.0.1", pod: "echo-0" }],
  }));
  return api;
}

function follow(cluster: ClusterOptions) {
  const controller = new AbortController();
  const errors: ResolverError[] = [];
  const snapshots: unknown[] = [];
  const done = (async () => {
    try {
      const iterable = watchEndpoints("kubernetes:///echo.prod:grpc", {
        cluster,
        signal: controller.signal,
        stallTimeoutMs: 2000,
        backoff: { initialMs: 10, maxMs: 50 },
        onError: (error) => errors.push(error),
      });
      for await (const snapshot of iterable) snapshots.push(snapshot);
    } catch (error) {
      errors.push(error as ResolverError);
    }
  })();
  return {
    errors,
    snapshots,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

/** Every way a caller or a logger could render a value: text, inspect (Deno and Node, everything shown), JSON, the cause chain. */
function renderings(value: unknown): string[] {
  const out: string[] = [];
  const options = { depth: 20, showHidden: true, getters: true } as const;
  for (let item = value, depth = 0; item !== undefined && item !== null && depth < 10; depth++) {
    out.push(String(item), Deno.inspect(item, options), inspect(item, options));
    try {
      out.push(JSON.stringify(item) ?? "");
    } catch { /* cyclic */ }
    if (item instanceof Error) out.push(item.message, item.stack ?? "");
    item = (item as { cause?: unknown }).cause;
  }
  return out;
}

function assertNoSecret(texts: string[], secrets: string[], what: string): void {
  for (const text of texts) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `${what} shows a secret (${secret.slice(0, 12)}...): ${text.slice(0, 400)}`);
    }
  }
}

boundedTest(
  "tokens, passwords and client keys never show in errors, traces, console or inspect output",
  30_000,
  async (defer) => {
    const key = await fixture("client-key.pem");
    const cert = await fixture("client.pem");
    // Distinctive pieces of the key, as PEM and as the base64 a kubeconfig holds.
    const keyLine = key.split("\n")[5];
    const keyData = btoa(key);
    const otherKey = await fixture("server-key.pem");
    const secrets = [CANARY, keyLine, keyData.slice(100, 160), btoa(`admin:${CANARY}`), otherKey.split("\n")[5]];

    const traces: string[] = [];
    setTraceSink((text) => traces.push(text));
    defer(() => setTraceSink(undefined));
    const printed: string[] = [];
    const originals = {
      log: console.log,
      error: console.error,
      warn: console.warn,
      info: console.info,
      debug: console.debug,
    };
    for (const name of Object.keys(originals) as (keyof typeof originals)[]) {
      console[name] = (...args: unknown[]) => void printed.push(args.map((arg) => inspect(arg)).join(" "));
    }
    defer(() => Object.assign(console, originals));
    const emitWarning = process.emitWarning;
    process.emitWarning = ((warning: unknown) => void printed.push(String(warning))) as typeof process.emitWarning;
    defer(() => process.emitWarning = emitWarning);

    const folder = await mkdtemp(join(tmpdir(), "kgr-security-"));
    defer(() => rm(folder, { recursive: true, force: true }));
    const tokenFile = join(folder, "token");
    await writeFile(tokenFile, `${CANARY}\n`);

    const api = await startTlsApi("the-right-token");
    defer(() => api.close());
    const ca = await fixture("ca.pem");
    const otherCa = await fixture("other-ca.pem");
    const base = api.kubeconfig({ ca }) as Record<string, unknown> & { users: { user: Record<string, unknown> }[] };
    const withUser = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}): KubeconfigObject => {
      const config = structuredClone(base) as typeof base & { clusters: { cluster: Record<string, unknown> }[] };
      config.users[0].user = user;
      Object.assign(config.clusters[0].cluster, cluster);
      return config as KubeconfigObject;
    };
    const clientCert = { "client-certificate-data": btoa(cert), "client-key-data": keyData };
    const failingPlugin = {
      apiVersion: "client.authentication.k8s.io/v1",
      command: process.execPath === Deno.execPath() ? "node" : process.execPath,
      args: [
        "-e",
        `process.stdout.write(JSON.stringify({token: ${
          JSON.stringify(CANARY)
        }})); console.error("login expired"); process.exit(3)`,
        CANARY,
      ],
      interactiveMode: "Never",
    };
    const scenarios: ClusterOptions[] = [
      { kubeconfig: withUser({ token: CANARY, ...clientCert }) }, // 401 over TLS with a client key
      { kubeconfig: withUser({ tokenFile, ...clientCert }, { "certificate-authority-data": btoa(otherCa) }) }, // TLS failure
      { kubeconfig: withUser({ username: "admin", password: CANARY }) }, // basic auth, 401
      { kubeconfig: withUser({ exec: failingPlugin }) }, // exec plugin fails after printing the token
      { kubeconfig: withUser({ token: `${CANARY}\nx-injected: 1` }) }, // a token that is not a valid header value
      { kubeconfig: withUser({ ...clientCert, "client-key-data": btoa(otherKey) }) }, // a key of another certificate
      { server: api.url, token: CANARY, ca, cert, key }, // options instead of a kubeconfig
    ];
    const outputs: string[] = [];
    for (const cluster of scenarios) {
      const run = follow(cluster);
      try {
        await eventually(
          () => run.errors.length >= 2 || run.errors.some((error) => error instanceof ConfigError),
          "errors",
        );
      } finally {
        await run.stop();
      }
      for (const error of run.errors) outputs.push(...renderings(error));
      for (const snapshot of run.snapshots) outputs.push(...renderings(snapshot));
    }
    for (const cluster of scenarios.slice(0, 3).concat(scenarios.slice(6))) {
      const access = await resolveClusterAccess(cluster);
      outputs.push(...renderings(access), ...renderings(access.tls), ...renderings(access.credentials));
      outputs.push(...renderings({ ...access.tls }), ...renderings(Object.entries(access)));
    }
    const proxied = withUser({ token: CANARY }, { "proxy-url": `http://user:${CANARY}@127.0.0.1:3128` });
    await resolveClusterAccess({ kubeconfig: proxied });
    // YAML the parser warns about (a collection as a key, an unknown directive), with the secret in it.
    const yamlFile = join(folder, "config");
    await writeFile(
      yamlFile,
      `%SECRET ${CANARY}\n---\n? [${CANARY}]\n: 1\nusers: [{name: u, user: {token: ${CANARY}}}]\n`,
    );
    await resolveClusterAccess({ kubeconfig: yamlFile }).catch((error) => outputs.push(...renderings(error)));
    outputs.push(...renderings(api.requests));

    assert.ok(traces.length > 0 && outputs.length > 0);
    assertNoSecret(outputs, secrets, "an error or returned object");
    assertNoSecret(traces, secrets, "the trace");
    assertNoSecret(printed, secrets, "the console");
    // The scenarios did run into what they were meant to.
    const all = outputs.join("\n");
    assert.match(all, /rejected the credentials/);
    assert.match(all, /TLS verification of .* failed/);
    assert.match(all, /make an invalid Authorization header/);
    assert.match(all, /client-key-data does not match users\[0\]\.user\.client-certificate-data/);
    assert.match(all, /it failed \(exit status 3\); it said: login expired/);
    assert.match(traces.join("\n"), /proxy-url http:\/\/127\.0\.0\.1:3128\/ \(its user name and password not shown\)/);
  },
);

Deno.test("a key, token or kubeconfig given where a file's path belongs never shows in the error", async () => {
  const key = await fixture("client-key.pem");
  const cert = await fixture("client.pem");
  const token = `eyJhbGciOiJSUzI1NiJ9.${btoa(CANARY).replaceAll("=", "")}.c2ln`;
  const longToken = `${CANARY}${"x".repeat(300)}`;
  const kubeconfig = JSON.stringify(kubeconfigWith({})).replace('"token":"t"', `"token":"${CANARY}"`);
  const yamlKubeconfig = `apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: ${CANARY}}}]\n`;
  const keyBody = key.split("\n").filter((line) => !line.startsWith("-----")).join("");
  const secrets = [
    CANARY,
    key.split("\n")[5],
    btoa(CANARY).slice(0, 16),
    "kgrcan.ary7d41f09a00000",
    keyBody.slice(-40),
  ];
  const user = (fields: Record<string, unknown>): KubeconfigObject => {
    const config = kubeconfigWith({});
    config.users![0].user = fields;
    return config;
  };
  const cases: [ClusterOptions, Record<string, string>, RegExp][] = [
    [
      { kubeconfig: user({ "client-certificate-data": btoa(cert), "client-key": key }) },
      {},
      /users\[0\]\.user\.client-key holds PEM text where a file's path belongs \(not shown: it may be a credential\): put the file's path there, or the base64 of the PEM in client-key-data$/,
    ],
    [
      { kubeconfig: user({ tokenFile: token }) },
      {},
      /users\[0\]\.user\.tokenFile holds a token \(a JSON Web Token\) .*: put the token in token instead/,
    ],
    [{ kubeconfig: user({ tokenFile: longToken }) }, {}, /tokenFile holds a name of over 255 characters/],
    [
      { kubeconfig: user({ tokenFile: "kgrcan.ary7d41f09a00000" }) },
      {},
      /tokenFile holds a token \(a bootstrap token\)/,
    ],
    [
      { kubeconfig },
      {},
      /cluster\.kubeconfig holds a kubeconfig's contents .*: pass the file's path, or the kubeconfig as an object/,
    ],
    [{ kubeconfig: yamlKubeconfig }, {}, /cluster\.kubeconfig holds a kubeconfig's contents/],
    [
      { server: "https://127.0.0.1:6443", keyFile: key, cert },
      {},
      /cluster\.keyFile holds PEM text .*: pass the PEM as cluster\.key instead/,
    ],
    [
      { server: "https://127.0.0.1:6443", tokenFile: token },
      {},
      /cluster\.tokenFile holds a token .*: pass the token as cluster\.token instead/,
    ],
    [
      {},
      { KUBECONFIG: kubeconfig },
      /^Cannot load kubeconfig: KUBECONFIG holds a kubeconfig's contents .*: write it to a file and set KUBECONFIG to that file's path$/,
    ],
    [{}, { KUBECONFIG: yamlKubeconfig }, /KUBECONFIG holds a kubeconfig's contents/],
    // A key's body on one line, without its BEGIN/END lines, as CI secret stores keep it: its "/" make it a path.
    [
      { server: "https://127.0.0.1:6443", cert, keyFile: keyBody },
      {},
      /cluster\.keyFile holds base64 data \(\d+ characters: a key's or a token's\) .*: pass the PEM as cluster\.key/,
    ],
    [
      { kubeconfig: user({ "client-certificate-data": btoa(cert), "client-key": keyBody }) },
      {},
      /users\[0\]\.user\.client-key holds base64 data .*: put the file's path there, or the base64 of the PEM/,
    ],
    [{ kubeconfig: keyBody }, {}, /cluster\.kubeconfig holds base64 data/],
    [{}, { KUBECONFIG: keyBody }, /KUBECONFIG holds base64 data/],
  ];
  for (const [options, variables, expected] of cases) {
    const error = await resolveClusterAccess(options, { env: (name) => variables[name] }).then(
      () => assert.fail(`no error for ${Object.keys(options)} ${Object.keys(variables)}`),
      (error) => error,
    );
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, expected);
    assertNoSecret(renderings(error), secrets, "the error");
  }
  // Nor once joined to the folder of the kubeconfig that names it.
  const file = "/k/config";
  const named = JSON.stringify(user({ "client-certificate-data": btoa(cert), "client-key": keyBody }));
  const joined = await resolveClusterAccess({ kubeconfig: file }, {
    env: () => undefined,
    readFile: (path) => Promise.resolve(path === file ? named : undefined),
  }).then(() => assert.fail("no error for a key's body in client-key"), (error) => error);
  assert.match(joined.message, /^Cannot load kubeconfig \/k\/config: users\[0\]\.user\.client-key holds base64 data/);
  assertNoSecret(renderings(joined), secrets, "the error");
  // Paths and path lists stay paths.
  for (
    const path of [
      "/home/users:/etc/kubernetes/admin.conf",
      "C:\\Users\\me\\.kube\\config",
      "token",
      "../clusters/ca.crt",
    ]
  ) {
    assert.equal(contentsInsteadOfPath(path), undefined, path);
  }
});

Deno.test("a token given as the token file's path never shows when no file has that name or Deno may not read it", async () => {
  // Tokens that nothing above tells from a path: a static one with signs, base64 with a "/", GKE's and OpenShift's.
  const tokens = [
    `${CANARY}+(a|b)*$^[x]`,
    "kgr9Xj2Lq/Wm4vRt8Ys0Np3K+Zb7Hc5Df1Gh6Jk=",
    "ya29.kgrA0AfB_byC7dQx2mLp9Rs4TvWz8Yk3Nh6Jf1Gc",
    "sha256~kgrQ1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXcVbNm",
  ];
  for (const token of tokens) {
    const cases: [ClusterOptions, RegExp][] = [
      [
        { server: "http://127.0.0.1:6443", tokenFile: token },
        /^Cannot read the token of cluster\.tokenFile: the file named there \(\d+ characters, not shown: it may be a token\) does not exist: pass the token as cluster\.token instead, or the path of its file here$/,
      ],
      [
        { kubeconfig: { ...kubeconfigWith({}), users: [{ name: "u", user: { tokenFile: token } }] } },
        /^Cannot read the token of user "u": the file named in users\[0\]\.user\.tokenFile \(\d+ characters, not shown: it may be a token\) does not exist: put the token in token instead, or its file's path here$/,
      ],
    ];
    for (const [options, expected] of cases) {
      const access = await resolveClusterAccess(options, {
        env: () => undefined,
        readFile: () => Promise.resolve(undefined),
      });
      const error = await access.credentials.authorization().then(
        () => assert.fail(`no error for ${Object.keys(options)}`),
        (error) => error,
      );
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, expected);
      assertNoSecret(renderings(error), [token, token.slice(8, 24)], "the error");
    }
  }
  // Nor when this Deno process may not read it: Deno's error, kept as the cause, names the path too.
  const token = `${CANARY}+(a|b)*$^[x]`;
  const refused = () =>
    Promise.reject(Object.assign(new Error(`Requires read access to "${token}"`), { name: "NotCapable" }));
  for (
    const [options, fallback] of [[{ server: "http://127.0.0.1:6443", tokenFile: token }, false], [
      { kubeconfig: { ...kubeconfigWith({}), users: [{ name: "u", user: { tokenFile: token, token: "inline-t" } }] } },
      true,
    ]] as [ClusterOptions, boolean][]
  ) {
    const access = await resolveClusterAccess(options, { env: () => undefined, readFile: refused });
    const error = await access.credentials.authorization().then(
      () => assert.fail(`no error${fallback ? ": the inline token was sent for a file Deno may not read" : ""}`),
      (error) => error,
    );
    assert.match(error.message, /\(\d+ characters, not shown: it may be a token\) cannot be read by this Deno process/);
    assertNoSecret(renderings(error), [token, CANARY], "the error");
  }
  // A file's path stays in the message.
  // Also a projected volume's timestamped folder, and a Windows share's (UNC) path, whose server's name (fileserver01)
  // is a part of 12 characters.
  for (
    const path of [
      "/var/run/secrets/token",
      "token",
      "secrets/dev-token.txt",
      "tokens/sa-token-20240101",
      "..2026_12_05_01_02_03.123456789/token",
      "\\\\fileserver01\\k8s\\token",
    ]
  ) {
    const access = await resolveClusterAccess(
      { server: "http://127.0.0.1:6443", tokenFile: path },
      { env: () => undefined, readFile: () => Promise.resolve(undefined) },
    );
    const named = path.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
    await assert.rejects(access.credentials.authorization(), new RegExp(`: ${named} does not exist: create it or fix`));
  }
});

Deno.test("a token given as any credential file's path never shows when no file has that name or Deno may not read it", async () => {
  // Tokens a path check alone let through: one after a "/", one ending like an extension, one without digits,
  // base64url cut by "-" and "_" into short parts, OpenShift's, and base64 with "/", "+" and "=".
  const tokens = [
    "/kgrXy3kP9qR2sT5uV8wZ1aB4cD6eF",
    "kgrXy3kP9qR2sT5uV8wZ1aB4cD6eF.Ab12",
    "kgrcanaryabcdefghijklmnopqrstuvwxyzQWERTY",
    "kgr-Xy3kP9qR2-sT5uV8wZ1_aB4cD6eF9-Qm",
    "sha256~kgrQ1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXcVbNm",
    "kgr/abc/def+ghi/jkl=",
    "kgrXy3kP9qR2sT5uV8wZ1/aB4cD6eF9Qm7x",
    // Short, of words and digits, with capitals: as the security pass's own canary.
    "kgr-SECRET-WRONG-tok777",
    // Of lower-case words and digits, 24 characters or more or a run of 8 digits: as Deno's and Bun's passes' canaries.
    "kgr-secret-token-deno-0123456789",
    "kgr-secret-token-bun-0123456789",
  ];
  const cert = await fixture("client.pem");
  const refused = (path: string) =>
    Promise.reject(Object.assign(new Error(`Requires read access to "${path}"`), { name: "NotCapable" }));
  const user = (fields: Record<string, unknown>) => ({
    ...kubeconfigWith({}),
    users: [{ name: "u", user: fields }],
  });
  for (const token of tokens) {
    const sources: [ClusterOptions, Record<string, string>][] = [
      [{ kubeconfig: token }, {}],
      [{}, { KUBECONFIG: token }],
      // In a list after a path: the list judged as one path looked past its last "/" only.
      [{}, { KUBECONFIG: `/home/me/.kube/config:${token}` }],
      [{ server: "http://127.0.0.1:6443", tokenFile: token }, {}],
      [{ server: "http://127.0.0.1:6443", cert, keyFile: token }, {}],
      [{ server: "http://127.0.0.1:6443", caFile: token }, {}],
      [{ kubeconfig: user({ tokenFile: token }) }, {}],
      [{ kubeconfig: user({ "client-certificate": token, "client-key": token }) }, {}],
      [{ kubeconfig: "/k/config" }, { kubeconfig: JSON.stringify(user({ "client-certificate": token })) }],
    ];
    for (const refuse of [false, true]) {
      for (const [options, variables] of sources) {
        // A kubeconfig file at /k/config (its text in variables.kubeconfig) names the token relative to its folder.
        const readFile = (path: string) =>
          path === "/k/config"
            ? Promise.resolve(variables.kubeconfig)
            : refuse
            ? refused(path)
            : Promise.resolve(undefined);
        const failure = await resolveClusterAccess(options, { env: (name) => variables[name], readFile })
          .then((access) => access.credentials.authorization())
          .then(() => assert.fail(`no error for ${token} in ${Object.keys({ ...options, ...variables })}`), (e) => e);
        assertNoSecret(renderings(failure), [token.slice(3, 20)], `the error for ${Object.keys(options)}`);
      }
    }
  }
  // Kubeconfig paths stay in the message, a CI runner's random folder too.
  for (
    const path of [
      "/home/me/.kube/config",
      "~/.kube/config",
      "clusters/prod-2024.yaml",
      "dev.kubeconfig",
      "/home/runner/work/_temp/3f2a1c9e-1b2c-4d5e-8f9a-0b1c2d3e4f5a/kubeconfig",
      // Names with capitals, or a long extension, that a recheck found hidden.
      "Kubeconfig",
      "kind-config-KinD",
      "AKS-prod.kubeconfig",
      // Short bare names with a digit.
      "config-2",
      "kubeconfig-v1",
      // Bare names of 16 characters or more with a digit, which a rule of 16 characters hid.
      "kubeconfig-prod-01",
      "staging-cluster-eu1",
      "kind-config-2024",
      "admin-kubeconfig2",
    ]
  ) {
    await assert.rejects(
      resolveClusterAccess({ kubeconfig: path }, { env: () => undefined, readFile: () => Promise.resolve(undefined) }),
      (error: Error) => error.message.includes(`kubeconfig ${path} (cluster.kubeconfig)`),
    );
  }
});

Deno.test("a token given as a token file's path keys the access's identity by its fingerprint, never as it is", async () => {
  // SECURITY.md: identities are compared by a fingerprint, never by the token; the path went into it as written.
  const token = "sha256~kgrQ1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXcVbNm";
  const none = { env: () => undefined, readFile: () => Promise.resolve(undefined) };
  const user = { ...kubeconfigWith({}), users: [{ name: "u", user: { tokenFile: token } }] };
  for (const options of [{ server: "http://127.0.0.1:6443", tokenFile: token }, { kubeconfig: user }]) {
    const access = await resolveClusterAccess(options as ClusterOptions, none);
    assert.ok(!access.identity.includes("kgrQ1w2"), access.identity);
  }
});

Deno.test("a credential file that exists is named whatever its name looks like: no token pasted in its place names one", async () => {
  // A mktemp-style name (random letters and digits) was hidden as a possible token while the file was there.
  const path = "/tmp/kubeconfig-Xy3kP9qR2sT5uV8wZ1aB";
  const denied = () => Promise.reject(Object.assign(new Error("permission denied"), { code: "EACCES" }));
  const notPem = () => Promise.resolve("not a certificate");
  const user = (fields: Record<string, unknown>) => ({ ...kubeconfigWith({}), users: [{ name: "u", user: fields }] });
  const server = "http://127.0.0.1:6443";
  const cases: [ClusterOptions, () => Promise<string | undefined>][] = [
    [{ server, tokenFile: path }, denied],
    [{ server, caFile: path }, denied],
    [{ server, caFile: path }, notPem],
    [{ kubeconfig: user({ "client-certificate": path, "client-key": path }) }, denied],
    [{ kubeconfig: user({ "client-certificate": path, "client-key": path }) }, notPem],
    // A kubeconfig that is a folder.
    [{ kubeconfig: path }, () => Promise.reject(Object.assign(new Error("is a folder"), { code: "EISDIR" }))],
  ];
  for (const [options, readFile] of cases) {
    const failure = await resolveClusterAccess(options, { env: () => undefined, readFile })
      .then((access) => access.credentials.authorization())
      .then(() => assert.fail("no error"), (e: Error) => e);
    assert.ok(failure.message.includes(path), failure.message);
  }
  // A name too long tells nothing of a file there: still judged.
  const tooLong = () => Promise.reject(Object.assign(new Error("name too long"), { code: "ENAMETOOLONG" }));
  const failure = await resolveClusterAccess({ server, tokenFile: path }, { env: () => undefined, readFile: tooLong })
    .then((access) => access.credentials.authorization())
    .then(() => assert.fail("no error"), (e: Error) => e);
  assert.ok(!failure.message.includes(path), failure.message);
});

// --- Exec plugins: the documented environment ---------------------------------

Deno.test("an exec plugin gets the process environment, its own env and KUBERNETES_EXEC_INFO, nothing else", async () => {
  const script = "process.stdout.write(JSON.stringify({apiVersion: 'client.authentication.k8s.io/v1', " +
    "kind: 'ExecCredential', status: {token: Buffer.from(JSON.stringify(process.env)).toString('base64')}}))";
  const credentials = execCredentials({
    apiVersion: "client.authentication.k8s.io/v1",
    command: "node",
    args: ["-e", script],
    env: [{ name: "KGR_PLUGIN_VAR", value: "from-kubeconfig" }],
  }, { run: runExecPlugin, timeoutMs: 20_000 });
  const header = await credentials.authorization();
  const seen = JSON.parse(atob(header!.slice("Bearer ".length))) as Record<string, string>;
  const parent = process.env as Record<string, string>;
  const added = ["KGR_PLUGIN_VAR", "KUBERNETES_EXEC_INFO"];
  assert.deepEqual(
    Object.keys(seen).filter((name) => !(name in parent) && !added.includes(name)),
    [],
    "variables the plugin got that nobody documented",
  );
  assert.deepEqual(Object.keys(parent).filter((name) => !(name in seen)), [], "variables the plugin lost");
  for (const name of Object.keys(parent)) if (!added.includes(name)) assert.equal(seen[name], parent[name], name);
  assert.equal(seen.KGR_PLUGIN_VAR, "from-kubeconfig");
  assert.deepEqual(JSON.parse(seen.KUBERNETES_EXEC_INFO), {
    apiVersion: "client.authentication.k8s.io/v1",
    kind: "ExecCredential",
    spec: { interactive: false },
  });
});

// --- Nothing written to disk ----------------------------------------------------

async function sourceFiles(folder: URL): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const url = new URL(entry.name + (entry.isDirectory() ? "/" : ""), folder);
    if (entry.isDirectory()) out.push(...await sourceFiles(url));
    else if (entry.name.endsWith(".ts")) out.push([url.pathname, await readFile(url, "utf8")]);
  }
  return out;
}

Deno.test("no source file outside the test server calls a file-writing API", async () => {
  const writing =
    /\b(writeFile|appendFile|createWriteStream|mkdir|mkdtemp|rename|unlink|rmdir|copyFile|symlink|truncate|writeTextFile|Bun\.write)\b|\bopen(Sync)?\([^)]*["'][wa+]/;
  for (const [path, text] of await sourceFiles(new URL("../src/", import.meta.url))) {
    const code = text.split("\n").filter((line) => !/^\s*(\*|\/\/|\/\*\*)/.test(line)).join("\n");
    assert.doesNotMatch(code, writing, path);
  }
});

boundedTest(
  "a full watch with a kubeconfig, a token file, a 401 and a re-read runs with file writes denied",
  60_000,
  async (defer) => {
    const api = await startTlsApi("first");
    defer(() => api.close());
    const folder = await mkdtemp(join(tmpdir(), "kgr-nowrite-"));
    defer(() => rm(folder, { recursive: true, force: true }));
    const tokenFile = join(folder, "token");
    await writeFile(tokenFile, "first\n");
    const kubeconfig = api.kubeconfig({ ca: await fixture("ca.pem"), namespace: "prod" }) as {
      users: { user: Record<string, unknown> }[];
    };
    kubeconfig.users[0].user = { tokenFile };
    const kubeconfigFile = join(folder, "config");
    await writeFile(kubeconfigFile, JSON.stringify(kubeconfig));
    const before = (await readdir(folder)).sort();

    // The child runs with Deno's permission system denying every write; it
    // first proves that a write does fail, then watches, then rotates the token.
    const child = spawn(Deno.execPath(), [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env",
      "--allow-sys",
      "--allow-net=127.0.0.1",
      new URL("./no_write_child.ts", import.meta.url).pathname,
      kubeconfigFile,
    ], { env: childEnv(), cwd: new URL("..", import.meta.url).pathname, stdio: ["ignore", "pipe", "pipe"] });
    defer(() => void child.kill("SIGKILL"));
    let output = "";
    child.stdout.on("data", (data) => {
      output += data;
      if (output.includes("watching") && !output.includes("rotated")) {
        // Rotate the token; the child gets a 401, re-reads the file (written by us, the parent) and sees a new pod.
        output += "rotated\n";
        api.setToken("second");
        void writeFile(tokenFile, "second\n").then(() => {
          api.dropWatches();
          api.applySlice(endpointSlice({
            namespace: "prod",
            service: "echo",
            port: { name: "grpc", port: 8080 },
            endpoints: [{ ip: "10.9.0.1", pod: "echo-0" }, { ip: "10.9.0.2", pod: "echo-1" }],
          }));
        });
      }
    });
    let errors = "";
    child.stderr.on("data", (data) => errors += data);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0, `child failed: ${output}\n${errors}`);
    assert.match(output, /write denied: NotCapable/);
    assert.match(output, /pods echo-0,echo-1\ndone\n/);
    assert.ok(
      api.requests.some((request) => request.status === 401),
      "the old token was refused, then the file re-read",
    );
    // Not just "401": a reported connection error names the server, whose random port may hold those digits.
    assert.doesNotMatch(output, /error: .*(\(401|credentials)/, "a 401 that a re-read fixes is not reported");
    assert.deepEqual((await readdir(folder)).sort(), before);
  },
);
