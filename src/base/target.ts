/**
 * Parsing and formatting of the gRPC targets that name a Kubernetes service,
 * in every form the Go `kuberesolver` accepts:
 *
 * ```text
 * kubernetes:///svc:8080                       kubernetes://ns/svc:8080
 * kubernetes:///svc:portname                   kubernetes://svc:8080/
 * kubernetes:///svc.ns:8080                    kubernetes://svc.ns:8080/
 * kubernetes:///svc.ns.svc.cluster.local       kubernetes://svc.ns.svc.cluster.local
 * kubernetes:///svc.ns.svc.cluster.local:8080  kubernetes://svc.ns.svc.cluster.local:8080
 * ```
 *
 * Any scheme works the same way (`k8s:///svc.ns:grpc`). The cluster domain
 * after `.svc` is accepted and ignored: endpoints are looked up by service
 * and namespace only.
 *
 * Where Go is lax this parser is strict, so that a typo fails at once rather
 * than as an empty endpoint list later:
 *
 * - the scheme must be followed by `//` (`kubernetes:svc` is rejected: without
 *   the `//` a target without a scheme such as `svc.ns:80` would read as the
 *   scheme `svc.ns`);
 * - the third label, when there is one, must be `svc` (Go ignores anything
 *   after the namespace, so `svc.ns.example.com` would silently mean `svc` in
 *   `ns`);
 * - service and namespace must be valid Kubernetes names, a port must be
 *   1-65535 or a valid port name, and an empty port (`svc:`) is an error;
 * - parts Go silently drops are errors: a path after `host:port`
 *   (`kubernetes://ns:80/svc`), a namespace given twice (`kubernetes://ns/svc.other`),
 *   a query or fragment, a `/` inside the service;
 * - IP addresses, whitespace and control characters are rejected;
 * - so is user information (`user:password@`, which Go drops), first, and
 *   {@linkcode TargetError} quotes the target with it masked (`***@`).
 *
 * @module
 */

import { DNS_1123_LABEL_RULE, isDns1123Label, lowerCaseMeant } from "./dns_label.ts";
import { TargetError } from "./errors.ts";
import { isRecord, kindOf, unknownField } from "./_util.ts";
import { nearestName } from "./_nearest_name.ts";
import { ipAddressBytes } from "./ip_address.ts";
import { USERINFO_PROBLEM } from "./_target_userinfo.ts";

/**
 * The scheme `register()` registers when its options name none: the one channels reach the resolver by, unless
 * they register another. grpc-js matches schemes as written, so `KUBERNETES:///...` is another scheme.
 *
 * @example
 * ```ts ignore
 * parseTarget("kubernetes:///echo.prod:grpc").scheme === DEFAULT_SCHEME; // true
 * ```
 */
export const DEFAULT_SCHEME = "kubernetes";

/**
 * A parsed target: the Kubernetes service to resolve, and which of its ports.
 *
 * @example The target `kubernetes:///api.prod:grpc`
 * ```ts
 * import type { Target } from "@kgr/resolver";
 * const target: Target = {
 *   scheme: "kubernetes",
 *   service: "api",
 *   namespace: "prod",
 *   port: "grpc",
 * };
 * ```
 */
export interface Target {
  /** The scheme, as written (`kubernetes`, or a custom one such as `k8s`). */
  scheme: string;
  /**
   * The service name: a DNS-1123 label, as kube-apiserver v1.36.3 accepts for a Service (`1cart` included;
   * older versions want a letter first, which is a DNS-1123 label too).
   */
  service: string;
  /**
   * The namespace: a DNS-1123 label. Absent when the target names none; the
   * resolver then uses its own namespace, as the Go kuberesolver does.
   */
  namespace?: string | undefined;
  /**
   * The port: a number (1-65535) when numeric, the port name when named
   * (`grpc`), absent when not given (the resolver then uses the Service's
   * first TCP port).
   */
  port?: number | string | undefined;
}

/**
 * The parts of a target that grpc-js hands a resolver: the shape of its
 * `GrpcUri`, as its `parseUri` splits the target string.
 *
 * @example The parts of `kubernetes://ns/svc:80`
 * ```ts
 * import type { GrpcUriParts } from "./target.ts";
 * const uri: GrpcUriParts = { scheme: "kubernetes", authority: "ns", path: "svc:80" };
 * ```
 */
export interface GrpcUriParts {
  /** The text before the first `:`, when it looks like a scheme. */
  scheme?: string;
  /** The text between `//` and the next `/`, when there is a non-empty path after it. */
  authority?: string;
  /** Everything else. */
  path: string;
}

const FORM = '"kubernetes:///svc.ns:port"';
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*$/;
/** Four dot-separated numbers: an IPv4 address, never a Service in a namespace. */
const IPV4_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;
/** What is wrong with a target that names an IP address, and the grpc-js schemes that dial one. */
const IP_ADDRESS_PROBLEM = "IP addresses are not supported: an IP address is not a Service name, and this resolver " +
  `resolves Services: name one, as in ${FORM}, or dial the address with grpc-js's own "ipv4:" or "ipv6:" scheme ` +
  '(as in "ipv6:[fe80::1]:8080"), or a host name with "dns:"';
const DOMAIN_LABEL = /^[A-Za-z0-9_-]{1,63}$/;
const DIGITS = /^[0-9]+$/;
/** Whitespace, control and format characters (U+200B zero-width space, U+00AD soft hyphen): invisible in a message. */
const SPACE_OR_CONTROL = /[\s\p{Cc}\p{Cf}]/u;

type Fail = (problem: string) => never;

/**
 * Whether a value is a URI scheme as RFC 3986 spells one: a letter, then
 * letters, digits, `+`, `-` or `.`; no `:`.
 *
 * @param value The value to check.
 * @returns Whether it is a scheme a target can start with.
 *
 * @example Schemes and not schemes
 * ```ts
 * import { isUriScheme } from "./target.ts";
 * isUriScheme("k8s"); // true
 * isUriScheme("k8s:"); // false
 * ```
 */
export function isUriScheme(value: unknown): value is string {
  return typeof value === "string" && SCHEME.test(value);
}

/**
 * Parses a target string such as `kubernetes:///svc.ns:grpc` into its
 * service, namespace and port.
 *
 * @param target The target as given to the gRPC channel.
 * @returns The service, namespace (absent when not given) and port (a number
 * when numeric, the name when named, absent when not given).
 * @throws {TargetError} When the target cannot be parsed; the message quotes
 * the target and says what to change.
 * @throws {TypeError} When the target is not a string.
 *
 * @example Parsing the common forms
 * ```ts
 * import { parseTarget } from "@kgr/resolver";
 * parseTarget("kubernetes:///api.prod:grpc");
 * // { scheme: "kubernetes", service: "api", namespace: "prod", port: "grpc" }
 * parseTarget("kubernetes://prod/api:8080");
 * // { scheme: "kubernetes", service: "api", namespace: "prod", port: 8080 }
 * parseTarget("k8s:///api.prod.svc.cluster.local");
 * // { scheme: "k8s", service: "api", namespace: "prod" }
 * ```
 */
export function parseTarget(target: string): Target {
  if (typeof target !== "string") {
    // From JavaScript (a URL, a missing target): a TargetError quotes the target, so it needs a string.
    throw new TypeError(
      'Cannot parse target: it must be a string such as "kubernetes:///echo.prod:grpc" (formatTarget() writes one ' +
        `from a Target): current value is ${kindOf(target)}`,
    );
  }
  const fail: Fail = (problem) => {
    throw new TargetError(target, problem);
  };
  if (target === "") fail(`target must not be empty: use the form ${FORM}`);
  // First: the messages below quote parts of the target, which would show the password; a query is refused for
  // itself, not for an "@" in it.
  const beforeQuery = target.split(/[?#]/, 1)[0];
  if (beforeQuery.includes("@")) fail(USERINFO_PROBLEM);
  // An "@" after a "?" or "#": a query that holds one, or a password that holds a "?": either is to remove.
  if (target.includes("@")) {
    fail(
      'target must not hold a user name, password or token (up to an "@"), nor a query or fragment (from a "?" or ' +
        '"#"), shown only up to its scheme: remove them: a target names a Service, and the cluster\'s credentials ' +
        "belong in the kubeconfig",
    );
  }
  const bad = target.search(SPACE_OR_CONTROL);
  if (bad !== -1) {
    fail(
      `target must not contain whitespace, control or invisible characters: remove the one at index ${bad} (U+${
        target.codePointAt(bad)!.toString(16).toUpperCase().padStart(4, "0")
      })`,
    );
  }
  const colon = target.indexOf(":");
  const scheme = colon === -1 ? "" : target.slice(0, colon);
  if (!SCHEME.test(scheme) || !target.startsWith("//", colon + 1)) {
    fail(`target must start with a scheme and "//", as in ${FORM}`);
  }
  const rest = target.slice(colon + 3);
  const extra = rest.search(/[?#]/);
  if (extra !== -1) {
    const part = rest[extra] === "?" ? "query" : "fragment";
    fail(`target must not have a query or fragment: remove the ${part} (not shown: it may hold a credential)`);
  }
  if (/[[\]]/.test(rest)) {
    fail(IP_ADDRESS_PROBLEM);
  }

  // The three shapes, as the Go kuberesolver tells them apart:
  // scheme:///endpoint, scheme://namespace/endpoint, scheme://endpoint[/].
  const slash = rest.indexOf("/");
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash + 1);
  if (authority === "") return parseEndpoint(scheme, path, undefined, fail, target);
  if (!authority.includes(":") && path !== "") {
    return parseEndpoint(scheme, path, authority, fail, target);
  }
  if (path !== "") {
    fail(
      `unexpected path ${JSON.stringify(path)} after ${
        JSON.stringify(authority)
      }: use "${scheme}:///svc.ns:port" or "${scheme}://ns/svc:port"`,
    );
  }
  return parseEndpoint(scheme, authority, undefined, fail, target);
}

/**
 * Parses the parts grpc-js hands a resolver (its `GrpcUri`). The result is
 * the same as {@linkcode parseTarget} gives for the original target string:
 * grpc-js splits that string without changing it, so it is joined back and
 * parsed.
 *
 * @param uri The scheme, authority and path as grpc-js's `parseUri` split them.
 * @returns The parsed target.
 * @throws {TargetError} When the target cannot be parsed; the message quotes
 * the original target.
 *
 * @example Parsing what grpc-js gives a resolver
 * ```ts
 * import { parseGrpcUri } from "./target.ts";
 * // grpc-js splits "kubernetes:///api.prod:grpc" into:
 * parseGrpcUri({ scheme: "kubernetes", authority: "", path: "api.prod:grpc" });
 * // { scheme: "kubernetes", service: "api", namespace: "prod", port: "grpc" }
 * // and "kubernetes://api.prod:8080" (no path, so no authority) into:
 * parseGrpcUri({ scheme: "kubernetes", path: "//api.prod:8080" });
 * // { scheme: "kubernetes", service: "api", namespace: "prod", port: 8080 }
 * ```
 */
export function parseGrpcUri(uri: GrpcUriParts): Target {
  const scheme = uri.scheme === undefined ? "" : `${uri.scheme}:`;
  const authority = uri.authority === undefined ? "" : `//${uri.authority}/`;
  return parseTarget(scheme + authority + uri.path);
}

/**
 * The authority of a target, as the Go kuberesolver sets it for TLS
 * (`ServerName`): `svc.ns` when there is a namespace, else `svc`; never with
 * a port. Fill in the namespace first to match Go, which always has one.
 *
 * @param target A parsed target.
 * @returns `svc.ns`, or `svc` when there is no namespace.
 * @throws {TypeError} When `target` is not a Target (the target string, say).
 *
 * @example The TLS name of a service
 * ```ts
 * import { defaultAuthority, parseTarget } from "@kgr/resolver";
 * defaultAuthority(parseTarget("kubernetes:///api.prod:8080")); // "api.prod"
 * defaultAuthority(parseTarget("kubernetes:///api:grpc")); // "api"
 * ```
 */
export function defaultAuthority(target: Target): string {
  if (!isRecord(target) || typeof target.service !== "string") {
    // From JavaScript, the target string gave undefined.
    throw new TypeError(
      "Cannot give the default authority: the target must be a Target from parseTarget(), as in " +
        `defaultAuthority(parseTarget("kubernetes:///echo.prod:grpc")): current value is ${kindOf(target)}`,
    );
  }
  return target.namespace === undefined ? target.service : `${target.service}.${target.namespace}`;
}

/** The fields of a {@linkcode Target}. */
const TARGET_FIELDS: readonly string[] = ["scheme", "service", "namespace", "port"];

/**
 * Formats a target in the canonical form `scheme:///svc[.ns][:port]`, which
 * {@linkcode parseTarget} parses back to an equal target.
 *
 * @param target The target; its fields are checked as the parser checks them.
 * @returns The canonical target string.
 * @throws {TargetError} When a field is not valid (for example port 0, or a
 * numeric port given as a string), so that the result would not parse back
 * to the same target, or is none of a Target's (`ns` for `namespace`).
 * @throws {TypeError} When `target` is not an object (the target string, say).
 *
 * @example Canonical forms
 * ```ts
 * import { formatTarget, parseTarget } from "@kgr/resolver";
 * formatTarget(parseTarget("kubernetes://prod/api:8080")); // "kubernetes:///api.prod:8080"
 * formatTarget({ scheme: "k8s", service: "api" }); // "k8s:///api"
 * ```
 */
export function formatTarget(target: Target): string {
  if (!isRecord(target)) {
    // From JavaScript, the target string read as "undefined:///undefined", and null threw a destructuring error.
    throw new TypeError(
      "Cannot format the target: it must be a Target such as parseTarget() returns, as in " +
        `formatTarget({ scheme: "kubernetes", service: "echo", namespace: "prod", port: "grpc" }): current value is ${
          kindOf(target)
        }`,
    );
  }
  const { scheme, service, namespace, port } = target;
  const host = namespace === undefined ? service : `${service}.${namespace}`;
  const text = `${scheme}:///${host}${port === undefined ? "" : `:${port}`}`;
  const fail: Fail = (problem) => {
    throw new TargetError(text, problem);
  };
  // A field of another name was dropped without a word: { service, ns } was a target in the default namespace.
  const unknown = unknownField(target, TARGET_FIELDS);
  if (unknown !== undefined) {
    const meant = nearestName(unknown, TARGET_FIELDS);
    fail(
      `the Target has no field ${JSON.stringify(unknown)} (its fields are scheme, service, namespace and port)${
        meant === undefined ? "" : `: use ${meant}`
      }`,
    );
  }
  // Fields of another type (from JavaScript or JSON) get the messages of bad values, not a TypeError.
  if (!isUriScheme(scheme)) {
    fail(
      `scheme must be a letter followed by letters, digits, "+", "-" or ".": current value is ${
        JSON.stringify(scheme)
      }`,
    );
  }
  checkService(service, fail);
  if (namespace !== undefined) checkNamespace(namespace, fail);
  if (typeof port === "number") {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      fail(`port must be 1-65535: current value is ${port}`);
    }
  } else if (port !== undefined) {
    checkPortName(port, fail);
  }
  return text;
}

/**
 * Whether `text` is an IPv6 address without brackets, with or without a zone (`%eth0`) and a port after it:
 * `fe80::1`, `fe80::1%eth0`, `::ffff:10.0.0.1:80`.
 */
function isIpv6Address(text: string): boolean {
  const address = text.replace(/%.*/, "");
  return ipAddressBytes(address) !== undefined ||
    ipAddressBytes(address.slice(0, address.lastIndexOf(":"))) !== undefined;
}

/**
 * Parses `svc[.ns[.svc[.cluster-domain]]][:port]`; with `namespace` (the
 * authority of `scheme://ns/svc:port`) only `svc[:port]`; `input` is the
 * whole target, which `text` ends.
 */
function parseEndpoint(
  scheme: string,
  text: string,
  namespace: string | undefined,
  fail: Fail,
  input: string,
): Target {
  if (text.endsWith("/") && text.indexOf("/") === text.length - 1) {
    // The endpoint is the target's last part: the target without its last character is the one meant.
    fail(
      `unexpected "/" at the end of ${JSON.stringify(text)}: remove the trailing "/", as in ${
        JSON.stringify(input.slice(0, -1))
      }`,
    );
  }
  if (text.includes("/")) {
    fail(
      `unexpected "/" in ${JSON.stringify(text)}: use "${scheme}:///svc.ns:port"`,
    );
  }
  const colon = text.indexOf(":");
  if (colon !== text.lastIndexOf(":")) {
    if (isIpv6Address(text)) fail(IP_ADDRESS_PROBLEM);
    fail(
      `expected at most one ":", before the port: current value is ${JSON.stringify(text)}`,
    );
  }
  const host = colon === -1 ? text : text.slice(0, colon);
  // Service names may be all digits, so an address would otherwise read as service "10" in namespace "0".
  if (IPV4_ADDRESS.test(host)) fail(IP_ADDRESS_PROBLEM);
  const labels = host.split(".");
  const service = labels[0];
  checkService(service, fail);
  const target: Target = { scheme, service };
  if (namespace !== undefined) {
    if (labels.length > 1) {
      fail(
        `namespace is given twice, as ${JSON.stringify(namespace)} and in ${
          JSON.stringify(host)
        }: give it once, as in "${scheme}:///${service}.${namespace}"`,
      );
    }
    checkNamespace(namespace, fail);
    target.namespace = namespace;
  } else if (labels.length > 1) {
    checkNamespace(labels[1], fail);
    target.namespace = labels[1];
    checkClusterSuffix(labels.slice(2), fail);
  }
  if (colon !== -1) target.port = parsePort(text.slice(colon + 1), fail);
  return target;
}

/**
 * Checks what follows the namespace: nothing, or `svc` and then the cluster
 * domain (ignored, as Go ignores it), with or without the trailing dot of a
 * fully qualified name. Go ignores any third label; we insist
 * on `svc`, as `svc.ns.example.com` is far more likely a mistake than a
 * service `svc` in the namespace `ns`.
 */
function checkClusterSuffix(labels: string[], fail: Fail): void {
  if (labels.length === 0) return;
  if (labels.length === 1 && labels[0] === "") {
    fail(
      'a trailing "." ends a fully qualified name, which goes on after the namespace: remove the ".", or give ' +
        'the whole name, as in "svc.ns.svc.cluster.local."',
    );
  }
  // A fully qualified name ends in a "." after the cluster domain: svc.ns.svc.cluster.local.
  if (labels.length > 2 && labels.at(-1) === "") labels = labels.slice(0, -1);
  if (labels[0] !== "svc") {
    fail(
      `expected "svc" after the namespace, as in "svc.ns.svc.cluster.local": current value is ${
        JSON.stringify(labels[0])
      }`,
    );
  }
  const domain = labels.slice(1);
  if (domain.length === 1 && domain[0] === "") {
    fail(
      `a trailing "." ends a fully qualified name: give the cluster domain before it, as in "svc.ns.svc.cluster.local."`,
    );
  }
  if (!domain.every((label) => DOMAIN_LABEL.test(label))) {
    fail(
      `cluster domain must be "."-separated labels of letters, digits, "-" and "_": current value is ${
        JSON.stringify(domain.join("."))
      }`,
    );
  }
}

function checkService(service: unknown, fail: Fail): void {
  if (service === "") {
    fail(`service must not be empty: name one, as in ${FORM}`);
  }
  if (typeof service !== "string" || !isDns1123Label(service)) fail(labelProblem("service", service));
}

function checkNamespace(namespace: unknown, fail: Fail): void {
  if (namespace === "") {
    fail(`namespace must not be empty: name one after the ".", as in ${FORM}`);
  }
  if (typeof namespace !== "string" || !isDns1123Label(namespace)) fail(labelProblem("namespace", namespace));
}

/** Why a service or namespace is no DNS-1123 label, with its lower-case form when that is one. */
function labelProblem(part: "service" | "namespace", value: unknown): string {
  const meant = typeof value === "string" ? lowerCaseMeant(value) : "";
  return `${part} must be a DNS-1123 label (${DNS_1123_LABEL_RULE}): current value is ${JSON.stringify(value)}${meant}`;
}

function parsePort(text: string, fail: Fail): number | string {
  if (text === "") {
    fail(`port must not be empty: give one after the ":" or remove it`);
  }
  if (DIGITS.test(text)) {
    const port = Number(text);
    if (port < 1 || port > 65535) {
      fail(`port must be 1-65535: current value is ${text}`);
    }
    return port;
  }
  checkPortName(text, fail);
  return text;
}

/**
 * Kubernetes' rule for the name of a Service's port: a DNS-1123 label (`1-2` is one). Digits alone are read as a
 * number, as kuberesolver reads them. Only container ports need a letter, and at most 15 characters.
 */
function checkPortName(name: unknown, fail: Fail): void {
  if (typeof name !== "string" || !isDns1123Label(name) || DIGITS.test(name)) {
    fail(
      `port must be a number 1-65535 or a port name (at most 63 of a-z, 0-9 and "-", not all digits, no "-" at either end): current value is ${
        JSON.stringify(name)
      }${typeof name === "string" ? lowerCaseMeant(name) : ""}`,
    );
  }
}
