// Shared by the tests that run real exec plugins.
import { type RunExecPlugin, runExecPlugin } from "../src/runtime/exec_plugin.ts";

/**
 * `runExecPlugin` as a caller that waits for it runs it: a plugin's process never holds this one (README,
 * "Process lifetime"), so whoever waits holds it, as the watch and grpc-js's calls do.
 */
export const heldExecPlugin: RunExecPlugin = async (request) => {
  const hold = setInterval(() => {}, 2 ** 30);
  try {
    return await runExecPlugin(request);
  } finally {
    clearInterval(hold);
  }
};
