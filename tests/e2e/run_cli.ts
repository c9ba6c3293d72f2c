// The CLI as the e2e tests run it: `deno run -A cli.ts` from the checkout, without colours or the caller's KUBECONFIG;
// alone, or piped to the built kubectl.
import { childEnv } from "../_child_env.mjs";
import { spawnTied } from "./lifeline.ts";
import { kubectlBinary } from "./control_plane.ts";

const root = new URL("../../", import.meta.url).pathname;

/** What a CLI run printed, and its exit code (`null` when killed). */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `deno run -A cli.ts ...args` with `NO_COLOR=1` and `KUBECONFIG` empty; killed after 60 s. */
export function runCli(args: string[]): Promise<CliRun> {
  return run(`${root}node_modules/.bin/deno`, ["run", "-A", `${root}cli.ts`, ...args]);
}

/**
 * Runs `deno run -A cli.ts ...args | kubectl ...kubectlArgs` in a shell, as a user pipes them, with the built kubectl:
 * kubectl's exit code and standard output, and both standard errors (the CLI's first); killed after 60 s.
 */
export async function pipeToKubectl(args: string[], kubectlArgs: string[]): Promise<CliRun> {
  const cli = [`${root}node_modules/.bin/deno`, "run", "-A", `${root}cli.ts`, ...args];
  const kubectl = [await kubectlBinary(), ...kubectlArgs];
  // The arguments as the shell's positional parameters: nothing in them is read as shell syntax.
  const script = `"\${@:1:${cli.length}}" | "\${@:${cli.length + 1}}"`;
  return run("bash", ["-c", script, "bash", ...cli, ...kubectl]);
}

/** Runs `command` with `NO_COLOR=1` and `KUBECONFIG` empty; killed after 60 s. */
function run(command: string, args: string[]): Promise<CliRun> {
  const child = spawnTied(command, args, {
    env: childEnv({ ...Deno.env.toObject(), NO_COLOR: "1", KUBECONFIG: "" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => stdout += chunk);
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
