/**
 * One request to the API server with the cluster's credentials: its headers (the Authorization header checked before
 * fetch sees it, impersonation, compression), and every answer but a good one turned into an error that says what to
 * do, without the credentials.
 *
 * @module
 */

import type { ClientCertificate, ClusterAccess } from "../cluster/types.ts";
import { ConfigError, ResolverError } from "../base/errors.ts";
import type { HttpClient, HttpResponse } from "../runtime/http_client.ts";
import { settledOnAbort } from "../runtime/abortable.ts";
import { userAgent } from "../runtime/user_agent.ts";
import { proxyForDisplay } from "../cluster/proxy.ts";
import { isApiContentType, isProtobuf, notJsonError, statusError, type Subject } from "./api_errors.ts";
import { networkError } from "./_network_error.ts";
import { plainHttpToTlsError } from "./_plain_http_to_tls.ts";
import { withoutCredentials } from "./without_credentials.ts";
import { impersonationHeaders } from "./impersonation_headers.ts";
import { pageText } from "./_page_text.ts";
import { utf8 } from "./_read_body.ts";
import { parseStatus, protobufBody, readStatusBytes } from "./_status_body.ts";

/** What fetch refuses in a header value: control characters (tab aside) and anything beyond Latin-1. */
// deno-lint-ignore no-control-regex
const INVALID_HEADER_VALUE = /[\x00-\x08\x0a-\x1f\x7f]|[^\x00-\xff]/;
/** The Accept header of a request for JSON alone. */
export const JSON_ONLY = "application/json";

/**
 * Sends one GET (a POST of `body` as JSON, when given) with the credentials, asking for `accept`; resolves to a 2xx
 * answer in JSON (or protobuf, when `accept` offers it) and the Authorization header it carried, else throws a
 * {@linkcode KubeApiError} that says what to do.
 *
 * @param access Where the cluster is and how to authenticate.
 * @param client The runtime's HTTP client for that cluster.
 * @param subject What the request is about, for the messages of its errors.
 * @param url The request's URL.
 * @param signal Aborts the request (and the wait for its credentials).
 * @param body When given, sent as JSON with POST.
 * @param pauseTiming Pauses the caller's timing while the request waits for an exec plugin's credentials.
 * @param accept The Accept header.
 * @returns The answer, and the Authorization header the request carried.
 * @throws {ConfigError} When the credentials make an invalid Authorization header, or the impersonation headers
 *   cannot be sent apart.
 *
 * @example Reading a Namespace
 * ```ts ignore
 * const { response } = await sendApiRequest(access, client, subject, `${access.server}/api/v1/namespaces/prod`, signal);
 * ```
 */
export async function sendApiRequest(
  access: ClusterAccess,
  client: HttpClient,
  subject: Subject,
  url: string,
  signal: AbortSignal,
  body?: unknown,
  pauseTiming?: () => () => void,
  accept: string = JSON_ONLY,
): Promise<HttpResponse & { authorization?: string }> {
  const { verb, where } = subject;
  // Names us (after the application, when it names itself) in the API server's audit log, as kubectl and client-go
  // name themselves.
  const headers: Record<string, string> = { accept, "user-agent": userAgent(access.userAgent) };
  if (body !== undefined) headers["content-type"] = "application/json";
  // As client-go (Go's transport) asks: kube-apiserver compresses a large LIST (0.69 MiB of 5,000 endpoints comes as
  // 38 KiB). Never a watch, which it does not compress, and whose events a gzip stream would hold back. A
  // kubeconfig's `disable-compression` asks for none, outright: Bun's fetch (through a proxy) asks for gzip itself.
  if (access.disableCompression) headers["accept-encoding"] = "identity";
  else if (verb !== "watch") headers["accept-encoding"] = "gzip";
  // An exec plugin that hangs must not outlast the caller's abort.
  // Only an exec plugin's wait, which has its own limit: a token file on a mount that hangs must still stall.
  const resumeTiming = access.credentials.timeLimitMs === undefined ? undefined : pauseTiming?.();
  let authorization: string | undefined;
  // The client certificate the client sends, of the same answer: with the header, it tells a 401 for an exec
  // plugin's older answer from one for the answer that stands.
  let certificate: ClientCertificate | undefined;
  try {
    authorization = await settledOnAbort(access.credentials.authorization(), signal);
    if (access.credentials.clientCertificate) {
      certificate = await settledOnAbort(access.credentials.clientCertificate(), signal);
    }
  } finally {
    resumeTiming?.();
  }
  if (authorization) {
    // fetch's own error for a bad header value quotes the value: check first, and never show it.
    if (INVALID_HEADER_VALUE.test(authorization)) {
      throw new ConfigError(
        `Cannot ${verb} ${where}: the credentials from ${access.source} make an invalid Authorization header ` +
          "(the token or password holds a line break, a control character or a character beyond Latin-1; " +
          "it is not shown): fix the token",
      );
    }
    headers.authorization = authorization;
  }
  let answer: HttpResponse;
  try {
    const post = body === undefined ? {} : { method: "POST", body: JSON.stringify(body) };
    // As pairs: a name repeats for each impersonated group.
    const lines = access.impersonate === undefined
      ? Object.entries(headers)
      : [...Object.entries(headers), ...impersonationHeaders(access.impersonate)];
    if (client.joinsRepeatedHeaders && new Set(lines.map(([name]) => name.toLowerCase())).size < lines.length) {
      // Joined, two groups would reach the server as one group named "a, b": another identity.
      throw new ConfigError(
        `Cannot ${verb} ${where}: the user of ${access.source} impersonates several groups or extra values (as-groups, ` +
          "as-user-extra), each of which needs a header line of its own, and Bun's fetch, which reaches the API " +
          `server through the proxy ${proxyForDisplay(access.proxyUrl!)}, joins them into one: run this program ` +
          "on Node or Deno, or reach the API server without the proxy",
      );
    }
    answer = await client.fetch(url, { ...post, headers: lines, signal, redirect: "manual" });
  } catch (cause) {
    if (signal.aborted || cause instanceof ResolverError) throw cause;
    throw networkError(verb, where, access, cause, authorization);
  }
  const { response } = answer;
  const contentType = response.headers.get("content-type");
  // The credentials come out before the text is put on one line, which would make one that holds a tab no longer match.
  const redact = (raw: string) => withoutCredentials(raw, authorization, access.proxyUrl);
  if (response.ok) {
    if (isApiContentType(contentType, accept !== JSON_ONLY)) return { ...answer, authorization };
    // A login page, a web server on the wrong port: its own words say what answered. Only a page is read: another
    // answer (a watch stream that a proxy relabelled, say) may never end.
    const page = /^\s*text\/html/i.test(contentType ?? "") ? utf8(await readStatusBytes(response, signal)) : undefined;
    throw notJsonError(verb, where, access, response, authorization, page && pageText(redact(page)));
  }
  const bytes = await readStatusBytes(response, signal);
  const protobufStatus = isProtobuf(contentType) ? protobufBody(bytes) : undefined;
  const text = protobufStatus === undefined ? utf8(bytes) : undefined;
  const plainHttp = plainHttpToTlsError(verb, where, access, response.status, text);
  if (plainHttp) throw plainHttp;
  const status = protobufStatus ?? parseStatus(text, contentType, redact);
  if (response.status === 401) access.credentials.invalidate(authorization, certificate);
  // No header, no client certificate, no exec plugin (which may return one): the server, or a proxy in
  // front of it, gets a request without credentials.
  const anonymous = !authorization && access.tls.cert === undefined &&
    access.credentials.clientCertificate === undefined;
  throw statusError(subject, access, response, status, anonymous, authorization);
}
