// Minimal reproduction, without grpc-js or the resolver, of what Deno's `node:http2` client keeps per request (see
// Known issues in the README): one session to a `node:http2` server in a Node process on 127.0.0.1, REQUESTS
// requests (100,000) 4 at a time, the live heap after a full garbage collection every 20,000, then after a 3 s pause
// with the session still open, and after closing it. Runs on Node, Bun and Deno:
//   node --expose-gc scripts/http2_call_retention.mjs      (bun scripts/http2_call_retention.mjs)
//   deno run -A --v8-flags=--expose-gc scripts/http2_call_retention.mjs
// On Deno 2.9.6 the live heap grows by about 0.5 KiB a request and falls back in the pause; on Node and Bun it
// stays flat.
import http2 from "node:http2";
import process from "node:process";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { childEnv } from "../tests/_child_env.mjs";

if (process.argv[2] === "--server") {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.respond({ ":status": 200 });
    stream.end("ok");
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));
  process.stdin.on("end", () => process.exit(0)).resume();
} else {
  const collect = globalThis.gc ?? (globalThis.Bun ? () => Bun.gc(true) : undefined);
  if (!collect) throw new Error("run with --expose-gc (Deno: --v8-flags=--expose-gc)");
  const child = spawn("node", [fileURLToPath(import.meta.url), "--server"], {
    env: childEnv(),
    stdio: ["pipe", "pipe", "inherit"],
  });
  const port = Number(await new Promise((resolve) => child.stdout.once("data", resolve)));
  const runtime = typeof Deno !== "undefined"
    ? `deno ${Deno.version.deno}`
    : process.versions.bun
    ? `bun ${process.versions.bun}`
    : `node ${process.version}`;
  const total = Number(process.env.REQUESTS ?? 100_000);
  const report = (label) => {
    collect();
    const heapMiB = (process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
    console.log(`${runtime}: ${label}, live heap ${heapMiB} MiB`);
  };
  const session = http2.connect(`http://127.0.0.1:${port}`);
  report("0 requests");
  let started = 0;
  let done = 0;
  await new Promise((resolve) => {
    const next = () => {
      if (started === total) return done === total && resolve();
      started++;
      const request = session.request({ ":path": "/" });
      request.on("data", () => {});
      request.on("end", () => {
        if (++done % 20_000 === 0) report(`${done} requests`);
        next();
      });
      request.end();
    };
    for (let i = 0; i < 4; i++) next();
  });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  report("after a 3 s pause");
  await new Promise((resolve) => session.close(resolve));
  report("after closing the session");
  child.kill();
}
