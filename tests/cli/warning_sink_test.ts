import assert from "node:assert/strict";
import { runCli } from "../../src/cli/main.ts";
import { warnOfUnreadProxyVariables } from "../../src/cluster/proxy.ts";
import type { CliOutput } from "../../src/runtime/cli_process.ts";
import { setTraceSink, trace } from "../../src/runtime/trace.ts";

Deno.test("after runCli() returns, the library's warnings go to standard error again, not to the CLI's", async () => {
  let cliStderr = "";
  const output = (write: (text: string) => void): CliOutput => ({ write, isTTY: false, size: () => undefined });
  const code = await runCli({
    args: ["--version"],
    env: () => undefined,
    stdout: output(() => {}),
    stderr: output((text) => cliStderr += text),
    onInterrupt: () => () => {},
    exit: () => Promise.reject(new Error("not in tests")),
  });
  assert.equal(code, 0);
  const warned: string[] = [];
  const consoleWarn = console.warn;
  console.warn = (...args: unknown[]) => warned.push(args.join(" "));
  try {
    // A program that ran the CLI, then watches a cluster from a Deno process that may not read HTTPS_PROXY.
    warnOfUnreadProxyVariables("https://10.0.0.1:6443", () => undefined, (name) => name !== "KUBECONFIG");
  } finally {
    console.warn = consoleWarn;
  }
  // It went to the finished CLI's standard error, as "kgr-resolver: ...", and console.warn had nothing.
  assert.equal(cliStderr, "");
  assert.equal(warned.length, 1, JSON.stringify(warned));
  assert.match(warned[0], /^@kgr\/resolver: this Deno process may not read HTTPS_PROXY/);
});

Deno.test("after runCli() returns, the library's diagnostics go to the trace sink installed before it ran", async () => {
  const traced: string[] = [];
  const previous = setTraceSink((text) => traced.push(text));
  try {
    const output = (write: (text: string) => void): CliOutput => ({ write, isTTY: false, size: () => undefined });
    const code = await runCli({
      args: ["--version"],
      env: () => undefined,
      stdout: output(() => {}),
      stderr: output(() => {}),
      onInterrupt: () => () => {},
      exit: () => Promise.reject(new Error("not in tests")),
    });
    assert.equal(code, 0);
    // A program that ran the CLI, then uses the library with GRPC_TRACE=kubernetes_resolver: its lines were lost.
    trace("a line after the CLI");
  } finally {
    setTraceSink(previous);
  }
  assert.deepEqual(traced, ["a line after the CLI"]);
});
