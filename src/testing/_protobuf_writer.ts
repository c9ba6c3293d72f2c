/**
 * The protobuf answers of the fake API server, byte for byte as
 * kube-apiserver v1.36.3 writes them (gogo's generated marshalers of
 * k8s.io/api and k8s.io/apimachinery): an EndpointSliceList, an
 * EndpointSlice, a Status, each in the `k8s\0` envelope, and a watch event
 * as one length-prefixed frame. Objects are read in their JSON shape, as the
 * fake stores them; a field is written as Go holds it after decoding that
 * JSON: every non-pointer string, number and nested struct (empty ones
 * too, `Time` empty when zero), a pointer field only when set, map keys
 * sorted. Private to the fake API server.
 *
 * @module
 */

/** The magic before every enveloped object. */
const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** A JSON object as stored; fields are read by name. */
type Json = Record<string, unknown>;

/**
 * One growing buffer. A nested message is written in place behind a one-byte length, which is widened (the
 * message moved right) when the message turns out longer than 127 bytes.
 */
class Writer {
  bytes = new Uint8Array(1024);
  pos = 0;

  private room(count: number): void {
    if (this.pos + count <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + count));
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
  }

  raw(values: readonly number[]): void {
    this.room(values.length);
    for (const value of values) this.bytes[this.pos++] = value;
  }

  /** A non-negative integer below 2^53 as a varint. */
  varint(value: number): void {
    this.room(10);
    while (value >= 0x80) {
      this.bytes[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.pos++] = value;
  }

  /** A varint field (int32, int64, bool) of a non-negative value: all the fake writes. */
  number(field: number, value: number): void {
    this.varint(field << 3);
    this.varint(value);
  }

  /** A string field, written whatever its value (an empty string too). */
  string(field: number, value: string): void {
    this.varint((field << 3) | 2);
    const length = value.length;
    this.room(length * 3 + 5);
    if (length < 0x80) {
      // ASCII, the usual case: the length is the character count.
      const start = this.pos;
      this.bytes[this.pos++] = length;
      let at = 0;
      for (; at < length; at++) {
        const code = value.charCodeAt(at);
        if (code >= 0x80) break;
        this.bytes[this.pos++] = code;
      }
      if (at === length) return;
      this.pos = start;
    }
    const encoded = encoder.encode(value);
    this.varint(encoded.length);
    this.bytes.set(encoded, this.pos);
    this.pos += encoded.length;
  }

  /** A string field only when set. */
  optionalString(field: number, value: unknown): void {
    if (typeof value === "string") this.string(field, value);
  }

  /** A bytes field. */
  blob(field: number, value: Uint8Array): void {
    this.varint((field << 3) | 2);
    this.varint(value.length);
    this.room(value.length);
    this.bytes.set(value, this.pos);
    this.pos += value.length;
  }

  /** Starts a nested message; {@linkcode end} closes it. */
  begin(field: number): number {
    this.varint((field << 3) | 2);
    this.room(1);
    return this.pos++;
  }

  /** Closes a nested message begun at `start`, writing its length. */
  end(start: number): void {
    const length = this.pos - start - 1;
    if (length < 0x80) {
      this.bytes[start] = length;
      return;
    }
    let extra = 0;
    for (let rest = length; rest >= 0x80; rest = Math.floor(rest / 0x80)) extra++;
    this.room(extra);
    this.bytes.copyWithin(start + 1 + extra, start + 1, this.pos);
    const stop = this.pos + extra;
    this.pos = start;
    this.varint(length);
    this.pos = stop;
  }

  /** A nested message written by `write`. */
  message(field: number, write: () => void): void {
    const start = this.begin(field);
    write();
    this.end(start);
  }

  done(): Uint8Array {
    return this.bytes.slice(0, this.pos);
  }
}

const encoder = new TextEncoder();
/** The one buffer every answer is written into (synchronously), then copied out of: it grows once, not per answer. */
const shared = new Writer();

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value : [];
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value : [];
}

function record(value: unknown): Json {
  return typeof value === "object" && value !== null ? value as Json : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** A `map<string, string>`: one entry message per key, keys sorted as Go sorts them (by UTF-8 bytes). */
function stringMap(w: Writer, field: number, value: unknown): void {
  const map = record(value);
  for (const key of Object.keys(map).sort(byBytes)) {
    w.message(field, () => {
      w.string(1, key);
      w.string(2, text(map[key]));
    });
  }
}

/** Go's string order: by UTF-8 bytes, which for these keys (ASCII in practice) is by UTF-16 code unit too. */
function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A `metav1.Time` (RFC 3339, whole seconds): `1 seconds`, `2 nanos`; nothing inside when unset. */
function time(w: Writer, field: number, value: unknown): void {
  w.message(field, () => {
    if (typeof value !== "string" || value === "") return;
    const ms = Date.parse(value);
    w.number(1, Math.floor(ms / 1000));
    w.number(2, (ms % 1000) * 1e6);
  });
}

/** `metav1.ObjectMeta`: the fields kube-apiserver writes for what the fake stores, and managed fields. */
function objectMeta(w: Writer, meta: Json): void {
  w.string(1, text(meta.name));
  w.string(2, text(meta.generateName));
  w.string(3, text(meta.namespace));
  w.string(4, text(meta.selfLink));
  w.string(5, text(meta.uid));
  w.string(6, text(meta.resourceVersion));
  w.number(7, typeof meta.generation === "number" ? meta.generation : 0);
  time(w, 8, meta.creationTimestamp);
  stringMap(w, 11, meta.labels);
  stringMap(w, 12, meta.annotations);
  for (const owner of records(meta.ownerReferences)) w.message(13, () => ownerReference(w, owner));
  for (const finalizer of strings(meta.finalizers)) w.string(14, finalizer);
  for (const entry of records(meta.managedFields)) w.message(17, () => managedFields(w, entry));
}

function ownerReference(w: Writer, owner: Json): void {
  w.string(1, text(owner.kind));
  w.string(3, text(owner.name));
  w.string(4, text(owner.uid));
  w.string(5, text(owner.apiVersion));
  if (typeof owner.controller === "boolean") w.number(6, owner.controller ? 1 : 0);
  if (typeof owner.blockOwnerDeletion === "boolean") w.number(7, owner.blockOwnerDeletion ? 1 : 0);
}

/** A `ManagedFieldsEntry`; `fieldsV1` is its JSON, as the server keeps it. */
function managedFields(w: Writer, entry: Json): void {
  w.string(1, text(entry.manager));
  w.string(2, text(entry.operation));
  w.string(3, text(entry.apiVersion));
  if (typeof entry.time === "string") time(w, 4, entry.time);
  w.string(6, text(entry.fieldsType));
  if (entry.fieldsV1 !== undefined) {
    w.message(7, () => w.blob(1, encoder.encode(JSON.stringify(entry.fieldsV1))));
  }
  w.string(8, text(entry.subresource));
}

/** `metav1.ListMeta`; `remainingItemCount` only when set. */
function listMeta(w: Writer, meta: Json): void {
  w.string(1, text(meta.selfLink));
  w.string(2, text(meta.resourceVersion));
  w.string(3, text(meta.continue));
  if (typeof meta.remainingItemCount === "number") w.number(4, meta.remainingItemCount);
}

/** A `discovery.k8s.io/v1` EndpointSlice, without its kind and apiVersion (the envelope names them). */
function endpointSlice(w: Writer, slice: Json): void {
  w.message(1, () => objectMeta(w, record(slice.metadata)));
  for (const endpoint of records(slice.endpoints)) {
    const start = w.begin(2);
    writeEndpoint(w, endpoint);
    w.end(start);
  }
  for (const port of records(slice.ports)) w.message(3, () => endpointPort(w, port));
  w.string(4, text(slice.addressType));
}

/** An Endpoint. Written for every endpoint of every event: no closures or arrays made here. */
function writeEndpoint(w: Writer, endpoint: Json): void {
  for (const address of strings(endpoint.addresses)) w.string(1, address);
  const { ready, serving, terminating } = record(endpoint.conditions);
  const conditions = w.begin(2);
  if (typeof ready === "boolean") w.number(1, ready ? 1 : 0);
  if (typeof serving === "boolean") w.number(2, serving ? 1 : 0);
  if (typeof terminating === "boolean") w.number(3, terminating ? 1 : 0);
  w.end(conditions);
  w.optionalString(3, endpoint.hostname);
  const ref = endpoint.targetRef;
  if (typeof ref === "object" && ref !== null) {
    const target = ref as Json;
    const start = w.begin(4);
    for (let at = 0; at < OBJECT_REFERENCE.length; at++) w.string(at + 1, text(target[OBJECT_REFERENCE[at]]));
    w.end(start);
  }
  stringMap(w, 5, endpoint.deprecatedTopology);
  w.optionalString(6, endpoint.nodeName);
  w.optionalString(7, endpoint.zone);
  const hints = endpoint.hints;
  if (typeof hints === "object" && hints !== null) {
    w.message(8, () => {
      const { forZones, forNodes } = hints as Json;
      for (const zone of records(forZones)) w.message(1, () => w.string(1, text(zone.name)));
      for (const node of records(forNodes)) w.message(2, () => w.string(1, text(node.name)));
    });
  }
}

/** The fields of a `core/v1` ObjectReference, in field-number order from 1. */
const OBJECT_REFERENCE = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"];

function endpointPort(w: Writer, port: Json): void {
  w.optionalString(1, port.name);
  w.optionalString(2, port.protocol);
  if (typeof port.port === "number") w.number(3, port.port);
  w.optionalString(4, port.appProtocol);
}

/** A `metav1.Status`; `details` only when set. */
function status(w: Writer, value: Json): void {
  w.message(1, () => listMeta(w, record(value.metadata)));
  w.string(2, text(value.status));
  w.string(3, text(value.message));
  w.string(4, text(value.reason));
  if (typeof value.details === "object" && value.details !== null) {
    const details = value.details as Json;
    w.message(5, () => {
      w.string(1, text(details.name));
      w.string(2, text(details.group));
      w.string(3, text(details.kind));
      for (const cause of records(details.causes)) {
        w.message(4, () => {
          w.string(1, text(cause.reason));
          w.string(2, text(cause.message));
          w.string(3, text(cause.field));
        });
      }
      w.number(5, typeof details.retryAfterSeconds === "number" ? details.retryAfterSeconds : 0);
      w.string(6, text(details.uid));
    });
  }
  w.number(6, typeof value.code === "number" ? value.code : 0);
}

function endpointSliceList(w: Writer, list: Json): void {
  w.message(1, () => listMeta(w, record(list.metadata)));
  for (const item of records(list.items)) w.message(2, () => endpointSlice(w, item));
}

/** The kinds the fake writes in protobuf, with their apiVersion and message. */
const KINDS: Record<string, { apiVersion: string; write: (w: Writer, value: Json) => void }> = {
  EndpointSlice: { apiVersion: "discovery.k8s.io/v1", write: endpointSlice },
  EndpointSliceList: { apiVersion: "discovery.k8s.io/v1", write: endpointSliceList },
  Status: { apiVersion: "v1", write: status },
};

/** Writes `k8s\0` and the `runtime.Unknown` around an object of one of {@linkcode KINDS}. */
function envelope(w: Writer, kind: string, value: Json): void {
  const type = KINDS[kind];
  if (type === undefined) throw new TypeError(`The fake API server cannot write a ${kind} in protobuf`);
  w.raw(MAGIC);
  w.message(1, () => {
    w.string(1, type.apiVersion);
    w.string(2, kind);
  });
  w.message(2, () => type.write(w, value));
  w.string(3, "");
  w.string(4, "");
}

/**
 * An object as kube-apiserver's protobuf answer: `k8s\0`, then the envelope naming its kind.
 *
 * @param value An EndpointSlice, an EndpointSliceList or a Status, in its JSON shape with its `kind`.
 * @returns The body.
 * @throws {TypeError} For another kind.
 */
export function protobufObject(value: Json): Uint8Array {
  const w = shared;
  w.pos = 0;
  envelope(w, text(value.kind), value);
  return w.done();
}

/**
 * One event of a protobuf watch: a 4-byte big-endian length, then a `metav1.WatchEvent` whose object is the
 * enveloped EndpointSlice (a Status for `ERROR`).
 *
 * @param type The event's type.
 * @param object The object, in its JSON shape with its `kind`.
 * @returns The frame.
 */
export function protobufWatchFrame(type: string, object: Json): Uint8Array {
  const w = shared;
  w.pos = 0;
  w.raw([0, 0, 0, 0]);
  w.string(1, type);
  w.message(2, () => w.message(1, () => envelope(w, text(object.kind), object)));
  const frame = w.done();
  new DataView(frame.buffer).setUint32(0, frame.length - 4);
  return frame;
}
