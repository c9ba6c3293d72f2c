/**
 * The User-Agent of every request to the API server. kube-apiserver writes it into each audit event
 * (`userAgent`), as it does kubectl's and client-go's (`kubectl/v1.36.3 (linux/amd64) kubernetes/<commit>`):
 * without it, an administrator reading the audit log could not tell our watches from any other program's.
 * Laid out as client-go lays out its own: the program and version, the platform in Go's names, then the runtime.
 * An application names itself before it (`cluster.userAgent`), as grpc-js puts `grpc.primary_user_agent` before
 * its own product: the audit log then names both the application and the library that watches for it.
 *
 * @module
 */

import process from "node:process";
import { VERSION } from "../base/version.ts";
import { runtimeKey } from "./runtime.ts";

/** Node's names of CPU architectures that Go (and so kubectl's User-Agent) names otherwise. */
const GO_ARCHITECTURES: Record<string, string> = { x64: "amd64", ia32: "386" };

/**
 * The User-Agent this library sends, such as `kgr-resolver/0.1.0 (linux/amd64) node/20.20.2`, after the
 * application's own name when it gives one.
 *
 * @param application The application's name and version (`cluster.userAgent`), checked with
 *   {@linkcode userAgentProblem}; left out, the library's alone.
 * @returns The header's value: the application, then the package, its version, the operating system and CPU, the
 *   runtime and its version.
 *
 * @example Reading it
 * ```ts
 * import { userAgent } from "./user_agent.ts";
 * console.log(userAgent()); // kgr-resolver/0.1.0 (linux/amd64) deno/2.9.6
 * console.log(userAgent("orders/1.4.0")); // orders/1.4.0 kgr-resolver/0.1.0 (linux/amd64) deno/2.9.6
 * ```
 */
export function userAgent(application?: string): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = GO_ARCHITECTURES[process.arch] ?? process.arch;
  const runtime = runtimeKey();
  const library = `kgr-resolver/${VERSION} (${os}/${arch}) ${runtime}/${process.versions[runtime] ?? "unknown"}`;
  return application === undefined ? library : `${application} ${library}`;
}

/** The most characters `cluster.userAgent` may have: kube-apiserver's audit log cuts a User-Agent at 1,024. */
export const USER_AGENT_MAX_LENGTH = 256;

/**
 * What makes a string unfit for an application's name in the User-Agent header, or `undefined` when it fits: it
 * must be printable ASCII on one line (a line break would end the header, and runtimes refuse other characters or
 * send them differently), at most 256 characters, and not begin or end with a space (runtimes drop those).
 *
 * @param value The application's name, such as `orders/1.4.0`.
 * @returns The problem, in words that end a message, or `undefined`.
 *
 * @example A line break
 * ```ts
 * import { userAgentProblem } from "./user_agent.ts";
 * console.log(userAgentProblem("orders\n")); // holds a line break
 * console.log(userAgentProblem("orders/1.4.0")); // undefined
 * ```
 */
export function userAgentProblem(value: string): string | undefined {
  const unfit = /[^\x20-\x7e]/.exec(value)?.[0];
  if (unfit === "\n" || unfit === "\r") return "holds a line break";
  if (unfit !== undefined && unfit.charCodeAt(0) < 0x80) return "holds a control character";
  if (unfit !== undefined) return "holds a character beyond ASCII";
  if (value.trim() !== value) return "begins or ends with a space";
  if (value.length > USER_AGENT_MAX_LENGTH) return `is longer than ${USER_AGENT_MAX_LENGTH} characters`;
  return undefined;
}
