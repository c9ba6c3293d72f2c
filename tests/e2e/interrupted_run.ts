// The run that interrupt_test.ts interrupts (not a *_test.ts file: `deno test tests/` leaves it out): one test that
// starts what the data-path tests start, a test host (network namespace, veth pair, echo backend) and a client on
// Node and on Deno calling it through a fake API server, writes the pids of its children and the host's names as JSON
// to report.json in the folder KGR_INTERRUPT_FOLDER names, and waits to be interrupted (60 s at most).
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { startClient } from "./echo_clients.ts";
import { createTestHost } from "./test_hosts.ts";

const PORT = 50051;
const run = promisify(execFile);

Deno.test({
  name: "a run with a test host and clients, waiting to be interrupted",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const folder = Deno.env.get("KGR_INTERRUPT_FOLDER")!;
    await using api = await startFakeApiServer();
    const host = await createTestHost("interrupted-0", PORT);
    api.applySlice(endpointSlice({
      namespace: "e2e",
      service: "echo",
      port: { name: "grpc", port: PORT },
      endpoints: [{ ip: host.address, pod: host.pod }],
    }));
    const kubeconfig = `${folder}/kubeconfig.json`;
    await writeFile(kubeconfig, JSON.stringify(api.kubeconfig({ namespace: "e2e" })));
    const clients = ["node", "deno"].map((runtime) => startClient(runtime, "kubernetes:///echo.e2e:grpc", kubeconfig));
    await Promise.all(clients.map((client) => client.ready));
    const index = host.address.split(".")[2];
    const { stdout } = await run("ps", ["-o", "pid=", "--ppid", String(Deno.pid)]);
    const pids = stdout.split("\n").filter(Boolean).map(Number);
    await writeFile(
      `${folder}/report.json`,
      JSON.stringify({ pids, namespace: `kgr-net-${index}`, link: `kgrnet${index}h` }),
    );
    await new Promise((resolve) => setTimeout(resolve, 60_000));
  },
});
