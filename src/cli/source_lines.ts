/**
 * Where the live table's cluster access came from, within a terminal's width: the header's lines for it, and a
 * message that names it with the kubeconfig's path shortened as the header shortens it.
 *
 * @module
 */

import { kubeconfigSource } from "../cluster/kubeconfig_origin.ts";
import type { ClusterAccess } from "../cluster/types.ts";
import { inFlagTerms } from "./flag_terms.ts";
import { cellWidth, cutToCells, printable, wordWrap } from "./terminal.ts";

/**
 * Where cluster access came from: `source` as the library says it, and `origin`, which tells a kubeconfig's files
 * and context apart from the words around them (a folder's name may hold ` (context "a")`, and `KUBECONFIG` may list
 * several files).
 */
export type AccessSource = Pick<ClusterAccess, "source" | "origin">;

/**
 * `  from SOURCE` in lines of at most `columns` cells when it can be: on one line; a kubeconfig's (`kubeconfig PATHS
 * (context "NAME")`, then `with --namespace` when a flag overrode it) with each path shortened to its file name
 * (`…/first-team-config, …/eks.kubeconfig`) if need be, else with the context on a line of its own (`  context
 * "NAME"`), so that its name (which tells a wrong cluster) is whole, and the paths after `  from kubeconfig` or each on
 * a line of its own, where a file name still too wide keeps its start, which tells one kubeconfig from another; the
 * flags after the context, or on a line of their own; any other source, and a kubeconfig's with flags whose words all
 * fit, wrapped at spaces. Only a name or path that alone is wider than the terminal is cut, at its end, by the line's
 * fit.
 *
 * @param from Where the cluster access came from.
 * @param columns The terminal's width.
 * @returns The lines, each starting with two spaces.
 *
 * @example
 * ```ts
 * import { sourceLines } from "./source_lines.ts";
 * const origin = { kind: "kubeconfig", files: ["/home/me/.kube/clusters/eks.kubeconfig"], context: "prod" } as const;
 * sourceLines({ source: 'kubeconfig /home/me/.kube/clusters/eks.kubeconfig (context "prod")', origin }, 50);
 * // ['  from kubeconfig …/eks.kubeconfig (context "prod")']
 * ```
 */
export function sourceLines(from: AccessSource, columns: number): string[] {
  const text = printable(inFlagTerms(`  from ${from.source}`));
  if (cellWidth(text) <= columns) return [text];
  const atSpaces = wordWrap(text.slice(2), columns - 2).map((line) => `  ${line}`);
  const parts = kubeconfigParts(from);
  if (parts === undefined) return atSpaces;
  const head = "  from kubeconfig ";
  const paths = parts.files.map(printable);
  const files = paths.map(fileName);
  const context = printable(`context ${JSON.stringify(parts.context)}`);
  const flags = printable(inFlagTerms(parts.rest));
  // Flags whose every word fits wrap as other sources do; a path too wide would lose its file name there.
  if (flags !== "" && atSpaces.every((line) => cellWidth(line) <= columns)) return atSpaces;
  const short = `${head}${files.join(", ")} (${context})${flags}`;
  if (cellWidth(short) <= columns) return [short];
  const beside = [paths, files].map((each) => each.join(", "))
    .find((shown) => cellWidth(head) + cellWidth(shown) <= columns);
  const room = columns - 2;
  // One file a line, each but the last with its comma.
  const each = paths.map((path, i) => {
    const comma = i < paths.length - 1 ? "," : "";
    return [path + comma, files[i] + comma].find((shown) => cellWidth(shown) <= room) ??
      `${cutToCells(files[i], Math.max(0, room - 1))}…`;
  });
  const lines = beside !== undefined
    ? [`${head}${beside}`, `  ${context}`]
    : [head.trimEnd(), ...each.map((shown) => `  ${shown}`), `  ${context}`];
  if (flags === "") return lines;
  if (cellWidth(`  ${context}${flags}`) <= columns) return [...lines.slice(0, -1), `  ${context}${flags}`];
  return [...lines, ...wordWrap(flags.trimStart(), room).map((line) => `  ${line}`)];
}

/**
 * A message with the kubeconfig paths of `from` as their file names (`…/eks.kubeconfig`), as the header shows them
 * when it must, where the message would not fit whole in `max` lines of `columns` cells: cut at its end, a path would
 * lose the file name, or push the cause and what to do off the lines. The header names the paths.
 *
 * @param message The message, as the library says it.
 * @param from Where the cluster access came from, as in the message.
 * @param columns The terminal's width.
 * @param max The most lines the message gets.
 * @returns The message, its kubeconfig's paths shortened where they must be.
 *
 * @example
 * ```ts
 * import { withFileName } from "./source_lines.ts";
 * const origin = { kind: "kubeconfig", files: ["/tmp/configs/team/admin.kubeconfig"], context: "sa" } as const;
 * const source = 'kubeconfig /tmp/configs/team/admin.kubeconfig (context "sa")';
 * withFileName(`cannot reach the API server from ${source} (connect ECONNREFUSED)`, { source, origin }, 30, 2);
 * // 'cannot reach the API server from kubeconfig …/admin.kubeconfig (context "sa") (connect ECONNREFUSED)'
 * ```
 */
export function withFileName(message: string, from: AccessSource, columns: number, max: number): string {
  const parts = kubeconfigParts(from);
  if (parts === undefined || !parts.files.some((file) => file.includes("/"))) return message;
  const whole = wordWrap(printable(inFlagTerms(message)), columns);
  if (whole.length <= max && whole.every((line) => cellWidth(line) <= columns)) return message;
  const named = kubeconfigSource(parts);
  return message.replaceAll(named, kubeconfigSource({ files: parts.files.map(fileName), context: parts.context }));
}

/** `…/` and a path's file name; a path without a folder as it is. */
function fileName(path: string): string {
  return path.includes("/") ? `…/${path.slice(path.lastIndexOf("/") + 1)}` : path;
}

/**
 * The files and context of access from a kubeconfig's files, and what `source` says after them (` with
 * cluster.namespace`); `undefined` for any other origin, a kubeconfig object, or a source worded otherwise.
 */
function kubeconfigParts(
  from: AccessSource,
): { files: readonly string[]; context: string; rest: string } | undefined {
  const { origin, source } = from;
  if (origin.kind !== "kubeconfig" || origin.files.length === 0) return undefined;
  const named = kubeconfigSource(origin);
  if (!source.startsWith(named)) return undefined;
  return { files: origin.files, context: origin.context, rest: source.slice(named.length) };
}
