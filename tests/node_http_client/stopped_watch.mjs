// Run by tests/node_http_client_test.ts on Node, against the built package: a watch answer that its reader stops
// (the signal of the request and of the pushed body aborts without a reason), one it fails (with a reason, as a
// stall does), and a body read as a stream when the signal aborts with a reason.
// Listens to the requests and answers as OpenTelemetry's http instrumentation does (errorMonitor on each): an
// error there marks the span ERROR ("This operation was aborted") for a watch that the resolver itself stopped.
import { subscribe } from "node:diagnostics_channel";
import { errorMonitor } from "node:events";
import { createServer } from "node:http";
import { nodeHttpClient } from "../../dist/src/runtime/node_http_client.js";

const errors = [];
subscribe("http.client.request.start", ({ request }) => {
  request.on(errorMonitor, (error) => errors.push(`request: ${error.message}`));
  request.prependListener("response", (response) => {
    response.on(errorMonitor, (error) => errors.push(`response: ${error.message}`));
  });
});
const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).write("{}\n"));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/`;
const client = nodeHttpClient({ caSource: "none" });
const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

/** A watch whose reader aborts its signal with `reason` at the first chunk: what the reader got, and the errors. */
async function watch(reason) {
  const controller = new AbortController();
  const { chunks } = await client.fetch(url, { signal: controller.signal });
  const stop = () => controller.abort(reason);
  const pushed = await chunks.push(stop, controller.signal).catch((error) => error.message);
  await settle();
  return `${pushed}, errors: ${errors.splice(0).join("; ") || "none"}`;
}

try {
  const stopped = await watch(undefined);
  const stalled = await watch(new Error("stalled"));
  const list = new AbortController();
  const { response } = await client.fetch(url, { signal: list.signal });
  const read = response.text().catch((error) => error.message);
  list.abort(new Error("timed out"));
  const text = await read;
  await settle();
  console.log(`stopped: ${stopped}; stalled: ${stalled}; stream: ${text}, errors: ${errors.join("; ") || "none"}`);
} finally {
  client.close();
  server.closeAllConnections();
  server.close();
}
