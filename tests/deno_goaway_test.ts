// Regression test for the Deno node:http2 GOAWAY crash (README, known issues):
// the scenario runs in a child process, since a crash would end this one.
import assert from "node:assert/strict";

Deno.test("a Deno client survives backends that shut down gracefully during a rollout", async () => {
  for (let run = 1; run <= 4; run++) {
    const { code, signal, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./deno_goaway/client.ts", import.meta.url).pathname],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assert.equal(signal, null, `run ${run} died with ${signal}:\n${text}`);
    assert.equal(code, 0, `run ${run} exited with ${code}:\n${text}`);
  }
});

Deno.test("a Deno server survives its client's GOAWAY, closing its session from the goaway listener", async () => {
  // A grpc-js server in a Deno process crashed so (SIGSEGV) when its clients closed their channels; without the
  // workaround's server half this scenario crashes every time.
  const { code, signal, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./deno_goaway/server.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(signal, null, `died with ${signal}:\n${text}`);
  assert.equal(code, 0, `exited with ${code}:\n${text}`);
  assert.match(text, /destroyed in the listener: false, after it: true/);
});
