import assert from "node:assert/strict";
import {
  type CheckCommand,
  DEFAULT_TIMEOUT_SECONDS,
  ignoredNamespaceWarning,
  parseArgs,
  UsageError,
  type WatchCommand,
} from "../../src/cli/args.ts";
import { TargetError } from "../../src/base/errors.ts";

const TARGET = "kubernetes:///echo.prod:grpc";
const target = { scheme: "kubernetes", service: "echo", namespace: "prod", port: "grpc" };

Deno.test("parseArgs() reads a watch with every flag, in both spellings", () => {
  assert.deepEqual(
    parseArgs([
      "--once",
      "--json",
      "--kubeconfig",
      "/k.yaml",
      "--context=kind",
      "-n",
      "shop",
      "--timeout",
      "2.5",
      "--zone=a",
      "--node",
      "n1",
      TARGET,
    ]),
    {
      kind: "watch",
      once: true,
      json: true,
      input: TARGET,
      target,
      cluster: { kubeconfig: "/k.yaml", context: "kind", namespace: "shop" },
      timeoutSeconds: 2.5,
      locality: { zone: "a", node: "n1" },
    },
  );
});

Deno.test("parseArgs() reads --no-protobuf, for watch and check, as the resolver's protobuf: false", () => {
  assert.equal("protobuf" in parseArgs([TARGET]), false);
  for (const args of [["--no-protobuf", TARGET], ["check", "--no-protobuf", TARGET]]) {
    const command = parseArgs(args);
    assert.ok(command.kind === "watch" || command.kind === "check");
    assert.equal(command.protobuf, false);
  }
});

Deno.test("parseArgs() reads --no-http2, for watch and check, as the resolver's cluster.http2: false", () => {
  const plain = parseArgs([TARGET]);
  assert.ok(plain.kind === "watch");
  assert.equal("http2" in plain.cluster, false);
  for (const args of [["--no-http2", "-n", "prod", TARGET], ["check", "--no-http2", TARGET]]) {
    const command = parseArgs(args);
    assert.ok(command.kind === "watch" || command.kind === "check");
    assert.equal(command.cluster.http2, false);
  }
});

Deno.test("parseArgs() takes watch as the name of the default command, as check names its own", () => {
  assert.deepEqual(parseArgs(["watch", "--once", TARGET]), parseArgs(["--once", TARGET]));
  assert.throws(
    () => parseArgs(["watch"]),
    new UsageError("Cannot run without a target: give one, e.g. kgr-resolver kubernetes:///echo.prod:grpc"),
  );
});

Deno.test("parseArgs() takes help as --help, as git and kubectl do", () => {
  assert.deepEqual(parseArgs(["help"]), { kind: "help" });
  // After the command too (check help), where it was taken for a target: "give it as kubernetes:///help".
  assert.deepEqual(parseArgs(["watch", "help"]), { kind: "help" });
});

Deno.test("parseArgs() asks for check's own help after check, in each form of help, and for help check", () => {
  // They all gave the main help, which says nothing of what check checks or prints.
  for (
    const args of [["check", "--help"], ["check", "-h"], ["check", "help"], ["help", "check"], ["check", "-h", TARGET]]
  ) {
    assert.deepEqual(parseArgs(args), { kind: "help", command: "check" }, args.join(" "));
  }
  assert.deepEqual(parseArgs(["watch", "--help"]), { kind: "help" });
  assert.deepEqual(parseArgs(["--help", TARGET]), { kind: "help" });
});

Deno.test("parseArgs() takes version as --version, as kubectl version and git version", () => {
  // It was taken for a target: "give it as kubernetes:///version".
  assert.deepEqual(parseArgs(["version"]), { kind: "version" });
});

Deno.test("parseArgs() reads check, with the default timeout and no locality", () => {
  assert.deepEqual(parseArgs(["check", "--namespace", "shop", TARGET]), {
    kind: "check",
    yaml: false,
    input: TARGET,
    target,
    cluster: { namespace: "shop" },
    timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  });
});

Deno.test("parseArgs() reads check --yaml", () => {
  assert.equal((parseArgs(["check", "--yaml", TARGET]) as CheckCommand).yaml, true);
});

Deno.test("parseArgs() takes a context named by its server's URL when a target follows, as kubectl takes it", () => {
  // It said the target "https://kubernetes.default.svc" was taken for --context's value: it parses as one.
  for (const context of ["https://kubernetes.default.svc", "https://kubernetes.default:443"]) {
    const command = parseArgs(["--context", context, TARGET]) as WatchCommand;
    assert.equal(command.cluster.context, context);
    assert.equal(command.input, TARGET);
  }
});

Deno.test("parseArgs() takes -n as kubectl does: -n NS, -nNS and -n=NS", () => {
  for (const args of [["-n", "shop"], ["-nshop"], ["-n=shop"], ["--namespace=shop"]]) {
    const command = parseArgs([...args, "kubernetes:///echo:grpc"]);
    assert.deepEqual((command as { cluster: unknown }).cluster, { namespace: "shop" }, args.join(" "));
  }
});

Deno.test("ignoredNamespaceWarning() warns when -n names another namespace than the target's, and only then", () => {
  const warning = (...args: string[]) => ignoredNamespaceWarning(parseArgs(args) as WatchCommand | CheckCommand);
  assert.equal(
    warning("-n", "staging", TARGET),
    `warning: --namespace staging is ignored: the target ${TARGET} names its namespace, prod`,
  );
  assert.equal(
    warning("check", "--namespace=staging", "kubernetes://prod/echo:grpc"),
    "warning: --namespace staging is ignored: the target kubernetes://prod/echo:grpc names its namespace, prod",
  );
  assert.equal(warning("-n", "prod", TARGET), undefined);
  assert.equal(warning("-n", "staging", "kubernetes:///echo:grpc"), undefined);
  assert.equal(warning(TARGET), undefined);
});

Deno.test("parseArgs() never quotes a user name, password or token written in a target", () => {
  const secret = "kubernetes://admin:s3cret@echo.prod:grpc";
  const cases: [string[], string][] = [
    [[secret], 'Cannot parse target "kubernetes://***@echo.prod:grpc": target must not hold a user name'],
    [["check", secret], 'Cannot parse target "kubernetes://***@echo.prod:grpc": target must not hold a user name'],
    [[TARGET, secret], `Cannot follow several targets: give one: current value is "${TARGET}" "kubernetes://***@`],
    [["--zone", secret], 'Cannot use --zone: it needs a value, and took the target "kubernetes://***@echo.prod:grpc"'],
    [["dns://admin:s3cret@8.8.8.8/echo.prod:50051"], 'Cannot follow "dns://***@8.8.8.8/echo.prod:50051": grpc-js'],
  ];
  for (const [args, start] of cases) {
    assert.throws(() => parseArgs(args), (error: Error) => {
      assert.ok(error.message.startsWith(start), error.message);
      return !error.message.includes("s3cret");
    });
  }
});

Deno.test("parseArgs() gives help and the version before anything else", () => {
  assert.deepEqual(parseArgs(["--once", "-h"]), { kind: "help" });
  assert.deepEqual(parseArgs(["--help", "kubernetes:///svc:0"]), { kind: "help" });
  assert.deepEqual(parseArgs(["--version"]), { kind: "version" });
});

Deno.test("parseArgs() refuses command lines it cannot use, saying what to do", () => {
  const cases: [string[], string][] = [
    [[], "Cannot run without a target: give one, e.g. kgr-resolver kubernetes:///echo.prod:grpc"],
    // check's own command line in the example, where the follow command's would have followed instead of checking.
    [["check"], "Cannot check without a target: give one, e.g. kgr-resolver check kubernetes:///echo.prod:grpc"],
    [[TARGET, TARGET], `Cannot follow several targets: give one: current value is "${TARGET}" "${TARGET}"`],
    [["check", TARGET, TARGET], `Cannot check several targets: give one: current value is "${TARGET}" "${TARGET}"`],
    // A misspelt or unknown command is named as such, not taken for a second target.
    [["chek", TARGET], 'Cannot use command "chek": it is unknown: use check'],
    [["wacth", TARGET], 'Cannot use command "wacth": it is unknown: use watch'],
    [["Check", TARGET], 'Cannot use command "Check": it is unknown: use check'],
    [
      ["get", TARGET],
      'Cannot use command "get": it is unknown: the commands are watch (the default) and check',
    ],
    // version is a command, which takes no target: "unknown" would contradict kgr-resolver version.
    [["version", TARGET], 'Cannot use command "version" with a target: run kgr-resolver version alone'],
    [["--colour", TARGET], 'Cannot use option "--colour": it is unknown: run kgr-resolver --help'],
    // A misspelt option names the one meant, when no other is as close (--onse is two edits from --zone).
    [["--onse", TARGET], 'Cannot use option "--onse": it is unknown: use --once'],
    [["--namspace=shop", TARGET], 'Cannot use option "--namspace": it is unknown: use --namespace'],
    [["--kube-config", "k", TARGET], 'Cannot use option "--kube-config": it is unknown: use --kubeconfig'],
    [["--JSON", TARGET], 'Cannot use option "--JSON": it is unknown: use --json'],
    // --zode is one edit from --zone and from --node: no guess.
    [["--zode", "a", TARGET], 'Cannot use option "--zode": it is unknown: run kgr-resolver --help'],
    // A switch is known, and takes no value: "unknown" would send the user to --help for an option that is there.
    [["--once=yes", TARGET], 'Cannot use option "--once=yes": --once takes no value: write --once alone'],
    // kubectl's options, which users try first, get what does the same here.
    [
      ["-o", "json", TARGET],
      'Cannot use option "-o": it is unknown: for JSON, use --json (one object per snapshot and line)',
    ],
    [
      ["-ojson", TARGET],
      'Cannot use option "-ojson": it is unknown: for JSON, use --json (one object per snapshot and line)',
    ],
    [
      ["--output=json", TARGET],
      'Cannot use option "--output": it is unknown: for JSON, use --json (one object per snapshot and line)',
    ],
    // kubectl's credential flags: the value, a secret, is never repeated.
    [
      ["-token=s3cr3t-canary", TARGET],
      'Cannot use option "-token": it is unknown: run kgr-resolver --help',
    ],
    [
      ["--token=s3cr3t-canary", TARGET],
      'Cannot use option "--token": it is unknown: give credentials in a kubeconfig (--kubeconfig FILE, --context NAME)',
    ],
    [
      ["-w", TARGET],
      'Cannot use option "-w": it is unknown: kgr-resolver follows the target by default (--once prints one snapshot)',
    ],
    [[TARGET, "--context"], "Cannot use --context: it needs a value: run kgr-resolver --help"],
    [
      ["--zone", TARGET],
      `Cannot use --zone: it needs a value, and took the target "${TARGET}" for it: give the value right after --zone`,
    ],
    // A target in a scheme of the app's own: it said "Cannot run without a target".
    [
      ["-n", "k8s:///echo.prod:grpc"],
      'Cannot use -n: it needs a value, and took the target "k8s:///echo.prod:grpc" for it: give the value right after -n',
    ],
    // kubectl reads an empty one as none given (a script's `--context "$CONTEXT"` with the variable unset): we refuse
    // it, saying how to get what kubectl does.
    [
      ["--kubeconfig=", TARGET],
      "Cannot use --kubeconfig: it must not be empty (kubectl reads an empty one as none given): leave it out to use " +
      "KUBECONFIG, in-cluster, ~/.kube/config",
    ],
    [
      ["--context", "", TARGET],
      "Cannot use --context: it must not be empty (kubectl reads an empty one as none given): leave it out to use the " +
      "kubeconfig's current-context",
    ],
    [
      ["--kubeconfig=~/.kube/prod", TARGET],
      'Cannot use "--kubeconfig=~/.kube/prod": the shell leaves ~ after "=" as it is: write --kubeconfig ~/.kube/prod',
    ],
    [
      ["dns:///echo.prod:50051"],
      'Cannot follow "dns:///echo.prod:50051": grpc-js resolves dns: targets itself, without Kubernetes; ' +
      "give the Service as kubernetes:///service.namespace:port",
    ],
    [
      // Refused for its scheme, before its form is judged as a Kubernetes target's.
      ["unix:///tmp/x"],
      'Cannot follow "unix:///tmp/x": grpc-js resolves unix: targets itself, without Kubernetes; ' +
      "give the Service as kubernetes:///service.namespace:port",
    ],
    [["--json=1", TARGET], 'Cannot use option "--json=1": --json takes no value: write --json alone'],
    [
      ["--timeout", "5", TARGET],
      "Cannot use --timeout without --once: only --once and check wait for a first snapshot",
    ],
    [
      ["--once", "--timeout", "0", TARGET],
      'Cannot use --timeout: it must be a positive number of seconds, at most 2147483: current value is "0"',
    ],
    [
      // A timer cannot wait longer: it fired at once.
      ["--once", "--timeout", "3000000", TARGET],
      'Cannot use --timeout: it must be a positive number of seconds, at most 2147483: current value is "3000000"',
    ],
    // kubectl's durations (kubectl wait --timeout=30s, --request-timeout=1m): the number of seconds they mean.
    [
      ["--once", "--timeout", "30s", TARGET],
      'Cannot use --timeout: it must be a positive number of seconds, at most 2147483: current value is "30s": ' +
      "write --timeout 30",
    ],
    [
      ["check", "--timeout=1m30s", TARGET],
      'Cannot use --timeout: it must be a positive number of seconds, at most 2147483: current value is "1m30s": ' +
      "write --timeout 90",
    ],
    [
      ["check", "--request-timeout", "1m", TARGET],
      'Cannot use option "--request-timeout": it is unknown: use --timeout SECONDS (with --once or check)',
    ],
    [
      ["--once", "--timeout=soon", TARGET],
      'Cannot use --timeout: it must be a positive number of seconds, at most 2147483: current value is "soon"',
    ],
    [
      // Not a number: that is what to fix first, not the missing --once.
      ["--timeout", "abc", TARGET],
      'Cannot use --timeout: it must be a positive number of seconds, at most 2147483: current value is "abc"',
    ],
    [
      ["--min-usable", "0", "--once", TARGET],
      'Cannot use --min-usable: it must be a positive integer (of pods): current value is "0"',
    ],
    [
      ["--min-usable", "2.5", "--once", TARGET],
      'Cannot use --min-usable: it must be a positive integer (of pods): current value is "2.5"',
    ],
    [
      ["--min-usable", "0x10", "--once", TARGET],
      'Cannot use --min-usable: it must be a positive integer (of pods): current value is "0x10"',
    ],
    [
      ["check", "--min-usable", "3", TARGET],
      "Cannot use --min-usable with check: it makes --once wait, within --timeout, until that many pods are usable; " +
      "run kgr-resolver --once --min-usable 3 TARGET",
    ],
    [
      ["--min-usable", "3", TARGET],
      "Cannot use --min-usable without --once: it makes --once wait, within --timeout, until that many pods are usable; " +
      "run kgr-resolver --once --min-usable 3 TARGET",
    ],
    // An empty --zone or --node turned topology off silently, ZONE and NODE_NAME ignored (the library's locality {}):
    // `--zone="$ZONE"` with the variable unset read as that.
    [
      ["--zone=", TARGET],
      "Cannot use --zone: it must not be empty: leave it out to use ZONE and NODE_NAME, or, for a client whose " +
      "locality is unknown, leave out --zone and --node and unset those (env -u ZONE -u NODE_NAME)",
    ],
    [
      ["--node=", TARGET],
      "Cannot use --node: it must not be empty: leave it out to use ZONE and NODE_NAME, or, for a client whose " +
      "locality is unknown, leave out --zone and --node and unset those (env -u ZONE -u NODE_NAME)",
    ],
    // Beside the other flag, leaving the empty one out reads neither variable: the flags given are the locality.
    [
      ["--zone", "a", "--node", "", TARGET],
      "Cannot use --node: it must not be empty: leave it out (a zone alone is a locality)",
    ],
    [
      ["--zone", " ", "--node", "n1", TARGET],
      "Cannot use --zone: it must not be empty: leave it out to use the zone label of node n1",
    ],
    [
      ["-n=", TARGET],
      "Cannot use --namespace: it must not be empty (kubectl reads an empty one as none given): leave it out to use " +
      "the context's, else the pod's, else default",
    ],
    // A bad command line (exit 2), as a bad namespace in the target is, not a cluster failure (exit 1).
    [
      ["-n", "Shop", TARGET],
      'Cannot use --namespace: it must be a namespace name (at most 63 of a-z, 0-9 and "-", starting and ending ' +
      'with a letter or digit): current value is "Shop": Kubernetes names are lower case, did you mean "shop"?',
    ],
    // A long flag with one dash is not -n and a value, as it would be for kubectl.
    [["-node", "n1", TARGET], 'Cannot use option "-node": write it with two dashes: --node'],
    [["-namespace=prod", TARGET], 'Cannot use option "-namespace=prod": write it with two dashes: --namespace'],
    [["-once", TARGET], 'Cannot use option "-once": write it with two dashes: --once'],
    [
      ["check", "--json", TARGET],
      "Cannot use --json with check: it resolves once and prints a report; for one snapshot in JSON, run " +
      "kgr-resolver --once --json TARGET",
    ],
    // --yaml is check's: following a target writes no YAML.
    [
      ["--yaml", TARGET],
      "Cannot use --yaml without check: it prints the Role and RoleBinding that check finds missing; run " +
      "kgr-resolver check --yaml TARGET",
    ],
    [
      ["check", "--once", TARGET],
      "Cannot use --once with check: it resolves once and prints a report; for one snapshot, run kgr-resolver " +
      "--once TARGET",
    ],
  ];
  for (const [args, message] of cases) {
    assert.throws(
      () => parseArgs(args),
      (error) => error instanceof UsageError && error.message === message,
      args.join(" "),
    );
  }
});

Deno.test("parseArgs() leaves a bad target to parseTarget(), whose TargetError quotes it", () => {
  assert.throws(() => parseArgs(["--once", "echo.prod:grpc"]), TargetError);
  assert.throws(() => parseArgs(["--once", "kubernetes:///echo.prod:grpc:x"]), TargetError);
  assert.throws(
    () => parseArgs(["--", "kubernetes:///Echo"]),
    (error) => error instanceof TargetError && error.target === "kubernetes:///Echo",
  );
});

Deno.test("parseArgs() refuses a target without kubernetes:/// with the form it needs", () => {
  const cases: [string, string][] = [
    ["echo.prod:grpc", "kubernetes:///echo.prod:grpc"],
    ["echo", "kubernetes:///echo"],
    ["kubernetes:echo.prod:grpc", "kubernetes:///echo.prod:grpc"],
    ["kubernetes:/echo.prod:50051", "kubernetes:///echo.prod:50051"],
  ];
  for (const [input, form] of cases) {
    assert.throws(
      () => parseArgs([input]),
      new TargetError(input, `target must start with a scheme and "//": give it as ${form}`),
    );
  }
  // No form of it is a target: parseTarget()'s own message.
  assert.throws(() => parseArgs(["Echo.prod"]), /as in "kubernetes:\/\/\/svc\.ns:port"/);
});

Deno.test("parseArgs() takes --subset-size with --subset-seed, and refuses one without the other", () => {
  const command = parseArgs(["--subset-size", "10", "--subset-seed", "7", "kubernetes:///echo.prod:grpc"]);
  assert.deepEqual((command as { subset?: unknown }).subset, { size: 10, seed: 7 });
  assert.throws(
    () => parseArgs(["--subset-size", "10", "kubernetes:///echo.prod:grpc"]),
    /both --subset-size and --subset-seed/,
  );
  assert.throws(
    () => parseArgs(["--subset-size", "0", "--subset-seed", "1", "kubernetes:///echo.prod:grpc"]),
    /--subset-size: it must be a positive integer: current value is "0"/,
  );
  for (const seed of ["-2147483649", "1.5", "4294967296"]) {
    assert.throws(
      () => parseArgs(["--subset-size", "2", "--subset-seed", seed, "kubernetes:///echo.prod:grpc"]),
      /--subset-seed: it must be a 32-bit integer \(-2147483648 to 4294967295\)/,
    );
  }
});
