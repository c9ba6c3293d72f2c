/**
 * Watches through an API-server restart, against the real control plane: starts etcd and kube-apiserver
 * (`tests/e2e/control_plane.ts`), creates `--count` Services (`svc-0` … in namespace `restart`, one EndpointSlice
 * each), starts `--processes` Deno processes (default 1) that share the Services out and run `watchEndpoints()` on
 * each, then restarts kube-apiserver (SIGTERM, 3 s grace, then `--down-ms` without a server, default 8000), changes
 * every slice once `/readyz` answers (polled every 200 ms), and prints one JSON line per round. Times are seconds
 * after readiness: when the watches saw the change, and their EndpointSlice requests to the restarted server from the
 * audit log (count, status codes, streaming lists, plain watches before and after readiness, requests per watch, the
 * most in any 100 ms); with the errors each watch reported to `onError` during the restart. `--raw PREFIX` also
 * writes each round's events and audit entries to `PREFIX-<round>.json`.
 *
 * `--modules a.ts,b.ts` runs the watches on each module in turn, round after round (`--rounds`), on the same
 * control plane, so that code before and after a change is measured alternately under the same load. The README's
 * restart figures (Known issues: 500 watches in one process; Benchmarks: the fleet) came from:
 *
 * ```sh
 * mkdir /tmp/old && git archive <commit> src mod.ts | tar -x -C /tmp/old
 * deno run -A scripts/restart_watches.ts --count 500 --down-ms 9000 --rounds 2 --modules ./mod.ts,/tmp/old/mod.ts
 * deno run -A scripts/restart_watches.ts --count 200 --processes 4 --down-ms 5000 --rounds 2 --modules ./mod.ts,/tmp/old/mod.ts
 * ```
 *
 * @module
 */

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type ControlPlane, startControlPlane } from "../tests/e2e/control_plane.ts";
import { childEnv } from "../tests/_child_env.mjs";

const args = Object.fromEntries(
  Deno.args.join(" ").split("--").filter(Boolean).map((pair) => pair.trim().split(/\s+/)),
);
const namespace = "restart";
const count = Number(args.count ?? 500);

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** The child: one watch per Service, one JSON line per event (`ready`, `error`, `seen`), wall-clock times. */
async function runWatches(): Promise<void> {
  const { watchEndpoints } = await import(pathToFileURL(resolve(args.module)).href);
  const print = (event: Record<string, unknown>) => console.log(JSON.stringify({ t: Date.now(), ...event }));
  const controller = new AbortController();
  let resolved = 0;
  let marker = "";
  const seen = new Set<number>();
  (async () => {
    for await (const line of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      for (const word of line.split("\n").filter(Boolean)) {
        if (word === "stop") controller.abort();
        else marker = word;
      }
    }
  })();
  const from = Number(args.from ?? 0);
  const to = Number(args.to ?? count);
  const loops = Array.from({ length: to - from }, async (_, k) => {
    const i = from + k;
    let first = true;
    const onError = (error: Error) => print({ event: "error", i, message: error.message.slice(0, 160) });
    const options = { cluster: { kubeconfig: args.kubeconfig }, signal: controller.signal, onError };
    for await (const snapshot of watchEndpoints(`kubernetes:///svc-${i}.${namespace}:grpc`, options)) {
      if (first && ++resolved === to - from) print({ event: "ready" });
      first = false;
      const hosts = snapshot.endpoints.flatMap((endpoint: { addresses: { host: string }[] }) =>
        endpoint.addresses.map((address) => address.host)
      );
      if (marker && hosts.includes(marker) && !seen.has(i)) {
        seen.add(i);
        print({ event: "seen", i, marker });
      }
    }
  });
  await Promise.all(loops);
}

/** The parent: the control plane, the Services, and the rounds of restarts. */
async function runRounds(): Promise<void> {
  const modules = String(args.modules ?? "./mod.ts").split(",");
  const rounds = Number(args.rounds ?? 1);
  const downMs = Number(args["down-ms"] ?? 8_000);
  const controlPlane = await startControlPlane({ log: (line) => console.error(line) });
  try {
    await createServices(controlPlane);
    let round = 0;
    for (let r = 0; r < rounds; r++) {
      for (const module of modules) {
        console.log(JSON.stringify(await restartRound(controlPlane, module, ++round, downMs)));
      }
    }
  } finally {
    await controlPlane.stop();
  }
}

/** Runs `work` on every index below `total`, `width` at a time. */
async function eachLimited(total: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < total) await work(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

async function send(controlPlane: ControlPlane, path: string, method: string, body: unknown, type: string) {
  const response = await controlPlane.adminFetch(path, {
    method,
    headers: { "content-type": type },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok && response.status !== 409) throw new Error(`${method} ${path}: ${response.status} ${text}`);
}

function slicePath(i?: number): string {
  return `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices${i === undefined ? "" : `/svc-${i}-a`}`;
}

async function createServices(controlPlane: ControlPlane): Promise<void> {
  const json = "application/json";
  await send(controlPlane, "/api/v1/namespaces", "POST", { metadata: { name: namespace } }, json);
  await eachLimited(count, 16, async (i) => {
    const name = `svc-${i}`;
    const service = { metadata: { name }, spec: { ports: [{ name: "grpc", port: 50051 }] } };
    await send(controlPlane, `/api/v1/namespaces/${namespace}/services`, "POST", service, json);
    const slice = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: `${name}-a`, labels: { "kubernetes.io/service-name": name } },
      addressType: "IPv4",
      ports: [{ name: "grpc", port: 50051, protocol: "TCP" }],
      endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true } }],
    };
    await send(controlPlane, slicePath(), "POST", slice, json);
  });
}

/** Reads JSON lines from the child into `events`; resolves `ready` at its ready line. */
function readEvents(stdout: ReadableStream<Uint8Array>, events: { t: number; event: string; i?: number }[]) {
  let markReady = () => {};
  const ready = new Promise<void>((done) => markReady = done);
  (async () => {
    let rest = "";
    for await (const chunk of stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) {
        const event = JSON.parse(line);
        events.push(event);
        if (event.event === "ready") markReady();
      }
    }
  })();
  return ready;
}

/** How many requests each Service's watch sent. */
function perWatch(requests: { service: string }[]): number[] {
  const counts = new Map<string, number>();
  for (const { service } of requests) counts.set(service, (counts.get(service) ?? 0) + 1);
  return [...counts.values()];
}

function quantiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted.length ? +(sorted[Math.floor(q * (sorted.length - 1))] / 1000).toFixed(2) : null;
  return { n: sorted.length, min: at(0), median: at(0.5), max: at(1) };
}

async function restartRound(controlPlane: ControlPlane, module: string, round: number, downMs: number) {
  const processes = Number(args.processes ?? 1);
  const events: { t: number; event: string; i?: number; message?: string }[] = [];
  const children = Array.from({ length: processes }, (_, p) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--v8-flags=--max-old-space-size=2048",
        new URL(import.meta.url).pathname,
        "--child",
        "--module",
        module,
        "--kubeconfig",
        `${controlPlane.dir}/admin.kubeconfig`,
        "--count",
        String(count),
        "--from",
        String(Math.floor(p * count / processes)),
        "--to",
        String(Math.floor((p + 1) * count / processes)),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      env: childEnv(),
    }).spawn();
    return { child, writer: child.stdin.getWriter(), ready: readEvents(child.stdout, events) };
  });
  const ready = Promise.all(children.map((entry) => entry.ready));
  const tell = (word: string) =>
    Promise.all(children.map((entry) => entry.writer.write(new TextEncoder().encode(`${word}\n`)).catch(() => {})));
  const limit = setTimeout(() => children.forEach((entry) => entry.child.kill("SIGKILL")), 180_000);
  try {
    await Promise.race([ready, sleep(60_000).then(() => Promise.reject(new Error("not resolved in 60 s")))]);
    await sleep(3_000);
    const stopAt = Date.now();
    await controlPlane.stopApiServer(3_000);
    const stoppedAt = Date.now();
    await sleep(downMs);
    await controlPlane.startApiServer();
    const readyAt = Date.now();
    const marker = `10.0.1.${round}`;
    await tell(marker);
    const patch = { endpoints: [{ addresses: [marker], conditions: { ready: true } }] };
    await eachLimited(
      count,
      16,
      (i) => send(controlPlane, slicePath(i), "PATCH", patch, "application/merge-patch+json"),
    );
    const writtenAt = Date.now();
    const end = Date.now() + 60_000;
    const seenCount = () => events.filter((event) => event.event === "seen").length;
    while (seenCount() < count && Date.now() < end) await sleep(200);
    await sleep(1_000);
    const audit = (await controlPlane.auditEvents()).filter((event) =>
      event.stage === "ResponseStarted" || event.stage === "ResponseComplete"
    );
    const byId = new Map<string, (typeof audit)[number]>();
    for (const event of audit) {
      if (Date.parse(event.requestReceivedTimestamp) >= stoppedAt && ["list", "watch"].includes(event.verb)) {
        if (!byId.has(event.auditID)) byId.set(event.auditID, event);
      }
    }
    const requests = [...byId.values()].map((event) => ({
      at: Date.parse(event.requestReceivedTimestamp) - readyAt,
      code: event.responseStatus?.code ?? 0,
      streaming: event.requestURI.includes("sendInitialEvents=true"),
      service: /service-name%3D(svc-[0-9]+)/.exec(event.requestURI)?.[1] ?? "",
    }));
    if (args.raw) {
      const raw = [...byId.values()].map((event) => ({
        ...event,
        at: Date.parse(event.requestReceivedTimestamp) - readyAt,
      }));
      await Deno.writeTextFile(`${args.raw}-${round}.json`, JSON.stringify({ events, raw }));
    }
    const perSlot = new Map<number, number>();
    for (const request of requests) {
      const slot = Math.floor(request.at / 100);
      perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
    }
    const codes: Record<string, number> = {};
    for (const request of requests) codes[request.code] = (codes[request.code] ?? 0) + 1;
    const errors = new Map<number, number>();
    const kinds: Record<string, number> = {};
    for (const event of events.filter((e) => e.event === "error" && e.t >= stopAt)) {
      errors.set(event.i!, (errors.get(event.i!) ?? 0) + 1);
      const kind = (event.message ?? "").replace(/[0-9]+/g, "N").slice(0, 90);
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    const seen = events.filter((event) => event.event === "seen").map((event) => event.t - readyAt);
    return {
      round,
      module,
      stopMs: stoppedAt - stopAt,
      downUntilReadyS: +((readyAt - stopAt) / 1000).toFixed(1),
      writesDoneS: +((writtenAt - readyAt) / 1000).toFixed(2),
      seenAfterReadyS: quantiles(seen),
      errorsPerWatch: quantiles([...errors.values()].map((n) => n * 1000)),
      errorsTotal: [...errors.values()].reduce((a, b) => a + b, 0),
      errorKinds: kinds,
      requests: requests.length,
      streamingLists: requests.filter((request) => request.streaming).length,
      plainBeforeReady: requests.filter((request) => !request.streaming && request.at < 0).length,
      plainAfterReady: requests.filter((request) => !request.streaming && request.at >= 0).length,
      requestsPerWatch: quantiles(perWatch(requests).map((n) => n * 1000)),
      codes,
      peakPer100ms: Math.max(0, ...perSlot.values()),
      requestsAfterReadyS: quantiles(requests.map((request) => request.at)),
    };
  } finally {
    clearTimeout(limit);
    await tell("stop");
    await sleep(2_000);
    for (const { child, writer } of children) {
      await writer.close().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // Ended already.
      }
      await child.status;
    }
  }
}

if ("child" in args) await runWatches();
else await runRounds();
