// Run by deno_compiled_test.ts: prints grantAdvice()'s words, one a line, as a `deno compile`d program would get them
// when its first argument is "standalone" (Deno.build.standalone, which a test cannot compile here: deno compile
// downloads denort), else as under deno run.
if (Deno.args[0] === "standalone") {
  const deno = globalThis.Deno;
  const build = { ...deno.build, standalone: true };
  Object.defineProperty(globalThis, "Deno", {
    value: new Proxy(deno, { get: (t, k) => k === "build" ? build : Reflect.get(t, k) }),
  });
}
const { grantAdvice } = await import("../../src/runtime/deno_permission_advice.ts");
console.log(grantAdvice("net"));
console.log(grantAdvice("sys", "homedir"));
