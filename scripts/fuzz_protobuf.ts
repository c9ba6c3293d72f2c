/**
 * A seeded fuzzer of the protobuf decoder (src/api/protobuf/): mutations of kube-apiserver's own answers
 * (tests/fixtures/protobuf/*.pb) are decoded here and by an oracle built on k8s.io/api's generated Go code, and
 * every difference is printed. Also checks that a watch's EndpointMemory changes no decoded event.
 *
 * Usage: deno run -A scripts/fuzz_protobuf.ts [inputs=20000] [seed=1] (builds scripts/protobuf_oracle/ with Go 1.26
 * from the module cache or proxy). Exits 1 when our decoder throws something other than a ProtobufError, gives
 * another object than Go for the fields it reads, or gives another event with a watch's memory than without.
 * Expected and printed: inputs Go refuses inside fields we skip unread (timestamps, managed fields), and wire types 3
 * and 4 (groups), which Go skips and we refuse.
 *
 * @module
 */

import { FrameSplitter } from "../src/api/protobuf/frame_splitter.ts";
import { EndpointMemory } from "../src/api/protobuf/endpoint_memory.ts";
import { decodeEndpointSliceList, decodeStatusBody, decodeWatchEvent } from "../src/api/protobuf/messages.ts";
import { ProtobufError } from "../src/api/protobuf/wire_reader.ts";
import { seededRandom } from "../tests/_seeded_random.ts";
import { childEnv } from "../tests/_child_env.mjs";

const [countText = "20000", seedText = "1"] = Deno.args;
const oracle = await Deno.makeTempFile({ prefix: "protobuf-oracle-" });
const build = await new Deno.Command("go", {
  args: ["build", "-o", oracle, "."],
  cwd: new URL("./protobuf_oracle/", import.meta.url),
}).output();
if (!build.success) {
  await Deno.remove(oracle);
  throw new Error(`go build of scripts/protobuf_oracle failed: ${new TextDecoder().decode(build.stderr)}`);
}
const random = seededRandom(Number(seedText) || 1);
const pick = (n: number) => Math.floor(random() * n);
const dir = new URL("../tests/fixtures/protobuf/", import.meta.url);
const file = (name: string) => Deno.readFileSync(new URL(name, dir));

function frames(body: Uint8Array): Uint8Array[] {
  const splitter = new FrameSplitter();
  const out = splitter.push(body);
  splitter.end();
  return out;
}

type Kind = "list" | "status" | "event";
const seeds: [Kind, Uint8Array][] = [
  ["list", file("list.pb")],
  ...["status404.pb", "status422.pb", "status504.pb"].map((name) => ["status", file(name)] as [Kind, Uint8Array]),
  ...["watch.pb", "streaming_list.pb", "watch_error_410.pb"].flatMap((name) =>
    frames(file(name)).map((frame) => ["event", frame] as [Kind, Uint8Array])
  ),
];

/** Varints that probe the edges: 0, 1, 2^31, 2^32, 2^53, 2^63, negative int32 as a 10-byte varint. */
const EDGE_VARINTS = [0, 1, 127, 128, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, 2 ** 53, 2 ** 63, -1, -410];

function varint(value: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return out;
}

function mutate(input: Uint8Array): Uint8Array {
  const bytes = [...input];
  for (let n = 1 + pick(2); n > 0; n--) {
    const at = pick(bytes.length + 1);
    switch (pick(9)) {
      case 0:
        bytes[Math.min(at, bytes.length - 1)] = pick(256);
        break;
      case 1:
        bytes.splice(at, 1);
        break;
      case 2:
        bytes.splice(at, 0, pick(256));
        break;
      case 3: // a region repeated: duplicate fields
        {
          const length = 1 + pick(40);
          bytes.splice(at, 0, ...bytes.slice(at, at + length));
        }
        break;
      case 4: // an edge varint where a byte was
        bytes.splice(at, 1, ...varint(EDGE_VARINTS[pick(EDGE_VARINTS.length)]));
        break;
      case 5: // an unknown field of any wire type
        bytes.splice(at, 0, ...varint((pick(40) + 1) * 8 + pick(8)), ...varint(pick(5)), 0, 0, 0, 0, 0, 0, 0, 0);
        break;
      case 6: // invalid UTF-8, or a byte order mark (which TextDecoder drops at the start of a string by default)
        if (random() < 0.2) bytes.splice(at, 3, 0xef, 0xbb, 0xbf);
        else bytes.splice(at, 1, [0x80, 0xc0, 0xff, 0xed, 0xf4][pick(5)]);
        break;
      case 7: // truncation
        if (random() < 0.3) bytes.length = at;
        break;
      default: // a byte off by one (a length, often)
        bytes[Math.min(at, bytes.length - 1)] = (bytes[Math.min(at, bytes.length - 1)] + (random() < 0.5 ? 1 : 255)) &
          255;
    }
  }
  return Uint8Array.from(bytes);
}

/** Runs our decoder; a thrown error that is not a ProtobufError is a finding. */
function ours(kind: Kind, bytes: Uint8Array): { ok?: unknown; err?: string } {
  try {
    if (kind === "list") return { ok: decodeEndpointSliceList(bytes) };
    if (kind === "status") return { ok: decodeStatusBody(bytes) };
    return { ok: decodeWatchEvent(bytes) };
  } catch (error) {
    if (error instanceof ProtobufError) return { err: error.message };
    return { err: `NOT A ProtobufError: ${error instanceof Error ? error.stack : error}` };
  }
}

// Projections of the oracle's JSON onto the fields our decoder keeps.
type Json = Record<string, unknown>;
const only = (object: unknown, fields: string[]): Json | undefined => {
  if (object === undefined || object === null) return undefined;
  const out: Json = {};
  for (const field of fields) if ((object as Json)[field] !== undefined) out[field] = (object as Json)[field];
  return out;
};
const listMeta = (meta: unknown) => only(meta, ["selfLink", "resourceVersion", "continue", "remainingItemCount"]);
function objectMeta(meta: unknown): Json {
  const out = only(meta, ["name", "namespace", "uid", "resourceVersion", "labels", "annotations"]) ?? {};
  const owners = (meta as Json)?.ownerReferences as Json[] | undefined;
  if (owners) {
    out.ownerReferences = owners.map((owner) =>
      only(owner, ["kind", "name", "uid", "apiVersion", "controller", "blockOwnerDeletion"])
    );
  }
  return out;
}
function endpoint(value: Json): Json {
  const out = only(value, ["addresses", "conditions", "hostname", "targetRef", "nodeName", "zone", "hints"])!;
  return out;
}
function slice(value: Json): Json {
  const out: Json = only(value, ["kind", "apiVersion"])!;
  out.metadata = objectMeta(value.metadata);
  out.addressType = value.addressType;
  out.endpoints = (value.endpoints as Json[] | null)?.map(endpoint) ?? null;
  out.ports = value.ports ?? null;
  return out;
}
function status(value: Json): Json {
  const out: Json = only(value, ["kind", "apiVersion"])!;
  out.metadata = listMeta(value.metadata) ?? {};
  Object.assign(out, only(value, ["status", "message", "reason", "details", "code"]));
  return out;
}
function project(kind: Kind, value: Json): Json {
  if (kind === "status") return status(value);
  if (kind === "list") {
    return {
      ...only(value, ["kind", "apiVersion"]),
      metadata: listMeta(value.metadata),
      items: (value.items as Json[]).map(slice),
    };
  }
  const object = value.object as Json;
  return { type: value.type, object: object.kind === "Status" ? status(object) : slice(object) };
}

/** JSON with sorted keys, runs of U+FFFD as one (Go writes one per bad byte, TextDecoder one per maximal subpart). */
function canonical(value: unknown): string {
  return JSON.stringify(
    value,
    (_, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((key) => [key, v[key]]))
        : v,
  ).replace(/\ufffd+/g, "\ufffd");
}

const count = Number(countText);
const inputs: [Kind, Uint8Array][] = [...seeds];
while (inputs.length < count) {
  const [kind, bytes] = seeds[pick(seeds.length)];
  // A frame is also decoded as a list or Status body, and the reverse.
  const as: Kind = random() < 0.1 ? (["list", "status", "event"] as Kind[])[pick(3)] : kind;
  inputs.push([as, mutate(bytes)]);
}

const child = new Deno.Command(oracle, { env: childEnv(), stdin: "piped", stdout: "piped" }).spawn();
const writer = child.stdin.getWriter();
const encoded = inputs.map(([kind, bytes]) => `${kind} ${btoa(String.fromCharCode(...bytes))}\n`).join("");
const written = writer.write(new TextEncoder().encode(encoded)).then(() => writer.close());
const output = await child.output();
await Deno.remove(oracle);
await written;
const answers = new TextDecoder().decode(output.stdout).trimEnd().split("\n").map((line) => JSON.parse(line));

const tally: Record<string, number> = {};
const examples: Record<string, string> = {};
for (let i = 0; i < inputs.length; i++) {
  const [kind, bytes] = inputs[i];
  const mine = ours(kind, bytes);
  const theirs = answers[i] as { ok?: Json; err?: string };
  let verdict: string;
  if (mine.err?.startsWith("NOT A")) verdict = `crash: ${mine.err.split("\n")[0]}`;
  else if (mine.err !== undefined && theirs.err !== undefined) verdict = "both refuse";
  else if (mine.err !== undefined) verdict = `only we refuse: ${mine.err.replace(/\d+/g, "N")}`;
  else if (theirs.err !== undefined) verdict = `only Go refuses: ${theirs.err.replace(/\d+/g, "N")}`;
  else verdict = canonical(mine.ok) === canonical(project(kind, theirs.ok!)) ? "same" : "DIFFERENT";
  tally[verdict] = (tally[verdict] ?? 0) + 1;
  if (!(verdict in examples)) {
    examples[verdict] = `${kind} ${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}` +
      (verdict === "DIFFERENT"
        ? `\n  ours: ${canonical(mine.ok)}\n  Go:   ${canonical(project(kind, theirs.ok!))}`
        : "");
  }
}

// EndpointMemory: a watch's events decoded with one memory equal the same frames decoded alone.
let memoryChecked = 0;
const watchFrames = [...frames(file("watch.pb")), ...frames(file("streaming_list.pb"))];
for (let run = 0; run < count / 20; run++) {
  const memory = new EndpointMemory();
  for (let step = 0; step < 20; step++) {
    const frame = random() < 0.5
      ? watchFrames[pick(watchFrames.length)]
      : mutate(watchFrames[pick(watchFrames.length)]);
    let alone: string, remembered: string;
    try {
      alone = canonical(decodeWatchEvent(frame));
    } catch (error) {
      alone = `error ${(error as Error).message}`;
    }
    try {
      remembered = canonical(decodeWatchEvent(frame, memory));
    } catch (error) {
      remembered = `error ${(error as Error).message}`;
    }
    memoryChecked++;
    if (alone !== remembered) {
      tally["memory DIFFERENT"] = (tally["memory DIFFERENT"] ?? 0) + 1;
      examples["memory DIFFERENT"] ??= `${alone}\n${remembered}`;
    }
  }
}

console.log(`${inputs.length} inputs against the Go oracle, ${memoryChecked} events with and without memory`);
for (const [verdict, n] of Object.entries(tally).sort((a, b) => b[1] - a[1])) {
  console.log(`${String(n).padStart(7)}  ${verdict}`);
  if (verdict !== "same" && verdict !== "both refuse") console.log(`         e.g. ${examples[verdict]}`);
}
const failed = Object.keys(tally).some((verdict) => /^crash|DIFFERENT/.test(verdict));
if (failed) Deno.exit(1);
