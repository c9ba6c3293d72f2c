import assert from "node:assert/strict";
import { inspect } from "node:util";
import { createClientCertificate, createTlsSettings } from "../src/cluster/tls_settings.ts";

Deno.test("createTlsSettings() keeps the key readable but out of inspect and JSON", () => {
  const key = "-----BEGIN PRIVATE KEY-----\ncanary-tls-key\n-----END PRIVATE KEY-----";
  const tls = createTlsSettings({
    caSource: "the runtime's default CA roots",
    cert: "CERT",
    key,
    serverName: "k",
  });
  assert.equal(tls.key, key);
  assert.equal(tls.cert, "CERT");
  for (
    const text of [
      inspect(tls, { showHidden: true, depth: 10 }),
      Deno.inspect(tls, { showHidden: true }),
      JSON.stringify(tls),
      String(tls),
    ]
  ) {
    assert.ok(!text.includes("canary-tls-key"), text);
  }
  assert.deepEqual(JSON.parse(JSON.stringify(tls)), {
    caSource: "the runtime's default CA roots",
    cert: "CERT",
    serverName: "k",
  });
});

Deno.test("createClientCertificate() keeps the key readable but out of JSON", () => {
  const pair = createClientCertificate("C", "canary-pair-key");
  assert.equal(pair.key, "canary-pair-key");
  assert.equal(JSON.stringify(pair), '{"cert":"C"}');
});
