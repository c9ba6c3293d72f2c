import assert from "node:assert/strict";
import {
  basicAuthCredentials,
  noCredentials,
  staticTokenCredentials,
  tokenFileCredentials,
} from "../src/cluster/credentials.ts";
import { rejectsConfig } from "./_assert_config_error.ts";

function clock(start: number) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

Deno.test("staticTokenCredentials() sends a bearer token", async () => {
  const credentials = staticTokenCredentials("abc");
  assert.equal(await credentials.authorization(), "Bearer abc");
  credentials.invalidate();
  assert.equal(await credentials.authorization(), "Bearer abc");
});

/** A token shaped as kube-apiserver's ServiceAccount tokens are (header.claims.signature, base64url). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${part({ alg: "RS256", kid: "k" })}.${part(claims)}.c2lnbmF0dXJl`;
}

Deno.test("staticTokenCredentials() says on a 401 that a JWT's exp has passed, and when", async () => {
  // What `kubectl create token --duration=10m` gave on kube-apiserver v1.36.3: a refused watch said only "renew".
  const exp = Date.UTC(2026, 11, 1, 11, 52, 6) / 1000;
  const token = jwt({ aud: ["https://kubernetes.default.svc"], exp, iat: exp - 600, sub: "system:serviceaccount:a:b" });
  const time = clock(exp * 1000 - 1000);
  const credentials = staticTokenCredentials(token, time.now);
  assert.equal(await credentials.authorization(), `Bearer ${token}`);
  assert.match(credentials.renewal!, /^renew the token, then restart the process/);
  time.advance(1000);
  assert.match(
    credentials.renewal!,
    /^the token expired at 2026-12-01T11:52:06\.000Z \(its exp claim\): renew the token, then restart the process/,
  );
  assert.ok(!credentials.renewal!.includes(token.split(".")[1]), "no part of the token in the advice");
  // Tokens that are no JWT, or whose claims have no exp, get the advice as before.
  for (const other of ["abc", "a.b.c", jwt({ sub: "x" }), jwt({ exp: "soon" })]) {
    assert.match(staticTokenCredentials(other, time.now).renewal!, /^renew the token/);
  }
});

Deno.test("staticTokenCredentials() says on a 401 that a token looks like a file's path, without quoting it", () => {
  // `token: /tmp/kube/fake-token` in a kubeconfig was sent as the token: the 401 said only "renew the token".
  // The hint comes first: after the renewal's long explanation it went unread.
  const hint = "the token looks like a file's path: name it as tokenFile (cluster.tokenFile) instead, or if it is a " +
    "token, renew the token, then restart the process";
  for (const path of ["/tmp/kube/fake-token", "./token", "../k/token", "~/.kube/token"]) {
    const renewal = staticTokenCredentials(path).renewal!;
    assert.ok(renewal.startsWith(hint), renewal);
    assert.ok(!renewal.includes(path), "the token, though a path, is not quoted");
  }
  // A base64 token may start with "/": it was told it looked like a file's path.
  const random = ["/kgrXy3kP9qR2sT5uV8wZ1aB4cD6eF", "/9j4AAQSkZJRgABAQEASABIAAD+2wBDAAMCAgMCAgMDAwMEAwMEBQgF"];
  for (const token of ["abc", "a/b", "/tmp/a b", "sha256~abc/def", jwt({ sub: "x" }), ...random]) {
    assert.ok(!staticTokenCredentials(token).renewal!.includes("looks like a file's path"), token);
  }
});

Deno.test("tokenFileCredentials() says on a 401 that the file's JWT has expired, and when", async () => {
  const exp = Date.UTC(2026, 11, 1, 11, 52, 6) / 1000;
  const files: Record<string, string> = { "/run/token": jwt({ exp }) };
  const time = clock(exp * 1000 - 1000);
  const credentials = tokenFileCredentials("/run/token", {
    readFile: (path) => Promise.resolve(files[path]),
    now: time.now,
  });
  await credentials.authorization();
  assert.match(credentials.renewal!, /^write a valid token into \/run\/token: it is read again/);
  time.advance(1000);
  assert.match(
    credentials.renewal!,
    /^the token in \/run\/token expired at 2026-12-01T11:52:06\.000Z \(its exp claim\): write a valid token/,
  );
  // A new token in the file: the advice follows it.
  files["/run/token"] = jwt({ exp: exp + 3600 });
  credentials.invalidate();
  await credentials.authorization();
  assert.match(credentials.renewal!, /^write a valid token into/);
});

Deno.test("basicAuthCredentials() sends UTF-8 basic auth", async () => {
  assert.equal(
    await basicAuthCredentials("admin", "secret").authorization(),
    "Basic YWRtaW46c2VjcmV0",
  );
  assert.equal(
    await basicAuthCredentials("é", "ü").authorization(),
    "Basic w6k6w7w=",
  );
});

Deno.test("noCredentials() sends no Authorization header", async () => {
  assert.equal(await noCredentials().authorization(), undefined);
});

Deno.test("tokenFileCredentials() re-reads the file after 60 seconds, not before", async () => {
  const files: Record<string, string> = { "/t": "one\n" };
  let reads = 0;
  const time = clock(1_000_000);
  const credentials = tokenFileCredentials("/t", {
    readFile: (path) => {
      reads++;
      return Promise.resolve(files[path]);
    },
    now: time.now,
  });
  assert.equal(await credentials.authorization(), "Bearer one");
  files["/t"] = "two";
  time.advance(59_000);
  assert.equal(await credentials.authorization(), "Bearer one");
  assert.equal(reads, 1);
  time.advance(1_000);
  assert.equal(await credentials.authorization(), "Bearer two");
  assert.equal(reads, 2);
});

Deno.test("tokenFileCredentials() re-reads the file at once after the clock stepped back", async () => {
  const files: Record<string, string> = { "/t": "one" };
  const time = clock(10 * 60 * 60_000);
  const credentials = tokenFileCredentials("/t", { readFile: (path) => Promise.resolve(files[path]), now: time.now });
  assert.equal(await credentials.authorization(), "Bearer one");
  files["/t"] = "rotated";
  // NTP steps back a clock that was 10 minutes ahead: the kubelet's rotation is read within a minute all the same.
  time.advance(-10 * 60_000);
  assert.equal(await credentials.authorization(), "Bearer rotated");
  files["/t"] = "again";
  time.advance(59_000);
  assert.equal(await credentials.authorization(), "Bearer rotated", "then every minute of the new clock");
});

Deno.test("tokenFileCredentials() re-reads the file at once after invalidate()", async () => {
  const files: Record<string, string> = { "/t": "one" };
  const time = clock(0);
  const credentials = tokenFileCredentials("/t", {
    readFile: (path) => Promise.resolve(files[path]),
    now: time.now,
  });
  assert.equal(await credentials.authorization(), "Bearer one");
  files["/t"] = "rotated";
  assert.equal(await credentials.authorization(), "Bearer one");
  credentials.invalidate();
  assert.equal(await credentials.authorization(), "Bearer rotated");
});

Deno.test("tokenFileCredentials() shares one read between concurrent calls", async () => {
  let reads = 0;
  const credentials = tokenFileCredentials("/t", {
    readFile: async () => {
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return "tok";
    },
  });
  const all = await Promise.all([
    credentials.authorization(),
    credentials.authorization(),
    credentials.authorization(),
  ]);
  assert.deepEqual(all, ["Bearer tok", "Bearer tok", "Bearer tok"]);
  assert.equal(reads, 1);
});

Deno.test("tokenFileCredentials() keeps the last token when a re-read fails", async () => {
  const files: Record<string, string> = { "/t": "good" };
  const time = clock(0);
  const credentials = tokenFileCredentials("/t", {
    readFile: (path) => Promise.resolve(files[path]),
    now: time.now,
  });
  assert.equal(await credentials.authorization(), "Bearer good");
  delete files["/t"];
  time.advance(61_000);
  assert.equal(await credentials.authorization(), "Bearer good");
});

Deno.test("tokenFileCredentials() uses fallbackToken until the file is read once, as client-go does", async () => {
  const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
  const files: Record<string, string | Error> = { "/t": denied };
  let reads = 0;
  const time = clock(0);
  const credentials = tokenFileCredentials("/t", {
    readFile: (path) => {
      reads++;
      const found = files[path];
      return found instanceof Error ? Promise.reject(found) : Promise.resolve(found);
    },
    now: time.now,
    fallbackToken: "inline",
  });
  assert.equal(await credentials.authorization(), "Bearer inline");
  delete files["/t"];
  assert.equal(await credentials.authorization(), "Bearer inline");
  files["/t"] = " \n";
  assert.equal(await credentials.authorization(), "Bearer inline");
  // Every request tries the file again until it has been read once.
  assert.equal(reads, 3);
  files["/t"] = "from-file\n";
  assert.equal(await credentials.authorization(), "Bearer from-file");
  // After that a failed re-read keeps the file's last token, not the fallback.
  files["/t"] = denied;
  time.advance(61_000);
  assert.equal(await credentials.authorization(), "Bearer from-file");
});

Deno.test("tokenFileCredentials() names --allow-read for a file Deno may not read, not falling back to fallbackToken", async () => {
  const refused = Object.assign(new Error('Requires read access to "/t"'), { name: "NotCapable" });
  const credentials = tokenFileCredentials("/t", {
    readFile: () => Promise.reject(refused),
    label: 'user "u" of kubeconfig /k',
    fallbackToken: "inline",
  });
  // It sent the inline token, and a 401 then said to write a valid token into /t.
  await rejectsConfig(credentials.authorization(), {
    message:
      /^Cannot read the token of user "u" of kubeconfig \/k: \/t cannot be read by this Deno process: run it with --allow-read=\/t, or add the file to its list$/,
    file: "/t",
  });
  // A token pasted where the file's path goes: the flag names no path, which would quote it.
  const pasted = "kgr-secret-token-deno-0123456789";
  const hidden = tokenFileCredentials(`/k/${pasted}`, {
    readFile: () => Promise.reject(refused),
    label: 'user "u" of kubeconfig /k',
    written: pasted,
    pastedTokenAdvice: "put the token's file there",
  });
  const error = await hidden.authorization().catch((caught: Error) => caught);
  assert.match((error as Error).message, /: run it with --allow-read, or add the file to its list$/);
  assert.ok(!(error as Error).message.includes(pasted));
});

Deno.test("tokenFileCredentials() rejects a missing, empty or unreadable file", async () => {
  await rejectsConfig(
    tokenFileCredentials("/missing", {
      readFile: () => Promise.resolve(undefined),
      label: 'user "u"',
    }).authorization(),
    /^Cannot read the token of user "u": \/missing does not exist: create it or fix the path$/,
  );
  await rejectsConfig(
    tokenFileCredentials("/empty", { readFile: () => Promise.resolve(" \n") })
      .authorization(),
    /\/empty is empty: write the token into it/,
  );
  const denied = Object.assign(new Error("EACCES: permission denied"), {
    code: "EACCES",
  });
  const error = await rejectsConfig(
    tokenFileCredentials("/denied", {
      readFile: () => Promise.reject(denied),
      file: "/k/config",
      field: "users[0].user.tokenFile",
    }).authorization(),
    /\/denied cannot be read \(EACCES\)/,
  );
  assert.equal(error.file, "/k/config");
  assert.equal(error.field, "users[0].user.tokenFile");
});
