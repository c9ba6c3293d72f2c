// Cluster access shared by the watches of many Services started together (a gateway opening its channels).
import assert from "node:assert/strict";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";
import { setTraceSink } from "../src/runtime/trace.ts";
import { eventually, follow } from "./_watch_helpers.ts";

const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));

function apply(api: FakeApiServer, service: string, pod: string) {
  api.applySlice(endpointSlice({
    namespace: "prod",
    service,
    port: { name: "grpc", port: 8080 },
    endpoints: [{ ip: "10.3.0.1", pod }],
  }));
}

Deno.test("watchEndpoints() of many Services started together with equal cluster options set up cluster access once", async () => {
  // Each loop copies its options, so each set up access of its own: 500 loops parsed the kubeconfig, the client
  // key and certificate 500 times in a row, and Node's loop stopped for 0.5 s.
  const api = await startFakeApiServer({
    token: "t",
    tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
  });
  const services = ["echo", "other", "third"];
  for (const service of services) apply(api, service, `${service}-pod`);
  const lines: string[] = [];
  const previous = setTraceSink((line) => lines.push(line));
  const kubeconfig = api.kubeconfig({ ca: await fixture("ca.pem") });
  const watches = services.map((service) =>
    follow({ kubeconfig, insecureSkipTlsVerify: true }, { target: `kubernetes:///${service}.prod:grpc` })
  );
  try {
    for (const [i, service] of services.entries()) {
      await eventually(() => watches[i].pods() === `${service}-pod`, `the endpoints of ${service}`);
    }
    const setUps = lines.filter((line) => line.includes("cluster.insecureSkipTlsVerify is true"));
    assert.equal(setUps.length, 1, `cluster access set up once, not once a Service: ${setUps.length}`);
  } finally {
    setTraceSink(previous);
    await Promise.all(watches.map((watch) => watch.stop()));
    await api.close();
  }
});

Deno.test("the trace lines that start and stop a watch name its API server and its credentials' source", async () => {
  // Two identities on one API server get a watch each: their lines read the same ("watching ... at <server>"), and
  // "stopped watching" named neither the server nor the identity, in a process that watches two clusters too.
  const api = await startFakeApiServer({ token: "t" });
  apply(api, "echo", "echo-pod");
  const lines: string[] = [];
  const previous = setTraceSink((line) => lines.push(line));
  const kubeconfig = api.kubeconfig();
  const watches = [follow({ kubeconfig }), follow({ kubeconfig, token: "t" })];
  try {
    for (const watch of watches) await eventually(() => watch.pods() === "echo-pod", "the endpoints");
    await Promise.all(watches.map((watch) => watch.stop()));
    await eventually(() => lines.filter((line) => line.startsWith("stopped watching")).length === 2, "both stopped");
    const source = 'the kubeconfig object given as cluster.kubeconfig (context "fake-api-server")';
    for (const start of ["watching endpointslices of", "stopped watching"]) {
      assert.deepEqual(lines.filter((line) => line.startsWith(start)).sort(), [
        `${start} service echo in namespace prod at ${api.url} with the credentials from ${source}`,
        `${start} service echo in namespace prod at ${api.url} with the credentials from ${source} with cluster.token`,
      ]);
    }
  } finally {
    setTraceSink(previous);
    await Promise.all(watches.map((watch) => watch.stop()));
    await api.close();
  }
});
