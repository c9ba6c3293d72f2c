import assert from "node:assert/strict";
import { delimiter, join } from "node:path";
import { sectionsNeedingControlPlane, sectionsNeedingGo } from "../scripts/bench/preflight.ts";
import { childEnv } from "./_child_env.mjs";

const BENCH = new URL("../scripts/bench.ts", import.meta.url).pathname;

/** Runs `scripts/bench.ts` with `args` and `env` added to this process's environment. */
async function bench(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BENCH, ...args],
    env: childEnv({ NO_COLOR: "1", ...env }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: run.code, out: new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr) };
}

Deno.test("bench: Go is needed by latency, scale and churn only; the control plane by latency on kube-apiserver, churn and WatchList", () => {
  assert.deepEqual(sectionsNeedingGo(new Set(["decode", "burst", "watchlist"])), []);
  assert.deepEqual(sectionsNeedingGo(new Set(["churn", "latency", "decode"])), ["latency", "churn"]);
  assert.deepEqual(
    sectionsNeedingControlPlane(new Set(["latency", "decode", "scale", "burst"]), new Set(["fake"])),
    [],
  );
  assert.deepEqual(
    sectionsNeedingControlPlane(new Set(["latency", "churn", "watchlist"]), new Set(["fake", "real"])),
    ["latency on kube-apiserver", "churn", "watchlist"],
  );
});

/** This PATH without the folders that hold `go`. */
function pathWithoutGo(): string {
  return (Deno.env.get("PATH") ?? "").split(delimiter).filter((dir) => {
    try {
      return !Deno.statSync(join(dir, "go")).isFile;
    } catch {
      return true;
    }
  }).join(delimiter);
}

Deno.test("bench: without Go, a run of a section that needs it stops before building, saying what to install", async () => {
  const path = pathWithoutGo();
  const started = performance.now();
  const { code, out } = await bench(["--only", "decode,scale", "--no-readme"], { PATH: path });
  assert.equal(code, 2, out);
  assert.match(
    out,
    /^Cannot run scale: they run the Go original .*`go` is not on PATH: install Go 1\.26\+, or leave them out: `--only decode`\n$/,
  );
  assert.ok(performance.now() - started < 15_000, "it stopped before building anything");
});

Deno.test("bench: without the control plane's binaries, a run of a section that needs them stops before measuring", async () => {
  const home = await Deno.makeTempDir({ prefix: "kgr-bench-no-binaries-" });
  try {
    const { code, out } = await bench(["--only", "decode,watchlist", "--no-readme"], { XDG_CACHE_HOME: home });
    assert.equal(code, 2, out);
    assert.match(
      out,
      /^Cannot run watchlist: they start the local control plane, whose binaries are not built in .*kgr-bench-no-binaries-.*: run `bash scripts\/control_plane\/build.sh`/,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("bench: without Go nor the control plane, the advice leaves out every section that needs either", async () => {
  // Each was advised alone before: a full run was told `--only decode,burst,watchlist`, which stopped for the control
  // plane and was told `--only latency,decode,scale,burst --servers fake`, which stopped for Go again.
  const home = await Deno.makeTempDir({ prefix: "kgr-bench-no-binaries-" });
  try {
    for (const args of [[], ["--only", "decode,burst,watchlist"], ["--only", "latency,decode,scale,burst"]]) {
      const { code, out } = await bench([...args, "--no-readme"], { PATH: pathWithoutGo(), XDG_CACHE_HOME: home });
      assert.equal(code, 2, out);
      // Everything missing is named at once.
      if (args.length === 0) {
        assert.match(out, /`go` is not on PATH: install Go 1\.26\+; Cannot run .*control plane/, out);
      }
      assert.match(out, /, or leave them out: `--only decode,burst`\n$/, out);
    }
    const { out } = await bench(["--only", "churn,watchlist", "--no-readme"], {
      PATH: pathWithoutGo(),
      XDG_CACHE_HOME: home,
    });
    assert.doesNotMatch(out, /leave them out/, "no section asked for can run: nothing to leave out");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
  assert.deepEqual(sectionsNeedingGo(new Set(["decode", "burst"])), []);
  assert.deepEqual(sectionsNeedingControlPlane(new Set(["decode", "burst"]), new Set(["fake", "real"])), []);
});
