/**
 * Turns an `EndpointSliceInput` into the object the fake API server stores:
 * validation, normalization the way the real server serializes (empty lists
 * become `null`, `conditions` is always present), generated names and the
 * server-assigned metadata. Private to the fake API server.
 *
 * @module
 */

import { isIPv4, isIPv6 } from "node:net";
import { isRecord } from "../base/_util.ts";
import { ipAddressBytes, isIpv4 } from "../base/ip_address.ts";
import { DNS_1123_LABEL_RULE, isDns1123Label, isDns1123Subdomain } from "../base/dns_label.ts";
import { decodedStringMap, sameJson, sortedMap } from "./_json_data.ts";
import { sliceTypeProblem } from "./_slice_json_types.ts";
import { annotationsSizeProblem, checkOwnerReferences, type OwnerReference } from "./_object_meta.ts";
import {
  isLabelValue,
  labelsProblem,
  qualifiedNameProblem,
  SUBDOMAIN_RULE as REAL_SUBDOMAIN_REASON,
} from "./_labels.ts";
import type { Endpoint, EndpointConditions, EndpointPort, EndpointSlice, EndpointSliceInput } from "./types.ts";
import { jsonValue, quotedValue } from "./_go_quote.ts";
import { gatherRefusals, Refusal, type Refusals } from "./_refusals.ts";

const GENERATE_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** What `applySlice()` stores, or the unchanged slice for a no-op update. */
export type PreparedSlice =
  | { key: string; existing?: EndpointSlice; stored: EndpointSlice }
  | { key: string; unchanged: EndpointSlice };

/** The storage key, `namespace/name`, which sorts like etcd's keys. */
export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function randomSuffix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return Array.from(
    bytes,
    (byte) => GENERATE_NAME_ALPHABET[byte % GENERATE_NAME_ALPHABET.length],
  ).join("");
}

function invalidSlice(key: string, problem: string): TypeError {
  return new Refusal(`Cannot apply EndpointSlice ${quotedValue(key)}: ${problem}`, problem);
}

function stringMap(
  key: string,
  field: string,
  given: unknown,
): Record<string, string> | undefined {
  // As kube-apiserver decodes it, null is a map left out and a null value is "".
  const value = decodedStringMap(given);
  if (value === undefined) return undefined;
  if (value === false) throw invalidSlice(key, `${field} must map strings to strings`);
  const annotations = field === "metadata.annotations";
  const problem = labelsProblem(field, value, annotations) ??
    (annotations ? annotationsSizeProblem(value) : undefined);
  if (problem !== undefined) throw invalidSlice(key, problem);
  // Keys sorted, as kube-apiserver writes a map.
  return Object.keys(value).length === 0 ? undefined : sortedMap(value);
}

/** The owner references to store, as kube-apiserver checks and stores them; undefined for none. */
function ownerReferencesOf(key: string, references: unknown): OwnerReference[] | undefined {
  if (references === undefined || references === null) return undefined;
  const checked = checkOwnerReferences(references);
  if ("problem" in checked) throw invalidSlice(key, checked.problem);
  return checked.stored.length === 0 ? undefined : checked.stored;
}

function normalizeEndpoint(
  key: string,
  addressType: EndpointSlice["addressType"],
  endpoint: NonNullable<EndpointSliceInput["endpoints"]>[number],
  { index, refusals }: { index: number; refusals: Refusals },
): Endpoint[] {
  // Each address and each other field is checked, as kube-apiserver lists their problems.
  const part = refusals.part();
  const addresses = endpoint?.addresses;
  if (
    !Array.isArray(addresses) || addresses.length < 1 || addresses.length > 100
  ) {
    part.check(() => {
      throw invalidSlice(key, `endpoints[${index}].addresses must hold 1-100 addresses`);
    });
    return [];
  }
  for (const [at, address] of addresses.entries()) part.check(() => checkAddress(at, address));
  function checkAddress(at: number, address: string) {
    if (addressType === "FQDN") {
      const problem = typeof address === "string" ? fqdnProblem(address) : "must be a string";
      if (problem !== undefined) {
        throw invalidSlice(
          key,
          `endpoints[${index}].addresses[${at}] is no fully qualified domain name, as kube-apiserver requires one: ` +
            `${problem}: current value is ${quotedValue(address)}`,
        );
      }
      return;
    }
    const valid = addressType === "IPv4" ? isIPv4(address) : isIPv6(address) && !address.includes("%");
    if (!valid) {
      throw invalidSlice(
        key,
        `endpoints[${index}].addresses must be ${addressType} addresses: current value is ${quotedValue(address)}`,
      );
    }
    if (addressType === "IPv6") checkIPv6Form(key, `endpoints[${index}].addresses[${at}]`, address);
  }
  const conditions: EndpointConditions = {};
  for (const name of ["ready", "serving", "terminating"] as const) {
    const value = endpoint.conditions?.[name];
    if (value !== undefined && value !== null) {
      conditions[name] = Boolean(value);
    }
  }
  const out: Endpoint = { addresses: [...addresses], conditions };
  if (endpoint.hostname !== undefined && endpoint.hostname !== null) {
    part.check(() => {
      if (isDns1123Label(endpoint.hostname!)) return;
      throw invalidSlice(
        key,
        `endpoints[${index}].hostname must be a DNS-1123 label (${DNS_1123_LABEL_RULE}), as kube-apiserver requires: ` +
          `current value is ${quotedValue(endpoint.hostname)}`,
      );
    });
    out.hostname = endpoint.hostname;
  }
  if (endpoint.targetRef !== undefined && endpoint.targetRef !== null) {
    out.targetRef = storedReference(endpoint.targetRef);
  }
  if (endpoint.nodeName !== undefined && endpoint.nodeName !== null) {
    part.check(() => {
      if (isDns1123Subdomain(endpoint.nodeName!)) return;
      throw invalidSlice(
        key,
        `endpoints[${index}].nodeName ${SUBDOMAIN_ADVICE}: current value is ${quotedValue(endpoint.nodeName)}`,
      );
    });
    out.nodeName = endpoint.nodeName;
  }
  if (endpoint.zone !== undefined && endpoint.zone !== null) out.zone = endpoint.zone;
  if (endpoint.hints !== undefined && endpoint.hints !== null) {
    part.check(() => checkHints(key, `endpoints[${index}].hints`, endpoint.hints!));
    out.hints = storedHints(endpoint.hints);
  }
  return part.failed ? [] : [out];
}

/** The fields of an ObjectReference, which kube-apiserver stores only when not empty (Go's `omitempty`). */
const REFERENCE_FIELDS = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] as const;

/** A `targetRef` as kube-apiserver stores it: its known fields that are not empty; others are dropped. */
function storedReference(reference: NonNullable<Endpoint["targetRef"]>): NonNullable<Endpoint["targetRef"]> {
  const stored: NonNullable<Endpoint["targetRef"]> = {};
  for (const field of REFERENCE_FIELDS) {
    const value = reference[field];
    if (value !== undefined && value !== null && value !== "") stored[field] = value;
  }
  return stored;
}

/** A hint list's entries as kube-apiserver decodes them: a null entry or name is the zero value, `{ name: "" }`. */
function hintEntries(entries: readonly ({ name?: string | null } | null)[] | null | undefined): { name: string }[] {
  return (entries ?? []).map((entry) => ({ name: entry?.name ?? "" }));
}

/** Hints as kube-apiserver stores them: an empty list is left out (Go's `omitempty`), an entry keeps its `name`. */
function storedHints(hints: NonNullable<Endpoint["hints"]>): NonNullable<Endpoint["hints"]> {
  const stored: NonNullable<Endpoint["hints"]> = {};
  for (const list of ["forZones", "forNodes"] as const) {
    const entries = hintEntries(hints[list]);
    if (entries.length > 0) stored[list] = entries.map(({ name }) => ({ name }));
  }
  return stored;
}

/**
 * What makes an address of an FQDN slice no fully qualified domain name, in kube-apiserver's words: without
 * one trailing `.`, a DNS-1123 subdomain of at least two labels, each at most 63 characters.
 */
function fqdnProblem(address: string): string | undefined {
  if (address === "") return "Required value";
  const name = address.endsWith(".") ? address.slice(0, -1) : address;
  if (!isDns1123Subdomain(name)) {
    return name.length > 253 ? "must be no more than 253 characters" : REAL_SUBDOMAIN_REASON;
  }
  const labels = name.split(".");
  if (labels.length < 2) return "should be a domain with at least two segments separated by dots";
  return labels.some((label) => label.length > 63) ? "must be no more than 63 characters" : undefined;
}

const SUBDOMAIN_ADVICE =
  'must be a DNS-1123 subdomain (at most 253 of a-z, 0-9, "-" and ".", starting and ending with a ' +
  "letter or digit), as kube-apiserver requires";

/**
 * As kube-apiserver checks an IPv6 address: in its one canonical text (RFC 5952: lower case, no leading
 * zeros, the longest run of zero groups as `::`), and not an IPv4-mapped address.
 */
function checkIPv6Form(key: string, field: string, address: string): void {
  // Go's netip.Addr.Is4In6, whichever way the address is written (`::ffff:10.0.0.1` or `::ffff:a00:1`).
  const bytes = ipAddressBytes(address);
  if (bytes !== undefined && isIpv4(bytes)) {
    throw invalidSlice(
      key,
      `${field} must not be an IPv4-mapped IPv6 address, as kube-apiserver requires: current value is ${
        quotedValue(address)
      }`,
    );
  }
  // URL writes an IPv6 host in the canonical text, as Go's netip does.
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  if (canonical !== address) {
    throw invalidSlice(
      key,
      `${field} must be in canonical form, as kube-apiserver requires: current value is ${quotedValue(address)}, ` +
        `write ${quotedValue(canonical)}`,
    );
  }
}

/** As kube-apiserver checks topology hints: at most 8 zones and 8 nodes, each named once and validly. */
function checkHints(key: string, field: string, hints: NonNullable<Endpoint["hints"]>): void {
  const lists = [
    [
      "forZones",
      "zones",
      isLabelValue,
      'must be a label value (at most 63 of letters, digits, "-", "_" and ".", starting and ending with a letter or digit, or empty), as kube-apiserver requires',
    ],
    ["forNodes", "nodes", isDns1123Subdomain, SUBDOMAIN_ADVICE],
  ] as const;
  for (const [list, what, isValid, rule] of lists) {
    const entries = hintEntries(hints[list]);
    if (entries.length > 8) {
      throw invalidSlice(
        key,
        `${field}.${list} must hold at most 8 ${what}, as kube-apiserver requires: current count is ${entries.length}`,
      );
    }
    const seen = new Set<string>();
    for (const [at, { name }] of entries.entries()) {
      if (!isValid(name)) {
        throw invalidSlice(key, `${field}.${list}[${at}].name ${rule}: current value is ${quotedValue(name)}`);
      }
      if (seen.has(name)) {
        throw invalidSlice(
          key,
          `${field}.${list}[${at}].name must be unique: current value is ${quotedValue(name)}`,
        );
      }
      seen.add(name);
    }
  }
}

/** The protocols kube-apiserver allows on a port of a slice or a Service. */
export const PORT_PROTOCOLS: ReadonlySet<string> = new Set(["TCP", "UDP", "SCTP"]);

/**
 * A port as kube-apiserver defaults and checks it, each field's problem kept (its number's, the fake's own, first;
 * then its name's, a name an earlier port has, its protocol's and appProtocol's, in the real server's order).
 *
 * @returns The port, or none when it has a problem.
 */
function normalizePort(
  port: EndpointPort,
  { index, names, refusals }: { index: number; names: Set<string>; refusals: Refusals },
): EndpointPort[] {
  const part = refusals.part();
  // Each check here gives its problem, or none.
  const check = (problem: () => string | undefined) =>
    part.check((refuse) => {
      const found = problem();
      if (found !== undefined) refuse(found);
    });
  const field = `ports[${index}]`;
  check(() =>
    port.port !== undefined && port.port !== null &&
      !(Number.isInteger(port.port) && port.port >= 1 && port.port <= 65535)
      ? `${field}.port must be 1-65535: current value is ${quotedValue(port.port)}`
      : undefined
  );
  // As kube-apiserver defaults and checks them: an unnamed port is named "", TCP is the default protocol.
  const name = port.name ?? "";
  check(() =>
    name !== "" && !isDns1123Label(name)
      ? `${field}.name must be a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters): ` +
        `current value is ${quotedValue(name)}`
      : undefined
  );
  check(() => names.has(name) ? `${field}.name must be unique: current value is ${quotedValue(name)}` : undefined);
  names.add(name);
  const protocol = port.protocol ?? "TCP";
  check(() =>
    PORT_PROTOCOLS.has(protocol)
      ? undefined
      : `${field}.protocol must be "TCP", "UDP" or "SCTP": current value is ${jsonValue(protocol)}`
  );
  const appProtocol = port.appProtocol ?? undefined;
  check(() => appProtocol === undefined ? undefined : qualifiedNameProblem(`${field}.appProtocol`, appProtocol));
  if (part.failed) return [];
  const out: EndpointPort = { name, protocol };
  if (port.port !== undefined && port.port !== null) out.port = port.port;
  if (appProtocol !== undefined) out.appProtocol = appProtocol;
  return [out];
}

/** The most endpoints kube-apiserver accepts in one EndpointSlice. */
const MAX_ENDPOINTS = 1000;

/** Validates and normalizes everything but the metadata. */
function normalizeContent(
  key: string,
  input: EndpointSliceInput,
  refusals: Refusals,
): Pick<EndpointSlice, "addressType" | "endpoints" | "ports"> {
  const typeProblem = sliceTypeProblem(input as unknown as Record<string, unknown>);
  if (typeProblem !== undefined) throw invalidSlice(key, typeProblem);
  const addressType = input.addressType;
  const known = addressType === "IPv4" || addressType === "IPv6" || addressType === "FQDN";
  if (!known) {
    refusals.attempt(() => {
      throw invalidSlice(
        key,
        `addressType must be "IPv4", "IPv6" or "FQDN": current value is ${jsonValue(addressType)}`,
      );
    }, undefined);
  }
  // Each port, then each endpoint, as kube-apiserver lists their problems; one with a problem is left out.
  // As kube-apiserver decodes it, a null port is the zero value: no name, no number, TCP.
  const names = new Set<string>();
  const ports = (input.ports ?? []).flatMap((port, index) => normalizePort(port ?? {}, { index, names, refusals }));
  const given = input.endpoints ?? [];
  if (given.length > MAX_ENDPOINTS) {
    throw invalidSlice(
      key,
      `endpoints must hold at most ${MAX_ENDPOINTS} endpoints, as kube-apiserver requires: current count is ` +
        `${given.length}: spread them over several slices (endpointSlice() with a name for each), as the ` +
        "EndpointSlice controller does with 100 per slice",
    );
  }
  // Endpoints are read by their address type: with none known, they are not checked.
  const endpoints = known
    ? given.flatMap((endpoint, index) => normalizeEndpoint(key, addressType, endpoint, { index, refusals }))
    : [];
  return {
    addressType,
    endpoints: endpoints.length === 0 ? null : endpoints,
    ports: ports.length === 0 ? null : ports,
  };
}

function nameFor(
  meta: EndpointSliceInput["metadata"],
  current: ReadonlyMap<string, EndpointSlice>,
): { name: string; generateName?: string } {
  const generateName = typeof meta.generateName === "string" && meta.generateName !== ""
    ? meta.generateName
    : undefined;
  // As kube-apiserver checks it: a name prefix, so a trailing "-" is allowed.
  if (generateName !== undefined && !isDns1123Subdomain(generateName.replace(/-$/, "a"))) {
    throw new TypeError(
      `Cannot apply EndpointSlice in namespace ${quotedValue(meta.namespace)}: metadata.generateName must be ` +
        'a DNS-1123 subdomain prefix (at most 253 of a-z, 0-9, "-" and ".", starting with a letter or digit), ' +
        `as kube-apiserver requires: current value is ${quotedValue(generateName)}`,
    );
  }
  if (typeof meta.name === "string" && meta.name !== "") {
    if (!isDns1123Subdomain(meta.name)) {
      throw invalidSlice(
        keyOf(meta.namespace, meta.name),
        'metadata.name must be a DNS-1123 subdomain (at most 253 of a-z, 0-9, "-" and ".", starting and ending ' +
          "with a letter or digit), as kube-apiserver requires: fix metadata.name (from endpointSlice(): its name, " +
          "else the service it is made from)",
      );
    }
    return { name: meta.name, generateName };
  }
  if (generateName === undefined) {
    throw new TypeError(
      `Cannot apply EndpointSlice in namespace ${
        quotedValue(meta.namespace)
      }: metadata.name or metadata.generateName is required`,
    );
  }
  // Bounded: a free name turns up at once unless ~27^5 slices exist.
  for (let attempt = 0; attempt < 100; attempt++) {
    // As kube-apiserver does: the prefix is cut to 58 characters, so that the name fits in 63.
    const name = generateName.slice(0, 58) + randomSuffix();
    if (!current.has(keyOf(meta.namespace, name))) {
      return { name, generateName };
    }
  }
  throw new TypeError(
    `Cannot apply EndpointSlice with generateName ${quotedValue(generateName)}: no free name found`,
  );
}

/**
 * Whether an update bumps `generation`: as the real server's EndpointSlice
 * strategy decides, a change of anything but the metadata, or of the labels
 * (annotations and owner references leave it alone).
 */
function generationChanges(
  existing: EndpointSlice,
  labels: Record<string, string> | undefined,
  content: Pick<EndpointSlice, "addressType" | "endpoints" | "ports">,
): boolean {
  return !sameJson(existing.metadata.labels, labels) || !sameJson(existing.endpoints, content.endpoints) ||
    !sameJson(existing.ports, content.ports);
}

/**
 * Validates an input slice and builds the object to store at `rv`, keeping
 * `uid` and `creationTimestamp` of the slice it replaces and bumping its
 * `generation` when its labels or content change. A replacement that changes
 * nothing comes back `unchanged`, as the real server skips no-op updates.
 *
 * @param input The slice given to `applySlice()`.
 * @param current The stored slices by key.
 * @param rv The resourceVersion a change would get.
 * @returns The object to store, or the unchanged one.
 * @throws {TypeError} When the input is invalid.
 */
export function prepareSlice(
  input: EndpointSliceInput,
  current: ReadonlyMap<string, EndpointSlice>,
  rv: number,
): PreparedSlice {
  if (!isRecord(input) || !isRecord(input.metadata)) {
    throw new TypeError("Cannot apply EndpointSlice: metadata is required");
  }
  const meta = input.metadata;
  if (typeof meta.namespace !== "string" || meta.namespace === "") {
    throw new TypeError(
      "Cannot apply EndpointSlice: metadata.namespace is required",
    );
  }
  if (!isDns1123Label(meta.namespace)) {
    throw new TypeError(
      `Cannot apply EndpointSlice: metadata.namespace must be a DNS-1123 label (${DNS_1123_LABEL_RULE}), as ` +
        `kube-apiserver requires: current value is ${quotedValue(meta.namespace)}`,
    );
  }
  const { name, generateName } = nameFor(meta, current);
  const key = keyOf(meta.namespace, name);
  // Every problem at once: the metadata's, then the content's, as kube-apiserver lists them.
  const refusals = gatherRefusals((problem) => invalidSlice(key, problem));
  const labels = refusals.attempt(() => stringMap(key, "metadata.labels", meta.labels), undefined);
  const annotations = refusals.attempt(() => stringMap(key, "metadata.annotations", meta.annotations), undefined);
  const ownerReferences = refusals.attempt(() => ownerReferencesOf(key, meta.ownerReferences), undefined);
  const content = normalizeContent(key, input, refusals);
  refusals.settle();
  const existing = current.get(key);
  let contentChanged = true;
  if (existing !== undefined) {
    if (existing.addressType !== content.addressType) {
      throw invalidSlice(
        key,
        `addressType is immutable: current value is ${jsonValue(existing.addressType)}, new value is ${
          jsonValue(content.addressType)
        }`,
      );
    }
    const { metadata: old } = existing;
    contentChanged = generationChanges(existing, labels, content);
    const sameMetadata = sameJson(old.annotations, annotations) && sameJson(old.ownerReferences, ownerReferences);
    if (sameMetadata && !contentChanged) return { key, unchanged: existing };
  }
  const keptGenerateName = existing === undefined ? generateName : existing.metadata.generateName;
  const metadata: EndpointSlice["metadata"] = {
    name,
    ...(keptGenerateName === undefined ? {} : { generateName: keptGenerateName }),
    namespace: meta.namespace,
    uid: existing?.metadata.uid ?? crypto.randomUUID(),
    resourceVersion: String(rv),
    generation: existing === undefined ? 1 : existing.metadata.generation + (contentChanged ? 1 : 0),
    creationTimestamp: existing?.metadata.creationTimestamp ??
      new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  };
  if (labels !== undefined) metadata.labels = labels;
  if (annotations !== undefined) metadata.annotations = annotations;
  if (ownerReferences !== undefined) metadata.ownerReferences = ownerReferences;
  const stored: EndpointSlice = {
    kind: "EndpointSlice",
    apiVersion: "discovery.k8s.io/v1",
    metadata,
    ...content,
  };
  return existing === undefined ? { key, stored } : { key, existing, stored };
}
