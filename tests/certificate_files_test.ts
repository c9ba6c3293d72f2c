import assert from "node:assert/strict";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import type { ClusterOptions } from "../src/cluster/types.ts";
import { config } from "./_kubeconfig_object.ts";
import { fakeEnvironment } from "./_cluster_environment.ts";

const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));
const RSA = { cert: await fixture("client.pem"), key: await fixture("client-key.pem") };
const EC = { cert: await fixture("client-ec.pem"), key: await fixture("client-ec-key.pem") };

/** Cluster access whose client certificate comes from /certs/tls.crt and /certs/tls.key, on a fake clock. */
async function rotatingAccess(options: ClusterOptions) {
  const files: Record<string, string> = { "/certs/tls.crt": RSA.cert, "/certs/tls.key": RSA.key };
  let now = 1_000_000;
  const access = await resolveClusterAccess(
    options,
    fakeEnvironment({}, files, { now: () => now }),
  );
  const rotate = (pair: { cert: string; key: string }) => {
    files["/certs/tls.crt"] = pair.cert;
    files["/certs/tls.key"] = pair.key;
  };
  return { access, files, rotate, advance: (ms: number) => void (now += ms) };
}

const FILE_OPTIONS: Record<string, ClusterOptions> = {
  "a kubeconfig user's client-certificate and client-key": {
    kubeconfig: config({}, { "client-certificate": "/certs/tls.crt", "client-key": "/certs/tls.key" }),
  },
  "cluster.certFile and cluster.keyFile": {
    server: "https://k.example:6443",
    certFile: "/certs/tls.crt",
    keyFile: "/certs/tls.key",
  },
};

for (const [name, options] of Object.entries(FILE_OPTIONS)) {
  Deno.test(`resolveClusterAccess() reads ${name} again after a 401 and every 5 minutes, as client-go`, async () => {
    const { access, rotate, advance } = await rotatingAccess(options);
    assert.equal((await access.credentials.clientCertificate?.())?.cert, RSA.cert);
    rotate(EC);
    advance(299_000);
    assert.equal((await access.credentials.clientCertificate!())!.cert, RSA.cert, "read again before 5 minutes");
    // A 401: the old certificate expired; the new one is read at once.
    access.credentials.invalidate();
    const rotated = await access.credentials.clientCertificate!();
    assert.equal(rotated!.cert, EC.cert);
    assert.equal(rotated!.key, EC.key);
    assert.ok(!JSON.stringify(rotated).includes("PRIVATE"), "the key stays out of JSON");
    rotate(RSA);
    advance(300_000);
    assert.equal((await access.credentials.clientCertificate!())!.cert, RSA.cert, "read again after 5 minutes");
    // The 401 advice says the files are read again, not to restart.
    assert.match(access.credentials.renewal!, /\/certs\/tls\.crt and its key \/certs\/tls\.key .* read again/);
  });
}

Deno.test("resolveClusterAccess() keeps the last client certificate while the files hold half a rotation", async () => {
  const { access, files, advance } = await rotatingAccess(FILE_OPTIONS["cluster.certFile and cluster.keyFile"]);
  files["/certs/tls.crt"] = EC.cert; // The key is not written yet.
  access.credentials.invalidate();
  assert.equal((await access.credentials.clientCertificate!())!.cert, RSA.cert);
  delete files["/certs/tls.key"];
  advance(300_000);
  assert.equal((await access.credentials.clientCertificate!())!.cert, RSA.cert);
  files["/certs/tls.key"] = EC.key;
  access.credentials.invalidate();
  assert.equal((await access.credentials.clientCertificate!())!.cert, EC.cert);
});

Deno.test("resolveClusterAccess() reads a client certificate given inline (data, cluster.cert) only once", async () => {
  const { access } = await rotatingAccess({ server: "https://k.example:6443", cert: RSA.cert, key: RSA.key });
  assert.equal(access.credentials.clientCertificate, undefined);
});

Deno.test("resolveClusterAccess() reads a client certificate's files at once after the clock stepped back", async () => {
  const { access, rotate, advance } = await rotatingAccess(FILE_OPTIONS["cluster.certFile and cluster.keyFile"]);
  assert.equal((await access.credentials.clientCertificate!())!.cert, RSA.cert);
  rotate(EC);
  advance(-10 * 60_000); // NTP steps back a clock that was 10 minutes ahead.
  assert.equal((await access.credentials.clientCertificate!())!.cert, EC.cert, "read again, not 15 minutes later");
});
