// A client certificate that expires against a real API server: a kubeconfig
// user whose client-certificate and client-key files are replaced before the
// old certificate expires (as cert-manager or a Vault agent do) keeps its watch
// once the API server refuses the old one, as client-go does by reading the
// files again. Needs the local control plane (its CA signs the certificates).
import assert from "node:assert/strict";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { recordEndpoints } from "./endpoint_recorder.ts";
import {
  applyEndpointSlice,
  createEndpointSliceReaderRole,
  createNamespace,
  createService,
  deleteNamespace,
  kubeRequest,
  READER_ROLE,
} from "./kube_objects.ts";
import { openTestCluster } from "./test_cluster.ts";

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

Deno.test({
  name: "a kubeconfig user's client certificate files, rotated before it expires, keep the watch going past its expiry",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await openTestCluster(log);
    const directory = await mkdtemp(join(tmpdir(), "kgr-e2e-certs-"));
    let namespace: string | undefined;
    const recorders: ReturnType<typeof recordEndpoints>[] = [];
    try {
      const controlPlane = cluster.controlPlane;
      if (!controlPlane) {
        await t.step({ name: "needs the local control plane", ignore: true, fn: () => {} });
        return;
      }
      const fetch = cluster.adminFetch;
      namespace = await createNamespace(fetch, "e2e-certs");
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
        applyEndpointSlice(fetch, namespace!, "echo", {
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
      const recorder = recordEndpoints(`kubernetes:///echo.${namespace}:grpc`, {
        cluster: { kubeconfig },
        backoff: { initialMs: 500, maxMs: 2000 },
      });
      recorders.push(recorder);
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
    } finally {
      await Promise.all(recorders.map((recorder) => recorder.stop()));
      if (namespace) await deleteNamespace(cluster.adminFetch, namespace).catch(() => {});
      await cluster.stop();
      await rm(directory, { recursive: true, force: true });
    }
  },
});
