/**
 * The User-Agent of every request to the API server. kube-apiserver writes it into each audit event
 * (`userAgent`), as it does kubectl's and client-go's (`kubectl/v1.36.3 (linux/amd64) kubernetes/<commit>`):
 * without it, an administrator reading the audit log could not tell our watches from any other program's.
 * Laid out as client-go lays out its own: the program and version, the platform in Go's names, then the runtime.
 *
 * @module
 */

import process from "node:process";
import { VERSION } from "../base/version.ts";
import { runtimeKey } from "./runtime.ts";

/** Node's names of CPU architectures that Go (and so kubectl's User-Agent) names otherwise. */
const GO_ARCHITECTURES: Record<string, string> = { x64: "amd64", ia32: "386" };

/**
 * The User-Agent this library sends, such as `kgr-resolver/0.1.0 (linux/amd64) node/20.20.2`.
 *
 * @returns The header's value: the package, its version, the operating system and CPU, the runtime and its version.
 *
 * @example Reading it
 * ```ts
 * import { userAgent } from "./user_agent.ts";
 * console.log(userAgent()); // kgr-resolver/0.1.0 (linux/amd64) deno/2.9.6
 * ```
 */
export function userAgent(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = GO_ARCHITECTURES[process.arch] ?? process.arch;
  const runtime = runtimeKey();
  return `kgr-resolver/${VERSION} (${os}/${arch}) ${runtime}/${process.versions[runtime] ?? "unknown"}`;
}
