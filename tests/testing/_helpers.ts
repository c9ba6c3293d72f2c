/**
 * Helpers of the fake API server's tests: URLs, JSON reads, a line-by-line
 * watch reader with timeouts, and a server that is always closed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { endpointSlice, type FakeApiServer, startFakeApiServer } from "@kgr/resolver/testing";

/** The path of the EndpointSlice API group's version, under which the fake serves slices. */
export const BASE = "/apis/discovery.k8s.io/v1";
/** The text of `tests/fixtures/<name>`. */
export const fixture = (name: string) => Deno.readTextFileSync(new URL(`../fixtures/${name}`, import.meta.url));

/** `fetch` options, plus Deno's custom HTTP client for TLS. */
export type Init = RequestInit & { client?: Deno.HttpClient };

/** One line of a JSON watch: the event's type and its object. */
export interface Event {
  type: string;
  object: Record<string, unknown> & { metadata: Record<string, unknown> };
}

/** The URL of `server`'s EndpointSlice collection, in `namespace` or across all, with `params` as its query. */
export function slicesUrl(
  server: FakeApiServer,
  namespace: string | undefined,
  params: Record<string, string> = {},
): string {
  const path = namespace === undefined ? `${BASE}/endpointslices` : `${BASE}/namespaces/${namespace}/endpointslices`;
  const query = new URLSearchParams(params).toString();
  return `${server.url}${path}${query === "" ? "" : `?${query}`}`;
}

/** A response body of any shape; the assertions check it. */
// deno-lint-ignore no-explicit-any
export type Json = any;

/** Fetches `url` and reads its body as JSON, with the status and headers. */
export async function getJson(
  url: string,
  init?: Init,
): Promise<{ status: number; headers: Headers; body: Json }> {
  const response = await fetch(url, init);
  return {
    status: response.status,
    headers: response.headers,
    body: await response.json(),
  };
}

/** Rejects when `promise` takes longer than `ms`; the timer never outlives the call. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a watch response one event at a time. */
export function events(response: Response) {
  assert.equal(response.status, 200);
  const reader = response.body!.pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  // A read that timed out stays pending; the next read must reuse it.
  let pending: Promise<ReadableStreamReadResult<string>> | undefined;
  const read = async (ms: number, what: string) => {
    pending ??= reader.read();
    const result = await within(pending, ms, what);
    pending = undefined;
    return result;
  };
  return {
    /** The next event, or `undefined` once the response ended cleanly. */
    async next(ms = 3000): Promise<Event | undefined> {
      for (let reads = 0; reads < 10_000; reads++) {
        const newline = buffer.indexOf("\n");
        if (newline !== -1) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          return JSON.parse(line);
        }
        const { value, done } = await read(ms, "a watch event");
        if (done) {
          assert.equal(buffer, "", "the watch ended in the middle of an event");
          return undefined;
        }
        buffer += value;
      }
      throw new Error("Too many reads for one event");
    },
    /** Expects no event for `ms`. */
    async quiet(ms: number): Promise<void> {
      assert.equal(buffer, "");
      await assert.rejects(read(ms, "silence"), /Timed out/);
    },
    cancel: () => reader.cancel(),
  };
}

/** Starts a watch at `url` and reads it one event at a time (see {@linkcode events}). */
export async function watch(url: string, init?: Init) {
  return events(await fetch(url, init));
}

/** An event as `TYPE name@resourceVersion`, or `end` when the watch ended; for comparing event sequences. */
export function summary(event: Event | undefined): string {
  if (event === undefined) return "end";
  return `${event.type} ${event.object.metadata.name}@${event.object.metadata.resourceVersion}`;
}

/** A slice of Service `service` with one pod per address of `ips` (`<service>-<index>`) on port grpc, 50051. */
export function svc(
  service: string,
  ips: string[],
  namespace = "default",
  name?: string,
) {
  return endpointSlice({
    namespace,
    service,
    name,
    port: { name: "grpc", port: 50051 },
    endpoints: ips.map((ip, index) => ({ ip, pod: `${service}-${index}` })),
  });
}

/** Runs `run` with a fake API server started with `options`, and closes the server after it, whatever happens. */
export async function withServer(
  options: Parameters<typeof startFakeApiServer>[0],
  run: (server: FakeApiServer) => void | Promise<void>,
): Promise<void> {
  const server = await startFakeApiServer(options);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

/** Waits until `condition()` holds, polling every 10 ms for at most 2 s, and fails the test when it never does. */
export async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(condition());
}
