/**
 * Decoders of the `meta/v1` messages the resolver reads (ObjectMeta, ListMeta, OwnerReference, Status), each
 * producing the object `JSON.parse` gives for the JSON form of the same object, for the fields it keeps: a Go
 * `omitempty` field that is empty is left out, a field without `omitempty` is always set.
 *
 * @module
 */

import type { ObjectMeta, Status } from "../../base/endpoint_slice.ts";
import { LENGTH_DELIMITED, VARINT, type WireReader } from "./wire_reader.ts";

/** `metav1.ListMeta` as its JSON form has it. */
export interface ListMetaJson {
  /** `selfLink`, when not empty. */
  selfLink?: string;
  /** `resourceVersion`, when not empty. */
  resourceVersion?: string;
  /** `continue`, when not empty. */
  continue?: string;
  /** `remainingItemCount`, when set. */
  remainingItemCount?: number;
}

/**
 * Reads a `metav1.ObjectMeta`: name, namespace, uid, resourceVersion, labels, annotations, ownerReferences;
 * other fields (timestamps, managedFields...) are skipped.
 *
 * @param reader Positioned on the message's first field, `end` at its end.
 * @returns The metadata.
 *
 * @example
 * ```ts
 * import { WireReader } from "./wire_reader.ts";
 * import { decodeObjectMeta } from "./meta.ts";
 * console.log(decodeObjectMeta(new WireReader(new Uint8Array([0x0a, 0x01, 0x61])))); // { name: "a" }
 * ```
 */
export function decodeObjectMeta(reader: WireReader): ObjectMeta {
  const meta: ObjectMeta = {};
  let ownerReferences: Record<string, unknown>[] | undefined;
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        setString(reader, tag, meta, "name");
        break;
      case 3:
        setString(reader, tag, meta, "namespace");
        break;
      case 5:
        setString(reader, tag, meta, "uid");
        break;
      case 6:
        setString(reader, tag, meta, "resourceVersion");
        break;
      case 11:
        {
          const outer = reader.enter(tag, "ObjectMeta.labels");
          addEntry(reader, meta.labels ??= {});
          reader.end = outer;
        }
        break;
      case 12:
        {
          const outer = reader.enter(tag, "ObjectMeta.annotations");
          addEntry(reader, meta.annotations ??= {});
          reader.end = outer;
        }
        break;
      case 13:
        {
          const outer = reader.enter(tag, "ObjectMeta.ownerReferences");
          (ownerReferences ??= []).push(decodeOwnerReference(reader));
          reader.end = outer;
        }
        break;
      default:
        reader.skip(tag);
    }
  }
  if (ownerReferences !== undefined) meta.ownerReferences = ownerReferences;
  return meta;
}

function decodeOwnerReference(reader: WireReader): Record<string, unknown> {
  const owner: Record<string, unknown> = { apiVersion: "", kind: "", name: "", uid: "" };
  while (reader.more()) {
    const tag = reader.tag();
    const field = OWNER_FIELDS[tag >>> 3];
    if (field === undefined) {
      reader.skip(tag);
    } else if (field === "controller" || field === "blockOwnerDeletion") {
      reader.expect(tag, VARINT, "OwnerReference", field);
      owner[field] = reader.varint32() !== 0;
    } else {
      reader.expect(tag, LENGTH_DELIMITED, "OwnerReference", field);
      owner[field] = reader.string();
    }
  }
  return owner;
}

const OWNER_FIELDS: Record<number, string> = {
  1: "kind",
  3: "name",
  4: "uid",
  5: "apiVersion",
  6: "controller",
  7: "blockOwnerDeletion",
};

/**
 * Reads a `metav1.ListMeta`.
 *
 * @param reader Positioned on the message's first field, `end` at its end.
 * @returns The list metadata.
 *
 * @example
 * ```ts
 * import { WireReader } from "./wire_reader.ts";
 * import { decodeListMeta } from "./meta.ts";
 * console.log(decodeListMeta(new WireReader(new Uint8Array([0x12, 0x01, 0x37])))); // { resourceVersion: "7" }
 * ```
 */
export function decodeListMeta(reader: WireReader): ListMetaJson {
  const meta: ListMetaJson = {};
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        setString(reader, tag, meta, "selfLink");
        break;
      case 2:
        setString(reader, tag, meta, "resourceVersion");
        break;
      case 3:
        setString(reader, tag, meta, "continue");
        break;
      case 4:
        reader.expect(tag, VARINT, "ListMeta.remainingItemCount");
        meta.remainingItemCount = reader.uint53();
        break;
      default:
        reader.skip(tag);
    }
  }
  return meta;
}

/**
 * Reads a `metav1.Status` (an error body, or the object of an ERROR watch event).
 *
 * @param reader Positioned on the message's first field, `end` at its end.
 * @returns The Status without `kind`/`apiVersion`, which the envelope carries.
 *
 * @example
 * ```ts
 * import { WireReader } from "./wire_reader.ts";
 * import { decodeStatus } from "./meta.ts";
 * console.log(decodeStatus(new WireReader(new Uint8Array([0x30, 0x9a, 0x03])))); // { metadata: {}, code: 410 }
 * ```
 */
export function decodeStatus(reader: WireReader): Status & Record<string, unknown> {
  const status: Status & Record<string, unknown> = { metadata: {} };
  while (reader.more()) {
    const tag = reader.tag();
    switch (tag >>> 3) {
      case 1:
        {
          const outer = reader.enter(tag, "Status.metadata");
          status.metadata = decodeListMeta(reader);
          reader.end = outer;
        }
        break;
      case 2:
        setString(reader, tag, status, "status");
        break;
      case 3:
        setString(reader, tag, status, "message");
        break;
      case 4:
        setString(reader, tag, status, "reason");
        break;
      case 5:
        {
          const outer = reader.enter(tag, "Status.details");
          status.details = decodeDetails(reader);
          reader.end = outer;
        }
        break;
      case 6:
        reader.expect(tag, VARINT, "Status.code");
        setNumber(status, "code", reader.varint32() | 0);
        break;
      default:
        reader.skip(tag);
    }
  }
  return status;
}

function decodeDetails(reader: WireReader): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  let causes: Record<string, unknown>[] | undefined;
  while (reader.more()) {
    const tag = reader.tag();
    const number = tag >>> 3;
    if (number === 4) {
      {
        const outer = reader.enter(tag, "StatusDetails.causes");
        (causes ??= []).push(decodeCause(reader));
        reader.end = outer;
      }
    } else if (number === 5) {
      reader.expect(tag, VARINT, "StatusDetails.retryAfterSeconds");
      setNumber(details, "retryAfterSeconds", reader.varint32() | 0);
    } else if (DETAIL_FIELDS[number] !== undefined) {
      setString(reader, tag, details, DETAIL_FIELDS[number]);
    } else {
      reader.skip(tag);
    }
  }
  if (causes !== undefined) details.causes = causes;
  return details;
}

const DETAIL_FIELDS: Record<number, string> = { 1: "name", 2: "group", 3: "kind", 6: "uid" };
const CAUSE_FIELDS: Record<number, string> = { 1: "reason", 2: "message", 3: "field" };

function decodeCause(reader: WireReader): Record<string, unknown> {
  const cause: Record<string, unknown> = {};
  while (reader.more()) {
    const tag = reader.tag();
    const field = CAUSE_FIELDS[tag >>> 3];
    if (field === undefined) reader.skip(tag);
    else setString(reader, tag, cause, field);
  }
  return cause;
}

/**
 * Reads one `map<string, string>` entry into `map`; a later entry with the same key wins, as in `JSON.parse`.
 *
 * @param reader Positioned on the entry's first field, `end` at its end.
 * @param map The map being filled.
 */
function addEntry(reader: WireReader, map: Record<string, string>): void {
  let key = "";
  let value = "";
  while (reader.more()) {
    const tag = reader.tag();
    const number = tag >>> 3;
    if (number === 1 || number === 2) {
      reader.expect(tag, LENGTH_DELIMITED, "map entry");
      if (number === 1) key = reader.string();
      else value = reader.string();
    } else reader.skip(tag);
  }
  map[key] = value;
}

/** Sets an `omitempty` string field: left out when empty. */
function setString<T extends object>(reader: WireReader, tag: number, target: T, field: string): void {
  reader.expect(tag, LENGTH_DELIMITED, field);
  const value = reader.string();
  if (value !== "") (target as Record<string, unknown>)[field] = value;
  else delete (target as Record<string, unknown>)[field];
}

/** Sets an `omitempty` number field: left out when zero. */
function setNumber(target: Record<string, unknown>, field: string, value: number): void {
  if (value !== 0) target[field] = value;
  else delete target[field];
}
