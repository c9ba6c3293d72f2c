import assert from "node:assert/strict";
import { grantAdvice, listedGrant, podNetAdvice, refusedNetAddress } from "../src/runtime/deno_permission_advice.ts";

Deno.test("refusedNetAddress() gives the address Deno refused, as --allow-net takes it", () => {
  assert.equal(refusedNetAddress('Requires net access to "127.0.0.1:22036", run again'), "127.0.0.1:22036");
  assert.equal(refusedNetAddress('Requires net access to "[fd00::1]:6443"'), "[fd00::1]:6443");
  assert.equal(refusedNetAddress("connect ECONNREFUSED 127.0.0.1:1"), undefined);
});

Deno.test("podNetAdvice() names the pods' network as a range, not a list of pods that each rollout changes", () => {
  // It said "or add the pods to its list": pod addresses change at every rollout.
  const advice = (address: string) => podNetAdvice(`NotCapable: Requires net access to "${address}"`);
  assert.equal(
    advice("10.83.2.2:50051"),
    ": this Deno process may not connect to the pods: add the pods' network (the cluster's pod CIDR) to its " +
      "--allow-net list, e.g. --allow-net=<API server>,10.0.0.0/8, as pod addresses change at every rollout",
  );
  const ranges: [string, string][] = [
    ["172.20.1.1:80", "172.16.0.0/12"],
    ["192.168.3.4:80", "192.168.0.0/16"],
    ["100.96.1.2:80", "100.64.0.0/10"],
    ["203.0.113.5:80", "203.0.0.0/16"],
  ];
  for (const [address, range] of ranges) assert.match(advice(address), new RegExp(`,${range}, as pod addresses`));
  // Deno 2.9.6 takes no IPv6 range: the permission without a list.
  assert.equal(
    advice("[fd00::1]:50051"),
    ": this Deno process may not connect to the pods: run it with --allow-net, as pod addresses change at every " +
      "rollout (Deno takes no IPv6 range in --allow-net's list)",
  );
  assert.equal(podNetAdvice("connect ECONNREFUSED 10.0.0.1:50051"), "");
  // Was a range built from an address that is no IPv4 one (300.1.0.0/16), and IPv6's words for a name.
  for (const address of ["300.1.0.0:50051", "echo-0.echo.shop.svc:50051"]) {
    assert.equal(
      advice(address),
      ": this Deno process may not connect to the pods: run it with --allow-net, as pod addresses change at every " +
        "rollout",
    );
  }
});

Deno.test("grantAdvice() quotes a path with a space as a shell needs it, and lists no path with a comma", () => {
  // Was run it with --allow-read=/home/me/My Files/config: the shell split it, and Deno split a comma's path.
  assert.equal(grantAdvice("read", "/home/me/My Files/config"), "run it with '--allow-read=/home/me/My Files/config'");
  assert.equal(grantAdvice("read", "/home/me/it's/config"), "run it with '--allow-read=/home/me/it'\\''s/config'");
  assert.equal(
    grantAdvice("read", "/home/me/a,b/config"),
    "run it with --allow-read (a comma in the name keeps it out of --allow-read's list)",
  );
  assert.equal(grantAdvice("read", "/home/me/.kube/config"), "run it with --allow-read=/home/me/.kube/config");
  assert.equal(listedGrant("read", ["/k/My Files/ca.crt"]), "'--allow-read=/k/My Files/ca.crt,...'");
});
