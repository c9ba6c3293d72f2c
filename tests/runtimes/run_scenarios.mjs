// Runs named scenarios one after the other and prints one line each; shared by the
// cross-runtime scenarios and the CLI's bin scenarios.

/**
 * Runs every scenario (or those whose name includes `filter`), each with `args`.
 * @param {Record<string, (...args: unknown[]) => Promise<void>>} scenarios
 * @param {string} filter
 * @param {unknown[]} args
 */
export async function runScenarios(scenarios, filter = "", args = []) {
  let passed = 0;
  let failed = 0;
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (!name.includes(filter)) continue;
    const started = Date.now();
    try {
      await scenario(...args);
      passed++;
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}: ${error?.stack ?? error}`);
    }
  }
  return { passed, failed };
}
