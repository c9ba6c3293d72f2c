/**
 * The health check of an HTTP/2 session to the API server, as client-go's transport has it (`ReadIdleTimeout` 30 s,
 * `PingTimeout` 15 s): a session with streams open that has read nothing for `pingIdleMs` sends a PING, and one
 * whose PONG does not come within `pingTimeoutMs` is destroyed, which fails its streams as a broken connection does
 * (the watches resume on a new one). An API server that hangs, or a connection that dies without a word, is so
 * noticed within about 46 s of its last frame, bookmarks or not. Node cancels every PING of a session closing after
 * GOAWAY (`ERR_HTTP2_PING_CANCEL`), whose watches run on: such a session is destroyed once silent for as long as a
 * PING and its answer would have taken.
 *
 * @module
 */

import type { ClientHttp2Session } from "node:http2";
import { unrefTimer } from "./unref_timer.ts";

/** The times of the health check, and of resends after GOAWAY, in ms; tests shorten them. */
export interface Http2Timing {
  /** Silence on a session with streams open after which it is pinged: client-go's 30 s. */
  pingIdleMs: number;
  /** How long the PONG may take: client-go's 15 s. */
  pingTimeoutMs: number;
  /** How long a session with no stream open stays for the next request: 4 s, as `node_http_client.ts`'s sockets. */
  idleCloseMs: number;
  /**
   * How long a request the server refused unprocessed (after GOAWAY) is sent again on other sessions.
   *
   * @default {5000}
   */
  resendMs?: number;
}

/** client-go's times, and `node_http_client.ts`'s idle timeout. */
export const HTTP2_TIMING: Http2Timing = { pingIdleMs: 30_000, pingTimeoutMs: 15_000, idleCloseMs: 4_000 };

/** What the health check reads of a session's use. */
export interface SessionUse {
  /** Streams open (or waiting for the session). */
  readonly open: number;
  /** When a frame was last read on the session (`performance.now()`, which a wall-clock step does not move). */
  lastRead: number;
  /** True once its connection ended or closed: a body that ends after that was cut, not finished. */
  readonly lost?: boolean;
}

/**
 * Checks `session` every quarter of the shorter of its idle times: pings it when it has streams open and has been
 * silent for `pingIdleMs`, destroys it when the PONG does not come in time, and closes it once it has had no stream
 * for `idleCloseMs`. The timer never keeps the process alive, and stops when the session closes.
 *
 * @param session The session.
 * @param use Its streams and last read, kept up to date by the pool.
 * @param timing The times.
 *
 * @example Checking a new session
 * ```ts ignore
 * import http2 from "node:http2";
 * import { checkHealth, HTTP2_TIMING } from "./_http2_health.ts";
 * const session = http2.connect("https://127.0.0.1:6443");
 * checkHealth(session, { open: 1, lastRead: performance.now() }, HTTP2_TIMING);
 * ```
 */
export function checkHealth(session: ClientHttp2Session, use: SessionUse, timing: Http2Timing): void {
  const { pingIdleMs, pingTimeoutMs, idleCloseMs } = timing;
  let pinging = false;
  /** True once a PING was cancelled on the live session (Node, after GOAWAY): silence alone then decides. */
  let pingless = false;
  let idleSince = performance.now();
  const tick = unrefTimer(setInterval(() => {
    const now = performance.now();
    if (use.open === 0) {
      if (now - idleSince >= idleCloseMs) session.close();
      return;
    }
    idleSince = now;
    if (pinging || now - use.lastRead < pingIdleMs) return;
    if (pingless) {
      if (now - use.lastRead >= pingIdleMs + pingTimeoutMs) {
        session.destroy(silentAfterGoaway(pingIdleMs + pingTimeoutMs));
      }
      return;
    }
    pinging = true;
    const timer = unrefTimer(setTimeout(() => session.destroy(pingTimeout(pingTimeoutMs)), pingTimeoutMs));
    const answered = (error: Error | null) => {
      clearTimeout(timer);
      pinging = false;
      if (!error) use.lastRead = performance.now();
      else if (!session.destroyed) pingless = true;
    };
    if (!session.ping(answered)) { // Too many PINGs unanswered already: the next tick tries again.
      clearTimeout(timer);
      pinging = false;
    }
  }, Math.max(10, Math.min(pingIdleMs, idleCloseMs) / 4)));
  session.once("close", () => clearInterval(tick));
}

/** The error of a session that Node could not ping (closing after GOAWAY) and that stayed silent: as `pingTimeout`'s. */
function silentAfterGoaway(ms: number): Error {
  const error = new Error(
    `the API server stopped answering: nothing read within ${ms} ms on a connection it had sent away with GOAWAY, ` +
      "where Node sends no PING (a hung or stopped API server, or a connection lost on the way)",
  );
  return Object.assign(error, { code: "ECONNRESET" });
}

/** The error of a session whose PONG did not come: a reset connection's code, so that the watch resumes as after one. */
function pingTimeout(ms: number): Error {
  const error = new Error(
    `the API server stopped answering: no answer to an HTTP/2 PING within ${ms} ms on a connection silent for ` +
      "longer (a hung or stopped API server, or a connection lost on the way)",
  );
  return Object.assign(error, { code: "ECONNRESET" });
}
