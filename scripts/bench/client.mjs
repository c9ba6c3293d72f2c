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
} = config;
const now = () => performance.timeOrigin + performance.now();
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
  let index = 0;
  for (const service of services) {
    for (let i = 0; i < perService; i++) {
      const mine = index++;
      (async () => {
        let first = true;
        const target = `kubernetes:///${service}.${namespace}:grpc`;
        for await (const snapshot of watchEndpoints(target, { cluster, signal: controller.signal })) {
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
  const base = `${server}/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=` +
    encodeURIComponent(`kubernetes.io/service-name=${services[0]}`);
  const rawGet = await loadRawGet();
  loaded();
  const ca = caFile ? await (await import("node:fs/promises")).readFile(caFile, "utf8") : undefined;
  const get = rawGet(headers, ca);
  let watch;
  if (watchList) {
    const response = await get(
      `${base}&watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
    );
    if (response.status === 200) watch = response.body;
    else await collect(response.body);
  }
  const initialEventsEnd = watch !== undefined;
  if (watch === undefined) {
    const list = JSON.parse(new TextDecoder().decode(await collect((await get(base)).body)));
    firstSeen();
    watch = (await get(`${base}&watch=true&resourceVersion=${list.metadata.resourceVersion}`)).body;
  }
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
 * The runtime's own client, loaded: given the headers and the CA, a GET returning the status and the body's chunks.
 */
async function loadRawGet() {
  const signal = controller.signal;
  if (globalThis.Bun) {
    return (headers, ca) => async (url) => {
      const response = await fetch(url, { headers, signal, tls: ca ? { ca } : undefined });
      return { status: response.status, body: response.body };
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
            resolve({ status: response.statusCode, body: response })).on("error", reject);
        });
    };
  }
  const undici = await import("undici");
  return (headers, ca) => {
    const dispatcher = new undici.Agent({ connect: ca ? { ca } : {} });
    return async (url) => {
      const response = await undici.request(url, { headers, signal, dispatcher });
      return { status: response.statusCode, body: response.body };
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
