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
