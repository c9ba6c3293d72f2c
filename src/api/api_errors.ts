/**
 * How a failed request to the Kubernetes API server reads: the
 * {@linkcode KubeApiError} for an error status, an answer that is not the
 * API server's or one that broke off, each saying what to do, with the
 * server's own text quoted and cut to size and no credential in it. A
 * request that got no answer at all is `_network_error.ts`'s.
 *
 * @module
 */

import type { ClusterAccess } from "../cluster/types.ts";
import type { Status } from "../base/endpoint_slice.ts";
import { KubeApiError } from "../base/errors.ts";
import { describeCause } from "../base/_describe_cause.ts";
import { isRecord } from "../base/_util.ts";
import { proxyForDisplay } from "../cluster/proxy.ts";
import { type ErrorBody, foreignAnswerAdvice } from "./_foreign_answer.ts";
import { impersonationGrant, refusesImpersonation } from "./_impersonation_advice.ts";
import { proxyLoginAdvice } from "./_proxy_login_advice.ts";
import { withoutCredentials } from "./without_credentials.ts";
import { printable } from "../base/printable.ts";
import { runtimeKey } from "../runtime/runtime.ts";
import { checkCommand } from "./_check_command.ts";

/**
 * What a 403 of a namespace's slices adds, in parentheses, to the grant it asks for: the command that names what is
 * missing and writes the fix, in the words of the runtime this runs on and of the package it was loaded from (see
 * `checkCommand()`; `check` itself leaves it out of its report).
 */
export const CHECK_ADVICE: string = `${checkCommand(runtimeKey(), import.meta.url)} names the grants these ` +
  "credentials lack, and writes the Role and RoleBinding to apply";

/** Longest server-provided text (a Status message, a content type) quoted in our messages. */
const MAX_QUOTED_CHARS = 300;

/**
 * What a request is about, for its messages: what to grant on a 403, what a 404 means.
 *
 * @example The subject of a Service read
 * ```ts
 * import type { Subject } from "./api_errors.ts";
 * const subject: Subject = {
 *   verb: "get",
 *   where: 'service "echo" in namespace "prod"',
 *   namespace: "prod",
 *   grant: '"get" on "services" in the core API group ("")',
 *   missing: 'service "echo" does not exist in namespace "prod" (404)',
 * };
 * ```
 */
export interface Subject {
  /** `list`, `watch` or `get`. */
  verb: string;
  /** The objects, e.g. `endpointslices of service "echo" in namespace "prod"`. */
  where: string;
  /** Their namespace; absent for cluster-wide objects (a ClusterRole grants those). */
  namespace?: string;
  /** The verbs and resource a Role must grant. */
  grant: string;
  /** What a 404 means, and what to do. */
  missing: string;
  /**
   * For a watch: whether the last LIST of the same objects answered, so that a 403 is no namespace that does not
   * exist, but credentials that may list and not watch.
   */
  listed?: boolean;
}

/** What to check when a successful answer is not what kube-apiserver writes. */
export const NOT_THE_API_SERVER =
  "check that nothing on the way (a proxy, a load balancer) answers in the API server's place";

/**
 * Whether a successful answer's Content-Type is one that kube-apiserver writes: JSON, or protobuf when the request
 * offered it (`protobuf`). A missing one is given the benefit of the doubt.
 *
 * @example An HTML login page
 * ```ts
 * import { isApiContentType } from "./api_errors.ts";
 * console.log(isApiContentType("text/html; charset=utf-8")); // false
 * ```
 */
export function isApiContentType(type: string | null, protobuf = false): boolean {
  return type === null || /json/i.test(type) || (protobuf && isProtobuf(type));
}

/**
 * The error for a successful answer that is not JSON (an HTML login page, a web server on the wrong port), nor
 * protobuf when the request offered it: its content type and the page's own words (`said`, as read from its body)
 * are quoted without the request's credentials (`authorization`, the proxy's), should the server echo them there.
 */
export function notJsonError(
  verb: string,
  where: string,
  access: ClusterAccess,
  response: Response,
  authorization?: string,
  said?: string,
): KubeApiError {
  const redact = (text: string) => withoutCredentials(text, authorization, access.proxyUrl);
  const type = redact(response.headers.get("content-type") ?? "");
  response.body?.cancel().catch(() => {});
  return new KubeApiError(
    `Cannot ${verb} ${where}: ${notJson(access, response.status, type)}` +
      (said ? ` (server said: ${quote(redact(said))})` : ""),
    { status: response.status, contentType: type },
  );
}

/**
 * Whether a Content-Type is kube-apiserver's protobuf (`application/vnd.kubernetes.protobuf`, for a watch with
 * `;stream=watch`).
 *
 * @param type The Content-Type header, if any.
 * @returns Whether the body is protobuf.
 *
 * @example
 * ```ts
 * import { isProtobuf } from "./api_errors.ts";
 * console.log(isProtobuf("application/vnd.kubernetes.protobuf;stream=watch")); // true
 * ```
 */
export function isProtobuf(type: string | null): boolean {
  return type !== null && /^\s*application\/vnd\.kubernetes\.protobuf\s*(;|$)/i.test(type);
}

/** Why an answer of content type `type` cannot be the API server's, and what to do. */
function notJson(access: ClusterAccess, code: number, type: string): string {
  return `the server at ${access.server} answered ${code} with content type ${quote(type)}, not JSON: ` +
    foreignAnswerAdvice(access);
}

/**
 * Whether an error answer of this content type may come from kube-apiserver: a JSON or protobuf `Status`, or Go's plain-text
 * "404 page not found" for a path outside its API groups (an EndpointSlice API that a server before 1.21 lacks).
 * An HTML page (a web server on the wrong port, a login page) never does.
 */
function apiServerErrorType(type: string | null): boolean {
  return type === null || /json|^\s*text\/plain/i.test(type) || isProtobuf(type);
}

/**
 * Quotes text that came from the server, cut to a few hundred characters,
 * so that a hostile server cannot flood messages and traces, and made
 * printable: JSON escapes only C0 controls, {@linkcode printable} DEL, C1
 * controls and bidi characters too, which would reorder a log line's words.
 *
 * @param text Any text from the server.
 * @returns The text as a JSON string, cut with `...` when long, with no control or format character.
 *
 * @example Quoting a Status message
 * ```ts
 * import { quote } from "./api_errors.ts";
 * console.log(quote("too old resource version: 5 (9)")); // "too old resource version: 5 (9)"
 * console.log(quote("x".repeat(1000)).length); // 305
 * console.log(quote("a\u202eb")); // "a\u202eb"
 * ```
 */
export function quote(text: string): string {
  return printable(JSON.stringify(text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}...` : text));
}

/**
 * The fields of a {@linkcode KubeApiError} that a Kubernetes `Status` carries, cut to a sane size.
 *
 * @param status A Status from an error response or an ERROR watch event.
 * @param redact Takes the request's credentials out of a text the server wrote (see {@linkcode withoutCredentials}).
 * @returns `status`, `reason`, `causes` and `details` for the error's options.
 *
 * @example
 * ```ts
 * import { statusFields } from "./api_errors.ts";
 * console.log(statusFields({ code: 410, reason: "Expired" }, (text) => text)); // { status: 410, reason: "Expired", causes: undefined, details: undefined }
 * ```
 */
export function statusFields(
  status: Status,
  redact: (text: string) => string,
): { status?: number; reason?: string; causes?: string[]; details?: { kind?: string; name?: string } } {
  const causes = Array.isArray(status.details?.causes)
    ? status.details.causes.slice(0, 10).flatMap((cause) =>
      isRecord(cause) && typeof cause.reason === "string" ? [redact(cause.reason).slice(0, 100)] : []
    )
    : [];
  const details: { kind?: string; name?: string } = {};
  for (const field of ["kind", "name"] as const) {
    const value = isRecord(status.details) ? status.details[field] : undefined;
    if (typeof value === "string" && value !== "") details[field] = redact(value).slice(0, 300);
  }
  return {
    status: typeof status.code === "number" ? status.code : undefined,
    reason: typeof status.reason === "string" ? redact(status.reason).slice(0, 100) : undefined,
    causes: causes.length > 0 ? causes : undefined,
    details: Object.keys(details).length > 0 ? details : undefined,
  };
}

/**
 * The path of a server URL (`https://host/prefix`) when kube-apiserver took a request under it for a path outside its
 * API: for a user RBAC limits, it denies the verb on that path (`cannot get path "/prefix/apis/..."`, `cannot post
 * path ...` for a review), which no grant of ours would fix; for one allowed everything (system:masters, as the admin
 * kubeconfigs of kind, kubeadm and minikube are), it answers Go's plain-text `404 page not found`, no `Status`, which
 * it writes only for a path outside its API groups.
 */
function unservedServerPath(server: string, code: number, status: Status): string | undefined {
  const path = new URL(server).pathname.replace(/\/+$/, "");
  if (path === "") return undefined;
  if (code === 404) return status.kind === undefined && status.code === undefined ? path : undefined;
  const message = status.message;
  if (code !== 403 || typeof message !== "string") return undefined;
  const at = message.indexOf(` path "${path}/`);
  return at > 0 && /cannot [a-z]+$/.test(message.slice(0, at)) ? path : undefined;
}

/**
 * The error for an error status: what to grant on a 403, to renew on a 401, what a 404 means; quotes the server.
 *
 * @param subject What the request was about.
 * @param access The cluster it went to.
 * @param response The answer.
 * @param status The Kubernetes Status in its body (`{}` when there was none), or the message of JSON that is none.
 * @param anonymous Whether the request carried no credentials.
 * @param authorization The Authorization header sent, to keep out of the message.
 * @returns The error.
 */
export function statusError(
  { verb, where, namespace, grant, missing, listed }: Subject,
  access: ClusterAccess,
  response: Response,
  status: ErrorBody,
  anonymous: boolean,
  authorization?: string,
): KubeApiError {
  const code = response.status;
  // A server or proxy that echoes the request's headers in its error must not make us print them.
  const redact = (text: string) => withoutCredentials(text, authorization, access.proxyUrl);
  const said = typeof status.message === "string" && status.message
    ? ` (server said: ${quote(redact(status.message))})`
    : "";
  // Whole seconds, as client-go reads the header (strconv.Atoi): another value (`1e3`, `0x10`, a date) is none. `0`
  // asks to wait for no time, which client-go retries at once (kubectl v1.36.3 sent 11 requests within 20 ms): a first one
  // is unreported, then waits the backoff as any Retry-After shorter than it (see `retryAfterMs()`).
  const header = response.headers.get("retry-after") ?? "";
  const retryAfter = /^\+?\d{1,15}$/.test(header) ? Number(header) : undefined;
  const raw = response.headers.get("content-type");
  const type = raw === null ? null : redact(raw);
  const options = {
    ...statusFields(status, redact),
    status: code,
    retryAfterSeconds: retryAfter,
    contentType: apiServerErrorType(type) ? undefined : type!,
  };
  let advice: string;
  // Only a proxy answers 407: through an http:// proxy, a request for an http:// server goes as it is, and Bun's
  // fetch gives its answer back (undici turns it into an error, `networkError()` of `_network_error.ts`).
  if (code === 407 && access.proxyUrl !== undefined) {
    return new KubeApiError(
      `Cannot ${verb} ${where}: the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource} answered ` +
        `407 (Proxy Authentication Required) for the API server at ${access.server}: ` +
        proxyLoginAdvice(access.proxyUrl, "407"),
      options,
    );
  }
  // Not the API server's answer: its status says nothing of grants, credentials or API versions. A 429 or 5xx
  // page of a load balancer in front of the API server is retried as any.
  if (!apiServerErrorType(type) && code !== 429 && code < 500) {
    return new KubeApiError(`Cannot ${verb} ${where}: ${notJson(access, code, type!)}${said}`, options);
  }
  // A gateway's own JSON refusal (kube-apiserver writes every error as a Status): no grant or API version of ours.
  if (status.foreign && (code === 403 || code === 404)) {
    return new KubeApiError(
      `Cannot ${verb} ${where}: the server at ${access.server} answered ${code} with JSON that is no Kubernetes ` +
        `Status: ${foreignAnswerAdvice(access)}${said}`,
      options,
    );
  }
  // Behind `kubectl proxy`, a request without credentials is the proxy user's: anonymous if a 403 says so.
  const saysAnonymous = typeof status.message === "string" && status.message.includes("system:anonymous");
  const unservedPath = unservedServerPath(access.server, code, status);
  if (access.credentials.withheld !== undefined && (code === 401 || (code === 403 && saysAnonymous))) {
    advice = `the API server at ${access.server} refused a request without credentials (${code}): ` +
      `${access.credentials.withheld}${said}`;
  } else if (anonymous && (code === 401 || (code === 403 && saysAnonymous))) {
    // kubectl proxy serves plain HTTP only: an https:// server is no kubectl proxy (a kube-apiserver with anonymous
    // authentication off answers 401 without credentials).
    const proxy = code === 401 && access.server.startsWith("http://")
      ? " (behind kubectl proxy: the proxy's own credentials were refused)"
      : "";
    advice = `the API server at ${access.server} refused a request without credentials (${code}): ` +
      `${access.source} gives none; give its user a token, a client certificate or an exec plugin${proxy}${said}`;
  } else if (code === 403 && saysAnonymous) { // Credentials it did not take (basic auth, an empty token).
    advice = `the API server at ${access.server} took the credentials from ${access.source} as system:anonymous ` +
      `(403): ${access.credentials.renewal ?? "give the user a token, a client certificate or an exec plugin"}${said}`;
  } else if (code === 401) {
    // What to do, as the credentials' source allows (an inline token or a certificate is read once).
    const renew = access.credentials.renewal ??
      (access.tls.cert === undefined
        ? "renew the credentials of the kubeconfig user"
        : "renew the client certificate (it may have expired, or the server not trust its CA), then restart");
    advice = `the API server at ${access.server} rejected the credentials from ${access.source} (401 Unauthorized): ` +
      renew;
  } else if (code === 403 && access.impersonate !== undefined && refusesImpersonation(status.message)) {
    advice = `the user of ${access.source} may not impersonate ${JSON.stringify(access.impersonate.user)} (403): ` +
      `grant that user ${impersonationGrant(access.impersonate)}, or remove as (and as-groups, as-uid, ` +
      `as-user-extra) from the kubeconfig user${said}`;
  } else if (unservedPath !== undefined) {
    // A 404 page there may still be a proxy's that serves the API under the path, for an API the server lacks.
    const proxied = code === 404 ? ` (then: ${missing})` : "";
    advice =
      `the API server at ${access.server} serves no API under the path ${unservedPath} of its URL (${code} for a ` +
      `path outside its API): remove the path from the server URL in ${access.source}, unless a proxy there serves ` +
      `the API under it${proxied}${said}`;
  } else if (code === 403) {
    // RBAC cannot tell a namespace that does not exist (a typo in the target, or one deleted) from a missing grant;
    // a LIST that just answered there can: the namespace exists, and only the watch is not granted.
    const scope = namespace === undefined
      ? "with a ClusterRole and ClusterRoleBinding"
      : `in namespace "${namespace}" with a Role and RoleBinding (${CHECK_ADVICE})` +
        (listed ? "" : `; if there is no namespace "${namespace}" (it gets this 403 too), fix the namespace`);
    const listOnly = listed ? "they may list these objects (a LIST just answered) but not watch them: " : "";
    advice = `forbidden (403) for the credentials from ${access.source}: ${listOnly}grant ${grant} ${scope}${said}`;
  } else if (code === 404) {
    advice = `${missing}${said}`;
  } else if (code === 410) {
    advice = `the resourceVersion expired (410 Gone): relisting${said}`;
  } else if (access.proxyUrl !== undefined && code >= 502 && code <= 504 && status.kind !== "Status") {
    // kube-apiserver writes its own as a Status: a bare gateway error, or a page, is the proxy's (or from beyond it).
    const page = apiServerErrorType(type) ? "" : ` with content type ${quote(type!)}`;
    advice = `the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource}, or something on the way, ` +
      `answered ${code}${page} for the API server at ${access.server}, with no Kubernetes Status, so not the API ` +
      `server's own answer: if this repeats, check that the proxy is up and reaches the API server${said}`;
  } else if (code >= 502 && code <= 504 && status.kind !== "Status" && apiServerErrorType(type)) {
    // Without a proxy too: a load balancer in front of the API server whose backends are down (a page is below).
    advice = `something in front of the API server at ${access.server} (a load balancer, a gateway) answered ${code} ` +
      "with no Kubernetes Status, so not the API server's own answer: if this repeats, check that it is up and " +
      `reaches a healthy API server${said}`;
  } else if (code === 429 || code >= 500) {
    const own = apiServerErrorType(type);
    const page = own ? "" : ` with content type ${quote(type!)}, not the API server's own answer`;
    // Priority and fairness turns requests away by their user's flow: whose they were tells two identities apart.
    const check = !own
      ? NOT_THE_API_SERVER
      : code === 429
      ? "check the API server's load (kubectl get --raw='/readyz?verbose') and the priority and fairness limits " +
        "for the request's user (kubectl get flowschemas,prioritylevelconfigurations)"
      : "check the API server's health and load (kubectl get --raw='/readyz?verbose')";
    const whose = own ? `; the request had the credentials from ${access.source}` : "";
    advice = `the API server at ${access.server} answered ${code}${page}: if this repeats, ${check}${whose}${said}`;
  } else if (code >= 300 && code < 400) {
    const location = response.headers.get("location");
    const to = location ? ` to ${quoteLocation(location, redact)}` : "";
    advice = `the API server at ${access.server} redirected (${code})${to}, which is not followed ` +
      "so that credentials never go to another host: point the kubeconfig at the API server itself";
  } else {
    advice = `the API server at ${access.server} answered ${code}${said}`;
  }
  return new KubeApiError(`Cannot ${verb} ${where}: ${advice}`, options);
}

/**
 * A redirect's target for a message: without its user name and password, and its query or fragment, which may
 * carry credentials (a login page's `?access_token=`), and saying what was left out.
 */
function quoteLocation(location: string, redact: (text: string) => string): string {
  // Scheme, authority (WHATWG URLs take backslashes for slashes), path, then query and fragment.
  const [, scheme = "", authority = "", path = "", rest = ""] =
    /^([a-z][a-z0-9+.-]*:)?([\\/]{2}[^\\/?#]*)?([^?#]*)([\s\S]*)$/i.exec(location) ?? [];
  const host = authority.replace(/^([\\/]{2})[\s\S]*@/, "$1");
  // An @ left after that (`https:user:password@host`, a password with a "/") may still be a password's end.
  if ((scheme + host + path).includes("@")) return "a target that holds an @ (not shown: it may hold a password)";
  const hidden = [
    ...(host !== authority ? ["user name and password"] : []),
    ...(rest ? [rest.startsWith("?") ? "query" : "fragment"] : []),
  ];
  return quote(redact(scheme + host + path)) + (hidden.length > 0 ? ` (its ${hidden.join(" and ")} not shown)` : "");
}

/**
 * A request that could not reach the API server, directly or through a proxy (refused, reset or timed out before an
 * answer): the reflector retries a first one once the slices were read before reporting it (see `planRetry()`). Logged
 * as the documented `KubeApiError` it is.
 */
export class UnreachableError extends KubeApiError {
  static {
    Object.defineProperty(this, "name", { value: KubeApiError.name });
  }
}

/**
 * A request whose TLS verification failed: the API server's certificate is not trusted with the configured CA, names
 * another host, or is outside its validity period. The watch cannot get over it by itself (see
 * `_unattended_failure.ts`). Logged as the documented `KubeApiError` it is.
 */
export class TlsVerificationError extends KubeApiError {
  static {
    Object.defineProperty(this, "name", { value: KubeApiError.name });
  }
}

/**
 * The error for an answer whose body broke off after the API server began to send it (status and headers came): the
 * server was reached, so the advice is not that of `networkError()` (`_network_error.ts`). kubectl says "unexpected
 * error when reading response body". A cause that quotes the proxy's credentials is dropped.
 *
 * @param verb `list`, `watch` or `get`.
 * @param where The objects, for the message.
 * @param access The cluster.
 * @param cause What the runtime threw while the body was read.
 * @returns The error.
 */
export function brokenAnswerError(verb: string, where: string, access: ClusterAccess, cause: unknown): KubeApiError {
  const described = describeCause(cause);
  const redacted = withoutCredentials(described, undefined, access.proxyUrl);
  // Printable, as `networkError()`'s: the runtime's words may quote the server's or a proxy's bytes.
  const detail = printable(redacted);
  const via = access.proxyUrl === undefined
    ? ""
    : ` through the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource}`;
  return new KubeApiError(
    `Cannot ${verb} ${where}: the connection to the API server at ${access.server}${via} broke while it sent its ` +
      `answer (${detail}): if this repeats, check the API server's health (kubectl get --raw='/readyz?verbose') and ` +
      "that the proxies and load balancers on the way do not cut connections after so many bytes or seconds",
    redacted === described ? { cause } : {},
  );
}
