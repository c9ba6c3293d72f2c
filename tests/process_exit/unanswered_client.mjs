// Watches a Service through a server that accepts connections and never
// answers: the API server itself (TLS never completes), or a SOCKS5 proxy in
// front of it (its greeting is never answered). After 300 ms it stops the
// watch (its signal) and prints "done <epoch ms>"; it must then exit by
// itself, while the connection still hangs. Run by tests/process_exit_test.ts
// with UNANSWERED_PORT set.
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

const port = process.env.UNANSWERED_PORT;
const cluster = process.argv[2] === "socks5"
  ? { server: "https://127.0.0.1:1", insecureSkipTlsVerify: true, proxyUrl: `socks5://127.0.0.1:${port}` }
  : { server: `https://127.0.0.1:${port}`, insecureSkipTlsVerify: true };
const controller = new AbortController();
(async () => {
  for await (const _ of watchEndpoints("kubernetes:///echo.prod:grpc", { cluster, signal: controller.signal })) {
    // Never reached: nothing answers.
  }
})();
setTimeout(() => {
  controller.abort();
  console.log(`done ${Date.now()}`);
}, 300);
