/**
 * What a run of `deno task bench` needs besides Deno, Bun and Node, checked before it builds or measures
 * anything: Go for the sections that run the Go original, and the local control plane's binaries for the
 * sections that run against kube-apiserver, so that a run stops at once, saying what to install or to leave
 * out, rather than on an uncaught error once the sections before it were measured.
 *
 * @module
 */

import { binaryCacheDirectory, findBinaries } from "../../tests/e2e/control_plane.ts";
import { ALL_SECTIONS } from "./flags.ts";

/** The sections that run the Go original (`scripts/bench/go/`). */
const GO_SECTIONS = ["latency", "scale", "churn"];

/**
 * The sections of a run that need Go.
 *
 * @param only The sections the run measures.
 * @returns Those of them that build and run the Go original's harness.
 */
export function sectionsNeedingGo(only: Set<string>): string[] {
  return GO_SECTIONS.filter((section) => only.has(section));
}

/**
 * The sections of a run that start the local control plane.
 *
 * @param only The sections the run measures.
 * @param servers The servers latency is measured against.
 * @returns Those of them that run against kube-apiserver.
 */
export function sectionsNeedingControlPlane(only: Set<string>, servers: Set<string>): string[] {
  return [
    ...(only.has("latency") && servers.has("real") ? ["latency on kube-apiserver"] : []),
    ...["churn", "watchlist"].filter((section) => only.has(section)),
  ];
}

async function goIsInstalled(): Promise<boolean> {
  try {
    return (await new Deno.Command("go", { args: ["version"], stdout: "null", stderr: "null" }).output()).success;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * The `--only` (and `--servers`) that keeps, of the sections asked for, those that can run without what is missing.
 *
 * @param only The sections the run measures.
 * @param servers The servers latency is measured against.
 * @param missing `go` when Go is missing, `control plane` when its binaries are.
 * @returns The flags, or undefined when no section asked for can run.
 */
function runnableFlags(only: Set<string>, servers: Set<string>, missing: Set<string>): string | undefined {
  const noGo = missing.has("go"), noControlPlane = missing.has("control plane");
  const latencyServers = [...servers].filter((server) => !(noControlPlane && server === "real"));
  const kept = ALL_SECTIONS.filter((section) =>
    only.has(section) && !(noGo && GO_SECTIONS.includes(section)) &&
    !(noControlPlane && ["churn", "watchlist"].includes(section)) &&
    (section !== "latency" || latencyServers.length > 0)
  );
  if (kept.length === 0) return undefined;
  const narrowed = kept.includes("latency") && latencyServers.length < servers.size;
  return `\`--only ${kept.join(",")}${narrowed ? ` --servers ${latencyServers.join(",")}` : ""}\``;
}

/**
 * Why the run cannot measure what it was asked to, or undefined when it can: everything missing at once, and the
 * `--only` that leaves out every section that needs it (a run lacking both Go and the control plane was told to
 * leave out each in turn, and the advice for one ran into the other).
 *
 * @param only The sections the run measures.
 * @param servers The servers latency is measured against.
 * @returns What is missing and what to do, or undefined.
 */
export async function preflightProblem(only: Set<string>, servers: Set<string>): Promise<string | undefined> {
  const problems: string[] = [];
  const missing = new Set<string>();
  const goSections = sectionsNeedingGo(only);
  if (goSections.length > 0 && !await goIsInstalled()) {
    missing.add("go");
    problems.push(
      `Cannot run ${goSections.join(", ")}: they run the Go original (github.com/sercand/kuberesolver/v6), ` +
        "built with Go, and `go` is not on PATH: install Go 1.26+",
    );
  }
  const realSections = sectionsNeedingControlPlane(only, servers);
  if (realSections.length > 0) {
    try {
      await findBinaries();
    } catch (error) {
      if (!/not built/.test((error as Error).message)) throw error;
      missing.add("control plane");
      problems.push(
        `Cannot run ${realSections.join(", ")}: they start the local control plane, whose binaries are not ` +
          `built in ${binaryCacheDirectory()}: run \`bash scripts/control_plane/build.sh\` (a cold build takes ` +
          "several minutes)",
      );
    }
  }
  if (problems.length === 0) return undefined;
  const flags = runnableFlags(only, servers, missing);
  return `${problems.join("; ")}${flags === undefined ? "" : `, or leave them out: ${flags}`}`;
}
