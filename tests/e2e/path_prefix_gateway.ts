/**
 * An HTTPS gateway on 127.0.0.1 that serves one cluster's API under a path
 * prefix, as managed platforms expose clusters (Rancher's
 * `https://host/k8s/clusters/c-xyz`, the GKE Connect gateway's
 * `https://connectgateway.googleapis.com/v1/projects/N/locations/global/gkeMemberships/M`):
 * it ends TLS with a certificate of its own (the test fixtures' `server.pem`,
 * signed by `ca.pem`), strips the prefix and forwards the request, headers
 * and streamed answer included, to the API server. Anything outside the
 * prefix gets the gateway's own 404; `answer()` makes it answer every request
 * itself (a 401 or 403 of its own login, an HTML error page, a 502 while the
 * upstream restarts).
 *
 * Test code: it only ever connects to the API server it was given.
 *
 * @module
 */

import { createServer, request as httpsRequest } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** An answer the gateway gives itself, instead of forwarding. */
export interface GatewayAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** A running gateway. */
export interface PathPrefixGateway {
  /** `https://127.0.0.1:<port><prefix>`, for a kubeconfig's `server`. */
  readonly url: string;
  /** Every request's method and path (with its query), as received, oldest first. */
  requests(): string[];
  /** Answers every request with `answer` instead of forwarding it; `undefined` forwards again. */
  answer(answer: GatewayAnswer | undefined): void;
  /** Closes every open connection (open watches too), as a gateway that restarts. */
  cut(): void;
  /** Stops it and closes every connection. */
  close(): Promise<void>;
}

const FIXTURES = new URL("../fixtures/", import.meta.url);

/** The CA file that signed the gateway's certificate, for a kubeconfig's `certificate-authority`. */
export const GATEWAY_CA_FILE: string = new URL("ca.pem", FIXTURES).pathname;

/**
 * Starts a gateway in front of `upstream` (`https://127.0.0.1:<port>`) that serves it under `prefix`.
 *
 * @param upstream The API server.
 * @param upstreamCa PEM of the CA of the API server's certificate.
 * @param prefix The path prefix, starting with `/`, without a trailing slash.
 * @returns The gateway, listening.
 */
export async function startPathPrefixGateway(
  upstream: string,
  upstreamCa: string,
  prefix: string,
): Promise<PathPrefixGateway> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  let own: GatewayAnswer | undefined;
  const target = new URL(upstream);
  const reply = (response: ServerResponse, answer: GatewayAnswer) => {
    response.writeHead(answer.status, { "content-type": answer.contentType }).end(answer.body);
  };
  const server = createServer({
    cert: await Deno.readTextFile(new URL("server.pem", FIXTURES)),
    key: await Deno.readTextFile(new URL("server-key.pem", FIXTURES)),
  }, (incoming: IncomingMessage, response: ServerResponse) => {
    const path = incoming.url ?? "/";
    seen.push(`${incoming.method} ${path}`);
    if (own) return reply(response, own);
    if (path !== prefix && !path.startsWith(`${prefix}/`) && !path.startsWith(`${prefix}?`)) {
      return reply(response, { status: 404, contentType: "text/plain; charset=utf-8", body: "404 page not found\n" });
    }
    const headers = { ...incoming.headers, host: target.host };
    const outgoing = httpsRequest({
      host: target.hostname,
      port: Number(target.port),
      method: incoming.method,
      path: path.slice(prefix.length) || "/",
      headers,
      ca: upstreamCa,
    }, (answer) => {
      // Headers go at once, as a watch's do from the API server (and from Go's reverse proxy).
      response.writeHead(answer.statusCode ?? 502, answer.headers).flushHeaders();
      answer.pipe(response);
      answer.on("error", () => response.destroy());
    });
    outgoing.on("error", () => {
      if (response.headersSent) response.destroy();
      else reply(response, { status: 502, contentType: "text/plain", body: "upstream unavailable\n" });
    });
    response.on("close", () => outgoing.destroy());
    incoming.pipe(outgoing);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const cut = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    url: `https://127.0.0.1:${port}${prefix}`,
    requests: () => [...seen],
    answer: (answer) => {
      own = answer;
    },
    cut,
    close: () => {
      cut();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
