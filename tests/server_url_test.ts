import assert from "node:assert/strict";
import { ConfigError } from "../src/base/errors.ts";
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
  // Was accepted: calls then failed with a refused connection to port 0 (a builder's finding).
  for (const server of ["https://k.example:0", "10.0.0.1:00"]) {
    assert.throws(
      () => normalizeServer(server, fail),
      new RegExp(`^ConfigError: has port 0, on which no server listens: current value is "${server}"; write`),
    );
  }
  assert.throws(
    () => normalizeServer("http://k.example:0", fail),
    /\(8001 for kubectl proxy\), or leave it out for 80$/,
  );
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

Deno.test("normalizeServer() never quotes a password written without its user name and @, nor a token pasted as the host", () => {
  const fail = (problem: string) => new ConfigError(problem);
  // A service account token's claims take hundreds of characters: more than a DNS label's 63.
  const jwt = `eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQyJ9.${"eyJpc3MiOiJrdWJlcm5ldGVzIn0".repeat(4)}.SRV3sig`;
  const cases: [string, string][] = [
    [
      "https://admin:SRV1",
      'is not a valid URL: current value is "https://admin:" (the rest not shown: it is no port number)',
    ],
    ["admin:SRV2/x?y", 'is not a valid URL: current value is "admin:" (the rest not shown: it is no port number)'],
    ["https://[fd00::1]:SRV4", 'current value is "https://[fd00::1]:" (the rest not shown: it is no port number)'],
    [jwt, "has a host that is no DNS name or IP address (not shown: it may be a credential pasted there)"],
    ["https://k8s;token=SRV5", "has a host that is no DNS name or IP address (not shown: "],
  ];
  for (const [server, message] of cases) {
    assert.throws(() => normalizeServer(server, fail), (error: Error) => {
      assert.ok(error.message.includes(message), error.message);
      assert.doesNotMatch(error.message, /SRV|eyJ/i);
      return true;
    });
  }
  // A port that is a number, too large or not, is shown: it is no secret and says what to fix.
  assert.throws(() => normalizeServer("https://k8s:99999", fail), /current value is "https:\/\/k8s:99999"/);
  assert.equal(normalizeServer("https://k8s_1.example.:6443", fail), "https://k8s_1.example.:6443");
});

Deno.test("normalizeServer() says that an IPv6 address with a zone cannot be used, rather than that the URL has no host:port", () => {
  const fail = (problem: string) => new ConfigError(problem);
  // kubectl dials https://[fe80::1%25eth0]:6443 (Go's URLs take a zone as %25); the URL standard has none.
  for (const [server, zone] of [["https://[fe80::1%25eth0]:6443", "%25eth0"], ["[fe80::1%eth0]:443", "%eth0"]]) {
    assert.throws(() => normalizeServer(server, fail), (error: Error) => {
      assert.equal(
        error.message,
        `has an IPv6 address with a zone (${zone}), which the URLs of JavaScript runtimes cannot hold: current value is ` +
          `${JSON.stringify(server)}; use an address of the server that needs no zone (not a link-local one), or a ` +
          "DNS name",
      );
      return true;
    });
  }
});

// The URL API drops an empty user name and password (`https://@host`), and some URLs with one do not parse at all
// (an in-cluster host with a password is bracketed as an IPv6 address): an "@" before the host is refused either way.
Deno.test("normalizeServer() refuses any '@' before the host, with the caller's advice, and never shows what precedes it", () => {
  const fail = (problem: string) => new ConfigError(problem);
  const options = { credentialsAdvice: "pass a token instead" };
  for (
    const server of [
      "https://@10.0.0.1:6443",
      "https://:@10.0.0.1:6443",
      "@10.0.0.1:6443",
      "admin:SRV1@10.0.0.1:6443",
      "https://admin:SRV2@[fd00::1",
      "https://[admin:SRV3@10.96.0.1]:443",
      "https://admin:p@SRV4@10.0.0.1/k8s",
    ]
  ) {
    assert.throws(() => normalizeServer(server, fail, options), (error: Error) => {
      assert.equal(
        error.message,
        'must not hold a user name or password (the part up to "@", not shown): pass a token instead',
        server,
      );
      return true;
    });
  }
  assert.throws(() => normalizeServer("https://a@k8s", fail), /: put credentials in users$/);
  // After the host, an "@" is the path's: a gateway's URL may have one.
  assert.equal(normalizeServer("https://k.example/clusters/@c-1", fail), "https://k.example/clusters/@c-1");
});

// The URL API skips any run of "/" and "\" after `https:` (and drops tabs and newlines anywhere), so these URLs hold a
// user name and password before their host too: the check for an "@" after "://" alone let them through, and they
// were sent to the host without their credentials, silently. kubectl refuses them ("host must be a URL or a host:port
// pair").
Deno.test("normalizeServer() refuses an '@' before the host after extra slashes, backslashes or a tab", () => {
  const fail = (problem: string) => new ConfigError(problem);
  for (
    const server of [
      "https:///admin:SRV5@10.0.0.1:6443",
      "https:////admin@10.0.0.1",
      "https://\\admin:SRV6@10.0.0.1",
      "https://\t/admin:SRV7@10.0.0.1",
      "https:///@10.0.0.1",
    ]
  ) {
    assert.throws(() => normalizeServer(server, fail), (error: Error) => {
      assert.equal(
        error.message,
        'must not hold a user name or password (the part up to "@", not shown): put credentials in users',
        JSON.stringify(server),
      );
      return true;
    });
  }
});
