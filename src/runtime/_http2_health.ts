/**
 * The health check of an HTTP/2 session to the API server, as client-go's transport has it (`ReadIdleTimeout` 30 s,
 * `PingTimeout` 15 s): a session with streams open that has read nothing for `pingIdleMs` sends a PING, and one
 * whose PONG does not come within `pingTimeoutMs` is destroyed, which fails its streams as a broken connection does
 * (the watches resume on a new one). An API server that hangs, or a connection that dies without a word, is so
 * noticed within 45-46 s of its last frame (30 s, up to 1 s to the next check, 15 s), bookmarks or not; a session
 * with a stream aborted as silent (`_http2_sessions.ts`'s `retire`) is pinged at the next check, so that its other
 * streams leave a frozen connection within about 16 s of that. Node cancels
 * every PING of a session closing after GOAWAY (`ERR_HTTP2_PING_CANCEL`), whose watches run on: such a session is
 * destroyed once silent for as long as a PING and its answer would have taken (45 s from the GOAWAY or the last frame
 * read), so on Node the quiet watches of a session that got GOAWAY move to a new connection after 45 s, on a healthy
 * server too.
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
  /** How long a request the server refused unprocessed (after GOAWAY) is sent again on other sessions: 5 s. */
  resendMs?: number;
  /**
   * The bounds of the random pause before the third and later sends of a refused request: refused together, the
   * requests would all move onto the next new session, which the server may send away in turn; spread, they reach
   * several. 50-250 ms.
   */
  resendPauseMs?: readonly [number, number];
  /**
   * The least time between two new sessions to one server opened for resends: a server that refuses every stream
   * gets a few connections a second from us, not hundreds. 200 ms.
   */
  reopenMs?: number;
  /** The randomness of the pauses, a number in [0, 1): `Math.random`. */
  random?: () => number;
}

/** client-go's times, `node_http_client.ts`'s idle timeout, and the resend times after GOAWAY. */
export const HTTP2_TIMING: Required<Http2Timing> = {
  pingIdleMs: 30_000,
  pingTimeoutMs: 15_000,
  idleCloseMs: 4_000,
  resendMs: 5_000,
  resendPauseMs: [50, 250],
  reopenMs: 200,
  random: Math.random,
};

/** What the health check reads of a session's use. */
export interface SessionUse {
  /** Streams open (or waiting for the session). */
  readonly open: number;
  /** When a frame was last read on the session (`performance.now()`, which a wall-clock step does not move). */
  lastRead: number;
  /** True once its connection ended or closed: a body that ends after that was cut, not finished. */
  readonly lost?: boolean;
  /** True once the server sent GOAWAY: a stream it then closed unanswered with code 0 was refused (Bun). */
  readonly goneAway?: boolean;
  /** True when a stream of the session was aborted as silent: the session is pinged at the next check. */
  suspect?: boolean;
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
    if (pinging || (now - use.lastRead < pingIdleMs && !use.suspect)) return;
    use.suspect = false;
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

/**
 * The error of a session that Node could not ping (closing after GOAWAY) and that stayed silent: a reset connection's
 * code, as `pingTimeout`'s, so that its watches resume on a new connection, which is what the GOAWAY asked for.
 */
function silentAfterGoaway(ms: number): Error {
  const error = new Error(
    `the API server sent GOAWAY and then nothing for ${ms} ms on the connection, where Node sends no PING: its ` +
      "watches move to a new connection (the server asked for it, or it hung, or the connection was lost on the way)",
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
