// Run by run_alias_test.ts with a narrow --allow-read: reads each path of its arguments with readTextFile() and prints
// readRefusal()'s advice for it, one line each ("read" for a file it could read).
import { readRefusal, readTextFile } from "../../src/runtime/files.ts";

for (const path of Deno.args) {
  try {
    await readTextFile(path);
    console.log("read");
  } catch (error) {
    console.log(readRefusal(error)?.fix ?? `not refused: ${error}`);
  }
}
