// The embedded fake API server held to the real one: the same request
// sequences go to `startFakeApiServer()` and to a kube-apiserver v1.36.3
// started for this file (etcd + kube-apiserver from
// `bash scripts/control_plane/build.sh`, anonymous authentication on as by
// default), and their normalized answers (status, content type, event types,
// object shapes, resourceVersions as the write that made them, continue tokens
// present or absent, Status reasons, codes and messages) must be equal. Where
// the pinned kubectl is built, `kubectl auth can-i` and `kubectl auth whoami`
// (protobuf access reviews) must also exit and print the same against both.
//
// The differences we keep are listed in KNOWN, each with its reason (the
// README's fake server section gives the same list); for those the test
// checks that the answers still differ in the way described, so the list
// stays exact: a fix must remove its entry.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import type { EndpointSliceInput, FakeApiServer, ServiceInput } from "@kgr/resolver/testing";
import {
  binaryCacheDirectory,
  type ControlPlane,
  findBinaries,
  localControlPlaneSkipped,
  startControlPlane,
} from "./control_plane.ts";
import {
  answer,
  type Caller,
  fakeTarget,
  NAMESPACE,
  normalize,
  OTHER_NAMESPACE,
  protobufInitialEvents,
  realTarget,
  type SliceSpec,
  type Target,
  watchEvents,
} from "./differential_targets.ts";
import { ZONE_LABEL } from "./workloads.ts";
import { childEnv } from "../_child_env.mjs";

const log = (line: string) => console.log(`    [differential] ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const SLICES = `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices`;
const ALL_SLICES = "/apis/discovery.k8s.io/v1/endpointslices";
const service = (name: string) => `kubernetes.io/service-name=${name}`;
/** A namespace made during the test, after the resourceVersion a watch of Namespaces resumes from. */
const MADE_NAMESPACE = "diff-made";

/** A JSON value of any shape. */
// deno-lint-ignore no-explicit-any
type Json = any;
/** Per-target memory between cases (a continue token kept for later). */
type Memo = Map<string, string>;
/** One step of the sequence: the same function runs against both servers. */
interface Case {
  name: string;
  run: (target: Target, memo: Memo) => Promise<Json>;
  /** Why the answers differ, for the differences we keep. */
  known?: string;
}

/** Differences we keep, by case name, with the reason (also in the README). */
const KNOWN: Record<string, string> = {
  "managedFields of a stored slice": "the fake records no field managers: nothing writes through its HTTP API",
  "/apis": "the fake lists only the groups it serves, events.k8s.io and discovery.k8s.io",
  "/apis/discovery.k8s.io/v1": "the fake lists only the verbs it serves (get, list, watch) and no storageVersionHash",
  "/version build fields": "the fake is not a Go build: gitCommit, goVersion, compiler and platform say so",
  "a continue token whose JSON breaks off inside an object":
    "the fake words a JSON syntax error its own way past the first character, the end and a whole value, where a " +
    "real server names the character and where Go's scanner was",
  "POST, PUT, PATCH and DELETE as the admin":
    "the fake's HTTP API is read-only: 405 to every write (server-side apply and a DELETE's preconditions included), " +
    "where a real server reads the body, or answers 404 for a missing object",
  "named health checks and verbose ones":
    "the fake has no named checks: /readyz/etcd is a 404 and ?verbose says ok, where a real server lists its checks",
  "Accept headers only a real server can answer":
    "the fake writes no YAML and no PartialObjectMetadata: for a Service, a 406 saying so, where a real server " +
    "writes them",
  "the descriptions of a Table's columns":
    "the fake describes the columns in its own words, where a real server quotes the API's field documentation",
};

/** A continue token of our own making: base64url JSON, as the real server encodes its tokens. */
function continueToken(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function query(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** One answer; a response that does not end within 10 s (a watch where none was due) fails the case. */
async function get(target: Target, path: string, as?: Caller, method?: string): Promise<Json> {
  return await answer(target, await target.get(path, { as, method, signal: AbortSignal.timeout(10_000) }));
}

/** Every page of a list, following continue tokens (at most 10). */
async function pages(target: Target, params: Record<string, string>, memo?: Memo): Promise<Json[]> {
  const seen: Json[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10; page++) {
    const { resourceVersion: _rv, resourceVersionMatch: _match, ...kept } = params;
    const continued = token === undefined ? params : { ...kept, continue: token };
    const response = await target.get(`${SLICES}?${query(continued)}`, { signal: AbortSignal.timeout(10_000) });
    const body = await response.json();
    seen.push({ status: response.status, body: normalize(target, body) });
    token = body.metadata?.continue;
    if (token !== undefined && memo !== undefined && !memo.has("continue")) memo.set("continue", token);
    if (token === undefined) break;
  }
  return seen;
}

const slice = (name: string, serviceName: string, address: string, extra: Partial<SliceSpec> = {}): SliceSpec => ({
  name,
  service: serviceName,
  addresses: [address],
  ...extra,
});

const cases: Case[] = [
  {
    name: "writes w1-w5: a-1, a-2 of Service a; b-1, b-2, b-3 of Service b; Service two",
    async run(target) {
      await target.applySlice("w1", slice("a-1", "a", "10.0.0.1"));
      await target.applySlice("w2", slice("a-2", "a", "10.0.0.2"));
      for (const [index, name] of ["b-1", "b-2", "b-3"].entries()) {
        await target.applySlice(`w${index + 3}`, slice(name, "b", `10.0.1.${index + 1}`));
      }
      await target.createService("two");
      await target.createNode("differential-node", "zone-d");
    },
  },
  { name: "a list of the namespace", run: (target) => get(target, SLICES) },
  {
    name: "pages of Service a, limit 1: the last page is empty",
    run: (target, memo) => pages(target, { labelSelector: service("a"), limit: "1" }, memo),
  },
  { name: "pages of Service b, limit 1", run: (target) => pages(target, { labelSelector: service("b"), limit: "1" }) },
  { name: "pages of Service b, limit 2", run: (target) => pages(target, { labelSelector: service("b"), limit: "2" }) },
  { name: "pages without a selector, limit 2", run: (target) => pages(target, { limit: "2" }) },
  {
    name: "limit 10 at w1: an exact read of w1",
    run: (target) => get(target, `${SLICES}?limit=10&resourceVersion=${rvOf(target, "w1")}`),
  },
  {
    name: "limit 1 at resourceVersion 0: one page",
    run: (target) => pages(target, { limit: "1", resourceVersion: "0" }),
  },
  {
    name: "limit 2 at w1, NotOlderThan: pages of the current state",
    run: (target) =>
      pages(target, { limit: "2", resourceVersion: rvOf(target, "w1"), resourceVersionMatch: "NotOlderThan" }),
  },
  {
    name: "w1 without limit: the current state",
    run: (target) => get(target, `${SLICES}?resourceVersion=${rvOf(target, "w1")}`),
  },
  {
    name: "Exact at w1",
    run: (target) => get(target, `${SLICES}?resourceVersion=${rvOf(target, "w1")}&resourceVersionMatch=Exact`),
  },
  {
    name: "field selectors",
    run: async (target) => ({
      name: await get(target, `${SLICES}?fieldSelector=metadata.name%3Da-1`),
      notName: await get(target, `${SLICES}?fieldSelector=metadata.name!%3Da-1`),
      namespace: await get(target, `${ALL_SLICES}?fieldSelector=metadata.namespace%3D${NAMESPACE}`),
      otherNamespace: await get(target, `${SLICES}?fieldSelector=metadata.namespace%3D${OTHER_NAMESPACE}`),
      noFieldNoValue: await get(target, `${SLICES}?fieldSelector=%21%3D`),
    }),
  },
  {
    name: "set-based label selectors and equality field selectors",
    async run(target) {
      const selectors = {
        labelSelector: [
          "kubernetes.io/service-name in (a,c)",
          "kubernetes.io/service-name notin (a)",
          "!kubernetes.io/service-name",
          "kubernetes.io/service-name",
          "kubernetes.io/service-name,kubernetes.io/service-name!=b",
          "kubernetes.io/service-name in ()",
          "kubernetes.io/service-name notin ()",
          "kubernetes.io/service-name==b",
          "x>1",
          "!x,kubernetes.io/service-name in (b)",
        ],
        fieldSelector: ["metadata.name==a-1", "metadata.name!=a-1,metadata.namespace==diff", "metadata.name="],
      };
      const answers: Json[] = [];
      for (const [param, values] of Object.entries(selectors)) {
        for (const value of values) {
          const { status, body } = await get(target, `${SLICES}?${query({ [param]: value })}`);
          answers.push({ value, status, names: body.items?.map((item: Json) => item.metadata.name) });
        }
      }
      return answers;
    },
  },
  {
    name: "continue tokens the server did not issue: 400 for a bad field, the current state for a negative " +
      "resourceVersion, 504 for a future one",
    async run(target) {
      const v1 = "meta.k8s.io/v1";
      const tokens: Record<string, unknown> = {
        "unknown version": { v: "meta.k8s.io/v2", rv: 1, start: "zzz" },
        "null": null,
        "resourceVersion 0": { v: v1, rv: 0, start: "zzz" },
        "no resourceVersion": { v: v1, start: "zzz" },
        "empty start": { v: v1, rv: 1, start: "" },
        "start with ..": { v: v1, rv: 1, start: "../zzz" },
        "start with a trailing slash": { v: v1, rv: 1, start: "zzz/" },
        "negative resourceVersion": { v: v1, rv: -5, start: "zzz" },
        "future resourceVersion": { v: v1, rv: 999999999, start: "zzz" },
      };
      const entries = await Promise.all(
        Object.entries(tokens).map(async ([name, value]) => [
          name,
          await get(target, `${SLICES}?continue=${continueToken(value)}`),
        ]),
      );
      return Object.fromEntries(entries);
    },
  },
  {
    name: "continue tokens that are not base64url JSON: Go's base64 and JSON errors",
    async run(target) {
      const raw = (text: string) => btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      const tokens: Record<string, string> = {
        json: "abc",
        base64: "%21%21",
        "a lone character": "a",
        padding: "ab=",
        array: continueToken([]),
        string: continueToken("a"),
        "a string version": continueToken({ v: 1 }),
        "a fraction": continueToken({ rv: 1.5 }),
        "upper-case fields": continueToken({ V: "meta.k8s.io/v1", RV: -1, Start: "zzz" }),
        "a byte past ASCII": raw("\u0080"),
        "cut short": raw('{"v":"'),
        "a literal cut short": raw("tru"),
        "a number cut short": raw("1."),
        "after the value": raw("{}1"),
      };
      const entries = await Promise.all(
        Object.entries(tokens).map(async ([name, token]) => [name, await get(target, `${SLICES}?continue=${token}`)]),
      );
      return Object.fromEntries(entries);
    },
  },
  {
    name: "a continue token whose JSON breaks off inside an object",
    run: (target) => get(target, `${SLICES}?continue=${btoa('{"v" 1').replace(/=+$/, "")}`),
  },
  {
    name: "resourceVersion values a list reads, with and without resourceVersionMatch",
    async run(target) {
      const variants: Record<string, Record<string, string>> = {
        "empty": { resourceVersion: "" },
        "empty, NotOlderThan": { resourceVersion: "", resourceVersionMatch: "NotOlderThan" },
        "0, NotOlderThan": { resourceVersion: "0", resourceVersionMatch: "NotOlderThan" },
        "a leading zero": { resourceVersion: `0${rvOf(target, "w5")}`, resourceVersionMatch: "Exact" },
        "a sign": { resourceVersion: "+1" },
        "negative": { resourceVersion: "-1" },
        "beyond 64 bits": { resourceVersion: "18446744073709551616" },
        "too large, NotOlderThan": { resourceVersion: "999999999", resourceVersionMatch: "NotOlderThan" },
      };
      const entries = await Promise.all(
        Object.entries(variants).map(async ([name, params]) => [name, await get(target, `${SLICES}?${query(params)}`)]),
      );
      return Object.fromEntries(entries);
    },
  },
  {
    name: "list options the server refuses",
    async run(target) {
      const variants: Record<string, Record<string, string>> = {
        "resourceVersion=abc": { resourceVersion: "abc" },
        "limit=abc": { limit: "abc" },
        "match without resourceVersion": { resourceVersionMatch: "NotOlderThan" },
        "unsupported match": { resourceVersionMatch: "Foo", resourceVersion: "1" },
        "unsupported match that Go's JSON escapes": { resourceVersionMatch: "<x>&", resourceVersion: "1" },
        "Exact at 0": { resourceVersionMatch: "Exact", resourceVersion: "0" },
        "unknown field": { fieldSelector: "addressType=IPv4" },
        "field without operator": { fieldSelector: "metadata.name" },
        "too large resourceVersion": { resourceVersion: "999999999" },
        "sendInitialEvents": { sendInitialEvents: "false" },
        "every problem at once": { resourceVersionMatch: "Foo", continue: "abc", sendInitialEvents: "true" },
        "timeoutSeconds=abc": { timeoutSeconds: "abc" },
        "empty timeoutSeconds": { timeoutSeconds: "" },
        "timeoutSeconds before limit": { limit: "abc", timeoutSeconds: "xyz" },
        "limit before selectors": { labelSelector: "a in (", limit: "abc" },
      };
      const entries = await Promise.all(
        Object.entries(variants).map(async ([name, params]) => [name, await get(target, `${SLICES}?${query(params)}`)]),
      );
      return Object.fromEntries(entries);
    },
  },
  {
    name: "a GET of one slice, and of a missing one",
    run: async (target) => [await get(target, `${SLICES}/a-1`), await get(target, `${SLICES}/missing`)],
  },
  {
    name: "paths: outside the API, a trailing slash, watch=1 on an object, a GET's resourceVersion, no namespace, " +
      "query pairs Go drops",
    run: async (target) => ({
      nothing: await get(target, "/nothing"),
      unknownGroup: await get(target, "/apis/foo.example/v1/namespaces/x/foos"),
      realGroup: await get(target, "/apis/storage.k8s.io/v1/nope"),
      slash: await get(target, `${SLICES}/`),
      objectWatch: await get(target, `${SLICES}/a-1?watch=1`),
      futureRv: await get(target, `${SLICES}/a-1?resourceVersion=999999999`),
      badRv: await get(target, `/api/v1/namespaces/${NAMESPACE}/services/two?resourceVersion=abc`),
      everyNamespace: await get(
        target,
        `/apis/discovery.k8s.io/v1/namespaces//endpointslices?labelSelector=${service("a")}`,
      ),
      noNamespace: await get(target, "/apis/discovery.k8s.io/v1/namespaces//endpointslices/a-1"),
      noServiceNamespace: await get(target, "/api/v1/namespaces//services/two"),
      semicolon: await get(target, `${SLICES}?labelSelector=${service("a")};x&limit=1;x`),
      badEscape: await get(target, `${SLICES}?limit=%zz&labelSelector=${service("a")}`),
      emptyLimit: await get(target, `${SLICES}?limit=`),
      emptyTimeout: await get(target, `${SLICES}?watch=1&timeoutSeconds=`),
    }),
  },
  {
    name: "Accept headers: JSON where both can write it, else the real server's 406",
    async run(target) {
      const accepts = [
        "*/*",
        "application/json;q=0.5, text/html",
        "text/html",
        "application/*",
        "APPLICATION/JSON",
        "application/json;v=v1",
        "application/json;stream=foo",
      ];
      const paths = [
        SLICES,
        `${SLICES}/a-1`,
        `${SLICES}/missing`,
        "/api",
        "/apis",
        "/apis/discovery.k8s.io",
        "/version",
      ];
      const answers: Json[] = [];
      for (const path of paths) {
        for (const accept of accepts) {
          const response = await target.get(path, { accept, signal: AbortSignal.timeout(10_000) });
          const { kind, reason, message } = await response.json();
          answers.push({
            path,
            accept,
            status: response.status,
            type: response.headers.get("content-type"),
            kind,
            reason,
            message,
          });
        }
      }
      return answers;
    },
  },
  {
    name: "Accept headers of a watch: a JSON stream, or the real server's 406 when YAML comes first",
    async run(target) {
      const accepts = [
        "application/yaml",
        "application/yaml, application/json",
        "application/json;q=0,application/yaml",
        "application/json;q=0.5, application/yaml",
        "application/yaml;as=Table;v=v1;g=meta.k8s.io, application/json",
        "application/yaml;stream=watch, application/json",
        "application/json, application/yaml",
        "text/html",
      ];
      const answers: Json[] = [];
      for (const accept of accepts) {
        const path = `${SLICES}?watch=1&timeoutSeconds=1`;
        const response = await target.get(path, { accept, signal: AbortSignal.timeout(10_000) });
        if (response.status === 200) {
          await response.body?.cancel();
          answers.push({ accept, status: 200, type: response.headers.get("content-type") });
          continue;
        }
        // A real server writes this Status in the negotiated format, YAML here; the fake in JSON, which YAML reads.
        const { kind, reason, message, code, details } = parseYaml(await response.text());
        answers.push({ accept, status: response.status, kind, reason, message, code, details });
      }
      return answers;
    },
  },
  {
    name: "JSON layout: one line and a newline, or indented (/, /version, a 406, ?pretty=true)",
    async run(target) {
      const layouts: Record<string, string> = {};
      const paths = [SLICES, `${SLICES}/a-1`, `${SLICES}/missing`, "/api", "/apis", "/", "/version"];
      const pretty = [`${SLICES}?pretty=true`, `${SLICES}/missing?pretty=1`, `${SLICES}?pretty=yes`, "/api?pretty=T"];
      for (const path of [...paths, ...pretty]) {
        for (const accept of ["application/json", "text/html"]) {
          const response = await target.get(path, { accept, signal: AbortSignal.timeout(10_000) });
          const text = await response.text();
          const indented = text === JSON.stringify(JSON.parse(text), null, 2);
          layouts[`${path} ${accept}`] = indented ? "indented" : text.endsWith("}\n") ? "line" : text.slice(-20);
        }
      }
      return layouts;
    },
  },
  {
    name: "label and field selectors the server refuses",
    async run(target) {
      const selectors = {
        labelSelector: ["a in (", "a in (b c)", "-a=b", "a=" + "x".repeat(64), "a>x", ",a", "A.B/c=d"],
        fieldSelector: ["metadata.name=a=b", "metadata.name=a\\x", "=x", "zz=1,aa=2", "spec.x=y,metadata.name=a\\x"],
      };
      const answers: Json[] = [];
      for (const [param, values] of Object.entries(selectors)) {
        for (const value of values) answers.push(await get(target, `${SLICES}?${query({ [param]: value })}`));
      }
      answers.push(await get(target, `${SLICES}?${query({ labelSelector: "a in ()" })}`));
      return answers;
    },
  },
  {
    name: "a watch from resourceVersion 0 with bookmarks",
    run: (target) =>
      watchEvents(
        target,
        `${SLICES}?watch=1&resourceVersion=0&allowWatchBookmarks=true&labelSelector=${service("a")}`,
        {
          done: (events) => events.some((event) => event.type === "BOOKMARK"),
        },
      ),
  },
  {
    name: "a watch without resourceVersion, with bookmarks",
    run: (target) =>
      watchEvents(target, `${SLICES}?watch=1&allowWatchBookmarks=true&labelSelector=${service("a")}`, {
        done: (events) => events.some((event) => event.type === "BOOKMARK"),
      }),
  },
  {
    name: "a watch from resourceVersion 0 without bookmarks",
    run: (target) =>
      watchEvents(target, `${SLICES}?watch=1&resourceVersion=0&labelSelector=${service("a")}`, {
        done: (events) => events.length === 2,
      }),
  },
  {
    name: "a watch whose timeoutSeconds is beyond a 32-bit timer in milliseconds stays open",
    run: async (target) => ({
      days: await watchEvents(
        target,
        `${SLICES}?watch=1&resourceVersion=0&timeoutSeconds=3000000&labelSelector=${service("a")}`,
        { done: (events) => events.length === 2, quietMs: 1000 },
      ),
      // Go multiplies by a second in 64 bits: this wraps around to a positive duration of years.
      wrapped: await watchEvents(
        target,
        `${SLICES}?watch=1&resourceVersion=0&timeoutSeconds=99999999999&labelSelector=${service("a")}`,
        { done: (events) => events.length === 2, quietMs: 1000 },
      ),
    }),
  },
  {
    name: "a namespace, a resource and a version that do not exist",
    run: async (target) => ({
      list: await get(target, "/apis/discovery.k8s.io/v1/namespaces/nope/endpointslices"),
      watch: await watchEvents(target, "/apis/discovery.k8s.io/v1/namespaces/nope/endpointslices?watch=1", {
        maxMs: 1000,
      }),
      slice: await get(target, "/apis/discovery.k8s.io/v1/namespaces/nope/endpointslices/a-1"),
      service: await get(target, "/api/v1/namespaces/nope/services/two"),
      resource: await get(target, `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/foos`),
      version: await get(target, "/apis/discovery.k8s.io/v2/endpointslices"),
    }),
  },
  {
    name: "a WatchList with bookmarks",
    run: (target) =>
      watchEvents(
        target,
        `${SLICES}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
        { done: (events) => events.some((event) => event.type === "BOOKMARK") },
      ),
  },
  {
    name: "a WatchList without bookmarks",
    run: (target) =>
      watchEvents(target, `${SLICES}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`, {
        done: (events) => events.length === 5,
      }),
  },
  {
    name: "a WatchList for a resourceVersion that never comes",
    run: (target) =>
      watchEvents(
        target,
        `${SLICES}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true` +
          "&resourceVersion=999999999",
      ),
  },
  {
    name: "sendInitialEvents=false: no initial events; from a resourceVersion, the changes since, as a plain watch",
    run: async (target) => {
      const noInitialEvents = `${SLICES}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan`;
      return {
        since: await watchEvents(target, `${noInitialEvents}&resourceVersion=${rvOf(target, "w1")}`, {
          done: (events) => events.length === 4,
        }),
        zero: await watchEvents(target, `${noInitialEvents}&resourceVersion=0`, { maxMs: 1000 }),
        none: await watchEvents(target, noInitialEvents, { maxMs: 1000 }),
      };
    },
  },
  {
    name: "a plain watch for a resourceVersion that never comes waits quietly",
    run: (target) => watchEvents(target, `${SLICES}?watch=1&resourceVersion=999999999`, { maxMs: 1500 }),
  },
  {
    name: "watch options the server refuses",
    async run(target) {
      const variants: Record<string, Record<string, string>> = {
        "resourceVersion=abc": { resourceVersion: "abc" },
        "continue": { continue: "abc" },
        "sendInitialEvents without match": { sendInitialEvents: "true" },
        "match without sendInitialEvents": { resourceVersionMatch: "NotOlderThan" },
        "Exact with sendInitialEvents": { sendInitialEvents: "true", resourceVersionMatch: "Exact" },
        "Exact with continue": { resourceVersionMatch: "Exact", continue: "abc" },
        "timeoutSeconds=abc": { timeoutSeconds: "abc" },
        "limit=abc": { limit: "abc" },
        "timeoutSeconds before selectors": { labelSelector: "a in (", timeoutSeconds: "abc" },
      };
      const entries = await Promise.all(
        Object.entries(variants).map(async ([name, params]) => [
          name,
          await get(target, `${SLICES}?${query({ watch: "1", ...params })}`),
        ]),
      );
      return Object.fromEntries(entries);
    },
  },
  {
    name: "a watch from resourceVersion 1 replays the namespace's history",
    run: (target) =>
      watchEvents(target, `${SLICES}?watch=1&resourceVersion=1`, { done: (events) => events.length === 5 }),
  },
  {
    name: "a watch of Service a sees a change, a slice leaving and coming back, and a deletion",
    run: (target) =>
      watchEvents(target, `${SLICES}?watch=1&resourceVersion=${rvOf(target, "w5")}&labelSelector=${service("a")}`, {
        done: (events) => events.length === 4,
        async during() {
          await sleep(200);
          await target.applySlice("w6", slice("a-1", "a", "10.0.0.9"));
          await target.applySlice("w7", slice("a-2", "c", "10.0.0.2"));
          await target.applySlice("w8", slice("a-2", "a", "10.0.0.2"));
          await target.deleteSlice(NAMESPACE, "a-1");
        },
      }),
  },
  {
    name: "generation: an annotation leaves it, a label bumps it",
    async run(target) {
      const annotated = await target.applySlice("w9", slice("a-2", "a", "10.0.0.2", { annotations: { note: "x" } }));
      const labelled = await target.applySlice(
        "w10",
        slice("a-2", "a", "10.0.0.2", { annotations: { note: "x" }, labels: { extra: "y" } }),
      );
      return [normalize(target, annotated), normalize(target, labelled)];
    },
  },
  {
    name: "managedFields of a stored slice",
    async run(target) {
      // Raw, not normalized: normalization drops managedFields.
      const response = await target.get(`${SLICES}/a-2`, { signal: AbortSignal.timeout(10_000) });
      return Object.keys((await response.json()).metadata).sort();
    },
  },
  {
    name: "a watch with timeoutSeconds=3 and a write elsewhere: a bookmark, then the end",
    run: (target) =>
      watchEvents(
        target,
        `${SLICES}?watch=1&resourceVersion=${rvOf(target, "w10")}&allowWatchBookmarks=true&timeoutSeconds=3`,
        {
          during: async () => {
            await sleep(200);
            await target.applySlice("w11", slice("o-1", "o", "10.0.2.1", { namespace: OTHER_NAMESPACE }));
          },
        },
      ),
  },
  {
    name: "a watch with timeoutSeconds=3 and no write: no bookmark, then the end",
    run: (target) =>
      watchEvents(
        target,
        `${SLICES}?watch=1&resourceVersion=${rvOf(target, "w11")}&allowWatchBookmarks=true&timeoutSeconds=3`,
      ),
  },
  {
    // Events are served without the watch cache: no pre-timeout (or periodic) BOOKMARK, unlike a slice watch above.
    // The BOOKMARK's resourceVersion is left out: a real one is etcd's latest, which other writes (leases) move.
    name: "a watch of Events with timeoutSeconds=3 and a write elsewhere: the initial events' BOOKMARK, then the end",
    async run(target) {
      const path = `/api/v1/namespaces/${NAMESPACE}/events?watch=1&allowWatchBookmarks=true&timeoutSeconds=3`;
      const { events, ...rest } = await watchEvents(target, path, {
        during: async () => {
          await sleep(200);
          await target.applySlice("ev1", slice("ev-1", "ev", "10.0.2.9", { namespace: OTHER_NAMESPACE }));
          await target.deleteSlice(OTHER_NAMESPACE, "ev-1");
        },
      });
      return {
        ...rest,
        events: events?.map(({ type, object: { metadata: { resourceVersion: _, ...metadata }, ...object } }: Json) => ({
          type,
          object: { ...object, metadata },
        })),
      };
    },
  },
  {
    name: "anonymous requests and a bad token",
    run: async (target) => ({
      list: await get(target, SLICES, "anonymous"),
      watch: await get(target, `${ALL_SLICES}?watch=1`, "anonymous"),
      slice: await get(target, `${SLICES}/a-2`, "anonymous"),
      service: await get(target, `/api/v1/namespaces/${NAMESPACE}/services/two`, "anonymous"),
      apis: await get(target, "/apis", "anonymous"),
      version: (await get(target, "/version", "anonymous")).status,
      healthz: await get(target, "/healthz", "anonymous"),
      badToken: await get(target, SLICES, "bad token"),
      basicAuth: await get(target, SLICES, "basic auth"),
    }),
  },
  {
    name: "Authorization headers: empty, malformed and unknown bearer tokens, other schemes",
    async run(target) {
      const headers = [
        "Bearer ",
        "Bearer",
        "Bearer  nope",
        "Bearer nope extra",
        "bearer nope",
        "BEARER nope",
        "Bearer\tnope",
        "Token nope",
        "Basic !!!",
        "Negotiate abc",
      ];
      const answers: Json[] = [];
      for (const authorization of headers) {
        for (const path of [SLICES, "/version", "/healthz"]) {
          const { status, warning, sniffing, body } = await get(target, path, { authorization });
          // Health checks answer text, /version its document (whose build fields differ on purpose).
          const message = typeof body === "string" ? body : body.message ?? body.gitVersion;
          answers.push({ authorization, path, status, warning, sniffing, message });
        }
      }
      return answers;
    },
  },
  {
    name: "anonymous requests of every method and resource: RBAC's 403 names the verb, resource and object",
    async run(target) {
      const requests: [string, string][] = [
        ...["HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].flatMap((method): [string, string][] => [
          [method, SLICES],
          [method, `${SLICES}/a-2`],
        ]),
        ["DELETE", ALL_SLICES],
        ["GET", `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/foos`],
        ["GET", "/apis/foo.example/v1/bars/x"],
        ["GET", `/api/v1/namespaces/${NAMESPACE}/pods/x/log`],
        ["GET", `/api/v1/namespaces/${NAMESPACE}`],
        ["GET", "/api/v1/namespaces"],
        ["GET", `/apis/discovery.k8s.io/v1/watch/namespaces/${NAMESPACE}/endpointslices`],
        ["GET", `${SLICES}?fieldSelector=metadata.name%3Da-2`],
        ["GET", `${SLICES}?fieldSelector=metadata.name%3D%3Da-2,metadata.namespace%3D${NAMESPACE}&watch=1`],
        ["GET", `${SLICES}?fieldSelector=metadata.name%3Da-2&limit=abc`],
        ["GET", `${SLICES}?fieldSelector=metadata.name%21%3Da-2`],
        ["GET", `${SLICES}?fieldSelector=metadata.name%3Da%252F2`],
      ];
      const answers: Json[] = [];
      for (const [method, path] of requests) {
        answers.push({ method, path, ...await get(target, path, "anonymous", method) });
      }
      return answers;
    },
  },
  {
    name: "a service account's Role: RBAC's 403 for what it does not allow, served or not, before any 404 or 405",
    run: (target) =>
      target.asReader(async (as) => {
        const requests: [string, string][] = [
          ["GET", `${SLICES}?labelSelector=${encodeURIComponent(service("a"))}`],
          ["GET", `/apis/discovery.k8s.io/v1/namespaces/${OTHER_NAMESPACE}/endpointslices`],
          ["GET", `${SLICES}/a-2`],
          ["GET", `/api/v1/namespaces/${NAMESPACE}/services/two`],
          ["GET", `/api/v1/namespaces/${OTHER_NAMESPACE}/services/two`],
          ["GET", "/api/v1/nodes/n-1"],
          ["GET", `/api/v1/namespaces/${NAMESPACE}`],
          ["POST", SLICES],
          ["DELETE", `${SLICES}/a-2`],
          ["GET", `/api/v1/namespaces/${NAMESPACE}/pods`],
          ["GET", `/api/v1/namespaces/${NAMESPACE}/pods/x/log`],
          ["GET", "/apis/foo.example/v1/bars/x"],
          ["GET", "/apis/foo.example/v1"],
          ["GET", "/metrics"],
          ["GET", "/version"],
          ["HEAD", "/version"],
          ["HEAD", "/healthz"],
          ["POST", "/healthz"],
          ["DELETE", "/apis"],
          ["GET", "/"],
        ];
        const answers: Json[] = [];
        for (const [method, path] of requests) {
          const { body, ...rest } = await get(target, path, as, method);
          // The allowed list's items are compared elsewhere: here, who may read what.
          answers.push({ method, path, ...rest, body: rest.status === 200 ? typeof body : body });
        }
        return answers;
      }),
  },
  {
    name: "HEAD and OPTIONS as the admin: 405 on the API's paths",
    async run(target) {
      const answers: Json[] = [];
      for (const method of ["HEAD", "OPTIONS"]) {
        for (const path of [SLICES, `${SLICES}/a-2`, `/api/v1/namespaces/${NAMESPACE}/services/two`]) {
          answers.push({ method, path, ...await get(target, path, "admin", method) });
        }
      }
      return answers;
    },
  },
  {
    name: "slices both servers refuse or store: FQDN addresses, owner references, the annotations' size",
    async run(target) {
      const owner = { apiVersion: "v1", kind: "Service", name: "a", uid: "u1" };
      const base = { namespace: NAMESPACE, name: "checked", labels: { "kubernetes.io/service-name": "a" } };
      const fqdn = (address: string): EndpointSliceInput => ({
        metadata: base,
        addressType: "FQDN",
        endpoints: [{ addresses: [address] }],
      });
      const owned = (ownerReferences: Record<string, unknown>[]): EndpointSliceInput => ({
        metadata: { ...base, ownerReferences },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.0.0.1"] }],
      });
      const annotated = (bytes: number): EndpointSliceInput => ({
        metadata: { ...base, annotations: { a: "x".repeat(bytes - 1) } },
        addressType: "IPv4",
        endpoints: [{ addresses: ["10.0.0.1"] }],
      });
      // Each input with the reason both must quote when they refuse it.
      const inputs: [string, EndpointSliceInput, string?][] = [
        ["foo.bar.", fqdn("foo.bar.")],
        ["foo.bar", fqdn("foo.bar")],
        ["foo", fqdn("foo"), "should be a domain with at least two segments separated by dots"],
        ["a 64-character label", fqdn(`${"a".repeat(64)}.com`), "must be no more than 63 characters"],
        ["foo.bar..", fqdn("foo.bar.."), "a lowercase RFC 1123 subdomain must consist of"],
        ["an owner without uid", owned([{ ...owner, uid: "" }]), 'metadata.ownerReferences.uid: Invalid value: ""'],
        ["an owner without kind", owned([{ ...owner, kind: "" }]), 'metadata.ownerReferences.kind: Invalid value: ""'],
        ["an owner of apiVersion apps/", owned([{ ...owner, apiVersion: "apps/" }]), "version must not be empty"],
        ["an Event owner", owned([{ ...owner, kind: "Event" }]), "/v1, Kind=Event is disallowed from being an owner"],
        [
          "two controllers",
          owned([{ ...owner, controller: true }, { ...owner, uid: "u2", name: "b", controller: true }]),
          "Only one reference can have Controller set to true",
        ],
        [
          "an owner with fields out of order and an unknown one",
          owned([{ uid: "u1", extra: 1, name: "a", kind: "Service", apiVersion: "v1" }]),
        ],
        ["an owner twice, and one sharing its uid", owned([owner, owner, { ...owner, kind: "Pod" }])],
        ["annotations of 262144 bytes", annotated(262144)],
        ["annotations of 262145 bytes", annotated(262145), "Too long: may not be more than 262144 bytes"],
      ];
      const answers: Record<string, Json> = {};
      for (const [name, input, reason] of inputs) {
        const result = await target.checkSlice(input);
        if ("stored" in result) {
          const { metadata, endpoints } = result.stored as Json;
          answers[name] = {
            ownerReferences: JSON.stringify(metadata.ownerReferences),
            annotationBytes: Object.entries(metadata.annotations ?? {}).flat().join("").length,
            addresses: endpoints?.map((endpoint: Json) => endpoint.addresses),
          };
        } else {answers[name] = {
            refused: reason !== undefined && result.refused.includes(reason) ? reason : result.refused,
          };}
      }
      return answers;
    },
  },
  {
    name:
      "a Service's ipFamilies and ipFamilyPolicy on an IPv4 cluster: the defaults, PreferDualStack, and the refusals",
    async run(target) {
      const service = (name: string, spec: Record<string, unknown>) =>
        ({
          metadata: { namespace: NAMESPACE, name },
          spec: { ports: [{ port: 80 }], ...spec },
        }) as unknown as ServiceInput;
      // Each spec with the reason both must quote when they refuse it.
      const inputs: [Record<string, unknown>, string?][] = [
        [{}],
        [{ ipFamilies: [] }],
        [{ ipFamilies: ["IPv4"], ipFamilyPolicy: "SingleStack" }],
        [{ ipFamilyPolicy: "PreferDualStack" }],
        [{ ipFamilies: ["IPv6"] }, 'spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster'],
        [
          { ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" },
          'spec.ipFamilies[1]: Invalid value: "IPv6": not configured on this cluster',
        ],
        [
          { ipFamilies: ["IPv4", "IPv6"] },
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
        ],
        [
          { ipFamilyPolicy: "RequireDualStack" },
          'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack ' +
          "services",
        ],
        [{ ipFamilyPolicy: "Bogus" }, 'spec.ipFamilyPolicy: Unsupported value: "Bogus"'],
        [{ ipFamilies: ["IPv5"] }, 'spec.ipFamilies[0]: Unsupported value: "IPv5"'],
        [{ ipFamilies: ["IPv4", "IPv4"], ipFamilyPolicy: "PreferDualStack" }, "spec.ipFamilies[1]: Duplicate value"],
      ];
      const answers: Record<string, Json> = {};
      for (const [index, [spec, reason]] of inputs.entries()) {
        const result = await target.checkService(service(`families-${index}`, spec));
        answers[JSON.stringify(spec)] = "stored" in result
          ? {
            ipFamilies: (result.stored as Json).spec.ipFamilies,
            ipFamilyPolicy: (result.stored as Json).spec.ipFamilyPolicy,
          }
          : { refused: reason !== undefined && result.refused.includes(reason) ? reason : result.refused };
      }
      return answers;
    },
  },
  {
    name: "a headless Service (clusterIP None): stored as the real server stores it, with and without a selector and " +
      "ports; the clusterIP refusals",
    async run(target) {
      const service = (name: string, spec: Record<string, unknown>) =>
        ({ metadata: { namespace: NAMESPACE, name }, spec }) as unknown as ServiceInput;
      const grpc = [{ name: "grpc", port: 80 }];
      // Each spec with the reason both must quote when they refuse it.
      const inputs: [Record<string, unknown>, string?][] = [
        [{ clusterIP: "None", selector: { app: "a" }, ports: grpc }],
        [{ clusterIP: "None", ports: grpc }],
        [{ clusterIP: "None", selector: { app: "a" } }],
        [{ clusterIP: "None" }],
        [{ clusterIP: "None", clusterIPs: ["None"], ports: [] }],
        [{ clusterIP: "None", ipFamilyPolicy: "SingleStack", ports: grpc }],
        [{ clusterIP: "None", ipFamilyPolicy: "PreferDualStack", ports: grpc }],
        [{ clusterIP: "None", ipFamilies: ["IPv6"], ports: grpc }],
        [{ clusterIP: "None", ipFamilies: ["IPv6"], ipFamilyPolicy: "SingleStack", ports: grpc }],
        [{ clusterIP: "None", selector: { app: "a" }, internalTrafficPolicy: "Local", ports: grpc }],
        [
          { clusterIP: "None", selector: { app: "a" }, ipFamilies: ["IPv6"], ports: grpc },
          'spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster',
        ],
        [
          { clusterIP: "None", selector: { app: "a" }, ipFamilyPolicy: "RequireDualStack", ports: grpc },
          'spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack',
        ],
        [
          { clusterIP: "None", ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "SingleStack", ports: grpc },
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
        ],
        [{ clusterIP: "None", ports: [{ port: 80 }, { port: 81 }] }, "spec.ports[0].name"],
        [
          { clusterIPs: ["None"], ports: grpc },
          'spec.clusterIPs: Invalid value: ["None"]: must be empty when `clusterIP` is not specified',
        ],
        [
          { clusterIP: "None", clusterIPs: ["10.0.0.5"], ports: grpc },
          'spec.clusterIPs: Invalid value: ["10.0.0.5"]: first value must match `clusterIP`',
        ],
        [
          { clusterIP: "None", clusterIPs: ["None", "None"], ports: grpc },
          `spec.clusterIPs: Invalid value: ["None","None"]: 'None' must be the first and only value`,
        ],
        [
          { clusterIP: "none", ports: grpc },
          'spec.clusterIPs[0]: Invalid value: "none": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        ],
        [
          { clusterIP: "fd00::1", ports: grpc },
          'spec.clusterIPs[0]: Invalid value: ["fd00::1"]: IPv6 is not configured on this cluster',
        ],
        // Outside the service range: refused (a real dry run words it its own way, "not in the valid range", where a
        // real creation says what the fake says: see "Service types" below); inside it, stored (a dry run checks no
        // address taken).
        [{ clusterIP: "192.168.1.1", ports: grpc }, "failed to allocate IP 192.168.1.1: "],
        [{ clusterIP: "10.96.0.10", ports: grpc }],
      ];
      const answers: Record<string, Json> = {};
      for (const [index, [spec, reason]] of inputs.entries()) {
        const result = await target.checkService(service(`headless-${index}`, spec));
        answers[JSON.stringify(spec)] = "stored" in result
          ? (result.stored as Json).spec
          : { refused: reason !== undefined && result.refused.includes(reason) ? reason : result.refused };
      }
      return answers;
    },
  },
  {
    name: "POST, PUT, PATCH and DELETE as the admin",
    run: async (target) => ({
      post: await get(target, SLICES, "admin", "POST"),
      put: await get(target, `${SLICES}/a-2`, "admin", "PUT"),
      // Of a slice that does not exist: nothing is written on the real server either.
      patch: await get(target, `${SLICES}/missing`, "admin", "PATCH"),
      delete: await get(target, `${SLICES}/missing`, "admin", "DELETE"),
    }),
  },
  {
    name: "Accept headers only a real server can answer",
    async run(target) {
      const answers: Json[] = [];
      const accepts = ["application/yaml", "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io"];
      for (const accept of accepts) {
        const path = `/api/v1/namespaces/${NAMESPACE}/services/two`;
        const response = await target.get(path, { accept, signal: AbortSignal.timeout(10_000) });
        await response.body?.cancel();
        answers.push({ accept, status: response.status, type: response.headers.get("content-type") });
      }
      return answers;
    },
  },
  {
    name: "protobuf answers: a LIST page, a GET, errors and a streaming list, as the resolver's decoder reads them",
    async run(target) {
      const accept = "application/vnd.kubernetes.protobuf, application/json";
      const read = async (path: string) =>
        answer(target, await target.get(path, { accept, signal: AbortSignal.timeout(10_000) }));
      const page = await read(`${SLICES}?limit=1`);
      const name = page.body.items[0]?.metadata.name;
      const answers: Json[] = [page];
      for (
        const path of [`${SLICES}/${name}`, `${SLICES}/missing`, `${SLICES}?limit=abc`, `${SLICES}?watch=1&continue=x`]
      ) {
        answers.push({ path: path.replace(name, "<first>"), ...await read(path) });
      }
      const streaming = "?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true";
      answers.push(await protobufInitialEvents(target, `${SLICES}${streaming}`));
      return answers;
    },
  },
  {
    name: "HEAD and POST of the documents: plain handlers answer any method, go-restful routes only GET",
    async run(target) {
      const answers: Json[] = [];
      const paths = ["/healthz", "/readyz", "/apis", "/apis/discovery.k8s.io", "/", "/version", "/api", "/api/v1"];
      for (const path of paths) {
        for (const method of ["HEAD", "POST"]) {
          for (const as of ["admin", "anonymous"] as const) {
            const response = await target.get(path, { method, as, signal: AbortSignal.timeout(10_000) });
            const text = await response.text();
            const body = text === "" || !text.startsWith("{") ? text : JSON.parse(text);
            answers.push({ path, method, as, status: response.status, kind: body.kind, message: body.message });
          }
        }
      }
      return answers;
    },
  },
  {
    name: "health checks and the discovery group",
    run: async (target) => ({
      healthz: await get(target, "/healthz"),
      livez: await get(target, "/livez"),
      readyz: await get(target, "/readyz"),
      group: await get(target, "/apis/discovery.k8s.io"),
      api: Object.keys((await get(target, "/api")).body),
    }),
  },
  {
    name: "named health checks and verbose ones",
    run: async (target) => ({
      named: await get(target, "/readyz/etcd"),
      verbose: await get(target, "/livez?verbose"),
    }),
  },
  {
    name: "/version",
    run: async (target) => {
      const { status, body } = await get(target, "/version");
      return { status, keys: Object.keys(body), major: body.major, minor: body.minor, gitVersion: body.gitVersion };
    },
  },
  {
    name: "/version build fields",
    run: async (target) => {
      const { body } = await get(target, "/version");
      return [body.gitCommit, body.goVersion, body.compiler, body.platform];
    },
  },
  {
    // Whole documents differ in what they list (the cases around this one); their own keys must not.
    name: "the discovery documents' keys",
    async run(target) {
      const paths = ["/api", "/api/v1", "/apis", "/apis/discovery.k8s.io", "/apis/discovery.k8s.io/v1"];
      const answers: Json[] = [];
      for (const path of paths) {
        const { status, body } = await get(target, path);
        answers.push({ path, status, keys: Object.keys(body) });
      }
      return answers;
    },
  },
  { name: "/apis", run: async (target) => (await get(target, "/apis")).body.groups.map((group: Json) => group.name) },
  { name: "/apis/discovery.k8s.io/v1", run: (target) => get(target, "/apis/discovery.k8s.io/v1") },
  {
    // kubectl reads these: `get all` asks for the "all" category, `get ev` the short name, `get events` the name.
    name: "/api/v1's Services, Nodes and Events: names, kinds, short names and categories",
    async run(target) {
      const { body } = await get(target, "/api/v1");
      return body.resources.filter((resource: Json) => ["events", "nodes", "services"].includes(resource.name))
        .map(({ name, singularName, namespaced, kind, shortNames, categories }: Json) => ({
          name,
          singularName,
          namespaced,
          kind,
          shortNames,
          categories,
        }));
    },
  },
  {
    // kubectl reads the namespace after a 404 for an object in it, and prints the namespace's 404 if there is one.
    name: "a Namespace, as kubectl reads it after a missing object: its kind, labels, spec and phase",
    async run(target) {
      const { status, body } = await get(target, `/api/v1/namespaces/${NAMESPACE}`);
      return {
        status,
        kind: body.kind,
        name: body.metadata.name,
        labels: body.metadata.labels,
        spec: body.spec,
        phase: body.status.phase,
      };
    },
  },
  {
    // `kubectl describe service` reads a Service's events by these fields (and `get events` lists them all).
    name: "Events: an empty list in a namespace, in all of them, by kubectl describe's fields, and a bad field",
    async run(target) {
      // kube-apiserver's IP allocator repair loop can write a ClusterIPNotAllocated Warning for a Service created
      // while it ran (its own race; fresh-clone CI 427: "Cluster IP [IPv4]: 10.96.10.10 is not allocated;
      // repairing" for service/two): cleared first, on the real server (the read-only fake answers 405).
      const repairs = `/api/v1/namespaces/${NAMESPACE}/events?fieldSelector=reason%3DClusterIPNotAllocated`;
      await get(target, repairs, undefined, "DELETE");
      return {
        namespace: await get(target, `/api/v1/namespaces/${NAMESPACE}/events?limit=500`),
        all: await get(target, "/api/v1/events"),
        describe: await get(
          target,
          `/api/v1/namespaces/${NAMESPACE}/events?limit=500&fieldSelector=` + encodeURIComponent(
            `involvedObject.name=two,involvedObject.namespace=${NAMESPACE},involvedObject.kind=Service,` +
              "involvedObject.uid=0f0e0d0c-0b0a-0908-0706-050403020100",
          ),
        ),
        others: await get(
          target,
          `/api/v1/namespaces/${NAMESPACE}/events?fieldSelector=` +
            encodeURIComponent("type=Warning,reason=Failed,source=kubelet,reportingComponent=x,metadata.name=y"),
        ),
        badField: await get(target, `/api/v1/namespaces/${NAMESPACE}/events?fieldSelector=spec.foo%3Dx`),
        one: await get(target, `/api/v1/namespaces/${NAMESPACE}/events/missing`),
      };
    },
  },
  {
    // kubectl get events.events.k8s.io reads these; kubectl events reads v1's.
    name: "events.k8s.io Events: an empty list, in all namespaces, by its fields, a bad field, a missing one, a watch",
    async run(target) {
      const events = `/apis/events.k8s.io/v1/namespaces/${NAMESPACE}/events`;
      return {
        group: await get(target, "/apis/events.k8s.io"),
        namespace: await get(target, `${events}?limit=500`),
        all: await get(target, "/apis/events.k8s.io/v1/events"),
        fields: await get(
          target,
          `${events}?fieldSelector=` + encodeURIComponent(
            "regarding.name=two,regarding.kind=Service,reportingController=x,type=Warning,reason=Failed,metadata.name=y",
          ),
        ),
        badField: await get(target, `${events}?fieldSelector=note%3Dx`),
        one: await get(target, `${events}/missing`),
        watch: await watchEvents(
          target,
          `${events}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
          { done: (seen) => seen.some((event) => event.type === "BOOKMARK") },
        ),
      };
    },
  },
  {
    // kubectl describe namespace lists both, and says there are none.
    name:
      "ResourceQuotas and LimitRanges: empty lists, in all namespaces, as Tables, a missing one, a bad field, a watch",
    async run(target) {
      const policies: Record<string, Json> = {};
      for (const resource of ["resourcequotas", "limitranges"]) {
        const path = `/api/v1/namespaces/${NAMESPACE}/${resource}`;
        const table = await target.get(`${path}?limit=500`, { accept: KUBECTL_TABLE });
        const { columnDefinitions, ...rest } = await table.json();
        policies[resource] = {
          list: await get(target, `${path}?limit=500`),
          all: await get(target, `/api/v1/${resource}`),
          table: {
            status: table.status,
            ...normalize(target, rest, "state"),
            columns: columnDefinitions.map(({ name, type, format, priority }: Json) => [name, type, format, priority]),
          },
          one: await get(target, `${path}/missing`),
          badField: await get(target, `${path}?fieldSelector=spec.x%3D1`),
          byName: await get(target, `${path}?fieldSelector=metadata.name%3Dx`),
          watch: await watchEvents(
            target,
            `${path}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
            { done: (seen) => seen.some((event) => event.type === "BOOKMARK") },
          ),
        };
      }
      return policies;
    },
  },
  {
    name: "Namespaces: those of the test and the system ones listed, and one nothing was written in is a 404",
    async run(target) {
      const { status, body } = await get(target, "/api/v1/namespaces");
      return {
        status,
        kind: body.kind,
        listed: body.items.map((item: Json) => [item.metadata.name, item.status.phase]),
        missing: await get(target, "/api/v1/namespaces/diff-nosuch"),
        serviceThere: await get(target, "/api/v1/namespaces/diff-nosuch/services/two"),
      };
    },
  },
  {
    // kubectl get namespaces -w, --field-selector and -l read these.
    name: "Namespaces by their fields, a field they are not selected by, and a WatchList of them",
    async run(target) {
      const names = async (selector: string) => {
        const { status, body } = await get(target, `/api/v1/namespaces?fieldSelector=${encodeURIComponent(selector)}`);
        return status === 200 ? body.items.map((item: Json) => item.metadata.name) : { status, body };
      };
      const watched = await watchEvents(
        target,
        "/api/v1/namespaces?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
        { done: (seen) => seen.some((event) => event.type === "BOOKMARK") },
      );
      return {
        byName: await names("metadata.name=kube-public"),
        byPhase: await names("status.phase=Active,metadata.name!=default"),
        badField: await get(target, "/api/v1/namespaces?fieldSelector=spec.finalizers%3Dx"),
        added: watched.events.filter((event: Json) => event.type === "ADDED").map((event: Json) =>
          event.object.metadata.name
        ),
        bookmark: watched.events.find((event: Json) => event.type === "BOOKMARK"),
      };
    },
  },
  {
    // kubectl get namespaces -w resumes from the last resourceVersion it saw when its watch ends.
    name: "a watch of Namespaces resumed from before one was made: its ADDED, with or without bookmarks; " +
      "sendInitialEvents=false without resourceVersionMatch is refused",
    async run(target) {
      const listed = await target.get("/api/v1/namespaces", { signal: AbortSignal.timeout(10_000) });
      const from = (await listed.json()).metadata.resourceVersion;
      await target.createNamespace(MADE_NAMESPACE);
      await target.applySlice("n1", slice("made-1", "made", "10.0.6.1", { namespace: MADE_NAMESPACE }));
      const resumed = async (options: string) => {
        const watched = await watchEvents(target, `/api/v1/namespaces?watch=1&resourceVersion=${from}${options}`, {
          done: (events) => events.length > 0,
        });
        // The real server's namespace has a resourceVersion of its own, the fake's that of the write in it.
        return watched.events?.map(({ type, object }: Json) => [type, object.kind, object.metadata.name]) ?? watched;
      };
      return {
        plain: await resumed(""),
        bookmarks: await resumed("&allowWatchBookmarks=true"),
        noInitialEvents: await resumed("&sendInitialEvents=false&allowWatchBookmarks=true"),
      };
    },
  },
  {
    name: "the kubernetes Service in default: its labels and its port to the server's own",
    async run(target) {
      const { status, body } = await get(target, "/api/v1/namespaces/default/services/kubernetes");
      const [port] = body.spec.ports;
      // The server's own port, as /api names it to clients.
      const api = await get(target, "/api");
      const own = Number(api.body.serverAddressByClientCIDRs[0].serverAddress.split(":").pop());
      return { status, labels: body.metadata.labels, port: { ...port, targetPort: port.targetPort === own } };
    },
  },
  {
    name: "a Service by name: its ports, and a missing one",
    async run(target) {
      const found = await get(target, `/api/v1/namespaces/${NAMESPACE}/services/two`);
      const { kind, apiVersion, metadata, spec } = found.body;
      return [
        { status: found.status, kind, apiVersion, name: metadata.name, ports: spec.ports },
        await get(target, `/api/v1/namespaces/${NAMESPACE}/services/missing`),
      ];
    },
  },
  {
    name: "a Node by name: its zone label, and a missing one",
    async run(target) {
      const found = await get(target, "/api/v1/nodes/differential-node");
      const { kind, apiVersion, metadata } = found.body;
      return [
        { status: found.status, kind, apiVersion, name: metadata.name, zone: metadata.labels[ZONE_LABEL] },
        await get(target, "/api/v1/nodes/differential-missing"),
      ];
    },
  },
  {
    name: "lists and watches of Services and Nodes (kubectl get svc -w, get nodes -w): kinds, names, events",
    async run(target) {
      // Kinds and names only: each server allocates its own cluster IPs (see "a Service's spec").
      const read = async (path: string) => {
        const response = await target.get(path, { signal: AbortSignal.timeout(10_000) });
        const body = await response.json();
        const names = body.items?.map((item: Json) => [item.kind ?? null, item.metadata.namespace, item.metadata.name]);
        return { status: response.status, kind: body.kind, apiVersion: body.apiVersion, names };
      };
      const follow = async (path: string, rv: string, write: () => Promise<void>) => {
        const watched = await watchEvents(target, `${path}?watch=1&resourceVersion=${rv}&timeoutSeconds=3`, {
          during: write,
          done: (events) => events.length > 0,
        });
        return watched.events.map(({ type, object }: Json) => [type, object.kind, object.metadata.name]);
      };
      const services = `/api/v1/namespaces/${NAMESPACE}/services`;
      const listed = await target.get(services, { signal: AbortSignal.timeout(10_000) });
      const servicesRv = (await listed.json()).metadata.resourceVersion;
      const nodesRv = (await (await target.get("/api/v1/nodes", { signal: AbortSignal.timeout(10_000) })).json())
        .metadata.resourceVersion;
      return {
        services: await read(services),
        allNamespaces: await read(`/api/v1/services?fieldSelector=metadata.namespace%3D${NAMESPACE}`),
        byName: await read(`/api/v1/namespaces/${NAMESPACE}/services?fieldSelector=metadata.name%3Dtwo`),
        nodes: await read(`/api/v1/nodes?labelSelector=${encodeURIComponent(`${ZONE_LABEL}=zone-d`)}`),
        byType: await read(`/api/v1/namespaces/${NAMESPACE}/services?fieldSelector=spec.type%3DClusterIP`),
        schedulable: await read(
          `/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse&labelSelector=${
            encodeURIComponent(`${ZONE_LABEL}=zone-d`)
          }`,
        ),
        unknownField: await get(target, "/api/v1/services?watch=1&fieldSelector=spec.foo%3Dx"),
        nodeNamespace: await get(target, "/api/v1/nodes?fieldSelector=metadata.namespace%3Dx"),
        serviceEvents: await follow(services, servicesRv, () => target.createService("three")),
        nodeEvents: await follow("/api/v1/nodes", nodesRv, () => target.createNode("differential-node-2", "zone-d")),
      };
    },
  },
  {
    name: "a Service's spec",
    run: async (target) =>
      Object.keys((await get(target, `/api/v1/namespaces/${NAMESPACE}/services/two`)).body.spec).sort(),
  },
  {
    name: "a list of more than 128 KiB comes gzipped to a client that accepts it; a small one does not",
    async run(target) {
      for (let s = 0; s < 4; s++) {
        const addresses = Array.from({ length: 1000 }, (_, e) => `10.9.${s * 4 + (e >> 8)}.${e & 255}`);
        await target.applySlice(`big-${s}`, slice(`big-${s}`, "big", "", { namespace: OTHER_NAMESPACE, addresses }));
      }
      const list = async (name: string) => {
        const path = `/apis/discovery.k8s.io/v1/namespaces/${OTHER_NAMESPACE}/endpointslices?labelSelector=` +
          encodeURIComponent(service(name));
        const { status, encoding, body } = await get(target, path);
        return {
          status,
          encoding,
          endpoints: body.items.reduce((n: number, item: Json) => n + item.endpoints.length, 0),
        };
      };
      return { big: await list("big"), small: await list("o") };
    },
  },
  {
    name: "gt and lt selectors read labels as 64-bit integers; a continue token reads below any list's prefix",
    async run(target) {
      const numbers = { "g-1": "5", "g-2": "99999999999999999999", "g-3": "9007199254740993" };
      for (const [name, n] of Object.entries(numbers)) {
        await target.applySlice(name, slice(name, "g", "10.0.3.1", { namespace: OTHER_NAMESPACE, labels: { n } }));
      }
      const names = async (path: string, params: Record<string, string>) => {
        const { status, body } = await get(target, `${path}?${query(params)}`);
        return { status, names: body.items?.map((item: Json) => `${item.metadata.namespace}/${item.metadata.name}`) };
      };
      const token = (await get(target, `${SLICES}?limit=1`)).body.metadata.continue;
      const other = `/apis/discovery.k8s.io/v1/namespaces/${OTHER_NAMESPACE}/endpointslices`;
      return {
        beyond64Bits: await names(ALL_SLICES, { labelSelector: "n>4" }),
        past2To53: await names(ALL_SLICES, { labelSelector: "n>9007199254740992" }),
        tokenOfNamespaceInAll: await names(ALL_SLICES, { limit: "50", continue: token }),
        tokenOfNamespaceInOther: await names(other, { limit: "50", continue: token }),
      };
    },
  },
  {
    name: "a slice moved to another Service, deleted and created again: the watches of both Services and of its name",
    async run(target) {
      const other = `/apis/discovery.k8s.io/v1/namespaces/${OTHER_NAMESPACE}/endpointslices`;
      const moving = (service: string) => slice("m-1", service, "10.0.4.1", { namespace: OTHER_NAMESPACE });
      const before = await target.applySlice("m1", moving("m"));
      const from = rvOf(target, "m1");
      const watchOf = (selector: string) => `${other}?watch=1&resourceVersion=${from}&${selector}`;
      const live = await watchEvents(target, watchOf(`labelSelector=${service("n")}`), {
        done: (events) => events.length === 2,
        async during() {
          await sleep(200);
          await target.applySlice("m2", moving("n"));
          await target.deleteSlice(OTHER_NAMESPACE, "m-1");
          await target.applySlice("m3", moving("m"));
        },
      });
      const after = await target.applySlice("m3", moving("m"));
      const replay = (selector: string, count: number) =>
        watchEvents(target, watchOf(selector), { done: (events) => events.length === count });
      return {
        serviceNLive: live,
        serviceMReplayed: await replay(`labelSelector=${service("m")}`, 2),
        nameReplayed: await replay("fieldSelector=metadata.name%3Dm-1", 3),
        newUid: (before.metadata as Json).uid !== (after.metadata as Json).uid,
      };
    },
  },
  {
    name: "Tables of EndpointSlices, as kubectl asks for them: lists, a GET, versions, includeObject, a watch",
    async run(target) {
      const other = `/apis/discovery.k8s.io/v1/namespaces/${OTHER_NAMESPACE}/endpointslices`;
      const read = async (path: string, accept = KUBECTL_TABLE, kind: "object" | "state" = "state") => {
        const response = await target.get(path, { accept, signal: AbortSignal.timeout(10_000) });
        return {
          status: response.status,
          type: response.headers.get("content-type"),
          body: table(target, await response.json(), kind),
        };
      };
      const watched = async (path: string) => {
        const response = await target.get(path, { accept: KUBECTL_TABLE, signal: AbortSignal.timeout(10_000) });
        const lines = (await response.text()).split("\n").filter((line) => line !== "");
        return lines.map((line) => {
          const { type, object } = JSON.parse(line);
          // A bookmark carries the watch cache's version, which on kube-apiserver may still lag the previous step's
          // last write (seen from 2026-12-06 on a slowed machine: the write before it, where the fake gives it).
          const compared = type === "BOOKMARK"
            ? JSON.parse(line, (key, value) => key === "resourceVersion" ? "0" : value).object
            : object;
          return { type, object: table(target, compared, "object") };
        });
      };
      const initial = "watch=1&timeoutSeconds=1&allowWatchBookmarks=true&sendInitialEvents=true&" +
        "resourceVersionMatch=NotOlderThan";
      return {
        namespace: await read(SLICES),
        selected: await read(`${other}?${query({ labelSelector: service("big") })}`),
        allNamespaces: await read(`${ALL_SLICES}?${query({ labelSelector: service("g") })}`),
        page: await read(`${SLICES}?limit=1`),
        one: await read(`${SLICES}/a-2`, KUBECTL_TABLE, "object"),
        v1beta1: await read(`${SLICES}/a-2?includeObject=None`, TABLE_V1BETA1, "object"),
        whole: await read(`${SLICES}/a-2?includeObject=Object`, KUBECTL_TABLE, "object"),
        badInclude: await read(`${SLICES}?includeObject=Foo`),
        protobuf: (await read(SLICES, "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io")).status,
        watch: await watched(`${other}?${initial}&${query({ labelSelector: service("big") })}`),
        watchWithoutObjects: await watched(
          `${other}?${initial}&includeObject=None&${query({ labelSelector: service("g") })}`,
        ),
      };
    },
  },
  {
    name: "Tables of a Service and a Node, as kubectl asks for them (an allocated cluster IP compared by its shape)",
    async run(target) {
      const read = async (path: string, accept = KUBECTL_TABLE) => {
        const response = await target.get(path, { accept, signal: AbortSignal.timeout(10_000) });
        const body = await response.json();
        if (body.kind !== "Table") return { status: response.status, body: normalize(target, body) };
        const columns = body.columnDefinitions.map(({ description: _, ...column }: Json) => column);
        const age = columns.findIndex((column: Json) => column.name === "Age");
        const clusterIp = columns.findIndex((column: Json) => column.name === "Cluster-IP");
        return {
          status: response.status,
          type: response.headers.get("content-type"),
          apiVersion: body.apiVersion,
          columns,
          // Each server allocates its own: an address of 10.96.0.0/16 past its first 256.
          rows: body.rows.map(({ cells, object }: Json) => ({
            cells: cells.map((cell: string, index: number) =>
              index === age && /^\d/.test(cell)
                ? "<age>"
                : index === clusterIp && /^10\.96\.([1-9]\d*)\.\d+$/.test(cell)
                ? "<allocated>"
                : cell
            ),
            object,
          })),
        };
      };
      return {
        service: await read(`/api/v1/namespaces/${NAMESPACE}/services/two?includeObject=None`),
        serviceV1beta1: await read(`/api/v1/namespaces/${NAMESPACE}/services/two?includeObject=None`, TABLE_V1BETA1),
        node: await read("/api/v1/nodes/differential-node?includeObject=None"),
        missing: await read(`/api/v1/namespaces/${NAMESPACE}/services/missing`),
      };
    },
  },
  {
    name: "the descriptions of a Table's columns",
    async run(target) {
      const response = await target.get(SLICES, { accept: KUBECTL_TABLE, signal: AbortSignal.timeout(10_000) });
      return (await response.json()).columnDefinitions.map((column: Json) => column.description);
    },
  },
];

/** The Accept header of `kubectl get` v1.36.3. */
const KUBECTL_TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;" +
  "g=meta.k8s.io,application/json";
const TABLE_V1BETA1 = "application/json;as=Table;v=v1beta1;g=meta.k8s.io";

/**
 * A Table as comparable data: normalized as any answer, without the columns' descriptions (a known difference) and
 * with each AGE cell that counts time as `<age>` (the servers' objects are not created at the same moment).
 */
function table(target: Target, body: Json, kind: "object" | "state"): Json {
  if (body?.kind !== "Table") return normalize(target, body);
  return {
    ...normalize(target, { ...body, rows: undefined, columnDefinitions: undefined }, kind),
    columnDefinitions: body.columnDefinitions?.map(({ description: _, ...column }: Json) => column) ?? null,
    rows: body.rows.map(({ cells, object }: Json) => ({
      cells: cells.map((cell: string, index: number) => index === 4 && /^\d/.test(cell) ? "<age>" : cell),
      object: normalize(target, object),
    })),
  };
}

/** The resourceVersions of each target's labelled writes. */
const resourceVersions = new WeakMap<Target, Map<string, string>>();

/** The resourceVersion a target remembers under a write's label. */
function rvOf(target: Target, label: string): string {
  const rv = resourceVersions.get(target)?.get(label);
  if (rv === undefined) throw new Error(`Cannot find write ${label} of the ${target.name} server`);
  return rv;
}

/** Wraps a target so that every labelled write's resourceVersion can be read back with rvOf(). */
function recording(target: Target): Target {
  const mine = new Map<string, string>();
  const wrapped: Target = {
    ...target,
    async applySlice(label, spec) {
      const stored = await target.applySlice(label, spec);
      mine.set(label, (stored.metadata as { resourceVersion: string }).resourceVersion);
      return stored;
    },
  };
  resourceVersions.set(wrapped, mine);
  return wrapped;
}

/**
 * The `kubectl get` commands whose output must be the same against both servers, ages apart (and a cluster IP each
 * server allocated: compared cell by cell).
 */
const KUBECTL_GETS = [
  ["get", "endpointslices", "-n", OTHER_NAMESPACE, "-l", "kubernetes.io/service-name=k"],
  ["get", "endpointslices", "-n", OTHER_NAMESPACE, "-l", "kubernetes.io/service-name=k", "-o", "wide"],
  ["get", "endpointslices", "-A", "-l", "kubernetes.io/service-name=k"],
  ["get", "endpointslice", "k-1", "-n", OTHER_NAMESPACE],
  ["get", "endpointslices", "-n", OTHER_NAMESPACE, "-l", "kubernetes.io/service-name=k", "-w"],
  ["get", "service", "two", "-n", NAMESPACE],
  ["get", "service", "two", "-n", NAMESPACE, "-o", "wide"],
  ["get", "node", "differential-node"],
  ["get", "node", "differential-node", "-o", "wide"],
  ["get", "services", "-n", NAMESPACE, "-w"],
  ["get", "services", "-A", "--field-selector", `metadata.namespace=${NAMESPACE}`],
  ["get", "nodes", "-w"],
  ["get", "nodes", "-l", `${ZONE_LABEL}=zone-d`, "--watch-only"],
  ["get", "all", "-n", NAMESPACE],
  ["get", "events", "-n", NAMESPACE],
  ["get", "events", "-A"],
  ["get", "service", "nope", "-n", NAMESPACE],
  // A namespace nothing was ever written in: kubectl names it, not the Service.
  ["get", "service", "nope", "-n", "diff-nosuch"],
  ["get", "namespaces"],
  // The kubernetes Service, which every cluster has from its start.
  ["get", "services", "-n", "default"],
  ["get", "events.events.k8s.io", "-A"],
  ["get", "events.events.k8s.io", "nope", "-n", NAMESPACE],
  ["get", "endpointslice", "nope", "-n", NAMESPACE],
  ["describe", "namespace", NAMESPACE],
  ["describe", "service", "two", "-n", NAMESPACE],
  ["get", "service", "headless", "-n", NAMESPACE, "-o", "wide"],
  ["describe", "service", "headless", "-n", NAMESPACE],
  // One Service of each other type, with the cluster IP and node ports given, so that every cell can be compared.
  ["get", "services", "-n", NAMESPACE, "-l", "differential=types", "-o", "wide"],
  ["describe", "service", "typed-nodeport", "-n", NAMESPACE],
  ["describe", "service", "typed-loadbalancer", "-n", NAMESPACE],
  ["describe", "service", "typed-externalname", "-n", NAMESPACE],
  ["get", "resourcequotas", "-n", NAMESPACE],
  ["get", "limitranges", "-A"],
  ["describe", "endpointslice", "k-1", "-n", OTHER_NAMESPACE],
  ["get", "endpointslices", "-n", OTHER_NAMESPACE, "-l", "kubernetes.io/service-name=k", "-o", "name"],
  ["get", "namespaces", "-l", `kubernetes.io/metadata.name=${NAMESPACE}`, "-o", "jsonpath={.items[*].metadata.labels}"],
  ["events", "-n", NAMESPACE],
  ["api-resources", "--api-group=discovery.k8s.io"],
];

/**
 * kubectl's table as cells, lines joined by newlines and cells by ` | `, each age as `<age>` and each address the
 * servers allocated (past the first 256 of 10.96.0.0/16) as `<ip>` (the widths of those cells move the columns).
 */
function cellsOf(printed: string): string {
  return printed.trim().split("\n").map((line) =>
    line.trim().split(/ {2,}/).map((cell) =>
      /^\d+[smhdy][\dsmhdy]*$/.test(cell) ? "<age>" : /^10\.96\.([1-9]\d*)\.\d+$/.test(cell) ? "<ip>" : cell
    ).join(" | ")
  ).join("\n");
}

/** The kubectl commands whose exit codes and output must be the same against both servers. */
const KUBECTL_REVIEWS = [
  ["auth", "can-i", "list", "endpointslices.discovery.k8s.io", "-n", NAMESPACE],
  ["auth", "can-i", "watch", "endpointslices.discovery.k8s.io", "-n", OTHER_NAMESPACE],
  ["auth", "can-i", "get", "/healthz"],
  ["auth", "can-i", "get", "/metrics"],
  ["auth", "can-i", "post", "/healthz"],
  // The real user's name (the admin's) and uid differ; its groups must not.
  ["auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}"],
];

/**
 * What kubectl prints and exits with for each of {@linkcode KUBECTL_REVIEWS} (protobuf reviews, and a path's)
 * with one kubeconfig. kubectl sends no token over plain HTTP: the fake serves TLS for it.
 */
async function kubectlReviews(kubectl: string, user: string, kubeconfig: string, home: string) {
  const outcomes: Record<string, { code: number; stdout: string; stderr: string }> = {};
  for (const args of KUBECTL_REVIEWS) {
    const output = await new Deno.Command(kubectl, {
      args: [`--kubeconfig=${kubeconfig}`, ...args],
      clearEnv: true,
      env: childEnv({ HOME: home, PATH: "/usr/bin:/bin" }),
      signal: AbortSignal.timeout(20_000),
    }).output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
    outcomes[`${user}: kubectl ${args.join(" ")}`] = {
      code: output.code,
      stdout: text(output.stdout),
      stderr: text(output.stderr),
    };
  }
  return outcomes;
}

/** Runs one case on both servers at once and compares, or checks a known difference. */
async function compare(
  step: Case,
  fake: Target,
  real: Target,
  memos: Record<string, Memo>,
): Promise<void> {
  const [fakeAnswer, realAnswer] = await Promise.all([step.run(fake, memos.fake), step.run(real, memos.real)]);
  const known = KNOWN[step.name];
  if (known === undefined) {
    assert.deepEqual(fakeAnswer, realAnswer, `the fake answers "${step.name}" unlike kube-apiserver`);
    return;
  }
  assert.notDeepEqual(fakeAnswer, realAnswer, `"${step.name}" is listed as a known difference but now matches`);
  log(`known difference, ${step.name}: ${known}`);
}

Deno.test({
  name: "the fake API server answers like kube-apiserver v1.36.3",
  ignore: await localControlPlaneSkipped(log) !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const started = Date.now();
    const controlPlane: ControlPlane = await startControlPlane({ log, apiServer: { anonymousAuth: true } });
    const fakeServer = await fakeTarget();
    const realServer = await realTarget(controlPlane);
    const fake = recording(fakeServer);
    const real = recording(realServer);
    const memos = { fake: new Map(), real: new Map() };
    try {
      for (const step of cases) {
        await t.step({
          name: KNOWN[step.name] === undefined ? step.name : `${step.name} (known difference)`,
          sanitizeOps: false,
          sanitizeResources: false,
          fn: () => compare(step, fake, real, memos),
        });
      }
      await t.step({
        name:
          "plain HTTP to the HTTPS port (an http:// URL): the same answer, Go's 400, to the starts Go takes for HTTP, " +
          "and none (a close) to PATCH and DELETE",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          const fixture = (name: string) => Deno.readTextFile(new URL(`../fixtures/${name}`, import.meta.url));
          const tlsFake = await fakeTarget({
            tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
          });
          try {
            const starts = ["GET /version", "HEAD /version", "POST /api", "PUT /api", "OPTIONS *"];
            for (const start of [...starts, "PATCH /api/v1/namespaces/diff/services/two", "DELETE /api"]) {
              const [fakeAnswer, realAnswer] = await Promise.all(
                [tlsFake.server.url, controlPlane.server].map((url) => plainHttpAnswer(url, start)),
              );
              assert.equal(fakeAnswer, realAnswer, start);
            }
          } finally {
            await tlsFake.server.close();
          }
        },
      });
      await t.step({
        name: "kubectl auth can-i and auth whoami, as the admin and as the reader: the same exit codes and output",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          const kubectl = join(binaryCacheDirectory(), `kubectl-${(await findBinaries()).kubernetesVersion}`);
          if (!existsSync(kubectl)) return log(`no ${kubectl}: kubectl's reviews are not compared`);
          const fixture = (name: string) => Deno.readTextFile(new URL(`../fixtures/${name}`, import.meta.url));
          const ca = await fixture("ca.pem");
          const tlsFake = await fakeTarget({
            tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
          });
          const home = await Deno.makeTempDir({ prefix: "kgr-differential-kubectl-" });
          try {
            const write = async (name: string, config: unknown) => {
              await Deno.writeTextFile(join(home, name), JSON.stringify(config));
              return join(home, name);
            };
            const fakeConfig = await write("fake.kubeconfig", tlsFake.server.kubeconfig({ ca }));
            const fakeAnswers = {
              ...await kubectlReviews(kubectl, "admin", fakeConfig, home),
              // The fake's one token is the reader's while asReader() runs.
              ...await tlsFake.asReader(() => kubectlReviews(kubectl, "reader", fakeConfig, home)),
            };
            const realAnswers = {
              ...await kubectlReviews(kubectl, "admin", controlPlane.adminKubeconfigPath, home),
              ...await real.asReader(async (as) => {
                const token = (as as { authorization: string }).authorization.replace(/^Bearer /, "");
                const reader = await write("real-reader.kubeconfig", {
                  apiVersion: "v1",
                  kind: "Config",
                  clusters: [{
                    name: "real",
                    cluster: { server: controlPlane.server, "certificate-authority": controlPlane.caFile },
                  }],
                  users: [{ name: "reader", user: { token } }],
                  contexts: [{ name: "reader", context: { cluster: "real", user: "reader" } }],
                  "current-context": "reader",
                });
                return await kubectlReviews(kubectl, "reader", reader, home);
              }),
            };
            assert.deepEqual(fakeAnswers, realAnswers);
          } finally {
            await tlsFake.server.close();
            await Deno.remove(home, { recursive: true });
          }
        },
      });
      await t.step({
        name: "kubectl get endpointslices (a namespace, -l, -A, -o wide, a name, -w), services and nodes (a name, " +
          "-w, --watch-only, selectors), get all, get events, describe namespace and service, get resourcequotas and " +
          "limitranges, a Service of each type: the same output but for AGE (and an allocated cluster IP)",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          const kubectl = join(binaryCacheDirectory(), `kubectl-${(await findBinaries()).kubernetesVersion}`);
          if (!existsSync(kubectl)) return log(`no ${kubectl}: kubectl's tables are not compared`);
          const fixture = (name: string) => Deno.readTextFile(new URL(`../fixtures/${name}`, import.meta.url));
          const tlsFake = await fakeTarget({
            tls: { cert: await fixture("server.pem"), key: await fixture("server-key.pem") },
          });
          const home = await Deno.makeTempDir({ prefix: "kgr-differential-kubectl-" });
          try {
            const fakeConfig = join(home, "fake.kubeconfig");
            await Deno.writeTextFile(
              fakeConfig,
              JSON.stringify(tlsFake.server.kubeconfig({ ca: await fixture("ca.pem") })),
            );
            const addresses = ["10.0.5.1", "10.0.5.2", "10.0.5.3", "10.0.5.4"];
            for (const target of [tlsFake, real]) {
              await target.applySlice("k1", slice("k-1", "k", "", { namespace: OTHER_NAMESPACE, addresses }));
              await target.applySlice("k2", slice("k-2", "k", "10.0.5.9", { namespace: OTHER_NAMESPACE }));
            }
            // The real server has them since the first cases.
            await tlsFake.applySlice("n1", slice("made-1", "made", "10.0.6.1", { namespace: MADE_NAMESPACE }));
            await tlsFake.createService("two");
            await tlsFake.createService("three");
            await tlsFake.createNode("differential-node", "zone-d");
            await tlsFake.createNode("differential-node-2", "zone-d");
            // A headless Service without a selector: CLUSTER-IP None, both IP families and RequireDualStack.
            const headless = {
              metadata: { namespace: NAMESPACE, name: "headless" },
              spec: { clusterIP: "None", ports: [{ name: "grpc", port: 80 }] },
            };
            const typed = (type: string, index: number, spec: Record<string, unknown>) => ({
              metadata: {
                namespace: NAMESPACE,
                name: `typed-${type.toLowerCase()}`,
                labels: { differential: "types" },
              },
              spec: type === "ExternalName" ? { type, ports: [{ name: "grpc", port: 80 }], ...spec } : {
                type,
                clusterIP: `10.96.0.${60 + index}`,
                selector: { app: "typed" },
                ports: [{ name: "grpc", port: 80, targetPort: 8080, nodePort: 30060 + index }],
                ...spec,
              },
            });
            for (
              const input of [
                headless,
                typed("NodePort", 0, {}),
                typed("LoadBalancer", 1, { externalTrafficPolicy: "Local", healthCheckNodePort: 30063 }),
                typed("ExternalName", 2, { externalName: "db.example.com" }),
              ]
            ) {
              tlsFake.server.applyService(input as unknown as ServiceInput);
              const created = await controlPlane.adminFetch(`/api/v1/namespaces/${NAMESPACE}/services`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(input),
              });
              assert.equal(created.status, 201, await created.text());
            }
            const printed = async (kubeconfig: string) => {
              const outcomes: Record<string, Json> = {};
              for (const args of KUBECTL_GETS) {
                const watching = args.includes("-w");
                const output = await new Deno.Command(kubectl, {
                  args: [`--kubeconfig=${kubeconfig}`, ...args],
                  clearEnv: true,
                  env: childEnv({ HOME: home, PATH: "/usr/bin:/bin" }),
                  // A watch prints the current rows, then waits: it is stopped after 3 s.
                  signal: AbortSignal.timeout(watching ? 3_000 : 20_000),
                }).output();
                const core = ["service", "services", "node", "nodes", "all"].includes(args[1]);
                // kubectl names each row's kind when `all` spans several resources: ten on a real server
                // (pods, deployments, ...), only Services on the fake, which serves no other of them.
                const kinds = (printed: string) => args[1] === "all" ? printed.replace(/^service\//gm, "") : printed;
                const text = (bytes: Uint8Array) =>
                  core
                    ? kinds(cellsOf(new TextDecoder().decode(bytes)))
                    : new TextDecoder().decode(bytes).trim().replace(/ +\d[\dsmhdy]*$/gm, " <age>");
                outcomes[`kubectl ${args.join(" ")}`] = {
                  code: watching ? "stopped" : output.code,
                  stdout: text(output.stdout),
                  stderr: text(output.stderr),
                };
              }
              return outcomes;
            };
            const fakeOutcomes = await printed(fakeConfig);
            await dropClusterIpRepairEvents(controlPlane, NAMESPACE);
            assert.deepEqual(fakeOutcomes, await printed(controlPlane.adminKubeconfigPath));
          } finally {
            await tlsFake.server.close();
            await Deno.remove(home, { recursive: true });
          }
        },
      });
      await t.step({
        name: "a Service's clusterIP after creation: a change refused in the real server's words; left out, kept",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          const { onFake, onReal } = serviceAppliers(fakeServer.server, controlPlane);
          const run = async (apply: Apply) => {
            const answers: Json[] = [];
            const labels = allocationLabels();
            const step = async (name: string, spec: Record<string, unknown>) => {
              answers.push(labels(await apply(name, spec)));
            };
            await step("plain", {});
            await step("plain", { clusterIP: "None" });
            await step("headless", { clusterIP: "None", selector: { app: "a" } });
            await step("headless", { clusterIP: "10.96.0.50" });
            await step("headless", { selector: { app: "a" } });
            await step("headless", { clusterIP: "", clusterIPs: [], selector: { app: "a" } });
            await step("headless", { ipFamilyPolicy: "RequireDualStack" });
            await step("headless", {});
            await step("headless", { ipFamilyPolicy: "SingleStack" });
            await step("manual", { clusterIP: "None" });
            await step("manual", { selector: { app: "a" } });
            // A replacement that gives clusterIPs without clusterIP: the stored clusterIP is filled in first.
            await step("headless", { clusterIPs: ["None"], selector: { app: "a" } });
            await step("headless", { clusterIPs: ["10.0.0.5"], selector: { app: "a" } });
            await step("plain", { clusterIPs: ["None"] });
            // A headless Service without a selector given the other family first, and then none.
            await step("manual", { ipFamilies: ["IPv6"] });
            await step("manual", { ipFamilies: ["IPv6"], ipFamilyPolicy: "SingleStack" });
            return answers;
          };
          const fakeAnswers = await run(onFake);
          const realAnswers = await run(onReal);
          assert.deepEqual(fakeAnswers, realAnswers);
        },
      });
      await t.step({
        name: "Service types: ClusterIP, NodePort, LoadBalancer and ExternalName created, changed and refused, with " +
          "cluster IPs and node ports given or allocated (compared by the order they appear in)",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          const { onFake, onReal } = serviceAppliers(fakeServer.server, controlPlane);
          const selector = { app: "a" };
          const run = async (apply: Apply) => {
            const labels = allocationLabels();
            const answers: Json[] = [];
            const step = async (name: string, spec: Record<string, unknown>) => {
              const answer = await apply(`t-${name}`, spec);
              answers.push({ name, spec: labels(spec), answer: labels(answer) });
              return answer;
            };
            // One Service through every type and back, as kubectl replace does.
            await step("a", { selector });
            await step("a", { selector, type: "NodePort" });
            await step("a", { selector, type: "LoadBalancer" });
            await step("a", { selector, type: "LoadBalancer", externalTrafficPolicy: "Local" });
            await step("a", { selector, type: "ClusterIP" });
            await step("a", { selector, type: "ExternalName", externalName: "a.example.com" });
            await step("a", { selector, type: "ClusterIP" });
            await step("a", { selector, clusterIP: "10.96.9.9" });
            // Given cluster IPs (in the lower band, which the allocators leave to given ones).
            await step("ip", { clusterIP: "10.96.0.55" });
            await step("ip-taken", { clusterIP: "10.96.0.55" });
            await step("ip-kubernetes", { clusterIP: "10.96.0.1" });
            await step("ip-out", { clusterIP: "10.0.0.10" });
            await step("ip-broadcast", { clusterIP: "10.96.255.255" });
            await step("ip-v6", { clusterIP: "fd00::1" });
            // Node ports.
            await step("np", { type: "NodePort", ports: [{ name: "grpc", port: 80, nodePort: 30070 }] });
            await step("np-taken", { type: "NodePort", ports: [{ name: "grpc", port: 80, nodePort: 30070 }] });
            await step("np-out", { type: "NodePort", ports: [{ name: "grpc", port: 80, nodePort: 8080 }] });
            const twice = [{ name: "a", port: 80, nodePort: 30071 }, { name: "b", port: 81, nodePort: 30071 }];
            await step("np-twice", { type: "NodePort", ports: twice });
            const dns = [{ name: "a", port: 53 }, { name: "b", port: 53, protocol: "UDP", nodePort: 30072 }];
            await step("np-dns", { type: "NodePort", ports: dns });
            await step("np-headless", { type: "NodePort", clusterIP: "None" });
            await step("np-plain", { ports: [{ name: "grpc", port: 80, nodePort: 30073 }] });
            await step("np-policy", { externalTrafficPolicy: "Local" });
            await step("np-policy", { type: "NodePort", externalTrafficPolicy: "Foo" });
            await step("np-allocate", { type: "NodePort", allocateLoadBalancerNodePorts: true });
            // The node port given back unchanged to a ClusterIP Service is dropped.
            await step("np", { type: "ClusterIP", ports: [{ name: "grpc", port: 80, nodePort: 30070 }] });
            // Dropped too when none given back is new: a subset, in another order; a new one is refused.
            const pair = [{ name: "x", port: 80, nodePort: 30075 }, { name: "y", port: 81, nodePort: 30076 }];
            await step("np-pair", { type: "NodePort", ports: pair });
            await step("np-pair", { type: "ClusterIP", ports: [pair[1], { name: "x", port: 80 }] });
            await step("np-pair2", { type: "NodePort", ports: pair });
            await step("np-pair2", {
              type: "ClusterIP",
              ports: [{ ...pair[0], nodePort: 30077 }, { name: "y", port: 81 }],
            });
            await step("np-pair2", { type: "ExternalName", externalName: "a.b", ports: [pair[1], pair[0]] });
            // LoadBalancer: node ports follow the port names across a replacement.
            await step("lb", { type: "LoadBalancer", allocateLoadBalancerNodePorts: false });
            const xy = [{ name: "x", port: 80 }, { name: "y", port: 81 }];
            await step("lb-named", { type: "LoadBalancer", ports: xy });
            await step("lb-named", { type: "LoadBalancer", ports: [{ name: "y", port: 81 }, { name: "x", port: 82 }] });
            await step("lb-headless", { type: "LoadBalancer", clusterIP: "None" });
            // Read back and given as ExternalName: all it had as a LoadBalancer one is dropped.
            const local = await step("lb-local", { type: "LoadBalancer", externalTrafficPolicy: "Local" });
            await step("lb-local", { ...local, type: "ExternalName", externalName: "a.example.com" });
            // ExternalName.
            await step("en", { type: "ExternalName", externalName: "db.example.com", ports: [] });
            await step("en-ported", { type: "ExternalName", externalName: "db.example.com", selector });
            await step("en-trailing", { type: "ExternalName", externalName: "db.example.com.", ports: [] });
            await step("en-local", { type: "ExternalName", externalName: "a.b", internalTrafficPolicy: "Local" });
            // An ExternalName Service's node ports are kept unchecked, and hold nothing.
            const held = [{ name: "grpc", port: 80, nodePort: 30072 }];
            await step("en-node-port", { type: "ExternalName", externalName: "a.b", ports: held });
            // Never allocated, they are not dropped for a ClusterIP Service: refused.
            await step("en-node-port", { type: "ClusterIP", ports: held });
            await step("en-port-80", {
              type: "ExternalName",
              externalName: "a.b",
              ports: [{ port: 80, nodePort: 80 }],
            });
            await step("en-free", {
              type: "ExternalName",
              externalName: "a.b",
              ports: [{ port: 80, nodePort: 30074 }],
            });
            await step("np-after-en", { type: "NodePort", ports: [{ name: "grpc", port: 80, nodePort: 30074 }] });
            await step("en-nameless", { type: "ExternalName" });
            await step("en-bad", { type: "ExternalName", externalName: "Bad_Name" });
            await step("en-ip", { type: "ExternalName", externalName: "a.b", clusterIP: "10.96.0.56" });
            await step("en-families", { type: "ExternalName", externalName: "a.b", ipFamilies: ["IPv4"] });
            await step("en-policy", { type: "ExternalName", externalName: "a.b", externalTrafficPolicy: "Cluster" });
            await step("en-family-policy", {
              type: "ExternalName",
              externalName: "a.b",
              ipFamilyPolicy: "SingleStack",
            });
            // Session affinity: ClientIP with its timeout defaulted or given; None drops a config given with it.
            const minute = { clientIP: { timeoutSeconds: 60 } };
            await step("affinity", { sessionAffinity: "ClientIP" });
            await step("affinity-short", { sessionAffinity: "ClientIP", sessionAffinityConfig: minute });
            await step("affinity-none", { sessionAffinity: "None", sessionAffinityConfig: minute });
            await step("affinity-bad", { sessionAffinity: "Sticky" });
            const day = { clientIP: { timeoutSeconds: 86401 } };
            await step("affinity-long", { sessionAffinity: "ClientIP", sessionAffinityConfig: day });
            await step("bad", { type: "Foo" });
            return answers;
          };
          const fakeAnswers = await run(onFake);
          const realAnswers = await run(onReal);
          for (const [index, answer] of realAnswers.entries()) assert.deepEqual(fakeAnswers[index], answer);
        },
      });
      await t.step({
        name: "a Service with several problems: every one listed, in the real server's order; an allocator's alone",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          const grpc = [{ name: "grpc", port: 80 }];
          const specs: Record<string, Record<string, unknown>> = {
            "m-type": { type: "Foo", sessionAffinity: "Sticky", ports: grpc },
            "m-portless": { type: "Foo", ports: [] },
            "m-node-port": { sessionAffinity: "Sticky", ports: [{ name: "grpc", port: 80, nodePort: 30001 }] },
            "m-fields": {
              healthCheckNodePort: 30051,
              externalTrafficPolicy: "Local",
              internalTrafficPolicy: "X",
              allocateLoadBalancerNodePorts: true,
              ports: grpc,
            },
            "m-external": {
              type: "ExternalName",
              externalName: "Bad_Name",
              ipFamilyPolicy: "SingleStack",
              ipFamilies: ["IPv4"],
              clusterIP: "10.96.0.9",
              sessionAffinity: "Sticky",
            },
            "m-ports": {
              ports: [{ name: "grpc", port: 80, protocol: "XX" }, { name: "grpc", port: 81 }, { port: 82 }],
              sessionAffinity: "ClientIP",
              sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
            },
            "m-address": { type: "Foo", sessionAffinity: "Sticky", clusterIP: "abc", ports: grpc },
            "m-port-zero": { ports: [{ name: "grpc", port: 80, protocol: "XX" }, { name: "grpc", port: 0 }] },
            "m-port-fields": {
              type: "Foo",
              ports: [{ name: "a", port: 70000, protocol: "XX" }, { name: "a", port: 80 }],
            },
            // Names left out are each required, not repeated.
            "m-unnamed": { ports: [{ port: 80 }, { port: 81 }] },
          };
          // The fake's advice after the real server's words.
          const advice =
            / \((give type NodePort|give "None"|of type NodePort|an ExternalName Service names|a Service with more|a \S+ Service needs)[^()]*(?:\([^()]*\)[^()]*)*\)/g;
          const path = `/api/v1/namespaces/${OTHER_NAMESPACE}/services`;
          for (const [name, spec] of Object.entries(specs)) {
            let fakeAnswer: string;
            try {
              fakeServer.server.applyService({ metadata: { namespace: OTHER_NAMESPACE, name }, spec } as ServiceInput);
              fakeAnswer = "stored";
            } catch (error) {
              fakeAnswer = (error as Error).message.replace(/^Cannot apply Service "[^"]+": /, "").replace(advice, "");
            }
            const response = await controlPlane.adminFetch(path, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ metadata: { name, namespace: OTHER_NAMESPACE }, spec }),
            });
            const body = await response.json();
            const realAnswer = response.status < 300
              ? "stored"
              : body.message.replace(/^Service "[^"]+" is invalid: /, "");
            assert.equal(fakeAnswer, realAnswer, name);
          }
        },
      });
      await t.step({
        name: "a slice with several problems: every one listed, metadata, then ports, then endpoints (by the fields " +
          "named, as the fake words the problems its own way)",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          const base = { namespace: OTHER_NAMESPACE, labels: { "kubernetes.io/service-name": "a" } };
          const slices: Json[] = [
            {
              metadata: { ...base, name: "m-all", labels: { "a b": "c" } },
              addressType: "IPv4",
              endpoints: [{ addresses: ["1.2.3"] }, { addresses: ["10.0.0.1"], hostname: "A_B" }],
              ports: [{ name: "GRPC", port: 80 }, { name: "x", port: 80, protocol: "XX" }],
            },
            {
              metadata: { ...base, name: "m-endpoints" },
              addressType: "IPv4",
              endpoints: [{ addresses: ["10.0.0.1"], nodeName: "a b" }, { addresses: ["::1"] }],
            },
            {
              // Every field of each port; the repeat of a name at its own index.
              metadata: { ...base, name: "m-ports" },
              addressType: "IPv4",
              ports: [{ name: "A", port: 80, protocol: "XX" }, { name: "a", port: 80 }, { name: "a", port: 81 }],
            },
            {
              metadata: { ...base, name: "m-annotations", annotations: { "a b": "c" } },
              addressType: "IPv4",
              ports: [{ name: "a", port: 80, appProtocol: "a b" }],
            },
          ];
          const path = `/apis/discovery.k8s.io/v1/namespaces/${OTHER_NAMESPACE}/endpointslices?dryRun=All`;
          // A field as both name it: an address by its list (the fake names the list, the real server the entry).
          const field = (name: string) => name.replace(/\.addresses\[\d+\]$/, ".addresses");
          for (const slice of slices) {
            const response = await controlPlane.adminFetch(path, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", ...slice }),
            });
            const body = await response.json();
            const realFields = [
              ...new Set<string>((body.details?.causes ?? []).map((cause: Json) => field(cause.field))),
            ];
            let message = "stored";
            try {
              fakeServer.server.applySlice(slice);
            } catch (error) {
              message = (error as Error).message.replace(/^Cannot apply EndpointSlice "[^"]+": /, "");
            }
            // Each field the real server names, in its order, in one list (brackets for several).
            assert.equal(response.status, 422, JSON.stringify(body));
            const at = realFields.map((name: string) => message.indexOf(name));
            assert.ok(at.every((index: number) => index !== -1), `${message} names ${realFields}`);
            assert.deepEqual(at, at.toSorted((a: number, b: number) => a - b), message);
            assert.equal(message.startsWith("["), realFields.length > 1, message);
          }
        },
      });
      await t.step({
        name: "a watch cache that no longer holds the resume point: a 410 ERROR event, for Services, Namespaces and " +
          "Nodes too; a list there still works",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          // The real server: a restart starts its watch cache at the current resourceVersion,
          // while etcd keeps the history. The fake: a watch cache window (watchCacheSize) that
          // rolled past the resume point, on a server given the same first writes.
          const windowedServer = await fakeTarget({ watchCacheSize: 2 });
          const windowed = recording(windowedServer);
          await cases[0].run(windowed, new Map());
          await controlPlane.stopApiServer();
          await controlPlane.startApiServer({ anonymousAuth: true });
          const observe = async (target: Target) => ({
            watch: await watchEvents(target, `${SLICES}?watch=1&resourceVersion=${rvOf(target, "w1")}`),
            list: await get(target, `${SLICES}?resourceVersion=${rvOf(target, "w1")}&resourceVersionMatch=Exact`),
            // Every watch cache restarted, those of resources that did not change since too.
            ...Object.fromEntries(
              await Promise.all(
                ["services", `namespaces/${NAMESPACE}/services`, "namespaces", "nodes"].map(async (path) => [
                  path,
                  await watchEvents(target, `/api/v1/${path}?watch=1&resourceVersion=${rvOf(target, "w1")}`),
                ]),
              ),
            ),
          });
          const [fakeAnswer, realAnswer] = await Promise.all([observe(windowed), observe(real)]);
          await windowedServer.server.close();
          assert.deepEqual(fakeAnswer, realAnswer);
        },
      });
      await t.step({
        name: "after compaction: an exact list, watches (of Namespaces too) and an old continue token get 410; a " +
          "WatchList of Namespaces from there gets the current state",
        sanitizeOps: false,
        sanitizeResources: false,
        async fn() {
          fakeServer.server.compact();
          await controlPlane.compactEtcd();
          const observe = async (target: Target, memo: Memo) => ({
            list: await get(target, `${SLICES}?resourceVersion=${rvOf(target, "w1")}&limit=10`),
            exact: await get(target, `${SLICES}?resourceVersion=${rvOf(target, "w1")}&resourceVersionMatch=Exact`),
            watch: await watchEvents(target, `${SLICES}?watch=1&resourceVersion=${rvOf(target, "w1")}`),
            services: await watchEvents(target, `/api/v1/services?watch=1&resourceVersion=${rvOf(target, "w1")}`),
            namespaces: await watchEvents(target, `/api/v1/namespaces?watch=1&resourceVersion=${rvOf(target, "w1")}`),
            namespacesWithBookmarks: await watchEvents(
              target,
              `/api/v1/namespaces?watch=1&allowWatchBookmarks=true&resourceVersion=${rvOf(target, "w1")}`,
            ),
            // Not older than a compacted resourceVersion: the current state, no 410 (each namespace's own
            // resourceVersion differs: the real server gives it one, the fake that of the write that made it).
            namespacesWatchList: (await watchEvents(
              target,
              "/api/v1/namespaces?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&" +
                `allowWatchBookmarks=true&resourceVersion=${rvOf(target, "w1")}`,
              { done: (seen) => seen.some((event) => event.type === "BOOKMARK") },
            )).events.map(({ type, object }: Json) => [type, object.metadata.name ?? object.metadata.resourceVersion]),
            continued: await get(target, `${SLICES}?limit=1&continue=${memo.get("continue")}`),
          });
          assert.deepEqual(await observe(fake, memos.fake), await observe(real, memos.real));
        },
      });
    } catch (error) {
      log(await controlPlane.logs(40));
      throw error;
    } finally {
      await fakeServer.server.close();
      realServer.close();
      await controlPlane.stop();
      log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  },
});

/** What the server at `url` (an https:// one) writes to a plain HTTP request that starts with `start`, until it closes. */
async function plainHttpAnswer(url: string, start: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  await connection.write(new TextEncoder().encode(`${start} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`));
  return new TextDecoder("latin1").decode(await new Response(connection.readable).arrayBuffer());
}

/** Creates or replaces a Service in {@linkcode OTHER_NAMESPACE} as `kubectl replace` does: its spec, or the refusal. */
type Apply = (name: string, spec: Record<string, unknown>) => Promise<Json>;

/**
 * {@linkcode Apply} on each server, a gRPC port unless the spec gives ports: `applyService()` on the fake, a POST or
 * PUT on the real one. A refusal is its reason without the fake's advice after it (the last parenthesis).
 */
function serviceAppliers(fake: FakeApiServer, controlPlane: ControlPlane): { onFake: Apply; onReal: Apply } {
  const path = `/api/v1/namespaces/${OTHER_NAMESPACE}/services`;
  const grpc = [{ name: "grpc", port: 80 }];
  // The fake's advice, within a list of refusals too, and what ends a single one.
  const trimmed = (reason: string) =>
    reason.replace(/ \(the fake API server is an IPv4 cluster[^()]*\)/g, "").replace(/ \(.*\)$/, "");
  const onFake: Apply = (name, spec) => {
    try {
      const input = { metadata: { namespace: OTHER_NAMESPACE, name }, spec: { ports: grpc, ...spec } };
      return Promise.resolve(fake.applyService(input as unknown as ServiceInput).spec);
    } catch (error) {
      return Promise.resolve(trimmed((error as Error).message.replace(/^Cannot apply Service "[^"]+": /, "")));
    }
  };
  const onReal: Apply = async (name, spec) => {
    const current = await controlPlane.adminFetch(`${path}/${name}`);
    const stored = current.status === 200 ? await current.json() : undefined;
    const response = await controlPlane.adminFetch(stored === undefined ? path : `${path}/${name}`, {
      method: stored === undefined ? "POST" : "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        metadata: { name, namespace: OTHER_NAMESPACE, resourceVersion: stored?.metadata.resourceVersion },
        spec: { ports: grpc, ...spec },
      }),
    });
    const body = await response.json();
    return response.status < 300 ? body.spec : trimmed(body.message.replace(/^Service "[^"]+" is invalid: /, ""));
  };
  return { onFake, onReal };
}

/**
 * Replaces the cluster IPs and node ports a server allocated (an address of 10.96.0.0/16 past its first 256, a port
 * of 30086-32767: the upper bands, which neither server allocates a given one from in these steps) with labels in the
 * order they first appear, `<ip 1>`, `<port 1>`, so that a value kept reads the same on both servers.
 */
function allocationLabels(): (answer: Json) => Json {
  const seen = new Map<string | number, string>();
  const label = (value: string | number, kind: string) => {
    if (!seen.has(value)) {
      seen.set(
        value,
        `<${kind} ${[...seen.values()].filter((v) => v.startsWith(`<${kind}`)).length + 1}>`,
      );
    }
    return seen.get(value)!;
  };
  const walk = (value: Json, key = ""): Json => {
    if (Array.isArray(value)) return value.map((item) => walk(item, key));
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, walk(entry, name)]));
    }
    const ip = typeof value === "string" && /^10\.96\.(\d+)\.\d+$/.exec(value);
    if (ip && Number(ip[1]) >= 1 && key.startsWith("clusterIP")) return label(value, "ip");
    if (typeof value === "number" && /nodePort$|NodePort$/.test(key) && value >= 30086) return label(value, "port");
    return value;
  };
  return walk;
}

/**
 * Deletes the real server's `ClusterIPNotAllocated` warnings in `namespace`: kube-apiserver's IP allocator repair
 * loop sometimes reads a Service created with a cluster IP before that IP's allocation, warns "is not allocated;
 * repairing" and allocates it (once in CI 475, under load: `kubectl describe service`, `kubectl events` and `get
 * events` then showed an event the fake, which has no repair loop, never makes).
 */
async function dropClusterIpRepairEvents(controlPlane: ControlPlane, namespace: string): Promise<void> {
  const listed = await controlPlane.adminFetch(`/api/v1/namespaces/${namespace}/events`);
  assert.equal(listed.status, 200);
  const { items } = await listed.json() as { items: { metadata: { name: string }; reason?: string }[] };
  for (const event of items.filter((event) => event.reason === "ClusterIPNotAllocated")) {
    const deleted = await controlPlane.adminFetch(`/api/v1/namespaces/${namespace}/events/${event.metadata.name}`, {
      method: "DELETE",
    });
    assert.equal(deleted.status, 200, await deleted.text());
  }
}
