import assert from "node:assert/strict";
import process from "node:process";
import {
  grantAdvice,
  grantOrListAdvice,
  listedGrant,
  listsEvery,
  podNetAdvice,
  refusedNetAddress,
} from "../src/runtime/deno_permission_advice.ts";

Deno.test("refusedNetAddress() gives the address Deno refused, as --allow-net takes it", () => {
  assert.equal(refusedNetAddress('Requires net access to "127.0.0.1:22036", run again'), "127.0.0.1:22036");
  assert.equal(refusedNetAddress('Requires net access to "[fd00::1]:6443"'), "[fd00::1]:6443");
  assert.equal(refusedNetAddress("connect ECONNREFUSED 127.0.0.1:1"), undefined);
});

Deno.test("podNetAdvice() names the pods' network as a range, not a list of pods that each rollout changes", () => {
  // It said "or add the pods to its list": pod addresses change at every rollout.
  const advice = (address: string) => podNetAdvice(`NotCapable: Requires net access to "${address}"`);
  assert.equal(
    advice("10.83.2.2:50051"),
    ": this Deno process may not connect to the pods: add the pods' network (the cluster's pod CIDR) to its " +
      "--allow-net list, e.g. --allow-net=<API server>,10.0.0.0/8, as pod addresses change at every rollout",
  );
  const ranges: [string, string][] = [
    ["172.20.1.1:80", "172.16.0.0/12"],
    ["192.168.3.4:80", "192.168.0.0/16"],
    ["100.96.1.2:80", "100.64.0.0/10"],
    ["203.0.113.5:80", "203.0.0.0/16"],
  ];
  for (const [address, range] of ranges) assert.match(advice(address), new RegExp(`,${range}, as pod addresses`));
  // Deno 2.9.6 takes no IPv6 range: the permission without a list.
  assert.equal(
    advice("[fd00::1]:50051"),
    ": this Deno process may not connect to the pods: run it with --allow-net, as pod addresses change at every " +
      "rollout (Deno takes no IPv6 range in --allow-net's list)",
  );
  assert.equal(podNetAdvice("connect ECONNREFUSED 10.0.0.1:50051"), "");
  // Was a range built from an address that is no IPv4 one (300.1.0.0/16), and IPv6's words for a name.
  for (const address of ["300.1.0.0:50051", "echo-0.echo.shop.svc:50051"]) {
    assert.equal(
      advice(address),
      ": this Deno process may not connect to the pods: run it with --allow-net, as pod addresses change at every " +
        "rollout",
    );
  }
});

Deno.test("grantAdvice() quotes a path with a space as a shell needs it, and lists no path with a comma", () => {
  // Was run it with --allow-read=/home/me/My Files/config: the shell split it, and Deno split a comma's path.
  assert.equal(grantAdvice("read", "/home/me/My Files/config"), "run it with '--allow-read=/home/me/My Files/config'");
  assert.equal(grantAdvice("read", "/home/me/it's/config"), "run it with '--allow-read=/home/me/it'\\''s/config'");
  assert.equal(
    grantAdvice("read", "/home/me/a,b/config"),
    "run it with --allow-read (a comma in the name keeps it out of --allow-read's list)",
  );
  assert.equal(grantAdvice("read", "/home/me/.kube/config"), "run it with --allow-read=/home/me/.kube/config");
  assert.equal(listedGrant("read", ["/k/My Files/ca.crt"]), "'--allow-read=/k/My Files/ca.crt,...'");
});

Deno.test("listedGrant() and grantOrListAdvice() offer no list for a value with a comma, which Deno splits", () => {
  // Was "or add them to its list ('--allow-read=/k/a,b/ca.crt,...')": Deno 2.9.6 splits at every comma, ",," too.
  assert.equal(listedGrant("read", ["/k/a,b/ca.crt", "/k/c.crt"]), "--allow-read=/k/c.crt,...");
  assert.equal(listsEvery(["/k/a,b/ca.crt", "/k/c.crt"]), false);
  assert.equal(listsEvery(["/k/c.crt"]), true);
  assert.equal(
    grantOrListAdvice("read", "/k/a,b/config", "the file"),
    "run it with --allow-read (a comma in the name keeps it out of --allow-read's list)",
  );
  assert.equal(
    grantOrListAdvice("read", "/k/config", "the file"),
    "run it with --allow-read=/k/config, or add the file to its list",
  );
});

Deno.test("grantAdvice() quotes a flag with ~, a pattern under zsh's extendedglob", () => {
  assert.equal(grantAdvice("read", "/k/~backup/config"), "run it with '--allow-read=/k/~backup/config'");
});

Deno.test("grantAdvice() on Windows keeps a backslash bare and quotes with double quotes, as cmd.exe takes them", () => {
  // Was '--allow-read=C:\Users\me\.kube\config': cmd.exe passes single quotes on, and Deno reads them as the path.
  const platform = Object.getOwnPropertyDescriptor(process, "platform")!;
  Object.defineProperty(process, "platform", { value: "win32", configurable: true });
  try {
    assert.equal(
      grantAdvice("read", "C:\\Users\\me\\.kube\\config"),
      "run it with --allow-read=C:\\Users\\me\\.kube\\config",
    );
    assert.equal(
      grantAdvice("read", "C:\\Users\\me\\My Files\\config"),
      'run it with "--allow-read=C:\\Users\\me\\My Files\\config"',
    );
    assert.equal(listedGrant("read", ["C:\\My Files\\ca.crt"]), '"--allow-read=C:\\My Files\\ca.crt,..."');
  } finally {
    Object.defineProperty(process, "platform", platform);
  }
});

/** What the advice worker posts back for `values` and a refused connection to `podError`. */
async function workerAdvice(
  values: string[],
  podError: string,
  standalone = false,
): Promise<{ grants: string[]; listed: string; listsAll: boolean; pods: string }> {
  const worker = new Worker(new URL("./deno_permissions/advice_worker.ts", import.meta.url), { type: "module" });
  try {
    const answer = new Promise<MessageEvent>((resolve) => worker.onmessage = resolve);
    worker.postMessage({ values, podError, standalone });
    return (await answer).data;
  } finally {
    worker.terminate();
  }
}

Deno.test("grantAdvice() and listedGrant() in a Deno Web Worker write entries JavaScript reads back whole", async () => {
  // Was read: ["C:\k\config"]: pasted into JavaScript, "\k" reads as an escape and the path loses its \.
  const values = ["C:\\k\\config", '/k/say "hi"/config', "/k/a,b/config"];
  const { grants, listed, listsAll } = await workerAdvice(values, "");
  assert.deepEqual(grants, [
    'give it read: ["C:\\\\k\\\\config"] in its Worker\'s deno.permissions (and run the process with ' +
    "'--allow-read=C:\\k\\config')",
    'give it read: ["/k/say \\"hi\\"/config"] in its Worker\'s deno.permissions (and run the process with ' +
    "'--allow-read=/k/say \"hi\"/config')",
    // Was "(and run the process with --allow-read (a comma ... list))": brackets in brackets.
    'give it read: ["/k/a,b/config"] in its Worker\'s deno.permissions (and run the process with --allow-read, as a ' +
    "comma in the name keeps it out of --allow-read's list)",
  ]);
  // A Worker's array holds a comma: only the flag's list cannot. listsEvery() said false, and the kubeconfig's refused
  // files lost the list advice in a Worker.
  assert.equal(listed, 'read: ["C:\\\\k\\\\config", "/k/say \\"hi\\"/config", "/k/a,b/config", ...]');
  assert.equal(listsAll, true);
});

Deno.test("podNetAdvice() in a Deno Web Worker says when Deno refuses a Worker's own range, and names deno compile's list", async () => {
  // Said Deno refuses a Worker's range in every case: under -A or a bare --allow-net, net: ["127.0.0.0/8"] connected.
  const refused = 'NotCapable: Requires net access to "10.83.2.2:50051"';
  const { pods } = await workerAdvice([], refused);
  assert.equal(
    pods,
    ": this Deno worker may not connect to the pods: add the pods' network (the cluster's pod CIDR) to the process's " +
      '--allow-net list and give its Worker net: "inherit" in its deno.permissions, e.g. ' +
      "--allow-net=<API server>,10.0.0.0/8 (when the process runs with an --allow-net list, Deno refuses a range in a " +
      "Worker's own list as an escalation), as pod addresses change at every rollout",
  );
  // A compiled program's list is deno compile's: "the process's --allow-net list" named flags it does not take.
  const compiled = await workerAdvice([], refused, true);
  assert.equal(
    compiled.pods,
    ": this Deno worker may not connect to the pods: add the pods' network (the cluster's pod CIDR) to the " +
      '--allow-net list the program is compiled with and give its Worker net: "inherit" in its deno.permissions, ' +
      "e.g. deno compile --allow-net=<API server>,10.0.0.0/8 ... (when the process runs with an --allow-net list, " +
      "Deno refuses a range in a Worker's own list as an escalation), as pod addresses change at every rollout",
  );
});
