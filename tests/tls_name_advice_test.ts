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
