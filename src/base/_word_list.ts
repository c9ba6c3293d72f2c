/**
 * Items of a message joined as a sentence joins them: `a`, `a and b`, `a, b and c`. Every message that lists
 * things in words goes through it, so that three of them never read `a and b and c` (or `a, b, and c` in one
 * message and `a, b and c` in the next).
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
