import assert from "node:assert/strict";
import { createServer } from "node:http";
import { inspect } from "node:util";
import { startFakeApiServer } from "@kgr/resolver/testing";
import { resolveClusterAccess } from "../src/cluster/resolve_cluster_access.ts";
import { KubeApiError } from "../src/base/errors.ts";
import { createEndpointSliceApi } from "../src/api/kube_api.ts";
import { UnreachableError } from "../src/api/api_errors.ts";
import { isResourceVersionTooLarge } from "../src/watch/_retry.ts";
import { createHttpClient } from "../src/runtime/http_client.ts";

Deno.test("createEndpointSliceApi() turns a 504 ResourceVersionTooLarge Status into an error that says so", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const access = await resolveClusterAccess({ kubeconfig: api.kubeconfig() });
  const client = await createHttpClient({ tls: access.tls });
  try {
    const calls = createEndpointSliceApi(access, client, "prod", "echo");
    const error = await calls.list({ resourceVersion: "900", signal: AbortSignal.timeout(5000) }).catch((e) => e);
    assert.ok(error instanceof KubeApiError, String(error));
    assert.equal(error.status, 504);
    assert.deepEqual(error.causes, ["ResourceVersionTooLarge"]);
    assert.equal(isResourceVersionTooLarge(error), true);
    assert.equal(isResourceVersionTooLarge(new KubeApiError("gone", { status: 410 })), false);
  } finally {
    client.close();
    await api.close();
  }
});

Deno.test("createEndpointSliceApi() tells a LIST's caller of each chunk of its body, which it times", async () => {
  const api = await startFakeApiServer({ token: "t" });
  const access = await resolveClusterAccess({ kubeconfig: api.kubeconfig() });
  const client = await createHttpClient({ tls: access.tls });
  try {
    let chunks = 0;
    const calls = createEndpointSliceApi(access, client, "prod", "echo");
    await calls.list({ resourceVersion: "0", signal: AbortSignal.timeout(5000), onBytes: () => chunks++ });
    assert.ok(chunks > 0);
  } finally {
    client.close();
    await api.close();
  }
});

Deno.test("createEndpointSliceApi() asks a 403 for the verb the server refused, as its message names it", async () => {
  // A Role with "list" but not "watch" (or the reverse): the advice asked for both, whichever was missing.
  const api = await startFakeApiServer({ token: "t" });
  const access = await resolveClusterAccess({ kubeconfig: api.kubeconfig() });
  const client = await createHttpClient({ tls: access.tls });
  try {
    const calls = createEndpointSliceApi(access, client, "prod", "echo");
    const signal = AbortSignal.timeout(5000);
    const slices = { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], namespace: "prod" };
    api.setAccess({ username: "u", rules: [{ ...slices, verbs: ["list"] }] });
    const resourceVersion = (await calls.list({ signal })).metadata.resourceVersion!;
    const watch = await calls.watch({ resourceVersion, timeoutSeconds: 5, signal }).catch((e) => e);
    assert.ok(watch instanceof KubeApiError, String(watch));
    assert.match(watch.message, /cannot watch resource/);
    assert.match(
      watch.message,
      /: grant "watch" on "endpointslices" in API group "discovery\.k8s\.io" \(a resolver needs "list" and "watch"\) in namespace "prod"/,
    );
    // The LIST just answered: the namespace exists, and the credentials may list but not watch.
    assert.doesNotMatch(watch.message, /if there is no namespace/);
    assert.match(watch.message, /: they may list these objects \(a LIST just answered\) but not watch them: grant /);
    assert.match(
      watch.message,
      /Role and RoleBinding \(deno run -A jsr:@kgr\/resolver\/cli check TARGET names the grants these credentials lack/,
    );
    api.setAccess({ username: "u", rules: [{ ...slices, verbs: ["watch"] }] });
    const list = await calls.list({ signal }).catch((e) => e);
    assert.ok(list instanceof KubeApiError, String(list));
    assert.match(list.message, /cannot list resource/);
    assert.match(
      list.message,
      /: grant "list" on "endpointslices" in API group "discovery\.k8s\.io" \(a resolver needs "list" and "watch"\)/,
    );
    // Was only in the watch's 403: the list's, the first a new user meets, did not point to check.
    assert.match(
      list.message,
      /Role and RoleBinding \(deno run -A jsr:@kgr\/resolver\/cli check TARGET names the grants these credentials lack, and writes the Role and RoleBinding to apply\); if there is no namespace "prod"/,
    );
    // A watch served since the last LIST, then refused: no LIST speaks for the namespace (one deleted since, with its
    // Role, gets this 403 too).
    api.setAccess({ username: "u", rules: [{ ...slices, verbs: ["list", "watch"] }] });
    await calls.list({ signal });
    const served = new AbortController();
    await calls.watch({ resourceVersion, timeoutSeconds: 5, signal: served.signal });
    served.abort();
    api.setAccess({ username: "u", rules: [] });
    const later = await calls.watch({ resourceVersion, timeoutSeconds: 5, signal }).catch((e) => e);
    assert.ok(later instanceof KubeApiError, String(later));
    assert.match(later.message, /if there is no namespace "prod" \(it gets this 403 too\), fix the namespace/);
  } finally {
    client.close();
    await api.close();
  }
});

Deno.test("createEndpointSliceApi() says that a kubeconfig user without credentials sent none, where a server refuses it", async () => {
  const api = await startFakeApiServer({ token: "t" });
  // The fake server's kubeconfig, with the token taken out of its user: requests go as system:anonymous.
  const kubeconfig = api.kubeconfig();
  for (const entry of kubeconfig.users ?? []) entry.user = {};
  const access = await resolveClusterAccess({ kubeconfig });
  const client = await createHttpClient({ tls: access.tls });
  try {
    const calls = createEndpointSliceApi(access, client, "prod", "echo");
    const error = await calls.list({ signal: AbortSignal.timeout(5000) }).catch((e) => e);
    assert.ok(error instanceof KubeApiError, String(error));
    assert.equal(error.status, 403);
    assert.match(
      error.message,
      /refused a request without credentials \(403\): .* gives none; give its user a token, a client certificate or an exec plugin/,
    );
  } finally {
    client.close();
    await api.close();
  }
});

/** A server on 127.0.0.1 that answers every request with this Status, at `url` until `close()`. */
async function startStatusServer(code: number, reason: string, message: string) {
  const server = createServer((_req, res) => {
    res.writeHead(code, { "content-type": "application/json" }).end(
      JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason, code, message }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The KubeApiError of a LIST of prod/echo's slices with these cluster options. */
async function listError(options: Parameters<typeof resolveClusterAccess>[0]): Promise<KubeApiError> {
  const access = await resolveClusterAccess(options);
  const client = await createHttpClient({ tls: access.tls });
  try {
    const error = await createEndpointSliceApi(access, client, "prod", "echo").list({
      signal: AbortSignal.timeout(5000),
    }).catch((e) => e);
    assert.ok(error instanceof KubeApiError, String(error));
    return error;
  } finally {
    client.close();
  }
}

Deno.test("createEndpointSliceApi() says the credentials went unused when a 403 names system:anonymous", async () => {
  // A kube-apiserver with its default anonymous authentication takes basic auth (refused since 1.19) as no
  // credentials: the 403 is system:anonymous's, and granting the kubeconfig user a Role would not help.
  const api = await startFakeApiServer({ token: "t" });
  try {
    const basicAuth = {
      apiVersion: "v1",
      kind: "Config",
      "current-context": "c",
      clusters: [{ name: "c", cluster: { server: api.url } }],
      users: [{ name: "u", user: { username: "admin", password: "basic-secret-0123456789" } }],
      contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
    };
    const error = await listError({ kubeconfig: basicAuth });
    assert.equal(error.status, 403);
    assert.match(
      error.message,
      /: the API server at http:\/\/127\.0\.0\.1:\d+ took the credentials from the kubeconfig object .* as system:anonymous \(403\): the API server has refused basic auth since Kubernetes 1\.19/,
    );
    assert.doesNotMatch(error.message, /0123456789|grant "list"/);
  } finally {
    await api.close();
  }
});

Deno.test("createEndpointSliceApi() keeps the grant advice for a 403 behind kubectl proxy, which sends no credentials", async () => {
  // kubectl proxy adds its own user's credentials: the 403 is that user's, not system:anonymous's.
  const server = await startStatusServer(
    403,
    "Forbidden",
    'endpointslices.discovery.k8s.io is forbidden: User "dev" cannot list resource "endpointslices"',
  );
  try {
    const error = await listError({ server: server.url });
    assert.match(error.message, /forbidden \(403\) for the credentials from .*: grant "list"/);
  } finally {
    await server.close();
  }
});

Deno.test("createEndpointSliceApi() says a 401 without credentials needs them, or, behind kubectl proxy, the proxy's", async () => {
  const server = await startStatusServer(401, "Unauthorized", "Unauthorized");
  try {
    const error = await listError({ server: server.url });
    assert.match(
      error.message,
      /refused a request without credentials \(401\): cluster options gives none; .* \(behind kubectl proxy: the proxy's own credentials were refused\)/,
    );
  } finally {
    await server.close();
  }
});

Deno.test("createEndpointSliceApi() names kubectl proxy for a 401 without credentials only on http://", async () => {
  // kube-apiserver with --anonymous-auth=false (as our e2e control plane runs it) answers 401 to a kubeconfig user
  // without credentials; kubectl proxy serves plain HTTP only, so an https:// server is none.
  const { createServer: createHttpsServer } = await import("node:https");
  const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));
  const server = createHttpsServer(
    { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
    (_q, res) => {
      res.writeHead(401, { "content-type": "application/json" }).end(
        JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "Unauthorized", code: 401 }),
      );
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as { port: number };
    const error = await listError({ server: `https://127.0.0.1:${port}`, ca: await fixture("ca.pem") });
    assert.match(error.message, /refused a request without credentials \(401\): cluster options gives none; give /);
    assert.doesNotMatch(error.message, /kubectl proxy/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

Deno.test("createEndpointSliceApi() tells the credentials which header and client certificate a 401 refused", async () => {
  // An exec plugin's answer may be a client certificate alone: without it, a late 401 of a request made with an older
  // answer dropped the newer one, and the plugin ran once more than client-go runs it.
  const server = await startStatusServer(401, "Unauthorized", "Unauthorized");
  const access = await resolveClusterAccess({ server: server.url, token: "t" });
  const certificate = { cert: "c", key: "k" };
  const refused: unknown[][] = [];
  const credentials = {
    authorization: () => Promise.resolve("Bearer t"),
    clientCertificate: () => Promise.resolve(certificate),
    invalidate: (...args: unknown[]) => void refused.push(args),
  };
  const client = await createHttpClient({ tls: access.tls });
  try {
    await createEndpointSliceApi({ ...access, credentials }, client, "prod", "echo").list({
      signal: AbortSignal.timeout(5000),
    }).catch(() => {});
    assert.equal(refused.length, 1);
    assert.equal(refused[0][0], "Bearer t");
    assert.equal(refused[0][1], certificate);
  } finally {
    client.close();
    await server.close();
  }
});

Deno.test("createEndpointSliceApi() says how to renew credentials that a 401 refused, as their source allows", async () => {
  const server = await startStatusServer(401, "Unauthorized", "Unauthorized");
  const url = server.url;
  const dir = await Deno.makeTempDir();
  const tokenFile = `${dir}/token`;
  await Deno.writeTextFile(tokenFile, "file-token-0123456789");
  const basicAuth = {
    apiVersion: "v1",
    kind: "Config",
    "current-context": "c",
    clusters: [{ name: "c", cluster: { server: url } }],
    users: [{ name: "u", user: { username: "admin", password: "basic-secret-0123456789" } }],
    contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
  };
  const cases: [Parameters<typeof resolveClusterAccess>[0], RegExp][] = [
    // An inline token is never read again: renewing it where it is written does nothing until a restart.
    [
      { server: url, token: "inline-token-0123456789" },
      /\(401 Unauthorized\): renew the token, then restart the process: a token written in a kubeconfig or given as an option is read once/,
    ],
    [
      { server: url, tokenFile },
      new RegExp(`\\(401 Unauthorized\\): write a valid token into ${tokenFile}: it is read again every minute`),
    ],
    [{ kubeconfig: basicAuth }, /\(401 Unauthorized\): the API server has refused basic auth since Kubernetes 1\.19/],
  ];
  try {
    for (const [options, advice] of cases) {
      const error = await listError(options);
      assert.match(error.message, advice);
      assert.doesNotMatch(error.message, /0123456789/, "no secret in the message");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await server.close();
  }
});

Deno.test("createEndpointSliceApi() names --allow-net when Deno refuses the lookup of a server named by host", async () => {
  // undici looks a host name up with node:dns first, which Deno refuses with "getaddrinfo EPERM" (no NotCapable):
  // it said "cannot reach the API server ...; check that the address is right and the server is up". A host with
  // "env" in it must not be taken for an --allow-env refusal either.
  const access = await resolveClusterAccess({ server: "https://api.prod-env.example:6443" });
  const refusedLookup = Object.assign(new Error("getaddrinfo EPERM api.prod-env.example"), {
    code: "EPERM",
    syscall: "getaddrinfo",
    hostname: "api.prod-env.example",
  });
  const client = { fetch: () => Promise.reject(refusedLookup), close() {} };
  const error = await createEndpointSliceApi(access, client, "prod", "echo").list({
    signal: AbortSignal.timeout(5000),
  }).catch((e) => e);
  assert.ok(error instanceof KubeApiError, String(error));
  assert.match(
    error.message,
    /: this Deno process may not reach https:\/\/api\.prod-env\.example:6443 \(getaddrinfo EPERM api\.prod-env\.example.*\): run it with --allow-net=api\.prod-env\.example:6443, or add the API server to its list$/,
  );
});

/** A server on 127.0.0.1 that answers every request with `respond(authorization)` as JSON text, at `url`. */
async function startEchoServer(status: number, respond: (authorization: string) => string) {
  const server = createServer((req, res) => {
    res.writeHead(status, { "content-type": "application/json" }).end(respond(req.headers.authorization ?? ""));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test("createEndpointSliceApi() keeps a LIST body that is not JSON out of the error, cause included", async () => {
  // JavaScriptCore's parse error quotes the first word (`Unexpected identifier "kgrtok..."`), V8's a few characters.
  const token = "kgrtok3c1f80d2e5a94b7";
  const server = await startEchoServer(200, (authorization) => authorization.replace(/^Bearer /, ""));
  try {
    const error = await listError({ server: server.url, token });
    assert.match(error.message, /is not valid JSON: if this repeats/);
    assert.equal(error.cause, undefined);
    assert.ok(!inspect(error, { depth: 10 }).includes(token.slice(0, 10)), inspect(error));
  } finally {
    await server.close();
  }
});

Deno.test("createEndpointSliceApi() says that a LIST whose answer broke halfway reached the API server", async () => {
  // A proxy that cuts connections after so many bytes: the server answered 200 and part of the list. The error said
  // "cannot reach the API server ...: check that the address is right and the server is up, and if this port serves
  // HTTPS, make the URL start with https://"; kubectl v1.36.3 says "unexpected error when reading response body.
  // Please retry. Original error: unexpected EOF".
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"kind":"EndpointSliceList","items":[');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const error = await listError({ server: url, token: "t" });
    assert.match(
      error.message,
      new RegExp(
        `^Cannot list endpointslices of service "echo" in namespace "prod": the connection to the API server at ` +
          `${url} broke while it sent its answer \\(.+\\): if this repeats, check the API server's health .* and that ` +
          "the proxies and load balancers on the way do not cut connections after so many bytes or seconds$",
      ),
    );
    assert.ok(!(error instanceof UnreachableError), "the server was reached");
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

Deno.test("createEndpointSliceApi() quotes the plain text of an error answer without a Status, as kubectl does", async () => {
  // An Envoy in front of the API server, and kube-apiserver's own priority and fairness 429, answer in plain text:
  // the error said only "answered 503", where kubectl shows 'an error on the server ("no healthy upstream")'. The
  // text is cut, and the request's token never shows.
  const token = "kgrtok3c1f80d2e5a94b7";
  const bodies: [number, string, RegExp][] = [
    [
      503,
      "no healthy upstream",
      /in front of the API server .* answered 503 with no Kubernetes Status, .* \(server said: "no healthy upstream"\)$/,
    ],
    [
      429,
      "Too many requests, please try again later.\n",
      /answered 429: .* \(server said: "Too many requests, please try again later."\)$/,
    ],
    [
      502,
      `upstream reset for Bearer ${token}: ${"x".repeat(5000)}`,
      /server said: "upstream reset for \[redacted\]: x+\.\.\."\)$/,
    ],
  ];
  for (const [status, body, want] of bodies) {
    const server = createServer((_req, res) => res.writeHead(status, { "content-type": "text/plain" }).end(body));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const error = await listError({
        server: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
        token,
      });
      assert.match(error.message, want);
      assert.ok(error.message.length < 700, error.message);
      assert.ok(!inspect(error, { depth: 10 }).includes(token.slice(0, 10)), inspect(error));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
});

Deno.test("createEndpointSliceApi() hides the credentials in a plain-text error answer that echoes the request", async () => {
  // A proxy that echoes the request's headers in its plain-text error: its text was put on one line before the
  // credentials were taken out of it, so a token or password holding a tab or two spaces in a row (a header value
  // may) no longer matched, and showed.
  const users = [
    { token: "kgrtok\t3c1f80d2e5a94b7" },
    { token: "kgrtok  3c1f80d2e5a94b7" },
    { username: "admin", password: "kgrpass  3c1f80d2e5" },
    // One that ends in a tab reaches the server, and is echoed, without it (fetch strips a header value's ends).
    { token: "kgrtok3c1f80d2e5a94b7\t" },
  ];
  for (const user of users) {
    const server = createServer((req, res) => {
      const basic = req.headers.authorization?.startsWith("Basic ")
        ? ` as ${atob(req.headers.authorization.slice(6))}`
        : "";
      res.writeHead(502, { "content-type": "text/plain" })
        .end(`upstream refused\nAuthorization: ${req.headers.authorization}${basic}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const error = await listError({
        kubeconfig: {
          apiVersion: "v1",
          kind: "Config",
          "current-context": "c",
          clusters: [{
            name: "c",
            cluster: { server: `http://127.0.0.1:${(server.address() as { port: number }).port}` },
          }],
          users: [{ name: "u", user }],
          contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
        },
      });
      assert.match(error.message, /server said: "upstream refused Authorization: \[redacted\]/);
      assert.ok(!/3c1f80d2e5/.test(inspect(error, { depth: 10 })), inspect(error));
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
});

Deno.test("createEndpointSliceApi() quotes the words of a gateway's HTML error page, as kubectl shows the page", async () => {
  // A gateway that serves clusters under a path (Rancher's /k8s/clusters/<id>, the GKE Connect gateway) answers in
  // its own HTML when it refuses the user: the error said only "answered 403 with content type text/html" and to
  // point the kubeconfig at the API server instead of a proxy, where kubectl shows the page and its reason.
  const token = "kgrtok3c1f80d2e5a94b7";
  const server = createServer((req, res) => {
    res.writeHead(req.url!.startsWith("/k8s/clusters/c-xyz/") ? 403 : 502, { "content-type": "text/html" }).end(
      `<html><head><title>403 Forbidden</title><style>h1{color:red}</style></head><body><h1>403 Forbidden</h1>` +
        `<p>User &quot;jane&quot; is not a member of cluster c-xyz (${req.headers.authorization})</p></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    const refused = await listError({ server: `http://127.0.0.1:${port}/k8s/clusters/c-xyz`, token });
    assert.match(
      refused.message,
      /answered 403 with content type "text\/html", not JSON: a gateway that serves the API under the path of its URL .*\(server said: "403 Forbidden 403 Forbidden User \\"jane\\" is not a member of cluster c-xyz \(\[redacted\]\)"\)$/,
    );
    const down = await listError({ server: `http://127.0.0.1:${port}`, token });
    assert.match(down.message, /answered 502 .*\(server said: "403 Forbidden 403 Forbidden User .*\[redacted\]\)"\)$/);
    assert.ok(!refused.message.includes(token) && !down.message.includes(token));
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

Deno.test("createEndpointSliceApi() takes a JSON error that is no Kubernetes Status for a gateway's, not RBAC's", async () => {
  // kube-apiserver writes every error as a Status. A gateway in front of it writes its own JSON: the GKE Connect
  // gateway's IAM denial, Rancher's unknown cluster. The error advised a Role for the first and Kubernetes 1.21 for
  // the second, and dropped the first's reason (kubectl says "Forbidden: unknown").
  const bodies: Record<string, [number, string]> = {
    "/v1/projects/1/locations/global/gkeMemberships/m/": [
      403,
      '{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}',
    ],
    "/k8s/clusters/c-wrong/": [
      404,
      '{"type":"error","status":"404","code":"NotFound","message":"clusters.management.cattle.io \\"c-wrong\\" not found"}',
    ],
  };
  const server = createServer((req, res) => {
    const [status, body] = Object.entries(bodies).find(([prefix]) => req.url!.startsWith(prefix))![1];
    res.writeHead(status, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    const iam = await listError({ server: `http://127.0.0.1:${port}/v1/projects/1/locations/global/gkeMemberships/m` });
    assert.match(
      iam.message,
      /answered 403 with JSON that is no Kubernetes Status: a gateway that serves the API under the path of its URL .*\(server said: "The caller does not have permission"\)$/,
    );
    assert.doesNotMatch(iam.message, /Role/);
    const rancher = await listError({ server: `http://127.0.0.1:${port}/k8s/clusters/c-wrong` });
    assert.match(
      rancher.message,
      /answered 404 with JSON that is no Kubernetes Status: a gateway .*c-wrong\\" not found"\)$/,
    );
    assert.doesNotMatch(rancher.message, /Kubernetes 1\.21/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

Deno.test("createEndpointSliceApi() redacts a token that a gateway's JSON echoes with escaped slashes", async () => {
  // JSON may escape "/" as "\/" (PHP's json_encode does by default) or any character as \uXXXX: quoted as sent, a
  // gateway's JSON without a message showed the token, which the redaction looks for as it is.
  const token = "kgrtok/3c1f+80d2e5a94b7";
  const server = createServer((req, res) => {
    const body = JSON.stringify({ error: "invalid token", authorization: req.headers.authorization });
    res.writeHead(403, { "content-type": "application/json" }).end(body.replaceAll("/", "\\/").replace("+", "\\u002b"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    const error = await listError({ server: `http://127.0.0.1:${port}/k8s/clusters/c-xyz`, token });
    assert.match(error.message, /answered 403 with JSON that is no Kubernetes Status: .*\[redacted\]/);
    assert.ok(!/kgrtok|3c1f|80d2e5a94b7/.test(error.message), error.message);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
