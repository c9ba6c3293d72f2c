// Regression tests for the Deno node:http2 GOAWAY crash (README, known issues):
// each scenario runs in a child process, since a crash would end this one.
import assert from "node:assert/strict";
import { childEnv } from "./_child_env.mjs";

/** Runs a scenario of `deno_goaway/` in a Deno child process; fails if it crashed or failed, else gives its output. */
async function survives(scenario: string, run = ""): Promise<string> {
  const { code, signal, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    env: childEnv(),
    args: ["run", "-A", new URL(`./deno_goaway/${scenario}`, import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(signal, null, `${run}died with ${signal}:\n${text}`);
  assert.equal(code, 0, `${run}exited with ${code}:\n${text}`);
  return text;
}

Deno.test("a Deno client survives backends that shut down gracefully during a rollout", async () => {
  for (let run = 1; run <= 4; run++) await survives("client.ts", `run ${run} `);
});

Deno.test("a Deno server survives its client's GOAWAY, closing its session from the goaway listener", async () => {
  // A grpc-js server in a Deno process crashed so (SIGSEGV) when its clients closed their channels; without the
  // workaround's server half this scenario crashes every time.
  assert.match(await survives("server.ts"), /destroyed in the listener: false, after it: true/);
});
