// Test hosts of concurrent runs (two checkouts, parallel CI jobs) must not share a subnet: the clients of one
// run would call the other run's backends. No traffic is sent here.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { canCreateTestHosts, createTestHost, type TestHost } from "./test_hosts.ts";

const run = promisify(execFile);

/** The third octets of the 10.213.x.0/24 subnets that have an address on this machine. */
async function subnetsInUse(): Promise<Set<number>> {
  const { stdout } = await run("ip", ["-4", "-o", "addr", "show"]);
  return new Set([...stdout.matchAll(/ inet 10\.213\.(\d+)\./g)].map((match) => Number(match[1])));
}

Deno.test({
  name: "createTestHost() takes a subnet that no other run's host uses, and one per host",
  ignore: !(await canCreateTestHosts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Another run's host on the first subnet, as a run of the same tests in another checkout has it.
    const foreign = `kgrfrgn${Deno.pid % 10000}`;
    const hosts: TestHost[] = [];
    await run("ip", ["link", "add", foreign, "type", "veth", "peer", "name", `${foreign}p`]);
    try {
      if (!(await subnetsInUse()).has(1)) await run("ip", ["addr", "add", "10.213.1.1/24", "dev", foreign]);
      const before = await subnetsInUse();
      hosts.push(...await Promise.all([createTestHost("one", 50051), createTestHost("two", 50051)]));
      const subnets = hosts.map((host) => Number(host.address.split(".")[2]));
      for (const subnet of subnets) assert.ok(!before.has(subnet), `10.213.${subnet}.0/24 was already in use`);
      assert.notEqual(subnets[0], subnets[1]);
    } finally {
      await Promise.all(hosts.map((host) => host.remove()));
      await run("ip", ["link", "delete", foreign]);
    }
  },
});

Deno.test({
  name: "createTestHost() whose backend cannot start leaves no network namespace or link behind",
  ignore: !(await canCreateTestHosts()),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    // Only the namespaces createTestHost() names (kgr-net-N): the demo's test, in the Deno suite's other process,
    // adds and deletes one of its own meanwhile.
    const namespaces = async () =>
      (await run("ip", ["netns", "list"])).stdout.split("\n").filter((line) => line.startsWith("kgr-net-"));
    const before = await namespaces();
    const links = (await run("ip", ["-o", "link", "show"])).stdout.match(/kgrnet\d+h/g)?.length ?? 0;
    // No port 70000: the backend exits at once.
    await assert.rejects(createTestHost("broken", 70_000), /Backend broken exited/);
    assert.deepEqual(await namespaces(), before);
    assert.equal((await run("ip", ["-o", "link", "show"])).stdout.match(/kgrnet\d+h/g)?.length ?? 0, links);
  },
});
