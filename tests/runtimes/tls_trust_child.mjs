// Child process of the scenario "TLS: only the configured CA is trusted ...": its
// parent makes the test CA (tests/fixtures/ca.pem) a trusted root of this process
// (DENO_CERT on Deno, NODE_EXTRA_CA_CERTS on Node and Bun), then this process asks
// the resolver for the endpoints of a fake API server whose certificate that CA
// signed, once per way of naming a CA. It prints one JSON line: case name → the
// pod names seen, or the error message.
// Usage: <runtime> tls_trust_child.mjs API_URL TOKEN
import process from "node:process";
import { readFile } from "node:fs/promises";
import { watchEndpoints } from "@kgr/resolver";

const [server, token] = process.argv.slice(-2);
const fixture = (name) => readFile(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const [ca, otherCa] = await Promise.all([fixture("ca.pem"), fixture("other-ca.pem")]);
const kubeconfig = (caPem) => ({
  "current-context": "c",
  clusters: [{
    name: "c",
    cluster: { server, ...(caPem ? { "certificate-authority-data": btoa(caPem) } : {}) },
  }],
  users: [{ name: "u", user: { token } }],
  contexts: [{ name: "c", context: { cluster: "c", user: "u", namespace: "e2e" } }],
});

/** The pod names of the first snapshot, or the first error's message. */
async function firstResult(cluster) {
  const controller = new AbortController();
  let error;
  const onError = (failure) => {
    error ??= failure;
    controller.abort();
  };
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    for await (
      const snapshot of watchEndpoints("kubernetes:///echo.e2e:grpc", { cluster, signal: controller.signal, onError })
    ) {
      return snapshot.endpoints.map((endpoint) => endpoint.podName);
    }
    return error?.message ?? "no result within 10 s";
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

const results = {};
results["kubeconfig names another CA"] = await firstResult({ kubeconfig: kubeconfig(otherCa) });
results["options.ca names another CA"] = await firstResult({ server, token, ca: otherCa });
results["kubeconfig names the signing CA"] = await firstResult({ kubeconfig: kubeconfig(ca) });
results["no CA configured: the process trust store"] = await firstResult({ kubeconfig: kubeconfig(undefined) });
console.log(JSON.stringify(results));
