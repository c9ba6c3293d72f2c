// Deno's node:tls reads the peer certificate in the handshake's callback, where an exception ended the process.
import assert from "node:assert/strict";
import { createServer } from "node:https";
import { Agent, buildConnector, request } from "undici";
import { caughtPeerCertificate } from "../src/runtime/_caught_peer_certificate.ts";
import type { Connector } from "../src/runtime/socks5_connector.ts";

const read = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));

Deno.test("caughtPeerCertificate() fails the request when the peer certificate cannot be read, not the process", async () => {
  const server = createServer({ cert: await read("server.pem"), key: await read("server-key.pem") });
  server.on("request", (_req, res) => res.end("{}"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  // A CA block that Deno cannot parse made its chain completion throw in getPeerCertificate (tls_options.ts
  // drops such blocks; this keeps one to make the read fail).
  const garbage = "-----BEGIN CERTIFICATE-----\nQUJDREVGR0g=\n-----END CERTIFICATE-----\n";
  const connect = caughtPeerCertificate(buildConnector({ ca: garbage + await read("ca.pem") }) as Connector);
  const agent = new Agent({ connect: connect as never });
  try {
    // Deno: "nom error: Eof", from its X.509 parser.
    await assert.rejects(
      request(`https://localhost:${port}/`, { dispatcher: agent, signal: AbortSignal.timeout(5000) }),
      Error,
    );
  } finally {
    await agent.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
