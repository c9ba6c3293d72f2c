// A grpc-js client whose kubeconfig user has an exec credential plugin that
// does not finish (one waiting for a login, here `sleep 30`): its call fails at
// its deadline, the script closes the channel and prints "done <epoch ms>", and
// the process must then exit by itself, not when the plugin does. Run by
// tests/process_exit_test.ts. The server is never reached: no credential comes.
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";

const kubeconfig = {
  "current-context": "c",
  clusters: [{ name: "c", cluster: { server: "http://127.0.0.1:1" } }],
  users: [{
    name: "u",
    user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "sleep", args: ["30"] } },
  }],
  contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
};
register({ grpc, cluster: { kubeconfig } });
const client = new grpc.Client("kubernetes:///echo.prod:grpc", grpc.credentials.createInsecure());
client.makeUnaryRequest("/x.Y/Z", (x) => x, (x) => x, Buffer.alloc(0), { deadline: Date.now() + 300 }, () => {
  client.close();
  console.log(`done ${Date.now()}`);
});
