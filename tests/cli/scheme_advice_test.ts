// A target whose scheme is not `kubernetes` resolves in the CLI, as in the library, but a channel of register() with
// its default scheme sends it to grpc-js's DNS resolver: `--once`, the live table and `check` warn of a near miss
// (`KUBERNETES`, `kuberentes`); of a scheme chosen on purpose (`k8s`, which the README endorses) `check` only notes
// what channels need.
import assert from "node:assert/strict";
import { parseTarget } from "../../src/base/target.ts";
import { customSchemeNote, schemeAdvice } from "../../src/cli/scheme_advice.ts";
import { runPiped as run } from "./_run_cli.ts";
import { startShopCluster } from "./_cluster.mjs";

const advice = (input: string) => schemeAdvice(input, parseTarget(input));

Deno.test("schemeAdvice() says nothing of the default scheme", () => {
  assert.equal(advice("kubernetes:///echo.shop:grpc"), undefined);
  assert.equal(advice("kubernetes://shop/echo:grpc"), undefined);
});

Deno.test("schemeAdvice() gives the target meant for a scheme that differs from kubernetes by case or a typo", () => {
  for (const scheme of ["KUBERNETES", "Kubernetes", "kuberentes", "kubernets"]) {
    const text = advice(`${scheme}://shop/echo:grpc`)!;
    assert.ok(text.startsWith(`the scheme "${scheme}" is not "kubernetes", `), text);
    // Case-sensitivity is named only where the case is the difference.
    assert.equal(/schemes are case-sensitive/.test(text), scheme.toLowerCase() === "kubernetes", text);
    assert.match(text, /register\(\{ scheme: "[^"]+" \}\) or come from nice-grpc's createChannel\(\)/);
    assert.ok(
      text.includes(`"Name resolution failed for target dns:${scheme}://shop/echo:grpc"`),
      text,
    );
    assert.ok(text.endsWith("; did you mean kubernetes://shop/echo:grpc?"), text);
  }
});

Deno.test("schemeAdvice() says nothing of a scheme chosen on purpose; customSchemeNote() names what channels need", () => {
  // Was a warning on every run of --once and the live table, and an unknown step in check, for a scheme the README
  // endorses ("Target forms").
  assert.equal(advice("k8s:///echo.shop:grpc"), undefined);
  assert.equal(
    customSchemeNote(parseTarget("k8s:///echo.shop:grpc")),
    'channels resolve scheme "k8s" once they ran register({ scheme: "k8s" }) or come from nice-grpc\'s ' +
      "createChannel() (@kgr/resolver/nice-grpc, which registers the target's scheme)",
  );
  for (const input of ["kubernetes:///echo.shop:grpc", "KUBERNETES:///echo.shop:grpc"]) {
    assert.equal(customSchemeNote(parseTarget(input)), undefined, input);
  }
});

Deno.test("kgr-resolver --once on a misspelt scheme lists the pods and warns that channels fail on it, not on a chosen one", async () => {
  // Was: the pods, exit 0, and nothing on standard error, while a grpc-js channel failed with "Name resolution
  // failed for target dns:kuberentes:///echo.shop:grpc".
  await using cluster = await startShopCluster();
  for (const scheme of ["kuberentes", "KUBERNETES"]) {
    const { code, stdout, stderr } = await run([
      "--once",
      "--kubeconfig",
      cluster.kubeconfig,
      `${scheme}:///echo.shop:grpc`,
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, / echo-0 10\.0\.0\.1:50051/);
    assert.match(
      stderr,
      new RegExp(
        `^kgr-resolver: warning: the scheme "${scheme}" is not "kubernetes", .*; did you mean ` +
          "kubernetes:///echo\\.shop:grpc\\?\\n$",
      ),
    );
  }
  for (const target of ["kubernetes:///echo.shop:grpc", "k8s:///echo.shop:grpc"]) {
    const plain = await run(["--once", "--kubeconfig", cluster.kubeconfig, target]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stderr, "", target);
  }
});

Deno.test("check on a near miss of kubernetes ends in ok with a scheme step to read; on a chosen scheme, in a plain ok", async () => {
  // Was: "ok: KUBERNETES:///echo.shop:grpc resolves with these credentials", a target no default channel resolves.
  await using cluster = await startShopCluster();
  const near = await run(["check", "--kubeconfig", cluster.kubeconfig, "KUBERNETES:///echo.shop:grpc"]);
  assert.equal(near.code, 0, near.stdout);
  assert.match(
    near.stdout,
    /\nok +target +service echo in namespace shop\nunknown +scheme +the scheme "KUBERNETES" is not "kubernetes", .*; did you mean kubernetes:\/\/\/echo\.shop:grpc\?\n/,
  );
  assert.match(
    near.stdout,
    /\nok: KUBERNETES:\/\/\/echo\.shop:grpc resolves with these credentials; see the scheme step above\n$/,
  );
  // A scheme chosen on purpose: a note in an ok step, and a plain ok at the end.
  const custom = await run(["check", "--kubeconfig", cluster.kubeconfig, "k8s:///echo.shop:grpc"]);
  assert.equal(custom.code, 0, custom.stdout);
  assert.match(
    custom.stdout,
    /\nok +scheme +channels resolve scheme "k8s" once they ran register\(\{ scheme: "k8s" \}\)/,
  );
  assert.doesNotMatch(custom.stdout, /\nunknown /);
  assert.match(custom.stdout, /\nok: k8s:\/\/\/echo\.shop:grpc resolves with these credentials\n$/);
  assert.equal(custom.stderr, "");
});
