// nice-grpc with a grpc-js copy of its own beside the app's, as npm installs it when their ranges do not meet: the
// options of the app's register() hold for createChannel()'s channels too. Runs the built package on Node: run
// `npm run build` first.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { childEnv } from "./_child_env.mjs";

const run = promisify(execFile);
const root = new URL("../", import.meta.url).pathname;
const modules = `${root}node_modules`;

/** A client that registers the fake API server's kubeconfig with its grpc-js, then calls through nice-grpc. */
const CLIENT = `
import * as grpc from "@grpc/grpc-js";
import * as nice from "nice-grpc";
import { register } from "@kgr/resolver";
import { createChannel } from "@kgr/resolver/nice-grpc";
import { endpointSlice, startFakeApiServer } from "@kgr/resolver/testing";
import { EchoService, startEchoServer } from ${JSON.stringify(`${root}scripts/echo_service.mjs`)};
console.log("two copies:", nice.Channel !== grpc.Channel);
const api = await startFakeApiServer({ token: "t" });
const pod = await startEchoServer(grpc, { name: "echo-0", host: "127.0.0.1", port: 0 });
try {
  api.applySlice(endpointSlice({
    namespace: "ns", service: "echo", name: "echo-0",
    port: { name: "grpc", port: pod.port }, endpoints: [{ ip: "127.0.0.1", pod: "echo-0" }],
  }));
  register({ grpc, cluster: { kubeconfig: api.kubeconfig({ namespace: "ns" }) } });
  const channel = createChannel("kubernetes:///echo.ns:grpc");
  try {
    const client = nice.createClient(EchoService, channel);
    console.log((await client.echo({ message: "hi" }, { deadline: Date.now() + 10_000 })).message);
  } catch (error) {
    console.log(error.message);
  } finally {
    channel.close();
  }
} finally {
  await pod.stop();
  await api.close();
}
`;

/**
 * A project whose nice-grpc has its own copy of grpc-js: copies of the package, nice-grpc and that grpc-js (a module's
 * identity is its real path), and links to the rest of node_modules. With `pnpm`, the package lies in
 * `node_modules/.pnpm/`, linked from `node_modules/@kgr/resolver`, as pnpm installs it. With `mark`, that file is
 * written into node_modules, as the package manager that writes it leaves it there.
 */
async function twoCopiesProject(
  folder: string,
  client = CLIENT,
  { pnpm = false, mark }: { pnpm?: boolean; mark?: string } = {},
): Promise<void> {
  const own = join(folder, "node_modules");
  const ours = pnpm ? join(own, ".pnpm", "@kgr+resolver@0.1.0", "node_modules", "@kgr", "resolver") : undefined;
  await mkdir(join(own, "@grpc"), { recursive: true });
  await mkdir(ours ?? join(own, "@kgr", "resolver"), { recursive: true });
  if (ours !== undefined) {
    await mkdir(join(own, "@kgr"));
    await symlink(ours, join(own, "@kgr", "resolver"));
  }
  for (const name of await readdir(modules)) {
    if (!["@grpc", "@kgr", "nice-grpc"].includes(name)) await symlink(join(modules, name), join(own, name));
  }
  for (const name of await readdir(join(modules, "@grpc"))) {
    await symlink(join(modules, "@grpc", name), join(own, "@grpc", name));
  }
  for (const name of ["package.json", "dist"]) {
    await cp(join(root, name), join(ours ?? join(own, "@kgr", "resolver"), name), { recursive: true });
  }
  await cp(join(modules, "nice-grpc"), join(own, "nice-grpc"), { recursive: true, dereference: true });
  await cp(join(modules, "@grpc", "grpc-js"), join(own, "nice-grpc", "node_modules", "@grpc", "grpc-js"), {
    recursive: true,
    dereference: true,
  });
  await writeFile(join(folder, "package.json"), '{ "type": "module" }\n');
  await writeFile(join(folder, "client.mjs"), client);
  if (mark !== undefined) await writeFile(join(own, mark), "");
}

Deno.test("nice-grpc's createChannel() with its own grpc-js copy uses the options of the app's register()", async () => {
  const folder = await mkdtemp(join(tmpdir(), "kgr-two-copies-"));
  try {
    await twoCopiesProject(folder);
    // Without register()'s options the channel went to these defaults: "Cannot find a Kubernetes cluster to talk to".
    const env: Record<string, string> = { ...Deno.env.toObject(), KUBECONFIG: join(folder, "missing"), HOME: folder };
    delete env.KUBERNETES_SERVICE_HOST;
    const { stdout } = await run("node", ["client.mjs"], { cwd: folder, env: childEnv(env), timeout: 30_000 });
    assert.equal(stdout, "two copies: true\necho-0:hi\n");
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

Deno.test("createChannel() keeps the options register() gave the app's grpc-js copy when nice-grpc shares ours", async () => {
  // On JSR our @grpc/grpc-js is a dependency of our own, which Deno shares with nice-grpc (^1.14), while the app may
  // pin another version (npm:@grpc/grpc-js@1.10.11): the app's copy is then the odd one out. createChannel() looked
  // only at our copy's options, found none, and its channels went to KUBECONFIG/in-cluster/~/.kube/config.
  const grpc = await import("@grpc/grpc-js");
  const { createChannel } = await import("@kgr/resolver/nice-grpc");
  const { register } = await import("@kgr/resolver");
  const { endpointSlice, startFakeApiServer } = await import("@kgr/resolver/testing");
  const { echoCaller, EchoService, startEchoServer } = await import("../scripts/echo_service.mjs");
  // Another copy to grpc-js's registries (keyed by registerResolver), as a second install would be.
  const appsGrpc = { ...grpc, experimental: { ...grpc.experimental, registerResolver: () => {} } };
  await using api = await startFakeApiServer();
  const backend = await startEchoServer(grpc, { name: "app-cluster", host: "127.0.0.1", port: 0 });
  try {
    api.applySlice(endpointSlice({
      namespace: "ns",
      service: "echo",
      port: { name: "grpc", port: backend.port },
      endpoints: [{ ip: "127.0.0.1", pod: "echo-0" }],
    }));
    register({ grpc: appsGrpc as never, scheme: "k8s-apps-copy", cluster: { kubeconfig: api.kubeconfig() } });
    const channel = createChannel("k8s-apps-copy:///echo.ns:grpc") as unknown as import("@grpc/grpc-js").Channel;
    const Echo = grpc.makeGenericClientConstructor(EchoService, "Echo");
    const client = new Echo("unused:///", grpc.credentials.createInsecure(), { channelOverride: channel });
    try {
      assert.equal(await echoCaller(client)("hi"), "app-cluster:hi");
    } finally {
      client.close();
      channel.close();
    }
  } finally {
    await backend.stop();
  }
});

/** A client that gives createChannel() credentials made by the app's grpc-js, not by nice-grpc's copy. */
const APPS_CREDENTIALS_CLIENT = `
import * as grpc from "@grpc/grpc-js";
import * as nice from "nice-grpc";
import { createChannel } from "@kgr/resolver/nice-grpc";
console.log("two copies:", nice.Channel !== grpc.Channel);
try {
  createChannel("kubernetes:///echo.ns:grpc", grpc.credentials.createInsecure()).close();
  console.log("created");
} catch (error) {
  console.log(\`\${error.name}: \${error.message}\`);
}
`;

Deno.test("createChannel() says which copy of grpc-js the credentials must come from when nice-grpc has its own", async () => {
  // Was grpc-js's "Channel credentials must be a ChannelCredentials object", which names neither copy; then "install a
  // version of @grpc/grpc-js that nice-grpc accepts", which named no version.
  const manifest = JSON.parse(await readFile("node_modules/nice-grpc/package.json", "utf8"));
  const asked = { version: manifest.version, range: manifest.dependencies["@grpc/grpc-js"] };
  const folder = await mkdtemp(join(tmpdir(), "kgr-two-copies-"));
  try {
    await twoCopiesProject(folder, APPS_CREDENTIALS_CLIENT);
    const env = { ...Deno.env.toObject(), HOME: folder };
    const { stdout } = await run("node", ["client.mjs"], { cwd: folder, env: childEnv(env), timeout: 30_000 });
    assert.equal(
      stdout,
      "two copies: true\nTypeError: Cannot create the channel: its credentials were made by another copy of " +
        "@grpc/grpc-js than the one nice-grpc uses, and grpc-js takes only its own copy's: make them with " +
        'nice-grpc\'s ChannelCredentials (import { ChannelCredentials } from "nice-grpc"; ' +
        `ChannelCredentials.createInsecure(), createSsl(...)), or install @grpc/grpc-js ${asked.range}, the range ` +
        `nice-grpc ${asked.version} asks for in its package.json (npm ls @grpc/grpc-js shows each copy and what ` +
        "brings it), and run npm dedupe, until npm ls @grpc/grpc-js shows one copy\n",
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

Deno.test("createChannel() names pnpm's commands to leave one copy of grpc-js where pnpm installed the package", async () => {
  // Was npm's: npm dedupe in a project that pnpm installed walks node_modules/.pnpm and writes a package-lock.json.
  const folder = await mkdtemp(join(tmpdir(), "kgr-two-copies-"));
  try {
    await twoCopiesProject(folder, APPS_CREDENTIALS_CLIENT, { pnpm: true });
    const env = { ...Deno.env.toObject(), HOME: folder };
    const { stdout } = await run("node", ["client.mjs"], { cwd: folder, env: childEnv(env), timeout: 30_000 });
    assert.match(
      stdout,
      /\(pnpm why @grpc\/grpc-js shows each copy and what brings it\), and run pnpm dedupe, until pnpm why @grpc\/grpc-js shows one version\n$/,
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

for (
  const [manager, mark, advice] of [
    [
      "pnpm with node-linker=hoisted",
      ".modules.yaml",
      "run pnpm dedupe, until pnpm why @grpc/grpc-js shows one version",
    ],
    ["Yarn 1", ".yarn-integrity", "run yarn upgrade @grpc/grpc-js, until yarn why @grpc/grpc-js finds one copy"],
    ["Yarn 2+", ".yarn-state.yml", "run yarn dedupe @grpc/grpc-js, until yarn why @grpc/grpc-js shows one version"],
  ]
) {
  Deno.test(`createChannel() names the commands of ${manager} to leave one copy of grpc-js where it installed the package`, async () => {
    // Were npm's: these lay node_modules out as npm does, and npm dedupe there writes a package-lock.json beside their
    // lockfile, which they keep following.
    const folder = await mkdtemp(join(tmpdir(), "kgr-two-copies-"));
    try {
      await twoCopiesProject(folder, APPS_CREDENTIALS_CLIENT, { mark });
      const env = { ...Deno.env.toObject(), HOME: folder };
      const { stdout } = await run("node", ["client.mjs"], { cwd: folder, env: childEnv(env), timeout: 30_000 });
      assert.ok(stdout.endsWith(`, and ${advice}\n`), stdout);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
}

Deno.test("createChannel() names Bun's commands to leave one copy of grpc-js on Node where Bun installed the package", async () => {
  // Were npm's: Bun leaves no mark in the node_modules it hoists, and npm dedupe there writes a package-lock.json
  // beside bun.lock. bun dedupe left one copy of nice-grpc 2.1.12's and an app's ^1.10.11 locked at 1.10.11.
  const folder = await mkdtemp(join(tmpdir(), "kgr-two-copies-"));
  try {
    await twoCopiesProject(folder, APPS_CREDENTIALS_CLIENT);
    await writeFile(join(folder, "bun.lock"), "");
    const env = { ...Deno.env.toObject(), HOME: folder };
    const { stdout } = await run("node", ["client.mjs"], { cwd: folder, env: childEnv(env), timeout: 30_000 });
    assert.ok(
      stdout.endsWith(
        "(bun why @grpc/grpc-js shows each copy and what brings it), and run bun dedupe, until bun pm ls @grpc/grpc-js shows one copy\n",
      ),
      stdout,
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
