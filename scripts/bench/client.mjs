// One benchmark client process, started by scripts/bench.ts with one JSON
// argument. Runs on Deno, Bun and Node (modes "ours" and "raw") or Node 20
// (mode "informer", @kubernetes/client-node 1.x). It only watches:
// no endpoint address is ever dialed.
//
// Output, one line each (times in ms since the Unix epoch, wall clock):
//   first <elapsed ms> <subscribers>  every subscriber saw at least `expect` endpoints
//   u <time> <marker>                 subscriber 0 saw an update containing a marker address
//   n <time> <count> [<rv>]           subscriber 0 saw an update (count of endpoints; resourceVersion for ours)
// What our consumer does with each snapshot (`consumer`): "walk" looks at every endpoint's address
// for markers (as an application using each snapshot would), "idle" reads only its resourceVersion,
// "slow" is idle and then keeps the thread busy for `consumerMs` (slower than the event stream).
// With `"encoding": "protobuf"`, mode "raw" asks for protobuf (`Accept: application/vnd.kubernetes.protobuf,
// application/json`), as client-go and kube-proxy do, splits the watch into its length-prefixed frames and
// scans each frame's bytes for a marker; a server that answers JSON is read as JSON. Mode "ours" passes
// `"protobuf"`, when given, as the resolver's `protobuf` watch setting (`false`: EndpointSlices in JSON only).
// It exits when its stdin closes, or after `maxSeconds`.
import process from "node:process";

const config = JSON.parse(process.argv[2]);
const {
  mode,
  server,
  token,
  caFile,
  namespace,
  services,
  perService = 1,
  marker = "10.200.",
  expect = 1,
  maxSeconds = 900,
  consumer = "walk",
  consumerMs = 0,
  watchList = false,
  encoding = "json",
  protobuf,
} = config;
const now = () => performance.timeOrigin + performance.now();
const PROTOBUF = "application/vnd.kubernetes.protobuf";
const write = (line) => process.stdout.write(line + "\n");
const controller = new AbortController();
const exit = () => {
  controller.abort();
  setTimeout(() => process.exit(0), 200).unref?.();
};
process.stdin.on("end", exit);
process.stdin.on("close", exit);
process.stdin.resume();
const deadline = setTimeout(exit, maxSeconds * 1000);
deadline.unref?.();

// Set once the client's library is loaded, as the Go original's clock starts in main(), its packages initialized.
let start;
const loaded = () => {
  start = now();
};
const total = services.length * perService;
let remaining = total;
const firstSeen = () => {
  if (--remaining === 0) write(`first ${(now() - start).toFixed(3)} ${total}`);
};

if (mode === "ours") await runOurs();
else if (mode === "raw") await runRaw();
else if (mode === "informer") await runInformer();
else throw new Error(`Cannot run benchmark client: unknown mode "${mode}"`);

function walk(snapshot, at) {
  for (const endpoint of snapshot.endpoints) {
    const host = endpoint.addresses[0].host;
    if (host.startsWith(marker)) write(`u ${at.toFixed(3)} ${host}`);
  }
}

async function runOurs() {
  const { watchEndpoints } = await import("@kgr/resolver");
  loaded();
  const cluster = { server, ...(token ? { token } : {}), ...(caFile ? { caFile } : {}) };
  const options = { cluster, signal: controller.signal, ...(protobuf === undefined ? {} : { protobuf }) };
  let index = 0;
  for (const service of services) {
    for (let i = 0; i < perService; i++) {
      const mine = index++;
      (async () => {
        let first = true;
        const target = `kubernetes:///${service}.${namespace}:grpc`;
        for await (const snapshot of watchEndpoints(target, options)) {
          const at = now();
          if (first && snapshot.endpoints.length >= expect) {
            first = false;
            firstSeen();
          }
          if (mine !== 0) continue;
          write(`n ${at.toFixed(3)} ${snapshot.endpoints.length} ${snapshot.resourceVersion}`);
          if (consumer === "walk") walk(snapshot, at);
          else if (consumer === "slow") {
            const until = performance.now() + consumerMs;
            while (performance.now() < until) {
              // Busy: a consumer whose work blocks the thread, as a gRPC channel's does.
            }
          }
        }
      })().catch((error) => console.error(`subscriber ${mine}: ${error}`));
    }
  }
}

/**
 * The limit on each runtime: the HTTP call ours makes there (`node:http` on Node, undici's request() on
 * Deno; on Bun `fetch`, faster there than the `node:http` ours uses: see BENCHMARKS.md, Bursts), reading
 * the body and only finding the marker in each line.
 * With `watchList`, one streaming-list watch (`sendInitialEvents=true`): resolved at the bookmark
 * that ends the initial events; LIST then WATCH when the server refuses it (422).
 */
async function runRaw() {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (encoding === "protobuf") headers.accept = `${PROTOBUF}, application/json`;
  else if (encoding !== "json") throw new Error(`Cannot run benchmark client: unknown encoding "${encoding}"`);
  const base = `${server}/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=` +
    encodeURIComponent(`kubernetes.io/service-name=${services[0]}`);
  const rawGet = await loadRawGet();
  loaded();
  const ca = caFile ? await (await import("node:fs/promises")).readFile(caFile, "utf8") : undefined;
  const get = rawGet(headers, ca);
  let watch;
  let protobuf = false;
  if (watchList) {
    const response = await get(
      `${base}&watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    );
    if (response.status === 200) {
      watch = response.body;
      protobuf = response.type.startsWith(PROTOBUF);
    } else await collect(response.body);
  }
  const initialEventsEnd = watch !== undefined;
  if (watch === undefined) {
    const response = await get(base);
    const body = await collect(response.body);
    const rv = response.type === PROTOBUF
      ? listResourceVersion(body)
      : JSON.parse(new TextDecoder().decode(body)).metadata.resourceVersion;
    firstSeen();
    const watched = await get(`${base}&watch=true&resourceVersion=${rv}`);
    watch = watched.body;
    protobuf = watched.type.startsWith(PROTOBUF);
  }
  if (protobuf) return await scanFrames(watch, initialEventsEnd);
  const markerPattern = new RegExp(`"(${marker.replaceAll(".", "\\.")}[0-9.]+)"`);
  let initial = initialEventsEnd;
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for await (const chunk of watch) {
      const at = now();
      // Benchmark objects are ASCII: no character is cut between chunks.
      buffered += decoder.decode(chunk);
      let newline;
      while ((newline = buffered.indexOf("\n")) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (initial && line.includes(`"k8s.io/initial-events-end":"true"`)) {
          initial = false;
          firstSeen();
        }
        const found = markerPattern.exec(line);
        if (found) write(`u ${at.toFixed(3)} ${found[1]}`);
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
}

/**
 * Reads a protobuf watch: splits it into frames (a 4-byte big-endian length, then a WatchEvent) and scans each
 * frame's bytes, read as Latin-1 text, for the initial-events-end annotation's key and for a marker address
 * (a string field's bytes; the byte after it is a field tag, never a digit or a dot).
 */
async function scanFrames(watch, initial) {
  const markerPattern = new RegExp(`${marker.replaceAll(".", "\\.")}[0-9.]+`);
  const latin1 = new TextDecoder("latin1");
  let buffered = new Uint8Array(0);
  try {
    for await (const chunk of watch) {
      const at = now();
      const bytes = buffered.length === 0 ? chunk : concat(buffered, chunk);
      let offset = 0;
      while (bytes.length - offset >= 4) {
        const length =
          ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
        if (bytes.length - offset - 4 < length) break;
        const frame = latin1.decode(bytes.subarray(offset + 4, offset + 4 + length));
        offset += 4 + length;
        if (initial && frame.includes("k8s.io/initial-events-end")) {
          initial = false;
          firstSeen();
        }
        const found = markerPattern.exec(frame);
        if (found) write(`u ${at.toFixed(3)} ${found[0]}`);
      }
      buffered = bytes.slice(offset);
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
}

function concat(a, b) {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/** The resourceVersion of a protobuf LIST: envelope (`k8s\0`, Unknown) -> 2 raw -> 1 ListMeta -> 2 resourceVersion. */
function listResourceVersion(body) {
  let raw = field(body, 4, body.length, 2);
  raw = field(body, raw.start, raw.end, 1);
  const rv = field(body, raw.start, raw.end, 2);
  return new TextDecoder().decode(body.subarray(rv.start, rv.end));
}

/** The bounds of the first length-delimited field `number` between `start` and `end` (other fields skipped). */
function field(bytes, start, end, number) {
  const varint = () => {
    let value = 0;
    for (let shift = 0; start < end; shift += 7) {
      const byte = bytes[start++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new Error("Cannot read the protobuf LIST: it ends inside a varint");
  };
  while (start < end) {
    const tag = varint();
    const wire = tag % 8;
    if (wire === 0) varint();
    else if (wire === 2) {
      const length = varint();
      if (Math.floor(tag / 8) === number) return { start, end: start + length };
      start += length;
    } else if (wire === 1 || wire === 5) start += wire === 1 ? 8 : 4;
    else throw new Error(`Cannot read the protobuf LIST: wire type ${wire}`);
  }
  throw new Error(`Cannot read the protobuf LIST: no field ${number}`);
}

/**
 * The runtime's own client, loaded: given the headers and the CA, a GET returning the status, the Content-Type and
 * the body's chunks.
 */
async function loadRawGet() {
  const signal = controller.signal;
  if (globalThis.Bun) {
    return (headers, ca) => async (url) => {
      const response = await fetch(url, { headers, signal, tls: ca ? { ca } : undefined });
      return { status: response.status, type: response.headers.get("content-type") ?? "", body: response.body };
    };
  }
  if (!globalThis.Deno) {
    const http = await import("node:http");
    const https = await import("node:https");
    return (headers, ca) => {
      const agents = {
        "http:": new http.Agent({ keepAlive: true }),
        "https:": new https.Agent({ keepAlive: true, ca }),
      };
      return (url) =>
        new Promise((resolve, reject) => {
          const target = new URL(url);
          const client = target.protocol === "https:" ? https : http;
          client.get(target, { headers, signal, agent: agents[target.protocol] }, (response) =>
            resolve({ status: response.statusCode, type: response.headers["content-type"] ?? "", body: response }))
            .on("error", reject);
        });
    };
  }
  const undici = await import("undici");
  return (headers, ca) => {
    const dispatcher = new undici.Agent({ connect: ca ? { ca } : {} });
    return async (url) => {
      const response = await undici.request(url, { headers, signal, dispatcher });
      return { status: response.statusCode, type: response.headers["content-type"] ?? "", body: response.body };
    };
  };
}

async function collect(chunks) {
  const parts = [];
  for await (const chunk of chunks) parts.push(chunk);
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}

/** @kubernetes/client-node's informer on EndpointSlices, one per subscriber, as its users write it. */
async function runInformer() {
  const k8s = await import("@kubernetes/client-node");
  loaded();
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "bench", server, ...(caFile ? { caFile } : { skipTLSVerify: true }) }],
    users: [{ name: "bench", ...(token ? { token } : {}) }],
    contexts: [{ name: "bench", cluster: "bench", user: "bench", namespace }],
    currentContext: "bench",
  });
  const api = kc.makeApiClient(k8s.DiscoveryV1Api);
  const path = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
  let index = 0;
  for (const service of services) {
    for (let i = 0; i < perService; i++) {
      const mine = index++;
      const labelSelector = `kubernetes.io/service-name=${service}`;
      const informer = k8s.makeInformer(
        kc,
        path,
        () => api.listNamespacedEndpointSlice({ namespace, labelSelector }),
        labelSelector,
      );
      let first = true;
      const onChange = () => {
        const at = now();
        let count = 0;
        const markers = [];
        for (const slice of informer.list()) {
          for (const endpoint of slice.endpoints ?? []) {
            if (endpoint.conditions?.ready === false) continue;
            count++;
            const host = endpoint.addresses[0];
            if (host.startsWith(marker)) markers.push(host);
          }
        }
        if (first && count >= expect) {
          first = false;
          firstSeen();
        }
        if (mine !== 0) return;
        write(`n ${at.toFixed(3)} ${count}`);
        for (const host of markers) write(`u ${at.toFixed(3)} ${host}`);
      };
      informer.on("add", onChange);
      informer.on("update", onChange);
      informer.on("delete", onChange);
      informer.on("error", (error) => {
        console.error(`informer ${mine}: ${error?.message ?? error}`);
        // client-node's documented pattern: restart after an error.
        setTimeout(() => !controller.signal.aborted && informer.start().catch(() => {}), 1000);
      });
      await informer.start();
      controller.signal.addEventListener("abort", () => informer.stop());
    }
  }
}
