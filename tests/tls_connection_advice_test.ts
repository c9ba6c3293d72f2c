import assert from "node:assert/strict";
import { tlsConnectionAdvice } from "../src/adapters/_tls_connection_advice.ts";

/** What a TLS channel gets from pods that answer in plaintext, by runtime (grpc-js 1.14, a plaintext grpc-js pod). */
const NOT_TLS = {
  node: "Error: 80FC03B1F57F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:" +
    "../deps/openssl/openssl/ssl/record/ssl3_record.c:350:",
  bun: "Error: error:100000f7:SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER",
  deno:
    "Error: received corrupt message of type InvalidContentType (SSL routines:ssl3_get_record:wrong version number)",
};

Deno.test("tlsConnectionAdvice() says, for pods that do not answer in TLS, to use insecure credentials if they serve plaintext", () => {
  for (const [runtime, error] of Object.entries(NOT_TLS)) {
    assert.equal(
      tlsConnectionAdvice(error),
      "; the pods do not answer in TLS on this port: if they serve plaintext, create the channel with insecure " +
        "credentials (grpc.credentials.createInsecure())",
      runtime,
    );
  }
});

Deno.test("tlsConnectionAdvice() says nothing about other connection errors", () => {
  for (
    const error of [
      "connect ECONNREFUSED 127.0.0.2:50051",
      "Failed to connect (2026-12-04T14:16:10.512Z)",
      "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Cert does not contain a DNS name",
      "none",
      // A certificate expired, not yet valid, or not for servers, with the right CA: Node's words, then Bun's.
      "Error: certificate has expired",
      "Error: certificate is not yet valid",
      "Error: unsuitable certificate purpose",
      "Error: unsupported certificate purpose",
      // A pod without "h2" in ALPN (Node, Bun, Deno).
      "Error: 803C70A6487F0000:error:0A000460:SSL routines:ssl3_read_bytes:tlsv1 alert no application protocol:" +
      "../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 120",
      "Error: error:10000460:SSL routines:OPENSSL_internal:TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
      "Error: received fatal alert: NoApplicationProtocol",
    ]
  ) assert.equal(tlsConnectionAdvice(error), "", error);
});

/** What a TLS channel gets from pods whose certificate does not chain to its roots, on Node, Bun and Deno. */
const UNTRUSTED = [
  // A wrong CA or none given to createSsl(), a pod that does not send its intermediate; Bun: a self-signed pod.
  "Error: unable to verify the first certificate",
  // A pod that sends its intermediate, whose root the channel does not trust.
  "Error: unable to get local issuer certificate",
  // A self-signed pod (Node, Deno).
  "Error: self-signed certificate",
  // A pod that sends its chain up to a root the channel does not trust (Bun: "self signed").
  "Error: self-signed certificate in certificate chain",
  "Error: self signed certificate in certificate chain",
];

Deno.test("tlsConnectionAdvice() says, for pods whose certificate the channel does not trust, which CA to give", () => {
  for (const error of UNTRUSTED) {
    const advice = tlsConnectionAdvice(error);
    assert.match(
      advice,
      /^; the pods' certificate does not chain to a CA the channel trusts: give createSsl\(\) /,
      error,
    );
    assert.match(advice, /the API server's CA .* is not used for pods/, error);
    assert.match(advice, /have the pods send any intermediate CA with their certificate(;|$)/, error);
  }
});

Deno.test("tlsConnectionAdvice() says that Deno's 'unable to verify the first certificate' may be an expired certificate", () => {
  // Deno gives it, with the code UNABLE_TO_VERIFY_LEAF_SIGNATURE, for a certificate of the CA given to createSsl()
  // that has expired, is not yet valid, or has an extendedKeyUsage without serverAuth (measured on Deno 2.9.6), where
  // Node and Bun say "certificate has expired", "certificate is not yet valid", "unsuitable certificate purpose".
  const advice = tlsConnectionAdvice("Error: unable to verify the first certificate");
  assert.match(advice, /give createSsl\(\) the CA that issued it/);
  assert.match(
    advice,
    /; on Deno, this error also comes from a certificate expired, not yet valid, or not for servers \(an extendedKeyUsage without serverAuth\): check its dates and usage$/,
  );
  for (const error of UNTRUSTED.filter((error) => !error.includes("first certificate"))) {
    assert.doesNotMatch(tlsConnectionAdvice(error), /on Deno/, error);
  }
});
