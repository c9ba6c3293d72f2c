import assert from "node:assert/strict";
import { urlPort } from "../src/base/_url_port.ts";

Deno.test("urlPort() takes the port a URL names, else its scheme's, and none for another scheme without one", () => {
  assert.equal(urlPort(new URL("https://kube.example")), 443);
  assert.equal(urlPort(new URL("https://kube.example:443")), 443);
  assert.equal(urlPort(new URL("http://proxy.corp")), 80);
  assert.equal(urlPort(new URL("http://proxy.corp:3128")), 3128);
  assert.equal(urlPort(new URL("socks5://127.0.0.1")), 1080);
  assert.equal(urlPort(new URL("socks5h://[::1]:9050")), 9050);
  assert.equal(urlPort({ protocol: "https:", port: "" }), 443);
  // As written, as the connection goes: metrics and the SOCKS5 request took 443 for it, the NO_PROXY match 0.
  assert.equal(urlPort(new URL("https://kube.example:0")), 0);
  assert.equal(urlPort(new URL("ftp://files.example")), undefined);
  assert.equal(urlPort(new URL("ftp://files.example:2121")), 2121);
});
