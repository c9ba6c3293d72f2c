// The fake API server's protobuf answers: its encoder against the bytes kube-apiserver v1.36.3 wrote for the same
// objects (tests/fixtures/protobuf/, see PROTO_NOTES.md), its answers against its own JSON answers through the
// resolver's protobuf decoder, and the format it picks for each Accept header against what the real server picked
// (measured with curl on v1.36.3).
import assert from "node:assert/strict";
import type { FakeApiServer, FakeApiServerOptions } from "@kgr/resolver/testing";
import { decodeEndpointSlice } from "../../src/api/protobuf/endpoint_slice.ts";
import { openEnvelope } from "../../src/api/protobuf/envelope.ts";
import { FrameSplitter } from "../../src/api/protobuf/frame_splitter.ts";
import { decodeEndpointSliceList, decodeStatusBody, decodeWatchEvent } from "../../src/api/protobuf/messages.ts";
import { WireReader } from "../../src/api/protobuf/wire_reader.ts";
import { protobufObject, protobufWatchFrame } from "../../src/testing/_protobuf_writer.ts";
import { BASE, type Json, watch, withServer } from "./_helpers.ts";

const PROTOBUF = "application/vnd.kubernetes.protobuf";
const WATCH_PROTOBUF = `${PROTOBUF};stream=watch`;
const dir = new URL("../fixtures/protobuf/", import.meta.url);
const captured = (name: string) => Deno.readFileSync(new URL(name, dir));
const fixture = (name: string) => JSON.parse(Deno.readTextFileSync(new URL(name, dir)));
const fixtureLines = (name: string): Json[] =>
  Deno.readTextFileSync(new URL(name, dir)).split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

Deno.test("the fake's protobuf encoding of each captured object is kube-apiserver's, byte for byte", () => {
  for (const name of ["list", "status404", "status422", "status504"]) {
    assert.deepEqual(protobufObject(fixture(`${name}.json`)), captured(`${name}.pb`), name);
  }
  // MODIFIED, DELETED, ADDED with null endpoints and ports, BOOKMARKs, the initial-events-end BOOKMARK, ERROR 410,
  // and the EndpointSlice controller's versions of one slice.
  for (const name of ["watch", "streaming_list", "watch_error_410", "slice_changes"]) {
    const frames = fixtureLines(`${name}.ndjson`).map(({ type, object }) => protobufWatchFrame(type, object));
    assert.deepEqual(concat(frames), captured(`${name}.pb`), name);
  }
  // A page's continue token and remainingItemCount (an int64 pointer), and a long string's two-byte length.
  const page = { ...fixture("list.json"), metadata: { resourceVersion: "9", continue: "x".repeat(200) } };
  const decoded = decodeEndpointSliceList(
    protobufObject({ ...page, metadata: { ...page.metadata, remainingItemCount: 300 } }),
  );
  assert.deepEqual(decoded.metadata, { resourceVersion: "9", continue: "x".repeat(200), remainingItemCount: 300 });
});

/** The slices of the LIST capture, as `applySlice()` takes them: every field the resolver reads. */
function capturedSlices(): Json[] {
  return fixture("list.json").items.map(({ metadata, ...slice }: Json) => ({
    ...slice,
    metadata: {
      namespace: metadata.namespace,
      name: metadata.name,
      labels: metadata.labels,
      annotations: metadata.annotations,
      ownerReferences: metadata.ownerReferences,
    },
  }));
}

async function get(server: FakeApiServer, path: string, accept: string, token?: string) {
  const headers: Record<string, string> = {
    accept,
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  };
  const response = await fetch(server.url + path, { headers });
  return { status: response.status, type: response.headers.get("content-type"), body: await response.bytes() };
}

async function both(server: FakeApiServer, path: string, token?: string) {
  const json = await get(server, path, "application/json", token);
  const protobuf = await get(server, path, `${PROTOBUF}, application/json`, token);
  assert.equal(protobuf.status, json.status, path);
  assert.equal(json.type, "application/json", path);
  assert.equal(protobuf.type, PROTOBUF, path);
  const parsed = JSON.parse(new TextDecoder().decode(json.body));
  // Every field, those the decoder skips too (generation, creationTimestamp): the same object in both formats.
  assert.deepEqual(protobuf.body, protobufObject(parsed), path);
  return { parsed, protobuf: protobuf.body };
}

/** What the decoder keeps of an object: the fields it reads (see PROTO_NOTES.md). */
function project(object: Json): Json {
  const { generation: _g, creationTimestamp: _c, ...metadata } = object.metadata;
  return { ...object, metadata };
}

const SLICES = `${BASE}/namespaces/proto/endpointslices`;

Deno.test("the fake's protobuf LIST pages, GET and errors decode to its JSON answers", async () => {
  await withServer({ token: "secret" }, async (server) => {
    for (const slice of capturedSlices()) server.applySlice(slice);
    const list = await both(server, SLICES, "secret");
    assert.deepEqual(decodeEndpointSliceList(list.protobuf), { ...list.parsed, items: list.parsed.items.map(project) });
    assert.equal(list.parsed.items.length, 3);
    const page = await both(server, `${SLICES}?limit=1`, "secret");
    assert.deepEqual(decodeEndpointSliceList(page.protobuf), { ...page.parsed, items: page.parsed.items.map(project) });
    assert.equal(page.parsed.metadata.remainingItemCount, 2);
    const next = await both(server, `${SLICES}?limit=1&continue=${page.parsed.metadata.continue}`, "secret");
    assert.equal(decodeEndpointSliceList(next.protobuf).items[0].metadata.name, "echo-v4");

    const one = await both(server, `${SLICES}/echo-v4`, "secret");
    const envelope = openEnvelope(one.protobuf);
    assert.deepEqual([envelope.apiVersion, envelope.kind], ["discovery.k8s.io/v1", "EndpointSlice"]);
    assert.deepEqual(
      { kind: envelope.kind, apiVersion: envelope.apiVersion, ...decodeEndpointSlice(new WireReader(envelope.raw)) },
      project(one.parsed),
    );

    const errors = [
      [`${SLICES}/missing`, "secret", 404],
      [`/api/v1/namespaces/proto/services/missing`, "secret", 404],
      [`${SLICES}?limit=abc`, "secret", 400],
      [`${SLICES}?resourceVersion=1&resourceVersionMatch=Bad`, "secret", 422],
      [SLICES, "wrong", 401],
    ] as const;
    for (const [path, token, code] of errors) {
      const answer = await both(server, path, token);
      assert.equal(answer.parsed.code, code, path);
      assert.deepEqual(decodeStatusBody(answer.protobuf), answer.parsed, path);
    }
  });
});

/** Opens a protobuf watch; `read` decodes its events until `until` holds or the watch ends (10 s at most). */
async function protobufWatch(url: string) {
  const signal = AbortSignal.timeout(10_000);
  const response = await fetch(url, { headers: { accept: `${PROTOBUF}, application/json` }, signal });
  assert.equal(response.headers.get("content-type"), WATCH_PROTOBUF);
  return async (until: (events: Json[]) => boolean): Promise<Json[]> => {
    const splitter = new FrameSplitter();
    const events: Json[] = [];
    const reader = response.body!.getReader();
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const frame of splitter.push(value)) events.push(decodeWatchEvent(frame));
    }
    await reader.cancel();
    return events;
  };
}

Deno.test("the fake's protobuf watch events decode to its JSON events, bookmarks and ERROR included", async () => {
  const options: FakeApiServerOptions = { bookmarkIntervalMs: 60_000 };
  await withServer(options, async (server) => {
    for (const slice of capturedSlices()) server.applySlice(slice);
    const query = "?watch=1&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan";
    const url = `${server.url}${SLICES}${query}`;
    const jsonWatch = await watch(url);
    const decoded = (await protobufWatch(url))((events) => events.length === 6);
    const parsed: Json[] = [];
    for (let i = 0; i < 4; i++) parsed.push(await jsonWatch.next());
    const [v6] = capturedSlices().filter((slice) => slice.metadata.name === "echo-v6");
    server.applySlice({ ...v6, endpoints: [{ addresses: ["fd00::2"], conditions: { ready: false } }] });
    server.deleteSlice("proto", "echo-fqdn");
    parsed.push(await jsonWatch.next(), await jsonWatch.next());
    await jsonWatch.cancel();
    assert.deepEqual(parsed.map(({ type }) => type), ["ADDED", "ADDED", "ADDED", "BOOKMARK", "MODIFIED", "DELETED"]);
    assert.deepEqual(parsed[3].object.metadata.annotations, { "k8s.io/initial-events-end": "true" });
    assert.deepEqual(await decoded, parsed.map(({ type, object }) => ({ type, object: project(object) })));
  });
  await withServer({}, async (server) => {
    server.failNext(1, { path: "watch", status: 410 });
    const expired = await protobufWatch(`${server.url}${SLICES}?watch=1&resourceVersion=1`);
    const [error] = await expired((events) => events.length > 0);
    assert.equal(error.type, "ERROR");
    assert.deepEqual([error.object.kind, error.object.code, error.object.reason], ["Status", 410, "Expired"]);
  });
});

/**
 * What kube-apiserver v1.36.3 answered to each header (status and Content-Type, `curl -H "Accept: ..."`): a LIST,
 * a GET, a watch, a GET of a missing slice and of a missing Service, a LIST with a bad limit, a wrong token.
 */
const MEASURED: Record<string, string[]> = {
  [`${PROTOBUF}, application/json`]: ["200 pb", "200 pb", "200 pb-watch", "404 pb", "404 pb", "400 pb", "401 pb"],
  [`${PROTOBUF};q=0.5, application/json`]: [
    "200 json",
    "200 json",
    "200 json",
    "404 json",
    "404 json",
    "400 json",
    "401 json",
  ],
  [PROTOBUF]: ["200 pb", "200 pb", "200 pb-watch", "404 pb", "404 pb", "400 pb", "401 pb"],
  "application/json": ["200 json", "200 json", "200 json", "404 json", "404 json", "400 json", "401 json"],
  [`application/json;q=0.5, ${PROTOBUF}`]: ["200 pb", "200 pb", "200 pb-watch", "404 pb", "404 pb", "400 pb", "401 pb"],
  "*/*": ["200 json", "200 json", "200 json", "404 json", "404 json", "400 json", "401 json"],
  [`${PROTOBUF};stream=watch`]: ["200 pb", "200 pb", "200 pb-watch", "404 pb", "404 pb", "400 pb", "401 pb"],
};

const SHORT = { [PROTOBUF]: "pb", [WATCH_PROTOBUF]: "pb-watch", "application/json": "json" } as Record<string, string>;

Deno.test("the fake answers protobuf or JSON for each Accept header as kube-apiserver v1.36.3 does", async () => {
  await withServer({ token: "secret" }, async (server) => {
    for (const slice of capturedSlices()) server.applySlice(slice);
    const requests = [
      [SLICES, "secret"],
      [`${SLICES}/echo-v4`, "secret"],
      [`${SLICES}?watch=1&timeoutSeconds=1`, "secret"],
      [`${SLICES}/missing`, "secret"],
      ["/api/v1/namespaces/proto/services/missing", "secret"],
      [`${SLICES}?limit=abc`, "secret"],
      [SLICES, "wrong"],
    ];
    for (const [accept, expected] of Object.entries(MEASURED)) {
      const answers = [];
      for (const [path, token] of requests) {
        const response = await fetch(server.url + path, { headers: { accept, authorization: `Bearer ${token}` } });
        await response.body?.cancel();
        const type = response.headers.get("content-type") ?? "";
        answers.push(`${response.status} ${SHORT[type] ?? type}`);
      }
      assert.deepEqual(answers, expected, `Accept: ${accept}`);
    }
  });
});
