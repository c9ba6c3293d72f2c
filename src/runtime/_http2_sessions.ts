/**
 * The HTTP/2 sessions of one client (`node_http2_client.ts`), as Go's transport keeps them for client-go: a stream
 * goes on a session with room under the server's `SETTINGS_MAX_CONCURRENT_STREAMS`, and another session is opened
 * when every one is full. kube-apiserver allows 100 streams a connection, and a stream past that is queued in the
 * client and never sent (a watch that never starts, without an error): so the limit is 100 until the server's
 * SETTINGS frame says otherwise (Bun reports 2^32 - 1 before it). The first stream of a session goes at once, with
 * our own SETTINGS, as Go's transport sends it (waiting for the server's cost every new connection a round trip); the
 * others wait for that frame, so that none goes past the server's limit. A session that received GOAWAY takes no new
 * stream (those under way finish), nor does one whose stream was aborted as silent (its connection may be frozen: the
 * retry goes on another); one without streams closes after a few seconds; each has the health check of
 * `_http2_health.ts`, and none keeps the process alive.
 *
 * @module
 */

import http2 from "node:http2";
import { settledOnAbort } from "./abortable.ts";
import { unrefTimer } from "./unref_timer.ts";
import { checkHealth, type Http2Timing, type SessionUse } from "./_http2_health.ts";
import { type Http2TlsOptions, secureConnection } from "./_http2_connection.ts";
import { connectTimeoutError, http2StartTimeoutText } from "./_connect_timeout_text.ts";
import { trace } from "./trace.ts";

/** The streams a session takes until the server's SETTINGS say how many: Go's `initialMaxConcurrentStreams`. */
const ASSUMED_STREAMS = 100;

/** The streams a session takes when the server's SETTINGS set no limit: Go's `defaultMaxConcurrentStreams`. */
const UNSET_STREAMS = 1000;

/**
 * The flow-control windows we give the server, as Go's transport (client-go's): 4 MiB a stream, so that a large LIST
 * is not held to 64 KiB a round trip, and 1 GiB for the connection, so that a watch whose reader lags does not stop
 * the others on the same connection.
 */
const STREAM_WINDOW = 4 * 2 ** 20;
const CONNECTION_WINDOW = 2 ** 30;

/** Why a request made on a closed client, or waiting for a session when it was closed, fails. */
const CLOSED = "Cannot send a request: its HTTP client was closed";

/** A stream's place on a session: `release()` gives it back once the stream has closed. */
export interface StreamLease {
  /** The session to open the stream on. */
  readonly session: http2.ClientHttp2Session;
  /** The session's use, whose `lastRead` the stream keeps up to date. */
  readonly use: SessionUse;
  /** Gives the place back; a second call does nothing. */
  release(): void;
  /**
   * Marks the session as taking no new stream: it failed to open one, or (`silent`) a stream of it was aborted as
   * silent, which its other streams may be too: it is then pinged at once. It closes once its last stream has.
   */
  retire(silent?: boolean): void;
  /**
   * Settles once the server's first SETTINGS frame has come; rejects when it never came (a connect timeout that says
   * so, the server closed the connection, or the client was closed). A stream that fails on a session not yet started
   * fails for this reason.
   */
  readonly started: Promise<void>;
}

/** The sessions of one client. */
export interface Http2Sessions {
  /**
   * A place for one stream to `target`'s origin, on a session set up and with room, or `"http/1.1"` when the server
   * chose HTTP/1.1 in ALPN. For a `resend` (a request refused after GOAWAY), a new session to the origin is opened no
   * sooner than `timing.reopenMs` after the last one: the resends wait for it, and then share it.
   */
  take(target: URL, signal?: AbortSignal | null, resend?: boolean): Promise<StreamLease | "http/1.1">;
  /** Destroys every session. */
  close(): void;
}

/** A session and what the pool knows of it. */
interface Entry {
  /** The session once TLS is done (`"http/1.1"` when the server chose it in ALPN). */
  ready: Promise<http2.ClientHttp2Session | "http/1.1">;
  /** Settles once the server's first SETTINGS frame has come, as {@linkcode StreamLease.started}. */
  started: Promise<void>;
  /** Whether a stream went before the server's SETTINGS came: only one does. */
  sentEarly: boolean;
  use: { open: number; lastRead: number; lost: boolean; goneAway?: boolean; suspect?: boolean };
  limit: number;
  /** False once GOAWAY came, the session was retired, or was closed or destroyed. */
  usable: boolean;
  /**
   * Once the session is closing, marks it unusable; once it is destroyed, or closed without streams, destroys its
   * socket and forgets it.
   */
  ended: () => void;
}

/**
 * Creates the session pool of one client.
 *
 * @param tls The client's TLS options.
 * @param connectTimeoutMs How long TCP and TLS may take, and then, apart, the server's first SETTINGS frame.
 * @param timing The health check's and the idle close's times.
 * @returns The pool.
 *
 * @example A stream's place
 * ```ts ignore
 * import { createSecureContext } from "node:tls";
 * import { http2Sessions } from "./_http2_sessions.ts";
 * import { HTTP2_TIMING } from "./_http2_health.ts";
 * const pool = http2Sessions({ secureContext: createSecureContext() }, 10_000, HTTP2_TIMING);
 * const lease = await pool.take(new URL("https://127.0.0.1:6443/version"));
 * ```
 */
export function http2Sessions(
  tls: Http2TlsOptions,
  connectTimeoutMs: number,
  timing: Required<Http2Timing>,
): Http2Sessions {
  const byOrigin = new Map<string, Entry[]>();
  const sessions = new Set<http2.ClientHttp2Session>();
  /** When the last session to each origin was opened (`performance.now()`). */
  const openedAt = new Map<string, number>();
  let closed = false;

  function forget(origin: string, entry: Entry): void {
    entry.usable = false;
    const list = byOrigin.get(origin) ?? [];
    const at = list.indexOf(entry);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) byOrigin.delete(origin);
  }

  function open(target: URL): Entry {
    const origin = target.origin;
    openedAt.set(origin, performance.now());
    const use: Entry["use"] = { open: 0, lastRead: performance.now(), lost: false };
    const entry: Entry = {
      ready: Promise.resolve("http/1.1"),
      started: Promise.resolve(),
      sentEarly: false,
      use,
      limit: ASSUMED_STREAMS,
      usable: true,
      ended: () => {},
    };
    entry.ready = secureConnection(target, tls, connectTimeoutMs).then((socket): Awaited<Entry["ready"]> => {
      if (closed) {
        socket.destroy();
        throw new Error(CLOSED);
      }
      if (socket.alpnProtocol !== "h2") {
        socket.destroy();
        forget(origin, entry);
        return "http/1.1";
      }
      // Before the session's own listeners: its streams then end their bodies as if the answer were complete (Node
      // and Bun), and `_http2_request.ts` tells them apart by this.
      const lost = () => use.lost = true;
      socket.once("end", lost);
      socket.once("close", lost);
      const settings = { enablePush: false, initialWindowSize: STREAM_WINDOW };
      const session = http2.connect(origin, { createConnection: () => socket, settings });
      session.once("connect", () => session.setLocalWindowSize(CONNECTION_WINDOW));
      sessions.add(session);
      session.unref();
      session.on("error", () => {}); // Its streams get it, and report it.
      session.on("goaway", () => {
        entry.usable = false;
        use.goneAway = true;
        use.lastRead = performance.now(); // A frame read: the server's silence is counted from it.
      });
      session.on("remoteSettings", (settings) => entry.limit = streamLimit(settings.maxConcurrentStreams));
      // Node destroys a session sent away once its last stream closes, and then waits for our socket (given by
      // `createConnection`) to close, which it never does: its `close` never came, and the connection stayed open.
      entry.ended = () => {
        if (session.closed || session.destroyed) entry.usable = false;
        // A retired session closes once its last stream has, as one sent away does.
        if (!entry.usable && use.open === 0 && !session.closed && !session.destroyed) session.close();
        if (!session.destroyed && !(session.closed && use.open === 0)) return;
        socket.destroy();
        sessions.delete(session);
        forget(origin, entry);
      };
      session.once("close", entry.ended);
      checkHealth(session, entry.use, timing);
      entry.started = settingsOf(session, connectTimeoutMs).then(() => {}, (error) => {
        forget(origin, entry);
        // A session destroyed by `close()` before its SETTINGS came fails as one the server closed: it was not.
        throw closed ? new Error(CLOSED) : error;
      });
      entry.started.catch(() => {}); // Its streams get it, and report it.
      return session;
    });
    entry.ready.catch(() => forget(origin, entry));
    const list = byOrigin.get(origin) ?? [];
    list.push(entry);
    byOrigin.set(origin, list);
    return entry;
  }

  function roomy(origin: string): Entry | undefined {
    return byOrigin.get(origin)?.find((entry) => entry.usable && entry.use.open < entry.limit);
  }

  /** How long a resend must wait before it may open a new session to `origin`. */
  function reopenWait(origin: string): number {
    return (openedAt.get(origin) ?? -Infinity) + timing.reopenMs - performance.now();
  }

  return {
    async take(target, signal, resend = false) {
      for (;;) {
        if (closed) throw new Error(CLOSED);
        const found = roomy(target.origin);
        const wait = found === undefined && resend ? reopenWait(target.origin) : 0;
        if (wait > 0) {
          await settledOnAbort(pause(wait), signal ?? undefined);
          continue;
        }
        const entry = found ?? open(target);
        // Counted at once, so that the requests made while a session is set up spread over enough sessions.
        entry.use.open++;
        let session: http2.ClientHttp2Session | "http/1.1";
        try {
          session = await settledOnAbort(entry.ready, signal ?? undefined);
          if (session !== "http/1.1") {
            // One stream goes before the server's SETTINGS; the others wait for them, and for its stream limit.
            if (entry.sentEarly) await settledOnAbort(entry.started, signal ?? undefined);
            entry.sentEarly = true;
          }
        } catch (error) {
          entry.use.open--;
          // A session destroyed by `close()` before its SETTINGS came fails as one the server closed: it was not.
          throw closed ? new Error(CLOSED) : error;
        }
        if (session === "http/1.1") {
          entry.use.open--;
          return session;
        }
        // The server allows fewer streams than assumed: the requests past its limit go to another session.
        if (entry.usable && !session.closed && !session.destroyed && entry.use.open <= entry.limit) {
          return lease(session, entry, target.origin);
        }
        entry.use.open--;
        // A session destroyed (a PING unanswered) or closing stays listed until its `close` event, a turn later: taken
        // again meanwhile, the loop never left the microtask queue, and no timer or I/O of the process ran again.
        entry.ended();
      }
    },
    close() {
      closed = true;
      for (const session of sessions) session.destroy();
      sessions.clear();
      byOrigin.clear();
    },
  };
}

/** A place on `session`, given back once; on a session sent away, its end is looked for a turn after. */
function lease(session: http2.ClientHttp2Session, entry: Entry, origin: string): StreamLease {
  let held = true;
  return {
    session,
    use: entry.use,
    started: entry.started,
    release() {
      if (held) {
        entry.use.open--;
        if (!entry.usable) unrefTimer(setTimeout(entry.ended, 0));
      }
      held = false;
    },
    retire(silent = false) {
      if (silent && entry.usable) {
        trace(
          `HTTP/2 connection to ${origin}: a request on it went silent; new requests go on another connection, its ` +
            `other ${Math.max(entry.use.open - 1, 0)} stream(s) stay on it unless its PING goes unanswered`,
        );
      }
      entry.usable = false;
      if (silent) entry.use.suspect = true;
    },
  };
}

/** A pause of `ms` that never keeps the process alive. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => unrefTimer(setTimeout(resolve, ms)));
}

/** The streams a session may take for the server's `SETTINGS_MAX_CONCURRENT_STREAMS` (2^32 - 1 when unset). */
function streamLimit(maxConcurrentStreams: number | undefined): number {
  if (maxConcurrentStreams === undefined || maxConcurrentStreams >= 2 ** 32 - 1) return UNSET_STREAMS;
  return Math.min(Math.max(maxConcurrentStreams, 1), UNSET_STREAMS);
}

/** `session` once the server's first SETTINGS frame has come, within `ms` (else a connect timeout that says so). */
function settingsOf(session: http2.ClientHttp2Session, ms: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const timer = unrefTimer(setTimeout(() => {
      session.destroy(connectTimeoutError(http2StartTimeoutText(ms)));
    }, ms));
    const settled = () => {
      clearTimeout(timer);
      session.removeListener("remoteSettings", ready);
      session.removeListener("error", failed);
      session.removeListener("close", closed);
    };
    const ready = () => {
      settled();
      resolve(session);
    };
    const failed = (error: Error) => {
      settled();
      reject(error);
    };
    const closed = () => failed(Object.assign(new Error("the server closed the connection"), { code: "ECONNRESET" }));
    session.once("remoteSettings", ready);
    session.once("error", failed);
    session.once("close", closed);
  });
}
