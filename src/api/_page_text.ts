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
  const withoutComments = dropBlocks(html, COMMENT, () => COMMENT_END);
  const withoutScripts = dropBlocks(withoutComments, RAW_TEXT, (opened) => RAW_TEXT_END[opened[1].toLowerCase()]);
  return dropBlocks(withoutScripts, TAG, () => TAG_END)
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

const COMMENT = /<!--/g;
const COMMENT_END = /-->/g;
const RAW_TEXT = /<(script|style)\b/gi;
const RAW_TEXT_END: Record<string, RegExp> = { script: /<\/script\s*>/gi, style: /<\/style\s*>/gi };
const TAG = /</g;
const TAG_END = />/g;

/**
 * `text` with each block that runs from a match of `start` to the first match after it of its closer (`closing`)
 * replaced by a space; a start that nothing closes stays text. Once a closer is missing, no later start looks for it
 * again: a regular expression that looked from every start took 1.4 s (with the event loop blocked) for 64 KiB of "<".
 */
function dropBlocks(text: string, start: RegExp, closing: (opened: RegExpExecArray) => RegExp): string {
  const missing = new Set<RegExp>();
  let kept = "";
  let copied = 0;
  start.lastIndex = 0;
  for (let opened = start.exec(text); opened !== null; opened = start.exec(text)) {
    const closer = closing(opened);
    if (missing.has(closer)) continue;
    closer.lastIndex = start.lastIndex;
    const closed = closer.exec(text);
    if (closed === null) {
      missing.add(closer);
      continue;
    }
    kept += `${text.slice(copied, opened.index)} `;
    copied = start.lastIndex = closed.index + closed[0].length;
  }
  return kept + text.slice(copied);
}
