// Deno's update check: every `deno run` that lives past half a second asks dl.deno.land for the latest release
// (a DNS query and an HTTPS request off the machine) unless DENO_NO_UPDATE_CHECK is set, and without network it asks
// again on every run. Tests and benchmarks send traffic only to loopback, so the entry points that start Deno
// processes set it (scripts/net_audit.sh counted 134 DNS queries for dl.deno.land to the system resolver in one
// `npm test`), and every place in tests/ and scripts/ that starts a process passes it with childEnv(), since a plain
// `deno test` sets nothing (14 requests to a loopback proxy from 20 test files before).
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listening } from "./_listening.ts";

const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
const SETTING = "DENO_NO_UPDATE_CHECK=1";

Deno.test("npm test, npm run demo and the test, demo and bench tasks turn Deno's update check off", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url))).tasks;
  const scripts = JSON.parse(await Deno.readTextFile(new URL("../package.json", import.meta.url))).scripts;
  for (
    const [where, command] of [
      ["deno.json task test", tasks.test],
      ["deno.json task demo", tasks.demo],
      ["deno.json task bench", tasks.bench],
      ["package.json script test", scripts.test],
    ]
  ) {
    assert.ok(command.startsWith(`export ${SETTING} && `), `${where} must start with "export ${SETTING} && "`);
  }
  assert.equal(scripts.demo, "deno task demo");
});

/** Runs a `deno run` child that lives 1.5 s with HTTPS_PROXY on a loopback port; returns what it asked the proxy. */
async function proxiedRequests(env: Record<string, string>): Promise<string[]> {
  const requests: string[] = [];
  const proxy = await listening(createServer((socket) => {
    socket.once("data", (chunk) => {
      requests.push(chunk.toString("latin1").split("\r\n")[0]);
      socket.destroy();
    });
  }));
  const folder = await mkdtemp(join(tmpdir(), "kgr-update-check-"));
  try {
    const script = join(folder, "wait.ts");
    await writeFile(script, "await new Promise((resolve) => setTimeout(resolve, 1500));\n");
    const output = await new Deno.Command(DENO, {
      args: ["run", "--no-prompt", script],
      clearEnv: true,
      // An empty DENO_DIR has no record of an earlier check; the proxy keeps the check's request on loopback.
      env: {
        PATH: Deno.env.get("PATH") ?? "",
        DENO_DIR: folder,
        HTTPS_PROXY: `http://127.0.0.1:${proxy.port}`,
        ...env,
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    return requests;
  } finally {
    await proxy.close();
    await rm(folder, { recursive: true, force: true });
  }
}

Deno.test("DENO_NO_UPDATE_CHECK keeps a deno run child from asking dl.deno.land for a new release", async () => {
  assert.deepEqual(await proxiedRequests({}), ["CONNECT dl.deno.land:443 HTTP/1.1"]);
  assert.deepEqual(await proxiedRequests({ DENO_NO_UPDATE_CHECK: "1" }), []);
});

/** Programs that never start Deno: a call that runs one of them (and not `ip netns exec`) needs no childEnv(). */
const NOT_DENO = /^\s*"(?:ip|nft|openssl|ss|ps|pgrep|kill|mkfifo|cat|go)"\s*,/;
/** Folders whose files start no processes of ours. */
const SKIPPED = ["scripts/control_plane/", "scripts/protobuf_oracle/", "scripts/shutdown_pod_go/", "tests/fixtures/"];

/** The text between the parenthesis at `open` and its match (parentheses in strings are assumed balanced). */
function argumentsAt(source: string, open: number): string {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    if (source[i] === "(") depth++;
    else if (source[i] === ")" && --depth === 0) return source.slice(open + 1, i);
  }
  return source.slice(open + 1);
}

/** `path:line` of every call in `source` that starts a process without passing childEnv(). */
function spawnsWithoutChildEnv(path: string, source: string): string[] {
  const starters = ["new Deno\\.Command"];
  const imported = /import\s*\{([^}]*)\}\s*from\s*"node:child_process"/.exec(source)?.[1] ?? "";
  for (const name of imported.split(",").map((part) => part.trim().replace(/^type\s+.*/, ""))) {
    if (/^(?:spawn|spawnSync|execFile|execFileSync|fork)$/.test(name)) starters.push(name);
  }
  for (const [, alias] of source.matchAll(/\b(\w+)\s*=\s*promisify\(execFile\)/g)) starters.push(alias);
  const missing: string[] = [];
  for (const call of source.matchAll(new RegExp(`(?<![\\w.]|function )(?:${starters.join("|")})\\s*\\(`, "g"))) {
    const args = argumentsAt(source, call.index + call[0].length - 1);
    if (args.includes("childEnv(") || (NOT_DENO.test(args) && !args.includes('"exec"'))) continue;
    missing.push(`${path}:${source.slice(0, call.index).split("\n").length}`);
  }
  return missing;
}

Deno.test("every place in tests/ and scripts/ that starts a process turns Deno's update check off with childEnv()", async () => {
  const root = new URL("../", import.meta.url);
  const missing: string[] = [];
  const folders = ["tests/", "scripts/"];
  for (let folder; (folder = folders.pop()) !== undefined;) {
    for await (const entry of Deno.readDir(new URL(folder, root))) {
      const path = `${folder}${entry.name}${entry.isDirectory ? "/" : ""}`;
      if (SKIPPED.includes(path) || entry.name === "node_modules") continue;
      if (entry.isDirectory) folders.push(path);
      else if (/\.(?:ts|mjs|js)$/.test(entry.name) && path !== "tests/update_check_test.ts") {
        missing.push(...spawnsWithoutChildEnv(path, await Deno.readTextFile(new URL(path, root))));
      }
    }
  }
  assert.deepEqual(missing.sort(), [], "pass env: childEnv(...) from tests/_child_env.mjs at each of these");
});

Deno.test("the childEnv() check finds a process started without it and accepts one started with it", () => {
  const found = (source: string) => spawnsWithoutChildEnv("x.ts", source);
  assert.deepEqual(found('await new Deno.Command(Deno.execPath(), { args: ["run", "a.ts"] }).output();'), ["x.ts:1"]);
  assert.deepEqual(found('await new Deno.Command(Deno.execPath(), { env: childEnv({ A: "1" }) }).output();'), []);
  const node = 'import { type ChildProcess, spawn } from "node:child_process";\nconst run = promisify(execFile);\n';
  assert.deepEqual(found(`${node}spawn("node", [f(a)], { stdio: "pipe" });`), ["x.ts:3"]);
  assert.deepEqual(found(`${node}spawn("openssl", [f(a)]);\nspawn("ip", ["netns", "exec", n, deno]);`), ["x.ts:4"]);
  assert.deepEqual(found(`${node}function spawn(a) {}\nrun("ip", ["link"]);\nrun(deno, []);`), ["x.ts:5"]);
});
