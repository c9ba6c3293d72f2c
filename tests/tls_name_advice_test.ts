import assert from "node:assert/strict";
import { tlsNameAdvice } from "../src/adapters/_tls_name_advice.ts";

const MISMATCH = "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: ";

Deno.test("tlsNameAdvice() names the option to set and the certificate's DNS names", () => {
  const advice = tlsNameAdvice(
    `${MISMATCH}Host: echo.prod. is not in the cert's altnames: DNS:echo.prod.svc.cluster.local, DNS:echo.prod.svc`,
  );
  assert.match(advice, /^; the pods' certificate does not hold the channel's TLS name/);
  assert.match(advice, /"grpc\.ssl_target_name_override"/);
  assert.match(advice, /\(it holds "echo\.prod\.svc\.cluster\.local", "echo\.prod\.svc"\)/);
});

Deno.test("tlsNameAdvice() advises without names when the certificate has only a common name", () => {
  const advice = tlsNameAdvice(`${MISMATCH}Host: echo.prod. is not cert's CN: echo`);
  assert.match(advice, /set that option to a name the certificate holds, or issue/);
});

Deno.test("tlsNameAdvice() says nothing about other connection errors", () => {
  for (
    const error of [
      "connect ECONNREFUSED 127.0.0.2:50051",
      "Error: self-signed certificate in certificate chain",
      "none",
    ]
  ) assert.equal(tlsNameAdvice(error), "", error);
});

Deno.test("tlsNameAdvice() gives, for a wildcard, the service's name under it: the wildcard itself fails on Bun", () => {
  const advice = tlsNameAdvice(
    `${MISMATCH}Host: echo.prod. is not in the cert's altnames: DNS:*.prod.svc, DNS:prod.svc`,
  );
  assert.match(advice, /\(it holds "\*\.prod\.svc", which matches "echo\.prod\.svc", "prod\.svc"\)/);
});

Deno.test("tlsNameAdvice() says that a wildcard set as the TLS name is none: Bun checks it as a name", () => {
  const advice = tlsNameAdvice(`${MISMATCH}Host: *.prod.svc. is not in the cert's altnames: DNS:*.prod.svc`);
  assert.match(advice, /\(it holds "\*\.prod\.svc", which matches a name with a label in place of "\*", not itself\)/);
});

Deno.test("tlsNameAdvice() says that a target without a namespace checks the service's name alone", () => {
  const advice = tlsNameAdvice(`${MISMATCH}Host: echo. is not in the cert's altnames: DNS:echo.prod`, "echo");
  assert.match(advice, /\("echo" here, one label: a target without a namespace gets its service alone, so name the /);
  assert.match(advice, /namespace in the target, as in "kubernetes:\/\/\/svc\.ns:port"\)/);
});

Deno.test("tlsNameAdvice() says nothing of the namespace when the name checked has one", () => {
  assert.doesNotMatch(tlsNameAdvice(`${MISMATCH}Host: echo.prod. is not in the cert's altnames: DNS:x`), /one label/);
});

Deno.test("tlsNameAdvice() says nothing of the target's namespace when an option set the one-label name checked", () => {
  // "localhost" from grpc.ssl_target_name_override on a target "kubernetes:///echo.prod:grpc": naming the
  // namespace in the target, which it does, would change nothing.
  const advice = tlsNameAdvice(
    `${MISMATCH}Host: localhost. is not in the cert's altnames: DNS:echo.prod.svc`,
    "echo.prod",
  );
  assert.doesNotMatch(advice, /one label|name the namespace/);
  assert.match(advice, /\(it holds "echo\.prod\.svc"\)/);
});

Deno.test('tlsNameAdvice() gives no name under a wildcard with a "*" past its first label: it matches none', () => {
  // Node's check (Bun's and Deno's node:tls too) takes "*" in the first label only: "*.*.svc" holds no name.
  const advice = tlsNameAdvice(`${MISMATCH}Host: echo.prod. is not in the cert's altnames: DNS:*.*.svc, DNS:x`);
  assert.match(advice, /\(it holds "\*\.\*\.svc", which matches no name: "\*" stands for a first label only, "x"\)/);
});

Deno.test("tlsNameAdvice() says, for a certificate without a DNS name, that no name verifies it and what does", () => {
  // A pod certificate whose only name is a SPIFFE ID's URI, as Istio and SPIRE issue them: Node, Bun and Deno give
  // this reason, and no "grpc.ssl_target_name_override" makes it verify.
  const advice = tlsNameAdvice(`${MISMATCH}Cert does not contain a DNS name`, "echo.prod");
  assert.doesNotMatch(advice, /set that option|grpc\.ssl_target_name_override/);
  assert.match(advice, /^; the pods' certificate holds no DNS name and no common name/);
  assert.match(advice, /give createSsl\(\) a checkServerIdentity .*cert\.subjectaltname/);
  assert.match(advice, /or issue the certificate with a DNS name$/);
});

Deno.test("tlsNameAdvice() lists a name with a comma as the certificate holds it, and as no host name", () => {
  // Node and Bun quote such a name (JSON), Deno does not; Bun refuses it as the TLS name.
  for (const list of ['DNS:"a\\u002cb.prod.svc", DNS:echo.prod.svc', "DNS:a,b.prod.svc, DNS:echo.prod.svc"]) {
    const advice = tlsNameAdvice(`${MISMATCH}Host: echo.prod. is not in the cert's altnames: ${list}`);
    assert.match(advice, /\(it holds "a,b\.prod\.svc", which is no host name, "echo\.prod\.svc"\)/, list);
  }
});

Deno.test('tlsNameAdvice() gives, for a wildcard in part of a label ("e*"), the name it matches or what its label needs', () => {
  const error = (checked: string) => `${MISMATCH}Host: ${checked}. is not in the cert's altnames: DNS:e*.prod.svc`;
  assert.match(tlsNameAdvice(error("echo.prod")), /\(it holds "e\*\.prod\.svc", which matches "echo\.prod\.svc"\)/);
  assert.match(
    tlsNameAdvice(error("partial.prod")),
    /\(it holds "e\*\.prod\.svc", which matches a name with a label starting with "e" in place of "e\*", not itself\)/,
  );
});

Deno.test("tlsNameAdvice() gives no name under a wildcard that node:tls's check never matches", () => {
  // "*.svc": no wildcard over fewer than two labels; "e**": one "*" at most; "xn--*": no wildcard in an A-label.
  const advice = tlsNameAdvice(
    `${MISMATCH}Host: echo.prod. is not in the cert's altnames: DNS:*.svc, DNS:e**.prod.svc, DNS:xn--*.prod.svc`,
  );
  assert.match(advice, /"\*\.svc", which matches no name: a wildcard needs two labels after its own/);
  assert.match(advice, /"e\*\*\.prod\.svc", which matches no name: a label takes one "\*" at most/);
  assert.match(advice, /"xn--\*\.prod\.svc", which matches no name: "\*" in an "xn--" label is no wildcard/);
});

Deno.test("tlsNameAdvice() says of another Service's certificate that the address may be that Service's pod now", () => {
  // kube-apiserver v1.36.3, Node 20: the only pod of "alpha" lost its IP to a pod of "beta" (TLS, a certificate per
  // Service) before alpha's EndpointSlice dropped it. Setting the override to a "beta" name would send alpha's calls to
  // beta's pods.
  const error = `${MISMATCH}Host: alpha.prod. is not in the cert's altnames: DNS:beta.prod, DNS:beta.prod.svc, ` +
    "DNS:beta.prod.svc.cluster.local";
  const advice = tlsNameAdvice(error, "alpha.prod");
  assert.doesNotMatch(advice, /set that option to a name the certificate holds/);
  assert.match(advice, /^; the certificate is Service "beta"'s, of the same namespace \(it holds "beta\.prod", /);
  assert.match(
    advice,
    /this address is now a pod of "beta" \(pod IPs are reused\) that the EndpointSlices of "alpha" /,
  );
  assert.match(advice, /the option would send calls meant for "alpha" to it/);
  // The option is the fix when the pods serve that certificate on purpose (one issued for a headless Service).
  assert.match(advice, /either the pods of "alpha" serve that certificate, and "grpc\.ssl_target_name_override" set /);
  assert.match(advice, /kubectl get endpointslices -n prod -l kubernetes\.io\/service-name=alpha; kubectl get pods /);
});

Deno.test("tlsNameAdvice() keeps its advice when the certificate also names the channel's Service", () => {
  // "alpha.prod.svc" is this Service's: the override to it is the fix.
  const advice = tlsNameAdvice(
    `${MISMATCH}Host: alpha.prod. is not in the cert's altnames: DNS:beta.prod, DNS:alpha.prod.svc`,
    "alpha.prod",
  );
  assert.match(advice, /set that option to a name the certificate holds \(it holds "beta\.prod", "alpha\.prod\.svc"\)/);
  const wildcard = tlsNameAdvice(
    `${MISMATCH}Host: alpha.prod. is not in the cert's altnames: DNS:*.prod.svc`,
    "alpha.prod",
  );
  assert.match(wildcard, /set that option to a name the certificate holds/);
});

Deno.test("tlsNameAdvice() names another Service under an override of the fully qualified name too", () => {
  const advice = tlsNameAdvice(
    `${MISMATCH}Host: alpha.prod.svc.cluster.local. is not in the cert's altnames: DNS:beta.prod.svc.cluster.local`,
    "alpha.prod",
  );
  assert.match(advice, /^; the certificate is Service "beta"'s, of the same namespace/);
});
