import assert from "node:assert/strict";
import type { EndpointSlice } from "@kgr/resolver/testing";
import { getJson, slicesUrl, svc, withServer } from "./_helpers.ts";

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
      const selector of ["a=b=c", "=x", "a,", "a in ()", "bad key=x", "a=(b"]
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
