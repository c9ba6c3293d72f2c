import assert from "node:assert/strict";
import { tlsOptions } from "../src/runtime/tls_options.ts";

const ca = await Deno.readTextFile(new URL("./fixtures/ca.pem", import.meta.url));
/** Valid PEM armour around DER that is no certificate. */
const garbage = "-----BEGIN CERTIFICATE-----\nQUJDREVGR0g=\n-----END CERTIFICATE-----\n";

Deno.test("tlsOptions() skips a CERTIFICATE block that does not parse, as kubectl does", () => {
  assert.equal(tlsOptions({ ca: garbage + ca, caSource: "ca.pem" }).ca, ca.trim() + "\n");
  assert.equal(tlsOptions({ ca: ca + garbage, caSource: "ca.pem" }).ca, ca.trim() + "\n");
});

Deno.test("tlsOptions() refuses a CA with no certificate that parses, naming its source", () => {
  assert.throws(
    () => tlsOptions({ ca: garbage, caSource: "certificate-authority /tmp/ca.pem" }),
    {
      message: "Cannot trust the CA in certificate-authority /tmp/ca.pem: none of its 1 CERTIFICATE blocks is an " +
        "X.509 certificate: replace it with the PEM of the cluster's CA certificate",
    },
  );
});

Deno.test("tlsOptions() says plainly that a CA holds no CERTIFICATE block, and which blocks it holds instead", () => {
  // kubectl v1.36.3 on a certificate-authority file holding only a key: "unable to load root certificates: no valid
  // certificate authority data seen".
  const key = "-----BEGIN PRIVATE KEY-----\nQUJDREVGR0g=\n-----END PRIVATE KEY-----\n";
  assert.throws(
    () => tlsOptions({ ca: key, caSource: "certificate-authority /tmp/ca.pem" }),
    {
      message: "Cannot trust the CA in certificate-authority /tmp/ca.pem: it holds no CERTIFICATE block (only " +
        "PRIVATE KEY): replace it with the PEM of the cluster's CA certificate, a -----BEGIN CERTIFICATE----- block",
    },
  );
});

Deno.test("tlsOptions() says that a CA's CERTIFICATE block was cut short before its END line", () => {
  // It said "it holds no CERTIFICATE block (only CERTIFICATE)", and to add the BEGIN line it has.
  const cut = ca.slice(0, ca.indexOf("-----END CERTIFICATE-----"));
  assert.throws(
    () => tlsOptions({ ca: cut, caSource: "certificate-authority /tmp/ca.pem" }),
    {
      message: "Cannot trust the CA in certificate-authority /tmp/ca.pem: its -----BEGIN CERTIFICATE----- line has " +
        "no -----END CERTIFICATE----- line after it (was it cut short?): replace it with the PEM of the cluster's CA " +
        "certificate, a -----BEGIN CERTIFICATE----- block",
    },
  );
});

Deno.test("tlsOptions() leaves the system roots when there is no CA", () => {
  assert.deepEqual(tlsOptions({ caSource: "the runtime's default CA roots" }), { rejectUnauthorized: true });
});

Deno.test("tlsOptions() sends no server name that is an IP address and checks the certificate against it", () => {
  const options = tlsOptions({ caSource: "ca.pem", serverName: "10.96.0.1" });
  assert.equal(options.servername, undefined);
  const certificate = { subject: { CN: "kube-apiserver" }, subjectaltname: "IP Address:10.96.0.1" };
  const check = options.checkServerIdentity!;
  assert.equal(check("127.0.0.1", certificate as never), undefined);
  assert.match(
    String(check("10.96.0.1", { ...certificate, subjectaltname: "IP Address:10.96.0.2" } as never)),
    /10\.96\.0\.1/,
  );
});

Deno.test("tlsOptions() takes a bracketed IPv6 server name as the address, as kubectl does", () => {
  // kubectl v1.36.3 lists with tls-server-name "[::1]" against a certificate for IP ::1; it was sent in SNI, and a
  // Node server answered with an "illegal parameter" alert.
  const options = tlsOptions({ caSource: "ca.pem", serverName: "[fd00::1]" });
  assert.equal(options.servername, undefined);
  const certificate = { subject: { CN: "kube-apiserver" }, subjectaltname: "IP Address:FD00:0:0:0:0:0:0:1" };
  assert.equal(options.checkServerIdentity!("::1", certificate as never), undefined);
});

Deno.test("tlsOptions() sends a server name that is a DNS name", () => {
  const options = tlsOptions({ caSource: "ca.pem", serverName: "kubernetes.default.svc" });
  assert.deepEqual(options, { rejectUnauthorized: true, servername: "kubernetes.default.svc" });
});
