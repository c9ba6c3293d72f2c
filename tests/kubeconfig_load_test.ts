import assert from "node:assert/strict";
import process from "node:process";
import { stringify } from "yaml";
import { accessFromKubeconfig } from "../src/cluster/kubeconfig_context.ts";
import { loadKubeconfigFiles, mergeKubeconfigs, parseKubeconfig } from "../src/cluster/kubeconfig_load.ts";
import { cpuTimeMs } from "../src/runtime/cpu_time.ts";
import { MAX_CONFIG_FILE_BYTES, readTextFile } from "../src/runtime/files.ts";
import { rejectsConfig } from "./_assert_config_error.ts";
import { config, noExec } from "./_kubeconfig_object.ts";
import { tempDir } from "./_temp_dir.ts";

Deno.test("parseKubeconfig() reads YAML and treats an empty file as an empty kubeconfig", async () => {
  const parsed = await parseKubeconfig(stringify(config({})), "/x/config");
  assert.equal(parsed["current-context"], "ctx");
  assert.deepEqual(await parseKubeconfig("", "/x/config"), {});
  assert.deepEqual(await parseKubeconfig("# only a comment\n", "/x/config"), {});
});

Deno.test("parseKubeconfig() reads YAML as kubectl does: a repeated key's last value wins, YAML 1.1 booleans", async () => {
  // kubectl parses with sigs.k8s.io/yaml over go-yaml v2: duplicates overwrite, yes/no/on/off/y/n are booleans.
  const text = [
    "current-context: first",
    "clusters:",
    "- name: c",
    "  cluster:",
    "    server: https://first.example",
    "    server: https://last.example",
    "    insecure-skip-tls-verify: yes",
    "    disable-compression: Off",
    "    tls-server-name: 'yes'",
    "    extensions: [{name: a, extension: {y: 1, when: 2001-12-14, at: 10:20}}]",
    "current-context: last",
  ].join("\n");
  const parsed = await parseKubeconfig(text, "/x/config");
  assert.equal(parsed["current-context"], "last");
  const cluster = parsed.clusters?.[0].cluster;
  assert.equal(cluster?.server, "https://last.example");
  assert.equal(cluster?.["insecure-skip-tls-verify"], true);
  assert.equal(cluster?.["disable-compression"], false);
  assert.equal(cluster?.["tls-server-name"], "yes");
  // Timestamps and sexagesimal numbers stay strings, as go-yaml v2 leaves them.
  assert.deepEqual(cluster?.extensions?.[0].extension, { true: 1, when: "2001-12-14", at: "10:20" });
  for (const [word, value] of [["on", true], ["Y", true], ["NO", false], ["n", false], ["True", true]] as const) {
    assert.equal((await parseKubeconfig(`preferences: ${word}\n`, "/x/config")).preferences, value, word);
  }
});

Deno.test("parseKubeconfig() applies YAML merge keys, as kubectl does", async () => {
  // Hand-written kubeconfigs share settings through an anchor and `<<:`; go-yaml v2 (kubectl's) merges them.
  const text = [
    "clusters:",
    "- name: a",
    "  cluster: &base",
    "    server: https://10.0.0.1:6443",
    "    insecure-skip-tls-verify: true",
    "- name: b",
    "  cluster:",
    "    <<: *base",
    "    tls-server-name: api.internal",
  ].join("\n");
  assert.deepEqual((await parseKubeconfig(text, "/x/config")).clusters?.[1].cluster, {
    server: "https://10.0.0.1:6443",
    "insecure-skip-tls-verify": true,
    "tls-server-name": "api.internal",
  });
});

Deno.test("parseKubeconfig() takes an anchor shared by hundreds of entries, as kubectl does, and refuses a billion laughs", async () => {
  // The yaml package refuses more than 100 uses of an anchor by default: 300 contexts that merge one `<<: *defaults`
  // were "malformed" here, and kubectl v1.36.3 loads them.
  const contexts = Array.from(
    { length: 300 },
    (_, i) => `- name: ctx${i}\n  context:\n    <<: *d\n    namespace: ns${i}`,
  );
  const text = ["x-defaults: &d {cluster: c}", "contexts:", ...contexts].join("\n");
  const parsed = await parseKubeconfig(text, "/x/config");
  assert.equal(parsed.contexts?.length, 300);
  assert.deepEqual(parsed.contexts?.[299], { name: "ctx299", context: { cluster: "c", namespace: "ns299" } });
  // A map of 2,000 keys merged into 2,000 entries (70 KB), which kubectl refuses: the yaml package would copy 4 million
  // keys (8 s) with its own limit lifted, and accept them.
  const keys = Array.from({ length: 2000 }, (_, i) => `k${i}: 1`).join(", ");
  const merged = [`x: &m {${keys}}`, "l:", ...Array.from({ length: 2000 }, (_, i) => `- {<<: *m, n: ${i}}`)];
  // Timed in the process's CPU time (300-360 ms of wall time here), not in wall time: beside other work on a shared
  // machine (load 13 on 2 cores) the wall time passed 3 s, 3 runs in 15.
  const start = cpuTimeMs();
  await rejectsConfig(() => parseKubeconfig(merged.join("\n"), "/x/config"), { message: /excessive aliasing/ });
  assert.ok(cpuTimeMs() - start < 3000, `${Math.round(cpuTimeMs() - start)} ms of CPU time`);
  // Nine levels of nine aliases (387,420,489 strings from 400 bytes): refused, as kubectl refuses it ("document
  // contains excessive aliasing"), saying why.
  const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (const [from, to] of [..."abcdefgh"].map((name, i) => [name, "bcdefghi"[i]])) {
    levels.push(`${to}: &${to} [${Array(9).fill(`*${from}`).join(", ")}]`);
  }
  await rejectsConfig(() => parseKubeconfig(levels.join("\n"), "/x/config"), {
    message:
      /^Cannot load kubeconfig \/x\/config: the YAML is malformed: its aliases \(\*name\) expand to many times what it holds, as a resource exhaustion attack's do \(kubectl refuses it too: "document contains excessive aliasing"\): fix the file/,
    file: "/x/config",
  });
});

Deno.test("parseKubeconfig() reports malformed YAML by line and column without quoting the text", async () => {
  const text = "users:\n- name: u\n  user:\n    token: canary-yaml-secret\n   bad: [\n";
  const error = await rejectsConfig(() => parseKubeconfig(text, "/x/config"), {
    message: /^Cannot load kubeconfig \/x\/config: the YAML is malformed at line \d+, column \d+/,
    file: "/x/config",
  });
  assert.ok(!error.message.includes("canary-yaml-secret"));
  assert.equal(error.cause, undefined);
});

Deno.test("parseKubeconfig() names a merge key whose value is not a mapping, which kubectl refuses too", async () => {
  await rejectsConfig(() => parseKubeconfig("users:\n- name: u\n  user:\n    <<: 1\n    token: t\n", "/x/config"), {
    message: /the YAML is malformed: a `<<` merge key's value is not a mapping or a list of mappings \(kubectl refuses/,
  });
});

Deno.test("parseKubeconfig() rejects a document that is not a mapping", async () => {
  await rejectsConfig(() => parseKubeconfig("- a\n- b\n", "/x/config"), {
    message: /the file is a YAML list, not a mapping/,
  });
});

Deno.test("mergeKubeconfigs() lets the first file win for each name and for current-context", () => {
  const merged = mergeKubeconfigs([
    {
      file: "/one/config",
      config: {
        clusters: [{ name: "shared", cluster: { server: "https://one" } }],
        users: [{ name: "u1", user: { token: "t1" } }],
      },
    },
    {
      file: "/two/config",
      config: {
        "current-context": "from-two",
        clusters: [
          { name: "shared", cluster: { server: "https://two" } },
          { name: "only-two", cluster: { server: "https://only-two" } },
        ],
        users: [{ name: "u1", user: { token: "t2" } }],
      },
    },
    { file: "/three/config", config: { "current-context": "from-three" } },
  ]);
  assert.equal(merged.currentContext?.name, "from-two");
  assert.equal(merged.currentContext?.file, "/two/config");
  assert.equal(merged.clusters.get("shared")?.value.server, "https://one");
  assert.equal(merged.clusters.get("shared")?.file, "/one/config");
  assert.equal(merged.clusters.get("only-two")?.field, "clusters[1].cluster");
  assert.equal(merged.users.get("u1")?.value.token, "t1");
  assert.deepEqual(merged.files, [
    "/one/config",
    "/two/config",
    "/three/config",
  ]);
});

Deno.test("mergeKubeconfigs() rejects a name defined twice in one file", async () => {
  await rejectsConfig(
    () =>
      mergeKubeconfigs([{
        file: "/x/config",
        config: { users: [{ name: "u", user: {} }, { name: "u", user: {} }] },
      }]),
    {
      message: /users\[1\]\.name "u" is defined twice in users/,
      file: "/x/config",
      field: "users[1].name",
    },
  );
});

Deno.test("parseKubeconfig() refuses an anchor whose value holds an alias to itself, saying so, as kubectl does", async () => {
  // kubectl v1.36.3: "yaml: anchor 'a' value contains itself". We said its aliases expand as a billion laughs do,
  // and that kubectl says "document contains excessive aliasing".
  for (const text of ["a: &a [*a]\n", "a: &a {b: *a}\n", "contexts:\n- &c\n  name: x\n  context: {cluster: *c}\n"]) {
    await rejectsConfig(() => parseKubeconfig(text, "/x/config"), {
      message:
        /^Cannot load kubeconfig \/x\/config: the YAML is malformed: an anchor's value \(&name\) holds an alias to that anchor \(\*name\), so it would never end \(kubectl refuses it too: "anchor 'name' value contains itself"\): fix the file/,
      file: "/x/config",
    });
  }
  // An alias after its anchor's value, or beside it, is fine.
  assert.deepEqual(await parseKubeconfig("a: &a [1]\nb: [*a, {c: *a}]\n", "/x/config"), {
    a: [1],
    b: [[1], { c: [1] }],
  });
});

Deno.test('mergeKubeconfigs() files one entry without a name under "", as kubectl, and refuses a second in a list', async () => {
  // kubectl v1.36.3 loads such a kubeconfig (an entry left half-written by hand, or a misspelt `NAME:`) and uses the
  // entry where a name is not set; two entries without a name in one list are a duplicate name "" to it, and it
  // refuses the file.
  for (const name of [undefined, null, ""]) {
    const merged = mergeKubeconfigs([{
      file: "/x/config",
      config: {
        ...config({}),
        clusters: [{ name: "c", cluster: { server: "https://a.example" } }, { name, cluster: {} }] as never,
        contexts: [{ name: "ctx", context: { cluster: "c" } }, { name, context: { cluster: "c" } }] as never,
        users: [{ name, user: { token: "t" } }] as never,
      },
    }]);
    assert.deepEqual([...merged.clusters.keys()], ["c", ""]);
    assert.deepEqual([...merged.contexts.keys()], ["ctx", ""]);
    assert.deepEqual([...merged.users.keys()], [""]);
    assert.equal(merged.users.get("")?.field, "users[0].user");
    assert.equal(merged.currentContext?.name, "ctx");
  }
  await rejectsConfig(
    () =>
      mergeKubeconfigs([{
        file: "/x/config",
        config: { clusters: [{ cluster: {} }, { name: "c", cluster: {} }, { name: "", cluster: {} }] as never },
      }]),
    {
      message:
        /clusters\[2\]\.name is not set, nor is clusters\[0\]\.name: give each entry a name \(kubectl refuses two entries without one too\)$/,
      field: "clusters[2].name",
    },
  );
  // Its inner mapping is read all the same, as kubectl reads it.
  await rejectsConfig(
    () => mergeKubeconfigs([{ file: "/x/config", config: { users: [{ user: 5 }] as never } }]),
    { message: /users\[0\]\.user must be a mapping: current type is number/, field: "users[0].user" },
  );
});

Deno.test("mergeKubeconfigs() rejects names that are not strings and lists that are not lists", async () => {
  // An unquoted yes is a name to the writer, a boolean to YAML 1.1 (and to kubectl).
  const yes = await parseKubeconfig("clusters:\n- name: yes\n  cluster: {server: https://a.example}\n", "/x/config");
  await rejectsConfig(() => mergeKubeconfigs([{ file: "/x/config", config: yes }]), {
    message: /clusters\[0\]\.name must be a non-empty string; it was read as the boolean true: quote it/,
    field: "clusters[0].name",
  });
  // A mapping indented under name: is named by its type only: it may hold a credential.
  const indented = await parseKubeconfig("users:\n- name:\n    user:\n      token: s3cr3t-TOKEN-value\n", "/x/config");
  const error = await rejectsConfig(() => mergeKubeconfigs([{ file: "/x/config", config: indented }]), {
    message: /users\[0\]\.name must be a non-empty string: current type is object$/,
    field: "users[0].name",
  });
  assert.doesNotMatch(error.message, /s3cr3t/);
  await rejectsConfig(
    () =>
      mergeKubeconfigs([{
        file: "/x/config",
        config: { contexts: { a: 1 } as never },
      }]),
    {
      message: /contexts must be a list: current type is object/,
      field: "contexts",
    },
  );
});

Deno.test("loadKubeconfigFiles() merges two files and skips missing ones", async () => {
  await using dir = await tempDir("kgr-kubeconfig-load-");
  await Deno.writeTextFile(
    `${dir.path}/a`,
    stringify({
      clusters: [{ name: "c", cluster: { server: "https://a.example" } }],
      contexts: [{
        name: "ctx-a",
        context: { cluster: "c", namespace: "from-a" },
      }],
    }),
  );
  await Deno.writeTextFile(
    `${dir.path}/b`,
    stringify({
      "current-context": "ctx-b",
      clusters: [{ name: "c", cluster: { server: "https://b.example" } }],
      contexts: [{
        name: "ctx-b",
        context: { cluster: "c", namespace: "from-b" },
      }],
    }),
  );
  const { merged, missing } = await loadKubeconfigFiles([
    `${dir.path}/a`,
    `${dir.path}/missing`,
    `${dir.path}/b`,
  ], readTextFile);
  assert.deepEqual(missing, [`${dir.path}/missing`]);
  assert.deepEqual(merged.files, [`${dir.path}/a`, `${dir.path}/b`]);
  const access = await accessFromKubeconfig(merged, {
    readFile: readTextFile,
    runExecPlugin: noExec,
  });
  assert.equal(access.origin.context, "ctx-b");
  assert.equal(access.server, "https://a.example");
  assert.equal(access.namespace, "from-b");
  assert.equal(
    access.source,
    `kubeconfig ${dir.path}/a, ${dir.path}/b (context "ctx-b")`,
  );
});

Deno.test("loadKubeconfigFiles() says that a listed folder is a folder, not a file it may not read", async () => {
  // KUBECONFIG=~/.kube (the folder, not its config): kubectl says "is a directory"; permissions are not the fault.
  const dir = await Deno.makeTempDir();
  try {
    const error = await rejectsConfig(
      loadKubeconfigFiles([dir], readTextFile),
      new RegExp(`^Cannot load kubeconfig ${dir}: the file is a folder \\(EISDIR\\): give the path of a file in it$`),
    );
    assert.equal(error.file, dir);
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("loadKubeconfigFiles() stops reading a file past 16 MiB and says so, not that it may not be read", async () => {
  // KUBECONFIG=/dev/zero (or a log by mistake): the whole device was read, 2 GiB of memory in 6 s, and then called
  // "cannot be read (ERR_FS_FILE_TOO_LARGE): check its permissions".
  const started = performance.now();
  const error = await rejectsConfig(
    loadKubeconfigFiles(["/dev/zero"], readTextFile),
    /^Cannot load kubeconfig \/dev\/zero: the file is larger than 16 MiB \(EFBIG\): give the path of the file itself: /,
  );
  assert.equal(error.file, "/dev/zero");
  assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
  // A file of exactly the limit is still read whole.
  const dir = await Deno.makeTempDir();
  try {
    const text = `current-context: x\n#${"a".repeat(MAX_CONFIG_FILE_BYTES - 21)}\n`;
    assert.equal(new TextEncoder().encode(text).length, MAX_CONFIG_FILE_BYTES);
    await Deno.writeTextFile(`${dir}/config`, text);
    assert.equal(await readTextFile(`${dir}/config`), text);
    await Deno.writeTextFile(`${dir}/config`, "\n", { append: true });
    await assert.rejects(readTextFile(`${dir}/config`), { code: "EFBIG" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readTextFile() takes memory for what the file holds, not 1 MiB a read: 500 watches read theirs at once", async () => {
  // Each read took a zero-filled 1 MiB buffer, and one more to find the end: 500 watchEndpoints() loops, which read
  // the kubeconfig and its certificate files each, held 1 GiB to 4 GiB at once and stopped Node's loop for seconds.
  const dir = await Deno.makeTempDir();
  try {
    const text = stringify(config({}));
    await Deno.writeTextFile(`${dir}/config`, text);
    const before = process.memoryUsage().external;
    let most = 0;
    const reads = Array.from({ length: 64 }, async () => {
      const read = await readTextFile(`${dir}/config`);
      most = Math.max(most, process.memoryUsage().external - before);
      return read;
    });
    for (const read of await Promise.all(reads)) assert.equal(read, text);
    assert.ok(most < 8 * 2 ** 20, `64 reads of a ${text.length}-byte file held ${(most / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseKubeconfig() reads the first YAML document only, as kubectl does", async () => {
  const first = "current-context: dev\ncontexts: []\n";
  assert.deepEqual(await parseKubeconfig(`${first}---\n`, "/tmp/config"), { "current-context": "dev", contexts: [] });
  assert.deepEqual(
    await parseKubeconfig(`${first}---\ncurrent-context: other\n`, "/tmp/config"),
    { "current-context": "dev", contexts: [] },
  );
});

Deno.test("mergeKubeconfigs() refuses a kubeconfig whose apiVersion is not v1 or kind not Config, as kubectl", async () => {
  // What kubectl 1.36 loads: the fields left out, empty or null; `v1` and `Config` exactly.
  for (const header of [{}, { apiVersion: "", kind: "" }, { apiVersion: null, kind: null }]) {
    const merged = mergeKubeconfigs([{ config: { ...config({}), ...header } as never, file: "/x/config" }]);
    assert.equal(merged.currentContext?.name, "ctx");
  }
  // And what it refuses ("no kind \"Pod\" is registered for version \"v1\"", "cannot unmarshal number").
  const refused: [Record<string, unknown>, string, RegExp][] = [
    [{ kind: "Pod" }, "kind", /kind must be Config \(or left out\): current value is "Pod": write `kind: Config`/],
    [{ kind: "config" }, "kind", /kind must be Config .*current value is "config"/],
    [{ apiVersion: "v2" }, "apiVersion", /apiVersion must be v1 .*current value is "v2": write `apiVersion: v1`/],
    [{ apiVersion: "V1" }, "apiVersion", /apiVersion must be v1 .*current value is "V1"/],
    [{ apiVersion: 1 }, "apiVersion", /apiVersion must be v1 .*current type is number/],
  ];
  for (const [header, field, message] of refused) {
    await rejectsConfig(
      () => mergeKubeconfigs([{ config: { ...config({}), ...header } as never, file: "/x/config" }]),
      { message: new RegExp(`^Cannot load kubeconfig /x/config: ${message.source}`), file: "/x/config", field },
    );
  }
});

// The yaml package prints every token it reads with console.log when LOG_TOKENS is set, and every node with
// console.dir when LOG_STREAM is: a process whose environment had either (a generic name another tool may set)
// printed the kubeconfig's token, client key and proxy password on standard output, into the CLI's --json stream too.
Deno.test("parseKubeconfig() prints nothing of the kubeconfig with the yaml package's LOG_TOKENS or LOG_STREAM set", async () => {
  const text = 'users:\n- name: u\n  user: {token: "secret-token-123"}\nclusters:\n- name: c\n  cluster:\n' +
    "    server: https://10.0.0.1:6443\n    proxy-url: http://u:proxy-pass-456@10.0.0.2:3128\n";
  const printed: unknown[] = [];
  const { log, dir } = console;
  console.log = (...args: unknown[]) => printed.push(args);
  console.dir = (...args: unknown[]) => printed.push(args);
  try {
    for (const name of ["LOG_TOKENS", "LOG_STREAM"]) {
      Deno.env.set(name, "1");
      try {
        const parsed = await parseKubeconfig(text, "/k");
        assert.equal(parsed.users?.[0]?.user?.token, "secret-token-123");
      } finally {
        Deno.env.delete(name);
      }
    }
  } finally {
    Object.assign(console, { log, dir });
  }
  assert.deepEqual(printed, []);
  // Printing itself is left as it was.
  assert.equal(console.log, log);
  assert.equal(console.dir, dir);
});
