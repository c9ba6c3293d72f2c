import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { freePort, startEchoServer } from "../scripts/echo_service.mjs";
import { childEnv } from "./_child_env.mjs";
import { DENO, denoAnsweringNo, denoOutput, denoStreams, denoStreamsWithoutTerminal } from "./_deno_output.ts";

const CHILD = new URL("./deno_permissions/find_cluster_child.ts", import.meta.url).pathname;
const WATCH_CHILD = new URL("./deno_permissions/watch_child.ts", import.meta.url).pathname;
const EXEC_CHILD = new URL("./deno_permissions/exec_plugin_child.ts", import.meta.url).pathname;
const WORKER_CHILD = new URL("./deno_permissions/worker_child.ts", import.meta.url).pathname;
const REPO = new URL("..", import.meta.url).pathname;
const TARGET = "kubernetes:///echo.prod:grpc";

/** Runs the child with only `permissions` and `env`; returns what it printed. */
function findCluster(permissions: string[], env: Record<string, string>): Promise<string> {
  return denoOutput(["run", "--no-prompt", ...permissions, CHILD], env);
}

/**
 * What a process run with `--allow-env=KUBECONFIG,LOG_TOKENS,LOG_STREAM,NODE_NAME --deny-env=HTTPS_PROXY,ZONE` and
 * HTTPS_PROXY, NODE_NAME and ZONE set warns, after its kubeconfig's line: the same whether Deno may prompt or not.
 */
const DENIED_PROXY_AND_ZONE =
  "@kgr/resolver: this Deno process may not read HTTPS_PROXY or https_proxy, so the API server at " +
  "https://10.0.0.1:6443 is reached directly, though they may name a proxy: drop HTTPS_PROXY from " +
  "--deny-env, which denies it, and add HTTPS_PROXY and https_proxy to --allow-env's list unless they are there " +
  "(--allow-env=HTTPS_PROXY,https_proxy,...)\n" +
  "@kgr/resolver: this Deno process may not read ZONE, so topology-aware routing cannot use it: drop it from " +
  "--deny-env, which denies it, and add it to --allow-env's list unless it is there (--allow-env=ZONE,...) (or " +
  "set the locality option: {} turns topology-aware routing off)";

/** Writes `dir`/config, a kubeconfig whose one context names only a server (never dialed), and returns its path. */
async function serverOnlyKubeconfig(dir: string): Promise<string> {
  const kubeconfig = join(dir, "config");
  await writeFile(
    kubeconfig,
    JSON.stringify({
      "current-context": "c",
      clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443" } }],
      contexts: [{ name: "c", context: { cluster: "c" } }],
    }),
  );
  return kubeconfig;
}

Deno.test("Deno without a permission: the error names the flag to add, not an unset variable or a missing file", async () => {
  const home = await mkdtemp(join(tmpdir(), "kgr-permissions-"));
  try {
    const kubeconfig = join(home, ".kube", "config");
    await mkdir(join(home, ".kube"));
    await writeFile(
      kubeconfig,
      JSON.stringify({
        "current-context": "c",
        clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:1" } }],
        contexts: [{ name: "c", context: { cluster: "c" } }],
      }),
    );

    // What decides the cluster cannot be read: it stops, rather than go on to a source that may be another cluster.
    assert.equal(
      await findCluster(["--allow-read"], { HOME: home, KUBECONFIG: kubeconfig }),
      "failed Cannot tell which cluster to use: this Deno process may not read KUBECONFIG, and kubectl uses the " +
        "kubeconfig it names whenever it is set: run it with --allow-env, or add KUBECONFIG to its list " +
        "(--allow-env=KUBECONFIG,...), or pass cluster.kubeconfig or cluster.server",
    );
    // It used ~/.kube/config, which in a pod may be the image's, though the pod's service account wins.
    assert.equal(
      await findCluster(["--allow-read", "--allow-env=KUBECONFIG,HOME"], { HOME: home }),
      "failed Cannot tell whether this process runs in a pod: this Deno process may not read " +
        "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, which decide whether the in-cluster service account " +
        "is used (before ~/.kube/config): run it with --allow-env, or add them to its list " +
        "(--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT,...), or pass cluster.kubeconfig or " +
        "cluster.server",
    );
    // In a pod, with a HOME that does not exist and files outside the service account's folder refused: the error
    // was ~/.kube/config's "cannot be read by this Deno process", the variable left out.
    assert.match(
      await findCluster([`--allow-read=${REPO}`, "--allow-env=KUBECONFIG,HOME,KUBERNETES_SERVICE_PORT"], {
        HOME: join(home, "absent"),
        KUBERNETES_SERVICE_PORT: "443",
      }),
      /^failed Cannot tell whether this process runs in a pod: this Deno process may not read KUBERNETES_SERVICE_HOST, which decides .* add it to its list \(--allow-env=KUBERNETES_SERVICE_HOST,\.\.\.\)/,
    );

    // HOME unset: only Deno's own lookup can find the home directory, and that needs --allow-sys.
    assert.match(
      await findCluster(["--allow-read", "--allow-env"], {}),
      /~\/\.kube\/config \(this Deno process may not look the home directory up, and HOME gives none: set HOME, or run it with --allow-sys=homedir\)/,
    );
    // A list without HOME: adding HOME is what helps, not --allow-sys=homedir.
    assert.match(
      await findCluster(["--allow-read", "--allow-env=KUBECONFIG,KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT"], {
        HOME: home,
      }),
      /~\/\.kube\/config \(this Deno process may not read HOME: run it with --allow-env, or add HOME to its list\)/,
    );
    // A variable that may be read but is unset is called unset.
    assert.match(
      await findCluster(["--allow-read", "--allow-env=KUBECONFIG,KUBERNETES_SERVICE_HOST,HOME"], {}),
      /in-cluster \(KUBERNETES_SERVICE_HOST is not set, and this Deno process may not read KUBERNETES_SERVICE_PORT: run it with --allow-env, or add it to its list\)/,
    );

    // The YAML parser reads two variables of its own.
    assert.equal(
      await findCluster(["--allow-read", "--allow-env=KUBECONFIG"], { KUBECONFIG: kubeconfig }),
      `failed Cannot load kubeconfig ${kubeconfig}: the YAML parser reads LOG_TOKENS and LOG_STREAM from the ` +
        "environment, which this Deno process may not: run it with --allow-env, or add them to its list",
    );

    // HOME is read as client-go reads it: --allow-sys=homedir is not needed.
    assert.equal(
      await findCluster(["--allow-read", "--allow-env"], { HOME: home }),
      `found kubeconfig ${kubeconfig} (context "c")`,
    );

    assert.equal(
      await findCluster([`--allow-read=${REPO}`, "--allow-env"], { HOME: home, KUBECONFIG: kubeconfig }),
      `failed Cannot load kubeconfig ${kubeconfig}: the file cannot be read by this Deno process: run it with ` +
        `--allow-read=${kubeconfig}, or add the file to its list`,
    );
  } finally {
    await rm(home, { recursive: true });
  }
});

Deno.test("Deno that may read the kubeconfig but not the files it names: one error names them all, in one list", async () => {
  // Each run named one file (the CA, then the client certificate, then its key): three runs to learn the grant.
  const dir = await mkdtemp(join(tmpdir(), "kgr-permissions-"));
  try {
    const [kubeconfig, ca, cert, key] = ["config", "ca.crt", "client.crt", "client.key"].map((name) => join(dir, name));
    await writeFile(
      kubeconfig,
      JSON.stringify({
        "current-context": "c",
        clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", "certificate-authority": "ca.crt" } }],
        users: [{ name: "u", user: { "client-certificate": "client.crt", "client-key": "client.key" } }],
        contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
      }),
    );
    for (const file of [ca, cert, key]) await writeFile(file, "-----BEGIN CERTIFICATE-----\n");
    const run = (readable: string[]) =>
      findCluster(["--allow-env", `--allow-read=${[kubeconfig, ...readable].join(",")}`], { KUBECONFIG: kubeconfig });
    const failed = `failed Cannot load kubeconfig ${kubeconfig}: `;
    assert.equal(
      await run([]),
      `${failed}clusters[0].cluster.certificate-authority names ${ca}, which cannot be read by this Deno process, ` +
        `and neither can ${cert} (users[0].user.client-certificate) or ${key} (users[0].user.client-key): run it ` +
        `with --allow-read, or add them to its list (--allow-read=${ca},${cert},${key},...)`,
    );
    assert.equal(
      await run([ca]),
      `${failed}users[0].user.client-certificate names ${cert}, which cannot be read by this Deno process, and ` +
        `neither can ${key} (users[0].user.client-key): run it with --allow-read, or add them to its list ` +
        `(--allow-read=${cert},${key},...)`,
    );
    // A key named like a token is left out of the list, which would quote it (a review; its own error hides it).
    const secretKey = join(dir, "ghp_36C7e42F292c6912E7710c838347Ae178B4c");
    await writeFile(secretKey, "-----BEGIN CERTIFICATE-----\n");
    const config = JSON.parse(await readFile(kubeconfig, "utf8"));
    config.users[0].user["client-key"] = secretKey;
    await writeFile(kubeconfig, JSON.stringify(config));
    const listed = await run([]);
    assert.equal(
      listed,
      `${failed}clusters[0].cluster.certificate-authority names ${ca}, which cannot be read by this Deno process, ` +
        `and neither can ${cert} (users[0].user.client-certificate): run it with --allow-read, or add them to its ` +
        `list (--allow-read=${ca},${cert},...)`,
    );
    assert.ok(!(await run([ca, cert])).includes("ghp_"));
    config.users[0].user["client-key"] = "client.key";
    await writeFile(kubeconfig, JSON.stringify(config));
    // One file: as before.
    assert.equal(
      await run([ca, cert]),
      `${failed}users[0].user.client-key names ${key}, which cannot be read by this Deno process: run it with ` +
        `--allow-read=${key}, or add the file to its list`,
    );
  } finally {
    await rm(dir, { recursive: true });
  }
});

Deno.test("Deno refused files in a folder with a comma: the advice names no list, which Deno would split", async () => {
  // Was "or add them to its list ('--allow-read=/k/a,b/ca.crt,...')": Deno 2.9.6 splits the list at every comma.
  const dir = await mkdtemp(join(tmpdir(), "kgr-permissions-"));
  try {
    const comma = join(dir, "a,b");
    await mkdir(comma);
    const [kubeconfig, ca, cert, key] = [
      join(dir, "config"),
      ...["ca.crt", "client.crt", "client.key"].map((name) => join(comma, name)),
    ];
    await writeFile(
      kubeconfig,
      JSON.stringify({
        "current-context": "c",
        clusters: [{ name: "c", cluster: { server: "https://10.0.0.1:6443", "certificate-authority": ca } }],
        users: [{ name: "u", user: { "client-certificate": cert, "client-key": key } }],
        contexts: [{ name: "c", context: { cluster: "c", user: "u" } }],
      }),
    );
    for (const file of [ca, cert, key]) await writeFile(file, "-----BEGIN CERTIFICATE-----\n");
    const failed = `failed Cannot load kubeconfig ${kubeconfig}: `;
    assert.equal(
      await findCluster(["--allow-env", `--allow-read=${kubeconfig}`], { KUBECONFIG: kubeconfig }),
      `${failed}clusters[0].cluster.certificate-authority names ${ca}, which cannot be read by this Deno process, ` +
        `and neither can ${cert} (users[0].user.client-certificate) or ${key} (users[0].user.client-key): run it ` +
        "with --allow-read (a comma in a name keeps it out of --allow-read's list)",
    );
    // The kubeconfig itself: no "or add the file to its list" after saying the list cannot hold it.
    const inComma = join(comma, "config");
    await writeFile(inComma, await readFile(kubeconfig, "utf8"));
    assert.equal(
      await findCluster(["--allow-env"], { KUBECONFIG: inComma }),
      `failed Cannot load kubeconfig ${inComma}: the file cannot be read by this Deno process: run it with ` +
        "--allow-read (a comma in the name keeps it out of --allow-read's list)",
    );
  } finally {
    await rm(dir, { recursive: true });
  }
});

Deno.test("Deno with POD_NAMESPACE in --deny-env, in a pod: the error says to drop it there, not to grant --allow-env", async () => {
  // Deno's own error reads "run again with the --allow-env flag" for a denied variable too; the advice said the same
  // to a process run with --allow-env, which has it.
  const child = new URL("./deno_permissions/pod_namespace_child.ts", import.meta.url).pathname;
  const pod = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443", POD_NAMESPACE: "shop" };
  const run = (permissions: string[]) => denoOutput(["run", "--no-prompt", ...permissions, child], pod);
  const before =
    "failed Cannot tell the pod's namespace: this Deno process may not read POD_NAMESPACE, which names it " +
    "before /sa/namespace: ";
  assert.equal(
    await run(["--allow-env", "--deny-env=POD_NAMESPACE"]),
    `${before}drop it from --deny-env, which denies it`,
  );
  // Denied, beside a list: both, as the query cannot tell whether the list names it (it did, and was told to grant it).
  const both = `${before}drop it from --deny-env, which denies it, and add it to --allow-env's list unless it is ` +
    "there (--allow-env=POD_NAMESPACE,...)";
  const list = "--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT";
  assert.equal(await run([list, "--deny-env=POD_NAMESPACE"]), both);
  assert.equal(await run([`${list},POD_NAMESPACE`, "--deny-env=POD_NAMESPACE"]), both);
  assert.equal(await run([`${list},POD_NAMESPACE`]), "namespace shop");
  // Only not granted: as before.
  assert.equal(
    await run(["--allow-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT"]),
    `${before}run it with --allow-env, or add it to its list (--allow-env=POD_NAMESPACE,...)`,
  );
  assert.equal(await run(["--allow-env"]), "namespace shop");
});

Deno.test("Deno with variables in --deny-env: each message says to drop them there, not to grant --allow-env", async () => {
  // Deno refuses a denied variable in the words of one not granted ("run again with the --allow-env flag"), and so
  // did every message but POD_NAMESPACE's, to a process run with --allow-env, which has it.
  const dir = await mkdtemp(join(tmpdir(), "kgr-permissions-"));
  try {
    const kubeconfig = await serverOnlyKubeconfig(dir);
    const child = new URL("./deno_permissions/denied_env_child.ts", import.meta.url).pathname;
    // Only resolves the cluster's access: the server is never dialed.
    const run = async (permissions: string[], env: Record<string, string>) => {
      // -A may not be given beside another --allow- flag.
      const args = [
        "run",
        "--no-prompt",
        ...(permissions.includes("-A") ? [] : ["--allow-read"]),
        ...permissions,
        child,
      ];
      const { stdout, stderr } = await denoStreams(args, { HOME: join(dir, "absent"), ...env });
      return `${stdout}\n${stderr}`.trim();
    };
    const drop = "drop it from --deny-env, which denies it";
    assert.equal(
      await run(["--allow-env", "--deny-env=KUBECONFIG"], { KUBECONFIG: kubeconfig }),
      "failed Cannot tell which cluster to use: this Deno process may not read KUBECONFIG, and kubectl uses the " +
        `kubeconfig it names whenever it is set: ${drop}, or pass cluster.kubeconfig or cluster.server`,
    );
    assert.equal(
      await run(["--allow-env", "--deny-env=KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT"], {}),
      "failed Cannot tell whether this process runs in a pod: this Deno process may not read " +
        "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT, which decide whether the in-cluster service account " +
        "is used (before ~/.kube/config): drop them from --deny-env, which denies them, or pass cluster.kubeconfig " +
        "or cluster.server",
    );
    assert.match(
      await run(["--allow-env", "--deny-env=KUBERNETES_SERVICE_HOST,HOME"], {}),
      new RegExp(
        `in-cluster \\(KUBERNETES_SERVICE_PORT is not set, and this Deno process may not read ` +
          `KUBERNETES_SERVICE_HOST: ${drop}\\); ~/\\.kube/config \\(this Deno process may not read HOME: ${drop}\\)`,
      ),
    );
    // --deny-env without a list names no variable to drop, and denies only those --allow-env's list leaves out (Deno
    // 2.9): naming the variable there is enough, with or without such a list. Beside -A, which Deno refuses to take
    // with an --allow-env flag, dropping the deny is.
    const unlisted = "KUBECONFIG, and kubectl uses the kubeconfig it names whenever it is set: --deny-env, without a " +
      "list, denies every variable that --allow-env's list does not name: add it to that list " +
      "(--allow-env=KUBECONFIG,...), or drop --deny-env (then --allow-env or -A grants it), or pass";
    for (const allow of [["--allow-env"], ["--allow-env=HOME"], []]) {
      const output = await run([...allow, "--deny-env"], { KUBECONFIG: kubeconfig });
      assert.ok(output.includes(unlisted), output);
    }
    // Beside -A, no --allow-env list can be given: only the deny can change.
    const underAll = await run(["-A", "--deny-env"], { KUBECONFIG: kubeconfig });
    assert.ok(
      underAll.includes(
        "--deny-env, without a list, denies every variable that --allow-env's list does not name: drop --deny-env " +
          "(then -A grants it), or list in it only the variables to deny (-A takes no --allow-env beside it), or pass",
      ),
      underAll,
    );
    assert.match(
      await run(["-A", "--deny-env=AWS_SECRET_ACCESS_KEY"], { KUBECONFIG: kubeconfig }),
      /^found kubeconfig /,
    );
    assert.match(
      await run(["--allow-env=HOME,KUBECONFIG,LOG_TOKENS,LOG_STREAM", "--deny-env"], { KUBECONFIG: kubeconfig }),
      /^found kubeconfig /,
    );
    assert.match(await run(["-A"], { KUBECONFIG: kubeconfig }), /^found kubeconfig /);
    assert.equal(
      await run(["--allow-env", "--deny-env=LOG_TOKENS"], { KUBECONFIG: kubeconfig }),
      `failed Cannot load kubeconfig ${kubeconfig}: the YAML parser reads LOG_TOKENS and LOG_STREAM from the ` +
        "environment, which this Deno process may not: drop LOG_TOKENS from --deny-env, which denies it",
    );
    const proxied = { KUBECONFIG: kubeconfig, HTTPS_PROXY: "http://proxy.corp:3128", NODE_NAME: "n", ZONE: "z" };
    assert.equal(
      await run(["--allow-env", "--deny-env=HTTPS_PROXY,https_proxy,NODE_NAME,ZONE"], proxied),
      `found kubeconfig ${kubeconfig} (context "c")\n` +
        "@kgr/resolver: this Deno process may not read HTTPS_PROXY or https_proxy, so the API server at " +
        "https://10.0.0.1:6443 is reached directly, though they may name a proxy: drop them from --deny-env, which " +
        "denies them\n" +
        "@kgr/resolver: this Deno process may not read NODE_NAME or ZONE, so topology-aware routing cannot use " +
        "them: drop them from --deny-env, which denies them (or set the locality option: {} turns topology-aware " +
        "routing off)",
    );
    // Denied, and left out of a list: both. Only left out of it: as before.
    assert.equal(
      await run(["--allow-env=KUBECONFIG,LOG_TOKENS,LOG_STREAM,NODE_NAME", "--deny-env=HTTPS_PROXY,ZONE"], proxied),
      `found kubeconfig ${kubeconfig} (context "c")\n` +
        DENIED_PROXY_AND_ZONE,
    );
  } finally {
    await rm(dir, { recursive: true });
  }
});

Deno.test("Deno that may not ask refuses a variable: the advice grants it, not a --deny-env never given", async () => {
  // Once Deno refuses a variable it could have asked for (no terminal, as in CI, or "n" at the prompt), it reports
  // the variable and every variable as denied, as --deny-env without a list does: each message below blamed such a
  // --deny-env. The other tests pass --no-prompt, which leaves the state as it was.
  const dir = await mkdtemp(join(tmpdir(), "kgr-permissions-"));
  try {
    const kubeconfig = await serverOnlyKubeconfig(dir);
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const listed = /`(--allow-env=[^`]+)`/.exec(readme)![1];
    const withoutKubeconfig = listed.replace(",KUBECONFIG", "");
    assert.notEqual(withoutKubeconfig, listed);
    const env = { HOME: join(dir, "absent"), KUBECONFIG: kubeconfig };
    // Only resolves the cluster's access: the server is never dialed.
    const child = new URL("./deno_permissions/denied_env_child.ts", import.meta.url).pathname;
    const run = async (permissions: string[], extra: Record<string, string> = {}) => {
      const { stdout, stderr } = await denoStreamsWithoutTerminal(
        ["run", "--allow-read", ...permissions, child],
        { ...env, ...extra },
      );
      return `${stdout}\n${stderr}`.trim();
    };
    // The README's words.
    const kubeconfigRefused = "failed Cannot tell which cluster to use: this Deno process may not read KUBECONFIG, " +
      "and kubectl uses the kubeconfig it names whenever it is set: run it with --allow-env, or add KUBECONFIG to its " +
      "list (--allow-env=KUBECONFIG,...), or pass cluster.kubeconfig or cluster.server";
    assert.equal(await run([withoutKubeconfig]), kubeconfigRefused);
    assert.ok(
      (await run(["--allow-env=KUBECONFIG"])).startsWith(
        `failed Cannot load kubeconfig ${kubeconfig}: the YAML parser reads LOG_TOKENS and LOG_STREAM from the ` +
          "environment, which this Deno process may not: run it with --allow-env, or add them to its list\n",
      ),
    );
    const proxied = { HTTPS_PROXY: "http://proxy.corp:3128", NODE_NAME: "n", ZONE: "z" };
    assert.equal(
      await run([listed.replace(",NODE_NAME,ZONE", "")], proxied),
      `found kubeconfig ${kubeconfig} (context "c")\n` +
        "@kgr/resolver: this Deno process may not read NODE_NAME or ZONE, so topology-aware routing cannot use " +
        "them: run it with --allow-env, or add NODE_NAME and ZONE to its list (or set the locality option: {} turns " +
        "topology-aware routing off)",
    );
    // A variable --deny-env names still reads as denied by it, beside one refused for want of a prompt
    // (https_proxy, ZONE's warning comes after it), as with --no-prompt.
    assert.equal(
      await run(["--allow-env=KUBECONFIG,LOG_TOKENS,LOG_STREAM,NODE_NAME", "--deny-env=HTTPS_PROXY,ZONE"], proxied),
      `found kubeconfig ${kubeconfig} (context "c")\n` +
        DENIED_PROXY_AND_ZONE,
    );
    // --deny-env without a list, which denies before anything is read, keeps its words.
    assert.ok(
      (await run(["--allow-env=HOME", "--deny-env"])).includes(
        "may not read KUBECONFIG, and kubectl uses the kubeconfig it names whenever it is set: --deny-env, without a " +
          "list, denies every variable that --allow-env's list does not name: add it to that list",
      ),
    );
  } finally {
    await rm(dir, { recursive: true });
  }
});

Deno.test({
  name: "Deno answered n at its prompt for KUBECONFIG: the advice grants it, not a --deny-env never given",
  // A pseudo-terminal from util-linux's script, whose options differ elsewhere.
  ignore: Deno.build.os !== "linux",
  async fn() {
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const withoutKubeconfig = /`(--allow-env=[^`]+)`/.exec(readme)![1].replace(",KUBECONFIG", "");
    const printed = await denoAnsweringNo(["run", "--allow-read", withoutKubeconfig, CHILD], {
      KUBECONFIG: "/absent/config",
    });
    assert.match(printed, /Allow\?/);
    // The README's words.
    assert.equal(
      /^failed .*$/m.exec(printed)?.[0],
      "failed Cannot tell which cluster to use: this Deno process may not read KUBECONFIG, and kubectl uses the " +
        "kubeconfig it names whenever it is set: run it with --allow-env, or add KUBECONFIG to its list " +
        "(--allow-env=KUBECONFIG,...), or pass cluster.kubeconfig or cluster.server",
      printed,
    );
  },
});

Deno.test("Deno that may not ask refuses the HTTP client a variable: the watch's error grants it, not a --deny-env", async () => {
  const api = await echoApi();
  try {
    const { stdout } = await denoStreamsWithoutTerminal(
      ["run", "--allow-net", WATCH_CHILD, JSON.stringify(api.kubeconfig())],
    );
    assert.match(stdout, /Requires env access to "JEST_WORKER_ID"/);
    assert.match(stdout, /: run it with --allow-env, or add the variable to its list$/);
  } finally {
    await api.close();
  }
});

Deno.test("Deno without the proxy variables in its --allow-env list: a warning names them and the flag, never the proxy URL", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kgr-permissions-"));
  try {
    const kubeconfig = (server: string) => {
      const file = join(dir, new URL(server).hostname);
      return writeFile(
        file,
        JSON.stringify({
          "current-context": "c",
          clusters: [{ name: "c", cluster: { server } }],
          contexts: [{ name: "c", context: { cluster: "c" } }],
        }),
      ).then(() => file);
    };
    // Only resolves the cluster's access: the server is never dialed.
    const remote = await kubeconfig("https://10.0.0.1:6443");
    const run = (config: string, allowEnv: string) =>
      denoStreams(
        ["run", "--no-prompt", "--allow-read", `--allow-env=KUBECONFIG,LOG_TOKENS,LOG_STREAM${allowEnv}`, CHILD],
        { KUBECONFIG: config, HTTPS_PROXY: "http://u:s3cret@proxy.corp:3128" },
      );
    // It said nothing, and the API server was dialed directly: a connect timeout behind a corporate proxy.
    const unread = await run(remote, "");
    assert.equal(unread.stdout, `found kubeconfig ${remote} (context "c")`);
    assert.equal(
      unread.stderr,
      "@kgr/resolver: this Deno process may not read HTTPS_PROXY or https_proxy, so the API server at " +
        "https://10.0.0.1:6443 is reached directly, though they may name a proxy: run it with --allow-env, or add " +
        "HTTPS_PROXY and https_proxy to its list\n",
    );
    // The proxy is read, but not what may exempt the server from it.
    const noProxyUnread = await run(remote, ",HTTPS_PROXY");
    assert.equal(
      noProxyUnread.stderr,
      "@kgr/resolver: this Deno process may not read NO_PROXY or no_proxy, so the API server at " +
        "https://10.0.0.1:6443 is reached through the proxy from HTTPS_PROXY, though they may exempt it: run it " +
        "with --allow-env, or add NO_PROXY and no_proxy to its list\n",
    );
    assert.doesNotMatch(unread.stderr + noProxyUnread.stderr, /s3cret|proxy\.corp/);
    assert.equal((await run(remote, ",HTTPS_PROXY,NO_PROXY,no_proxy")).stderr, "");
    // Loopback is never proxied: nothing to read.
    assert.equal((await run(await kubeconfig("https://127.0.0.1:6443"), "")).stderr, "");
  } finally {
    await rm(dir, { recursive: true });
  }
});

/** A fake API server with one pod of Service echo in namespace prod, with `extra` added to its slice. */
async function echoApi(extra: Partial<Parameters<typeof endpointSlice>[0]> = {}) {
  const api = await startFakeApiServer();
  api.applySlice(endpointSlice({
    namespace: "prod",
    service: "echo",
    port: { name: "grpc", port: 50051 },
    endpoints: [{ ip: "10.0.0.1" }],
    ...extra,
  }));
  return api;
}

Deno.test("Deno without a permission the HTTP client needs: the watch's error names it, not an unreachable server", async () => {
  const api = await echoApi();
  try {
    const watch = (permissions: string[]) =>
      denoOutput(["run", "--no-prompt", ...permissions, WATCH_CHILD, JSON.stringify(api.kubeconfig())]);
    // Each said "cannot reach the API server at ... (Requires env access to "JEST_WORKER_ID" ...); check that the
    // address is right and the server is up": undici, which reaches the API server on Deno, reads variables of
    // its own.
    const noEnv = await watch(["--allow-net"]);
    assert.match(
      noEnv,
      /^failed Cannot watch endpointslices of service "echo" in namespace "prod": this Deno process /,
    );
    assert.match(noEnv, /Requires env access to "JEST_WORKER_ID"/);
    assert.match(noEnv, /: run it with --allow-env, or add the variable to its list$/);
    const noNet = await watch(["--allow-env"]);
    assert.match(noNet, /Requires net access to "127\.0\.0\.1:\d+"/);
    const apiServer = new URL(api.url).host;
    assert.ok(noNet.endsWith(`: run it with --allow-net=${apiServer}, or add the API server to its list`), noNet);
    assert.doesNotMatch(noEnv + noNet, /cannot reach|server is up/);
    // Denied, it was refused in the same words with --allow-env, and the advice was the flag the process had.
    const denied = await watch(["--allow-net", "--allow-env", "--deny-env=JEST_WORKER_ID"]);
    assert.match(denied, /Requires env access to "JEST_WORKER_ID"/);
    assert.match(denied, /\): drop it from --deny-env, which denies it$/);
    assert.equal(await watch(["--allow-net", "--allow-env"]), "resolved 1");
    // The README's list of variables is enough.
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const listed = /`(--allow-env=[^`]+)`/.exec(readme)?.[1];
    assert.ok(listed?.includes("JEST_WORKER_ID"), "the README lists the variables --allow-env needs");
    assert.equal(await watch(["--allow-net", listed!]), "resolved 1");
  } finally {
    await api.close();
  }
});

Deno.test("Deno Web Worker without a permission: the error names its Worker's deno.permissions, not a flag the process has", async () => {
  const api = await echoApi();
  const dir = await mkdtemp(join(tmpdir(), "kgr-worker-permissions-"));
  try {
    const file = join(dir, "config");
    await writeFile(file, JSON.stringify(api.kubeconfig()));
    // The process has every permission (-A); the worker only those given to it: "run it with --allow-net" was
    // advice that a process run with -A cannot follow.
    const inWorker = (kubeconfig: string, permissions: Record<string, unknown>) =>
      denoOutput(["run", "--unstable-worker-options", "-A", WORKER_CHILD, kubeconfig, JSON.stringify(permissions)]);
    const noNet = await inWorker(JSON.stringify(api.kubeconfig()), { net: false, env: true, read: true });
    assert.match(noNet, /^failed Cannot watch endpointslices of service "echo" in namespace "prod": this Deno worker /);
    assert.match(noNet, /Requires net access to "127\.0\.0\.1:\d+"/);
    assert.match(
      noNet,
      /: give it net: \["127\.0\.0\.1:\d+"\] in its Worker's deno\.permissions \(and run the process with --allow-net=127\.0\.0\.1:\d+\), or add the API server to its list$/,
    );
    const noRead = await inWorker(file, { net: true, env: true, read: false });
    assert.match(
      noRead,
      /this Deno worker: give it read: \["[^"]+\/config"\] in its Worker's deno\.permissions \(and run the process with /,
    );
    // Deno refuses a worker without env as one it could have asked for: that read as the process's --deny-env.
    assert.match(
      await inWorker(file, { net: true, env: false, read: [dir] }),
      /which this Deno worker may not: give it env in its Worker's deno\.permissions \(and run the process with --allow-env\), or add them to its list$/,
    );
    const withPlugin = api.kubeconfig();
    withPlugin.users = [{
      name: "plugin",
      user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "true" } },
    }];
    withPlugin.contexts![0].context!.user = "plugin";
    const noRun = await inWorker(JSON.stringify(withPlugin), { net: true, env: true, read: true, run: false });
    assert.match(
      noRun,
      /this Deno worker may not start it \(it needs run in its Worker's deno\.permissions\): give it run \(or the plugin in /,
    );
    assert.match(
      noRun,
      /its run list\) and env without a list there, and run the process with --allow-run and --allow-env/,
    );
    assert.doesNotMatch(noRun, /it needs --allow/, "a flag the process has");
    assert.doesNotMatch(noNet + noRead + noRun, /Deno process|run it with/);
    assert.equal(await inWorker(file, { net: true, env: true, read: [dir] }), "resolved 1");
  } finally {
    await rm(dir, { recursive: true });
    await api.close();
  }
});

Deno.test("Deno Web Worker that may reach the API server but not the pods: the call's error names its deno.permissions", async () => {
  const port = await freePort(["127.0.0.1"]);
  const pod = await startEchoServer(grpc, { name: "pod-0", host: "127.0.0.1", port });
  const api = await startFakeApiServer();
  try {
    api.applySlice(endpointSlice({
      namespace: "prod",
      service: "echo",
      port: { name: "grpc", port },
      endpoints: [{ ip: "127.0.0.1", pod: "pod-0" }],
    }));
    const apiServer = new URL(api.url).host;
    // The process has what the advice says, not -A: a range in the Worker's own list then stops new Worker()
    // ("Can't escalate parent thread permissions"), which the advice once said to do.
    const call = (net: string[] | "inherit") =>
      denoOutput([
        "run",
        "--unstable-worker-options",
        `--allow-net=${apiServer},127.0.0.0/8`,
        "--allow-read",
        "--allow-env",
        WORKER_CHILD,
        JSON.stringify(api.kubeconfig()),
        JSON.stringify({ net, env: true, read: true }),
        "call_worker.ts",
      ]);
    // Was only Deno's own words, "run again with the --allow-net flag", to a process that had it.
    const refused = await call([apiServer]);
    assert.match(refused, /^failed 14 UNAVAILABLE: No connection to any endpoint of service echo in namespace prod: /);
    assert.match(
      refused,
      /: this Deno worker may not connect to the pods: add the pods' network \(the cluster's pod CIDR\) to the process's --allow-net list and give its Worker net: "inherit" in its deno\.permissions, e\.g\. --allow-net=<API server>,127\.0\.0\.0\/8 \(when the process runs with an --allow-net list, Deno refuses a range in a Worker's own list as an escalation\), as pod addresses change at every rollout/,
    );
    // The advice as printed: the range on the process (Deno 2.9.6 takes IPv4 CIDR ranges), "inherit" in the Worker.
    assert.equal(await call("inherit"), "answered pod-0:hi");
  } finally {
    await api.close();
    await pod.stop();
  }
});

Deno.test("Deno without NODE_NAME and ZONE in its --allow-env list: a warning names them, topology is not lost silently", async () => {
  const api = await echoApi({ endpoints: [{ ip: "10.0.0.1", zone: "zone-a" }], trafficDistribution: "PreferSameZone" });
  try {
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const listed = /`(--allow-env=[^`]+)`/.exec(readme)![1];
    const withoutLocality = listed.replace(",NODE_NAME,ZONE", "");
    assert.notEqual(withoutLocality, listed);
    const watch = (allowEnv: string) =>
      denoStreams(
        ["run", "--no-prompt", "--allow-net", allowEnv, WATCH_CHILD, JSON.stringify(api.kubeconfig())],
        { NODE_NAME: "node-a", ZONE: "zone-a" },
      );
    // It said nothing, and routed as if the client's zone were unknown (the trace: "no locality in NODE_NAME and ZONE").
    const refused = await watch(withoutLocality);
    assert.equal(refused.stdout, "resolved 1");
    assert.match(
      refused.stderr,
      /^@kgr\/resolver: this Deno process may not read NODE_NAME or ZONE, so topology-aware routing cannot use them: run it with --allow-env, or add NODE_NAME and ZONE to its list \(or set the locality option: \{\} turns topology-aware routing off\)\n$/,
    );
    assert.deepEqual(await watch(listed), { stdout: "resolved 1", stderr: "" });
  } finally {
    await api.close();
  }
});

Deno.test("Deno without a permission an exec plugin needs: the error names the flags, not a broken command", async () => {
  const dir = await mkdtemp(join(tmpdir(), "kgr-permissions-"));
  try {
    const plugin = join(dir, "plugin");
    await writeFile(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}}'\n`,
      { mode: 0o755 },
    );
    const run = (permissions: string[]) =>
      denoOutput(["run", "--no-prompt", `--allow-read=${REPO}`, ...permissions, EXEC_CHILD, plugin]);
    const advice =
      "run it with --allow-run and --allow-env; --allow-run may list the plugin, but --allow-env takes no " +
      "list: the plugin gets this process's whole environment, as kubectl gives it";
    // The README's list of variables: enough for everything but a plugin, which inherits the environment.
    assert.equal(
      await run(["--allow-run", "--allow-env=KUBECONFIG,HOME"]),
      `failed Cannot get credentials for user "u" from exec plugin "${plugin}": this Deno process may not start it ` +
        `(it needs --allow-env): ${advice}`,
    );
    // Without --no-prompt or a terminal, Deno's refusal of the environment read as --deny-env without a list.
    const unprompted = await denoStreamsWithoutTerminal(
      ["run", `--allow-read=${REPO}`, "--allow-run", "--allow-env=KUBECONFIG,HOME", EXEC_CHILD, plugin],
    );
    assert.equal(
      unprompted.stdout,
      `failed Cannot get credentials for user "u" from exec plugin "${plugin}": this Deno process may not start it ` +
        `(it needs --allow-env): ${advice}`,
    );
    assert.equal(
      await run(["--allow-env"]),
      `failed Cannot get credentials for user "u" from exec plugin "${plugin}": this Deno process may not start it ` +
        `(it needs --allow-run): ${advice}`,
    );
    // A list of other programs: the same advice, which says to add this one.
    assert.equal(
      await run(["--allow-env", "--allow-run=kubectl"]),
      `failed Cannot get credentials for user "u" from exec plugin "${plugin}": this Deno process may not start it ` +
        `(it needs --allow-run): ${advice}`,
    );
    assert.equal(await run(["--allow-env", `--allow-run=${plugin}`]), "got Bearer t");
    // --deny-env without a list refused the whole environment, and the advice was the flags the process had.
    assert.equal(
      await run(["--allow-run", "--allow-env", "--deny-env"]),
      `failed Cannot get credentials for user "u" from exec plugin "${plugin}": this Deno process may not start it ` +
        `(it needs --allow-env): drop --deny-env, which denies every variable when it has no list, and ${advice}`,
    );
    assert.equal(await run(["--allow-run", "--allow-env", "--deny-env=KUBECONFIG"]), "got Bearer t");
    // Beside -A, which Deno takes with no --allow- flag, the advice was to run it with two.
    const underAll = (deny: string) => denoOutput(["run", "--no-prompt", "-A", deny, EXEC_CHILD, plugin]);
    assert.equal(
      await underAll("--deny-env"),
      `failed Cannot get credentials for user "u" from exec plugin "${plugin}": this Deno process may not start it ` +
        "(it needs --allow-env): drop --deny-env, which denies every variable when it has no list, or list in it " +
        "only the variables to deny: the plugin gets this process's whole environment, as kubectl gives it",
    );
    assert.equal(await underAll("--deny-env=KUBECONFIG"), "got Bearer t");
  } finally {
    await rm(dir, { recursive: true });
  }
});

Deno.test("Deno with the README's --allow-env list: kgr-resolver runs, taking TERM and NO_COLOR it may not read as unset", async () => {
  const api = await echoApi();
  const dir = await mkdtemp(join(tmpdir(), "kgr-permissions-"));
  try {
    const kubeconfig = join(dir, "kubeconfig.json");
    await writeFile(kubeconfig, JSON.stringify(api.kubeconfig()));
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const listed = /`(--allow-env=[^`]+)`/.exec(readme)![1];
    const cli = (command: string[]) =>
      denoOutput([
        "run",
        "--no-prompt",
        "--allow-net",
        listed,
        `--allow-read=${kubeconfig}`,
        new URL("../cli.ts", import.meta.url).pathname,
        ...command,
        "--kubeconfig",
        kubeconfig,
        "kubernetes:///echo.prod:grpc",
      ]);
    // Both stopped at "kgr-resolver: unexpected failure: NotCapable: Requires env access to "TERM"" and a stack.
    assert.match(await cli(["--once"]), / prod\/echo rv \d+ topology none .*: 1 used: 10\.0\.0\.1:50051$/);
    assert.match(await cli(["check"]), /^ok: kubernetes:\/\/\/echo\.prod:grpc resolves with these credentials$/m);
  } finally {
    await rm(dir, { recursive: true });
    await api.close();
  }
});

Deno.test("kgr-resolver on Deno without NODE_NAME and ZONE in its --allow-env list: the warning names its flags", async () => {
  const api = await echoApi();
  const dir = await mkdtemp(join(tmpdir(), "kgr-permissions-"));
  try {
    const kubeconfig = join(dir, "kubeconfig.json");
    await writeFile(kubeconfig, JSON.stringify(api.kubeconfig()));
    const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
    const withoutLocality = /`(--allow-env=[^`]+)`/.exec(readme)![1].replace(",NODE_NAME,ZONE", "");
    const cli = [new URL("../cli.ts", import.meta.url).pathname, "--once", "--kubeconfig", kubeconfig];
    const output = await new Deno.Command(DENO, {
      args: ["run", "--no-prompt", "--allow-net", withoutLocality, `--allow-read=${kubeconfig}`, ...cli, TARGET],
      clearEnv: true,
      env: childEnv({ PATH: Deno.env.get("PATH") ?? "" }),
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success);
    // It told the CLI's user to "set the locality option", which only the library has.
    assert.equal(
      new TextDecoder().decode(output.stderr),
      "kgr-resolver: this Deno process may not read NODE_NAME or ZONE, so topology-aware routing cannot use them: " +
        "run it with --allow-env, or add NODE_NAME and ZONE to its list (or pass --zone and --node)\n",
    );
  } finally {
    await rm(dir, { recursive: true });
    await api.close();
  }
});
