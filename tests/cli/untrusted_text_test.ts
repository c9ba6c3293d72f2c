// Text from EndpointSlices (pod, zone, node and hint names) may hold control characters: no output but --json shows
// them raw.
import assert from "node:assert/strict";
import { changeLine } from "../../src/cli/report.ts";
import { renderTable } from "../../src/cli/table.ts";
import { painter, printable } from "../../src/cli/terminal.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { serviceViewOf } from "./_service_view.ts";
import { runCli } from "../../src/cli/main.ts";
import type { CliOutput, CliProcess } from "../../src/runtime/cli_process.ts";

const TITLE = "x\u001b]0;pwned\u0007";

// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const SLICE: EndpointSlice = {
  metadata: { name: "echo-a", namespace: "prod" },
  addressType: "IPv4",
  ports: [{ name: "grpc", port: 8080 }],
  endpoints: [
    {
      addresses: ["10.0.0.1"],
      targetRef: { name: TITLE },
      zone: "a\r\u009b2J",
      nodeName: "n\u007f1",
      hints: { forZones: [{ name: "a\r\u009b2J" }] },
    },
    {
      addresses: ["10.0.0.2"],
      targetRef: { name: "echo-1\n" },
      zone: "b",
      hints: { forZones: [{ name: "b\u001b[2J" }] },
    },
  ],
};

Deno.test("printable() escapes every C0 and C1 control character and DEL, ESC as ^[, and keeps the rest", () => {
  assert.equal(printable(TITLE), "x^[]0;pwned\\x07");
  assert.equal(printable("a\r\n\t\u0000\u007f\u0085\u009b"), "a\\x0d\\x0a\\x09\\x00\\x7f\\x85\\x9b");
  assert.equal(printable("echo-0 本番 ✓"), "echo-0 本番 ✓");
  assert.equal(printable(printable(TITLE)), printable(TITLE));
});

Deno.test("renderTable() shows names from slices with their control characters escaped", () => {
  for (const zone of ["a", "b"]) {
    const lines = renderTable(serviceViewOf([SLICE], { zone }), {
      input: "kubernetes:///echo.prod:grpc",
      server: "https://10.0.0.1:6443",
      source: 'kubeconfig /k (context "kind")',
      origin: { kind: "kubeconfig", files: ["/k"], context: "kind" },
      now: 0,
      columns: 200,
      rows: 40,
      paint: painter(false),
      live: false,
    });
    for (const line of lines) assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
    assert.ok(lines.some((line) => line.includes("x^[]0;pwned\\x07")), lines.join("\n"));
  }
});

Deno.test("changeLine() shows names from slices with their control characters escaped", () => {
  for (const zone of ["a", "b", "c"]) {
    const line = changeLine(serviceViewOf([SLICE], { zone }), 0);
    assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
    assert.match(line, /x\^\[\]0;pwned\\x07 10\.0\.0\.1:8080/);
  }
});

Deno.test("printable() escapes bidi overrides and isolates, and other invisible format characters", () => {
  // "prod\u202egnp.exe" shows as "prodexe.png" on a terminal; Go's %q prints "prod\u202egnp.exe".
  assert.equal(printable("prod\u202egnp.exe"), "prod\\u202egnp.exe");
  assert.equal(
    printable("\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u200b\u200e\u200f\u061c\ufeff\u2028\u2029"),
    "\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u200b\\u200e\\u200f\\u061c\\ufeff\\u2028\\u2029",
  );
  assert.equal(printable("tag\u{e0041}"), "tag\\U000e0041");
  assert.equal(printable("e\u0301 本番 ✓"), "e\u0301 本番 ✓");
  assert.equal(printable(printable("prod\u202egnp.exe")), printable("prod\u202egnp.exe"));
});

/** The CLI run in this process on `args`, with what it wrote on standard error. */
async function stderrOf(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const output = (write: (text: string) => void): CliOutput => ({ write, isTTY: false, size: () => undefined });
  const cli: CliProcess = {
    args,
    env: () => undefined,
    stdout: output(() => {}),
    stderr: output((text) => stderr += text),
    onInterrupt: () => () => {},
    exit: () => Promise.reject(new Error("not in tests")),
  };
  return { code: await runCli(cli), stderr };
}

Deno.test("the CLI's standard error escapes control and bidi characters of a kubeconfig's names and a plugin's words", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const kubeconfig = (currentContext: string, user: object) =>
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1", "insecure-skip-tls-verify": true } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": currentContext,
        users: [{ name: "u", user }],
      });
    await Deno.writeTextFile(`${dir}/named.json`, kubeconfig("prod\u202egnp.exe\u2066\u001b[31m", { token: "t" }));
    const named = await stderrOf(["--once", "--kubeconfig", `${dir}/named.json`, "kubernetes:///echo.shop:80"]);
    assert.equal(named.code, 1);
    assert.match(named.stderr, /current-context "prod\\u202egnp\.exe\\u2066\\u001b\[31m" names no context/);

    const plugin = `${dir}/plugin.sh`;
    await Deno.writeTextFile(
      plugin,
      "#!/bin/sh\nprintf 'user \\342\\200\\256nimda \\033]0;pwned\\007\\n' >&2\nexit 1\n",
    );
    await Deno.chmod(plugin, 0o755);
    const exec = { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "Never" };
    await Deno.writeTextFile(`${dir}/exec.json`, kubeconfig("x", { exec }));
    const said = await stderrOf(["--once", "--kubeconfig", `${dir}/exec.json`, "kubernetes:///echo.shop:80"]);
    assert.equal(said.code, 1);
    assert.match(said.stderr, /it said: user \\u202enimda \^\[\]0;pwned\\x07: run the command by hand/);
    for (const text of [named.stderr, said.stderr]) {
      assert.doesNotMatch(text.slice(0, -1), /[\p{Cc}\p{Cf}]/u, JSON.stringify(text));
      assert.ok(text.endsWith("\n"));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
