/**
 * Where the live table's cluster access came from, within a terminal's width: the header's lines for it, and a
 * message that names it with the kubeconfig's path shortened as the header shortens it.
 *
 * @module
 */

import { inFlagTerms } from "./flag_terms.ts";
import { cellWidth, cutToCells, printable, wordWrap } from "./terminal.ts";

/**
 * `  from SOURCE` in lines of at most `columns` cells when it can be: on one line; a kubeconfig's (`kubeconfig PATH
 * (context "NAME")`, then `with --namespace` when a flag overrode it) with its path shortened to its file name
 * (`…/eks.kubeconfig`) if need be, else with the context on a line of its own (`  context "NAME"`), so that its name
 * (which tells a wrong cluster) is whole, and the path after `  from kubeconfig` or on a line of its own, where a file
 * name still too wide keeps its start, which tells one kubeconfig from another; the flags after the context, or on a
 * line of their own; any other source, and a kubeconfig's with flags whose words all fit, wrapped at spaces. Only a
 * name or path that alone is wider than the terminal is cut, at its end, by the line's fit.
 *
 * @param source Where the cluster access came from, as the CLI says it.
 * @param columns The terminal's width.
 * @returns The lines, each starting with two spaces.
 *
 * @example
 * ```ts
 * import { sourceLines } from "./source_lines.ts";
 * sourceLines('kubeconfig /home/me/.kube/clusters/eks.kubeconfig (context "prod")', 50);
 * // ['  from kubeconfig …/eks.kubeconfig (context "prod")']
 * ```
 */
export function sourceLines(source: string, columns: number): string[] {
  const text = printable(inFlagTerms(`  from ${source}`));
  if (cellWidth(text) <= columns) return [text];
  const atSpaces = wordWrap(text.slice(2), columns - 2).map((line) => `  ${line}`);
  const parts = /^( {2}from kubeconfig )(.+) \((context ".*")\)((?: with .+)?)$/s.exec(text);
  if (!parts) return atSpaces;
  const [, head, path, context, flags] = parts;
  // Flags whose every word fits wrap as other sources do; a path too wide would lose its file name there.
  if (flags !== "" && atSpaces.every((line) => cellWidth(line) <= columns)) return atSpaces;
  const file = path.includes("/") ? `…/${path.slice(path.lastIndexOf("/") + 1)}` : path;
  const short = `${head}${file} (${context})${flags}`;
  if (cellWidth(short) <= columns) return [short];
  const beside = [path, file].find((shown) => cellWidth(head) + cellWidth(shown) <= columns);
  const room = columns - 2;
  const shown = [path, file].find((each) => cellWidth(each) <= room) ?? `${cutToCells(file, Math.max(0, room - 1))}…`;
  const lines = beside !== undefined
    ? [`${head}${beside}`, `  ${context}`]
    : [head.trimEnd(), `  ${shown}`, `  ${context}`];
  if (flags === "") return lines;
  if (cellWidth(`  ${context}${flags}`) <= columns) return [...lines.slice(0, -1), `  ${context}${flags}`];
  return [...lines, ...wordWrap(flags.trimStart(), room).map((line) => `  ${line}`)];
}

/**
 * A message with the kubeconfig's path of `source` as its file name (`…/eks.kubeconfig`), as the header shows it when
 * it must, where the message would not fit whole in `max` lines of `columns` cells: cut at its end, the path would
 * lose the file name, or push the cause and what to do off the lines. The header names the path.
 *
 * @param message The message, as the library says it.
 * @param source Where the cluster access came from, as in the message.
 * @param columns The terminal's width.
 * @param max The most lines the message gets.
 * @returns The message, its kubeconfig's path shortened where it must be.
 *
 * @example
 * ```ts
 * import { withFileName } from "./source_lines.ts";
 * const source = 'kubeconfig /tmp/configs/team/admin.kubeconfig (context "sa")';
 * withFileName(`cannot reach the API server from ${source} (connect ECONNREFUSED)`, source, 30, 2);
 * // 'cannot reach the API server from kubeconfig …/admin.kubeconfig (context "sa") (connect ECONNREFUSED)'
 * ```
 */
export function withFileName(message: string, source: string, columns: number, max: number): string {
  const path = /^kubeconfig (.+?) \(context "/s.exec(source)?.[1];
  if (path === undefined || !path.includes("/")) return message;
  const whole = wordWrap(printable(inFlagTerms(message)), columns);
  if (whole.length <= max && whole.every((line) => cellWidth(line) <= columns)) return message;
  const file = `…/${path.slice(path.lastIndexOf("/") + 1)}`;
  return message.replaceAll(`kubeconfig ${path} (context "`, `kubeconfig ${file} (context "`);
}
