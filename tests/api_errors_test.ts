// What the errors of API answers quote, and what they must never quote.
import assert from "node:assert/strict";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { brokenAnswerError, notJsonError, statusError, UnreachableError } from "../src/api/api_errors.ts";
import { networkError } from "../src/api/_network_error.ts";
import { KubeApiError } from "../src/base/errors.ts";
import { takeBunRequestSlot } from "../src/runtime/bun_request_slots.ts";
import type { ClusterAccess } from "../src/cluster/types.ts";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { bunNoProxyVariable, proxyFromEnvironment } from "../src/cluster/proxy.ts";
import { fakeEnvironment, IN_CLUSTER_VARS, kubeconfigText, SA_FILES } from "./_cluster_environment.ts";

/** Where {@linkcode accessTo}'s access came from: a kubeconfig `/k`. */
const KUBECONFIG_K = { kind: "kubeconfig", files: ["/k"], context: "" } as const;
/** The cluster access a status error reads: its server, source and credentials. */
const accessTo = (server: string, credentials: object = {}) =>
  ({ server, source: "kubeconfig /k", origin: KUBECONFIG_K, credentials, tls: {} }) as unknown as ClusterAccess;
/** An API server's error answer of `status`, as JSON. */
const answer = (status: number) => new Response(null, { status, headers: { "content-type": "application/json" } });
/** A LIST of EndpointSlices in `namespace`. */
const listIn = (namespace: string) => ({
  verb: "list",
  where: "endpointslices",
  namespace,
  grant: '"list"',
  missing: "",
});

Deno.test("statusError() quotes an answer that echoes the proxy's credentials without them", () => {
  const access = {
    server: "http://10.0.0.1:8080",
    namespace: "default",
    source: "kubeconfig /k",
    origin: KUBECONFIG_K,
    proxyUrl: "http://proxy-user:proxy-password-123@127.0.0.1:3128",
    credentials: {},
  } as unknown as ClusterAccess;
  const basic = btoa("proxy-user:proxy-password-123");
  const response = new Response(null, { status: 502, headers: { "content-type": "application/json" } });
  const subject = { verb: "list", where: "endpointslices", namespace: "default", grant: "list", missing: "" };
  const error = statusError(subject, access, response, {
    message: `upstream failed; request had Proxy-Authorization: Basic ${basic} and proxy-password-123`,
  }, false);
  assert.ok(!error.message.includes(basic), error.message);
  assert.ok(!error.message.includes("proxy-password-123"), error.message);
  assert.match(error.message, /Proxy-Authorization: Basic \[redacted\] and \[redacted\]/);
});

// A 407 can only be a proxy's. Through an http:// proxy, a request for an http:// server goes as it is, and Bun's fetch
// hands the proxy's 407 over as the answer: the error said "the API server at http://... answered 407" (with
// Squid's text/html page, that the server answered in HTML and to point the kubeconfig at the API server).
Deno.test("statusError() for a 407 names the proxy and what to do about its login, never its password", () => {
  const subject = listIn("default");
  for (
    const [type, proxyUrl, advice] of [
      ["text/html", "http://127.0.0.1:3128", /the proxy asks for a login \(407\): put the user name and password in/],
      [null, "http://u:secret@127.0.0.1:3128", /the proxy refused the user name and password in its URL \(407\)/],
    ] as const
  ) {
    const access = { ...accessTo("http://10.0.0.1:8001"), proxyUrl, proxySource: "HTTP_PROXY" } as ClusterAccess;
    const headers: Record<string, string> = type === null ? {} : { "content-type": type };
    const error = statusError(subject, access, new Response(null, { status: 407, headers }), {}, false);
    assert.match(
      error.message,
      /^Cannot list endpointslices: the proxy .*127\.0\.0\.1:3128.* from HTTP_PROXY answered/,
    );
    assert.match(error.message, advice);
    assert.doesNotMatch(error.message, /secret|JSON|API server at \S+ answered/);
    assert.equal(error.status, 407);
  }
});

Deno.test("statusError() for a namespaced 403 says that a namespace that does not exist gets it too", () => {
  const access = accessTo("https://10.0.0.1:6443");
  const response = answer(403);
  // What kube-apiserver answers for a namespace that does not exist (a typo in the target) when RBAC grants are
  // namespaced: the same 403 as for a missing grant.
  const status = {
    message: 'endpointslices.discovery.k8s.io is forbidden: User "alice" cannot list resource "endpointslices" in ' +
      'API group "discovery.k8s.io" in the namespace "prdo"',
  };
  const subject = listIn("prdo");
  const error = statusError(subject, access, response, status, false);
  assert.match(
    error.message,
    /grant "list" in namespace "prdo" with a Role and RoleBinding \(deno run -A jsr:@kgr\/resolver\/cli check TARGET names the grants these credentials lack, and writes the Role and RoleBinding to apply\); if there is no namespace "prdo" \(it gets this 403 too\), fix the namespace \(server said:/,
  );
});

Deno.test("statusError() for a 403 on a path under the server URL's path says to remove that path", () => {
  const access = accessTo("https://10.0.0.1:6443/prefix");
  const response = answer(403);
  // What kube-apiserver 1.36 answers (checked with kubectl in tests/e2e/kubectl_differential_test.ts): it serves
  // nothing under /prefix, and RBAC denies the path as a non-resource URL.
  const status = {
    message:
      'forbidden: User "alice" cannot get path "/prefix/apis/discovery.k8s.io/v1/namespaces/prod/endpointslices"',
  };
  const subject = listIn("prod");
  const error = statusError(subject, access, response, status, false);
  assert.match(
    error.message,
    /serves no API under the path \/prefix of its URL \(403 for a path outside its API\): remove the path from the server URL in kubeconfig \/k/,
  );
  assert.doesNotMatch(error.message, /grant/);
  // The reviews of kgr-resolver check are POSTs.
  const post = {
    message: 'forbidden: User "alice" cannot post path "/prefix/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"',
  };
  assert.match(statusError(subject, access, response, post, false).message, /serves no API under the path \/prefix/);
  // A resource 403 behind a prefix (a proxy that serves the API there) is still about grants.
  const denied = { message: 'endpointslices.discovery.k8s.io is forbidden: User "alice" cannot list resource' };
  assert.match(statusError(subject, access, response, denied, false).message, /grant "list" in namespace "prod"/);
});

Deno.test("statusError() for a 404 says to remove the server URL's path only for a 404 page, not a Status", () => {
  const subject = { ...listIn("prod"), missing: "no EndpointSlice API (404): Kubernetes 1.21 or newer is required" };
  const page = new Response(null, { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  // kube-apiserver's answer to a system:masters user for a path outside its API: no Status.
  assert.match(
    statusError(subject, accessTo("https://10.0.0.1:6443/prefix"), page, {}, false).message,
    /serves no API under the path \/prefix of its URL \(404 for a path outside its API\): remove the path from the server URL in kubeconfig \/k, unless a proxy there serves the API under it \(then: no EndpointSlice API/,
  );
  // Without a path, the page is a server's without the API.
  assert.equal(
    statusError(subject, accessTo("https://10.0.0.1:6443"), page, {}, false).message,
    "Cannot list endpointslices: no EndpointSlice API (404): Kubernetes 1.21 or newer is required",
  );
  // A Status 404 is the API's own answer (a proxy serves it under the path): what is missing is the API.
  const status = { kind: "Status", code: 404, message: "the server could not find the requested resource" };
  const error = statusError(subject, accessTo("https://10.0.0.1:6443/prefix"), answer(404), status, false);
  assert.match(error.message, /^Cannot list endpointslices: no EndpointSlice API \(404\): Kubernetes 1\.21 or newer/);
});

Deno.test("statusError() for a 401 without the credentials withheld over plain http:// says why none were sent", () => {
  const withheld = "the credentials from kubeconfig /k are not sent to http://10.0.0.1:8080: over plain http:// to " +
    "another machine they would travel in clear text (kubectl sends none over http:// either); use https://";
  const error = statusError(listIn("prod"), accessTo("http://10.0.0.1:8080", { withheld }), answer(401), {
    message: "Unauthorized",
  }, true);
  assert.equal(
    error.message,
    `Cannot list endpointslices: the API server at http://10.0.0.1:8080 refused a request without credentials (401): ${withheld} (server said: "Unauthorized")`,
  );
});

Deno.test("networkError() says a server that took the TLS connection and never started HTTP/2 was reached", () => {
  // cluster.http2: the server chose h2 in ALPN and sent no SETTINGS frame; TLS was done, so the words above are false.
  const timeout = Object.assign(
    new Error(
      "Connect Timeout Error (connected over TLS, but the server did not start HTTP/2 (no SETTINGS frame) within 10000 ms)",
    ),
    { code: "UND_ERR_CONNECT_TIMEOUT" },
  );
  const error = networkError("watch", "endpointslices", accessTo("https://10.0.0.1:6443"), timeout);
  assert.equal(
    error.message,
    "Cannot watch endpointslices: the server at https://10.0.0.1:6443 from kubeconfig /k took the TLS connection but " +
      "never started HTTP/2 (Connect Timeout Error (connected over TLS, but the server did not start HTTP/2 (no " +
      "SETTINGS frame) within 10000 ms): UND_ERR_CONNECT_TIMEOUT): the API server there is hung or overloaded, or the " +
      "port serves something else that accepts HTTP/2 in TLS and waits: check the server's health and the port, or " +
      "set cluster.http2: false",
  );
  assert.equal(error.name, "KubeApiError");
});

Deno.test("networkError() says a server that answered HTTP/2 in gRPC answers in gRPC, not that it lacks HTTP/1.1", () => {
  // HTTP/2, the default on Node and Bun: a kubeconfig pointing at a gRPC server's TLS port. Was "does not answer in
  // HTTP/1.1 (the server answers in gRPC, ...)", though the request went over HTTP/2.
  const grpc = new Error(
    "the server answers in gRPC, not as a Kubernetes API server (HTTP/2 status 200, grpc-status 12)",
  );
  const error = networkError("watch", "endpointslices", accessTo("https://10.0.0.1:6443"), grpc);
  assert.equal(
    error.message,
    "Cannot watch endpointslices: the server at https://10.0.0.1:6443 answers in gRPC, not as a Kubernetes API " +
      "server (HTTP/2 status 200, grpc-status 12): check the port in kubeconfig /k",
  );
  assert.equal(error.name, "KubeApiError");
});

Deno.test("networkError() says an API server that sent every new HTTP/2 connection away was reached", () => {
  // cluster.http2: a restarting kube-apiserver, or one with --goaway-chance, refused the request on every session for
  // the client's resend time. Was "cannot reach the API server ...; check that the address is right and the server is
  // up", in Node's or Bun's words for the last refusal.
  const refused = new Error("the API server refused new streams after GOAWAY on 7 connections in 5.1 s", {
    cause: Object.assign(new Error("New streams cannot be created after receiving a GOAWAY"), {
      code: "ERR_HTTP2_GOAWAY_SESSION",
    }),
  });
  const error = networkError("watch", "endpointslices", accessTo("https://10.0.0.1:6443"), refused);
  assert.equal(
    error.message,
    "Cannot watch endpointslices: the API server at https://10.0.0.1:6443 from kubeconfig /k was reached but sent " +
      "every new connection away (the API server refused new streams after GOAWAY on 7 connections in 5.1 s: New " +
      "streams cannot be created after receiving a GOAWAY: ERR_HTTP2_GOAWAY_SESSION): it is restarting, shutting down " +
      "or shedding connections (kube-apiserver's --goaway-chance); a watch tries again by itself: if this lasts, check " +
      "the API server's health and logs, or set cluster.http2: false",
  );
  assert.ok(error instanceof UnreachableError);
});

Deno.test("networkError() promises no retry by itself for a list that every new HTTP/2 connection refused", () => {
  // Was "...; a watch tries again by itself: ..." for a list and a get too, which the caller must retry.
  const refused = new Error("the API server refused new streams after GOAWAY on 3 connections in 5.0 s");
  const error = networkError("list", "endpointslices", accessTo("https://10.0.0.1:6443"), refused);
  assert.equal(
    error.message,
    "Cannot list endpointslices: the API server at https://10.0.0.1:6443 from kubeconfig /k was reached but sent " +
      "every new connection away (the API server refused new streams after GOAWAY on 3 connections in 5.0 s): it is " +
      "restarting, shutting down or shedding connections (kube-apiserver's --goaway-chance): if this lasts, check " +
      "the API server's health and logs, or set cluster.http2: false",
  );
});

Deno.test("networkError() says a server that took the connection and never answered TLS was reached", () => {
  // Was "cannot reach the API server ...; check that the address is right and the server is up", where kubectl says
  // "TLS handshake timeout": the address is right, and the server is hung.
  const timeout = Object.assign(
    new Error("Connect Timeout Error (connected, but the TLS handshake did not finish within 10000 ms)"),
    { code: "UND_ERR_CONNECT_TIMEOUT" },
  );
  const error = networkError("watch", "endpointslices", accessTo("https://10.0.0.1:6443"), timeout);
  assert.equal(
    error.message,
    "Cannot watch endpointslices: the server at https://10.0.0.1:6443 from kubeconfig /k took the connection but " +
      "did not finish the TLS handshake (Connect Timeout Error (connected, but the TLS handshake did not finish " +
      'within 10000 ms): UND_ERR_CONNECT_TIMEOUT), as kubectl\'s "TLS handshake timeout": the API server there is stopped, hung ' +
      "or overloaded, or the port serves something else that waits for the client to speak: check the server's " +
      "health and the port",
  );
  assert.equal(error.name, "KubeApiError");
});

Deno.test("networkError() tells an http:// URL of a TLS server that answered with a TLS alert to use https://", () => {
  // What a rustls server (Deno's TLS servers among them) writes to a plain HTTP request: a fatal decode_error alert.
  // It was "does not answer in HTTP/1.1 (...): it is not a Kubernetes API server (an HTTP/2-only server, such as a
  // gRPC server, answers so): check the port", where the URL's scheme is what is wrong.
  const alert = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32];
  const nodeHttp = Object.assign(new Error("Parse Error: Expected HTTP/, RTSP/ or ICE/"), {
    code: "HPE_INVALID_CONSTANT",
    rawPacket: Uint8Array.from(alert),
  });
  const undici = Object.assign(
    new Error("Response does not match the HTTP/1.1 protocol (Expected HTTP/, RTSP/ or ICE/)"),
    { name: "HTTPParserError", data: String.fromCharCode(...alert) },
  );
  for (const cause of [nodeHttp, new TypeError("fetch failed", { cause: undici })]) {
    const error = networkError("watch", "endpointslices", accessTo("http://10.0.0.1:6443"), cause);
    assert.match(
      error.message,
      /^Cannot watch endpointslices: the server at http:\/\/10\.0\.0\.1:6443 serves HTTPS on this port and answered plain HTTP with a TLS alert \(.*Expected HTTP\/.*\): make the URL in kubeconfig \/k start with https:\/\/$/,
    );
    assert.equal(error.name, "KubeApiError");
  }
  // An HTTP/2-only server's SETTINGS frame is still named as such.
  const settings = Object.assign(new Error("Parse Error: Expected HTTP/, RTSP/ or ICE/"), {
    code: "HPE_INVALID_CONSTANT",
    rawPacket: Uint8Array.from([0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00]),
  });
  assert.match(
    networkError("watch", "endpointslices", accessTo("http://10.0.0.1:6443"), settings).message,
    /does not answer in HTTP\/1\.1 .*an HTTP\/2-only server/,
  );
});

Deno.test("networkError() and brokenAnswerError() show a runtime's text printable, and escape it once", () => {
  // A proxy's or a server's bytes that a runtime quotes in its error: ESC, BEL, a right-to-left override. Text that
  // is printable already (our own escapes, quoted before) stays as it is.
  const cause = new TypeError("fetch failed", {
    cause: new Error('Proxy response (502 \u001b]0;pwned\u0007Bad g\u202eateway) after "a\\x07b"'),
  });
  const access = accessTo("https://10.0.0.1:6443");
  for (
    const error of [
      networkError("watch", "endpointslices", access, cause),
      brokenAnswerError("watch", "endpointslices", access, cause),
    ]
  ) {
    assert.doesNotMatch(error.message, /[\p{Cc}\p{Cf}]/u);
    assert.ok(error.message.includes('(502 ^[]0;pwned\\x07Bad g\\u202eateway) after "a\\x07b"'), error.message);
  }
});

Deno.test("networkError() quotes a refused connection once, not its code again after Node's message", () => {
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
  const error = networkError(
    "list",
    "endpointslices",
    accessTo("https://127.0.0.1:1"),
    new TypeError("fetch failed", { cause: refused }),
  );
  assert.match(error.message, /\(fetch failed: connect ECONNREFUSED 127\.0\.0\.1:1\); check that the address is right/);
  const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
  assert.match(
    networkError("watch", "endpointslices", accessTo("https://10.0.0.1"), reset).message,
    /\(socket hang up: ECONNRESET\)/,
  );
});

Deno.test("networkError() for a connection Deno refused through a proxy says to add the proxy, not the API server", () => {
  // What Deno throws when --allow-net lists the API server but not the proxy that the request goes to.
  const refused = Object.assign(
    new Error('Requires net access to "127.0.0.1:3128", run again with the --allow-net flag'),
    {
      name: "NotCapable",
    },
  );
  const direct = networkError("watch", "endpointslices", accessTo("https://10.0.0.1:6443"), refused);
  // It said only "run it with --allow-net": the address to grant is the one Deno refused, as --allow-net takes it.
  assert.match(direct.message, /: run it with --allow-net=127\.0\.0\.1:3128, or add the API server to its list$/);
  const ipv6 = Object.assign(new Error('Requires net access to "[fd00::1]:6443"'), { name: "NotCapable" });
  assert.match(
    networkError("watch", "endpointslices", accessTo("https://[fd00::1]:6443"), ipv6).message,
    // Quoted: zsh takes an unquoted [...] for a pattern ("no matches found").
    /: run it with '--allow-net=\[fd00::1\]:6443', or add the API server to its list$/,
  );
  const proxied = {
    ...accessTo("https://10.0.0.1:6443"),
    proxyUrl: "http://proxy-user:proxy-password-123@127.0.0.1:3128",
    proxySource: "HTTPS_PROXY",
  } as ClusterAccess;
  const error = networkError("watch", "endpointslices", proxied, refused);
  assert.match(
    error.message,
    /: run it with --allow-net=127\.0\.0\.1:3128, or add the proxy http:\/\/127\.0\.0\.1:3128\/ \(its user name and password not shown\) from HTTPS_PROXY to its list \(the API server is reached through it\)$/,
  );
  assert.ok(!error.message.includes("proxy-password-123"), error.message);
});

Deno.test("networkError() for a DNS lookup Deno refused names the host and port to grant, which its words do not", () => {
  // What Deno 2.9.6 throws for `server: http://localhost:PORT` under --allow-net=127.0.0.1:1; --allow-net=localhost:PORT
  // then let it through.
  const lookup = (host: string) =>
    Object.assign(new Error(`getaddrinfo EPERM ${host}`), { code: "EPERM", syscall: "getaddrinfo" });
  assert.match(
    networkError("watch", "endpointslices", accessTo("http://localhost:35367"), lookup("localhost")).message,
    /\(getaddrinfo EPERM localhost\): run it with --allow-net=localhost:35367, or add the API server to its list$/,
  );
  assert.match(
    networkError("watch", "endpointslices", accessTo("https://kube.example"), lookup("kube.example")).message,
    /: run it with --allow-net=kube\.example:443, or add the API server to its list$/,
  );
  const proxied = {
    ...accessTo("https://kube.example"),
    proxyUrl: "http://user:proxy-password-123@proxy.example:3128",
    proxySource: "HTTPS_PROXY",
  } as ClusterAccess;
  const error = networkError("watch", "endpointslices", proxied, lookup("proxy.example"));
  assert.match(error.message, /: run it with --allow-net=proxy\.example:3128, or add the proxy /);
  assert.ok(!error.message.includes("proxy-password-123"), error.message);
});

Deno.test("networkError() gives a SOCKS5 proxy's login refusal the login advice, not 'check that the proxy is up'", () => {
  const proxied = (proxyUrl: string) =>
    ({ ...accessTo("https://10.0.0.1:6443"), proxyUrl, proxySource: "HTTPS_PROXY" }) as ClusterAccess;
  const failed = (message: string) => new TypeError("fetch failed", { cause: new Error(message) });
  const cases: [string, string, RegExp][] = [
    [
      "socks5://127.0.0.1:1080",
      "the SOCKS5 proxy 127.0.0.1:1080 asks for a login: put the user name and password in HTTPS_PROXY",
      /from HTTPS_PROXY \(.*\); the proxy asks for a login \(SOCKS5\): put the user name and password in its URL \(socks5:\/\/user:password@host:port\)$/,
    ],
    [
      "socks5://u:kgr-canary-socks@127.0.0.1:1080",
      "the SOCKS5 proxy 127.0.0.1:1080 refused the user name and password in HTTPS_PROXY",
      /from HTTPS_PROXY \(.*\); the proxy refused the user name and password in its URL \(SOCKS5\): fix them there$/,
    ],
    [
      "socks5://u:kgr-canary-socks@127.0.0.1:1080",
      "Cannot log in to the SOCKS5 proxy 127.0.0.1:1080: the password in HTTPS_PROXY must be at most 255 bytes",
      /; the proxy's user name or password is longer than SOCKS5 can send: shorten it in its URL, or use an HTTP proxy$/,
    ],
  ];
  for (const [proxyUrl, said, advice] of cases) {
    const { message } = networkError("watch", "endpointslices", proxied(proxyUrl), failed(said));
    assert.match(message, advice);
    assert.doesNotMatch(message, /lets this server through|proxy-url|kgr-canary/);
  }
});

Deno.test("statusError() names a redirect's target without its user name, password, query or fragment", () => {
  const access = accessTo("https://10.0.0.1:6443");
  const redirect = (location: string) =>
    statusError(
      listIn("prod"),
      access,
      new Response(null, { status: 302, headers: { location } }),
      {},
      false,
    ).message;
  const secret = "kgr-canary-5e0b9a17";
  const cases: [string, string][] = [
    [`https://sso.example/login?access_token=${secret}`, '"https://sso.example/login" (its query not shown)'],
    [
      `https://admin:${secret}@10.0.0.2:6443/apis`,
      '"https://10.0.0.2:6443/apis" (its user name and password not shown)',
    ],
    [
      `//${secret}@10.0.0.2/x#token=${secret}`,
      '"//10.0.0.2/x" (its user name and password and fragment not shown)',
    ],
    [`https:\\\\admin:${secret}@10.0.0.2`, '"https:\\\\\\\\10.0.0.2" (its user name and password not shown)'],
    [`https:admin:${secret}@10.0.0.2/`, "a target that holds an @ (not shown: it may hold a password)"],
    ["/apis/discovery.k8s.io/v1", '"/apis/discovery.k8s.io/v1"'],
  ];
  for (const [location, shown] of cases) {
    const message = redirect(location);
    assert.ok(message.includes(`redirected (302) to ${shown}, which is not followed`), message);
    assert.ok(!message.includes(secret), message);
  }
});

Deno.test("statusError() and notJsonError() quote a content type and page that echo the credentials without them", () => {
  const token = "kgr-canary-0d7c2e94b1";
  const access = accessTo("https://10.0.0.1:6443");
  const headers = { "content-type": `text/html; echo="Bearer ${token}"` };
  const refused = statusError(
    listIn("prod"),
    access,
    new Response(null, { status: 404, headers }),
    {},
    false,
    `Bearer ${token}`,
  );
  const accepted = notJsonError(
    "list",
    "endpointslices",
    access,
    new Response(null, { status: 200, headers }),
    `Bearer ${token}`,
    `Signed in with Bearer ${token}`,
  );
  assert.match(accepted.message, /\(server said: "Signed in with \[redacted\]"\)$/);
  for (const error of [refused, accepted]) {
    assert.ok(error instanceof KubeApiError, String(error));
    assert.match(error.message, /content type "text\/html; echo=\\"\[redacted\]\\"", not JSON/);
    assert.equal(error.contentType, 'text/html; echo="[redacted]"');
    assert.ok(!inspect(error).includes(token), inspect(error));
  }
});

Deno.test("networkError() drops a cause whose fields echo the proxy's credentials, a user name alone included", () => {
  const apiKey = "kgr-canary-proxykey-61d0";
  const password = "kgr-canary-proxypass-93ab";
  const cases: [string, string][] = [
    // Bun's error for a refused tunnel carries the proxy's answer headers.
    [`http://user:${password}@127.0.0.1:3128`, `Basic ${btoa(`user:${password}`)}`],
    // A proxy that takes an API key as the user name, with no password; Bun quotes its status text.
    [`http://${apiKey}@127.0.0.1:3128`, `Basic ${btoa(`${apiKey}:`)}`],
  ];
  for (const [proxyUrl, echoed] of cases) {
    const access = { ...accessTo("https://10.0.0.1:6443"), proxyUrl, proxySource: "proxy-url" } as ClusterAccess;
    const refused = Object.assign(new Error(`Proxy refused to open a tunnel: 502 Bad Gateway ${echoed}`), {
      headers: new Headers({ "x-echo": echoed }),
    });
    const inHeaders = Object.assign(new Error("Proxy refused to open a tunnel: 407"), {
      headers: new Headers({ "x-echo": echoed }),
    });
    for (const cause of [refused, inHeaders]) {
      const error = networkError("watch", "endpointslices", access, new TypeError("fetch failed", { cause }));
      assert.equal(error.cause, undefined);
      const text = inspect(error, { depth: 10 });
      for (const secret of [apiKey, password, echoed.slice(6)]) assert.ok(!text.includes(secret), text);
      assert.match(
        error.message,
        /through the proxy http:\/\/127\.0\.0\.1:3128\/ \(its user name and password not shown\)/,
      );
    }
  }
  // A cause without credentials stays.
  const plain = networkError("list", "endpointslices", accessTo("https://10.0.0.1"), new Error("connect ECONNREFUSED"));
  assert.ok(plain.cause instanceof Error);
});

// A plain HTTP forward proxy that cannot reach the API server answers 502 with no body: the error said "the API server
// at http://... answered 502: if this repeats, check the API server's health and load".
Deno.test("statusError() for a 502, 503 or 504 through a proxy without a Kubernetes Status names the proxy", () => {
  const access = {
    ...accessTo("http://10.0.0.1:8080"),
    proxyUrl: "http://puser:psecret@127.0.0.1:3128",
    proxySource: "HTTP_PROXY",
  } as ClusterAccess;
  for (const code of [502, 503, 504]) {
    for (const type of [null, "text/html"]) {
      const headers: Record<string, string> = type === null ? {} : { "content-type": type };
      const { message } = statusError(
        listIn("default"),
        access,
        new Response(null, { status: code, headers }),
        {},
        false,
      );
      assert.match(
        message,
        new RegExp(
          `^Cannot list endpointslices: the proxy .*127\\.0\\.0\\.1:3128.* from HTTP_PROXY, or something on the way, ` +
            `answered ${code}${type === null ? "" : ' with content type "text/html"'} for the API server at ` +
            "http://10\\.0\\.0\\.1:8080, with no Kubernetes Status, so not the API server's own answer: if this " +
            "repeats, check that the proxy is up and reaches the API server$",
        ),
      );
      assert.doesNotMatch(message, /psecret|puser/);
    }
  }
  // The API server's own, through the proxy: its Status says so.
  const status = { kind: "Status", message: "etcdserver: leader changed", code: 503 };
  const { message } = statusError(listIn("default"), access, answer(503), status, false);
  assert.match(
    message,
    /the API server at http:\/\/10\.0\.0\.1:8080 answered 503: if this repeats, check the API server's health/,
  );
});

Deno.test("statusError() quotes an answer that repeats basic auth's password as written without it", () => {
  const password = "kgr-canary-basicpass-7f2e";
  const authorization = `Basic ${btoa(`operator-admin:${password}`)}`;
  const error = statusError(
    listIn("prod"),
    accessTo("http://127.0.0.1:8080"),
    answer(502),
    {
      message: `basic auth failed for operator-admin:${password} (password ${password})`,
    },
    false,
    authorization,
  );
  assert.ok(!inspect(error).includes(password), error.message);
  assert.match(error.message, /basic auth failed for \[redacted\] \(password \[redacted\]\)/);
});

Deno.test("statusError() quotes an answer that repeats a short token or password without it, where it is a word", () => {
  const quote = (message: string, authorization: string, proxyUrl?: string) =>
    statusError(
      listIn("prod"),
      { ...accessTo("http://127.0.0.1:8080"), ...(proxyUrl === undefined ? {} : { proxyUrl }) } as ClusterAccess,
      answer(502),
      { message },
      false,
      authorization,
    ).message;
  // A static token of 6 characters, basic auth's password of 7 (its user name is no secret), a proxy's of 5.
  let message = quote("token s3cr3t is not valid (s3cr3t)", "Bearer s3cr3t");
  assert.match(message, /\(server said: "token \[redacted\] is not valid \(\[redacted\]\)"\)/);
  message = quote('user admin: password "hunter2" refused', `Basic ${btoa("admin:hunter2")}`);
  assert.match(message, /"user admin: password \\"\[redacted\]\\" refused"/);
  message = quote("proxy login ops/p4ss%21 refused", "Bearer other-token-123", "http://ops:p4ss%21@127.0.0.1:3128");
  assert.match(message, /"proxy login ops\/\[redacted\] refused"/);
  // Inside a longer word it is not masked: a token "prod" leaves "prod-east" and "products" as they are.
  message = quote("prod-east has no products for prod", "Bearer prod");
  assert.match(message, /"prod-east has no products for \[redacted\]"/);
});

Deno.test("statusError() quotes an answer that repeats the token percent-encoded without it", () => {
  const token = "kgrCanaryStatic+Token/8e1f==";
  const error = statusError(
    listIn("prod"),
    accessTo("https://10.0.0.1:6443"),
    answer(502),
    {
      message: `upstream refused /login?auth=Bearer%20${encodeURIComponent(token)}`,
    },
    false,
    `Bearer ${token}`,
  );
  assert.ok(!error.message.includes(encodeURIComponent(token).slice(0, 20)), error.message);
  assert.match(error.message, /upstream refused \/login\?auth=\[redacted\]/);
});

/** The message of a 500 whose Status message echoes `echoed`, the headers of a request sent with `Bearer <token>`. */
function messageEchoing(echoed: string, token: string): string {
  return statusError(
    listIn("prod"),
    accessTo("http://127.0.0.1:8080"),
    answer(500),
    { message: `denied: GET /apis ${echoed}` },
    false,
    `Bearer ${token}`,
  ).message;
}

/** The echoed headers of {@linkcode messageEchoing}, as they read once the token is redacted. */
const ECHOED_HEADERS_REDACTED = /denied: GET \/apis \{\\"authorization\\":\\"\[redacted\]\\"\}/;

Deno.test("statusError() quotes an answer that repeats the token JSON-escaped, as Go writes it too, without it", () => {
  // A token with a backslash, a quote or `&`: a server or proxy that echoes the request's headers as JSON writes it
  // escaped (`\\`, `\"`; Go's encoding/json also `\u0026`, `\u003c`, `\u003e`), which the token as sent does not match.
  const token = 'kgr8#\\.Z"x&<y>';
  const headers = { authorization: `Bearer ${token}` };
  const goJson = JSON.stringify(headers).replace(/&/g, "\\u0026").replace(/</g, "\\u003c").replace(/>/g, "\\u003e");
  for (const echoed of [JSON.stringify(headers), goJson]) {
    const message = messageEchoing(echoed, token);
    assert.ok(!message.includes("kgr8#"), message);
    assert.match(message, ECHOED_HEADERS_REDACTED);
  }
});

Deno.test("statusError() quotes an answer that repeats a base64 token JSON-escaped by other encoders, without it", () => {
  // PHP's json_encode writes `/` as `\/`; .NET's System.Text.Json writes `+` as `\u002B`, Java's Gson `=` as
  // `\u003d`, Python's json.dumps a non-ASCII character as `\u00e9`: each leaves the rest of the token readable.
  const token = "kgr8+Q9/Zx7w+Lm0/Tq=é";
  const escaped = (pattern: RegExp, escape: (c: string) => string) =>
    `{"authorization":"Bearer ${token.replace(pattern, escape)}"}`;
  const hex = (c: string) => c.charCodeAt(0).toString(16).padStart(4, "0");
  for (
    const echoed of [
      escaped(/\//g, () => "\\/"),
      escaped(/\+/g, (c) => `\\u${hex(c).toUpperCase()}`),
      escaped(/=/g, (c) => `\\u${hex(c)}`),
      escaped(/é/g, (c) => `\\u${hex(c)}`),
    ]
  ) {
    const message = messageEchoing(echoed, token);
    assert.ok(!message.includes("Zx7w"), message);
    assert.match(message, ECHOED_HEADERS_REDACTED);
  }
  // Python escapes a character beyond the BMP (a password with an emoji, say) as its two UTF-16 halves.
  const emoji = "kgr8+Q9/Zx7w\u{1F600}Lm0";
  const python = `{"authorization":"Bearer ${emoji.replace("\u{1F600}", "\\ud83d\\ude00")}"}`;
  const message = messageEchoing(python, emoji);
  assert.ok(!message.includes("Zx7w"), message);
  assert.match(message, ECHOED_HEADERS_REDACTED);
});

Deno.test("networkError() says a CA file is read again every 5 minutes, and an inline CA once", () => {
  const cause = new Error("unable to verify the first certificate");
  const inline = {
    ...accessTo("https://10.0.0.1:6443"),
    tls: { caSource: "cluster.ca", ca: "-----BEGIN CERTIFICATE-----\n" },
  } as ClusterAccess;
  assert.match(
    networkError("watch", "endpointslices", inline, cause).message,
    /they are read once, at start, so restart the process after changing them \(a rotated cluster CA, say\)$/,
  );
  const fromFile = {
    ...inline,
    tls: {
      caSource: "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt",
      caSettings: "the service account's ca.crt",
      ca: "-----BEGIN CERTIFICATE-----\n",
    },
    currentCa: () => Promise.resolve(""),
  } as ClusterAccess;
  const message = networkError("watch", "endpointslices", fromFile, cause).message;
  assert.match(
    message,
    /; the CA file is read again every 5 minutes, so a rotated cluster CA written there is trusted within 5 minutes \(restart the process after changing the server or the TLS server name\)$/,
  );
});

Deno.test("networkError() on Deno, whose node:tls names no expiry, says the CA error may be a certificate out of its dates", () => {
  const access = {
    ...accessTo("https://10.0.0.1:6443"),
    tls: { caSource: "the CA of kubeconfig /k", ca: "-----BEGIN CERTIFICATE-----\n" },
  } as ClusterAccess;
  // What Deno 2.9.6 says for an API server certificate that has expired (measured), as for one of another CA.
  const refused = Object.assign(new Error("unable to verify the first certificate"), {
    code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  });
  const message = networkError("list", "endpointslices", access, refused).message;
  assert.match(
    message,
    /^Cannot list endpointslices: TLS verification of https:\/\/10\.0\.0\.1:6443 failed with the CA of/,
  );
  assert.match(
    message,
    /; on Deno, this error also comes from a certificate that has expired or is not valid yet \(local time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\): check the API server's certificate's dates too$/,
  );
});

Deno.test("networkError() on Deno with the default roots names DENO_TLS_CA_STORE and DENO_CERT", () => {
  // A private CA in the system store, trusted by kubectl: Deno's bundled roots refuse it, and the message named only
  // the kubeconfig's settings.
  const refused = Object.assign(new Error("invalid peer certificate: UnknownIssuer"), { code: "UnknownIssuer" });
  const roots = {
    ...accessTo("https://10.0.0.1:6443"),
    tls: { caSource: "the runtime's default CA roots" },
  } as ClusterAccess;
  assert.match(
    networkError("list", "endpointslices", roots, refused).message,
    /; on Deno, the default roots are its bundled Mozilla roots, not the system store that kubectl reads: set DENO_TLS_CA_STORE=system to use the system store, or DENO_CERT=\/path\/ca\.crt to add the cluster's CA$/,
  );
  // With a CA of its own, the roots are not used.
  const withCa = { ...roots, tls: { caSource: "the CA of kubeconfig /k", ca: "-----BEGIN CERTIFICATE-----\n" } };
  assert.doesNotMatch(networkError("list", "endpointslices", withCa, refused).message, /DENO_/);
  // A self-signed serving certificate: DENO_CERT naming it still failed so (Deno 2.9.6); the kubeconfig's CA works.
  const selfSigned = Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" });
  assert.doesNotMatch(networkError("list", "endpointslices", roots, selfSigned).message, /DENO_/);
});

Deno.test("networkError() on Deno names DENO_TLS_CA_STORE only for an unknown issuer, and not once it is system", () => {
  const roots = {
    ...accessTo("https://10.0.0.1:6443"),
    tls: { caSource: "the runtime's default CA roots" },
  } as ClusterAccess;
  const failure = (message: string, code: string) => Object.assign(new Error(message), { code });
  // Roots do not make a certificate valid for another name, nor make a server take our client certificate.
  const notRoots = [
    failure("invalid peer certificate: NotValidForName", "NotValidForName"),
    failure("Hostname/IP does not match certificate's altnames", "ERR_TLS_CERT_ALTNAME_INVALID"),
    failure("received fatal alert: BadCertificate (alert bad certificate)", "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE"),
  ];
  for (const cause of notRoots) {
    assert.doesNotMatch(networkError("list", "endpointslices", roots, cause).message, /DENO_TLS_CA_STORE/);
  }
  for (const code of ["UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "SELF_SIGNED_CERT_IN_CHAIN"]) {
    const cause = failure("unable to get local issuer certificate", code);
    assert.match(networkError("list", "endpointslices", roots, cause).message, /set DENO_TLS_CA_STORE=system/);
  }
  const before = Deno.env.get("DENO_TLS_CA_STORE");
  Deno.env.set("DENO_TLS_CA_STORE", "mozilla,system");
  try {
    const unknown = failure("invalid peer certificate: UnknownIssuer", "UnknownIssuer");
    assert.doesNotMatch(networkError("list", "endpointslices", roots, unknown).message, /DENO_TLS_CA_STORE/);
  } finally {
    if (before === undefined) Deno.env.delete("DENO_TLS_CA_STORE");
    else Deno.env.set("DENO_TLS_CA_STORE", before);
  }
});

Deno.test("networkError() says an API server certificate has expired or is not valid yet, with the local time, not to check the CA", () => {
  const access = {
    ...accessTo("https://10.0.0.1:6443"),
    tls: { caSource: "the CA of kubeconfig /k" },
  } as ClusterAccess;
  // As Node's node:https and Bun's fetch fail (measured with certificates out of their period).
  const expired = Object.assign(new Error("certificate has expired"), { code: "CERT_HAS_EXPIRED" });
  assert.match(
    networkError("list", "endpointslices", access, expired).message,
    /^Cannot list endpointslices: the TLS certificate of the API server at https:\/\/10\.0\.0\.1:6443 has expired \(local time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z; certificate has expired: CERT_HAS_EXPIRED\): renew the API server's serving certificate \(on kubeadm: kubeadm certs renew apiserver, then restart kube-apiserver\), or, if it is still valid there, set this machine's clock right$/,
  );
  const future = Object.assign(new Error("certificate is not yet valid"), { code: "CERT_NOT_YET_VALID" });
  const error = networkError("list", "endpointslices", access, future);
  assert.match(error.message, /is not valid yet \(local time .*\): set this machine's clock right if it is behind/);
  assert.doesNotMatch(error.message, /certificate-authority|rotated/);
  // Through an https:// proxy, the certificate may be the proxy's.
  const proxied = { ...access, proxyUrl: "https://proxy.example:3128", proxySource: "HTTPS_PROXY" } as ClusterAccess;
  assert.match(
    networkError("list", "endpointslices", proxied, expired).message,
    /at https:\/\/10\.0\.0\.1:6443 \(or the proxy "https:\/\/proxy\.example:3128" from HTTPS_PROXY, whose certificate it may be\) has expired/,
  );
});

// A load balancer in front of the API server (no proxy configured) whose backends are down answers 502, 503 or 504
// with no Status, or plain text ("no healthy upstream"): the error said "the API server at ... answered 502: if this
// repeats, check the API server's health and load", as if kube-apiserver had answered, which writes its own as a Status.
Deno.test("statusError() for a bare 502, 503 or 504 without a proxy says something in front of the API server answered", () => {
  const access = accessTo("https://10.0.0.1:6443");
  for (const code of [502, 503, 504]) {
    for (const type of [null, "text/plain; charset=utf-8"]) {
      const headers: Record<string, string> = type === null ? {} : { "content-type": type };
      const body = type === null ? {} : { message: "no healthy upstream" };
      const { message } = statusError(
        listIn("default"),
        access,
        new Response(null, { status: code, headers }),
        body,
        false,
      );
      assert.equal(
        message,
        `Cannot list endpointslices: something in front of the API server at https://10.0.0.1:6443 (a load balancer, ` +
          `a gateway) answered ${code} with no Kubernetes Status, so not the API server's own answer: if this repeats, ` +
          "check that it is up and reaches a healthy API server" +
          (type === null ? "" : ' (server said: "no healthy upstream")'),
      );
    }
  }
  // The API server's own: its Status says so.
  const status = { kind: "Status", message: "etcdserver: leader changed", code: 503 };
  const { message } = statusError(listIn("default"), access, answer(503), status, false);
  assert.match(
    message,
    /the API server at https:\/\/10\.0\.0\.1:6443 answered 503: if this repeats, check the API server's health/,
  );
});

// Priority and fairness throttles by user: a 429 said "the API server at https://10.0.0.1:6443 answered 429: if this
// repeats, check the API server's health and load", naming the server but not whose requests were turned away, where
// the 401 and 403 messages name the credentials' source. Two identities on one server read alike.
Deno.test("statusError() for a 429 or 5xx of the API server names the credentials' source", () => {
  const access = accessTo("https://10.0.0.1:6443");
  const throttled = {
    kind: "Status",
    message: "Too many requests, please try again later.",
    reason: "TooManyRequests",
    code: 429,
  };
  const { message } = statusError(listIn("default"), access, answer(429), throttled, false);
  assert.match(
    message,
    /^Cannot list endpointslices: the API server at https:\/\/10\.0\.0\.1:6443 answered 429: if this repeats, .*priority and fairness.* the credentials from kubeconfig \/k/,
  );
  const down = { kind: "Status", message: "etcdserver: leader changed", code: 503 };
  assert.match(
    statusError(listIn("default"), access, answer(503), down, false).message,
    /answered 503: if this repeats, check the API server's health and load .*; the request had the credentials from kubeconfig \/k \(server said: "etcdserver: leader changed"\)$/,
  );
});

Deno.test("statusError() reads Retry-After as client-go does: whole seconds, else none", () => {
  // client-go waits only for what strconv.Atoi reads (rest/request.go retryAfterSeconds); a malformed header made us
  // wait 60 s ("1e3"), 16 s ("0x10") or 1.5 s where it backs off as without one. "0" is an answer that asks to wait, for
  // no time: client-go retries it at once.
  const cases: [string, number | undefined][] = [
    ["5", 5],
    ["032", 32],
    ["+7", 7],
    ["1.5", undefined],
    ["0x10", undefined],
    ["1e3", undefined],
    ["Infinity", undefined],
    ["Wed, 21 Oct 2015 07:28:00 GMT", undefined],
    ["0", 0],
    ["+0", 0],
    ["-5", undefined],
  ];
  for (const [header, seconds] of cases) {
    const response = new Response(null, { status: 503, headers: { "retry-after": header } });
    const error = statusError(listIn("default"), accessTo("https://10.0.0.1:6443"), response, {}, false);
    assert.equal(error.retryAfterSeconds, seconds, header);
  }
});

Deno.test("networkError() gives Bun's request cap its advice alone, not the refusal's code after it", () => {
  const release = takeBunRequestSlot(1);
  let refusal: unknown;
  try {
    takeBunRequestSlot(1);
  } catch (error) {
    refusal = error;
  } finally {
    release();
  }
  const { message } = networkError("watch", "endpointslices", accessTo("https://10.0.0.1:6443"), refusal);
  // Was: "... plus its own requests in flight (at most 65535): KGR_BUN_REQUEST_LIMIT".
  assert.match(
    message,
    /^Cannot watch endpointslices: Bun sends at most 1 HTTP requests at a time .*\(at most 65535\)$/,
  );
});

Deno.test("statusError() and networkError() name the in-cluster service account as a sentence reads it", async () => {
  // Was "the credentials from in-cluster service account" and "... from in-cluster service account (...)".
  const access = await resolveClusterAccess({}, fakeEnvironment(IN_CLUSTER_VARS, SA_FILES));
  const messages = [
    statusError(listIn("shop"), access, answer(401), { message: "Unauthorized" }, false).message,
    statusError(listIn("shop"), access, answer(403), { message: "forbidden" }, false).message,
    networkError("list", "endpointslices", access, Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))
      .message,
  ];
  for (const message of messages) {
    assert.match(message, /from the in-cluster service account/);
    assert.doesNotMatch(message, /(in|from|of) in-cluster/);
  }
});

Deno.test("networkError() for in-cluster access names the variables and files the server and CA come from", async () => {
  // Was "check the port in the in-cluster service account", "its URL in the in-cluster service account must start
  // with http://" (an in-cluster URL is https:// always) and "check KUBERNETES_SERVICE_HOST and the service
  // account's ca.crt in the in-cluster service account": a service account holds no port, URL or TLS setting.
  const access = await resolveClusterAccess({}, fakeEnvironment(IN_CLUSTER_VARS, SA_FILES));
  const failure = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
  const http2 = networkError(
    "list",
    "endpointslices",
    access,
    failure("Expected HTTP/, RTSP/ or ICE/", "HPE_INVALID_CONSTANT"),
  );
  assert.match(http2.message, /: check KUBERNETES_SERVICE_PORT$/);
  const plain = networkError(
    "list",
    "endpointslices",
    access,
    failure("wrong version number", "ERR_SSL_WRONG_VERSION_NUMBER"),
  );
  assert.match(plain.message, /does not answer in TLS \(.*\): check KUBERNETES_SERVICE_PORT$/);
  const untrusted = networkError(
    "list",
    "endpointslices",
    access,
    failure("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT"),
  );
  assert.match(untrusted.message, /; check KUBERNETES_SERVICE_HOST and the service account's ca\.crt; /);
  for (const { message } of [http2, plain, untrusted]) {
    assert.doesNotMatch(message, /in the in-cluster service account/);
  }
});

Deno.test("networkError() in a pod with other options still names the variables the server comes from", async () => {
  // Was "check the port in the in-cluster service account with cluster.token" and "its URL in the in-cluster service
  // account with cluster.token must start with http://": the options changed the credentials, not the port.
  const failure = (message: string, code: string) => Object.assign(new Error(message), { code });
  for (const options of [{ token: "t" }, { namespace: "shop" }]) {
    const access = await resolveClusterAccess(options, fakeEnvironment(IN_CLUSTER_VARS, SA_FILES));
    const http2 = failure("Expected HTTP/, RTSP/ or ICE/", "HPE_INVALID_CONSTANT");
    assert.match(
      networkError("list", "endpointslices", access, http2).message,
      /: check KUBERNETES_SERVICE_PORT$/,
      access.source,
    );
    const plain = failure("wrong version number", "ERR_SSL_WRONG_VERSION_NUMBER");
    assert.match(
      networkError("list", "endpointslices", access, plain).message,
      /does not answer in TLS \(.*\): check KUBERNETES_SERVICE_PORT$/,
      access.source,
    );
  }
  // The TLS option replaced the service account's: it alone is named, not "... in the in-cluster service account".
  const named = await resolveClusterAccess({ tlsServerName: "kubernetes" }, fakeEnvironment(IN_CLUSTER_VARS, SA_FILES));
  const untrusted = failure("self-signed certificate", "DEPTH_ZERO_SELF_SIGNED_CERT");
  const message = networkError("list", "endpointslices", named, untrusted).message;
  assert.match(message, /; check cluster\.ca, cluster\.caFile and cluster\.tlsServerName; /);
  assert.doesNotMatch(message, /in the in-cluster service account/);
});

Deno.test("statusError() and notJsonError() escape DEL, C1 controls and bidi characters in the server's words", () => {
  // JSON quoting escapes C0 controls only: a right-to-left override (U+202E) or an isolate (U+2066) in a server's
  // message reordered the words around it in a terminal or a log line, and a C1 CSI (U+009B) could move the cursor.
  const unprintable = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
  const access = accessTo("https://10.0.0.1:6443");
  const refused = statusError(
    listIn("prod"),
    access,
    answer(403),
    { message: "forbidden\u202e: user\x7f\x9b2J \u2066x" },
    false,
  );
  assert.doesNotMatch(refused.message, unprintable);
  assert.match(refused.message, /\(server said: "forbidden\\u202e: user\\x7f\\x9b2J \\u2066x"\)/);
  const page = notJsonError(
    "list",
    "endpointslices",
    access,
    new Response(null, { status: 200, headers: { "content-type": "text/html" } }),
    undefined,
    "Sign\u202ein\x85",
  );
  assert.doesNotMatch(page.message, unprintable);
  assert.match(page.message, /\(server said: "Sign\\u202ein\\x85"\)$/);
});

// A server URL from the cluster.server option was told to "point the kubeconfig at the Kubernetes API server", where
// no kubeconfig was given (or its server was replaced); the TLS message in the same case names the options. Whether
// it did was told from the source's words, which a kubeconfig's file name can hold too: it is a field of the access.
Deno.test("statusError() for an HTML page names cluster.server when the server URL came from it", async () => {
  const page = new Response(null, { status: 403, headers: { "content-type": "text/html" } });
  const direct = "https://10.0.0.1:6443";
  const rancher = "https://rancher.example/k8s/clusters/c-1";
  const named = "/k/prod with cluster.server, staging";
  const files = {
    "/k": kubeconfigText(direct),
    "/k/rancher": kubeconfigText(rancher),
    [named]: kubeconfigText(direct),
  };
  for (
    const [options, vars, advice] of [
      [{ server: direct }, {}, /: point cluster\.server at the Kubernetes API server itself, not/],
      [{ kubeconfig: "/k", server: direct }, {}, /: point cluster\.server at the Kubernetes API server itself, not/],
      [
        { server: rancher },
        {},
        /check the path in cluster\.server and the user's access there, or point cluster\.server at the Kubernetes/,
      ],
      // A kubeconfig's own server, even with other options given, is still the kubeconfig's.
      [{ kubeconfig: "/k", token: "t" }, {}, /: point the kubeconfig at the Kubernetes API/],
      [
        { kubeconfig: "/k/rancher" },
        {},
        /check the path in kubeconfig \/k\/rancher \(context "dev"\) and the user's access there, or point the kubeconfig at/,
      ],
      // Whatever its file is named.
      [{}, { KUBECONFIG: named }, /: point the kubeconfig at the Kubernetes API/],
      [{ kubeconfig: named, token: "t" }, {}, /: point the kubeconfig at the Kubernetes API/],
    ] as const
  ) {
    const access = await resolveClusterAccess(options, fakeEnvironment(vars, files));
    const message = statusError(listIn("prod"), access, page, {}, false).message;
    assert.match(message, advice, access.source);
    if (advice.source.includes("cluster\\.server")) assert.doesNotMatch(message, /the kubeconfig/, access.source);
  }
});

// Through a proxy, the page in the API server's place may be the proxy's own (its login or block page): the advice
// only said to point the kubeconfig at the API server, "not at a web page, a login page or a proxy".
Deno.test("statusError() and notJsonError() for a page through a proxy say it may be the proxy's, and what to check", () => {
  const page = (status = 403) => new Response(null, { status, headers: { "content-type": "text/html" } });
  for (
    const [proxySource, proxyOrigin, exempt] of [
      ["HTTPS_PROXY", "environment", /, or add 10\.0\.0\.1 to NO_PROXY if the server is reachable without the proxy$/],
      [
        'proxy-url of kubeconfig /k (context "dev")',
        "proxy-url",
        /, or drop proxy-url of kubeconfig \/k \(context "dev"\) if the /,
      ],
    ] as const
  ) {
    const access = {
      ...accessTo("https://10.0.0.1:6443"),
      proxyUrl: "http://puser:psecret@proxy.example:3128",
      proxySource,
      proxyOrigin,
    } as ClusterAccess;
    for (
      const message of [
        statusError(listIn("prod"), access, page(), {}, false).message,
        notJsonError("list", "endpointslices", access, page(200)).message,
      ]
    ) {
      assert.match(message, /point the kubeconfig at the Kubernetes API server itself, not at a web page/, message);
      assert.match(
        message,
        /; it came through the proxy http:\/\/proxy\.example:3128\/ \(its user name and password not shown\) from /,
        message,
      );
      assert.match(message, /so the page may be the proxy's own \(a login page, a corporate proxy's block page\)/);
      assert.match(message, /check that the proxy lets requests to 10\.0\.0\.1 through/, message);
      assert.match(message, exempt, message);
      assert.doesNotMatch(message, /psecret|puser/);
    }
  }
  // Without a proxy, none of it.
  const direct = statusError(listIn("prod"), accessTo("https://10.0.0.1:6443"), page(), {}, false).message;
  assert.doesNotMatch(direct, /proxy's own|NO_PROXY/);
});

// The advice for a proxy's page told a kubeconfig's proxy-url from an environment proxy by parsing the display string
// ("proxy-url of ..."): reworded, a proxy-url was told to add the server to NO_PROXY, which kubectl does not read for
// it. It follows ClusterAccess.proxyOrigin, set where the proxy is chosen; without one it names neither way out.
Deno.test("statusError() for a page through a proxy tells a proxy-url from an environment proxy by its origin", async () => {
  const page = new Response(null, { status: 403, headers: { "content-type": "text/html" } });
  const server = "https://10.0.0.1:6443";
  const vars = { HTTPS_PROXY: "http://proxy.example:3128" };
  const kubeconfig = {
    "current-context": "dev",
    clusters: [{ name: "dev", cluster: { server, "proxy-url": "http://own:3128" } }],
    users: [{ name: "dev", user: { token: "t" } }],
    contexts: [{ name: "dev", context: { cluster: "dev", user: "dev" } }],
  };
  const own = await resolveClusterAccess({ kubeconfig }, fakeEnvironment(vars, {}));
  const fromEnv = await resolveClusterAccess({ server, token: "t" }, fakeEnvironment(vars, {}));
  assert.equal(own.proxyUrl, "http://own:3128");
  const drop = /, or drop the kubeconfig's proxy-url if the server is reachable without it$/;
  const add = /, or add 10\.0\.0\.1 to NO_PROXY if the server is reachable without the proxy$/;
  for (
    const [access, advice, not] of [
      [{ ...own, proxySource: "the kubeconfig's proxy-url" }, drop, /NO_PROXY/],
      [{ ...fromEnv, proxySource: "proxy-url of the environment" }, add, /, or drop /],
      [{ ...fromEnv, proxySource: "the kubeconfig's proxy-url", proxyOrigin: undefined }, /through$/, /NO_PROXY|drop/],
    ] as const
  ) {
    const message = statusError(listIn("prod"), access as ClusterAccess, page, {}, false).message;
    assert.match(message, advice, message);
    assert.doesNotMatch(message, not, message);
  }
});

// For an IPv6 server the advice said "add [fd00::1] to NO_PROXY": Go's httpproxy (kubectl) reads a bracketed address
// without a port as a name, which matches no server, and so do we. The bare address works for kubectl, us and Bun.
Deno.test("statusError() for a page through an environment proxy names a NO_PROXY entry that skips the proxy", () => {
  const page = new Response(null, { status: 403, headers: { "content-type": "text/html" } });
  const proxyUrl = "http://proxy.example:3128";
  for (
    const [server, entry] of [
      ["https://[fd00::1]:6443", "fd00::1"],
      ["https://[fd00::1]", "fd00::1"],
      ["https://10.0.0.1:6443", "10.0.0.1"],
      ["https://api.example.com:6443", "api.example.com"],
    ]
  ) {
    const access = {
      ...accessTo(server),
      proxyUrl,
      proxySource: "HTTPS_PROXY",
      proxyOrigin: "environment",
    } as ClusterAccess;
    const message = statusError(listIn("prod"), access, page, {}, false).message;
    const named = /, or add (\S+) to NO_PROXY if the server is reachable without the proxy$/.exec(message);
    assert.equal(named?.[1], entry, message);
    const env = (vars: Record<string, string>) => (name: string) => vars[name];
    assert.equal(proxyFromEnvironment(server, env({ HTTPS_PROXY: proxyUrl, NO_PROXY: entry })), undefined, entry);
    assert.equal(bunNoProxyVariable(server, env({ NO_PROXY: entry })), "NO_PROXY", entry);
  }
});

// The advice said "add 10.0.0.1 to NO_PROXY" to a user with only no_proxy set: a NO_PROXY set beside it hides it, for
// kubectl and for us, and its hosts go through the proxy again. It names the variable that is read.
Deno.test("statusError() for a page through an environment proxy names the NO_PROXY variable that is read", async () => {
  const page = new Response(null, { status: 403, headers: { "content-type": "text/html" } });
  const server = "https://10.0.0.1:6443";
  for (
    const [vars, variable] of [
      [{ no_proxy: "localhost,.corp" }, "no_proxy"],
      [{ NO_PROXY: ".internal", no_proxy: "localhost,.corp" }, "NO_PROXY"],
      [{ NO_PROXY: "", no_proxy: ".corp" }, "no_proxy"],
      [{}, "NO_PROXY"],
    ] as const
  ) {
    const proxied: Record<string, string> = { HTTPS_PROXY: "http://proxy.example:3128", ...vars };
    const access = await resolveClusterAccess({ server, token: "t" }, fakeEnvironment(proxied, {}));
    const message = statusError(listIn("prod"), access, page, {}, false).message;
    assert.match(
      message,
      new RegExp(`, or add 10\\.0\\.0\\.1 to ${variable} if the server is reachable without`),
      message,
    );
    // Added there, it skips the proxy, by our reading and by Bun's.
    const added: Record<string, string> = { ...proxied, [variable]: `${proxied[variable] ?? ""},10.0.0.1` };
    assert.equal(proxyFromEnvironment(server, (name) => added[name]), undefined, JSON.stringify(added));
  }
});

// In a pod, the server URL comes from KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, and there is no kubeconfig
// to point anywhere: the advice for a page in the API server's place was "point the kubeconfig at ...".
Deno.test("statusError() for an HTML page in a pod names the in-cluster variables, not a kubeconfig", async () => {
  const page = new Response(null, { status: 403, headers: { "content-type": "text/html" } });
  for (const options of [{}, { token: "t" }]) {
    const access = await resolveClusterAccess(options, fakeEnvironment(IN_CLUSTER_VARS, SA_FILES));
    const message = statusError(listIn("shop"), access, page, {}, false).message;
    assert.match(
      message,
      /: point KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT at the Kubernetes API server itself, not at a web/,
      access.source,
    );
    assert.doesNotMatch(message, /kubeconfig|cluster\.server/, access.source);
  }
});

Deno.test("CHECK_ADVICE names the npm package's bin when api_errors.ts is loaded from Deno's npm cache", async () => {
  // api_errors.ts must hand checkCommand() its own URL: given undefined, it named JSR's form here too, and no test saw.
  const dir = await mkdtemp(join(tmpdir(), "kgr-check-advice-"));
  try {
    const root = join(dir, "npm", "registry.npmjs.org", "@kgr", "resolver", "1.2.0");
    await cp(new URL("../src", import.meta.url), join(root, "src"), { recursive: true });
    const { CHECK_ADVICE } = await import(pathToFileURL(join(root, "src", "api", "api_errors.ts")).href);
    assert.match(CHECK_ADVICE, /^deno run -A npm:@kgr\/resolver check TARGET names the grants/);
  } finally {
    await rm(dir, { recursive: true });
  }
});
