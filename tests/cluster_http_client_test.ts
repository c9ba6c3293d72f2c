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
