import assert from "node:assert/strict";
import { caFileReader } from "../src/cluster/ca_file.ts";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import type { ClusterOptions } from "../src/cluster/types.ts";
import { config } from "./_kubeconfig_object.ts";
import { fakeEnvironment, IN_CLUSTER_VARS, SA, SA_FILES } from "./_cluster_environment.ts";

const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));
const OLD = await fixture("ca.pem");
const NEW = await fixture("other-ca.pem");

/** Cluster access whose CA comes from `path`, on a fake clock. */
async function rotatingCa(path: string, options: ClusterOptions, vars: Record<string, string> = {}) {
  const files: Record<string, string> = { ...SA_FILES, [path]: OLD };
  let now = 1_000_000;
  const access = await resolveClusterAccess(options, fakeEnvironment(vars, files, { now: () => now }));
  return { access, files, advance: (ms: number) => void (now += ms) };
}

const CA_FILES: Record<string, [string, ClusterOptions, Record<string, string>?]> = {
  "the in-cluster ca.crt": [`${SA}/ca.crt`, {}, IN_CLUSTER_VARS],
  "a kubeconfig's certificate-authority": ["/certs/ca.crt", {
    kubeconfig: config({ "certificate-authority": "/certs/ca.crt" }, { token: "t" }),
  }],
  "cluster.caFile": ["/certs/ca.crt", { server: "https://k.example:6443", caFile: "/certs/ca.crt" }],
  "cluster.caFile over the in-cluster ca.crt": ["/certs/ca.crt", { caFile: "/certs/ca.crt" }, IN_CLUSTER_VARS],
};

for (const [name, [path, options, vars]] of Object.entries(CA_FILES)) {
  Deno.test(`resolveClusterAccess() reads ${name} again every 5 minutes, as client-go 1.36`, async () => {
    const { access, files, advance } = await rotatingCa(path, options, vars);
    assert.equal(access.tls.ca, OLD);
    assert.equal(await access.currentCa?.(), OLD);
    files[path] = NEW;
    advance(299_000);
    assert.equal(await access.currentCa!(), OLD, "not read again before 5 minutes");
    advance(1_000);
    assert.equal(await access.currentCa!(), NEW, "read again after 5 minutes");
  });
}

Deno.test("resolveClusterAccess() keeps the last CA while its file is missing, empty, cut short or holds no certificate", async () => {
  const { access, files, advance } = await rotatingCa(`${SA}/ca.crt`, {}, IN_CLUSTER_VARS);
  const cutShort = NEW.slice(0, NEW.indexOf("-----END"));
  const keyOnly = "-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n";
  for (const text of [undefined, "", "not a certificate\n", cutShort, `${OLD}${cutShort}`, keyOnly]) {
    if (text === undefined) delete files[`${SA}/ca.crt`];
    else files[`${SA}/ca.crt`] = text;
    advance(300_000);
    assert.equal(await access.currentCa!(), OLD, `kept with ${JSON.stringify(text)}`);
  }
  files[`${SA}/ca.crt`] = NEW;
  advance(300_000);
  assert.equal(await access.currentCa!(), NEW);
});

Deno.test("resolveClusterAccess() keeps the last CA while its file's whole CERTIFICATE blocks are none of them X.509, as client-go keeps its transport", async () => {
  const { access, files, advance } = await rotatingCa(`${SA}/ca.crt`, {}, IN_CLUSTER_VARS);
  // Whole blocks, so not a file caught half written: base64 that is no certificate (client-go's AppendCertsFromPEM
  // finds none, and its CA reload keeps the transport it has).
  const notX509 = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";
  for (const text of [notX509, `${notX509}${notX509}`]) {
    files[`${SA}/ca.crt`] = text;
    advance(300_000);
    assert.equal(await access.currentCa!(), OLD, `kept with ${JSON.stringify(text)}`);
  }
  // A bundle with one certificate that parses is read, as kubectl reads it: the one that is not is skipped.
  files[`${SA}/ca.crt`] = `${notX509}${NEW}`;
  advance(300_000);
  assert.equal(await access.currentCa!(), `${notX509}${NEW}`);
});

Deno.test("resolveClusterAccess() reads an inline CA once: certificate-authority-data and cluster.ca", async () => {
  const inline = [
    { kubeconfig: config({ "certificate-authority-data": btoa(OLD) }, { token: "t" }) },
    { server: "https://k.example:6443", ca: OLD },
    { kubeconfig: config({ "certificate-authority": "/certs/ca.crt" }, { token: "t" }), ca: OLD },
    { kubeconfig: config({ "certificate-authority": "/certs/ca.crt" }, { token: "t" }), insecureSkipTlsVerify: true },
  ];
  for (const options of inline) {
    const { access } = await rotatingCa("/certs/ca.crt", options);
    assert.equal(access.currentCa, undefined, JSON.stringify(Object.keys(options)));
  }
});

Deno.test("caFileReader() reads once for calls made together, and waits another period after a read that failed", async () => {
  let now = 0;
  let reads = 0;
  let text: string | undefined = NEW;
  const readFile = () => {
    reads++;
    return Promise.resolve(text);
  };
  const currentCa = caFileReader("/sa/ca.crt", OLD, { readFile, now: () => now });
  const period = 5 * 60_000;
  now = period;
  assert.deepEqual(await Promise.all([currentCa(), currentCa(), currentCa()]), [NEW, NEW, NEW]);
  assert.equal(reads, 1, "one read for three calls");
  text = undefined; // The file went missing: the CA stays, and the next read waits a whole period.
  now = 2 * period;
  assert.equal(await currentCa(), NEW);
  now = 3 * period - 1;
  assert.equal(await currentCa(), NEW);
  assert.equal(reads, 2, "no read before a period after the failed one");
  text = OLD;
  now = 3 * period;
  assert.equal(await currentCa(), OLD);
  assert.equal(reads, 3);
});

Deno.test("caFileReader() reads again at once after the clock stepped back, not a period after it came back", async () => {
  let now = 10 * 60 * 60_000;
  let reads = 0;
  const readFile = () => {
    reads++;
    return Promise.resolve(NEW);
  };
  const currentCa = caFileReader("/sa/ca.crt", OLD, { readFile, now: () => now });
  // NTP steps a clock that was 10 minutes ahead back, or a VM is restored from an older snapshot.
  now -= 10 * 60_000;
  assert.equal(await currentCa(), NEW, "read again, not 15 minutes later");
  assert.equal(reads, 1);
  now += 5 * 60_000 - 1;
  assert.equal(await currentCa(), NEW);
  assert.equal(reads, 1, "then every 5 minutes of the new clock");
});
