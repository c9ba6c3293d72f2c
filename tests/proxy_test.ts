import assert from "node:assert/strict";
import { ConfigError } from "../src/base/errors.ts";
import {
  bunNoProxyVariable,
  environmentProxy,
  proxyForDisplay,
  proxyFromEnvironment,
  proxyUrlProblem,
  warnOfUnreadProxyVariables,
} from "../src/cluster/proxy.ts";
import { setWarningSink } from "../src/runtime/trace.ts";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { createServer } from "node:net";
import { networkError } from "../src/api/_network_error.ts";
import { createHttpClient } from "../src/runtime/http_client.ts";

const PROXY = "http://proxy.corp:3128";
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];
const chosen = (server: string, vars: Record<string, string>) =>
  proxyFromEnvironment(server, envOf(vars))?.url ?? "direct";

Deno.test("proxyFromEnvironment() reads HTTPS_PROXY for https and HTTP_PROXY for http, upper case first", () => {
  const table: [string, Record<string, string>, string][] = [
    ["https://api.example.com:6443", {}, "direct"],
    ["https://api.example.com:6443", { HTTPS_PROXY: PROXY }, PROXY],
    ["https://api.example.com:6443", { https_proxy: PROXY }, PROXY],
    ["https://api.example.com:6443", { HTTPS_PROXY: PROXY, https_proxy: "http://other:1" }, PROXY],
    ["https://api.example.com:6443", { HTTPS_PROXY: "", https_proxy: PROXY }, PROXY],
    ["https://api.example.com:6443", { HTTP_PROXY: PROXY }, "direct"],
    ["http://api.example.com:8080", { HTTP_PROXY: PROXY, HTTPS_PROXY: "http://other:1" }, PROXY],
    ["http://api.example.com:8080", { http_proxy: PROXY }, PROXY],
    ["https://api.example.com:6443", { HTTPS_PROXY: "proxy.corp:3128" }, PROXY],
    ["https://api.example.com:6443", { HTTPS_PROXY: " https://proxy.corp:3129 " }, "https://proxy.corp:3129"],
    ["https://api.example.com:6443", { HTTPS_PROXY: "socks5://127.0.0.1:1080" }, "socks5://127.0.0.1:1080"],
  ];
  for (const [server, vars, expected] of table) {
    assert.equal(chosen(server, vars), expected, `${server} ${JSON.stringify(vars)}`);
  }
  assert.deepEqual(proxyFromEnvironment("https://a.example.com", envOf({ https_proxy: PROXY })), {
    url: PROXY,
    variable: "https_proxy",
  });
});

Deno.test("proxyFromEnvironment() never proxies localhost or loopback addresses, as Go's net/http", () => {
  for (
    const server of ["https://localhost:6443", "https://127.0.0.1:6443", "https://127.9.8.7", "https://[::1]:6443"]
  ) {
    assert.equal(chosen(server, { HTTPS_PROXY: PROXY }), "direct", server);
  }
  assert.equal(chosen("https://[::ffff:127.0.0.1]:6443", { HTTPS_PROXY: PROXY }), "direct");
  for (const server of ["https://0.0.0.0:6443", "https://128.0.0.1", "https://[::2]:6443", "https://localhost.corp"]) {
    assert.equal(chosen(server, { HTTPS_PROXY: PROXY }), PROXY, server);
  }
});

Deno.test("proxyFromEnvironment() honours NO_PROXY entries: *, names, subdomains, ports, IPs and CIDR ranges", () => {
  const table: [string, string, boolean][] = [
    // [NO_PROXY, server, proxied]
    ["*", "https://api.example.com", false],
    ["example.com", "https://example.com:6443", false],
    ["example.com", "https://api.example.com:6443", false],
    ["example.com", "https://badexample.com:6443", true],
    [".example.com", "https://example.com:6443", true],
    [".example.com", "https://api.example.com:6443", false],
    ["*.example.com", "https://example.com:6443", true],
    ["*.example.com", "https://api.example.com:6443", false],
    ["example.com:6443", "https://api.example.com:6443", false],
    ["example.com:443", "https://api.example.com:6443", true],
    ["example.com:443", "https://api.example.com", false],
    [" other.org , EXAMPLE.com ,", "https://api.example.com", false],
    ["10.0.0.0/8", "https://10.96.0.1:443", false],
    ["10.0.0.0/8", "https://11.0.0.1:443", true],
    ["10.96.0.0/12", "https://10.111.255.1", false],
    ["10.96.0.0/12", "https://10.112.0.1", true],
    ["10.96.0.1", "https://10.96.0.1:443", false],
    ["10.96.0.1:443", "https://10.96.0.1:6443", true],
    ["10.96.0.1/40", "https://10.96.0.1", true],
    ["2001:db8::/32", "https://[2001:db8:1::5]:6443", false],
    ["2001:db8::/32", "https://[2001:db9::5]:6443", true],
    ["2001:db8::1", "https://[2001:db8:0:0::1]", false],
    ["[2001:db8::1]:6443", "https://[2001:db8::1]:6443", false],
    ["[2001:db8::1]:6443", "https://[2001:db8::1]:443", true],
    ["10.96.0.1", "https://[::ffff:10.96.0.1]", false],
    ["0.0.0.0", "https://0.0.0.0:6443", false],
    ["", "https://api.example.com", true],
  ];
  for (const [noProxy, server, proxied] of table) {
    assert.equal(chosen(server, { HTTPS_PROXY: PROXY, NO_PROXY: noProxy }) === PROXY, proxied, `${noProxy} ${server}`);
  }
  assert.equal(chosen("https://a.example.com", { HTTPS_PROXY: PROXY, no_proxy: "example.com" }), "direct");
  // As Go: NO_PROXY wins over no_proxy when both are set.
  assert.equal(
    chosen("https://a.example.com", { HTTPS_PROXY: PROXY, NO_PROXY: "x.org", no_proxy: "example.com" }),
    PROXY,
  );
});

Deno.test("proxyFromEnvironment() matches an IP server only with IP and CIDR entries, and names in IDNA, as Go", () => {
  // What Go 1.26's http.ProxyFromEnvironment (x/net/http/httpproxy) chose: `.0.1` named 10.0.0.1 here, and a
  // NO_PROXY name in Unicode never matched the server's host, which the URL parser writes in punycode.
  const table: [string, string, string][] = [
    ["https://10.0.0.1:6443", "0.0.1", PROXY],
    ["https://10.0.0.1:6443", ".0.1", PROXY],
    ["https://10.0.0.1:6443", "*.0.1", PROXY],
    ["https://10.0.0.1:6443", "10.0.0.0/8", "direct"],
    ["https://x.b\u00fccher.example:6443", "b\u00fccher.example", "direct"],
    ["https://x.b\u00fccher.example:6443", ".B\u00dcCHER.example", "direct"],
    ["https://x.b\u00fccher.example:6443", "xn--bcher-kva.example", "direct"],
    ["https://x.a_b.example:6443", "a_b.example", "direct"],
    // An IP entry is read as Go's net.ParseIP reads it, which takes no IPv4 part with a leading zero (it is then a
    // name, which names no IP server); a CIDR range as client-go's ParseCIDRSloppy, which does.
    ["https://10.1.2.3:6443", "010.001.002.003", PROXY],
    ["https://10.1.2.3:6443", "010.001.002.003:6443", PROXY],
    ["https://10.1.2.3:6443", "010.0.0.0/8", "direct"],
    ["https://[fd00::1]:6443", "fd00:0::01", "direct"],
  ];
  for (const [server, noProxy, expected] of table) {
    assert.equal(chosen(server, { HTTPS_PROXY: PROXY, NO_PROXY: noProxy }), expected, `${server} ${noProxy}`);
  }
});

Deno.test("proxyFromEnvironment() takes an IPv4 server into an IPv4 NO_PROXY range only, as Go's IPNet.Contains", () => {
  // What Go 1.26's http.ProxyFromEnvironment chose: ::/0 exempted fd00::1 but not 10.1.2.3, which our 16-byte form
  // writes as ::ffff:10.1.2.3 (inside ::/0); an IPv4-mapped range covers IPv4 servers, an IPv4 range no IPv6 one.
  const table: [string, string, string][] = [
    ["https://10.1.2.3:6443", "::/0", PROXY],
    ["https://10.1.2.3:6443", "::/8", PROXY],
    ["https://[::ffff:10.1.2.3]:6443", "::/0", PROXY],
    ["https://[fd00::1]:6443", "::/0", "direct"],
    ["https://10.1.2.3:6443", "::ffff:0:0/96", "direct"],
    ["https://10.1.2.3:6443", "::ffff:10.0.0.0/104", "direct"],
    ["https://[::ffff:10.1.2.3]:6443", "10.0.0.0/8", "direct"],
    ["https://[fd00::1]:6443", "0.0.0.0/0", PROXY],
  ];
  for (const [server, noProxy, expected] of table) {
    assert.equal(chosen(server, { HTTPS_PROXY: PROXY, NO_PROXY: noProxy }), expected, `${server} ${noProxy}`);
  }
});

Deno.test("proxyFromEnvironment() reads NO_PROXY's host:port entries as Go's net.SplitHostPort", () => {
  // What Go 1.26's http.ProxyFromEnvironment (kubectl v1.36.3 too, against an API server at [fd00:66::2]) chose: a
  // bracketed address without a port is no host:port pair, and matches nothing; an empty port matches any.
  const table: [string, string, string][] = [
    ["https://[fd00::1]:6443", "[fd00::1]", PROXY],
    ["https://[fd00::1]", "[fd00::1]", PROXY],
    ["https://[fd00::1]:6443", "[fd00::1]:", "direct"],
    ["https://10.0.0.1:6443", "10.0.0.1:", "direct"],
    ["https://api.example.com:6443", "example.com:", "direct"],
    ["https://[fd00::1]:6443", "fd00::1", "direct"],
    ["https://[fd00::1]:6443", "[fd00::1]:6443", "direct"],
    // Also measured with kubectl v1.36.3 (a server at [fd00::1]:6443 on lo in a network namespace, HTTPS_PROXY at a
    // loopback listener): a port after a bare address makes another address, a range takes no port nor brackets.
    ["https://[fd00::1]:6443", "[fd00::1]:1", PROXY],
    ["https://[fd00::1]:6443", "fd00::1:6443", PROXY],
    ["https://[fd00::1]:6443", "fd00::1/64", "direct"],
    ["https://[fd00::1]:6443", "fd00::/64", "direct"],
    ["https://[fd00::1]:6443", "[fd00::1]/64", PROXY],
    ["https://[fd00::1]:6443", "fd00::1/64:6443", PROXY],
  ];
  for (const [server, noProxy, expected] of table) {
    assert.equal(chosen(server, { HTTPS_PROXY: PROXY, NO_PROXY: noProxy }), expected, `${server} ${noProxy}`);
  }
});

Deno.test("proxyUrlProblem() accepts http, https and socks5 where the runtime can, as client-go", () => {
  const node = { runtime: "Node", schemes: ["http", "https", "socks5"] };
  const bun = { runtime: "Bun", schemes: ["http", "https"] };
  for (const url of ["http://proxy:3128", "https://user:pass@proxy:443", "socks5://127.0.0.1:1080", "HTTP://P:1"]) {
    assert.equal(proxyUrlProblem(url, node), undefined, url);
  }
  assert.equal(
    proxyUrlProblem("socks5://127.0.0.1:1080", bun),
    'uses socks5, which Bun cannot use as a proxy: current value is "socks5://127.0.0.1:1080"; ' +
      "use an http:// or https:// proxy",
  );
  assert.equal(
    proxyUrlProblem("socks5h://127.0.0.1:1080", node),
    'has scheme "socks5h", which kubectl refuses as well: current value is "socks5h://127.0.0.1:1080"; ' +
      "use an http://, https:// or socks5:// URL",
  );
  assert.match(proxyUrlProblem("ftp://proxy:21", node)!, /^has scheme "ftp"/);
  assert.match(proxyUrlProblem("proxy.corp:3128", node)!, /^has scheme "proxy.corp"/);
  assert.match(proxyUrlProblem("127.0.0.1:3128", node)!, /^is not a URL: current value is "127.0.0.1:3128"/);
  assert.match(proxyUrlProblem("http://", node)!, /^is not a URL/);
  // A user name or password that is not percent-encoding, as Go's url.Parse refuses it; never quoted.
  assert.equal(
    proxyUrlProblem("http://user:pa%zzword@proxy:3128", node),
    'has a password with a "%" that starts no escape, which kubectl refuses as well: current value is ' +
      'http://proxy:3128/ (its user name and password not shown); write a "%" in it as %25',
  );
  assert.match(proxyUrlProblem("http://us%er:pass@proxy:3128", node)!, /^has a user name with a "%"/);
  assert.equal(proxyUrlProblem("http://user:pa%25ss%40@proxy:3128", node), undefined);
  // Was accepted: a SOCKS5 proxy on port 0 was dialed on 0 (a review).
  for (const url of ["socks5://127.0.0.1:0", "http://proxy:0"]) {
    assert.match(proxyUrlProblem(url, node)!, /^has port 0, on which no proxy listens: current value is /, url);
  }
  for (
    const [url, port] of [["socks5://127.0.0.1:0", 1080], ["https://proxy:0", 443], ["http://proxy:0", 80]] as const
  ) {
    assert.match(proxyUrlProblem(url, node)!, new RegExp(`or leave it out for ${port}$`), url);
  }
});

// Go's net/http speaks HTTP to an environment proxy of any scheme but https, socks5 and socks5h: kubectl v1.36.3 with
// HTTPS_PROXY=ftp://127.0.0.1:<port of an HTTP proxy> reached the API server through it with CONNECT, where we
// refused the variable, saying kubectl could not use it either. Without a port it dials port 0, and fails.
Deno.test("environmentProxy() takes a proxy of another scheme as http://, as kubectl, and says so", () => {
  assert.deepEqual(
    environmentProxy("https://10.0.0.1:6443", envOf({ https_proxy: "ftp://u:secret@proxy.corp:21" })),
    {
      url: "http://u:secret@proxy.corp:21",
      variable: "https_proxy",
      source: "https_proxy (ftp:// taken as http://, as kubectl takes it)",
    },
  );
  assert.equal(
    environmentProxy("https://10.0.0.1:6443", envOf({ HTTPS_PROXY: "SOCKS4://127.0.0.1:1080/" }))?.url,
    "http://127.0.0.1:1080/",
  );
  assert.deepEqual(environmentProxy("https://10.0.0.1:6443", envOf({ HTTPS_PROXY: "socks5h://p:1080" })), {
    url: "socks5h://p:1080",
    variable: "HTTPS_PROXY",
    source: "HTTPS_PROXY",
  });
  assert.equal(environmentProxy("https://127.0.0.1:6443", envOf({ HTTPS_PROXY: "socks4://x:1" })), undefined);
});

Deno.test("environmentProxy() raises a ConfigError naming the variable for a proxy it cannot use", () => {
  try {
    environmentProxy("https://10.0.0.1:6443", envOf({ https_proxy: "socks4://u:secret@proxy.corp" }));
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.field, "https_proxy");
    assert.equal(
      error.message,
      'Cannot resolve cluster access: https_proxy has scheme "socks4" and no port, which kubectl takes as an ' +
        "http:// proxy on no port, and cannot connect to: current value is socks4://proxy.corp (its user name and " +
        "password not shown); use an http://, https:// or socks5:// URL with a port, or unset it",
    );
  }
  // kubectl ignores a variable that is no URL and connects directly; we say so rather than going around the proxy.
  try {
    environmentProxy("https://10.0.0.1:6443", envOf({ HTTPS_PROXY: "http://user:pa%zzword@proxy:3128" }));
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(
      error.message,
      'Cannot resolve cluster access: HTTPS_PROXY has a password with a "%" that starts no escape, which kubectl ' +
        "does not take as a URL (it ignores the variable and connects directly): current value is " +
        'http://proxy:3128/ (its user name and password not shown); write a "%" in it as %25, or unset it',
    );
  }
});

// In a CGI program (REQUEST_METHOD set), a request's `Proxy:` header becomes HTTP_PROXY ("httpoxy"): Go's net/http
// refuses the variable there, and kubectl v1.36.3 said "refusing to use HTTP_PROXY value in CGI environment" (for
// http_proxy too), where we sent the API server's requests, its token in clear, to whatever proxy the header named.
Deno.test("environmentProxy() refuses HTTP_PROXY where REQUEST_METHOD is set, as kubectl does, not HTTPS_PROXY", () => {
  for (const variable of ["HTTP_PROXY", "http_proxy"]) {
    try {
      environmentProxy(
        "http://10.0.0.1:8001",
        envOf({ REQUEST_METHOD: "GET", [variable]: "http://u:secret@evil:3128" }),
      );
      assert.fail(`expected a ConfigError for ${variable}`);
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.field, variable);
      assert.match(
        error.message,
        new RegExp(`^Cannot resolve cluster access: ${variable} is not used where REQUEST_METHOD`),
      );
      assert.doesNotMatch(error.message, /secret|evil/);
    }
  }
  assert.equal(
    environmentProxy("https://10.0.0.1:6443", envOf({ REQUEST_METHOD: "GET", HTTPS_PROXY: PROXY }))?.url,
    PROXY,
  );
  assert.equal(environmentProxy("http://10.0.0.1:8001", envOf({ HTTP_PROXY: PROXY }))?.url, PROXY);
});

// A Deno process whose --allow-env list lacks REQUEST_METHOD (the README's list before it was added) read it as unset:
// HTTP_PROXY was used in a CGI program without a word, where the other variables that decide the proxy are warned of.
Deno.test("warnOfUnreadProxyVariables() names REQUEST_METHOD when Deno may not read it and HTTP_PROXY is used", () => {
  const warnings: string[] = [];
  const previous = setWarningSink((text) => warnings.push(text));
  try {
    const refused = (name: string) => name === "REQUEST_METHOD";
    warnOfUnreadProxyVariables("http://10.0.0.2:8001", envOf({ HTTP_PROXY: "http://u:secret@evil:3128" }), refused);
    assert.deepEqual(warnings, [
      "this Deno process may not read REQUEST_METHOD, so the API server at http://10.0.0.2:8001 is reached through " +
      "the proxy from HTTP_PROXY, though it may say that this is a CGI program, where a client's Proxy header sets " +
      "HTTP_PROXY and it is not used: run it with --allow-env, or add REQUEST_METHOD to its list",
    ]);
    // Not where no proxy would be used, nor for HTTPS_PROXY, which a CGI program's clients cannot set.
    warnOfUnreadProxyVariables("http://10.0.0.3:8001", envOf({}), refused);
    warnOfUnreadProxyVariables(
      "http://10.0.0.3:8001",
      envOf({ HTTP_PROXY: PROXY, NO_PROXY: "10.0.0.3" }),
      refused,
    );
    warnOfUnreadProxyVariables("https://10.0.0.3:6443", envOf({ HTTPS_PROXY: PROXY }), refused);
    assert.equal(warnings.length, 1);
  } finally {
    setWarningSink(previous);
  }
});

// Three unread variables and three things they may do read "a, b and c"; they read "a or b or c" and "a and b and c".
Deno.test("warnOfUnreadProxyVariables() lists three variables and what they may do as a sentence does", () => {
  const warnings: string[] = [];
  const previous = setWarningSink((text) => warnings.push(text));
  try {
    const refused = (name: string) => ["HTTP_PROXY", "NO_PROXY", "REQUEST_METHOD"].includes(name);
    warnOfUnreadProxyVariables("http://10.0.0.2:8001", envOf({ http_proxy: PROXY }), refused);
    assert.deepEqual(warnings, [
      "this Deno process may not read HTTP_PROXY, NO_PROXY or REQUEST_METHOD, so the API server at " +
      "http://10.0.0.2:8001 is reached through the proxy from http_proxy, though they may name another proxy, " +
      "exempt it or say that this is a CGI program, where a client's Proxy header sets HTTP_PROXY and it is not " +
      "used: run it with --allow-env, or add HTTP_PROXY, NO_PROXY and REQUEST_METHOD to its list",
    ]);
  } finally {
    setWarningSink(previous);
  }
});

Deno.test("socks5h:// from HTTPS_PROXY is used as socks5://, as kubectl (Go's net/http) uses it", async () => {
  const node = { runtime: "Node", schemes: ["http", "https", "socks5"] };
  const bun = { runtime: "Bun", schemes: ["http", "https"] };
  assert.equal(proxyUrlProblem("socks5h://127.0.0.1:1080", node, { environment: true }), undefined);
  assert.match(proxyUrlProblem("socks5h://127.0.0.1:1080", bun, { environment: true })!, /^uses socks5h, which Bun/);
  // The tunnel is asked of a SOCKS5 proxy: its greeting's first byte is the version, 5.
  const greetings: number[] = [];
  const proxy = createServer((client) => {
    client.on("error", () => client.destroy());
    client.once("data", (hello) => {
      greetings.push(hello[0]);
      client.end(Uint8Array.of(5, 255));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const env = envOf({ HTTPS_PROXY: `socks5h://127.0.0.1:${(proxy.address() as { port: number }).port}` });
  const access = await resolveClusterAccess({ server: "https://api.example.com:6443", token: "t" }, { env });
  assert.equal(access.proxySource, "HTTPS_PROXY");
  const client = await createHttpClient({
    tls: access.tls,
    proxyUrl: access.proxyUrl,
    proxySource: access.proxySource,
  });
  try {
    const cause = await client.fetch("https://api.example.com:6443/api", {}).then(() => undefined, (error) => error);
    assert.deepEqual(greetings, [5]);
    assert.match(networkError("list", "endpointslices", access, cause).message, /asks for a login \(SOCKS5\)/);
  } finally {
    client.close();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

Deno.test("proxyForDisplay() never shows a proxy's user name or password", () => {
  assert.equal(proxyForDisplay("http://proxy:3128"), '"http://proxy:3128"');
  assert.equal(
    proxyForDisplay("http://user:secret@proxy:3128"),
    "http://proxy:3128/ (its user name and password not shown)",
  );
  assert.equal(proxyForDisplay("user:secret@proxy:3128"), "(not shown: it holds an @)");
  // Nor its query, which may hold a token.
  assert.equal(proxyForDisplay("http://proxy:3128/?token=s3cr3t"), '"http://proxy:3128/" (its query not shown)');
  assert.equal(
    proxyForDisplay("http://user:pw@proxy:3128/?token=s3cr3t"),
    "http://proxy:3128/ (its user name and password not shown)",
  );
});

Deno.test("resolveClusterAccess() takes the environment's proxy unless the kubeconfig sets proxy-url", async () => {
  const kubeconfig = (cluster: Record<string, unknown>) => ({
    "current-context": "c",
    clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", ...cluster } }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  });
  const env = envOf({ HTTPS_PROXY: PROXY });
  const fromEnv = await resolveClusterAccess({ kubeconfig: kubeconfig({}) }, { env });
  assert.equal(fromEnv.proxyUrl, PROXY);
  assert.equal(fromEnv.proxySource, "HTTPS_PROXY");
  assert.equal(fromEnv.proxyOrigin, "environment");
  const taken = await resolveClusterAccess({ kubeconfig: kubeconfig({}) }, {
    env: envOf({ HTTPS_PROXY: "ftp://p:1" }),
  });
  assert.equal(taken.proxyUrl, "http://p:1");
  assert.equal(taken.proxySource, "HTTPS_PROXY (ftp:// taken as http://, as kubectl takes it)");
  const own = await resolveClusterAccess({ kubeconfig: kubeconfig({ "proxy-url": "http://own:1" }) }, { env });
  assert.equal(own.proxyUrl, "http://own:1");
  assert.match(own.proxySource!, /^proxy-url of the kubeconfig object/);
  assert.equal(own.proxyOrigin, "proxy-url");
  const local = await resolveClusterAccess({ server: "https://127.0.0.1:6443", token: "t" }, { env });
  assert.equal(local.proxyUrl, undefined);
  const skipped = await resolveClusterAccess({ kubeconfig: kubeconfig({}) }, {
    env: envOf({ HTTPS_PROXY: PROXY, NO_PROXY: "10.0.0.0/8" }),
  });
  assert.equal(skipped.proxyUrl, undefined);
});

Deno.test("a kubeconfig proxy-url kubectl refuses is a ConfigError naming the field, its password never shown", async () => {
  const kubeconfig = {
    "current-context": "c",
    clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", "proxy-url": "socks5h://u:secret@p:1080" } }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  };
  try {
    await resolveClusterAccess({ kubeconfig });
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.field, "clusters[0].cluster.proxy-url");
    assert.match(error.message, /^Cannot load .*: clusters\[0\]\.cluster\.proxy-url has scheme "socks5h"/);
    assert.doesNotMatch(error.message, /secret/);
  }
});

Deno.test("a SOCKS5 proxy from HTTPS_PROXY that wants a login is named by its variable, with the login advice", async () => {
  // A loopback SOCKS5 proxy that accepts no method offered without a login (RFC 1928: 0xff).
  const proxy = createServer((client) => {
    client.on("error", () => client.destroy());
    client.once("data", () => client.end(Uint8Array.of(5, 255)));
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const env = envOf({ HTTPS_PROXY: `socks5://127.0.0.1:${(proxy.address() as { port: number }).port}` });
  const access = await resolveClusterAccess({ server: "https://10.0.0.1:6443", token: "t" }, { env });
  const client = await createHttpClient({
    tls: access.tls,
    proxyUrl: access.proxyUrl,
    proxySource: access.proxySource,
  });
  try {
    const cause = await client.fetch("https://10.0.0.1:6443/api", {}).then(() => undefined, (error) => error);
    const { message } = networkError("list", "endpointslices", access, cause);
    assert.match(message, /from HTTPS_PROXY \(.*asks for a login: put the user name and password in HTTPS_PROXY\)/);
    assert.match(message, /; the proxy asks for a login \(SOCKS5\): put the user name and password in its URL/);
    assert.doesNotMatch(message, /proxy-url|lets this server through/);
  } finally {
    client.close();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

// An HTTP proxy that takes the connection and never answers the CONNECT: undici waited for its answer as for any
// (300 s), so the watch stalled for stallTimeoutMs (150 s) and the error blamed the API server ("Request to the API
// server at ... stalled: ... check that it is up"); kubectl v1.36.3 gives up after 1 min (Go's CONNECT timeout).
Deno.test("an HTTP proxy that never answers the CONNECT fails the request within 10 s, naming the proxy", async () => {
  const sockets = new Set<import("node:net").Socket>();
  const proxy = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const env = envOf({ HTTPS_PROXY: `http://127.0.0.1:${(proxy.address() as { port: number }).port}` });
  const access = await resolveClusterAccess({ server: "https://api.example.com:6443", token: "t" }, { env });
  const client = await createHttpClient({
    tls: access.tls,
    proxyUrl: access.proxyUrl,
    proxySource: access.proxySource,
  });
  try {
    const started = Date.now();
    const cause = await client.fetch("https://api.example.com:6443/api", { signal: AbortSignal.timeout(20_000) })
      .then(() => undefined, (error) => error);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 9_000 && elapsed < 15_000, `failed after ${elapsed} ms: ${cause}`);
    const { message } = networkError("list", "endpointslices", access, cause);
    assert.match(message, /through the proxy "http:\/\/127\.0\.0\.1:\d+" from HTTPS_PROXY \(/);
    assert.match(message, /; the proxy did not answer the CONNECT within 10 s: check that it is up and can reach the/);
  } finally {
    client.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
  }
});

Deno.test("bunNoProxyVariable() names the variable by which Bun's fetch skips a proxy: no_proxy first, as Bun 1.4.5 reads it", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(bunNoProxyVariable("https://10.0.0.1:6443", env({ NO_PROXY: "10.0.0.0/8" })), "NO_PROXY");
  assert.equal(bunNoProxyVariable("https://10.0.0.1:6443", env({ no_proxy: "10.0.0.1" })), "no_proxy");
  // Bun measured: no_proxy=x.org beside NO_PROXY=<the server> went through the proxy (Go would skip it).
  assert.equal(
    bunNoProxyVariable("https://10.0.0.1:6443", env({ no_proxy: "x.org", NO_PROXY: "10.0.0.1" })),
    undefined,
  );
  assert.equal(bunNoProxyVariable("https://10.0.0.1:6443", env({ NO_PROXY: "10.0.0.1:1" })), undefined);
  assert.equal(bunNoProxyVariable("https://10.0.0.1:6443", env({})), undefined);
});

Deno.test("bunNoProxyVariable() reads a domain entry with a leading dot as naming that domain too, as Bun 1.4.5 does", () => {
  // Measured on Bun 1.4.5 (fetch with a proxy to https://localhost:<port>): ".localhost", "*.localhost" and
  // ".localhost:<port>" connected directly, ".localhost:1" and "*localhost" through the proxy. Go's httpproxy reads
  // ".localhost" as the subdomains only; before, the proxy was kept, and a Bun user's errors named a proxy not used.
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  const server = "https://localhost:6443";
  assert.equal(bunNoProxyVariable(server, env({ NO_PROXY: ".localhost" })), "NO_PROXY");
  assert.equal(bunNoProxyVariable(server, env({ NO_PROXY: "x.org, *.LOCALHOST" })), "NO_PROXY");
  assert.equal(bunNoProxyVariable(server, env({ no_proxy: ".localhost:6443" })), "no_proxy");
  assert.equal(bunNoProxyVariable(server, env({ NO_PROXY: ".localhost:1" })), undefined);
  assert.equal(bunNoProxyVariable(server, env({ NO_PROXY: "*localhost" })), undefined);
  assert.equal(bunNoProxyVariable(server, env({ NO_PROXY: "..localhost" })), undefined);
  assert.equal(bunNoProxyVariable("https://api.localhost:6443", env({ NO_PROXY: ".localhost" })), "NO_PROXY");
});

Deno.test("bunNoProxyVariable() reads an IPv6 address in brackets without a port as naming that address, as Bun 1.4.5 does", () => {
  // Measured on Bun 1.4.5 (fetch with a proxy to https://[::1]:<port>): "[::1]" connected directly, "[::1]:1"
  // through the proxy. In Go's httpproxy "[::1]" is a name that matches no server.
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(bunNoProxyVariable("https://[::1]:6443", env({ NO_PROXY: "[::1]" })), "NO_PROXY");
  assert.equal(bunNoProxyVariable("https://[fd00::1]:6443", env({ NO_PROXY: "x.org, [FD00::1]" })), "NO_PROXY");
  assert.equal(bunNoProxyVariable("https://[::1]:6443", env({ NO_PROXY: "[::1]:1" })), undefined);
  assert.equal(bunNoProxyVariable("https://[::1]:6443", env({ NO_PROXY: "[::2]" })), undefined);
});
