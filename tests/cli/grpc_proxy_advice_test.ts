// grpcProxyAdvice(): check's doubt for a target that grpc-js would send to a proxy from the environment, past the
// resolver. Compared with grpc-js's own mapping (its http_proxy module) on the same variables and targets.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { grpcProxyAdvice } from "../../src/cli/grpc_proxy_advice.ts";
import { parseTarget } from "../../src/base/target.ts";

/** grpc-js's own choice: the target it would resolve for a channel, given the environment it reads. */
const { mapProxyName } = createRequire(import.meta.url)("@grpc/grpc-js/build/src/http_proxy.js") as {
  mapProxyName(target: { scheme?: string; authority?: string; path: string }, options: object): {
    target: { scheme?: string; path: string };
  };
};

const VARIABLES = ["grpc_proxy", "https_proxy", "http_proxy", "no_grpc_proxy", "no_proxy"];

/** Whether grpc-js sends `input` to a proxy with `env` as its environment (the variables set for the call only). */
function grpcJsProxies(input: string, env: Record<string, string>): boolean {
  const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  try {
    for (const name of VARIABLES) {
      if (env[name] === undefined) delete process.env[name];
      else process.env[name] = env[name];
    }
    const [, scheme, authority, path] = /^(?:([A-Za-z0-9+.-]+):)?(?:\/\/([^/]*)\/)?(.+)$/.exec(input)!;
    const target = { scheme, authority, path };
    return mapProxyName(target, {}).target !== target;
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

Deno.test("grpcProxyAdvice() doubts exactly the targets grpc-js sends to a proxy from the environment", () => {
  const proxy = "http://user:s3cret@proxy.corp:3128";
  const environments: Record<string, string>[] = [
    {},
    { https_proxy: proxy },
    { http_proxy: proxy },
    { grpc_proxy: proxy, https_proxy: "" },
    { grpc_proxy: "", http_proxy: proxy },
    { https_proxy: "socks5://proxy.corp:1080" },
    { https_proxy: "not a url" },
    { https_proxy: proxy, no_proxy: ".prod,.svc" },
    { https_proxy: proxy, no_proxy: "" },
    { https_proxy: proxy, no_proxy: "example.com," },
    { https_proxy: proxy, no_grpc_proxy: "echo.prod", no_proxy: "other" },
    { https_proxy: proxy, no_grpc_proxy: "", no_proxy: "echo.prod" },
    { https_proxy: proxy, no_proxy: "10.0.0.0/8" },
    { https_proxy: proxy, no_proxy: "10.0.0.0/33" },
    { https_proxy: proxy, no_proxy: "192.168.0.0/16,fd00::/8" },
  ];
  // The forms the target parser accepts (a test below parses each), with a port name, a port number or none.
  const targets = [
    "kubernetes:///echo.prod:grpc",
    "kubernetes:///echo.prod:8080",
    "kubernetes:///echo.prod",
    "kubernetes:///echo.prod.svc.cluster.local:50051",
    "kubernetes://echo.prod.svc.cluster.local:8080",
    "kubernetes://prod/echo:grpc",
    "kubernetes://prod/echo:8080",
    "k8s:///echo:grpc",
    "k8s:///echo:80",
  ];
  for (const target of targets) parseTarget(target);
  let doubted = 0;
  for (const env of environments) {
    for (const target of targets) {
      const advice = grpcProxyAdvice(target, (name) => env[name]);
      assert.equal(advice !== undefined, grpcJsProxies(target, env), `${target} with ${JSON.stringify(env)}`);
      if (advice === undefined) continue;
      doubted++;
      // The variable is named, its value (which may hold a password) never; a host to add to no_proxy has no "//".
      assert.doesNotMatch(advice, /s3cret|proxy\.corp| \/\//);
    }
  }
  // Both answers occur: 150 pairs, of which grpc-js sends these to the proxy.
  assert.equal(doubted, 60);
});

Deno.test("grpcProxyAdvice() names the variable grpc-js reads, the target and the three ways out", () => {
  assert.equal(
    grpcProxyAdvice("kubernetes:///echo.prod:8080", (name) => name === "https_proxy" ? "http://p:3128" : undefined),
    "https_proxy is set: grpc-js sends a channel to kubernetes:///echo.prod:8080 through that proxy, not through the " +
      "resolver (a target with a port number or none; calls fail, or all go through the proxy): use the port's name in " +
      'the target, add echo.prod to no_proxy, or give the channel the option "grpc.enable_http_proxy": 0 ' +
      "(withResolverOptions() and nice-grpc's createChannel() from @kgr/resolver/nice-grpc do)",
  );
});
