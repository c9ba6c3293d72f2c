// The environment every child process of the tests and scripts gets. Deno's update check makes each `deno run`
// that lives past half a second ask dl.deno.land for a newer release (traffic off the machine, which tests must never
// send) unless DENO_NO_UPDATE_CHECK is set, and a plain `deno test` does not set it. So every place in tests/ and
// scripts/ that starts a process passes childEnv(), and tests/update_check_test.ts fails on one that does not.
import process from "node:process";

/**
 * The environment for a child process: `base` with Deno's update check turned off. Pass it as `env` to
 * `new Deno.Command` (which adds it to the inherited environment) or to `node:child_process` (which replaces it).
 *
 * @param {Record<string, string | undefined>} [base] The variables to give; default: this process's own.
 * @returns {Record<string, string>} `base` without its unset entries, and `DENO_NO_UPDATE_CHECK=1`.
 */
export function childEnv(base = process.env) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined) env[name] = value;
  }
  env.DENO_NO_UPDATE_CHECK = "1";
  return env;
}
