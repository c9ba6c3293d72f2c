import assert from "node:assert/strict";
import { withoutCredentials } from "../src/api/without_credentials.ts";

const token = "SECRET-TOK/EN+abc=123";
const bearer = `Bearer ${token}`;
const basic = `Basic ${btoa(`alice:${token}`)}`;
const base64 = (text: string) => btoa(text);

Deno.test("withoutCredentials() masks a bearer token echoed as sent, percent-encoded or JSON-escaped", () => {
  for (
    const echo of [
      `denied ${bearer}`,
      `denied ${encodeURIComponent(token)}`,
      `denied ${JSON.stringify(JSON.stringify(bearer))}`,
    ]
  ) {
    const masked = withoutCredentials(echo, bearer, undefined);
    assert.ok(!masked.includes("SECRET") && !masked.includes("abc=123"), masked);
    assert.match(masked, /^denied /);
  }
});

Deno.test("withoutCredentials() masks a credential echoed in base64 or in another case", () => {
  // A server that logs the token encoded, or lower-cases the header it echoes (bearer secret-tok/en+abc=123).
  const cases: [string, string][] = [
    [`forbidden: token ${base64(token)} may not`, bearer],
    [`forbidden: token ${base64(token).replace(/=+$/, "")} may not`, bearer],
    [`forbidden: token ${base64(token).replaceAll("+", "-").replaceAll("/", "_")} may not`, bearer],
    [`forbidden: ${bearer.toLowerCase()}`, bearer],
    [`forbidden: ${bearer.toUpperCase()}`, bearer],
    [`forbidden: ${JSON.stringify(bearer.toLowerCase())}`, bearer],
    [`forbidden: ${basic.toLowerCase()}`, basic],
    [`forbidden: token ${base64(token)} may not`, basic],
  ];
  const pieces = [token, base64(token).slice(0, 20), btoa(`alice:${token}`).slice(4, 24)];
  const shown = pieces.flatMap((piece) => [piece, piece.toLowerCase()]);
  for (const [echo, authorization] of cases) {
    const masked = withoutCredentials(echo, authorization, undefined);
    for (const secret of shown) assert.ok(!masked.includes(secret), `${echo} -> ${masked}`);
    assert.match(masked, /^forbidden: .*\[redacted\]/, echo);
  }
});

Deno.test("withoutCredentials() leaves text that holds no credential as it is", () => {
  const text = 'endpointslices.discovery.k8s.io is forbidden: User "alice" cannot list resource "endpointslices"';
  assert.equal(withoutCredentials(text, bearer, undefined), text);
  assert.equal(withoutCredentials(text, basic, undefined), text);
});

Deno.test("withoutCredentials() masks a token with a lone surrogate, which has no percent-encoding, as written", () => {
  // encodeURIComponent throws on it ("URI malformed"): an exec plugin's env value so written broke its failure's
  // message, and the watch reported a broken connection instead.
  const odd = "abcdefgh\ud800xyz";
  assert.equal(withoutCredentials(`denied ${odd}`, `Bearer ${odd}`, undefined), "denied [redacted]");
});
