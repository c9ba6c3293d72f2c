// Run by deno_compiled_test.ts without permissions: prints grantAdvice()'s words, one a line, then the error of an
// exec plugin that may not be started, as a `deno compile`d program would get them when its first argument is
// "standalone" (Deno.build.standalone, which a test cannot compile here: deno compile downloads denort), else as
// under deno run.
if (Deno.args[0] === "standalone") {
  const deno = globalThis.Deno;
  const build = { ...deno.build, standalone: true };
  Object.defineProperty(globalThis, "Deno", {
    value: new Proxy(deno, { get: (t, k) => k === "build" ? build : Reflect.get(t, k) }),
  });
}
const { grantAdvice } = await import("../../src/runtime/deno_permission_advice.ts");
const { execCredentials } = await import("../../src/cluster/exec_credentials.ts");
const { heldExecPlugin } = await import("../_held_exec_plugin.ts");
console.log(grantAdvice("net"));
console.log(grantAdvice("sys", "homedir"));
const plugin = { apiVersion: "client.authentication.k8s.io/v1" as const, command: "true", args: [], env: [] };
await execCredentials(plugin, { run: heldExecPlugin, label: 'user "u"' }).authorization()
  .catch((error: Error) => console.log(error.message));
