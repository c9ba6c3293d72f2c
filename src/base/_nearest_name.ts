/**
 * The name a misspelt one was meant to be, for the errors that refuse an unknown option (of an options object or of
 * the command line) and say what to use instead.
 *
 * @module
 */

/**
 * The one name among `names` that `name` is close to: the same but for case, else the only one nearest to it (in
 * characters to insert, delete or replace, or adjacent ones to swap, case aside), when that is at most two and under
 * half the longer name's length (`cs` is not close to `ca`). Of names as near, none is named (`--one` is one edit
 * from `--once`, `--zone` and `--node`): the caller's fallback lists them all.
 *
 * @param name The name given, which is none of `names`.
 * @param names The names that exist.
 * @returns The name meant, or undefined when none is close or two are as close.
 *
 * @example Misspelt options
 * ```ts
 * import { nearestName } from "./_nearest_name.ts";
 * const names = ["subsetSize", "subsetSeed", "signal"];
 * console.log(nearestName("subsetsize", names)); // "subsetSize"
 * console.log(nearestName("sginal", names)); // "signal": a swap is one edit
 * console.log(nearestName("subsetSe", names)); // undefined: subsetSize and subsetSeed are as close
 * console.log(nearestName("lb", names)); // undefined
 * ```
 */
export function nearestName(name: string, names: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameButCase = names.find((known) => known.toLowerCase() === lower);
  if (sameButCase !== undefined) return sameButCase;
  let nearest: string | undefined;
  let nearestEdits = Infinity;
  let tied = false;
  for (const known of names) {
    const edits = editDistance(lower, known.toLowerCase());
    if (edits < nearestEdits) [nearest, nearestEdits, tied] = [known, edits, false];
    else if (edits === nearestEdits && known !== nearest) tied = true;
  }
  if (nearest === undefined || tied || nearestEdits > 2) return undefined;
  return 2 * nearestEdits < Math.max(name.length, nearest.length) ? nearest : undefined;
}

/**
 * The number of edits that turn `a` into `b`: a character inserted, deleted or replaced, or two adjacent ones swapped
 * (`onec` is one edit from `once`), each part edited once (optimal string alignment, Damerau's distance as most
 * spelling suggestions count it).
 */
function editDistance(a: string, b: string): number {
  let twoBack: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        current[j] = Math.min(current[j], twoBack[j - 2] + 1);
      }
    }
    [twoBack, previous] = [previous, current];
  }
  return previous[b.length];
}
