/**
 * The words of an HTML error page, as a person reads them: what a gateway or
 * proxy in front of the API server says when it answers in its place
 * (`403 Forbidden: not a member of this cluster`, `502 Bad Gateway`), which
 * kubectl shows whole and an error should quote.
 *
 * @module
 */

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/**
 * The text of an HTML page on one line: without its scripts, styles, comments and tags, with the common entities
 * decoded.
 *
 * @param html The page.
 * @returns Its text; empty when it has none.
 *
 * @example A proxy's error page
 * ```ts
 * import { pageText } from "./_page_text.ts";
 * console.log(pageText("<html><head><title>502 Bad Gateway</title></head><body><h1>Bad&nbsp;Gateway</h1></body></html>"));
 * // 502 Bad Gateway Bad Gateway
 * ```
 */
export function pageText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, " ")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, name: string) => {
      const code = name[0] !== "#"
        ? undefined
        : name[1] === "x" || name[1] === "X"
        ? parseInt(name.slice(2), 16)
        : parseInt(name.slice(1), 10);
      if (code !== undefined) return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : " ";
      return ENTITIES[name.toLowerCase()] ?? entity;
    })
    .replace(/\s+/g, " ")
    .trim();
}
