import assert from "node:assert/strict";
import { firstNames, wordList } from "../src/base/_word_list.ts";

Deno.test("wordList() joins none, one, two and three items as a sentence does", () => {
  assert.equal(wordList([]), "");
  assert.equal(wordList(["a"]), "a");
  assert.equal(wordList(["a", "b"]), "a and b");
  assert.equal(wordList(["a", "b", "c"]), "a, b and c");
  assert.equal(wordList(["a", "b", "c", "d"], "or"), "a, b, c or d");
});

Deno.test("firstNames() shows at most the first names and counts the rest", () => {
  assert.equal(firstNames([], 3), "");
  assert.equal(firstNames(["a", "b", "c"], 3), "a, b, c");
  assert.equal(firstNames(["a", "b", "c", "d", "e"], 3), "a, b, c and 2 more");
});
