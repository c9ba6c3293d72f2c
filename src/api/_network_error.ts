/**
 * The error for a request to the Kubernetes API server that got no answer, read from what the runtime threw: a
 * permission Deno refused, a server that does not speak TLS or HTTP/1.1, a failed TLS verification, a proxy or a
 * server out of reach. Each says what to do, and no credential is in it.
 *
 * The errors for answers (an error status, one that is not the API server's) stay with `api_errors.ts`.
 *
 * @module
 */

import type { ClusterAccess } from "../cluster/types.ts";
import { KubeApiError } from "../base/errors.ts";
import { describeCause } from "../base/_describe_cause.ts";
import { printable } from "../base/printable.ts";
import { urlPort } from "../base/_url_port.ts";
import { lookupRefusedByDeno } from "../runtime/http_client.ts";
import { isBunRequestLimit } from "../runtime/bun_request_slots.ts";
import { grantedEnvironmentVariable, refusedByRuntime } from "../runtime/files.ts";
import { runtimeKey } from "../runtime/runtime.ts";
import {
  deniedEnvAdvice,
  denoHolder,
  grantOrListAdvice,
  refusedNetAddress,
} from "../runtime/deno_permission_advice.ts";
import { proxyForDisplay } from "../cluster/proxy.ts";
import { TlsVerificationError, UnreachableError } from "./api_errors.ts";
import { proxyLoginAdvice } from "./_proxy_login_advice.ts";
import { settingPlace } from "./_setting_place.ts";
import { tlsAnswerToPlainHttpError } from "./_plain_http_to_tls.ts";
import { withoutCredentials } from "./without_credentials.ts";

/**
 * The error for a request that got no answer: a permission Deno refused, a server that does not speak TLS, a
 * failed TLS verification, a proxy or a server out of reach. A cause that quotes the credentials is dropped,
 * and they are redacted from its text.
 *
 * @param verb `list`, `watch` or `get`.
 * @param where The objects, for the message.
 * @param access The cluster.
 * @param cause What the runtime threw.
 * @param authorization The Authorization header sent, to keep out of the message.
 * @returns The error.
 */
export function networkError(
  verb: string,
  where: string,
  access: ClusterAccess,
  cause: unknown,
  authorization?: string,
): KubeApiError {
  const described = describeCause(cause);
  // A runtime error that quotes the credentials: neither it nor its message may travel on.
  const redacted = withoutCredentials(described, authorization, access.proxyUrl);
  // Its other fields too: Bun's error for a proxy that refused the tunnel carries the proxy's answer headers.
  const shown = shownText(cause);
  if (redacted !== described || withoutCredentials(shown, authorization, access.proxyUrl) !== shown) cause = undefined;
  // The runtime's words may quote a server's or a proxy's bytes (a status line, a TLS alert): none reaches a terminal
  // raw. printable() leaves printable text as it is, so what a runtime or our connector escaped is not escaped again.
  const detail = printable(redacted);
  const options = cause === undefined ? {} : { cause };
  const withoutUrls = detail.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "");
  // Neither the proxy nor the server is at fault: the request was not sent.
  if (isBunRequestLimit(cause)) return new KubeApiError(`Cannot ${verb} ${where}: ${detail}`, options);
  const lookupRefused = lookupRefusedByDeno(cause);
  if (refusedByRuntime(cause) || lookupRefused) {
    // Deno refused the HTTP client (undici, which reads variables of its own) a permission: the server is not at fault.
    // Only Deno's own words say which: a host name may hold "env" too.
    // Behind a proxy, the connection Deno refused is the proxy's: the API server in the list does not help.
    const [flag, what] = !lookupRefused && /\benv access\b/.test(detail)
      ? ["env", "the variable"]
      : access.proxyUrl === undefined
      ? ["net", "the API server"]
      : ["net", `the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource}`];
    const via = flag === "net" && access.proxyUrl !== undefined ? " (the API server is reached through it)" : "";
    // A variable in --deny-env is refused in the same words with --allow-env too.
    const variable = flag === "env" ? /\bRequires env access to "([^"]+)"/.exec(detail)?.[1] : undefined;
    // The address Deno refused, in the form --allow-net takes (host:port, an IPv6 host in brackets). A refused DNS
    // lookup quotes none ("getaddrinfo EPERM kube.example"): the host it was for, with its port, is what Deno grants.
    const address = flag !== "net"
      ? undefined
      : refusedNetAddress(detail) ?? (lookupRefused ? hostAndPort(access.proxyUrl ?? access.server) : undefined);
    const fix = (variable === undefined ? undefined : deniedEnvAdvice([variable])) ??
      `${grantOrListAdvice(flag, address, what)}${via}`;
    return new KubeApiError(
      `Cannot ${verb} ${where}: ${denoHolder()} may not reach ${access.server} (${detail}): ${fix}`,
      options,
    );
  }
  // A TLS record for an answer (a rustls server's alert to plain HTTP), which the HTTP/1.1 parsers refuse below too.
  const tlsAnswer = tlsAnswerToPlainHttpError(verb, where, access, cause, detail, options);
  if (tlsAnswer) return tlsAnswer;
  // Over HTTP/2 (Node and Bun, unless `cluster.http2` is false), the gRPC server the kubeconfig points at by mistake
  // answers, in gRPC (`_http2_request.ts`'s words): we spoke HTTP/2 to it, so not "does not answer in HTTP/1.1".
  if (access.proxyUrl === undefined && /answers in gRPC, not as/.test(withoutUrls)) {
    // Its words say it all but where: said once, with the server's address in place of "the server".
    const answer = /^the server (answers in gRPC, not as a Kubernetes API server .*)$/s.exec(detail)?.[1] ??
      `answers in gRPC (${detail})`;
    return new KubeApiError(
      `Cannot ${verb} ${where}: the server at ${access.server} ${answer}: check ` +
        settingPlace(access, "the port", "KUBERNETES_SERVICE_PORT"),
      options,
    );
  }
  // What undici and node:http (Node, Bun) say when the answer is not HTTP/1.1: an HTTP/2-only server, such
  // as a gRPC server, is up and reachable. Over TLS, the server refuses the HTTP/1.1 of the hello with a "no
  // application protocol" alert (OpenSSL's words, and rustls' NoApplicationProtocol).
  if (
    access.proxyUrl === undefined &&
    /Expected HTTP\/|HPE_INVALID_CONSTANT|no.?application.?protocol/i.test(withoutUrls)
  ) {
    return new KubeApiError(
      `Cannot ${verb} ${where}: the server at ${access.server} does not answer in HTTP/1.1 (${detail}): it is not a ` +
        `Kubernetes API server (an HTTP/2-only server, such as a gRPC server, answers so): check ` +
        settingPlace(access, "the port", "KUBERNETES_SERVICE_PORT"),
      options,
    );
  }
  // What OpenSSL (Node), rustls (Deno) and Bun say when the answer to a TLS hello is not TLS.
  if (/wrong.version.number|InvalidContentType|Does the server speak TLS/i.test(withoutUrls)) {
    // Through a proxy, the proxy may be the one that does not (an https:// proxy URL for a plain HTTP proxy).
    const via = access.proxyUrl === undefined ? "" : `, or the proxy ${proxyForDisplay(access.proxyUrl)} from ` +
      `${access.proxySource},`;
    return new KubeApiError(
      `Cannot ${verb} ${where}: the server at ${access.server}${via} does not answer in TLS (${detail}): ` +
        (access.origin.kind === "in-cluster" // In a pod, the URL is https:// always.
          ? "check KUBERNETES_SERVICE_PORT"
          : `if it serves plain HTTP on this port, its URL in ${access.source} must start with http://; else check ` +
            "the port"),
      options,
    );
  }
  // Our connect timeout's words for a server that took the connection and did not finish TLS: it was reached.
  if (access.proxyUrl === undefined && /the TLS handshake did not finish within/.test(withoutUrls)) {
    return new UnreachableError(
      `Cannot ${verb} ${where}: the server at ${access.server} from ${access.source} took the connection but did not ` +
        `finish the TLS handshake (${detail}), as kubectl's "TLS handshake timeout": the API server there is ` +
        "stopped, hung or overloaded, or the port serves something else that waits for the client to speak: check " +
        "the server's health and the port",
      options,
    );
  }
  // The HTTP/2 client's (`cluster.http2`) for a server that sent new connections away (GOAWAY) for its whole resend
  // time: reached, and up, but restarting, shutting down or shedding connections; the address is not at fault.
  if (/refused new streams after GOAWAY on/.test(withoutUrls)) {
    return new UnreachableError(
      `Cannot ${verb} ${where}: the API server at ${access.server} from ${access.source} was reached but sent every ` +
        `new connection away (${detail}): it is restarting, shutting down or shedding connections (kube-apiserver's ` +
        `--goaway-chance)${verb === "watch" ? "; a watch tries again by itself" : ""}: if this lasts, check the ` +
        "API server's health and logs, or set cluster.http2: false",
      options,
    );
  }
  // The HTTP/2 client's (`cluster.http2`) for a server that finished TLS, chose h2, and never sent its SETTINGS.
  if (/did not start HTTP\/2 \(no SETTINGS frame\) within/.test(withoutUrls)) {
    return new UnreachableError(
      `Cannot ${verb} ${where}: the server at ${access.server} from ${access.source} took the TLS connection but ` +
        `never started HTTP/2 (${detail}): the API server there is hung or overloaded, or the port serves something ` +
        "else that accepts HTTP/2 in TLS and waits: check the server's health and the port, or set cluster.http2: false",
      options,
    );
  }
  // OpenSSL's verdict (Node, Bun) on a serving certificate outside its validity period: a CA check would not help.
  // Neither the error nor the socket (freed by then) gives the certificate's dates: the local time says the rest.
  // Deno's node:tls says UNABLE_TO_VERIFY_LEAF_SIGNATURE for it: the CA advice below, which then names the dates too.
  const period = /\bCERT_HAS_EXPIRED\b|certificate has expired/i.test(withoutUrls)
    ? "has expired"
    : /\bCERT_NOT_YET_VALID\b|certificate is not yet valid/i.test(withoutUrls)
    ? "is not valid yet"
    : undefined;
  if (period !== undefined) {
    // Through an https:// proxy, the certificate may be the proxy's.
    const proxy = access.proxyUrl?.startsWith("https:")
      ? ` (or the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource}, whose certificate it may be)`
      : "";
    const fix = period === "has expired"
      ? "renew the API server's serving certificate (on kubeadm: kubeadm certs renew apiserver, then restart " +
        "kube-apiserver), or, if it is still valid there, set this machine's clock right"
      : "set this machine's clock right if it is behind, or reissue the API server's certificate with a start " +
        "date that has come";
    return new TlsVerificationError(
      `Cannot ${verb} ${where}: the TLS certificate of the API server at ${access.server}${proxy} ${period} ` +
        `(local time ${new Date().toISOString()}; ${detail}): ${fix}`,
      options,
    );
  }
  // A connection closed or reset before TLS was set up (Node: "Client network socket disconnected before secure TLS
  // connection was established"; a restarting API server, a load balancer without a backend) verified nothing.
  const cutShort = /\b(ECONNRESET|EPIPE|ECONNREFUSED)\b/.test(withoutUrls);
  // Only a verdict on a certificate: OpenSSL's codes and words (Node, Bun: UNABLE_TO_VERIFY_LEAF_SIGNATURE,
  // DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID, "self signed certificate"), rustls' (Deno: "invalid
  // peer certificate: UnknownIssuer", NotValidForName), and a server's alert refusing ours ("alert bad certificate",
  // "alert unknown ca", "handshake failure"). A handshake that did not finish (through a proxy, our connect timeout's
  // "the TLS handshake did not finish") verified nothing: it is out of reach below, and ends by itself.
  const verdict =
    /cert|UNABLE_TO_VERIFY|unknown.?(issuer|ca)\b|self.signed|altname|NotValidForName|handshake.?failure/i;
  if (!cutShort && verdict.test(withoutUrls)) {
    const settings = access.tls.caSettings ?? "certificate-authority and tls-server-name";
    return new TlsVerificationError(
      `Cannot ${verb} ${where}: TLS verification of ${access.server} failed with ${access.tls.caSource} (${detail}); ` +
        `check ${settingPlace(access, settings, settings)}; ` +
        // A CA rotated under a running process is the other cause: only a CA file is read again.
        (access.currentCa !== undefined
          ? "the CA file is read again every 5 minutes, so a rotated cluster CA written there is trusted within 5 " +
            "minutes (restart the process after changing the server or the TLS server name)"
          : "they are read once, at start, so restart the process after changing them (a rotated cluster CA, say)") +
        (runtimeKey() === "deno" && /\bUNABLE_TO_VERIFY_LEAF_SIGNATURE\b/.test(withoutUrls)
          ? `; on Deno, this error also comes from a certificate that has expired or is not valid yet (local time ` +
            `${new Date().toISOString()}): check the API server's certificate's dates too`
          : "") +
        (runtimeKey() === "deno" && access.tls.ca === undefined && rootsMayBeTheCause(withoutUrls)
          ? "; on Deno, the default roots are its bundled Mozilla roots, not the system store that kubectl reads: " +
            "set DENO_TLS_CA_STORE=system to use the system store, or DENO_CERT=/path/ca.crt to add the cluster's CA"
          : ""),
      options,
    );
  }
  if (access.proxyUrl !== undefined) {
    // 407 Proxy Authentication Required, in undici's words ("Proxy response (407)") and Bun's; a SOCKS5 proxy's
    // refusal or request of a login, in our connector's words (`socks5_connector.ts`).
    const refused = /\b407\b/.test(withoutUrls)
      ? "407"
      : /SOCKS5 proxy \S+ (refused the user name and password|asks for a login)/.test(withoutUrls)
      ? "SOCKS5"
      : undefined;
    const login = refused !== undefined
      ? proxyLoginAdvice(access.proxyUrl, refused)
      : /Cannot log in to the SOCKS5 proxy/.test(withoutUrls)
      ? "the proxy's user name or password is longer than SOCKS5 can send: shorten it in its URL, or use an HTTP proxy"
      // undici's wait for the answer to the CONNECT, bounded in `http_client.ts` (an API answer's is never reached).
      : /\bUND_ERR_HEADERS_TIMEOUT\b/.test(withoutUrls)
      ? "the proxy did not answer the CONNECT within 10 s: check that it is up and can reach the server"
      : undefined;
    return new (login ? KubeApiError : UnreachableError)(
      `Cannot ${verb} ${where}: cannot reach the API server at ${access.server} from ${access.source} through ` +
        `the proxy ${proxyForDisplay(access.proxyUrl)} from ${access.proxySource} (${detail}); ` +
        (login ?? "check that the proxy is up and lets this server through, and that the server is up"),
      // A refused login has the status of a 407 (SOCKS5's too), as a proxy's answer has: only the user can end it.
      refused !== undefined ? { ...options, status: 407 } : options,
    );
  }
  // kube-apiserver answers plain HTTP on its TLS port with a 400 and closes at once, which often resets the
  // connection before the client reads the answer (undici on Deno always saw the reset).
  const tlsPort = access.server.startsWith("http://") && /\bECONNRESET\b|socket hang up|other side closed/i.test(detail)
    ? `, and if this port serves HTTPS (kube-apiserver's does), make the URL in ${access.source} start with https://`
    : "";
  return new UnreachableError(
    `Cannot ${verb} ${where}: cannot reach the API server at ${access.server} from ${access.source} (${detail}); ` +
      `check that the address is right and the server is up${tlsPort}`,
    options,
  );
}

/**
 * Whether Deno's default roots may be why a certificate was refused: only when its issuer was unknown (rustls'
 * `UnknownIssuer`, OpenSSL's codes for a missing issuer), not for a name the certificate does not hold or our client
 * certificate refused, and not when `DENO_TLS_CA_STORE` names the system store already (read only where that asks
 * for no permission). Deno's default roots are its bundled Mozilla roots: a CA installed in the system store is not
 * among them. A self-signed serving certificate (`DEPTH_ZERO_SELF_SIGNED_CERT`) is no CA they could add: DENO_CERT
 * naming it still failed (Deno 2.9.6), where the kubeconfig's certificate-authority works.
 */
function rootsMayBeTheCause(error: string): boolean {
  const unknownIssuer =
    /\b(UnknownIssuer|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT\w*)\b/;
  if (!unknownIssuer.test(error)) return false;
  const store = grantedEnvironmentVariable("DENO_TLS_CA_STORE");
  return !(store ?? "").split(",").map((name) => name.trim()).includes("system");
}

/**
 * The strings that an inspect of `value` would show: an error's message, own fields, header values and causes, a few
 * levels deep (fields behind getters are not read).
 */
function shownText(value: unknown, depth = 0): string {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null || depth > 4) return "";
  if (value instanceof Headers) return [...value].flat().join("\n");
  const parts = value instanceof Error ? [value.message] : [];
  for (const name of Object.getOwnPropertyNames(value)) {
    const field = Object.getOwnPropertyDescriptor(value, name)?.value;
    parts.push(shownText(field, depth + 1));
  }
  return parts.join("\n");
}

/** The host and port of a URL as `--allow-net` takes them (`kube.example:443`), the scheme's port when none is written. */
function hostAndPort(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    const port = urlPort(parsed);
    return port === undefined ? undefined : `${parsed.hostname}:${port}`;
  } catch {
    return undefined;
  }
}
