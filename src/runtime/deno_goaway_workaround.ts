/**
 * Works around a use-after-free in Deno's `node:http2` client (seen on Deno
 * 2.9.6, upstream denoland/deno#36788): when a server sends GOAWAY, Deno runs
 * the session's `goaway` listeners from inside nghttp2's receive loop, and a
 * `close()`/`destroy()` made there frees the nghttp2 session while nghttp2
 * still uses it. grpc-js always closes the session from its `goaway`
 * listener, so every graceful backend shutdown (a pod handling SIGTERM, a max
 * connection age) could crash a Deno client with SIGSEGV or SIGABRT, and a
 * grpc-js server in a Deno process crashes the same way when its clients
 * close their channels (each sends a GOAWAY; 4 of 8 runs of 3,000 channels).
 *
 * The fix wraps `http2.connect`, `http2.createServer` and
 * `http2.createSecureServer` (the same module object grpc-js uses): after a
 * GOAWAY, a session's `close()` and `destroy()` made in the same turn run on
 * the next `setImmediate`, outside the receive loop. Listeners still run at
 * once, so grpc-js sees the GOAWAY without delay. Only installed on Deno, for
 * sessions made after it (servers bound after `register()`).
 *
 * @module
 */

import http2 from "node:http2";
import { setImmediate } from "node:timers";
import { trace } from "./trace.ts";

const INSTALLED = Symbol.for("@kgr/resolver.denoGoawayWorkaround");

type Connect = typeof http2.connect & { [INSTALLED]?: true };

/**
 * Installs the workaround once per process; later calls do nothing.
 *
 * @example
 * ```ts ignore
 * import { installDenoGoawayWorkaround } from "./deno_goaway_workaround.ts";
 * if ("Deno" in globalThis) installDenoGoawayWorkaround();
 * ```
 */
export function installDenoGoawayWorkaround(): void {
  const connect = http2.connect as Connect;
  if (connect[INSTALLED]) return;
  const patched = function (this: unknown, ...args: Parameters<typeof http2.connect>) {
    const session = connect.apply(this, args);
    deferCloseAfterGoaway(session);
    return session;
  } as Connect;
  patched[INSTALLED] = true;
  (http2 as { connect: Connect }).connect = patched;
  for (const create of ["createServer", "createSecureServer"] as const) {
    const original = http2[create] as (...args: unknown[]) => http2.Http2Server;
    (http2 as Record<typeof create, unknown>)[create] = function (this: unknown, ...args: unknown[]) {
      return original.apply(this, args).on("session", deferCloseAfterGoaway);
    };
  }
  trace("installed the Deno HTTP/2 GOAWAY workaround (denoland/deno#36788)");
}

function deferCloseAfterGoaway(session: http2.Http2Session): void {
  const held: (() => void)[] = [];
  let holding = false;
  for (const method of ["close", "destroy"] as const) {
    const original = session[method] as (...args: unknown[]) => unknown;
    (session as unknown as Record<string, unknown>)[method] = function (this: unknown, ...args: unknown[]) {
      if (!holding) return original.apply(this, args);
      held.push(() => original.apply(this, args));
    };
  }
  const emit = session.emit;
  session.emit = function (this: http2.Http2Session, event: string | symbol, ...args: unknown[]) {
    if (event === "goaway" && !holding) {
      holding = true;
      setImmediate(() => {
        holding = false;
        for (const run of held.splice(0)) {
          try {
            run();
          } catch (error) {
            trace(`closing an HTTP/2 session after GOAWAY failed: ${error}`);
          }
        }
      });
    }
    return emit.call(this, event, ...args);
  } as typeof session.emit;
}
