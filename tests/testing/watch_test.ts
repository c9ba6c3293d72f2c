import assert from "node:assert/strict";
import { startFakeApiServer } from "@kgr/resolver/testing";
import { events, getJson, slicesUrl, summary, svc, waitFor, watch, within, withServer } from "./_helpers.ts";

Deno.test("a watch from resourceVersion 0 sends ADDED for the current state, then live events", async () => {
  await withServer({}, async (server) => {
    const a = server.applySlice(svc("echo", ["10.0.0.1"], "default", "a"));
    const b = server.applySlice(svc("echo", ["10.0.0.2"], "default", "b"));
    server.applySlice(svc("other", ["10.0.0.3"]));
    const response = await fetch(
      slicesUrl(server, "default", {
        watch: "true",
        resourceVersion: "0",
        labelSelector: "kubernetes.io/service-name=echo",
      }),
    );
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(response.headers.get("content-length"), null);
    const stream = events(response);
    assert.equal(
      summary(await stream.next()),
      `ADDED a@${a.metadata.resourceVersion}`,
    );
    const added = await stream.next();
    assert.equal(summary(added), `ADDED b@${b.metadata.resourceVersion}`);
    assert.equal(
      added!.object.kind,
      "EndpointSlice",
      "watch objects carry kind and apiVersion",
    );
    assert.equal(added!.object.apiVersion, "discovery.k8s.io/v1");
    assert.equal(server.openWatches, 1);
    assert.equal(server.requests.at(-1)!.kind, "watch");

    server.applySlice(svc("other", ["10.0.0.4"]));
    const modified = server.applySlice(
      svc("echo", ["10.0.0.5"], "default", "a"),
    );
    assert.equal(
      summary(await stream.next()),
      `MODIFIED a@${modified.metadata.resourceVersion}`,
    );
    server.deleteSlice("default", "b");
    assert.equal(
      summary(await stream.next()),
      `DELETED b@${server.resourceVersion}`,
    );
    await stream.cancel();
    await within(
      waitFor(() => server.openWatches === 0),
      2000,
      "the server to notice that the client left",
    );
  });
});

Deno.test("a watch without resourceVersion also starts with the current state", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const stream = await watch(slicesUrl(server, undefined, { watch: "1" }));
    assert.equal((await stream.next())?.type, "ADDED");
    await stream.cancel();
  });
});

Deno.test("a watch from a resourceVersion replays later events with gaps from other services", async () => {
  await withServer({}, async (server) => {
    const listed = server.applySlice(svc("echo", ["10.0.0.1"]));
    server.applySlice(svc("other", ["10.0.0.2"]));
    const changed = server.applySlice(svc("echo", ["10.0.0.3"]));
    server.applySlice(svc("echo", ["10.0.0.4"], "elsewhere"));
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: listed.metadata.resourceVersion,
      labelSelector: "kubernetes.io/service-name=echo",
    }));
    const replayed = await stream.next();
    assert.equal(
      summary(replayed),
      `MODIFIED echo-ipv4@${changed.metadata.resourceVersion}`,
    );
    assert.equal(
      Number(changed.metadata.resourceVersion) -
        Number(listed.metadata.resourceVersion),
      2,
      "a gap",
    );
    await stream.quiet(100);
    const live = server.applySlice(svc("echo", ["10.0.0.5"]));
    assert.equal(
      summary(await stream.next()),
      `MODIFIED echo-ipv4@${live.metadata.resourceVersion}`,
    );
    await stream.cancel();
  });
});

Deno.test("a watch sees a slice whose labels stop or start matching as DELETED or ADDED", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"], "default", "s"));
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: server.resourceVersion,
      labelSelector: "kubernetes.io/service-name=echo",
    }));
    const moved = server.applySlice(svc("other", ["10.0.0.1"], "default", "s"));
    const deleted = await stream.next();
    assert.equal(
      summary(deleted),
      `DELETED s@${moved.metadata.resourceVersion}`,
    );
    assert.equal(
      (deleted!.object.metadata.labels as Record<string, string>)[
        "kubernetes.io/service-name"
      ],
      "echo",
    );
    const back = server.applySlice(svc("echo", ["10.0.0.1"], "default", "s"));
    assert.equal(
      summary(await stream.next()),
      `ADDED s@${back.metadata.resourceVersion}`,
    );
    await stream.cancel();
  });
});

// Measured on kube-apiserver v1.36.3 with etcd v3.6.16: a watch of a quiet cluster gets its first periodic bookmark
// about 120 s after it starts with etcd's default flags (60 s with --watch-progress-notify-interval=5s), then one
// every 60 s, as other objects' writes reach the watch cache through etcd's progress notifications and move its
// resourceVersion past the watch's start. The fake moves its own on once per bookmarkIntervalMs that saw no write.
Deno.test("a quiet watch gets no bookmark within one interval of its start, then one every interval", async () => {
  await withServer({ bookmarkIntervalMs: 200 }, async (server) => {
    const written = server.applySlice(svc("echo", ["10.0.0.1"])).metadata.resourceVersion;
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: written,
      allowWatchBookmarks: "true",
    }));
    const started = Date.now();
    await stream.quiet(150);
    const first = await stream.next(1000);
    const elapsed = Date.now() - started;
    // One interval, or two when a write came within the interval before the watch (as here).
    assert.ok(elapsed >= 150 && elapsed < 700, `first bookmark after ${elapsed} ms`);
    const rv = first?.object.metadata.resourceVersion as string;
    assert.deepEqual(first, {
      type: "BOOKMARK",
      object: {
        kind: "EndpointSlice",
        apiVersion: "discovery.k8s.io/v1",
        metadata: { resourceVersion: rv },
        addressType: "",
        endpoints: null,
        ports: null,
      },
    });
    assert.ok(Number(rv) > Number(written) && Number(rv) <= Number(server.resourceVersion), `bookmark at ${rv}`);
    assert.equal(server.slices()[0].metadata.resourceVersion, written, "no object changed");
    const again = await stream.next(1000);
    const gap = Date.now() - started - elapsed;
    assert.equal(again?.type, "BOOKMARK", "every interval, measured from the watch's start");
    assert.ok(gap >= 100 && gap < 500, `next bookmark ${gap} ms later`);
    assert.ok(Number(again?.object.metadata.resourceVersion) >= Number(rv));
    await stream.cancel();
  });
});

Deno.test("a write the watch does not see lets its next periodic bookmark out, with the write's resourceVersion or later", async () => {
  await withServer({ bookmarkIntervalMs: 200 }, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: server.resourceVersion,
      allowWatchBookmarks: "true",
    }));
    const started = Date.now();
    const elsewhere = Number(server.applySlice(svc("echo", ["10.0.0.2"], "elsewhere")).metadata.resourceVersion);
    const first = await stream.next(1000);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 150 && elapsed < 400, `first bookmark after ${elapsed} ms`);
    assert.equal(first?.type, "BOOKMARK");
    const rv = Number(first?.object.metadata.resourceVersion);
    assert.ok(rv >= elsewhere && rv <= Number(server.resourceVersion), `bookmark at ${rv}`);
    const added = server.applySlice(svc("other", ["10.0.0.2"])).metadata.resourceVersion;
    const event = await stream.next();
    assert.equal(event?.type, "ADDED");
    assert.equal(event?.object.metadata.resourceVersion, added);
    const next = await stream.next();
    assert.equal(next?.type, "BOOKMARK");
    assert.ok(Number(next?.object.metadata.resourceVersion) >= Number(added));

    // Without allowWatchBookmarks, none ever comes, though the resourceVersion moves on.
    const plain = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: server.resourceVersion }));
    server.applySlice(svc("echo", ["10.0.0.3"], "elsewhere"));
    await plain.quiet(500);
    await plain.cancel();
    await stream.cancel();
  });
});

Deno.test("the resourceVersion moves on by itself once per bookmarkIntervalMs that saw no write, as a real cluster's does", async () => {
  await withServer({ bookmarkIntervalMs: 250, watchCacheSize: 1 }, async (server) => {
    // Writes 10 ms apart leave no interval without one: only they move the resourceVersion.
    const first = Number(server.applySlice(svc("echo", ["10.0.0.1"])).metadata.resourceVersion);
    let writes = 1;
    for (const stop = Date.now() + 600; Date.now() < stop; writes++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      server.applySlice(svc("echo", [`10.0.0.${2 + writes % 2}`]));
    }
    const lastWrite = Number(server.resourceVersion);
    const wroteAt = Date.now();
    assert.equal(lastWrite, first + writes - 1, "no advance while writes move it");

    // Quiet: the next check sees the last write, the one after advances by one, with no object change.
    await within(waitFor(() => Number(server.resourceVersion) > lastWrite), 2000, "the resourceVersion to move");
    const quietFor = Date.now() - wroteAt;
    assert.ok(quietFor >= 230 && quietFor < 1000, `moved ${quietFor} ms after the last write`);
    assert.equal(server.resourceVersion, String(lastWrite + 1));
    assert.equal(server.slices()[0].metadata.resourceVersion, String(lastWrite));
    const bumped = server.resourceVersion;
    const list = await getJson(slicesUrl(server, "default"));
    assert.ok(Number(list.body.metadata.resourceVersion) >= Number(bumped), "a list answers at it");
    assert.equal(list.body.items[0].metadata.resourceVersion, String(lastWrite));

    // A watch can resume from it: the advance is no change that pushes the last one out of the watch cache.
    const resumed = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: bumped }));
    const changed = server.applySlice(svc("echo", ["10.0.0.9"])).metadata.resourceVersion;
    assert.equal(summary(await resumed.next()), `MODIFIED ${server.slices()[0].metadata.name}@${changed}`);
    await resumed.cancel();

    // A read of a resourceVersion no write makes is answered once it moves on, before the 1 s "too large" wait ends.
    const ahead = String(Number(server.resourceVersion) + 1);
    const started = Date.now();
    const waited = await getJson(slicesUrl(server, "default", { resourceVersion: ahead }));
    assert.equal(waited.status, 200);
    assert.ok(Number(waited.body.metadata.resourceVersion) >= Number(ahead));
    assert.ok(Date.now() - started < 900, `answered after ${Date.now() - started} ms`);
  });
});

Deno.test("a watch from a compacted resourceVersion gets 200, a 410 ERROR event, then the end", async () => {
  await withServer({}, async (server) => {
    const old = server.applySlice(svc("echo", ["10.0.0.1"]));
    server.applySlice(svc("echo", ["10.0.0.2"]));
    server.compact();
    const stream = await watch(
      slicesUrl(server, "default", {
        watch: "true",
        resourceVersion: old.metadata.resourceVersion,
      }),
    );
    assert.deepEqual(await stream.next(), {
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `too old resource version: ${old.metadata.resourceVersion} (${server.resourceVersion})`,
        reason: "Expired",
        code: 410,
      },
    });
    assert.equal(await stream.next(), undefined);
    assert.equal(server.openWatches, 0);

    const fresh = await watch(
      slicesUrl(server, "default", {
        watch: "true",
        resourceVersion: server.resourceVersion,
      }),
    );
    await fresh.quiet(100);
    await fresh.cancel();
  });
});

Deno.test("timeoutSeconds ends a watch cleanly, with a bookmark 2 s before when the resourceVersion moved", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const started = Date.now();
    const params = {
      watch: "true",
      resourceVersion: server.resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: "3",
    };
    const [moved, still] = await Promise.all([
      watch(slicesUrl(server, "default", params)),
      watch(slicesUrl(server, "still", params)),
    ]);
    await within(waitFor(() => server.openWatches === 2), 2000, "the watches to open");
    server.applySlice(svc("echo", ["10.0.0.2"], "elsewhere"));
    const bookmark = await moved.next(5000);
    assert.equal(bookmark?.type, "BOOKMARK");
    assert.equal(bookmark?.object.metadata.resourceVersion, server.resourceVersion);
    const bookmarkAt = Date.now() - started;
    assert.ok(bookmarkAt >= 900 && bookmarkAt < 2000, `bookmark after ${bookmarkAt} ms`);
    assert.equal(await moved.next(5000), undefined, "the response ends without an error");
    const endAt = Date.now() - started;
    assert.ok(endAt >= 2900 && endAt < 4000, `ended after ${endAt} ms`);
    // A watch of another namespace at the start's resourceVersion: the server moved on, so it gets the bookmark too.
    assert.equal((await still.next(5000))?.type, "BOOKMARK");
    assert.equal(await still.next(5000), undefined);
    assert.equal(server.openWatches, 0);

    const quiet = await watch(
      slicesUrl(server, "default", { ...params, resourceVersion: server.resourceVersion }),
    );
    // The resourceVersion moves on by itself only after a quiet interval (60 s here; on a real quiet cluster, 60 to
    // 120 s pass before a watch's first bookmark): within it, no bookmark, as on the real server.
    assert.equal(await quiet.next(4000), undefined, "no bookmark within one interval of a quiet start");
  });
});

Deno.test("a negative timeoutSeconds ends a watch at once, after a 500 ERROR event where it needed a consistent read", async () => {
  // Measured on kube-apiserver v1.36.3: the deadline has passed before the watch starts. (A WatchList there
  // raced: one run got the ERROR, another only the end; the fake always sends it.)
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const deadline = {
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "context deadline exceeded",
        reason: "InternalError",
        code: 500,
      },
    };
    const initialEvents = {
      sendInitialEvents: "true",
      resourceVersionMatch: "NotOlderThan",
      allowWatchBookmarks: "true",
    };
    for (
      const [params, events] of [
        [{}, [deadline]],
        [initialEvents, [deadline]],
        [{ resourceVersion: "0", allowWatchBookmarks: "true" }, []],
        [{ resourceVersion: server.resourceVersion }, []],
      ] as const
    ) {
      const stream = await watch(slicesUrl(server, "default", { watch: "true", timeoutSeconds: "-1", ...params }));
      const seen = [];
      for (let event = await stream.next(2000); event !== undefined; event = await stream.next(2000)) seen.push(event);
      assert.deepEqual(seen, events, JSON.stringify(params));
    }
    assert.equal(server.openWatches, 0);
  });
});

Deno.test("dropWatches() breaks open watches and endWatches() ends them cleanly", async () => {
  await withServer({}, async (server) => {
    const url = slicesUrl(server, "default", {
      watch: "true",
      resourceVersion: server.resourceVersion,
    });
    const dropped = await watch(url);
    await within(
      waitFor(() => server.openWatches === 1),
      2000,
      "the watch to open",
    );
    server.dropWatches();
    await assert.rejects(dropped.next(), "a dropped watch errors");
    assert.equal(server.openWatches, 0);

    const ended = await watch(url);
    const other = await watch(url);
    await within(
      waitFor(() => server.openWatches === 2),
      2000,
      "the watches to open",
    );
    server.endWatches();
    assert.equal(await ended.next(), undefined);
    assert.equal(await other.next(), undefined);
    assert.equal(server.openWatches, 0);
  });
});

Deno.test("sendInitialEvents streams the state, then a bookmark marking the initial events' end", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      sendInitialEvents: "true",
      resourceVersionMatch: "NotOlderThan",
      allowWatchBookmarks: "true",
    }));
    assert.equal((await stream.next())?.type, "ADDED");
    const end = await stream.next();
    assert.equal(end?.type, "BOOKMARK");
    assert.deepEqual(end?.object.metadata, {
      resourceVersion: server.resourceVersion,
      annotations: { "k8s.io/initial-events-end": "true" },
    });
    await stream.cancel();
    const invalid = await getJson(
      slicesUrl(server, "default", {
        watch: "true",
        sendInitialEvents: "true",
      }),
    );
    assert.equal(invalid.status, 422);
  });
});

Deno.test("maxChunkBytes splits watch events into small chunks, even inside UTF-8 characters", async () => {
  await withServer({ maxChunkBytes: 7 }, async (server) => {
    const response = await fetch(
      slicesUrl(server, "default", { watch: "true" }),
    );
    const reader = response.body!.getReader();
    await within(
      waitFor(() => server.openWatches === 1),
      2000,
      "the watch to open",
    );
    const slice = server.applySlice({
      ...svc("echo", ["10.0.0.1"]),
      metadata: {
        namespace: "default",
        name: "unicode",
        annotations: { note: "ünïcødé größe 😀 ok" },
      },
    });
    const expected = new TextEncoder().encode(
      JSON.stringify({ type: "ADDED", object: slice }) + "\n",
    );
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (let reads = 0; reads < 10_000 && total < expected.length; reads++) {
      const { value, done } = await within(reader.read(), 3000, "a chunk");
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
    const joined = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    assert.deepEqual(joined, expected);
    assert.ok(
      chunks.length > 10,
      `the event arrived in ${chunks.length} reads`,
    );
    assert.ok(
      chunks.every((chunk) => chunk.length <= 7 * 4),
      "chunks stay small",
    );
    await reader.cancel();
  });
});

Deno.test("a watch from resourceVersion 0 or none that allows bookmarks ends its initial events with a bookmark", async () => {
  await withServer({}, async (server) => {
    const slice = server.applySlice(svc("echo", ["10.0.0.1"]));
    server.applySlice(svc("other", ["10.0.0.2"], "elsewhere"));
    for (const params of [{ resourceVersion: "0" }, {}] as Record<string, string>[]) {
      const stream = await watch(
        slicesUrl(server, "default", { watch: "true", allowWatchBookmarks: "true", ...params }),
      );
      assert.equal(summary(await stream.next()), `ADDED echo-ipv4@${slice.metadata.resourceVersion}`);
      assert.deepEqual(await stream.next(), {
        type: "BOOKMARK",
        object: {
          kind: "EndpointSlice",
          apiVersion: "discovery.k8s.io/v1",
          metadata: {
            resourceVersion: server.resourceVersion,
            annotations: { "k8s.io/initial-events-end": "true" },
          },
          addressType: "",
          endpoints: null,
          ports: null,
        },
      }, JSON.stringify(params));
      await stream.cancel();
    }
    const without = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: "0" }));
    assert.equal((await without.next())?.type, "ADDED");
    await without.quiet(200);
    await without.cancel();
  });
});

Deno.test("with watchList false, a watch with sendInitialEvents gets the 422 of a server whose WatchList gate is off", async () => {
  // Measured on kube-apiserver v1.36.3 with --feature-gates=WatchList=false: any sendInitialEvents is refused,
  // the gate's cause after the resourceVersionMatch one, and no watch marks the end of its initial events.
  await withServer({ watchList: false }, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const answer = async (params: Record<string, string>) => {
      const { status, body } = await getJson(slicesUrl(server, "default", { watch: "true", ...params }));
      return { status, body };
    };
    const gate = {
      reason: "FieldValueForbidden",
      message: "Forbidden: sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled",
      field: "sendInitialEvents",
    };
    const streaming = { sendInitialEvents: "true", resourceVersionMatch: "NotOlderThan", allowWatchBookmarks: "true" };
    assert.deepEqual(await answer(streaming), {
      status: 422,
      body: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is ' +
          "forbidden for watch unless the WatchList feature gate is enabled",
        reason: "Invalid",
        details: { group: "meta.k8s.io", kind: "ListOptions", causes: [gate] },
        code: 422,
      },
    });
    for (const value of ["false", "maybe", ""]) {
      const { status, body } = await answer({ sendInitialEvents: value, resourceVersionMatch: "NotOlderThan" });
      assert.deepEqual([status, body.details.causes], [422, [gate]], `sendInitialEvents=${value}`);
    }
    const { body: alone } = await answer({ sendInitialEvents: "false" });
    assert.deepEqual(alone.details.causes.map((cause: { field: string }) => cause.field), [
      "resourceVersionMatch",
      "sendInitialEvents",
    ]);
    const { body: continued } = await answer({ ...streaming, continue: "x" });
    assert.deepEqual(continued.details.causes.map((cause: { message: string }) => cause.message), [
      gate.message,
      "Forbidden: resourceVersionMatch is forbidden when continue is provided",
    ]);
    for (const params of [{ resourceVersion: "0" }, {}] as Record<string, string>[]) {
      const stream = await watch(
        slicesUrl(server, "default", { watch: "true", allowWatchBookmarks: "true", ...params }),
      );
      assert.equal((await stream.next())?.type, "ADDED", JSON.stringify(params));
      await stream.quiet(200);
      await stream.cancel();
    }
  });
});

Deno.test("a WatchList without allowWatchBookmarks is accepted and sends no end bookmark", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      sendInitialEvents: "true",
      resourceVersionMatch: "NotOlderThan",
    }));
    assert.equal((await stream.next())?.type, "ADDED");
    await stream.quiet(200);
    await stream.cancel();
  });
});

Deno.test("a WatchList for a resourceVersion that never comes gets 200, then a 504 ERROR event, then the end", async () => {
  await withServer({}, async (server) => {
    const started = Date.now();
    const future = String(Number(server.resourceVersion) + 10);
    const stream = await watch(slicesUrl(server, "default", {
      watch: "true",
      sendInitialEvents: "true",
      resourceVersionMatch: "NotOlderThan",
      allowWatchBookmarks: "true",
      resourceVersion: future,
    }));
    assert.deepEqual(await stream.next(), {
      type: "ERROR",
      object: {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `Timeout: Too large resource version: ${future}, current: ${server.resourceVersion}`,
        reason: "Timeout",
        details: {
          causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
          retryAfterSeconds: 1,
        },
        code: 504,
      },
    });
    assert.ok(Date.now() - started >= 900, "the server waits for the resourceVersion first");
    assert.equal(await stream.next(), undefined);
  });
});

Deno.test("a watch refuses bad options with the real server's statuses and wording", async () => {
  await withServer({}, async (server) => {
    const answer = async (params: Record<string, string>) => {
      const { status, body } = await getJson(slicesUrl(server, "default", { watch: "true", ...params }));
      return { status, message: body.message, reason: body.reason, causes: body.details?.causes };
    };
    assert.deepEqual(await answer({ resourceVersion: "abc" }), {
      status: 500,
      message: 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax',
      reason: undefined,
      causes: undefined,
    });
    assert.deepEqual(await answer({ continue: "abc" }), {
      status: 422,
      message: 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: ' +
        "resourceVersionMatch is forbidden when continue is provided",
      reason: "Invalid",
      causes: [{
        reason: "FieldValueForbidden",
        message: "Forbidden: resourceVersionMatch is forbidden when continue is provided",
        field: "resourceVersionMatch",
      }],
    });
    assert.equal(
      (await answer({ sendInitialEvents: "true" })).message,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: ' +
        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
    );
    assert.equal(
      (await answer({ resourceVersionMatch: "NotOlderThan" })).message,
      'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: ' +
        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
    );
    assert.deepEqual(await answer({ sendInitialEvents: "true", resourceVersionMatch: "Exact" }), {
      status: 422,
      message: 'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: ' +
        "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, " +
        'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"]',
      reason: "Invalid",
      causes: [{
        reason: "FieldValueForbidden",
        message: "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
        field: "resourceVersionMatch",
      }, {
        reason: "FieldValueNotSupported",
        message: 'Unsupported value: "Exact": supported values: "NotOlderThan"',
        field: "resourceVersionMatch",
      }],
    });
    // Measured on kube-apiserver v1.36.3: every problem is one cause, the continue token's last.
    const unlessSendInitialEvents = {
      reason: "FieldValueForbidden",
      message: "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
      field: "resourceVersionMatch",
    };
    const unsupportedExact = {
      reason: "FieldValueNotSupported",
      message: 'Unsupported value: "Exact": supported values: "NotOlderThan"',
      field: "resourceVersionMatch",
    };
    assert.deepEqual((await answer({ resourceVersionMatch: "Exact" })).causes, [
      unlessSendInitialEvents,
      unsupportedExact,
    ]);
    assert.deepEqual(await answer({ resourceVersionMatch: "Exact", continue: "x" }), {
      status: 422,
      message: 'ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: ' +
        "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided, " +
        'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan", ' +
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden when continue is provided]",
      reason: "Invalid",
      causes: [unlessSendInitialEvents, unsupportedExact, {
        reason: "FieldValueForbidden",
        message: "Forbidden: resourceVersionMatch is forbidden when continue is provided",
        field: "resourceVersionMatch",
      }],
    });
    assert.deepEqual(await answer({ timeoutSeconds: "abc" }), {
      status: 400,
      message: 'strconv.ParseInt: parsing "abc": invalid syntax',
      reason: "BadRequest",
      causes: undefined,
    });
  });
});

Deno.test("with watchCacheSize, a resume point older than the window gets a 410 ERROR event while lists still read it", async () => {
  await withServer({}, async (server) => {
    for (let i = 1; i <= 5; i++) server.applySlice(svc("echo", [`10.0.0.${i}`]));
    const fresh = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: "1" }));
    assert.equal(
      (await fresh.next())?.type,
      "ADDED",
      "a fresh server replays from resourceVersion 1, as a fresh cluster does",
    );
    await fresh.cancel();
  });
  await withServer({ watchCacheSize: 3 }, async (server) => {
    const first = server.applySlice(svc("echo", ["10.0.0.1"])).metadata.resourceVersion;
    const kept = server.applySlice(svc("echo", ["10.0.0.2"])).metadata.resourceVersion;
    for (let i = 3; i <= 5; i++) server.applySlice(svc("echo", [`10.0.0.${i}`]));
    const replayed = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: kept }));
    assert.equal(summary(await replayed.next()), `MODIFIED echo-ipv4@${Number(kept) + 1}`);
    await replayed.cancel();
    const expired = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: first }));
    assert.deepEqual((await expired.next())?.object, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `too old resource version: ${first} (${kept})`,
      reason: "Expired",
      code: 410,
    });
    assert.equal(await expired.next(), undefined);
    const list = await getJson(slicesUrl(server, "default", { resourceVersion: first, resourceVersionMatch: "Exact" }));
    assert.equal(list.status, 200, "the watch cache's window does not compact the storage");
    assert.equal(list.body.metadata.resourceVersion, first);
  });
  await assert.rejects(startFakeApiServer({ watchCacheSize: 0 }), { name: "RangeError", message: /watchCacheSize/ });
});

Deno.test("with watchCacheSize, Namespace, Service and Node watches from before the window get a 410 ERROR event too", async () => {
  // As after a restart of kube-apiserver v1.36.3 (measured): every watch cache starts at the current resourceVersion,
  // so a watch of Services, Namespaces, Nodes (or EndpointSlices) from before it gets 200 and an ERROR event
  // "too old resource version", though none of them changed since; Events, which it does not cache, replay from etcd.
  await withServer({ watchCacheSize: 2 }, async (server) => {
    const first = server.applySlice(svc("echo", ["10.0.0.1"], "shop")).metadata.resourceVersion;
    server.applyService({ metadata: { namespace: "shop", name: "echo" }, spec: { ports: [{ port: 80 }] } });
    server.applyNode({ metadata: { name: "node-a" } });
    const kept = server.applySlice(svc("echo", ["10.0.0.2"], "shop")).metadata.resourceVersion;
    server.applySlice(svc("echo", ["10.0.0.3"], "shop"));
    const floor = String(Number(kept) - 1);
    for (
      const path of ["/api/v1/services", "/api/v1/namespaces/shop/services", "/api/v1/namespaces", "/api/v1/nodes"]
    ) {
      const expired = await watch(`${server.url}${path}?watch=true&resourceVersion=${first}`);
      assert.deepEqual((await expired.next())?.object, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `too old resource version: ${first} (${floor})`,
        reason: "Expired",
        code: 410,
      }, path);
      assert.equal(await expired.next(), undefined, path);
      // From inside the window: nothing changed since, so nothing comes, and the watch stays open.
      const resumed = await watch(`${server.url}${path}?watch=true&resourceVersion=${floor}`);
      await resumed.quiet(200);
      await resumed.cancel();
    }
    const events = await watch(`${server.url}/api/v1/events?watch=true&resourceVersion=${first}`);
    await events.quiet(200);
    await events.cancel();
  });
});

Deno.test("with historyLimit, a write beyond it compacts the oldest changes: older watches and exact lists get 410", async () => {
  await withServer({ historyLimit: 4 }, async (server) => {
    const written = [1, 2, 3, 4, 5].map((i) =>
      server.applySlice(svc("echo", [`10.0.0.${i}`])).metadata.resourceVersion
    );
    // The fifth write went beyond 4 changes: the newest half of the limit (the fourth and fifth) is kept.
    const kept = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: written[2] }));
    assert.equal(summary(await kept.next()), `MODIFIED echo-ipv4@${written[3]}`);
    await kept.cancel();
    const expired = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: written[1] }));
    assert.deepEqual((await expired.next())?.object, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `too old resource version: ${written[1]} (${written[2]})`,
      reason: "Expired",
      code: 410,
    });
    assert.equal(await expired.next(), undefined);
    const exact = (resourceVersion: string) =>
      getJson(slicesUrl(server, "default", { resourceVersion, resourceVersionMatch: "Exact" }));
    assert.equal((await exact(written[1])).status, 410);
    assert.equal((await exact(written[2])).body.items[0].endpoints[0].addresses[0], "10.0.0.3");
  });
  await assert.rejects(startFakeApiServer({ historyLimit: 0 }), {
    name: "RangeError",
    message: "Cannot start the fake API server as 'historyLimit' must be a positive integer or Infinity: " +
      "current value is 0",
  });
});

Deno.test("by default the fake keeps 10,000 changes, so a long run's memory stays bounded", async () => {
  await withServer({}, async (server) => {
    const write = (i: number) => server.applySlice(svc("echo", [`10.0.${i >> 8}.${i & 255}`]));
    for (let i = 0; i < 10_000; i++) write(i);
    const whole = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: "1" }));
    assert.equal((await whole.next())?.type, "ADDED", "10,000 changes are all kept");
    await whole.cancel();
    write(10_000);
    const expired = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: "1" }));
    assert.equal((await expired.next())?.object.reason, "Expired");
    await expired.cancel();
  });
  await withServer({ historyLimit: Infinity }, async (server) => {
    for (let i = 0; i < 10_001; i++) server.applySlice(svc("echo", [`10.0.${i >> 8}.${i & 255}`]));
    const whole = await watch(slicesUrl(server, "default", { watch: "true", resourceVersion: "1" }));
    assert.equal((await whole.next())?.type, "ADDED", "historyLimit: Infinity keeps every change until compact()");
    await whole.cancel();
  });
});

Deno.test("a timeoutSeconds beyond a timer's range (24.8 days) keeps the watch open, as on a real server", async () => {
  await withServer({}, async (server) => {
    server.applySlice(svc("echo", ["10.0.0.1"]));
    // 3,000,000 s; and a product that Go's 64-bit multiplication wraps around to about 246 years.
    for (const timeoutSeconds of ["3000000", "99999999999"]) {
      const stream = await watch(slicesUrl(server, "default", { watch: "1", resourceVersion: "0", timeoutSeconds }));
      assert.equal((await stream.next())?.type, "ADDED");
      await stream.quiet(300);
      await stream.cancel();
    }
  });
});
