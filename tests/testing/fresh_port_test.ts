import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Server } from "node:net";
import { listenOnFreshPort } from "../../src/testing/_fresh_port.ts";

/** A server that the system hands the ports of `ports` in turn, one per listen. */
function serverGiven(ports: number[]) {
  const server = new EventEmitter() as EventEmitter & { port: number; closes: number };
  server.closes = 0;
  return Object.assign(server, {
    listen(_port: number, _hostname: string, onListening: () => void) {
      server.port = ports.shift()!;
      queueMicrotask(onListening);
    },
    address: () => ({ port: server.port, address: "127.0.0.1", family: "IPv4" }),
    close(onClosed: () => void) {
      server.closes++;
      queueMicrotask(onClosed);
    },
  });
}

Deno.test("listenOnFreshPort() listens again when the system hands out a port an earlier server of the process had", async () => {
  const first = serverGiven([41001]);
  assert.equal(await listenOnFreshPort(first as unknown as Server, 0, "127.0.0.1"), 41001);
  const second = serverGiven([41001, 41001, 41002]);
  assert.equal(await listenOnFreshPort(second as unknown as Server, 0, "127.0.0.1"), 41002);
  assert.equal(second.closes, 2, "it closed the two listens on the used port");
});

Deno.test("listenOnFreshPort() takes a port the caller names even when an earlier server had it", async () => {
  const first = serverGiven([41011]);
  await listenOnFreshPort(first as unknown as Server, 0, "127.0.0.1");
  const named = serverGiven([41011]);
  assert.equal(await listenOnFreshPort(named as unknown as Server, 41011, "127.0.0.1"), 41011);
  assert.equal(named.closes, 0);
});
