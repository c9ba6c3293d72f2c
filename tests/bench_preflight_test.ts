import assert from "node:assert/strict";
import { delimiter, join } from "node:path";
import { sectionsNeedingControlPlane, sectionsNeedingGo } from "../scripts/bench/preflight.ts";

const BENCH = new URL("../scripts/bench.ts", import.meta.url).pathname;

/** Runs `scripts/bench.ts` with `args` and `env` added to this process's environment. */
async function bench(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", BENCH, ...args],
    env: { NO_COLOR: "1", ...env },
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

Deno.test("bench: without Go, a run of a section that needs it stops before building, saying what to install", async () => {
  // This PATH without the folders that hold `go`.
  const path = (Deno.env.get("PATH") ?? "").split(delimiter).filter((dir) => {
    try {
      return !Deno.statSync(join(dir, "go")).isFile;
    } catch {
      return true;
    }
  }).join(delimiter);
  const started = performance.now();
  const { code, out } = await bench(["--only", "decode,scale", "--no-readme"], { PATH: path });
  assert.equal(code, 2, out);
  assert.match(
    out,
    /^Cannot run scale: they run the Go original .*`go` is not on PATH: install Go 1\.26\+, or leave them out: `--only decode,burst,watchlist`\n$/,
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
