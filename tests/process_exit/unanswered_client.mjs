// Watches a Service through a server that accepts connections and never
// answers: the API server itself (TLS never completes), or a SOCKS5 proxy in
// front of it (its greeting is never answered). After 300 ms it stops the
// watch (its signal) and prints "done <epoch ms>"; it must then exit by
// itself, while the connection still hangs. Run by tests/process_exit_test.ts
// with UNANSWERED_PORT set.
import process from "node:process";
import { watchEndpoints } from "@kgr/resolver";

const port = process.env.UNANSWERED_PORT;
// A proxy comes only from a kubeconfig's proxy-url (or the environment): a `proxyUrl` cluster option, which does
// not exist, went unnoticed and the watch went straight to port 1, refused at once.
const proxied = {
  clusters: [{
    name: "c",
    cluster: {
      server: "https://127.0.0.1:1",
      "insecure-skip-tls-verify": true,
      "proxy-url": `socks5://127.0.0.1:${port}`,
    },
  }],
  users: [{ name: "u", user: {} }],
  contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  "current-context": "c",
};
const cluster = process.argv[2] === "socks5"
  ? { kubeconfig: proxied }
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
