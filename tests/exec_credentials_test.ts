import assert from "node:assert/strict";
import { inspect } from "node:util";
import { type ExecConfig, execCredentials } from "../src/cluster/exec_credentials.ts";
import { maskCredentials } from "../src/cluster/_mask_credentials.ts";
import { rejectsConfig } from "./_assert_config_error.ts";
import { cpuMilliseconds } from "./_cpu_time.ts";
import { heldExecPlugin as runExecPlugin } from "./_held_exec_plugin.ts";
import { tempDir } from "./_temp_dir.ts";
import { readTextFile } from "../src/runtime/files.ts";
import type { ExecPluginRequest } from "../src/runtime/exec_plugin.ts";
import { setTraceSink } from "../src/runtime/trace.ts";

const V1 = "client.authentication.k8s.io/v1";
const fixture = (name: string) => Deno.readTextFile(new URL(`./fixtures/${name}`, import.meta.url));
const V1BETA1 = "client.authentication.k8s.io/v1beta1";

function clock(start: number) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** Writes an executable `#!/bin/sh` plugin into `dir` and returns its path. */
async function writePlugin(
  dir: string,
  name: string,
  body: string,
): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

/**
 * A plugin that counts its runs in `runs`, saves KUBERNETES_EXEC_INFO and
 * MY_VAR, and prints a token `tok-<run>` expiring at `expires`.
 */
function countingPlugin(apiVersion: string, expires?: string): string {
  const expiry = expires ? `,"expirationTimestamp":"${expires}"` : "";
  return [
    'here=$(dirname "$0")',
    'echo run >> "$here/runs"',
    'n=$(wc -l < "$here/runs" | tr -d " ")',
    'printf "%s" "$KUBERNETES_EXEC_INFO" > "$here/exec-info.json"',
    'printf "%s" "$MY_VAR" > "$here/my-var"',
    `printf '{"apiVersion":"${apiVersion}","kind":"ExecCredential","status":{"token":"tok-%s"${expiry}}}' "$n"`,
  ].join("\n");
}

async function runs(dir: string): Promise<number> {
  const text = await readTextFile(`${dir}/runs`);
  return text === undefined ? 0 : text.trim().split("\n").length;
}

function execConfig(
  command: string,
  apiVersion: ExecConfig["apiVersion"],
  extra: Partial<ExecConfig> = {},
): ExecConfig {
  return { apiVersion, command, args: [], env: [], ...extra };
}

Deno.test("execCredentials() runs a v1 plugin once and caches its token until shortly before expiry", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(
    dir.path,
    "plugin",
    countingPlugin(V1, "2030-01-01T00:00:00Z"),
  );
  const time = clock(Date.parse("2029-12-31T23:00:00Z"));
  const credentials = execCredentials(execConfig(command, V1), {
    run: runExecPlugin,
    now: time.now,
  });
  assert.equal(await credentials.authorization(), "Bearer tok-1");
  time.advance(59 * 60_000); // 23:59:00
  assert.equal(await credentials.authorization(), "Bearer tok-1");
  assert.equal(await runs(dir.path), 1);
  time.advance(55_000); // 23:59:55, within 10 s of expiry
  assert.equal(await credentials.authorization(), "Bearer tok-2");
  assert.equal(await runs(dir.path), 2);
});

Deno.test("execCredentials() traces how long the plugin ran on a monotonic clock, whatever the wall clock does", async () => {
  // NTP steps the wall clock back an hour while the plugin runs.
  const time = clock(Date.parse("2029-12-31T23:00:00Z"));
  const answer = { apiVersion: V1, kind: "ExecCredential", status: { token: "t" } };
  const traces: string[] = [];
  const previous = setTraceSink((text) => traces.push(text));
  try {
    const credentials = execCredentials(execConfig("plugin", V1), {
      run: () => {
        time.advance(-3_600_000);
        return Promise.resolve({ ok: true, stdout: JSON.stringify(answer), stderr: "" });
      },
      now: time.now,
    });
    assert.equal(await credentials.authorization(), "Bearer t");
  } finally {
    setTraceSink(previous);
  }
  // It said "(ran -3600000 ms)".
  assert.match(traces.find((text) => text.includes("(ran ")) ?? "", /\(ran \d+ ms\)$/);
});

Deno.test("execCredentials() runs the plugin again after invalidate()", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(dir.path, "plugin", countingPlugin(V1));
  const credentials = execCredentials(execConfig(command, V1), {
    run: runExecPlugin,
  });
  assert.equal(await credentials.authorization(), "Bearer tok-1");
  assert.equal(await credentials.authorization(), "Bearer tok-1");
  credentials.invalidate();
  assert.equal(await credentials.authorization(), "Bearer tok-2");
  assert.equal(await runs(dir.path), 2);
  // What a 401 that persists then says to do: the plugin already ran again.
  assert.match(
    credentials.renewal!,
    new RegExp(`^the API server refused what the exec plugin "${command}" gave: log in again`),
  );
});

Deno.test("execCredentials() passes KUBERNETES_EXEC_INFO, the plugin's env and its arguments", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(
    dir.path,
    "plugin",
    `printf "%s" "$*" > "$(dirname "$0")/args"\n${countingPlugin(V1BETA1)}`,
  );
  const cluster = {
    server: "https://k.example:6443",
    "certificate-authority-data": btoa("pem"),
    config: { a: 1 },
  };
  const credentials = execCredentials(
    execConfig(command, V1BETA1, {
      args: ["get-token", "--x"],
      env: [{ name: "MY_VAR", value: "hello" }],
      cluster,
    }),
    { run: runExecPlugin },
  );
  assert.equal(await credentials.authorization(), "Bearer tok-1");
  const info = JSON.parse((await readTextFile(`${dir.path}/exec-info.json`))!);
  assert.deepEqual(info, {
    apiVersion: V1BETA1,
    kind: "ExecCredential",
    spec: { interactive: false, cluster },
  });
  assert.equal(await readTextFile(`${dir.path}/my-var`), "hello");
  assert.equal(await readTextFile(`${dir.path}/args`), "get-token --x");
});

Deno.test("execCredentials() sends no cluster in KUBERNETES_EXEC_INFO without provideClusterInfo", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(dir.path, "plugin", countingPlugin(V1));
  await execCredentials(execConfig(command, V1), { run: runExecPlugin })
    .authorization();
  const info = JSON.parse((await readTextFile(`${dir.path}/exec-info.json`))!);
  assert.deepEqual(info, {
    apiVersion: V1,
    kind: "ExecCredential",
    spec: { interactive: false },
  });
});

Deno.test("execCredentials() shares one plugin run between concurrent calls", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(
    dir.path,
    "plugin",
    `sleep 0.2\n${countingPlugin(V1)}`,
  );
  const credentials = execCredentials(execConfig(command, V1), {
    run: runExecPlugin,
  });
  const all = await Promise.all(
    [1, 2, 3, 4].map(() => credentials.authorization()),
  );
  assert.deepEqual(all, [
    "Bearer tok-1",
    "Bearer tok-1",
    "Bearer tok-1",
    "Bearer tok-1",
  ]);
  assert.equal(await runs(dir.path), 1);
});

Deno.test("execCredentials() of equal configurations share the plugin's answer process-wide, as client-go does", async () => {
  // Each new watch or channel of an equal inline { cluster: { kubeconfig } } resolved its own credentials and ran the
  // plugin again: 10 watchEndpoints() loops ran a 0.3 s plugin 10 times.
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(dir.path, "plugin", countingPlugin(V1));
  const first = execCredentials(execConfig(command, V1, { args: ["--cluster", "a"] }), { run: runExecPlugin });
  const second = execCredentials(execConfig(command, V1, { args: ["--cluster", "a"] }), { run: runExecPlugin });
  assert.equal(await first.authorization(), "Bearer tok-1");
  assert.equal(await second.authorization(), "Bearer tok-1");
  assert.equal(await runs(dir.path), 1);
  // Another stanza (or another cluster told to the plugin) is another identity.
  const other = execCredentials(execConfig(command, V1, { args: ["--cluster", "b"] }), { run: runExecPlugin });
  assert.equal(await other.authorization(), "Bearer tok-2");
  const told = execCredentials(
    execConfig(command, V1, { args: ["--cluster", "a"], cluster: { server: "https://b" } }),
    {
      run: runExecPlugin,
    },
  );
  assert.equal(await told.authorization(), "Bearer tok-3");
  assert.equal(await first.authorization(), "Bearer tok-1");
  assert.equal(await runs(dir.path), 3);
});

Deno.test("execCredentials() sharing an answer run the plugin once again after a 401 of each, and at expiry", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(dir.path, "plugin", countingPlugin(V1, "2030-01-01T00:00:00Z"));
  const time = clock(Date.parse("2029-12-31T23:00:00Z"));
  const config = () => execConfig(command, V1, { args: ["--shared"] });
  const first = execCredentials(config(), { run: runExecPlugin, now: time.now });
  const second = execCredentials(config(), { run: runExecPlugin, now: time.now });
  assert.equal(await first.authorization(), "Bearer tok-1");
  assert.equal(await second.authorization(), "Bearer tok-1");
  // Both get a 401 for tok-1: the first runs the plugin again, the second's drops nothing newer.
  first.invalidate();
  assert.equal(await first.authorization(), "Bearer tok-2");
  second.invalidate();
  assert.equal(await second.authorization(), "Bearer tok-2");
  assert.equal(await runs(dir.path), 2);
  // A 401 for the answer that stands drops it for both.
  second.invalidate();
  assert.equal(await first.authorization(), "Bearer tok-3");
  assert.equal(await second.authorization(), "Bearer tok-3");
  time.advance(59 * 60_000 + 55_000); // within 10 s of expiry
  assert.equal(await second.authorization(), "Bearer tok-4");
  assert.equal(await first.authorization(), "Bearer tok-4");
  assert.equal(await runs(dir.path), 4);
});

Deno.test("execCredentials() drops nothing newer for a late 401 of a request that its own answer made", async () => {
  // One credentials object serves every watch of a register() (as one client-go authenticator serves every request):
  // two requests go out with tok-1, the first one's 401 brings tok-2, then the second one's 401 comes. client-go
  // refreshes only when the credentials that the refused request carried are still the ones it holds.
  let run = 0;
  const credentials = execCredentials(execConfig("p", V1), {
    run: () =>
      Promise.resolve({
        ok: true,
        stdout: JSON.stringify({ apiVersion: V1, kind: "ExecCredential", status: { token: `tok-${++run}` } }),
        stderr: "",
      }),
  });
  const first = await credentials.authorization();
  const second = await credentials.authorization();
  assert.deepEqual([first, second], ["Bearer tok-1", "Bearer tok-1"]);
  credentials.invalidate(first);
  assert.equal(await credentials.authorization(), "Bearer tok-2");
  credentials.invalidate(second);
  assert.equal(await credentials.authorization(), "Bearer tok-2");
  assert.equal(run, 2);
  // A 401 for the answer that stands drops it.
  credentials.invalidate("Bearer tok-2");
  assert.equal(await credentials.authorization(), "Bearer tok-3");
});

Deno.test("execCredentials() drops nothing newer for a late 401 of a request that its own client certificate made", async () => {
  // As above, with a plugin that answers with a client certificate only (no header tells the answers apart): the
  // refused request's certificate does, as client-go compares the credentials that the request carried.
  const [cert, key] = await Promise.all([fixture("client.pem"), fixture("client-key.pem")]);
  let run = 0;
  const credentials = execCredentials(execConfig("p", V1), {
    run: () => {
      run++;
      return Promise.resolve({
        ok: true,
        stdout: JSON.stringify({
          apiVersion: V1,
          kind: "ExecCredential",
          status: { clientCertificateData: cert, clientKeyData: key },
        }),
        stderr: "",
      });
    },
  });
  const first = await credentials.clientCertificate();
  const second = await credentials.clientCertificate();
  assert.equal(second, first);
  credentials.invalidate(undefined, first);
  const renewed = await credentials.clientCertificate();
  assert.notEqual(renewed, first);
  credentials.invalidate(undefined, second);
  assert.equal(await credentials.clientCertificate(), renewed);
  assert.equal(run, 2);
  // A 401 for the certificate that stands drops it.
  credentials.invalidate(undefined, renewed);
  await credentials.clientCertificate();
  assert.equal(run, 3);
});

Deno.test("execCredentials() runs the plugin with standard input closed", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  // `cat` would wait forever on an open standard input.
  const command = await writePlugin(
    dir.path,
    "plugin",
    `cat > /dev/null\n${countingPlugin(V1)}`,
  );
  const credentials = execCredentials(execConfig(command, V1), {
    run: runExecPlugin,
    timeoutMs: 5_000,
  });
  assert.equal(await credentials.authorization(), "Bearer tok-1");
});

Deno.test("execCredentials() returns a client certificate from the plugin and hides its key", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const [cert, key] = await Promise.all([fixture("client.pem"), fixture("client-key.pem")]);
  const keyLine = key.split("\n")[5];
  await Deno.writeTextFile(
    `${dir.path}/answer.json`,
    JSON.stringify({
      apiVersion: V1,
      kind: "ExecCredential",
      status: { clientCertificateData: cert, clientKeyData: key },
    }),
  );
  const command = await writePlugin(dir.path, "plugin", 'cat "$(dirname "$0")/answer.json"');
  const credentials = execCredentials(execConfig(command, V1), {
    run: runExecPlugin,
  });
  assert.equal(await credentials.authorization(), undefined);
  const pair = await credentials.clientCertificate();
  assert.ok(pair);
  assert.equal(pair.cert, cert);
  assert.equal(pair.key, key);
  assert.ok(
    !inspect(pair, { depth: 10, showHidden: true }).includes(keyLine),
  );
  assert.ok(
    !Deno.inspect(pair, { depth: 10, showHidden: true }).includes(
      keyLine,
    ),
  );
  assert.ok(!JSON.stringify(pair).includes(keyLine));
});

Deno.test("execCredentials() refuses a client certificate and key from the plugin that do not match", async () => {
  const [cert, ecCert, key, otherKey] = await Promise.all(
    ["client.pem", "client-ec.pem", "client-key.pem", "server-key.pem"].map(fixture),
  );
  const answer = (clientCertificateData: string, clientKeyData: string) => () =>
    Promise.resolve({
      ok: true as const,
      stdout: JSON.stringify({
        apiVersion: V1,
        kind: "ExecCredential",
        status: { clientCertificateData, clientKeyData },
      }),
      stderr: "",
    });
  const label = 'user "u"';
  for (
    const [pairCert, pairKey, message] of [
      [ecCert, key, /the key is an RSA 2048-bit key, but the certificate holds an EC P-256 public key/],
      [cert, otherKey, /both are RSA 2048-bit keys, but not the same key/],
    ] as const
  ) {
    const credentials = execCredentials(execConfig("p", V1), { run: answer(pairCert, pairKey), label });
    const error = await rejectsConfig(
      credentials.clientCertificate(),
      /^Cannot get credentials for user "u" from exec plugin "p": status\.clientKeyData does not match status\.clientCertificateData of its ExecCredential: /,
    );
    assert.match(error.message, message);
    assert.ok(!error.message.includes(pairKey.split("\n")[5]));
  }
});

Deno.test("execCredentials() reports a failing plugin with its exit status and standard error", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(
    dir.path,
    "plugin",
    'echo "error: you must be logged in" >&2\nexit 3',
  );
  const error = await rejectsConfig(
    execCredentials(execConfig(command, V1), {
      run: runExecPlugin,
      label: 'user "u"',
      file: "/k",
      field: "users[0].user.exec",
    })
      .authorization(),
    /^Cannot get credentials for user "u" from exec plugin ".*plugin": it failed \(exit status 3\); it said: error: you must be logged in: run the command by hand/,
  );
  assert.equal(error.file, "/k");
  assert.equal(error.field, "users[0].user.exec");
});

Deno.test("execCredentials() masks the values of a failing plugin's secret-named flags where it echoes them", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  // As kubelogin's or a cloud CLI's `--client-secret VALUE`: echoed in prose, where no pattern tells it from a word.
  const command = await writePlugin(
    dir.path,
    "plugin",
    'echo "refresh failed for client $3 with $4 and $5" >&2\nexit 1',
  );
  const args = ["get-token", "--client-secret", "S3cr3tArgValue99", "--password=Pa55wordArgValue", "--verbose"];
  const error = await rejectsConfig(
    execCredentials(execConfig(command, V1, { args: [...args, "oidc-client"] }), { run: runExecPlugin })
      .authorization(),
    /it said: refresh failed for client \[redacted\] with --password=\[redacted\] and --verbose: run the command/,
  );
  for (const secret of ["S3cr3tArgValue99", "Pa55wordArgValue"]) assert.ok(!error.message.includes(secret));
});

Deno.test("execCredentials() masks a short secret the kubeconfig gave a failing plugin where it echoes it as a word", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(
    dir.path,
    "plugin",
    'echo "refresh failed for client $3 (key $API_TOKEN) in $REGION for $USER_NAME, not secrets" >&2\nexit 1',
  );
  // A secret flag's value and a secret-named variable's of 6 and 5 characters; short values of other names are words.
  const env = [{ name: "API_TOKEN", value: "t0k3n" }, { name: "REGION", value: "east" }, {
    name: "USER_NAME",
    value: "secrets",
  }];
  const error = await rejectsConfig(
    execCredentials(execConfig(command, V1, { args: ["get-token", "--client-secret", "s3cr3t"], env }), {
      run: runExecPlugin,
    }).authorization(),
    /it said: refresh failed for client \[redacted\] \(key \[redacted\]\) in east for secrets, not secrets: run/,
  );
  for (const secret of ["s3cr3t", "t0k3n"]) assert.ok(!error.message.includes(secret), error.message);
});

Deno.test("execCredentials() keeps the path of a failing plugin's flag that names where a secret is kept", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  // kubelogin's --token-cache-dir: its error names the folder it could not write, which was quoted as [redacted].
  const command = await writePlugin(
    dir.path,
    "plugin",
    'echo "open $3/abc.json: permission denied (client $5)" >&2\nexit 1',
  );
  const args = [
    "get-token",
    "--token-cache-dir",
    "/home/alice/.kube/cache/oidc-login",
    "--client-secret",
    "S3cr3tArg99",
  ];
  await rejectsConfig(
    execCredentials(execConfig(command, V1, { args }), { run: runExecPlugin }).authorization(),
    /it said: open \/home\/alice\/\.kube\/cache\/oidc-login\/abc\.json: permission denied \(client \[redacted\]\): run/,
  );
});

Deno.test("execCredentials() keeps the path that a failing plugin's key flag takes, and masks a key that is not one", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  // Its error names the key file it could not read, which was quoted as [redacted], as if it were the key.
  const command = await writePlugin(
    dir.path,
    "plugin",
    'echo "open $2: no such file (api key $4, ssh key $5)" >&2\nexit 1',
  );
  const args = [
    "--client-key",
    "/home/alice/.kube/client.key",
    "--api-key",
    "k9f3eK9f3e",
    "--ssh-key=~/.ssh/id_ed25519",
  ];
  const error = await rejectsConfig(
    execCredentials(execConfig(command, V1, { args }), { run: runExecPlugin }).authorization(),
    /it said: open \/home\/alice\/\.kube\/client\.key: no such file \(api key \[redacted\], ssh key --ssh-key=~\/\.ssh\/id_ed25519\): run/,
  );
  assert.ok(!error.message.includes("k9f3e"), error.message);
  // A secret key flag's base64 value that starts with `/` is no path: the plugin's echo of it stays masked.
  const echo = await writePlugin(dir.path, "echo", 'echo "rejected: $2" >&2\nexit 1');
  const secret = "/Jalr7XUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const echoed = await rejectsConfig(
    execCredentials(execConfig(echo, V1, { args: ["--secret-key", secret] }), { run: runExecPlugin }).authorization(),
    /it said: rejected: \[redacted\]: run/,
  );
  assert.ok(!echoed.message.includes("K7MDENG"), echoed.message);
});

Deno.test("maskCredentials() masks a secret said in words before 64 KiB of punctuation without stalling", () => {
  // The punctuation after the word was split off by a lazy pattern tried at each of its characters: 5.1 s for this.
  const dots = ".".repeat(64 * 1024);
  const elapsed = cpuMilliseconds(() => {
    assert.equal(maskCredentials(`the token is x${dots}y`), "the token is [redacted]");
    assert.equal(maskCredentials(`the token is ${dots}`), `the token is [redacted]${dots}`);
  });
  assert.ok(elapsed < 150, `${Math.round(elapsed)} ms of CPU`);
  assert.equal(maskCredentials("the password is hunter2x!)."), "the password is [redacted]!).");
  assert.equal(maskCredentials("the token is expired."), "the token is expired.");
});

Deno.test("maskCredentials() keeps the name of a flag or a pair whose value is a long run", () => {
  // The run with its `=` was masked whole: `+ kubelogin get-token [redacted] [redacted]` said not which flag.
  assert.equal(
    maskCredentials(
      "+ kubelogin get-token --server-id=6dae42f8-4368-4678-94ff-3960e28e3630 role_id=db02de05-fa39-4855-059b-67221c5c2f63",
    ),
    "+ kubelogin get-token --server-id=[redacted] role_id=[redacted]",
  );
  assert.equal(maskCredentials("blob=Ab1/cD2+eF3gH4iJ5kL6"), "blob=[redacted]");
});

Deno.test("maskCredentials() keeps a path that a key-named field holds, and masks a key that is not a path", () => {
  const cases: [string, string][] = [
    ["open --client-key=/etc/tls/key.pem: no such file", "open --client-key=/etc/tls/key.pem: no such file"],
    ["client_key: ./certs/client.key missing", "client_key: ./certs/client.key missing"],
    // Go's error for a missing file: the name before its colon is a file's, not a key's.
    [
      "open /etc/kubernetes/pki/client.key: no such file or directory",
      "open /etc/kubernetes/pki/client.key: no such file or directory",
    ],
    ['{"sshKey":"~/.ssh/id_ed25519"}', '{"sshKey":"~/.ssh/id_ed25519"}'],
    ["private_key: C:\\keys\\k.pem", "private_key: C:\\keys\\k.pem"],
    ["--api-key=ak9 --key=k9 apikey=/ak9", "--api-key=[redacted] --key=[redacted] apikey=[redacted]"],
    // A base64 secret may start with `/` (one AWS secret access key in 64): it was quoted whole, taken for a path.
    [
      '{"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"/Jalr7XUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}',
      '{"AccessKeyId":"[redacted]","SecretAccessKey":"[redacted]"}',
    ],
    ["private_key: /Jalr7XUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "private_key: [redacted]"],
    ["ssh_key: /home/alice/keys/id_ed25519", "ssh_key: /home/alice/keys/id_ed25519"],
    // A name after a `/` ends a path only in a word that starts as one: these were quoted whole.
    ["vault: secret/token: tk-9f3e2c1", "vault: secret/token: [redacted]"],
    ["env/client_secret=cs-9f3e2c1 rejected", "env/client_secret=[redacted] rejected"],
    ["set .password: pw-9f3e", "set .password: [redacted]"],
    ["open ./certs/token: permission denied", "open ./certs/token: permission denied"],
    ["open C:\\kube\\token: access denied", "open C:\\kube\\token: access denied"],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("maskCredentials() masks the variables that hold a database's password, as a plugin's env dump shows them", () => {
  // A plugin that prints its environment to standard error (`env >&2` while debugging) shows the process's, whose
  // password variables were quoted: PostgreSQL's PGPASSWORD, MySQL's MYSQL_PWD, and the DB_PASS kind.
  const cases: [string, string][] = [
    ["PGPASSWORD=pg-9f3e2c1", "PGPASSWORD=[redacted]"],
    ["MYSQL_PWD=my-9f3e2c1", "MYSQL_PWD=[redacted]"],
    ["DB_PASS=db-9f3e2c1", "DB_PASS=[redacted]"],
    ["REDIS_PASS: rd-9f3e2c1", "REDIS_PASS: [redacted]"],
    ["--db-pass pw-9f3e2c1", "--db-pass [redacted]"],
    // The shell's working directories, and words that hold "pass", stay.
    ["PWD=/home/alice OLDPWD=/tmp", "PWD=/home/alice OLDPWD=/tmp"],
    ["bypass=true passed: 3 compass=n", "bypass=true passed: 3 compass=n"],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("execCredentials() quotes no value whose name the 64 KiB it masks cut off", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  // 65,555 characters: the last 65,536 start in "password", and the long line after it is masked to a word.
  const command = await writePlugin(
    dir.path,
    "plugin",
    "printf 'loaded config: password: hunter2x9\\n' >&2\nhead -c 65519 /dev/zero | tr '\\0' a >&2\necho >&2\nexit 1",
  );
  const error = await rejectsConfig(
    execCredentials(execConfig(command, V1), { run: runExecPlugin }).authorization(),
    /it said: \[redacted\]: run the command/,
  );
  assert.ok(!error.message.includes("hunter2x9"), error.message);
});

Deno.test("execCredentials() keeps a YAML block's name when the 64 KiB it masks start in its line's indentation", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  // The last 65,536 characters start after the first space of "  token: |": the line, but that space, is whole, and
  // its block's line is masked with it (dropped, the block's line was quoted without its name).
  const command = await writePlugin(
    dir.path,
    "plugin",
    "printf 'x\\n  token: |\\n    s3cr3t-line9\\n' >&2\nhead -c 65508 /dev/zero | tr '\\0' a >&2\necho >&2\nexit 1",
  );
  const error = await rejectsConfig(
    execCredentials(execConfig(command, V1), { run: runExecPlugin }).authorization(),
    /it said: token: \|\n +\[redacted\]\n\[redacted\]: run the command/,
  );
  assert.ok(!error.message.includes("s3cr3t-line9"), error.message);
});

Deno.test("execCredentials() masks what looks like a credential in a failing plugin's standard error", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
  const command = await writePlugin(
    dir.path,
    "plugin",
    `echo "refresh failed for token=EXECSECRET123, Authorization: Bearer b3ar3r-s3cret, id token ${jwt}" >&2\n` +
      'echo "password: hunter2-hunter2 key AKIAIOSFODNN7EXAMPLEAKIAIOSFODNN7EXAMPLE" >&2\nexit 1',
  );
  const error = await rejectsConfig(
    execCredentials(execConfig(command, V1), { run: runExecPlugin, label: 'user "u"', file: "/k", field: "f" })
      .authorization(),
    /it said: refresh failed for token=\[redacted\], Authorization: Bearer \[redacted\], id token \[redacted\]/,
  );
  for (const secret of ["EXECSECRET123", "b3ar3r-s3cret", jwt, "hunter2", "AKIAIOSFODNN7EXAMPLE"]) {
    assert.ok(!error.message.includes(secret), error.message);
  }
  assert.match(error.message, /password: \[redacted\] key \[redacted\]/);
});

Deno.test("maskCredentials() masks the value of a name that holds a secret word, inside an identifier too", () => {
  const cases: [string, string][] = [
    ["refresh failed: access_token=at-9f3e2c1", "refresh failed: access_token=[redacted]"],
    ["refresh_token: rt-9f3e2c1, id_token=it-9f3e2c1", "refresh_token: [redacted], id_token=[redacted]"],
    ["client_secret=cs-9f3e2c1 api_key=ak-9f3e2c1", "client_secret=[redacted] api_key=[redacted]"],
    [
      "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY region=eu",
      "AWS_SECRET_ACCESS_KEY=[redacted] region=eu",
    ],
    [
      '{"access_token":"ya29.a0Af-9f3e","expires_in":3599,"token_type":"Bearer"}',
      '{"access_token":"[redacted]","expires_in":3599,"token_type":"Bearer"}',
    ],
    [
      '{"clientSecret": "cs9", "apiKey":"ak9", "privateKey":"pk9"}',
      '{"clientSecret": "[redacted]", "apiKey":"[redacted]", "privateKey":"[redacted]"}',
    ],
    [
      "X-Api-Key: k9 x-auth-token: t9 APIKEY=a9 passphrase=p9",
      "X-Api-Key: [redacted] x-auth-token: [redacted] APIKEY=[redacted] passphrase=[redacted]",
    ],
    ["credentials: c9}", "credentials: [redacted]}"],
    ["Authorization: Bearer b9", "Authorization: Bearer [redacted]"],
    ["proxy https://alice:pw9@proxy.corp:3128 refused", "proxy https://alice:[redacted]@proxy.corp:3128 refused"],
    ["fetching socks5://:pw9@10.0.0.1/x", "fetching socks5://:[redacted]@10.0.0.1/x"],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("maskCredentials() masks the value of a long name, and of a secret-named one at the end of a long dotted name", () => {
  const envName = "MY_VERY_LONG_APPLICATION_SPECIFIC_ENVIRONMENT_VARIABLE_FOR_THE_OIDC_CLIENT_SECRET";
  const dotted = `${"section.".repeat(40)}password`;
  // The name is long enough to be masked as a run too: what counts is that the value goes.
  assert.equal(maskCredentials(`${envName}=cs-9f3e2c1 region=eu`), "[redacted][redacted] region=eu");
  assert.equal(maskCredentials(`config ${dotted}: pw-9f3e2c1`), `config ${dotted}: [redacted]`);
});

Deno.test("maskCredentials() keeps a shell's or a program's error after a file's name that holds a secret word", () => {
  const cases: [string, string][] = [
    ["exit status 127: get-token.sh: command not found", "exit status 127: get-token.sh: command not found"],
    [
      "token-helper.py: error: the following arguments are required: --cluster",
      "token-helper.py: error: the following arguments are required: --cluster",
    ],
    ["password.txt: permission denied", "password.txt: permission denied"],
    ["get_token.sh: token=tk-9f3e2c1", "get_token.sh: token=[redacted]"],
    ["auth.token: tk-9f3e2c1 tls.key: k9", "auth.token: [redacted] tls.key: [redacted]"],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("maskCredentials() masks a quoted value to its closing quote, and a value in JSON that a log line quotes", () => {
  const cases: [string, string][] = [
    ['login failed: password: "correct horse battery"', 'login failed: password: "[redacted]"'],
    ["token = 'kgr canary, 9f3e' rejected", "token = '[redacted]' rejected"],
    ['{"client_secret":"cs 9\\"f3 e","scope":"openid"}', '{"client_secret":"[redacted]","scope":"openid"}'],
    [
      'level=error msg="token endpoint: {\\"client_secret\\":\\"cs-9f3e\\",\\"grant_type\\":\\"refresh\\"}"',
      'level=error msg="token endpoint: {\\"client_secret\\":\\"[redacted]\\",\\"grant_type\\":\\"refresh\\"}"',
    ],
    // Cut off before its closing quote: masked to the end of the line.
    ['password: "kgr canary\nnext line', 'password: "[redacted]\nnext line'],
    ['{"token_type":"Bearer","expires_in":3599}', '{"token_type":"Bearer","expires_in":3599}'],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("execCredentials() masks a value of exec.env written with spaces or a line break around it", async () => {
  // A block scalar (`value: |`) ends in a line break; the plugin prints the value without it.
  const stderr = "login refused for client secret kgrCanary9f3e and kgrCanary7a1b";
  const run = () => Promise.resolve({ ok: false as const, reason: "exit" as const, exitCode: 1, stderr });
  const env = [{ name: "CLIENT_SECRET", value: "kgrCanary9f3e\n" }, { name: "OTHER", value: "  kgrCanary7a1b " }];
  const error = await rejectsConfig(
    execCredentials(execConfig("p", V1, { env }), { run }).authorization(),
    /it said: login refused for client secret \[redacted\] and \[redacted\]: run/,
  );
  assert.ok(!inspect(error).includes("kgrCanary"), error.message);
});

Deno.test("execCredentials() masks the token the plugin last gave where it says it again when it runs again", async () => {
  // A plugin that prints its cached token when its refresh fails: plain words that no pattern takes for a secret.
  const token = "kgrcanary-lasttoken";
  // Also upper-cased and in base64, as a plugin that logs it so writes it (both showed before).
  const said = `refresh failed; the cached token ${token} was refused (${token.toUpperCase()}, ${btoa(token)})`;
  let calls = 0;
  const run = (request: ExecPluginRequest) => {
    if (calls++ === 0) {
      const answer = { apiVersion: V1, kind: "ExecCredential", status: { token } };
      return Promise.resolve({ ok: true as const, stdout: JSON.stringify(answer), stderr: "" });
    }
    // On every line, not only the first: the masks are built once for the run's lines.
    for (let line = 0; line < 2; line++) request.stderrLine?.(said);
    return Promise.resolve({ ok: false as const, reason: "exit" as const, exitCode: 1, stderr: said });
  };
  const lines: string[] = [];
  const credentials = execCredentials(execConfig("p", V1), { run, stderr: (line) => lines.push(line) });
  assert.equal(await credentials.authorization(), `Bearer ${token}`);
  credentials.invalidate();
  const error = await rejectsConfig(
    credentials.authorization(),
    /it said: refresh failed; the cached token \[redacted\]/,
  );
  assert.ok(!inspect(error).includes(token), error.message);
  assert.deepEqual(
    lines,
    Array(2).fill("refresh failed; the cached token [redacted] was refused ([redacted], [redacted])"),
  );
});

Deno.test("maskCredentials() keeps the value of a name that says where a secret is kept: a path to fix", () => {
  assert.equal(
    maskCredentials("open --token-file=/var/run/tok: permission denied; token_cache_dir: /home/a/.kube/cache"),
    "open --token-file=/var/run/tok: permission denied; token_cache_dir: /home/a/.kube/cache",
  );
  assert.equal(maskCredentials("client_secret_file=/etc/cs token=t9"), "client_secret_file=/etc/cs token=[redacted]");
});

Deno.test("maskCredentials() masks an Authorization header's credential after any scheme, and a secret said in words", () => {
  const cases: [string, string][] = [
    // The scheme was taken for the value: "Authorization: [redacted] tk-9f3e".
    ["Authorization: Token tk-9f3e", "Authorization: Token [redacted]"],
    ["proxy-authorization: Negotiate YIIG9f3e, retrying", "proxy-authorization: Negotiate [redacted], retrying"],
    ["Authorization: Basic YWxpY2U6cHc=", "Authorization: Basic [redacted]"],
    ['{"Authorization": "Token tk-9f3e"}', '{"Authorization": "[redacted]"}'],
    ["token_type: Bearer", "token_type: Bearer"],
    // Said in words: the value was quoted as it was.
    ["login failed: the password is hunter2x, try again", "login failed: the password is [redacted], try again"],
    ["client secret was 'cs 9f3e'.", "client secret was '[redacted]'."],
    ["API key is ak_9f3e.", "API key is [redacted]."],
    // A value followed by a comma keeps the comma only.
    ["refresh failed for token=abc, retrying", "refresh failed for token=[redacted], retrying"],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("maskCredentials() masks a YAML block scalar's lines, up to the next key as indented as its own", () => {
  const cases: [string, string][] = [
    // The indicator was masked, and the lines with the secret were quoted as they were.
    ["token: |\n  tk-9f3e\n  tk-7a1b\nnext: 1", "token: |\n  [redacted]\nnext: 1"],
    [
      "user:\n  client-secret: >- # from the vault\n    cs-9f3e\n\n    cs-7a1b\n  name: alice",
      "user:\n  client-secret: >- # from the vault\n    [redacted]\n  name: alice",
    ],
    ["password: |2+\n   pw-9f3e  \n", "password: |2+\n   [redacted]  \n"],
    ["token: |", "token: [redacted]"],
    // Lines that end in CRLF, as a Windows plugin writes them.
    ["secret: >-\r\n  s3cr3t-line\r\n  two\r\nnext: 1", "secret: >-\r\n  [redacted]\r\nnext: 1"],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("maskCredentials() masks a secret-named flag's value after a space, as `set -x` echoes a command", () => {
  const cases: [string, string][] = [
    ["+ mytool --password hunter2x --user bob", "+ mytool --password [redacted] --user bob"],
    ["+ get-token --token tk9f3e2c1 --server x", "+ get-token --token [redacted] --server x"],
    ["+ kubelogin get-token --client-secret 'p@ss w/rd!' -v", "+ kubelogin get-token --client-secret '[redacted]' -v"],
    ['exec: "vault" -auth-token s.9f3e failed', 'exec: "vault" -auth-token [redacted] failed'],
    // A flag that says where a secret is kept, or is followed by another flag, keeps what follows.
    ["+ tool --token-file /var/run/tok --client-key ./certs/c.key --password --json", ""],
    ["error: --client-secret is required, and --password must not be empty", ""],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked || text);
});

Deno.test("maskCredentials() masks the password of curl's -u user:password, as `set -x` echoes a command", () => {
  const cases: [string, string][] = [
    ["+ curl -s -u kube-client:Xy9pQ2rT https://idp/token", "+ curl -s -u kube-client:[redacted] https://idp/token"],
    ["+ curl -s --user 'kube-client:p@ss w/rd!' https://idp", "+ curl -s --user 'kube-client:[redacted]' https://idp"],
    ["+ curl --user=admin:hunter2x https://idp", "+ curl --user=admin:[redacted] https://idp"],
    ["+ curl -u alice https://idp", "+ curl -u alice https://idp"],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("maskCredentials() masks a Cookie header's every pair, as curl -v prints it", () => {
  const cases: [string, string][] = [
    ["> Cookie: session=9f3e2c1abc; csrftoken=ab12cd\n> Accept: */*", "> Cookie: [redacted]\n> Accept: */*"],
    ["< set-cookie: _oauth2_proxy=9f3e2c1abc; Path=/; HttpOnly\r\n", "< set-cookie: [redacted]\r\n"],
    ["+ curl -H 'Cookie: sid=ab12cd; remember=9f3e' https://x", "+ curl -H 'Cookie: [redacted]' https://x"],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("maskCredentials() masks a secret-named header in Go's %v of an http.Header", () => {
  assert.equal(
    maskCredentials(
      "req: &{Method:POST Header:map[Authorization:[Token tk9f3e2c1] Cookie:[sid=ab12] X-Api-Key:[k9Xq2m]]}",
    ),
    "req: &{Method:POST Header:map[Authorization:[redacted] Cookie:[redacted] X-Api-Key:[redacted]]}",
  );
  // A JSON or YAML list is no such value.
  assert.equal(maskCredentials('{"tokenScopes": ["read"], keys: [a, b]}'), '{"tokenScopes": ["read"], keys: [a, b]}');
});

Deno.test("maskCredentials() leaves a secret's name followed by ordinary words readable", () => {
  for (
    const text of [
      "error: the token is expired, log in again",
      "the password is incorrect",
      "password is required",
      "API key is not-valid for this project",
      "Token expired: run kubelogin again",
    ]
  ) assert.equal(maskCredentials(text), text);
});

Deno.test("maskCredentials() keeps the words that follow a secret's name in the errors that plugins chain", () => {
  // What gcloud (behind gke-gcloud-auth-plugin), kubelogin (OIDC, then Azure's) and aws-iam-authenticator print when
  // a login has expired or is missing: the word after `token:` or `get-token:` is the error's own, not a secret.
  for (
    const text of [
      "There was a problem refreshing your current auth tokens: Reauthentication failed. cannot prompt during " +
      "non-interactive execution.",
      "error: get-token: authentication error: authcode-browser error: oauth2 error: context deadline exceeded",
      "error: get-token: could not read the input of credential plugin: invalid KUBERNETES_EXEC_INFO",
      "Error: failed to get token: expected an empty error but received: AzureCLICredential: ERROR: AADSTS700082",
      "Error: failed to get token: ClientSecretCredential authentication failed",
      "could not get token: NoCredentialProviders: no valid providers in chain. Deprecated.",
      "print credential failed with error: Failed to retrieve access token:: failure while executing gcloud",
    ]
  ) assert.equal(maskCredentials(text), text);
  const cases: [string, string][] = [
    // A value alone, a password's, one with a digit or a sign, and a header's credential after its scheme stay masked.
    ["login failed: password: hunter", "login failed: password: [redacted]"],
    ["login failed: password: hunter was refused", "login failed: password: [redacted] was refused"],
    ["passwd: swordfish is wrong", "passwd: [redacted] is wrong"],
    // Nor does any other secret's: the chains name a token, and a passphrase, a client secret or an API key may be
    // words of letters (hyphenated, as password managers make them), as may a token that a person chose.
    ["passphrase: opensesame was rejected", "passphrase: [redacted] was rejected"],
    ["passphrase: correct-horse-battery-staple was rejected", "passphrase: [redacted] was rejected"],
    ["client_secret: spine-haven-nimble-crate is invalid", "client_secret: [redacted] is invalid"],
    ["secret: hunter was refused", "secret: [redacted] was refused"],
    ["apikey: Swordfish is wrong", "apikey: [redacted] is wrong"],
    ["x-api-key: Swordfish rejected", "x-api-key: [redacted] rejected"],
    ["credential: opensesame was rejected", "credential: [redacted] was rejected"],
    ["private_key: hunter is bad", "private_key: [redacted] is bad"],
    ["auth: hunter was refused", "auth: [redacted] was refused"],
    ["token: correct-horse-battery-staple was rejected", "token: [redacted] was rejected"],
    ["password: Hunter.", "password: [redacted]"],
    ["token: tk-9f3e rejected", "token: [redacted] rejected"],
    ["token=secret value", "token=[redacted] value"],
    ["Authorization: Token abcdef rejected", "Authorization: Token [redacted] rejected"],
    ["Proxy-Authorization: Negotiate abcdef rejected", "Proxy-Authorization: Negotiate [redacted] rejected"],
  ];
  for (const [text, masked] of cases) assert.equal(maskCredentials(text), masked);
});

Deno.test("maskCredentials() masks long base64 runs with / . = and PEM blocks whole", () => {
  assert.equal(
    maskCredentials("InvalidSignature: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY was refused"),
    "InvalidSignature: [redacted] was refused",
  );
  assert.equal(maskCredentials("got MHcCAQEEINGXsNrEN/abcDEF+ghi9="), "got [redacted]");
  assert.equal(maskCredentials("got c2VjcmV0LXZhbHVlLTk.ZmFrZQ-x_y"), "got [redacted]");
  // A run of 32 or more without a `/` inside one with them: masked whole, not to the parts around it.
  const token = "IQoJb3JpZ2luX2VjEHYaCXVzLWVhc3QtMSJHMEUCIQDxq8fS/defGHIjklMNO+yz0123//////////wEaDDEyMzQ1Njc4OTAxMiIM";
  assert.equal(maskCredentials(`session ${token} rejected`), "session [redacted] rejected");
  assert.equal(maskCredentials("blob MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcw/MrHt3s9+Zq2xYwvK0lAbc1"), "blob [redacted]");
  const pem = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEINGXsNrEN/abc\nAoGCCqGSM49\n-----END EC PRIVATE KEY-----";
  assert.equal(maskCredentials(`bad key:\n${pem}\nbye`), "bad key:\n[redacted]\nbye");
  // Cut by the excerpt: masked to the end.
  assert.equal(maskCredentials("-----BEGIN PRIVATE KEY-----\nMIIEvQ"), "[redacted]");
});

Deno.test("maskCredentials() leaves ordinary prose, paths, URLs and host names readable", () => {
  for (
    const text of [
      'error: could not open browser: exec: "xdg-open": executable file not found in $PATH',
      "error: You must be logged in to the server (Unauthorized)",
      "see https://oidc.eks.us-west-2.amazonaws.com for /Users/Alice/.kube/cache/oidc-login/3f2aB9x",
      "host ip-10-0-0-1.ec2.internal, version v1.28.3-eks-1234567, author: Jane",
      "token_type: Bearer",
      "see https://alice@sso.example.com:8443/login?next=/a:b@c",
    ]
  ) assert.equal(maskCredentials(text), text);
});

Deno.test("execCredentials() says that a plugin printed more than 16 MiB, not that it could not start", async () => {
  const run = () =>
    Promise.resolve({
      ok: false as const,
      reason: "too-much-output" as const,
      detail: "stdout",
      stderr: "dumping debug output",
    });
  const error = await rejectsConfig(
    execCredentials(execConfig("p", V1), { run }).authorization(),
    /it printed more than 16 MiB on standard output and was stopped; it said: dumping debug output: a plugin prints one ExecCredential object; run it by hand/,
  );
  assert.doesNotMatch(error.message, /could not be started|executable program/);
});

Deno.test("execCredentials() quotes the masked end of a plugin's 16 MiB of standard error, a secret cut at the window's edge included", async () => {
  const line = "debug: token=abc123 from https://login.example.com key: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ok\n";
  // The window's cut falls inside a secret whose name it leaves out: its end is not quoted.
  const stderr = line.repeat(Math.ceil(16 * 1024 * 1024 / line.length)) + "password=" + "Zx9".repeat(30_000) +
    " done\nlast words";
  const run = () => Promise.resolve({ ok: false as const, reason: "exit" as const, exitCode: 1, stderr });
  const error = await rejectsConfig(execCredentials(execConfig("p", V1), { run }).authorization(), /last words: run/);
  assert.ok(!/Zx9|wJalr|abc123/.test(error.message), error.message);
});

Deno.test("execCredentials() reports a missing plugin with its install hint", async () => {
  await rejectsConfig(
    execCredentials(
      execConfig("kgr-no-such-plugin-anywhere", V1, {
        installHint: "Install it with: brew install thing",
      }),
      { run: runExecPlugin },
    ).authorization(),
    /"kgr-no-such-plugin-anywhere": the program was not found: Install it with: brew install thing$/,
  );
});

Deno.test("execCredentials() kills a plugin that does not finish in time", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(dir.path, "plugin", "exec sleep 10");
  await rejectsConfig(
    execCredentials(execConfig(command, V1), {
      run: runExecPlugin,
      timeoutMs: 200,
    }).authorization(),
    /it did not finish within 0.2 s: check that it can run unattended/,
  );
});

Deno.test("execCredentials() never quotes the plugin's output when it is malformed", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const cases: [string, RegExp][] = [
    // Output that starts with `{` is JSON to kubectl, and never YAML (a YAML flow mapping fails there too).
    ['{"status": {"token": canary-output-secret}}', /its output is not JSON: it must print an ExecCredential object/],
    ["{status: {token: canary-output-secret}}", /its output is not JSON: it must print an ExecCredential object/],
    [
      "status:\n  token: canary-output-secret\n   bad: [",
      /its output is neither JSON nor YAML \(malformed at line \d+, column \d+\): it must print an ExecCredential/,
    ],
    // YAML, as kubectl reads it, but a mapping without apiVersion, kind or status.
    ["token: canary-output-secret", /it answered with apiVersion \(none\), but the kubeconfig asks for/],
    ["canary-output-secret", /its output is a string, not an ExecCredential object: it must print one/],
  ];
  for (const [output, message] of cases) {
    const command = await writePlugin(dir.path, "plugin", `printf '%s' '${output}'`);
    const error = await rejectsConfig(
      execCredentials(execConfig(command, V1), { run: runExecPlugin }).authorization(),
      message,
    );
    assert.ok(!error.message.includes("canary-output-secret"), error.message);
  }
});

Deno.test("execCredentials() refuses more than 64 KiB of YAML, which would stall or crash the process", async () => {
  // The yaml package took 40 s and 3.5 GB for 16 MiB of `k: v` lines (kubectl: 4.6 s), and 16 MiB of `[` ran the
  // process out of memory (kubectl refuses it in 0.2 s); a plugin's ExecCredential is a few KiB, and JSON is read at
  // any size.
  const answer = (stdout: string) =>
    execCredentials(execConfig("p", V1), { run: () => Promise.resolve({ ok: true, stdout, stderr: "" }) })
      .authorization();
  const head = `apiVersion: ${V1}\nstatus: {token: t}\n`;
  assert.equal(await answer(head + "k: v\n".repeat(12_000)), "Bearer t");
  await rejectsConfig(
    answer(head + "k: v\n".repeat(14_000)),
    /its output is more than 64 KiB of YAML, where an ExecCredential takes a few: print it as JSON, which is read at any size, or run the plugin by hand to see what it prints$/,
  );
  const json = JSON.stringify({ apiVersion: V1, status: { token: "t" }, k: "v".repeat(1 << 20) });
  assert.equal(await answer(json), "Bearer t");
});

Deno.test("execCredentials() takes an ExecCredential that the plugin prints as YAML, as kubectl does", async () => {
  // kubectl decodes a plugin's output that does not start with `{` as YAML (its first document; a BOM, anchors and
  // unquoted times as go-yaml v2 reads them): some cloud SDKs' plugins print YAML, and kubectl 1.36 takes it.
  const yaml = (token: string) =>
    `\ufeff---\napiVersion: ${V1}\nkind: ExecCredential\nspec: {interactive: false}\nstatus:\n` +
    `  expirationTimestamp: 2026-12-03T10:00:00Z\n  token: &t ${token}\n  extra: *t\n---\nkind: Other\n`;
  const credentials = execCredentials(execConfig("p", V1), {
    run: () => Promise.resolve({ ok: true, stdout: yaml("yaml-token"), stderr: "" }),
    now: () => Date.parse("2026-12-03T09:00:00Z"),
  });
  assert.equal(await credentials.authorization(), "Bearer yaml-token");
  // A field of the wrong type fails as kubectl fails it ("cannot unmarshal bool into ... token of type string").
  await rejectsConfig(
    execCredentials(execConfig("p", V1), {
      run: () => Promise.resolve({ ok: true, stdout: `apiVersion: ${V1}\nstatus:\n  token: yes\n`, stderr: "" }),
    }).authorization(),
    /status.token of its ExecCredential must be a string: current type is boolean/,
  );
});

Deno.test("execCredentials() takes an ExecCredential without kind, which kubectl defaults, but not another kind", async () => {
  const answer = (kind: unknown) =>
    execCredentials(execConfig("p", V1BETA1), {
      run: () =>
        Promise.resolve({
          ok: true,
          stdout: JSON.stringify({ apiVersion: V1BETA1, kind, status: { token: "t" } }),
          stderr: "",
        }),
    }).authorization();
  for (const kind of [undefined, null, ""]) assert.equal(await answer(kind), "Bearer t");
  await rejectsConfig(
    answer("execcredential"),
    /its output has kind "execcredential": it must print an ExecCredential/,
  );
});

Deno.test("execCredentials() reads kind and apiVersion under a name in any case, as kubectl does", async () => {
  // kubectl finds them with Go's encoding/json, which matches a name in any case, the last such key winning: in the
  // order of the text for JSON, in byte order for YAML (which it turns into JSON with sorted keys). Status and token
  // it reads in their own case only.
  const answer = (stdout: string) =>
    execCredentials(execConfig("p", V1), { run: () => Promise.resolve({ ok: true, stdout, stderr: "" }) })
      .authorization();
  for (
    const stdout of [
      `{"apiVersion":"${V1}","Kind":"Other","status":{"token":"t"}}`,
      `{"apiVersion":"${V1}","kind":"ExecCredential","Kind":"Other","status":{"token":"t"}}`,
      `apiVersion: ${V1}\nKind: Other\nstatus: {token: t}\n`,
    ]
  ) await rejectsConfig(answer(stdout), /its output has kind "Other": it must print an ExecCredential object/);
  await rejectsConfig(
    answer(`{"apiVersion":"${V1}","APIVERSION":"x/v9","status":{"token":"t"}}`),
    /it answered with apiVersion "x\/v9", but the kubeconfig asks for/,
  );
  for (
    const stdout of [
      `{"ApiVersion":"${V1}","status":{"token":"t"}}`,
      `{"apiVersion":"${V1}","Kind":"Other","kind":"ExecCredential","status":{"token":"t"}}`,
      `{"apiVersion":"${V1}","kind":"ExecCredential","KIND":null,"status":{"token":"t"}}`,
      `apiVersion: ${V1}\nkind: ExecCredential\nKind: Other\nAPIVERSION: x/v9\nstatus: {token: t}\n`,
    ]
  ) assert.equal(await answer(stdout), "Bearer t", stdout);
});

Deno.test("execCredentials() rejects answers of the wrong version, without status or with half a key pair", async () => {
  const answer = (value: unknown) => () =>
    Promise.resolve({
      ok: true as const,
      stdout: JSON.stringify(value),
      stderr: "",
    });
  await rejectsConfig(
    execCredentials(execConfig("p", V1), {
      run: answer({
        apiVersion: V1BETA1,
        kind: "ExecCredential",
        status: { token: "t" },
      }),
    }).authorization(),
    /answered with apiVersion "client.authentication.k8s.io\/v1beta1", but the kubeconfig asks for "client.authentication.k8s.io\/v1"/,
  );
  await rejectsConfig(
    execCredentials(execConfig("p", V1), {
      run: answer({ apiVersion: V1, kind: "ExecCredential" }),
    }).authorization(),
    /its ExecCredential has no status/,
  );
  await rejectsConfig(
    execCredentials(execConfig("p", V1), {
      run: answer({
        apiVersion: V1,
        kind: "ExecCredential",
        status: { clientCertificateData: "c" },
      }),
    }).authorization(),
    /only one of status.clientCertificateData and status.clientKeyData/,
  );
  await rejectsConfig(
    execCredentials(execConfig("p", V1), {
      run: answer({
        apiVersion: V1,
        kind: "ExecCredential",
        status: { token: "t", expirationTimestamp: "2030-13-45T00:00:00Z" },
      }),
    }).authorization(),
    /status.expirationTimestamp "2030-13-45T00:00:00Z" of its ExecCredential is not an RFC 3339 date-time/,
  );
  await rejectsConfig(
    execCredentials(execConfig("p", V1), {
      run: answer({ apiVersion: V1, kind: "ExecCredential", status: {} }),
    })
      .authorization(),
    /has neither status.token nor/,
  );
});

Deno.test("execCredentials() takes status.expirationTimestamp only as an RFC 3339 date-time, as kubectl", async () => {
  // kubectl 1.36 fails decoding these: 'parsing time "2026-12-03" as "2006-01-02T15:04:05Z07:00"'. A date alone
  // was taken as its midnight in UTC, and an empty string as no expiry.
  const refused = ["2026-12-03", "2026-12-03 10:00:00Z", "2026-12-03t10:00:00z", "2026-12-03T10:00:00", ""];
  const answer = (status: Record<string, unknown>) => () =>
    Promise.resolve({
      ok: true as const,
      stdout: JSON.stringify({ apiVersion: V1, kind: "ExecCredential", status }),
      stderr: "",
    });
  for (const expirationTimestamp of refused) {
    await rejectsConfig(
      execCredentials(execConfig("p", V1), {
        run: answer({ token: "t", expirationTimestamp }),
      }).authorization(),
      new RegExp(
        `status\\.expirationTimestamp ${
          JSON.stringify(expirationTimestamp)
        } of its ExecCredential is not an RFC 3339 ` +
          "date-time: the plugin must write it as 2026-12-03T10:00:00Z \\(a date, T, a time, then Z or an offset",
      ),
    );
  }
  // What Go's time.Parse(time.RFC3339) takes: a fraction after . or ,, an offset; the expiry is then kept.
  const taken: [string, number][] = [
    ["2026-12-03T10:00:00.5+01:00", Date.UTC(2026, 11, 3, 9, 0, 0, 500)],
    ["2026-12-03T10:00:00,25Z", Date.UTC(2026, 11, 3, 10, 0, 0, 250)],
  ];
  for (const [expirationTimestamp, expiresAt] of taken) {
    let runs = 0;
    const run = () => {
      runs++;
      return answer({ token: "t", expirationTimestamp })();
    };
    let now = expiresAt - 60_000;
    const credentials = execCredentials(execConfig("p", V1), { run, now: () => now, refreshBeforeMs: 0 });
    await credentials.authorization();
    now = expiresAt - 1;
    await credentials.authorization();
    assert.equal(runs, 1, expirationTimestamp);
    now = expiresAt;
    await credentials.authorization();
    assert.equal(runs, 2, expirationTimestamp);
  }
});

Deno.test("execCredentials() runs the plugin again after a failure", async () => {
  let calls = 0;
  const credentials = execCredentials(execConfig("p", V1), {
    run: () => {
      calls++;
      return Promise.resolve(
        calls === 1
          ? {
            ok: false as const,
            reason: "exit" as const,
            exitCode: 1,
            stderr: "",
          }
          : {
            ok: true as const,
            stderr: "",
            stdout: JSON.stringify({
              apiVersion: V1,
              kind: "ExecCredential",
              status: { token: "t" },
            }),
          },
      );
    },
  });
  await rejectsConfig(credentials.authorization(), /exit status 1/);
  assert.equal(await credentials.authorization(), "Bearer t");
});

Deno.test("execCredentials() quotes its plugin's kind, apiVersion and expirationTimestamp only when shaped like one", async () => {
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJrZ3ItY2FuYXJ5In0.c2lnbmF0dXJlLWtnci1jYW5hcnk";
  const opaque = "kgr-canary-4f1d09";
  const outputs = [
    { kind: jwt },
    { kind: opaque },
    { kind: "ExecCredential", apiVersion: opaque },
    { kind: "ExecCredential", apiVersion: V1, status: { token: "t", expirationTimestamp: opaque } },
  ];
  for (const output of outputs) {
    const run = () => Promise.resolve({ ok: true as const, stdout: JSON.stringify(output), stderr: "" });
    const error = await rejectsConfig(
      execCredentials(execConfig("p", V1), { run }).authorization(),
      /\(an unexpected string of \d+ characters, not shown: the plugin's output may hold a token\)/,
    );
    for (const secret of [jwt, opaque]) assert.ok(!inspect(error).includes(secret.slice(0, 16)), error.message);
  }
});

Deno.test("execCredentials() masks the values of exec.env that a failing plugin's standard error repeats", async () => {
  // An AWS secret key: its "/" splits it into runs too short to look like base64.
  const secretKey = "kgrCanary/K7MDENG/bPxRfiCYEXAMPLEKEY";
  const stderr = `An error occurred (InvalidClientTokenId): key ${secretKey} for profile production-admin, region eu`;
  const run = () => Promise.resolve({ ok: false as const, reason: "exit" as const, exitCode: 255, stderr });
  const env = [
    { name: "AWS_SECRET_ACCESS_KEY", value: secretKey },
    { name: "AWS_PROFILE", value: "production-admin" },
    { name: "AWS_REGION", value: "eu" },
  ];
  const error = await rejectsConfig(
    execCredentials(execConfig("aws", V1, { env }), { run }).authorization(),
    /it said: An error occurred \(InvalidClientTokenId\): key \[redacted\] for profile \[redacted\], region eu: run/,
  );
  assert.ok(!inspect(error).includes("kgrCanary"), error.message);
});

Deno.test("execCredentials() masks a JWT written with base64's padding or alphabet in a failing plugin's standard error", async () => {
  const padded = `eyJhbGciOiJSUzI1NiJ9.${btoa("kgr-canary-9b2c")}.c2ln`;
  const standard = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJrZ3I+Y2FuYXJ5In0=.c2ln/+c2ln";
  const stderr = `refresh failed: ${padded} and ${standard}`;
  const run = () => Promise.resolve({ ok: false as const, reason: "exit" as const, exitCode: 1, stderr });
  const error = await rejectsConfig(
    execCredentials(execConfig("p", V1), { run }).authorization(),
    /it said: refresh failed: \[redacted\] and \[redacted\]: run/,
  );
  assert.ok(!error.message.includes(btoa("kgr-canary-9b2c").slice(0, 12)), error.message);
});

Deno.test("execCredentials() keeps its sentences whole when it does not show a value of the plugin's output", async () => {
  // Read as "status.expirationTimestamp an unexpected string of 31 characters (not shown: ...) of its ExecCredential
  // is not an RFC 3339 date-time", for a plugin that wrote an HTTP date (its letters are not a time's).
  const output = {
    kind: "ExecCredential",
    apiVersion: V1,
    status: { token: "t", expirationTimestamp: "Thu, 03 Dec 2026 10:00:00 GMT" },
  };
  const run = () => Promise.resolve({ ok: true as const, stdout: JSON.stringify(output), stderr: "" });
  const error = await rejectsConfig(execCredentials(execConfig("p", V1), { run }).authorization(), /./);
  assert.ok(
    error.message.includes(
      "status.expirationTimestamp (an unexpected string of 29 characters, not shown: the plugin's output may hold a " +
        "token) of its ExecCredential is not an RFC 3339 date-time: the plugin must write it as",
    ),
    error.message,
  );
});

Deno.test("execCredentials() passes the plugin's standard error on as it comes, masked, as kubectl does", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  // As kubelogin's devicecode login: it prints where to sign in, then waits; here until the test saw the words.
  const command = await writePlugin(
    dir.path,
    "plugin",
    [
      'echo "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ' +
      'ABCD1234 to authenticate." >&2',
      'printf "refreshing with --client-secret %s" "$2" >&2',
      `while [ ! -e "${dir.path}/seen" ]; do sleep 0.05; done`,
      `printf '{"apiVersion":"${V1}","kind":"ExecCredential","status":{"token":"tok"}}'`,
    ].join("\n"),
  );
  const lines: string[] = [];
  let answered = false;
  const credentials = execCredentials(
    execConfig(command, V1, { args: ["--client-secret", "S3cr3tArgValue99"] }),
    {
      run: runExecPlugin,
      timeoutMs: 5_000,
      stderr: (line) => {
        lines.push(line);
        if (line.startsWith("To sign in") && !answered) Deno.writeTextFileSync(`${dir.path}/seen`, "");
      },
    },
  );
  assert.equal(await credentials.authorization().finally(() => answered = true), "Bearer tok");
  assert.deepEqual(lines, [
    "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD1234 " +
    "to authenticate.",
    "refreshing with --client-secret [redacted]",
  ]);
});

Deno.test("execCredentials() passes on nothing when the plugin prints nothing on standard error", async () => {
  await using dir = await tempDir("kgr-exec-credentials-");
  const command = await writePlugin(dir.path, "plugin", countingPlugin(V1));
  const lines: string[] = [];
  const credentials = execCredentials(execConfig(command, V1), {
    run: runExecPlugin,
    stderr: (line) => lines.push(line),
  });
  assert.equal(await credentials.authorization(), "Bearer tok-1");
  assert.deepEqual(lines, []);
});

Deno.test("execCredentials() passes on a line of standard error too long to mask as a note of its length", async () => {
  const lines: string[] = [];
  const stdout = JSON.stringify({ apiVersion: V1, kind: "ExecCredential", status: { token: "t" } });
  const credentials = execCredentials(execConfig("long", V1), {
    run: (request) => {
      // 16 MiB on one line overflowed the masks' stack.
      request.stderrLine?.("password=" + "Zx9".repeat(30_000));
      return Promise.resolve({ ok: true, stdout, stderr: "" });
    },
    stderr: (line) => lines.push(line),
  });
  assert.equal(await credentials.authorization(), "Bearer t");
  assert.deepEqual(lines, ["[a line of 90009 characters, not shown]"]);
});

Deno.test("execCredentials() masks the lines of a PEM block or a secret YAML block in standard error as it comes", async () => {
  const lines: string[] = [];
  const stdout = JSON.stringify({ apiVersion: V1, kind: "ExecCredential", status: { token: "t" } });
  const said = [
    "refreshed:",
    "  token: |",
    "    hunter2xyz",
    "",
    "    more2xyz",
    "  user: admin",
    "-----BEGIN PRIVATE KEY-----",
    "abc",
    "-----END PRIVATE KEY-----",
    "done",
  ];
  const credentials = execCredentials(execConfig("blocks", V1), {
    run: (request) => {
      for (const line of said) request.stderrLine?.(line);
      return Promise.resolve({ ok: true, stdout, stderr: said.join("\n") });
    },
    stderr: (line) => lines.push(line),
  });
  assert.equal(await credentials.authorization(), "Bearer t");
  assert.deepEqual(lines, [
    "refreshed:",
    "  token: [redacted]",
    "    [redacted]",
    "",
    "    [redacted]",
    "  user: admin",
    "[redacted]",
    "[redacted]",
    "[redacted]",
    "done",
  ]);
});

Deno.test("execCredentials() gives a plugin the terminal, with spec.interactive, as kubectl gives it", async () => {
  const seen = (terminal: boolean | undefined, interactiveMode: ExecConfig["interactiveMode"]) => {
    const requests: ExecPluginRequest[] = [];
    const run = (request: ExecPluginRequest) => {
      requests.push(request);
      return Promise.resolve({ ok: true as const, stderr: "", stdout: JSON.stringify(answer) });
    };
    const answer = { apiVersion: V1, kind: "ExecCredential", status: { token: "t" } };
    const config = execConfig("login", V1, interactiveMode !== undefined ? { interactiveMode } : {});
    const credentials = execCredentials(config, {
      run,
      ...(terminal !== undefined ? { terminal: () => terminal } : {}),
    });
    return credentials.authorization().then(() => {
      const [{ env, terminal: given }] = requests;
      return { interactive: JSON.parse(env.KUBERNETES_EXEC_INFO).spec.interactive, terminal: given === true };
    });
  };
  const on = { interactive: true, terminal: true };
  const off = { interactive: false, terminal: false };
  // On a terminal: every mode but Never (a missing one is IfAvailable, v1beta1's default).
  for (const mode of [undefined, "IfAvailable", "Always"] as const) assert.deepEqual(await seen(true, mode), on);
  assert.deepEqual(await seen(true, "Never"), off);
  // Without one (the CLI's standard input is a pipe), or none offered (a resolver): /dev/null, and Always refused.
  for (const terminal of [false, undefined]) {
    for (const mode of [undefined, "IfAvailable", "Never"] as const) assert.deepEqual(await seen(terminal, mode), off);
    await rejectsConfig(seen(terminal, "Always"), {
      message: new RegExp(
        'from exec plugin "login": its interactiveMode is "Always", but standard input is not a terminal that it ' +
          "could ask on: run this from a terminal, or log in beforehand",
      ),
    });
  }
});

Deno.test("execCredentials() masks a line that a plugin on the terminal paused in, and shows its prompt", async () => {
  const stdout = `printf '{"apiVersion":"${V1}","kind":"ExecCredential","status":{"token":"t"}}'`;
  // Each plugin pauses 300 ms in a line: the part before the pause shows then (it may be a prompt).
  const said = async (before: string, after: string) => {
    const lines: string[] = [];
    const script = `printf -- '${before}' >&2; sleep 0.3; printf -- '${after}' >&2; ${stdout}`;
    // A fresh stanza each time: equal ones share their answer.
    const config = execConfig("sh", V1, { args: ["-c", script], interactiveMode: "IfAvailable" });
    const credentials = execCredentials(config, {
      run: runExecPlugin,
      stderr: (line) => lines.push(line),
      terminal: () => true,
    });
    assert.equal(await credentials.authorization(), "Bearer t");
    return lines;
  };
  // The value of a secret's name, shown alone, is no longer that of a name: it was shown as is.
  assert.deepEqual(await said("token: ", "hunter2xyz\\n"), ["token: ", "[redacted]"]);
  assert.deepEqual(await said("token: hunter", "2xyz\\ndone\\n"), ["token: [redacted]", "done"]);
  assert.deepEqual(await said("-----BEGIN PRIV", "ATE KEY-----\\nabc9x\\n-----END PRIVATE KEY-----\\ndone\\n"), [
    "-----BEGIN PRIV",
    "[redacted]",
    "[redacted]",
    "[redacted]",
    "done",
  ]);
  // Nor does the end of a PEM block cut at its marker hide the lines after it.
  assert.deepEqual(await said("-----BEGIN PRIVATE KEY-----\\nabc9x\\n-----END PRIV", "ATE KEY-----\\ndone\\n"), [
    "[redacted]",
    "[redacted]",
    "[redacted]",
    "done",
  ]);
  assert.deepEqual(await said("Password: ", "\\ndone\\n"), ["Password: ", "done"]);
  // A prompt answered, then the plugin's next words on the same line (the answer's line break is the terminal's):
  // words that read as words are not the prompt's value.
  assert.deepEqual(await said("Password: ", "One-time code: \\n"), ["Password: ", "One-time code: "]);
  assert.deepEqual(await said("Password: ", "Authentication succeeded\\n"), ["Password: ", "Authentication succeeded"]);
  assert.deepEqual(await said("token: ", "hunter2 is it\\n"), ["token: ", "[redacted] is it"]);
  assert.deepEqual(await said("-----BEGIN ", "PRIVATE KEY-----\\nabc9x\\n-----END PRIVATE KEY-----\\n"), [
    "-----BEGIN ",
    "[redacted]",
    "[redacted]",
    "[redacted]",
  ]);
});
