// A tiny gRPC echo service without .proto files, shared by the demo and the
// cross-runtime tests. Plain JavaScript so that Deno, Bun and Node run it as is.
// Every function takes the caller's @grpc/grpc-js module.
import { Buffer } from "node:buffer";

// Messages are `{ message: string }` objects, encoded as JSON.
const text = {
  serialize: (value) => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes) => JSON.parse(Buffer.from(bytes).toString()),
};

/** The service definition (grpc-js style; nice-grpc accepts it too). */
export const EchoService = {
  echo: {
    path: "/kgr.demo.Echo/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: text.serialize,
    requestDeserialize: text.deserialize,
    responseSerialize: text.serialize,
    responseDeserialize: text.deserialize,
  },
};

/**
 * Starts an echo backend that answers `<name>:<request>`.
 * @param {typeof import("@grpc/grpc-js")} grpc
 * @param {{ name: string, host: string, port: number }} where
 */
export async function startEchoServer(grpc, { name, host, port }) {
  if ("Deno" in globalThis) await deferDenoServerCloseAfterGoaway();
  const server = new grpc.Server();
  const backend = {
    name,
    host,
    port,
    calls: 0,
    /** Graceful stop: in-flight calls finish; bounded to 2 s. */
    stop: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
  server.addService(EchoService, {
    echo(call, callback) {
      backend.calls++;
      callback(null, { message: `${name}:${call.request.message}` });
    },
  });
  backend.port = await new Promise((resolve, reject) => {
    server.bindAsync(
      `${host.includes(":") ? `[${host}]` : host}:${port}`,
      grpc.ServerCredentials.createInsecure(),
      (error, actual) => (error ? reject(error) : resolve(actual)),
    );
  });
  return backend;
}

const DEFERRED = Symbol.for("kgr.echo_service.denoServerGoawayDeferral");

/**
 * Deno only (denoland/deno#36788, README's Known issues): an HTTP/2 session that
 * receives GOAWAY closes itself from inside nghttp2's receive loop, and Deno
 * frees nghttp2 state that the loop still walks (SIGSEGV or SIGABRT in
 * find_stream_on_goaway_func). register() defers that close for sessions
 * made after it; an echo server started here may come before register() or
 * without it, in the test's own process, where every client that closes its
 * channel sends the server's session a GOAWAY. So each node:http2 server
 * session gets the deferral here too: a close() or destroy() made while a
 * GOAWAY is handled runs on the next setImmediate.
 */
async function deferDenoServerCloseAfterGoaway() {
  const { default: http2 } = await import("node:http2");
  const { setImmediate } = await import("node:timers");
  const createServer = http2.createServer;
  if (createServer[DEFERRED]) return;
  const patched = function (...args) {
    const server = createServer.apply(this, args);
    server.on("session", (session) => {
      const held = [];
      let holding = false;
      for (const method of ["close", "destroy"]) {
        const original = session[method];
        session[method] = function (...callArgs) {
          if (!holding) return original.apply(this, callArgs);
          held.push(() => original.apply(this, callArgs));
        };
      }
      const emit = session.emit;
      session.emit = function (event, ...eventArgs) {
        if (event === "goaway" && !holding) {
          holding = true;
          setImmediate(() => {
            holding = false;
            for (const run of held.splice(0)) run();
          });
        }
        return emit.call(this, event, ...eventArgs);
      };
    });
    return server;
  };
  patched[DEFERRED] = true;
  http2.createServer = patched;
}

/**
 * Finds a TCP port that is free on every given loopback host, from 26000-31999: below the kernel's range for the
 * ports it picks itself (32768-60999 by default), so that no socket of a test running beside takes it between this
 * probe and its bind, and above the end-to-end control plane's `freePort()` (20000-25999, tests/e2e/control_plane.ts),
 * so that neither takes a port the other has picked but not bound yet.
 * @param {string[]} hosts
 * @returns {Promise<number>}
 */
export async function freePort(hosts) {
  const net = await import("node:net");
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 26000 + Math.floor(Math.random() * 6000);
    let free = true;
    for (const host of hosts) {
      free = await new Promise((resolve) => {
        const probe = net.createServer();
        probe.once("error", () => resolve(false));
        probe.listen(port, host, () => probe.close(() => resolve(true)));
      });
      if (!free) break;
    }
    if (free) return port;
  }
  throw new Error(
    `Cannot find a free port on ${
      hosts.join(", ")
    } between 26000 and 31999 in 50 tries: stop servers that hold ports there, or run fewer tests at once`,
  );
}

/**
 * Calls `echo` every `intervalMs` until stopped, counting answers per backend
 * and failures. Bounded: at most `maxCalls` calls.
 * @param {(request: string) => Promise<string>} call
 */
export function startLoad(call, { intervalMs = 10, maxCalls = 20000 } = {}) {
  let stopped = false;
  let sent = 0;
  const inFlight = new Set();
  const load = {
    byBackend: new Map(),
    failures: [],
    calls: 0,
    /** Takes the counts so far and starts new ones. */
    take() {
      const counts = Object.fromEntries([...load.byBackend].sort());
      load.byBackend = new Map();
      return counts;
    },
    /** Stops sending and waits for the calls in flight. */
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
  const timer = setInterval(() => {
    if (stopped || sent >= maxCalls) return;
    sent++;
    const promise = call(`ping-${sent}`).then(
      (answer) => {
        const backend = answer.split(":")[0];
        load.byBackend.set(backend, (load.byBackend.get(backend) ?? 0) + 1);
        load.calls++;
      },
      (error) => {
        load.failures.push(error);
        load.calls++;
      },
    ).finally(() => inFlight.delete(promise));
    inFlight.add(promise);
  }, intervalMs);
  return load;
}

/** Promisified unary call of a generic grpc-js client made from EchoService. */
export function echoCaller(client, deadlineMs = 5000) {
  return (request) =>
    new Promise((resolve, reject) => {
      client.echo({ message: request }, { deadline: Date.now() + deadlineMs }, (error, response) => {
        if (error) reject(error);
        else resolve(response.message);
      });
    });
}
