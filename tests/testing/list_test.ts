import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { EndpointSlice } from "@kgr/resolver/testing";
import { getJson, slicesUrl, summary, svc, watch, withServer } from "./_helpers.ts";

Deno.test("a list returns matching slices sorted by namespace and name, without kind on items", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.2"], "b-ns"));
    server.applySlice(svc("echo", ["10.0.0.1"], "a-ns"));
    server.applySlice(svc("other", ["10.0.0.3"], "a-ns"));
    const all = await getJson(slicesUrl(server, undefined));
    assert.equal(all.status, 200);
    assert.equal(all.headers.get("content-type"), "application/json");
    assert.equal(all.body.kind, "EndpointSliceList");
    assert.equal(all.body.apiVersion, "discovery.k8s.io/v1");
    assert.deepEqual(all.body.metadata, {
      resourceVersion: server.resourceVersion,
    });
    assert.deepEqual(
      all.body.items.map((item: EndpointSlice) => `${item.metadata.namespace}/${item.metadata.name}`),
      ["a-ns/echo-ipv4", "a-ns/other-ipv4", "b-ns/echo-ipv4"],
    );
    assert.equal(
      all.body.items[0].kind,
      undefined,
      "list items carry no kind, like the real server's",
    );

    const selected = await getJson(
      slicesUrl(server, "a-ns", {
        labelSelector: "kubernetes.io/service-name=echo",
        resourceVersion: "0",
      }),
    );
    assert.deepEqual(
      selected.body.items.map((item: EndpointSlice) => item.endpoints![0].addresses),
      [["10.0.0.1"]],
    );

    for (
      const [selector, names] of [
        ["kubernetes.io/service-name==other", ["other-ipv4"]],
        ["kubernetes.io/service-name!=other", ["echo-ipv4"]],
        ["kubernetes.io/service-name, !missing", ["echo-ipv4", "other-ipv4"]],
        [
          "kubernetes.io/service-name in (echo,other),endpointslice.kubernetes.io/managed-by",
          ["echo-ipv4", "other-ipv4"],
        ],
        ["missing", []],
      ] as const
    ) {
      const { body } = await getJson(
        slicesUrl(server, "a-ns", { labelSelector: selector }),
      );
      assert.deepEqual(
        body.items.map((item: EndpointSlice) => item.metadata.name),
        names,
        selector,
      );
    }
    for (
      const selector of ["a=b=c", "=x", "a,", "bad key=x", "a=(b"]
    ) {
      const { status, body } = await getJson(
        slicesUrl(server, "a-ns", { labelSelector: selector }),
      );
      assert.equal(status, 400, selector);
      assert.equal(body.reason, "BadRequest");
      assert.equal(body.kind, "Status");
    }
  });
});

Deno.test("an empty namespace lists and watches every namespace, and a read of one object without it is a 400", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"], "shop"));
    server.applySlice(svc("echo", ["10.0.0.2"], "bank"));
    // As on kube-apiserver v1.36.3 (measured): `namespaces//endpointslices` is the cluster-wide list.
    const base = `${server.url}/apis/discovery.k8s.io/v1/namespaces/`;
    const list = await getJson(`${base}/endpointslices`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.items.map((item: EndpointSlice) => item.metadata.namespace), ["bank", "shop"]);
    const events = await watch(`${base}/endpointslices?watch=1`);
    try {
      const seen = [await events.next(), await events.next()].map((event) =>
        `${event?.type} ${event?.object.metadata.namespace}`
      );
      assert.deepEqual(seen.sort(), ["ADDED bank", "ADDED shop"]);
    } finally {
      await events.cancel();
    }
    const required = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure" };
    for (const path of [`${base}/endpointslices/echo-ipv4`, `${server.url}/api/v1/namespaces//services/echo`]) {
      assert.deepEqual(await getJson(path).then(({ status, body }) => ({ status, body })), {
        status: 400,
        body: { ...required, message: "Namespace parameter required.", reason: "BadRequest", code: 400 },
      }, path);
    }
  });
});

Deno.test("query parameters are read as kube-apiserver (Go's url.ParseQuery) reads them", async () => {
  await withServer({}, async (server) => {
    for (const ip of ["10.0.0.1", "10.0.0.2"]) server.applySlice(svc("a", [ip], "default", `a-${ip.at(-1)}`));
    const base = slicesUrl(server, "default");
    const answer = async (query: string) => {
      const { status, body } = await getJson(`${base}?${query}`);
      return status === 200 ? body.items.length : `${status} ${body.message}`;
    };
    // Each measured on kube-apiserver v1.36.3: a pair with a raw ";" or a malformed escape is dropped, so its
    // option is not set at all; a present but empty number is not 0 but a 400; "+" is a space.
    assert.equal(await answer("limit=1;x=y"), 2);
    assert.equal(await answer("limit=%zz"), 2);
    assert.equal(await answer("labelSelector=%zz"), 2);
    assert.equal(await answer("limit=1&x=%zz"), 1);
    assert.equal(await answer("li%6dit=%31"), 1);
    assert.equal(await answer("labelSelector=kubernetes.io/service-name+%3D+b"), 0);
    assert.equal(await answer("limit="), '400 strconv.ParseInt: parsing "": invalid syntax');
    assert.equal(await answer("limit"), '400 strconv.ParseInt: parsing "": invalid syntax');
    assert.equal(await answer("limit=+1"), '400 strconv.ParseInt: parsing " 1": invalid syntax');
    assert.equal(await answer("watch=1&timeoutSeconds="), '400 strconv.ParseInt: parsing "": invalid syntax');
    assert.deepEqual(server.requests.at(-1)!.query, { watch: "1", timeoutSeconds: "" });
  });
});

Deno.test("list pages show one snapshot even when slices change between pages", async () => {
  await withServer({}, async (server) => {
    for (const name of ["a", "b", "c", "d", "e"]) {
      server.applySlice(svc("echo", ["10.0.0.1"], "default", name));
    }
    const snapshotRv = server.resourceVersion;
    const first = await getJson(slicesUrl(server, "default", { limit: "2" }));
    assert.deepEqual(
      first.body.items.map((item: EndpointSlice) => item.metadata.name),
      ["a", "b"],
    );
    assert.equal(first.body.metadata.resourceVersion, snapshotRv);
    assert.equal(first.body.metadata.remainingItemCount, 3);
    assert.equal(typeof first.body.metadata.continue, "string");

    server.deleteSlice("default", "c");
    server.applySlice(svc("echo", ["10.0.0.99"], "default", "d"));
    server.applySlice(svc("echo", ["10.0.0.1"], "default", "bb"));

    const second = await getJson(
      slicesUrl(server, "default", {
        limit: "2",
        continue: first.body.metadata.continue,
      }),
    );
    assert.deepEqual(
      second.body.items.map((item: EndpointSlice) => item.metadata.name),
      ["c", "d"],
    );
    assert.deepEqual(
      second.body.items[1].endpoints[0].addresses,
      ["10.0.0.1"],
      "d as it was at the snapshot",
    );
    assert.equal(second.body.metadata.resourceVersion, snapshotRv);
    const third = await getJson(
      slicesUrl(server, "default", {
        limit: "2",
        continue: second.body.metadata.continue,
      }),
    );
    assert.deepEqual(
      third.body.items.map((item: EndpointSlice) => item.metadata.name),
      ["e"],
    );
    assert.deepEqual(third.body.metadata, { resourceVersion: snapshotRv });

    const selected = await getJson(
      slicesUrl(server, "default", {
        limit: "1",
        labelSelector: "kubernetes.io/service-name",
      }),
    );
    assert.equal(
      selected.body.metadata.remainingItemCount,
      undefined,
      "unknown with a selector, like the real server",
    );

    const mixed = await getJson(
      slicesUrl(server, "default", {
        continue: first.body.metadata.continue,
        resourceVersion: "5",
      }),
    );
    assert.equal(mixed.status, 400);
    const garbage = await getJson(
      slicesUrl(server, "default", { continue: "garbage" }),
    );
    assert.equal(garbage.status, 400);
  });
});

Deno.test("a continue token from before compact() gets 410 Expired with a token to go on inconsistently", async () => {
  await withServer({}, async (server) => {
    for (const name of ["a", "b", "c"]) {
      server.applySlice(svc("echo", ["10.0.0.1"], "default", name));
    }
    const first = await getJson(slicesUrl(server, "default", { limit: "1" }));
    server.applySlice(svc("echo", ["10.0.0.2"], "default", "b"));
    server.compact();
    const expired = await getJson(
      slicesUrl(server, "default", {
        limit: "1",
        continue: first.body.metadata.continue,
      }),
    );
    assert.equal(expired.status, 410);
    assert.equal(expired.body.kind, "Status");
    assert.equal(expired.body.status, "Failure");
    assert.equal(expired.body.reason, "Expired");
    assert.equal(expired.body.code, 410);
    assert.match(expired.body.message, /continue parameter is too old/);
    const rest = await getJson(
      slicesUrl(server, "default", {
        continue: expired.body.metadata.continue,
      }),
    );
    assert.deepEqual(
      rest.body.items.map((item: EndpointSlice) => item.metadata.name),
      ["b", "c"],
    );
    assert.deepEqual(
      rest.body.items[0].endpoints[0].addresses,
      ["10.0.0.2"],
      "the remainder is read at the current state",
    );
    assert.equal(rest.body.metadata.resourceVersion, server.resourceVersion);
  });
});

Deno.test("a list honours resourceVersion semantics: NotOlderThan, Exact and too large", async () => {
  await withServer({}, async (server) => {
    const old = server.applySlice(svc("echo", ["10.0.0.1"]));
    server.applySlice(svc("echo", ["10.0.0.2"]));
    const notOlder = await getJson(
      slicesUrl(server, "default", {
        resourceVersion: old.metadata.resourceVersion,
      }),
    );
    assert.equal(
      notOlder.body.metadata.resourceVersion,
      server.resourceVersion,
    );
    const exact = await getJson(
      slicesUrl(server, "default", {
        resourceVersion: old.metadata.resourceVersion,
        resourceVersionMatch: "Exact",
      }),
    );
    assert.equal(
      exact.body.metadata.resourceVersion,
      old.metadata.resourceVersion,
    );
    assert.deepEqual(exact.body.items[0].endpoints[0].addresses, ["10.0.0.1"]);
    const forbidden = await getJson(
      slicesUrl(server, "default", { resourceVersionMatch: "Exact" }),
    );
    assert.equal(forbidden.status, 422);

    const started = Date.now();
    const future = String(Number(server.resourceVersion) + 10);
    const tooLarge = await getJson(
      slicesUrl(server, "default", { resourceVersion: future }),
    );
    assert.ok(
      Date.now() - started >= 900,
      "the server waits for the resourceVersion first",
    );
    assert.equal(tooLarge.status, 504);
    assert.equal(tooLarge.headers.get("retry-after"), "1");
    assert.equal(tooLarge.body.reason, "Timeout");
    assert.deepEqual(tooLarge.body.details.causes, [
      {
        reason: "ResourceVersionTooLarge",
        message: "Too large resource version",
      },
    ]);

    const next = String(Number(server.resourceVersion) + 1);
    const waiting = getJson(
      slicesUrl(server, "default", { resourceVersion: next }),
    );
    server.applySlice(svc("late", ["10.0.0.3"]));
    const served = await waiting;
    assert.equal(
      served.status,
      200,
      "a resourceVersion that arrives during the wait is served",
    );
    assert.equal(served.body.metadata.resourceVersion, next);
  });
});

/** Every page of a list, following its continue tokens (at most 20 pages). */
async function pages(url: (continueToken?: string) => string) {
  const seen: { names: string[]; continued: boolean; remaining?: number; resourceVersion: string }[] = [];
  let token: string | undefined;
  for (let page = 0; page < 20; page++) {
    const { status, body } = await getJson(url(token));
    assert.equal(status, 200, JSON.stringify(body));
    token = body.metadata.continue;
    seen.push({
      names: body.items.map((item: EndpointSlice) => item.metadata.name),
      continued: token !== undefined,
      remaining: body.metadata.remainingItemCount,
      resourceVersion: body.metadata.resourceVersion,
    });
    if (token === undefined) return seen;
  }
  throw new Error("more than 20 pages");
}

Deno.test("a paged list with a selector goes on while keys remain, so its last page can be empty", async () => {
  await withServer({}, async (server) => {
    for (const name of ["a-1", "a-2"]) server.applySlice(svc("a", ["10.0.0.1"], "default", name));
    for (const name of ["b-1", "b-2", "b-3"]) server.applySlice(svc("b", ["10.0.0.2"], "default", name));
    const selected = (service: string, limit: number) => (token?: string) =>
      slicesUrl(server, "default", {
        labelSelector: `kubernetes.io/service-name=${service}`,
        limit: String(limit),
        ...(token === undefined ? {} : { continue: token }),
      });
    // As measured on kube-apiserver v1.36.3 with the same five slices.
    assert.deepEqual((await pages(selected("a", 1))).map((page) => [page.names, page.continued]), [
      [["a-1"], true],
      [["a-2"], true],
      [[], false],
    ]);
    assert.deepEqual((await pages(selected("b", 1))).map((page) => [page.names, page.continued]), [
      [["b-1"], true],
      [["b-2"], true],
      [["b-3"], false],
    ]);
    assert.deepEqual((await pages(selected("b", 2))).map((page) => [page.names, page.continued]), [
      [["b-1", "b-2"], true],
      [["b-3"], false],
    ]);
    const all = await pages((token) =>
      slicesUrl(server, "default", { limit: "2", ...(token ? { continue: token } : {}) })
    );
    assert.deepEqual(all.map((page) => [page.names, page.remaining]), [
      [["a-1", "a-2"], 3],
      [["b-1", "b-2"], 1],
      [["b-3"], undefined],
    ]);
  });
});

Deno.test("a field selector's one name or one namespace is all a paged list reads, so it ends without a token", async () => {
  await withServer({}, async (server) => {
    for (const name of ["a-1", "a-2", "b-1"]) server.applySlice(svc("a", ["10.0.0.1"], "diff", name));
    server.applySlice(svc("c", ["10.0.0.2"], "other", "c-1"));
    const paged = (namespace: string | undefined, fieldSelector: string, limit: number) => (token?: string) =>
      slicesUrl(server, namespace, { fieldSelector, limit: String(limit), ...(token ? { continue: token } : {}) });
    // As kube-apiserver v1.36.3 answered with the same slices: one page, no continue token.
    for (
      const [namespace, selector, limit, names] of [
        ["diff", "metadata.name=a-1", 1, ["a-1"]],
        ["diff", "metadata.name==a-1,metadata.namespace=diff", 1, ["a-1"]],
        [undefined, "metadata.namespace=diff", 3, ["a-1", "a-2", "b-1"]],
        [undefined, "metadata.namespace=diff,metadata.name=a-2", 1, ["a-2"]],
      ] as const
    ) {
      const seen = await pages(paged(namespace, selector, limit));
      assert.deepEqual(seen.map((page) => [page.names, page.continued]), [[names, false]], selector);
    }
    // A name without a namespace reads every key, as the real store does then.
    const anywhere = await pages(paged(undefined, "metadata.name=a-1", 1));
    assert.deepEqual(anywhere.map((page) => page.names), [["a-1"], []]);
  });
});

Deno.test("limit with an old resourceVersion is an exact read, and resourceVersion 0 ignores limit", async () => {
  await withServer({}, async (server) => {
    const old = server.applySlice(svc("a", ["10.0.0.1"], "default", "a-1")).metadata.resourceVersion;
    for (const name of ["a-2", "b-1"]) server.applySlice(svc("a", ["10.0.0.1"], "default", name));
    const current = server.resourceVersion;
    const read = (params: Record<string, string>) =>
      pages((token) => slicesUrl(server, "default", token ? { limit: params.limit, continue: token } : params));
    assert.deepEqual(await read({ limit: "10", resourceVersion: old }), [
      { names: ["a-1"], continued: false, remaining: undefined, resourceVersion: old },
    ]);
    assert.deepEqual(
      (await read({ limit: "1", resourceVersion: old, resourceVersionMatch: "NotOlderThan" })).map((
        page,
      ) => [page.names, page.resourceVersion]),
      [[["a-1"], current], [["a-2"], current], [["b-1"], current]],
      "NotOlderThan pages the current state",
    );
    const anyVersion: Record<string, string>[] = [
      { resourceVersion: "0" },
      { resourceVersion: "0", resourceVersionMatch: "NotOlderThan" },
    ];
    for (const params of anyVersion) {
      assert.deepEqual(await read({ limit: "1", ...params }), [
        { names: ["a-1", "a-2", "b-1"], continued: false, remaining: undefined, resourceVersion: current },
      ], JSON.stringify(params));
    }
    assert.deepEqual(
      (await read({ resourceVersion: old })).map((page) => [page.names, page.resourceVersion]),
      [[["a-1", "a-2", "b-1"], current]],
      "without limit an old resourceVersion is served at the current state",
    );

    server.compact();
    const exact: Record<string, string>[] = [{ limit: "10" }, { resourceVersionMatch: "Exact" }];
    for (const params of exact) {
      const expired = await getJson(slicesUrl(server, "default", { resourceVersion: old, ...params }));
      assert.equal(expired.status, 410, JSON.stringify(params));
      assert.deepEqual(expired.body, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "The resourceVersion for the provided list is too old.",
        reason: "Expired",
        code: 410,
      });
    }
  });
});

Deno.test("a list refuses bad options with the real server's statuses and wording", async () => {
  await withServer({}, async (server) => {
    const answer = async (params: Record<string, string>) => {
      const { status, body } = await getJson(slicesUrl(server, "default", params));
      return { status, message: body.message, reason: body.reason, causes: body.details?.causes };
    };
    assert.deepEqual(await answer({ resourceVersion: "abc" }), {
      status: 400,
      message:
        'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
      reason: "BadRequest",
      causes: undefined,
    });
    assert.deepEqual(await answer({ limit: "abc" }), {
      status: 400,
      message: 'strconv.ParseInt: parsing "abc": invalid syntax',
      reason: "BadRequest",
      causes: undefined,
    });
    assert.deepEqual(await answer({ resourceVersionMatch: "NotOlderThan" }), {
      status: 422,
      message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: ' +
        "resourceVersionMatch is forbidden unless resourceVersion is provided",
      reason: "Invalid",
      causes: [{
        reason: "FieldValueForbidden",
        message: "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
        field: "resourceVersionMatch",
      }],
    });
    assert.deepEqual(await answer({ resourceVersionMatch: "Foo", resourceVersion: "1" }), {
      status: 422,
      message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Foo": ' +
        'supported values: "Exact", "NotOlderThan", ""',
      reason: "Invalid",
      causes: [{
        reason: "FieldValueNotSupported",
        message: 'Unsupported value: "Foo": supported values: "Exact", "NotOlderThan", ""',
        field: "resourceVersionMatch",
      }],
    });
    // Go's field error quotes this named string type with json.Marshal, which escapes <, > and & (measured on
    // v1.36.3: the message holds the six characters \u003c).
    assert.equal(
      (await answer({ resourceVersionMatch: "<x>&", resourceVersion: "1" })).message,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "\\u003cx\\u003e\\u0026": ' +
        'supported values: "Exact", "NotOlderThan", ""',
    );
    assert.equal(
      (await answer({ resourceVersionMatch: "Exact", resourceVersion: "0" })).message,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: ' +
        'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
    );
    assert.deepEqual(await answer({ continue: "abc", resourceVersion: "5" }), {
      status: 400,
      message:
        "invalid continue token: continue key is not valid: invalid character 'i' looking for beginning of value",
      reason: "BadRequest",
      causes: undefined,
    });
    assert.equal((await answer({ limit: "-1" })).status, 200, "a negative limit means none, as on the real server");
    // Measured on kube-apiserver v1.36.3: sendInitialEvents, of any value, is for watches only, and every
    // problem of the options is one cause.
    const noInitialEvents = {
      reason: "FieldValueForbidden",
      message: "Forbidden: sendInitialEvents is forbidden for list",
      field: "sendInitialEvents",
    };
    const onAList: Record<string, string>[] = [{ sendInitialEvents: "false" }, {
      sendInitialEvents: "true",
      resourceVersion: "0",
    }];
    for (const params of onAList) {
      assert.deepEqual(await answer(params), {
        status: 422,
        message:
          'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list',
        reason: "Invalid",
        causes: [noInitialEvents],
      });
    }
    assert.deepEqual(await answer({ sendInitialEvents: "true", resourceVersionMatch: "NotOlderThan" }), {
      status: 422,
      message: 'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: ' +
        "resourceVersionMatch is forbidden unless resourceVersion is provided, " +
        "sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list]",
      reason: "Invalid",
      causes: [{
        reason: "FieldValueForbidden",
        message: "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
        field: "resourceVersionMatch",
      }, noInitialEvents],
    });
  });
});

Deno.test("a field selector on metadata.name or metadata.namespace filters lists and watches", async () => {
  await withServer({}, async (server) => {
    for (const name of ["a-1", "a-2"]) server.applySlice(svc("a", ["10.0.0.1"], "default", name));
    server.applySlice(svc("a", ["10.0.0.1"], "other", "a-1"));
    const names = async (namespace: string | undefined, fieldSelector: string) => {
      const { status, body } = await getJson(slicesUrl(server, namespace, { fieldSelector }));
      assert.equal(status, 200, JSON.stringify(body));
      return body.items.map((item: EndpointSlice) => `${item.metadata.namespace}/${item.metadata.name}`);
    };
    assert.deepEqual(await names("default", "metadata.name=a-1"), ["default/a-1"]);
    assert.deepEqual(await names("default", "metadata.name==a-2"), ["default/a-2"]);
    assert.deepEqual(await names("default", "metadata.name!=a-2"), ["default/a-1"]);
    assert.deepEqual(await names(undefined, "metadata.namespace=other"), ["other/a-1"]);
    assert.deepEqual(await names(undefined, "metadata.name=a-1,metadata.namespace!=other"), ["default/a-1"]);
    assert.deepEqual(await names("default", "metadata.namespace=other"), []);
    const stream = await watch(slicesUrl(server, "default", { watch: "true", fieldSelector: "metadata.name=a-2" }));
    assert.equal(summary(await stream.next()), `ADDED a-2@${server.slices("default")[1].metadata.resourceVersion}`);
    server.applySlice(svc("a", ["10.0.0.9"], "default", "a-1"));
    const changed = server.applySlice(svc("a", ["10.0.0.9"], "default", "a-2"));
    assert.equal(summary(await stream.next()), `MODIFIED a-2@${changed.metadata.resourceVersion}`);
    await stream.cancel();

    const paged = await getJson(slicesUrl(server, "default", { fieldSelector: "metadata.name!=x", limit: "1" }));
    assert.equal(paged.body.metadata.remainingItemCount, undefined, "no count with a field selector either");

    const unknown = await getJson(slicesUrl(server, "default", { fieldSelector: "addressType=IPv4" }));
    assert.equal(unknown.status, 400);
    assert.equal(
      unknown.body.message,
      '"addressType" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
    const malformed = await getJson(slicesUrl(server, "default", { fieldSelector: "metadata.name" }));
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.message, "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
    // Measured on kube-apiserver v1.36.3: a bad value is named by its character (`=` is rune 61) or escape sequence.
    for (
      const [selector, message] of [
        ["metadata.name=a=b", "invalid field selector: unescaped character in value: 61"],
        ["metadata.name!=a=b", "invalid field selector: unescaped character in value: 61"],
        ["metadata.name=a\\x", "invalid field selector: invalid escape sequence: \\x"],
        ["metadata.name=\\é", "invalid field selector: invalid escape sequence: \\é"],
        ["metadata.name=a\\", "invalid field selector: invalid escape sequence: \\"],
      ]
    ) {
      const { status, body } = await getJson(slicesUrl(server, "default", { fieldSelector: selector }));
      assert.deepEqual([status, body.message], [400, message], selector);
    }
    // Also measured: a term with neither field nor value selects everything; terms are read in sorted order,
    // so the first bad one by that order is the one named.
    assert.deepEqual(await names("default", "="), ["default/a-1", "default/a-2"]);
    assert.deepEqual(await names("default", "!=,metadata.name=a-1"), ["default/a-1"]);
    for (
      const [selector, message] of [
        ["=x", '"" is not a known field selector: only "metadata.name", "metadata.namespace"'],
        ["zz=1,aa=2", '"aa" is not a known field selector: only "metadata.name", "metadata.namespace"'],
        ["spec.x=y,metadata.name=a\\x", "invalid field selector: invalid escape sequence: \\x"],
      ]
    ) {
      const { status, body } = await getJson(slicesUrl(server, "default", { fieldSelector: selector }));
      assert.deepEqual([status, body.message], [400, message], selector);
    }
  });
});

Deno.test("a label selector is parsed as kube-apiserver v1.36.3 parses it: its 400 wording, and what it accepts", async () => {
  const measured: { answers: { selector: string; status: number; message?: string }[] } = JSON.parse(
    Deno.readTextFileSync(new URL("./label_selector_answers.json", import.meta.url)),
  );
  await withServer({}, async (server) => {
    for (const { selector, status, message } of measured.answers) {
      const { status: actual, body } = await getJson(slicesUrl(server, "default", { labelSelector: selector }));
      assert.deepEqual({ status: actual, message: body.message }, { status, message }, selector);
    }
  });
});

Deno.test("list options are read in kube-apiserver's order: timeoutSeconds, limit, then the selectors", async () => {
  await withServer({}, async (server) => {
    const message = async (params: Record<string, string>) =>
      (await getJson(slicesUrl(server, "default", params))).body.message;
    assert.equal(await message({ timeoutSeconds: "" }), 'strconv.ParseInt: parsing "": invalid syntax');
    assert.equal(
      await message({ limit: "abc", timeoutSeconds: "xyz" }),
      'strconv.ParseInt: parsing "xyz": invalid syntax',
    );
    assert.equal(
      await message({ labelSelector: "a in (", limit: "abc" }),
      'strconv.ParseInt: parsing "abc": invalid syntax',
    );
    assert.equal(
      await message({ watch: "1", labelSelector: "a in (", limit: "abc" }),
      'strconv.ParseInt: parsing "abc": invalid syntax',
    );
  });
});

Deno.test("a continue token the server did not issue is read as kube-apiserver v1.36.3 reads it", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const answer = async (value: unknown) => {
      const { status, body } = await getJson(slicesUrl(server, "default", { continue: token(value) }));
      return { status, message: body.message, names: body.items?.map((item: EndpointSlice) => item.metadata.name) };
    };
    const invalid = (detail: string) => ({
      status: 400,
      message: `invalid continue token: continue key is not valid: ${detail}`,
      names: undefined,
    });
    const v1 = "meta.k8s.io/v1";
    assert.deepEqual(
      await answer({ v: "meta.k8s.io/v2", rv: 1, start: "a" }),
      invalid("server does not recognize this encoded version meta.k8s.io/v2"),
    );
    assert.deepEqual(await answer(null), invalid("server does not recognize this encoded version "));
    assert.deepEqual(
      await answer({ v: v1, start: "a" }),
      invalid("incorrect encoded start resourceVersion (version meta.k8s.io/v1)"),
    );
    assert.deepEqual(
      await answer({ v: v1, rv: 1, start: "" }),
      invalid("encoded start key empty (version meta.k8s.io/v1)"),
    );
    assert.deepEqual(await answer({ v: v1, rv: 1, start: "../a" }), invalid("../a"));
    assert.deepEqual(await answer({ v: v1, rv: 1, start: "a//b" }), invalid("a//b"));
    // A negative resourceVersion continues at the current state, after the start key.
    assert.deepEqual(await answer({ v: v1, rv: -5, start: "a" }), {
      status: 200,
      message: undefined,
      names: ["echo-ipv4"],
    });
    // A future one is waited for, as an exact read, then refused.
    const future = Number(server.resourceVersion) + 10;
    assert.deepEqual(await answer({ v: v1, rv: future, start: "a" }), {
      status: 504,
      message: `Timeout: Too large resource version: ${future}, current: ${server.resourceVersion}`,
      names: undefined,
    });
  });
});

Deno.test("a continue token that is no base64url JSON of a token gets Go's base64 and JSON errors, as kube-apiserver v1.36.3 words them", async () => {
  await withServer({}, async (server) => {
    // Each token's problem as kube-apiserver v1.36.3 answered it (400, after "continue key is not valid: ").
    const raw = (text: string) => Buffer.from(text, "latin1").toString("base64url");
    const cases: [string, string][] = [
      ["!!", "illegal base64 data at input byte 0"],
      ["a", "illegal base64 data at input byte 0"],
      ["ab=", "illegal base64 data at input byte 2"],
      [raw("abc"), "invalid character 'a' looking for beginning of value"],
      [raw("'a'"), "invalid character '\\'' looking for beginning of value"],
      [raw("\u0080"), "invalid character '\\u0080' looking for beginning of value"],
      [raw("\u0001"), "invalid character '\\x01' looking for beginning of value"],
      [raw("[]"), "json: cannot unmarshal array into Go value of type storage.continueToken"],
      [raw('"a"'), "json: cannot unmarshal string into Go value of type storage.continueToken"],
      [raw("1"), "json: cannot unmarshal number into Go value of type storage.continueToken"],
      [raw('{"v":1}'), "json: cannot unmarshal number into Go struct field continueToken.v of type string"],
      [raw('{"rv":"a"}'), "json: cannot unmarshal string into Go struct field continueToken.rv of type int64"],
      [raw('{"rv":1.5}'), "json: cannot unmarshal number 1.5 into Go struct field continueToken.rv of type int64"],
      [raw('{"RV":2}'), "server does not recognize this encoded version "],
      [raw('{"v":"'), "unexpected end of JSON input"],
      [raw("[1,"), "unexpected end of JSON input"],
      [raw("tru"), "invalid character ' ' in literal true (expecting 'e')"],
      [raw("nul"), "invalid character ' ' in literal null (expecting 'l')"],
      [raw("1."), "invalid character ' ' after decimal point in numeric literal"],
      [raw("-"), "invalid character ' ' in numeric literal"],
      [raw("1e+"), "invalid character ' ' in exponent of numeric literal"],
      [raw("{}1"), "invalid character '1' after top-level value"],
      [raw('"a" x'), "invalid character 'x' after top-level value"],
    ];
    for (const [token, problem] of cases) {
      const { status, body } = await getJson(slicesUrl(server, "default", { continue: token }));
      assert.deepEqual(
        { status, message: body.message },
        { status: 400, message: `invalid continue token: continue key is not valid: ${problem}` },
        token,
      );
    }
    // Go's decoder matches a field's name in any case: this token is one of the current state.
    const { status } = await getJson(
      slicesUrl(server, "default", { continue: raw('{"V":"meta.k8s.io/v1","RV":-1,"Start":"a"}') }),
    );
    assert.equal(status, 200);
  });
});

Deno.test("gt and lt selectors read labels as Go's 64-bit integers: beyond 64 bits no match, exact past 2^53", async () => {
  // Measured on kube-apiserver v1.36.3 (apimachinery's Requirement.Matches runs strconv.ParseInt(value, 10, 64)).
  const labels: Record<string, string> = {
    "a-1": "5",
    "a-2": "99999999999999999999",
    "b-1": "9007199254740993",
    "b-2": "007",
    "b-3": "abc",
  };
  const measured: [string, string[]][] = [
    ["n>4", ["a-1", "b-1", "b-2"]],
    ["n>6", ["b-1", "b-2"]],
    ["n>007", ["b-1"]],
    ["n>9007199254740992", ["b-1"]],
    ["n<9007199254740994", ["a-1", "b-1", "b-2"]],
    ["n>9223372036854775806", []],
    ["n<0", []],
  ];
  await withServer({}, async (server) => {
    for (const [name, value] of Object.entries(labels)) {
      const slice = svc(name.slice(0, 1), ["10.0.0.1"], "default", name);
      server.applySlice({ ...slice, metadata: { ...slice.metadata, labels: { ...slice.metadata.labels, n: value } } });
    }
    for (const [selector, names] of measured) {
      const { body } = await getJson(slicesUrl(server, "default", { labelSelector: selector }));
      assert.deepEqual(body.items.map((item: EndpointSlice) => item.metadata.name), names, selector);
    }
  });
});

Deno.test("a continue token carries the key below the list's prefix, as kube-apiserver's, and reads so in any list", async () => {
  // Measured on kube-apiserver v1.36.3: the token's start is the last key sent, relative to the list's prefix, and
  // a NUL byte; another list reads it below its own prefix (storage.DecodeContinue: keyPrefix + start).
  await withServer({}, async (server) => {
    for (const name of ["a-1", "a-2", "b-1", "b-2", "b-3"]) server.applySlice(svc(name[0], ["10.0.0.1"], "diff", name));
    for (const name of ["o-1", "o-2"]) server.applySlice(svc("o", ["10.0.0.1"], "diff-other", name));
    const list = async (namespace: string | undefined, params: Record<string, string>) =>
      (await getJson(slicesUrl(server, namespace, params))).body;
    const start = (token: string) => JSON.parse(Buffer.from(token, "base64url").toString()).start;
    const names = async (namespace: string | undefined, params: Record<string, string>) =>
      (await list(namespace, params)).items.map((item: EndpointSlice) => item.metadata.name);

    const inDiff = (await list("diff", { limit: "1" })).metadata.continue;
    const acrossNamespaces = (await list(undefined, { limit: "1" })).metadata.continue;
    assert.equal(start(inDiff), "/a-1\0");
    assert.equal(start(acrossNamespaces), "/diff-other/o-1\0");
    assert.equal(
      start((await list(undefined, { limit: "1", fieldSelector: "metadata.namespace=diff" })).metadata.continue),
      "/a-1\0",
    );
    assert.deepEqual(await names("diff-other", { limit: "5", continue: inDiff }), ["o-1", "o-2"]);
    assert.deepEqual(await names(undefined, { limit: "9", continue: inDiff }), [
      "o-1",
      "o-2",
      "a-1",
      "a-2",
      "b-1",
      "b-2",
      "b-3",
    ]);
    assert.deepEqual(await names("diff", { limit: "9", continue: acrossNamespaces }), []);
    assert.deepEqual(await names("diff-other", { limit: "9", continue: acrossNamespaces }), ["o-1", "o-2"]);
    assert.deepEqual(
      await names(undefined, { limit: "9", continue: inDiff, fieldSelector: "metadata.namespace=diff-other" }),
      ["o-1", "o-2"],
    );
  });
});
