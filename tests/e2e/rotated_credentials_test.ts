// Credentials that the real API server stops accepting while a watch runs: a
// client certificate that expires after its files were replaced (as
// cert-manager or a Vault agent do), and an exec plugin's token that is revoked
// while the plugin would now print another. Either way the watch goes on,
// without a 401 reported, as client-go's does. Needs the local control plane
// (its CA signs the certificates; the restarts make every request authenticate
// again, as the open watch was authenticated when it began).
import assert from "node:assert/strict";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordEndpoints } from "./endpoint_recorder.ts";
import {
  applyEndpointSlice,
  createEndpointSliceReaderRole,
  createNamespace,
  createSecret,
  createService,
  deleteNamespace,
  deleteSecret,
  kubeRequest,
  READER_ROLE,
  requestToken,
} from "./kube_objects.ts";
import { openTestCluster, readerSetup } from "./test_cluster.ts";

const log = (line: string) => console.log(`    [e2e] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const USER = "kgr-e2e-cert-user";

async function openssl(directory: string, ...args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command("openssl", { args, cwd: directory, stdout: "null" }).output();
  if (!success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
}

/** `openssl ca`'s time format: YYMMDDHHMMSSZ. */
const caTime = (ms: number) => new Date(ms).toISOString().replace(/^\d\d|[-:T]|\.\d+/g, "");

/** Issues `<name>.crt`/`<name>.key` in `directory` for USER, signed by the control plane's CA, valid until `until`. */
async function issue(directory: string, caDirectory: string, name: string, until: number): Promise<void> {
  await writeFile(join(directory, "index.txt"), "", { flag: "a" });
  await writeFile(join(directory, "serial"), `${Date.now().toString(16).padStart(12, "0")}\n`);
  await writeFile(
    join(directory, "ca.cnf"),
    `[ca]\ndefault_ca = e2e\n[e2e]\ndatabase = index.txt\nserial = serial\nnew_certs_dir = .\ndefault_md = sha256\n` +
      `policy = any\nunique_subject = no\nx509_extensions = client\n[any]\ncommonName = supplied\n` +
      `[client]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n` +
      `extendedKeyUsage = clientAuth\n`,
  );
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const request = ["-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${USER}`];
  await openssl(directory, "req", "-new", ...ec, ...request);
  await openssl(
    directory,
    ...["ca", "-batch", "-config", "ca.cnf", "-notext", "-in", `${name}.csr`, "-out", `${name}.crt`],
    ...["-cert", join(caDirectory, "ca.crt"), "-keyfile", join(caDirectory, "ca.key")],
    ...["-startdate", caTime(Date.now() - 60_000), "-enddate", caTime(until)],
  );
}

/** Puts a pair in place as rotating tools do: each file written aside, then renamed over the old one. */
async function install(directory: string, name: string): Promise<void> {
  for (const ext of ["crt", "key"]) {
    await Deno.copyFile(join(directory, `${name}.${ext}`), join(directory, `tls.${ext}.new`));
    await rename(join(directory, `tls.${ext}.new`), join(directory, `tls.${ext}`));
  }
}

/** What a test of this file works with: the cluster, a folder of its own, and what the cleanup stops or deletes. */
interface CredentialTest {
  cluster: Awaited<ReturnType<typeof openTestCluster>>;
  controlPlane: NonNullable<Awaited<ReturnType<typeof openTestCluster>>["controlPlane"]>;
  directory: string;
  /** Records a Service's endpoints with these options; stopped at the end. */
  record(target: string, options: Parameters<typeof recordEndpoints>[1]): ReturnType<typeof recordEndpoints>;
  /** Deletes this namespace at the end. */
  own(namespace: string): string;
}

/** A test that needs the local control plane (skipped without it), with its folder, recorders and namespace cleaned up. */
function credentialTest(name: string, folder: string, body: (test: CredentialTest) => Promise<void>): void {
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn(t) {
      const cluster = await openTestCluster(log);
      const directory = await mkdtemp(join(tmpdir(), folder));
      let namespace: string | undefined;
      const recorders: ReturnType<typeof recordEndpoints>[] = [];
      try {
        const controlPlane = cluster.controlPlane;
        if (!controlPlane) {
          await t.step({ name: "needs the local control plane", ignore: true, fn: () => {} });
          return;
        }
        await body({
          cluster,
          controlPlane,
          directory,
          record(target, options) {
            const recorder = recordEndpoints(target, options);
            recorders.push(recorder);
            return recorder;
          },
          own: (created) => namespace = created,
        });
      } finally {
        await Promise.all(recorders.map((recorder) => recorder.stop()));
        if (namespace) await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
        await cluster.stop();
        await rm(directory, { recursive: true, force: true });
      }
    },
  });
}

credentialTest(
  "a kubeconfig user's client certificate files, rotated before it expires, keep the watch going past its expiry",
  "kgr-e2e-certs-",
  async ({ cluster, controlPlane, directory, record, own }) => {
    const fetch = cluster.adminFetch;
    const namespace = own(await createNamespace(fetch, "e2e-certs"));
    await createService(fetch, namespace, "echo");
    await createEndpointSliceReaderRole(fetch, namespace);
    await kubeRequest(fetch, "POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: `${READER_ROLE}-${USER}` },
      subjects: [{ kind: "User", name: USER, apiGroup: "rbac.authorization.k8s.io" }],
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: READER_ROLE },
    });
    const slice = (count: number) =>
      applyEndpointSlice(fetch, namespace, "echo", {
        name: "echo-a",
        endpoints: Array.from({ length: count }, (_, i) => ({ addresses: [`10.21.0.${i + 1}`], pod: `p-${i}` })),
      });
    await slice(1);

    const expiresAt = Date.now() + 15_000;
    await issue(directory, controlPlane.dir, "first", expiresAt);
    await install(directory, "first");
    const kubeconfig = join(directory, "kubeconfig");
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "e2e",
        clusters: [{
          name: "e2e",
          cluster: { server: cluster.server, "certificate-authority": controlPlane.caFile },
        }],
        users: [{ name: "e2e", user: { "client-certificate": "tls.crt", "client-key": "tls.key" } }],
        contexts: [{ name: "e2e", context: { cluster: "e2e", user: "e2e", namespace } }],
      }),
    );
    const recorder = record(`kubernetes:///echo.${namespace}:grpc`, {
      cluster: { kubeconfig },
      backoff: { initialMs: 500, maxMs: 2000 },
    });
    await recorder.waitFor("1 endpoint", (s) => s.endpoints.length === 1);

    await issue(directory, controlPlane.dir, "second", Date.now() + 86_400_000);
    await install(directory, "second");
    await sleep(Math.max(0, expiresAt - Date.now()) + 1500);
    // The open watch was authenticated when it began: a restart makes every request authenticate again.
    await controlPlane.killApiServer();
    await controlPlane.startApiServer();
    const restarted = Date.now();
    await slice(2);
    const converged = await recorder.waitFor(
      "2 endpoints with the rotated certificate",
      (s) => s.endpoints.length === 2,
    );
    const refused = recorder.errors.filter((e) => /\b401\b/.test(e.error.message)).map((e) => e.error.message);
    assert.deepEqual(refused, [], "the expired certificate's 401 is retried at once with the new files");
    log(`converged ${converged.at - restarted} ms after the restart`);
  },
);

credentialTest(
  "an exec plugin's token revoked under a watch: the plugin runs again after the 401 and the watch goes on",
  "kgr-e2e-exec-",
  async ({ cluster, controlPlane, directory, record, own }) => {
    const fetch = cluster.adminFetch;
    const namespace = own((await readerSetup(cluster, "e2e-exec")).namespace);
    const slice = (count: number) =>
      applyEndpointSlice(fetch, namespace, "echo", {
        name: "echo-a",
        endpoints: Array.from({ length: count }, (_, i) => ({ addresses: [`10.22.0.${i + 1}`], pod: `p-${i}` })),
      });
    await slice(1);
    // The plugin prints whatever token the file holds, valid for an hour by its own account, and counts its runs.
    const tokenFile = join(directory, "token");
    const writeToken = async (token: string) => {
      await writeFile(`${tokenFile}.new`, token);
      await rename(`${tokenFile}.new`, tokenFile);
    };
    const plugin = join(directory, "plugin.sh");
    await writeFile(
      plugin,
      `#!/bin/sh
echo run >> "${directory}/runs"
` +
        `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",` +
        `"status":{"token":"%s","expirationTimestamp":"%s"}}' "$(cat "${tokenFile}")" ` +
        `"${new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, "Z")}"
`,
    );
    await Deno.chmod(plugin, 0o755);
    const runs = async () => (await Deno.readTextFile(join(directory, "runs"))).trim().split("\n").length;
    await writeToken(
      await requestToken(fetch, namespace, "reader", { boundSecret: await createSecret(fetch, namespace, "a") }),
    );
    const kubeconfig = {
      "current-context": "e2e",
      clusters: [{ name: "e2e", cluster: { server: cluster.server, "certificate-authority": controlPlane.caFile } }],
      users: [{ name: "e2e", user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin } } }],
      contexts: [{ name: "e2e", context: { cluster: "e2e", user: "e2e", namespace } }],
    };
    const recorder = record(`kubernetes:///echo.${namespace}:grpc`, {
      cluster: { kubeconfig },
      backoff: { initialMs: 500, maxMs: 2000 },
    });
    await recorder.waitFor("1 endpoint", (s) => s.endpoints.length === 1);
    assert.equal(await runs(), 1, "the token is cached until it expires");

    await writeToken(
      await requestToken(fetch, namespace, "reader", { boundSecret: await createSecret(fetch, namespace, "b") }),
    );
    await deleteSecret(fetch, namespace, "a"); // Revokes the first token.
    await controlPlane.killApiServer();
    await controlPlane.startApiServer();
    const restarted = Date.now();
    await slice(2);
    const converged = await recorder.waitFor("2 endpoints with the new token", (s) => s.endpoints.length === 2);
    const refused = recorder.errors.filter((e) => /\b401\b/.test(e.error.message)).map((e) => e.error.message);
    assert.deepEqual(refused, [], "the revoked token's 401 is retried at once with the plugin's new one");
    assert.equal(await runs(), 2, "the plugin ran again once, after the 401");
    log(`converged ${converged.at - restarted} ms after the restart`);
  },
);
