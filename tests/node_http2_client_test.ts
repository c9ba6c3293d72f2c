// The HTTP/2 client (Node's and Bun's default, `cluster.http2`) is for Node and Bun only (Deno's node:http2 loses answered bodies when a
// session that got GOAWAY closes): its scenarios run in Node and Bun children, against the built package and
// loopback servers that each child starts (tests/node_http2_client/scenarios.mjs).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { childEnv } from "./_child_env.mjs";

const expected: Record<string, string> = {
  get: 'get: {"kind":"Status"}, long: 2097152, sessions: 1',
  limit: "answers: open open open, sessions: 2",
  goaway: "watch: a,b, after: /after answered, refused: 2, /refused answered, sessions: 2",
  goawayStorm: "answered: 20 of 20, more than 8 sessions: true",
  goawayAlways: "failed: the API server refused new streams after GOAWAY on N connections in S s, all 20 so: true, " +
    "connections > 2: true, in 0.6-1.5 s: true, opened <= 8: true, streams <= 200: true, sockets open after: 0",
  closedEarly: "failed: the server closed the request's HTTP/2 stream before it answered (error code 0), sends: 5, " +
    "within 1 s: true",
  ping: "failed: the API server stopped answering: no answer to an HTTP/2 PING within 400 ms on a connection silent " +
    "for longer (a hung or stopped API server, or a connection lost on the way) (ECONNRESET), within 5 s: true, then: open",
  pingOwnClose: "failed: ECONNRESET, within 2 s: true",
  pingAfterGoaway: "failed: ECONNRESET, within 3 s: true",
  pingClockBack:
    "failed: the API server stopped answering: no answer to an HTTP/2 PING within 400 ms on a connection " +
    "silent for longer (a hung or stopped API server, or a connection lost on the way) (ECONNRESET), within 5 s: true, " +
    "then: open",
  alpn: 'answers: {"over":"http/1.1"} {"over":"http/1.1"} {"over":"http/1.1"}, connections: 2',
  errors: "ca: same, refused: same, name: same, wrong name: same",
  grpc: 'http2: false: KubeApiError: Cannot watch endpointslices of service "echo" in namespace "default": the ' +
    "server at https://127.0.0.1:PORT does not answer in HTTP/1.1 (...): check the port in cluster options; by " +
    'default: KubeApiError: Cannot watch endpointslices of service "echo" in namespace "default": the server at ' +
    "https://127.0.0.1:PORT answers in gRPC, not as a Kubernetes API server (...): check the port in cluster options",
  idle: "open after the idle time: 0, sessions: 2",
  lifetime: "watching: open, then exited",
  window: "body: 4194304, within 6 s: true",
  firstRequest: "round trips: 2",
  closed: "failed: Cannot send a request: its HTTP client was closed",
  closedSettings: "failed: Cannot send a request: its HTTP client was closed",
  abortedSettings: "failed: TimeoutError, within 2 s: true",
  closedAfterAnswer: "read: 1000000",
  silentSettings: "failed: UND_ERR_CONNECT_TIMEOUT Connect Timeout Error (connected over TLS, but the server did not " +
    "start HTTP/2 (no SETTINGS frame) within 300 ms)",
  cut: "first: open, then: failed: the connection closed before the body ended",
  // A known issue on both: a body the server resets with NO_ERROR and no content-length ends as if complete.
  reset: "first: open, then: ended",
  cluster: "versions (default, http2: false, http2: true): 2.0 1.1 2.0, connections: 2",
  frozen: "first: failed: Request to the API server stalled: no answer for 1000 ms (stallTimeoutMs), again: " +
    "1000000 bytes within 1 s: true, then: 1000000 bytes, connections: 2, watch: failed: ECONNRESET within 3 s: " +
    "true, sockets open: 1, traced: HTTP/2 connection to RELAY: a request on it went silent; new requests go on " +
    "another connection, its other 1 stream(s) stay on it unless its PING goes unanswered",
  frozenAlone: "first: failed: Request to the API server stalled: no answer for 1000 ms (stallTimeoutMs), sockets " +
    "open 100 ms after: 0, again: 1000000 bytes, connections: 2",
  stopped: "timed out: TimeoutError, then: answered, sessions: 1",
};

const titles: Record<string, string> = {
  get: "answers a GET and a long streamed body on one session",
  limit: "opens a second session for a third stream when the server allows two",
  goaway: "lets a stream finish after GOAWAY and sends a refused stream again on a new session",
  goawayStorm: "sends GETs again until a session takes them when the server sends eight new sessions away in a row",
  goawayAlways: "fails GETs that every new session refused after GOAWAY once the resend time is over, saying so, " +
    "on a few connections that it closes",
  closedEarly:
    "sends a GET closed with code 0 before its answer, without GOAWAY, 5 times, then fails it in those words",
  ping: "notices a server that stops answering PINGs, fails the watch as a broken connection, and resumes it",
  pingOwnClose: "notices a hung server as early when we closed another stream of the session meanwhile",
  pingAfterGoaway: "notices a server that stops answering under a watch it let run after GOAWAY",
  pingClockBack: "notices a server that stops answering PINGs though the wall clock was set back meanwhile",
  alpn: "talks HTTP/1.1 to an https server that picks it in ALPN, with one attempt at HTTP/2",
  errors: "fails a wrong CA, a refused port and a wrong server name in the words of the HTTP/1.1 client",
  grpc: "names a gRPC server's port as no API server by default (it answers in gRPC) as with http2: false",
  idle: "closes a session without streams after the idle time",
  lifetime: "lets a process with a watch nobody closed exit",
  window: "reads a 4 MiB body over a 200 ms round trip in a few round trips, not one per 64 KiB",
  firstRequest: "sends the first request of a connection without waiting a round trip for the server's SETTINGS",
  closed: "fails a request waiting for its session when the client is closed",
  closedSettings: "fails a request waiting for the server's SETTINGS when the client is closed",
  abortedSettings: "ends the first request with its signal while the server's SETTINGS are awaited",
  closedAfterAnswer: "reads a large answer whole, slowly, after the server closed the connection behind it",
  silentSettings: "fails a server that took TLS and never sent its SETTINGS, saying so, as a connect timeout",
  cut: "fails an answer whose connection the server ended mid-body, as a broken connection",
  reset: "ends a body the server reset mid-way with NO_ERROR as if complete when it has no content-length (known)",
  cluster: "is the client of a cluster by default and with http2: true, sharing one connection, not with " +
    "http2: false (HTTP/1.1)",
  frozen: "sends a request again on a new connection after one on a connection that froze stalled, and pings the " +
    "frozen one at once for the streams left on it",
  frozenAlone: "closes a frozen connection at once when the request that stalled on it was its last",
  stopped: "keeps a session in use after requests that the caller stopped or timed out",
};

/** What differs between the runtimes: Bun 1.4.5 reports a refused stream as one closed with no error code. */
const byRuntime: Record<string, Record<string, string>> = {
  Node: {
    refusedPost: "answered, tries: 2",
    resetWithLength: "first: open, then: failed: Stream closed with error code NGHTTP2_PROTOCOL_ERROR",
    gone: "first: open, then: failed: the connection closed before the body ended",
    goneWithLength: "first: open, then: failed: the connection closed before the body ended",
    goawayQuiet:
      "failed: the API server sent GOAWAY and then nothing for 2000 ms on the connection, where Node sends " +
      "no PING: its watches move to a new connection (the server asked for it, or it hung, or the connection was lost " +
      "on the way), not before 1.8 s: true",
  },
  Bun: {
    refusedPost: "failed: the server closed the request's HTTP/2 stream before it answered (error code 0), tries: 1",
    // Bun 1.4.5 ends such a body as if complete: its content-length is the one sign (a known issue without one).
    resetWithLength: "first: open, then: failed: the body ended short of its content-length: 5 of 100 bytes came",
    gone: "first: open, then: ended",
    goneWithLength: "first: open, then: failed: the body ended short of its content-length: 5 of 100 bytes came",
    // Bun pings a session that got GOAWAY, and the server answers: the watch runs on.
    goawayQuiet: "open 3.6 s after GOAWAY",
  },
};

const byRuntimeTitles: Record<string, string> = {
  refusedPost: "sends a refused POST again only where the runtime names the refusal",
  resetWithLength: "fails a body the server reset with NO_ERROR short of its content-length",
  gone: "fails a body whose session the server destroyed mid-way, where the runtime tells it from an end",
  goneWithLength: "fails a body whose session the server destroyed short of its content-length",
  goawayQuiet: "counts a GOAWAY as a frame read for a quiet watch on the session it sent away",
};

for (
  const [runtime, program] of [["Node", "node"], ["Bun", new URL("../node_modules/.bin/bun", import.meta.url).pathname]]
) {
  for (const scenario of Object.keys(byRuntimeTitles)) {
    Deno.test(`nodeHttp2Client() on ${runtime} ${byRuntimeTitles[scenario]}`, async () => {
      assert.equal(await runScenario(program, scenario), byRuntime[runtime][scenario]);
    });
  }
  for (const scenario of Object.keys(expected)) {
    Deno.test(`nodeHttp2Client() on ${runtime} ${titles[scenario]}`, async () => {
      assert.equal(await runScenario(program, scenario), expected[scenario]);
    });
  }
}

/** Runs one scenario of node_http2_client/scenarios.mjs on `program`; gives its output, trimmed. */
async function runScenario(program: string, scenario: string): Promise<string> {
  if (!existsSync(new URL("../dist/src/runtime/node_http2_client.js", import.meta.url))) {
    throw new Error("Cannot run the scenario: the package is not built: run `npm run build` first");
  }
  const path = new URL("./node_http2_client/scenarios.mjs", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(program, {
    env: childEnv(),
    args: [path, scenario],
    // A child held alive by a session fails here, rather than hanging the test.
    signal: AbortSignal.timeout(30_000),
  })
    .output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  return decoder.decode(stdout).trim();
}
