/**
 * The endpoints a protobuf watch decoded last for each slice, kept with the bytes they were decoded from, so that
 * the next version of the slice reuses each endpoint whose bytes did not change instead of decoding it again (and,
 * when none changed, keeps what it remembered as it is, without a copy). The EndpointSlice controller rewrites a
 * whole slice when one of its pods changes, so an update's other endpoints come byte for byte as before (99 of 100
 * in a rollout's step).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { SliceEndpoint } from "../../base/endpoint_slice.ts";
import { runtimeKey } from "../../runtime/runtime.ts";

/** One slice's last decoded endpoints: a copy of the bytes they span, and where each one's message is in it. */
export interface Remembered {
  /** The bytes from the first endpoint's message to the last one's (the frame itself is never kept). */
  bytes: Uint8Array;
  /** A view of `bytes`, to compare them four at a time. */
  view: DataView;
  /** Start and end of endpoint `i`'s message in `bytes`: `bounds[2 * i]` and `bounds[2 * i + 1]`. */
  bounds: Int32Array;
  /** The endpoints decoded from them, in order: shared with the slice object decoded then, never modified. */
  endpoints: SliceEndpoint[];
  /**
   * Whether `bytes` hold the endpoints' messages and nothing else, each after the first led by its field's tag and
   * length (as kube-apiserver writes a slice): then equal bytes from the first endpoint on are every endpoint again.
   */
  contiguous: boolean;
}

/**
 * Node's and Bun's native `Buffer.compare` (a `memcmp`), which takes plain `Uint8Array`s; not in Deno, whose
 * `node:buffer` compares in JavaScript.
 */
const nativeCompare = runtimeKey() === "deno" ? undefined : Buffer.compare;

/**
 * The memory of one watch (a protobuf codec opened for one watch request holds one): per slice, a copy of the bytes
 * of its endpoints' messages (about 6 KB for 100 endpoints; never the chunk a frame came in) and where each one is.
 * Dropped with the watch, so a relist, a new watch after a 410 or the next watch after a timeout start empty. A
 * slice is forgotten when a DELETED event names it, or an ADDED or MODIFIED one brings it without endpoints. An
 * endpoint is reused only when its message's bytes equal those of one decoded before, from which decoding (which
 * reads nothing outside the message) gives the same object again: the reuse changes no result, only which object
 * holds it. Nothing downstream modifies decoded slices (selection, explanation and the CLI build objects of their
 * own).
 *
 * @example
 * ```ts
 * import { EndpointMemory } from "./endpoint_memory.ts";
 * const memory = new EndpointMemory();
 * console.log(memory.recall(new Uint8Array(), "echo-abc").reused(0, 0)); // undefined: nothing decoded yet
 * ```
 */
export class EndpointMemory {
  readonly #slices = new Map<string, Remembered>();
  #pending: { name: string; remembered: Remembered } | undefined;
  /** Where the endpoints of the slice being decoded are, two offsets each: one array for every slice, grown. */
  #bounds = new Int32Array(256);

  /** Starts an event: endpoints held for an event that then failed to decode are dropped. */
  begin(): void {
    this.#pending = undefined;
  }

  /**
   * Starts the endpoints of a slice being decoded from `bytes`.
   *
   * @param bytes The buffer the slice's endpoints are read from.
   * @param name The slice's name.
   * @returns What reuses and notes its endpoints.
   */
  recall(bytes: Uint8Array, name: string): SliceRecall {
    return new SliceRecall(this, bytes, name, this.#slices.get(name));
  }

  /**
   * The array a slice being decoded notes its endpoints' offsets in, with room for `length` numbers (its content is
   * kept when it grows): one for all slices, as they are decoded one at a time.
   *
   * @param length The numbers it must hold.
   * @returns The array.
   */
  bounds(length: number): Int32Array {
    const bounds = this.#bounds;
    if (length <= bounds.length) return bounds;
    const grown = new Int32Array(Math.max(length, bounds.length * 2));
    grown.set(bounds);
    return this.#bounds = grown;
  }

  /**
   * Holds a decoded slice's endpoints until {@linkcode settle} says whether the event keeps them.
   *
   * @param name The slice's name.
   * @param remembered Its endpoints and their bytes.
   */
  hold(name: string, remembered: Remembered): void {
    this.#pending = { name, remembered };
  }

  /**
   * Keeps the endpoints of the event just decoded when it brought slice `name` (ADDED, MODIFIED), forgets the slice
   * when the event deleted it or brought it without endpoints.
   *
   * @param type The event's type.
   * @param name The name of the event's slice.
   */
  settle(type: string, name: string): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
    if (type !== "DELETED" && pending?.name === name) this.#slices.set(name, pending.remembered);
    else this.#slices.delete(name);
  }
}

/**
 * The endpoints of one slice as they are decoded: each one's bytes are looked for among the previous version's at
 * three places (the EndpointSlice controller keeps a slice's endpoints in their order, dropping and appending). Made
 * by {@linkcode EndpointMemory.recall}. While every endpoint is the previous version's at its index, it builds no
 * list: a slice none of whose endpoints changed gets the previous version's list itself (in a burst of a
 * 5,000-endpoint Service on Node, each slice's list and offsets grown a push at a time were about 6 KB of garbage).
 */
export class SliceRecall {
  readonly #memory: EndpointMemory;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #name: string;
  readonly #previous: Remembered | undefined;
  /** Start and end of each endpoint noted so far, two numbers each (the memory's shared array). */
  #bounds: Int32Array;
  /** How many endpoints were noted. */
  #count = 0;
  /** The endpoints noted, once one of them is not the previous version's at its index; until then, none. */
  #endpoints: SliceEndpoint[] | undefined;
  /** The previous version's endpoint after the last one reused. */
  #next = 0;

  /**
   * @param memory The watch's memory.
   * @param bytes The buffer the endpoints are read from.
   * @param name The slice's name.
   * @param previous Its endpoints decoded last, if any.
   */
  constructor(memory: EndpointMemory, bytes: Uint8Array, name: string, previous: Remembered | undefined) {
    this.#memory = memory;
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#name = name;
    this.#previous = previous;
    this.#bounds = memory.bounds(0);
  }

  /**
   * At the slice's first endpoint, whose message is `bytes[start..stop)`: when the bytes from it on equal all those of
   * the previous version's endpoints (a slice none of whose endpoints changed, most of a burst's), notes each of them
   * as reused in one step, with one comparison of the whole span instead of one per endpoint.
   *
   * @param start Offset of the first endpoint's message.
   * @param stop Offset just past it.
   * @param end Offset just past the slice's message.
   * @returns The offset just past the last of those endpoints, or -1 when they are not all there.
   */
  whole(start: number, stop: number, end: number): number {
    const previous = this.#previous;
    if (previous === undefined || !previous.contiguous || this.#count !== 0) return -1;
    const length = previous.bytes.length;
    // The first endpoint's own length too: the bytes after its end are read as what follows it.
    if (stop - start !== previous.bounds[1] || end - start < length) return -1;
    if (!sameSpan(this.#bytes, start, previous, this.#view)) return -1;
    const count = previous.endpoints.length;
    const bounds = this.#bounds = this.#memory.bounds(2 * count);
    for (let i = 0; i < 2 * count; i++) bounds[i] = previous.bounds[i] + start;
    this.#count = count;
    this.#next = count;
    return start + length;
  }

  /**
   * The endpoint decoded before from the same bytes as `bytes[start..stop)`, if any.
   *
   * @param start Offset of the endpoint's message.
   * @param stop Offset just past it.
   * @returns The endpoint, or `undefined` when it must be decoded.
   */
  reused(start: number, stop: number): SliceEndpoint | undefined {
    const previous = this.#previous;
    if (previous === undefined) return undefined;
    const count = previous.endpoints.length;
    const next = this.#next;
    const index = this.#count;
    // After the last one reused (one added before), at the same index (one changed before), one further (one removed).
    const found = next < count && this.#same(previous, next, start, stop)
      ? next
      : index !== next && index < count && this.#same(previous, index, start, stop)
      ? index
      : next + 1 !== index && next + 1 < count && this.#same(previous, next + 1, start, stop)
      ? next + 1
      : -1;
    if (found < 0) return undefined;
    this.#next = found + 1;
    return previous.endpoints[found];
  }

  /**
   * Notes the next endpoint of the slice, reused or decoded from `bytes[start..stop)`.
   *
   * @param start Offset of the endpoint's message.
   * @param stop Offset just past it.
   * @param endpoint The endpoint.
   */
  note(start: number, stop: number, endpoint: SliceEndpoint): void {
    const index = this.#count++;
    const bounds = this.#bounds = this.#memory.bounds(2 * index + 2);
    bounds[2 * index] = start;
    bounds[2 * index + 1] = stop;
    if (this.#endpoints !== undefined) this.#endpoints.push(endpoint);
    else if (this.#previous?.endpoints[index] !== endpoint) {
      this.#endpoints = this.#previous === undefined ? [] : this.#previous.endpoints.slice(0, index);
      this.#endpoints.push(endpoint);
    }
  }

  /**
   * The slice's endpoints, those noted in order, once the slice is decoded; hands them to the memory, copying the
   * bytes they span.
   *
   * @param name The decoded slice's name: when it is not the one the endpoints were recalled under (a second
   *   `metadata` after them), they are not kept.
   * @returns The endpoints: the previous version's list itself when each one is its endpoint at the same index.
   */
  done(name: string | undefined): SliceEndpoint[] {
    const previous = this.#previous;
    const count = this.#count;
    const inPlace = this.#endpoints === undefined;
    const endpoints = this.#endpoints ??
      (previous !== undefined && previous.endpoints.length === count
        ? previous.endpoints
        : previous?.endpoints.slice(0, count) ?? []);
    if (name !== this.#name) return endpoints;
    const bounds = this.#bounds;
    // Every endpoint the previous version's, at its index and offset (most slices of a burst, all but one pod's
    // of a rollout's step): the bytes kept for it are these bytes, so it stays as it is, without a copy.
    if (
      previous !== undefined && inPlace && endpoints === previous.endpoints && sameBounds(previous, bounds, count)
    ) {
      this.#memory.hold(name, previous);
      return endpoints;
    }
    const first = bounds[0];
    const last = bounds[2 * count - 1];
    const kept = new Int32Array(2 * count);
    for (let i = 0; i < kept.length; i++) kept[i] = bounds[i] - first;
    // A copy, not `slice()`: the frame may be a Node `Buffer`, whose `slice()` is a view that would keep its chunk.
    const bytes = new Uint8Array(last - first);
    bytes.set(this.#bytes.subarray(first, last));
    this.#memory.hold(name, {
      bytes,
      view: new DataView(bytes.buffer),
      bounds: kept,
      endpoints,
      contiguous: ledByTheirTags(bytes, kept),
    });
    return endpoints;
  }

  /** Whether the previous version's endpoint `index` has the bytes `bytes[start..stop)`. */
  #same(previous: Remembered, index: number, start: number, stop: number): boolean {
    const from = previous.bounds[2 * index];
    if (previous.bounds[2 * index + 1] - from !== stop - start) return false;
    const old = previous.view;
    const view = this.#view;
    // Four bytes at a time (a DataView reads them at any offset), then the last few one by one.
    let i = start;
    let j = from;
    for (const last = stop - 4; i <= last; i += 4, j += 4) if (view.getInt32(i) !== old.getInt32(j)) return false;
    for (; i < stop; i++, j++) if (view.getUint8(i) !== old.getUint8(j)) return false;
    return true;
  }
}

/**
 * Whether the first `count` endpoints' `bounds` (offsets in the frame, as `SliceRecall` notes them) place each
 * endpoint where `remembered` has it, relative to the first one: then the bytes of every endpoint are where they are
 * in `remembered.bytes`.
 */
function sameBounds(remembered: Remembered, bounds: Int32Array, count: number): boolean {
  const kept = remembered.bounds;
  if (kept.length !== 2 * count) return false;
  const first = bounds[0];
  for (let i = 0; i < kept.length; i++) if (bounds[i] - first !== kept[i]) return false;
  return true;
}

/** Whether `bytes` from `start` on begin with the bytes of `remembered` (which the caller checked fit). */
function sameSpan(bytes: Uint8Array, start: number, remembered: Remembered, view: DataView): boolean {
  const old = remembered.bytes;
  if (nativeCompare !== undefined) return nativeCompare(bytes.subarray(start, start + old.length), old) === 0;
  const oldView = remembered.view;
  let i = start;
  let j = 0;
  for (const last = start + old.length - 4; i <= last; i += 4, j += 4) {
    if (view.getInt32(i) !== oldView.getInt32(j)) return false;
  }
  for (const stop = start + old.length; i < stop; i++, j++) if (view.getUint8(i) !== old[j]) return false;
  return true;
}

/**
 * Whether, between each endpoint's message and the next one's in `bytes` (`bounds` as in {@linkcode Remembered}), there
 * is only the next one's tag (field 2, length-delimited) and its length: no other field of the slice.
 */
function ledByTheirTags(bytes: Uint8Array, bounds: Int32Array): boolean {
  for (let i = 2; i < bounds.length; i += 2) {
    let at = bounds[i - 1];
    if (bytes[at++] !== 0x12) return false;
    let length = bounds[i + 1] - bounds[i];
    // The length as a varint, 7 bits a byte, low bits first.
    while (length >= 0x80) {
      if (bytes[at++] !== ((length & 0x7f) | 0x80)) return false;
      length >>>= 7;
    }
    if (bytes[at++] !== length || at !== bounds[i]) return false;
  }
  return true;
}
