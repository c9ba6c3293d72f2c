// node stall.mjs N POLICY(round_robin|kubernetes_round_robin) [subset]
import * as grpc from "@grpc/grpc-js";
import { register } from "@kgr/resolver";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
const [n, policy, subset] = [
  Number(process.argv[2]),
  process.argv[3],
  process.argv[4] ? Number(process.argv[4]) : undefined,
];
const api = await startFakeApiServer({ token: "t" });
const slices = n / 100;
const ip = (s, i, gen) => `127.${10 + s}.${gen % 200}.${i + 1}`;
const apply = (s, gen) =>
  api.applySlice(
    endpointSlice({
      namespace: "acc",
      service: "echo",
      name: `echo-${s}`,
      port: { name: "grpc", port: 1 },
      endpoints: Array.from({ length: 100 }, (_, i) => ({ ip: ip(s, i, gen), pod: `p-${s}-${i}-${gen}` })),
    }),
  );
for (let s = 0; s < slices; s++) apply(s, 0);
register({ grpc, cluster: { kubeconfig: api.kubeconfig() }, loadBalancing: policy, subsetSize: subset });
let last = performance.now(), maxStall = 0;
const hb = setInterval(() => {
  const now = performance.now();
  maxStall = Math.max(maxStall, now - last - 20);
  last = now;
}, 20);
const client = new grpc.Client("kubernetes:///echo.acc:grpc", grpc.credentials.createInsecure());
const t0 = performance.now();
client.getChannel().getConnectivityState(true);
await new Promise((r) => setTimeout(r, 3000));
const first = maxStall;
maxStall = 0;
for (let u = 0; u < 100; u++) apply(u % slices, 1 + Math.floor(u / slices));
await new Promise((r) => setTimeout(r, 6000));
console.log(
  JSON.stringify({ n, policy, subset, firstResolutionStallMs: Math.round(first), burstStallMs: Math.round(maxStall) }),
);
clearInterval(hb);
client.close();
await api.close();
process.exit(0);
