import assert from "node:assert/strict";
import { wordList } from "../src/base/_word_list.ts";

Deno.test("wordList() joins none, one, two and three items as a sentence does", () => {
  assert.equal(wordList([]), "");
  assert.equal(wordList(["a"]), "a");
  assert.equal(wordList(["a", "b"]), "a and b");
  assert.equal(wordList(["a", "b", "c"]), "a, b and c");
  assert.equal(wordList(["a", "b", "c", "d"], "or"), "a, b, c or d");
});
