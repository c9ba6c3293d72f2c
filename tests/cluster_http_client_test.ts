import assert from "node:assert/strict";
import { createClusterHttpClient } from "../src/api/cluster_http_client.ts";
import { noCredentials } from "../src/cluster/credentials.ts";
import { createTlsSettings } from "../src/cluster/tls_settings.ts";
import type { ClusterAccess } from "../src/cluster/types.ts";
import { startFakeApiServer } from "../src/testing/fake_api_server.ts";

const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));

Deno.test("createClusterHttpClient() connects with the CA its file holds now, once it was read again", async () => {
  await using server = await startFakeApiServer({
    tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
  });
  const [right, wrong] = [await fixture("ca.pem"), await fixture("other-ca.pem")];
  let ca = wrong;
  const access: ClusterAccess = {
    server: server.url,
    namespace: "default",
    tls: createTlsSettings({ ca: wrong, caSource: "/sa/ca.crt" }),
    credentials: noCredentials(),
    identity: server.url,
    source: "test",
    currentCa: () => Promise.resolve(ca),
  };
  const client = createClusterHttpClient(access);
  try {
    await assert.rejects(client.fetch(`${server.url}/version`, {}), "the server's CA is not trusted yet");
    ca = right; // The cluster's CA rotated into the file, and was read again.
    const { response } = await client.fetch(`${server.url}/version`, {});
    assert.equal(response.status, 200);
    await response.body?.cancel();
  } finally {
    client.close();
  }
});

Deno.test("createClusterHttpClient() lets a watch under way go on when a rotated CA makes it build a new client", async () => {
  await using server = await startFakeApiServer({
    tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
  });
  const ca = await fixture("ca.pem");
  let current = ca;
  const access: ClusterAccess = {
    server: server.url,
    namespace: "default",
    tls: createTlsSettings({ ca, caSource: "/sa/ca.crt" }),
    credentials: noCredentials(),
    identity: server.url,
    source: "test",
    currentCa: () => Promise.resolve(current),
  };
  const client = createClusterHttpClient(access);
  const slices = `${server.url}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices`;
  try {
    const controller = new AbortController();
    const watch = await client.fetch(`${slices}?watch=true`, { signal: controller.signal });
    assert.equal(watch.response.status, 200);
    // The CA file was rewritten (the same CA, written again): the next request builds a new client.
    current = `${ca}\n`;
    const { response } = await client.fetch(`${server.url}/version`, {});
    assert.equal(response.status, 200);
    await response.body?.cancel();
    server.applySlice({
      metadata: { name: "echo-a", namespace: "default", labels: { "kubernetes.io/service-name": "echo" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"] }],
      ports: [{ name: "grpc", port: 8080 }],
    });
    const reader = watch.response.body!.getReader();
    const timeout = Promise.withResolvers<never>();
    const timer = setTimeout(() => timeout.reject(new Error("no event within 5 s: the watch was cut")), 5000);
    const { value } = await Promise.race([reader.read(), timeout.promise]).finally(() => clearTimeout(timer));
    assert.match(new TextDecoder().decode(value), /"ADDED"/, "the watch started on the old client got the event");
    controller.abort();
    await reader.cancel().catch(() => {});
  } finally {
    client.close();
  }
});
