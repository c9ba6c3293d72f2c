import assert from "node:assert/strict";
import { ConfigError } from "../src/errors.ts";
import { normalizeServer } from "../src/cluster/server_url.ts";

Deno.test("normalizeServer() drops a trailing slash, keeps the port, brackets IPv6 and adds https://", () => {
  const fail = (problem: string) => new ConfigError(problem);
  assert.equal(
    normalizeServer("https://k.example:6443/", fail),
    "https://k.example:6443",
  );
  assert.equal(
    normalizeServer("https://10.0.0.1:443", fail),
    "https://10.0.0.1:443",
  );
  assert.equal(
    normalizeServer("https://[FD00::1]:6443", fail),
    "https://[fd00::1]:6443",
  );
  assert.equal(normalizeServer("10.0.0.1:6443", fail), "https://10.0.0.1:6443");
  assert.equal(normalizeServer("10.0.0.1:6443/", fail), "https://10.0.0.1:6443");
  assert.throws(() => normalizeServer("10.0.0.1:6443/api", fail), /has no scheme but a path/);
  assert.equal(
    normalizeServer("https://rancher.example/k8s/clusters/c-1/", fail),
    "https://rancher.example/k8s/clusters/c-1",
  );
  assert.equal(
    normalizeServer("http://127.0.0.1:8001", fail),
    "http://127.0.0.1:8001",
  );
  assert.throws(
    () => normalizeServer("https://k.example/?x=1", fail),
    /must not have a query/,
  );
  // A query may carry a secret: the message shows what comes before it.
  for (const server of ["https://k.example:6443/?access_token=sekret-0123", "https://k.example:6443/#sekret-0123"]) {
    assert.throws(() => normalizeServer(server, fail), (error: Error) => {
      assert.equal(
        error.message,
        'must not have a query or fragment: current value is "https://k.example:6443/" followed by one (not shown)',
      );
      return true;
    });
  }
});

Deno.test("normalizeServer() never quotes the query of a server URL it refuses, which may hold a token", () => {
  for (const server of ["ftp://k8s:6443/?access_token=SRV1", "https://k 8s:6443/?access_token=SRV2"]) {
    assert.throws(
      () => normalizeServer(server, (problem) => new ConfigError(problem)),
      (error: Error) =>
        error instanceof ConfigError && !error.message.includes("SRV") && /query not shown/.test(error.message),
    );
  }
});
