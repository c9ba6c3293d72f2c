/**
 * Items of a message joined as a sentence joins them: `a`, `a and b`, `a, b and c`. Every message that lists
 * things in words goes through it, so that three of them never read `a and b and c` (or `a, b, and c` in one
 * message and `a, b and c` in the next). A message naming a few of many things does so through `firstNames()`:
 * `a, b, c and 2 more`.
 *
 * @module
 */

/**
 * The items joined with commas and the conjunction before the last one, without a comma before it.
 *
 * @param items The items, already quoted as the message shows them.
 * @param conjunction The word before the last item.
 * @returns `""` for no item, the item for one, `a and b` for two, `a, b and c` for three or more.
 *
 * @example Three items, then two alternatives
 * ```ts
 * import { wordList } from "./_word_list.ts";
 * console.log(wordList(["port", "service", "topology"])); // port, service and topology
 * console.log(wordList([":grpc", ":metrics"], "or")); // :grpc or :metrics
 * ```
 */
export function wordList(items: readonly string[], conjunction: "and" | "or" = "and"): string {
  if (items.length < 2) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items.at(-1)}`;
}

/**
 * The first `most` names joined with commas, then how many more there are, for a message that names a few of many
 * pods or nodes and counts the rest: `a, b, c and 2 more`. All shown are joined with commas only (`a, b, c`).
 *
 * @param names The names, already quoted as the message shows them.
 * @param most How many names to show at most.
 * @returns The names shown, then ` and N more` when some are left out.
 *
 * @example Five names, three shown
 * ```ts
 * import { firstNames } from "./_word_list.ts";
 * console.log(firstNames(["web-0", "web-1", "web-2", "web-3", "web-4"], 3)); // web-0, web-1, web-2 and 2 more
 * ```
 */
export function firstNames(names: readonly string[], most: number): string {
  const shown = names.slice(0, most).join(", ");
  return names.length > most ? `${shown} and ${names.length - most} more` : shown;
}
