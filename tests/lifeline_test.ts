import assert from "node:assert/strict";
import { onExit } from "./e2e/lifeline.ts";
import { tempDir } from "./_temp_dir.ts";
import { childEnv } from "./_child_env.mjs";

Deno.test("lifeline: an untied watchdog never runs its script, and a tied one runs it when this process is gone", async () => {
  await using dir = await tempDir();
  for (let i = 0; i < 20; i++) {
    const tie = onExit(`touch "$1"`, [`${dir.path}/untied-${i}`]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    tie.untie();
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { onExit } from ${JSON.stringify(new URL("./e2e/lifeline.ts", import.meta.url).href)};` +
      `onExit('touch "$1"', [${
        JSON.stringify(`${dir.path}/tied`)
      }]); await new Promise((r) => setTimeout(r, 100)); Deno.exit(0);`,
    ],
    env: childEnv(),
  });
  assert.equal((await child.output()).code, 0);
  const deadline = Date.now() + 5000;
  while (!(await exists(`${dir.path}/tied`)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const names = [];
  for await (const entry of Deno.readDir(dir.path)) names.push(entry.name);
  assert.deepEqual(names, ["tied"]);
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
