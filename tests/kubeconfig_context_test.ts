import assert from "node:assert/strict";
import { stringify } from "yaml";
import { accessFromKubeconfig } from "../src/cluster/kubeconfig_context.ts";
import { inFlagTerms } from "../src/cli/flag_terms.ts";
import { loadKubeconfigFiles, mergeKubeconfigs } from "../src/cluster/kubeconfig_load.ts";
import type { KubeconfigObject, MergedKubeconfig } from "../src/cluster/kubeconfig_schema.ts";
import { type ExecPluginRequest, stdinIsTerminal } from "../src/runtime/exec_plugin.ts";
import { readTextFile } from "../src/runtime/files.ts";
import { rejectsConfig } from "./_assert_config_error.ts";
import { config, noExec } from "./_kubeconfig_object.ts";
import { tempDir } from "./_temp_dir.ts";

const CA = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";
const OTHER_CA = "-----BEGIN CERTIFICATE-----\nb3RoZXI=\n-----END CERTIFICATE-----\n";
const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));
const CERT = await fixture("client.pem");
const KEY = await fixture("client-key.pem");

function base64(text: string): string {
  return btoa(text);
}

function fromObject(object: KubeconfigObject, context?: string) {
  return accessFromKubeconfig(mergeKubeconfigs([{ config: object }]), {
    readFile: readTextFile,
    runExecPlugin: noExec,
    ...(context ? { context } : {}),
  });
}

async function fromFiles(paths: string[], context?: string) {
  const { merged } = await loadKubeconfigFiles(paths, readTextFile);
  return await accessFromKubeconfig(merged, {
    readFile: readTextFile,
    runExecPlugin: noExec,
    ...(context ? { context } : {}),
  });
}

Deno.test("accessFromKubeconfig() resolves relative paths against the folder of the file that holds them", async () => {
  await using dir = await tempDir("kgr-kubeconfig-context-");
  await Deno.mkdir(`${dir.path}/one/certs`, { recursive: true });
  await Deno.mkdir(`${dir.path}/two/secrets`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/one/certs/ca.crt`, CA);
  await Deno.writeTextFile(`${dir.path}/two/secrets/client.crt`, CERT);
  await Deno.writeTextFile(`${dir.path}/two/secrets/client.key`, KEY);
  await Deno.writeTextFile(`${dir.path}/two/secrets/token`, "file-token\n");
  await Deno.writeTextFile(
    `${dir.path}/one/config`,
    stringify({
      "current-context": "ctx",
      clusters: [{
        name: "c",
        cluster: {
          server: "https://k.example",
          "certificate-authority": "certs/ca.crt",
        },
      }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    }),
  );
  await Deno.writeTextFile(
    `${dir.path}/two/config`,
    stringify({
      users: [{
        name: "u",
        user: {
          "client-certificate": "secrets/client.crt",
          "client-key": "./secrets/client.key",
          tokenFile: "secrets/token",
        },
      }],
    }),
  );
  const access = await fromFiles([`${dir.path}/one/config`, `${dir.path}/two/config`]);
  assert.equal(access.tls.ca, CA);
  assert.equal(
    access.tls.caSource,
    `certificate-authority ${dir.path}/one/certs/ca.crt`,
  );
  assert.equal(access.tls.cert, CERT);
  assert.equal(access.tls.key, KEY);
  assert.equal(await access.credentials.authorization(), "Bearer file-token");
  assert.equal(
    access.user,
    `user "u" of ${dir.path}/two/config (token file ${dir.path}/two/secrets/token + client certificate file ${dir.path}/two/secrets/client.crt)`,
  );
});

/** Access from a merged kubeconfig whose exec plugin answers with the token "t"; the plugin's requests, in order. */
async function accessWithTokenPlugin(merged: MergedKubeconfig) {
  const requests: ExecPluginRequest[] = [];
  const access = await accessFromKubeconfig(merged, {
    readFile: readTextFile,
    runExecPlugin: (request) => {
      requests.push(request);
      const status = { token: "t" };
      const stdout = JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status });
      return Promise.resolve({ ok: true, stderr: "", stdout });
    },
  });
  assert.equal(await access.credentials.authorization(), "Bearer t");
  return requests;
}

Deno.test("accessFromKubeconfig() resolves an exec command with a slash against the kubeconfig's folder", async () => {
  await using dir = await tempDir("kgr-kubeconfig-context-");
  await Deno.writeTextFile(
    `${dir.path}/config`,
    stringify(config({}, {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: "bin/plugin",
        interactiveMode: "Never",
      },
    })),
  );
  const { merged } = await loadKubeconfigFiles([`${dir.path}/config`], readTextFile);
  const requests = await accessWithTokenPlugin(merged);
  assert.equal(requests[0].command, `${dir.path}/bin/plugin`);
});

Deno.test("accessFromKubeconfig() sends the server as written and a null config to a plugin, as kubectl", async () => {
  const object = config({ server: "https://k.example:6443/", "insecure-skip-tls-verify": true }, {
    exec: { apiVersion: "client.authentication.k8s.io/v1", command: "plugin", provideClusterInfo: true },
  });
  const requests = await accessWithTokenPlugin(mergeKubeconfigs([{ config: object as KubeconfigObject }]));
  // What kubectl 1.36 sent for this cluster.
  assert.deepEqual(JSON.parse(requests[0].env.KUBERNETES_EXEC_INFO).spec.cluster, {
    server: "https://k.example:6443/",
    "insecure-skip-tls-verify": true,
    config: null,
  });
});

Deno.test("accessFromKubeconfig() sets an exec env entry without a value to the empty string, as kubectl does", async () => {
  const object = config({}, {
    exec: {
      apiVersion: "client.authentication.k8s.io/v1",
      command: "plugin",
      env: [{ name: "A" }, { name: "B", value: null }],
    },
  });
  const requests = await accessWithTokenPlugin(mergeKubeconfigs([{ config: object as KubeconfigObject }]));
  assert.equal(requests[0].env.A, "");
  assert.equal(requests[0].env.B, "");
});

Deno.test("accessFromKubeconfig() takes client keys in PKCS#1, SEC1 and PKCS#8 form", async () => {
  const pairs = [["client.pem", "client-key.pem"], ["client.pem", "client-key-pkcs1.pem"], [
    "client-ec.pem",
    "client-ec-key.pem",
  ]];
  for (const [certName, keyName] of pairs) {
    const [cert, key] = await Promise.all([fixture(certName), fixture(keyName)]);
    const access = await fromObject(config({}, {
      "client-certificate-data": base64(cert),
      "client-key-data": base64(key),
    }));
    assert.equal(access.tls.key, key);
  }
});

Deno.test("accessFromKubeconfig() takes a key after its EC PARAMETERS, and one PEM file as both halves, as kubectl", async () => {
  // `openssl ecparam -genkey -name prime256v1` without -noout writes the curve's block before the key.
  const parameters = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
  const [ecCert, ecKey] = await Promise.all([fixture("client-ec.pem"), fixture("client-ec-key.pem")]);
  const withParameters = await fromObject(config({}, {
    "client-certificate-data": base64(ecCert),
    "client-key-data": base64(parameters + ecKey),
  }));
  assert.equal(withParameters.tls.key?.trim(), ecKey.trim(), "the key block alone goes to TLS");
  for (const both of [CERT + KEY, KEY + CERT]) {
    const access = await fromObject(config({}, {
      "client-certificate-data": base64(both),
      "client-key-data": base64(both),
    }));
    assert.equal(access.tls.cert?.trim(), CERT.trim());
    assert.equal(access.tls.key?.trim(), KEY.trim());
  }
});

Deno.test("accessFromKubeconfig() refuses a client key that is not the certificate's, naming both fields", async () => {
  const [ecCert, otherKey] = await Promise.all([fixture("client-ec.pem"), fixture("server-key.pem")]);
  await using dir = await tempDir("kgr-kubeconfig-context-");
  await Deno.writeTextFile(`${dir.path}/client.crt`, CERT);
  await Deno.writeTextFile(`${dir.path}/client.key`, otherKey);
  await Deno.writeTextFile(
    `${dir.path}/config`,
    stringify(config({}, { "client-certificate": "client.crt", "client-key": "client.key" })),
  );
  const error = await rejectsConfig(fromFiles([`${dir.path}/config`]), {
    message: new RegExp(
      `^Cannot load kubeconfig ${dir.path}/config: users\\[0\\]\\.user\\.client-key ${dir.path}/client\\.key does not match ` +
        `users\\[0\\]\\.user\\.client-certificate ${dir.path}/client\\.crt: both are RSA 2048-bit keys, but not the same key: ` +
        "use the key the certificate was issued for$",
    ),
    file: `${dir.path}/config`,
    field: "users[0].user.client-key",
  });
  assert.ok(!error.message.includes(otherKey.split("\n")[5]));
  await rejectsConfig(
    fromObject(config({}, { "client-certificate-data": base64(ecCert), "client-key-data": base64(KEY) })),
    {
      message:
        /users\[0\]\.user\.client-key-data does not match users\[0\]\.user\.client-certificate-data: the key is an RSA 2048-bit key, but the certificate holds an EC P-256 public key/,
      field: "users[0].user.client-key-data",
    },
  );
});

Deno.test("accessFromKubeconfig() takes an X.509 v1 client certificate, as kubectl does", async () => {
  await using dir = await tempDir("kgr-kubeconfig-context-");
  await Deno.writeTextFile(`${dir.path}/client.crt`, await fixture("client-v1.pem"));
  await Deno.writeTextFile(`${dir.path}/client.key`, KEY);
  await Deno.writeTextFile(
    `${dir.path}/config`,
    stringify(config({}, { "client-certificate": "client.crt", "client-key": "client.key" })),
  );
  const access = await fromFiles([`${dir.path}/config`]);
  assert.match(access.tls.cert ?? "", /BEGIN CERTIFICATE/);
});

Deno.test("accessFromKubeconfig() refuses a client certificate or key that cannot be read", async () => {
  const notAKey = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
  const notACert = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
  await rejectsConfig(
    fromObject(config({}, { "client-certificate-data": base64(CERT), "client-key-data": base64(notAKey) })),
    {
      message:
        /users\[0\]\.user\.client-key-data is not a readable private key: it must be an unencrypted PEM key \(PKCS#1 RSA, SEC1 EC or PKCS#8\)$/,
      field: "users[0].user.client-key-data",
    },
  );
  await rejectsConfig(
    fromObject(config({}, { "client-certificate-data": base64(notACert), "client-key-data": base64(KEY) })),
    {
      message: /users\[0\]\.user\.client-certificate-data is not a readable X\.509 certificate/,
      field: "users[0].user.client-certificate-data",
    },
  );
});

Deno.test("accessFromKubeconfig() uses the runtime's default CA roots when no CA is configured", async () => {
  const access = await fromObject(config({}));
  assert.equal(access.tls.ca, undefined);
  assert.equal(access.tls.caSource, "the runtime's default CA roots");
  assert.equal(access.user, "anonymous");
});

Deno.test("accessFromKubeconfig() skips TLS verification only when insecure-skip-tls-verify is explicitly true", async () => {
  assert.equal(
    (await fromObject(config({}))).tls.insecureSkipVerify,
    undefined,
  );
  assert.equal(
    (await fromObject(config({ "insecure-skip-tls-verify": false }))).tls
      .insecureSkipVerify,
    undefined,
  );
  const insecure = await fromObject(
    config({ "insecure-skip-tls-verify": true }),
  );
  assert.equal(insecure.tls.insecureSkipVerify, true);
  assert.match(insecure.tls.caSource, /^no verification/);
  await rejectsConfig(
    fromObject(config({ "insecure-skip-tls-verify": "true" })),
    {
      message: /clusters\[0\]\.cluster\.insecure-skip-tls-verify must be true or false: current type is string/,
    },
  );
});

Deno.test("accessFromKubeconfig() rejects insecure-skip-tls-verify together with a CA, as kubectl does", async () => {
  await rejectsConfig(
    fromObject(
      config({
        "insecure-skip-tls-verify": true,
        "certificate-authority-data": base64(OTHER_CA),
      }),
    ),
    {
      message: /sets both insecure-skip-tls-verify and a certificate authority/,
    },
  );
});

Deno.test("accessFromKubeconfig() rejects a file and data for the same certificate or key, as kubectl does", async () => {
  await rejectsConfig(
    fromObject(config({ "certificate-authority": "/tmp/ca.crt", "certificate-authority-data": base64(OTHER_CA) })),
    {
      message: /clusters\[0\]\.cluster sets both certificate-authority and certificate-authority-data: keep one/,
      field: "clusters[0].cluster.certificate-authority",
    },
  );
  for (const name of ["client-certificate", "client-key"]) {
    await rejectsConfig(
      fromObject(config({}, {
        "client-certificate-data": base64(CERT),
        "client-key-data": base64(KEY),
        [name]: "/tmp/client.pem",
      })),
      {
        message: new RegExp(`users\\[0\\]\\.user sets both ${name} and ${name}-data: keep one`),
        field: `users[0].user.${name}`,
      },
    );
  }
});

Deno.test("accessFromKubeconfig() passes tls-server-name and proxy-url through", async () => {
  const access = await fromObject(
    config({
      "tls-server-name": "kubernetes.default",
      "proxy-url": "http://proxy:3128",
    }),
  );
  assert.equal(access.tls.serverName, "kubernetes.default");
  assert.equal(access.proxyUrl, "http://proxy:3128");
});

Deno.test("accessFromKubeconfig() uses options.context over current-context", async () => {
  const object = config({});
  object.contexts!.push({
    name: "other",
    context: { cluster: "c", namespace: "elsewhere" },
  });
  const access = await fromObject(object, "other");
  assert.equal(access.origin.context, "other");
  assert.equal(access.namespace, "elsewhere");
  assert.equal(
    access.source,
    'the kubeconfig object given as cluster.kubeconfig (context "other")',
  );
});

Deno.test("accessFromKubeconfig() reads tokenFile in preference to token", async () => {
  await using dir = await tempDir("kgr-kubeconfig-context-");
  await Deno.writeTextFile(`${dir.path}/token`, "from-file");
  const access = await fromObject(
    config({}, { token: "inline", tokenFile: `${dir.path}/token` }),
  );
  assert.equal(await access.credentials.authorization(), "Bearer from-file");
});

Deno.test("accessFromKubeconfig() falls back to token while tokenFile cannot be read, as kubectl does", async () => {
  await using dir = await tempDir("kgr-kubeconfig-context-");
  const access = await fromObject(
    config({}, { token: "inline", tokenFile: `${dir.path}/token` }),
  );
  assert.equal(await access.credentials.authorization(), "Bearer inline");
  await Deno.writeTextFile(`${dir.path}/token`, "from-file");
  assert.equal(await access.credentials.authorization(), "Bearer from-file");
});

Deno.test("accessFromKubeconfig() supports basic auth with username and password", async () => {
  const access = await fromObject(
    config({}, { username: "admin", password: "pw" }),
  );
  assert.equal(
    await access.credentials.authorization(),
    `Basic ${btoa("admin:pw")}`,
  );
  await rejectsConfig(fromObject(config({}, { username: "admin" })), {
    message: /users\[0\]\.user has username but no password: set both for basic auth/,
    field: "users[0].user.password",
  });
  await rejectsConfig(
    fromObject(config({}, { username: "admin", password: "pw", token: "t" })),
    {
      message: /sets both username\/password and a token/,
    },
  );
});

Deno.test("accessFromKubeconfig() ignores the exec plugin when the user also has a token", async () => {
  const access = await fromObject(config({}, {
    token: "static",
    exec: {
      apiVersion: "client.authentication.k8s.io/v1",
      command: "never-run",
      interactiveMode: "Always",
    },
  }));
  assert.equal(await access.credentials.authorization(), "Bearer static");
});

Deno.test("accessFromKubeconfig() ignores unknown fields", async () => {
  const object = config({ "future-field": { a: 1 } }, {
    token: "t",
    "another-field": [1, 2],
  }, { extra: true });
  object.preferences = { colors: true };
  object.extensions = [{ name: "x", extension: {} }];
  const access = await fromObject(object);
  assert.equal(await access.credentials.authorization(), "Bearer t");
});

Deno.test("accessFromKubeconfig() rejects bad base64 in client-key-data, naming the file and field", async () => {
  await using dir = await tempDir("kgr-kubeconfig-context-");
  await Deno.writeTextFile(
    `${dir.path}/config`,
    stringify(
      config({}, {
        "client-certificate-data": base64(CERT),
        "client-key-data": "not*base64!",
      }),
    ),
  );
  const error = await rejectsConfig(fromFiles([`${dir.path}/config`]), {
    message: new RegExp(
      `^Cannot load kubeconfig ${dir.path}/config: users\\[0\\]\\.user\\.client-key-data is not valid base64`,
    ),
    file: `${dir.path}/config`,
    field: "users[0].user.client-key-data",
  });
  assert.ok(!error.message.includes("not*base64!"));
});

Deno.test("accessFromKubeconfig() rejects PEM pasted into a -data field", async () => {
  await rejectsConfig(
    fromObject(config({ "certificate-authority-data": CA })),
    {
      message: /certificate-authority-data holds PEM text, but it must be base64 of the PEM/,
      field: "clusters[0].cluster.certificate-authority-data",
    },
  );
});

Deno.test("accessFromKubeconfig() rejects base64 that does not decode to PEM", async () => {
  await rejectsConfig(
    fromObject(config({ "certificate-authority-data": base64("just text") })),
    {
      message: /does not decode to PEM/,
    },
  );
});

Deno.test("accessFromKubeconfig() rejects a missing certificate-authority file", async () => {
  await using dir = await tempDir("kgr-kubeconfig-context-");
  await Deno.writeTextFile(
    `${dir.path}/config`,
    stringify(config({ "certificate-authority": "ca.crt" })),
  );
  await rejectsConfig(fromFiles([`${dir.path}/config`]), {
    message: new RegExp(
      `certificate-authority names ${dir.path}/ca.crt, which does not exist`,
    ),
    file: `${dir.path}/config`,
    field: "clusters[0].cluster.certificate-authority",
  });
});

Deno.test("accessFromKubeconfig() rejects a client certificate without a key", async () => {
  await rejectsConfig(
    fromObject(config({}, { "client-certificate-data": base64(CERT) })),
    {
      message: /has a client certificate but no client-key or client-key-data: set both/,
      field: "users[0].user.client-key",
    },
  );
});

Deno.test("accessFromKubeconfig() rejects a current-context that names nothing", async () => {
  const object = config({});
  object["current-context"] = "gone";
  await rejectsConfig(fromObject(object), {
    message: /current-context "gone" names no context: use one of "ctx"/,
    field: "current-context",
  });
});

Deno.test("accessFromKubeconfig() rejects a kubeconfig without current-context", async () => {
  const object = config({});
  delete object["current-context"];
  await rejectsConfig(fromObject(object), {
    message: /current-context is not set: pass cluster.context or run `kubectl config use-context NAME`/,
  });
});

Deno.test("accessFromKubeconfig() uses an entry without a name where a name is not set, as kubectl does", async () => {
  // kubectl v1.36.3 files such an entry under the name "": a context without a user sent that user's token, one
  // without a cluster, or no current-context at all, reached that cluster (checked with -v=9 on each shape below).
  const token = async (access: { credentials: { authorization(): Promise<string | undefined> } }) =>
    await access.credentials.authorization();
  const cluster = (server: string) => ({ server, "insecure-skip-tls-verify": true });
  const noUser = await fromObject({
    "current-context": "dev",
    clusters: [{ name: "c", cluster: cluster("https://one.example") }],
    contexts: [{ name: "dev", context: { cluster: "c" } }],
    users: [{ user: { token: "unnamed" } } as never],
  });
  assert.equal(await token(noUser), "Bearer unnamed");
  const noCluster = await fromObject({
    "current-context": "dev",
    clusters: [{ cluster: cluster("https://two.example") } as never],
    contexts: [{ name: "dev", context: { user: "u" } }],
    users: [{ name: "u", user: { token: "named" } }],
  });
  assert.equal(noCluster.server, "https://two.example");
  assert.equal(await token(noCluster), "Bearer named");
  const noCurrent = await fromObject({
    clusters: [{ name: "c", cluster: cluster("https://three.example") }],
    contexts: [{ context: { cluster: "c", user: "u" } } as never],
    users: [{ name: "u", user: { token: "named" } }],
  });
  assert.equal(noCurrent.server, "https://three.example");
  const noContext = await fromObject({
    clusters: [{ cluster: cluster("https://four.example") } as never],
    users: [{ user: { token: "unnamed" } } as never],
  });
  assert.equal(noContext.server, "https://four.example");
  assert.equal(await token(noContext), "Bearer unnamed");
  // Without an entry to use, a context without a user is anonymous, as before.
  const anonymous = await fromObject(config({}));
  assert.equal(anonymous.user, "anonymous");
});

Deno.test("accessFromKubeconfig() says that the only context has no name when current-context names another", async () => {
  // kubectl v1.36.3: "context was not found for specified context: x"; it uses the context without a name only
  // when no current-context is set. Ours said "the kubeconfig defines no contexts".
  const object = {
    "current-context": "x",
    clusters: [{ name: "c", cluster: { server: "https://one.example" } }],
    contexts: [{ context: { cluster: "c" } } as never],
  };
  await rejectsConfig(fromObject(object), {
    message: new RegExp(
      'current-context "x" names no context: the kubeconfig\'s only context has no name, which kubectl uses only ' +
        "when no current-context is set: run `kubectl config unset current-context`, or name that context",
    ),
    field: "current-context",
  });
  await rejectsConfig(fromObject(object, "other"), {
    message: /context "other" from cluster.context is not defined: the kubeconfig's only context has no name/,
    field: "cluster.context",
  });
});

Deno.test("a cluster.context where the only context has no name says, in the CLI's terms too, to leave it out", async () => {
  // kgr-resolver --context x printed "... and leave cluster.context out" (a name its flags do not have), and told to
  // unset a current-context that the kubeconfig did not set.
  const unnamedOnly = {
    clusters: [{ name: "c", cluster: { server: "https://one.example" } }],
    contexts: [{ context: { cluster: "c" } } as never],
  };
  const messageOf = (promise: Promise<unknown>) => promise.then(() => "", (error: Error) => inFlagTerms(error.message));
  assert.match(
    await messageOf(fromObject(unnamedOnly, "x")),
    /context "x" from --context is not defined: the kubeconfig's only context has no name, which is used only without --context: leave it out, or name that context$/,
  );
  assert.match(
    await messageOf(fromObject({ ...unnamedOnly, "current-context": "y" }, "x")),
    /: the kubeconfig's only context has no name, which is used only without --context and with no current-context \(run `kubectl config unset current-context`\): leave it out, or name that context$/,
  );
});

Deno.test("accessFromKubeconfig() rejects an unknown options.context", async () => {
  await rejectsConfig(fromObject(config({}), "nope"), {
    message: /context "nope" from cluster.context is not defined: use one of "ctx"/,
    field: "cluster.context",
  });
});

Deno.test("accessFromKubeconfig() rejects a context whose cluster or user is not defined", async () => {
  await rejectsConfig(
    fromObject(config({}, undefined, { cluster: "missing" })),
    {
      message: /contexts\[0\]\.context\.cluster names cluster "missing", which is not defined/,
      field: "contexts[0].context.cluster",
    },
  );
  await rejectsConfig(fromObject(config({}, undefined, { user: "ghost" })), {
    message: /contexts\[0\]\.context\.user names user "ghost", which is not defined/,
    field: "contexts[0].context.user",
  });
});

Deno.test("accessFromKubeconfig() rejects a cluster without a server or with a bad one", async () => {
  await rejectsConfig(fromObject(config({ server: undefined })), {
    message: /clusters\[0\]\.cluster\.server is not set/,
  });
  await rejectsConfig(fromObject(config({ server: "ftp://k.example" })), {
    message: /clusters\[0\]\.cluster\.server must start with https:\/\/ or http:\/\//,
  });
  const error = await rejectsConfig(
    fromObject(config({ server: "https://user:hunter2@k.example" })),
    {
      message: /must not hold a user name or password/,
    },
  );
  assert.ok(!error.message.includes("hunter2"));
});

Deno.test("accessFromKubeconfig() never prints a field value of the wrong type", async () => {
  const error = await rejectsConfig(
    fromObject(config({}, { token: 123456789 })),
    {
      message: /users\[0\]\.user\.token must be a string: current type is number/,
    },
  );
  assert.ok(!error.message.includes("123456789"));
});

Deno.test("accessFromKubeconfig() rejects auth-provider clearly", async () => {
  await rejectsConfig(
    fromObject(config({}, { "auth-provider": { name: "gcp", config: {} } })),
    {
      message: /auth-provider is not supported .*use an exec plugin/,
      field: "users[0].user.auth-provider",
    },
  );
});

Deno.test("accessFromKubeconfig() reads impersonation as kubectl does", async () => {
  const user = {
    token: "t",
    as: "jane",
    "as-uid": "1234",
    "as-groups": ["dev", "a, b"],
    "as-user-extra": { "example.com/team": ["x", "y"], empty: [] },
  };
  assert.deepEqual((await fromObject(config({}, user))).impersonate, {
    user: "jane",
    uid: "1234",
    groups: ["dev", "a, b"],
    extra: { "example.com/team": ["x", "y"] },
  });
  // An empty `as` with nothing else is no impersonation, as in kubectl.
  assert.equal((await fromObject(config({}, { token: "t", as: "", "as-groups": [] }))).impersonate, undefined);
  await rejectsConfig(fromObject(config({}, { token: "t", "as-groups": ["dev"], "as-uid": "1" })), {
    message: /users\[0\]\.user sets as-uid and as-groups but not as: name the user to impersonate in as/,
    field: "users[0].user.as-uid",
  });
  // Three read "a, b and c" (they read "as-uid and as-groups and as-user-extra").
  const three = { token: "t", "as-uid": "1", "as-groups": ["dev"], "as-user-extra": { team: ["x"] } };
  await rejectsConfig(fromObject(config({}, three)), {
    message: /users\[0\]\.user sets as-uid, as-groups and as-user-extra but not as: name the user to impersonate in as/,
  });
  await rejectsConfig(fromObject(config({}, { token: "t", as: "jane", "as-groups": "dev" })), {
    message: /users\[0\]\.user\.as-groups must be a list of strings: current type is string/,
  });
  // kubectl sends it as UTF-8; not all the runtimes' clients can (Deno's TLS sockets write UTF-8, Node a byte each).
  await rejectsConfig(fromObject(config({}, { token: "t", as: "jane", "as-groups": ["équipe"] })), {
    message: /users\[0\]\.user\.as-groups\[0\] holds characters beyond ASCII, which this library cannot send/,
    field: "users[0].user.as-groups[0]",
  });
  await rejectsConfig(fromObject(config({}, { token: "t", as: "jane\r\nx-evil: 1" })), {
    message: /users\[0\]\.user\.as holds a line break or another control character/,
    field: "users[0].user.as",
  });
});

Deno.test("accessFromKubeconfig() rejects an exec plugin that needs a terminal or an old apiVersion", async () => {
  await rejectsConfig(
    fromObject(config({}, {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: "login",
        interactiveMode: "Always",
      },
    })),
    {
      message: /exec\.interactiveMode is "Always", but a resolver has no terminal/,
      field: "users[0].user.exec.interactiveMode",
    },
  );
  await rejectsConfig(
    fromObject(
      config({}, {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1alpha1",
          command: "x",
        },
      }),
    ),
    {
      message: /exec\.apiVersion must be one of .*current value is "client.authentication.k8s.io\/v1alpha1"/,
    },
  );
  await rejectsConfig(
    fromObject(
      config({}, { exec: { apiVersion: "client.authentication.k8s.io/v1" } }),
    ),
    {
      message: /exec\.command is not set/,
    },
  );
  await rejectsConfig(
    fromObject(config({}, {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: "x",
        env: [{ name: "A", value: 5 }],
      },
    })),
    { message: /exec\.env\[0\] must have a string name and a string value/ },
  );
});

Deno.test("accessFromKubeconfig() leaves a plugin that must ask to its run when the process offers its terminal", async () => {
  const requests: ExecPluginRequest[] = [];
  const object = config({}, {
    exec: { apiVersion: "client.authentication.k8s.io/v1", command: "login", interactiveMode: "Always" },
  });
  // As the CLI reads it: not refused at once, as for a resolver, but when the plugin runs, as kubectl does.
  const access = await accessFromKubeconfig(mergeKubeconfigs([{ config: object }]), {
    readFile: readTextFile,
    execStdin: "terminal",
    runExecPlugin(request) {
      requests.push(request);
      const status = { token: "t" };
      const stdout = JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status });
      return Promise.resolve({ ok: true, stderr: "", stdout });
    },
  });
  if (stdinIsTerminal()) {
    assert.equal(await access.credentials.authorization(), "Bearer t");
    assert.equal(requests[0].terminal, true);
  } else {
    await rejectsConfig(access.credentials.authorization(), {
      message: /interactiveMode is "Always", but standard input is not a terminal that it could ask on/,
      field: "users[0].user.exec",
    });
    assert.equal(requests.length, 0);
  }
});
