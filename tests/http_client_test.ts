// The runtime's HTTP client on Deno (undici, as on Node); Bun and Node run the same requests through the
// CLI's `check` in tests/cli/bin_scenarios.mjs.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createHttpClient } from "../src/runtime/http_client.ts";

/** A server on 127.0.0.1 that answers every request with `handler`; records method, content type and body. */
async function recordingServer(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const seen: { method?: string; type?: string; body: string; path?: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => body += chunk);
    req.on("end", () => {
      seen.push({ method: req.method, type: req.headers["content-type"], body, path: req.url });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test("createHttpClient() sends a POST with its method, content type and body", async () => {
  const server = await recordingServer((_req, res) =>
    res.writeHead(201, { "content-type": "application/json" }).end("{}")
  );
  const client = await createHttpClient({ tls: { caSource: "none" } });
  try {
    const { response } = await client.fetch(`${server.url}/reviews`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"kind":"SelfSubjectReview"}',
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(response.status, 201);
    await response.body?.cancel();
    assert.deepEqual(server.seen, [
      { method: "POST", type: "application/json", body: '{"kind":"SelfSubjectReview"}', path: "/reviews" },
    ]);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("createHttpClient() does not follow a redirect of a POST", async () => {
  const server = await recordingServer((req, res) => {
    if (req.url === "/reviews") res.writeHead(307, { location: "/elsewhere" }).end();
    else res.writeHead(201).end("{}");
  });
  const client = await createHttpClient({ tls: { caSource: "none" } });
  try {
    const { response } = await client.fetch(`${server.url}/reviews`, {
      method: "POST",
      body: "{}",
      redirect: "manual",
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(response.status, 307);
    await response.body?.cancel();
    assert.deepEqual(server.seen.map((request) => request.path), ["/reviews"]);
  } finally {
    client.close();
    await server.close();
  }
});
