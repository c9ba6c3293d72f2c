import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { TargetError } from "../src/base/errors.ts";
import {
  defaultAuthority,
  formatTarget,
  type GrpcUriParts,
  parseGrpcUri,
  parseTarget,
  type Target,
} from "../src/base/target.ts";

// The real grpc-js splitter, so the grpc-js shapes below are the ones a
// resolver is given, not our idea of them.
const { parseUri } = createRequire(import.meta.url)(
  "@grpc/grpc-js/build/src/uri-parser",
) as { parseUri(uri: string): GrpcUriParts | null };

function k8s(
  service: string,
  namespace?: string,
  port?: number | string,
  scheme = "kubernetes",
): Target {
  const target: Target = { scheme, service };
  if (namespace !== undefined) target.namespace = namespace;
  if (port !== undefined) target.port = port;
  return target;
}

/** Runs `parse` and returns the TargetError it throws, checking its shape. */
/** The TargetError `parse` throws, which quotes `shown` (the input, its user information masked). */
function targetError(
  input: string,
  parse: () => unknown,
  shown = input.replace(/(?<=:\/\/)[^/].*@/, "***@").replace(/([?#]).*$/s, "$1…"),
): TargetError {
  try {
    parse();
  } catch (error) {
    assert.ok(error instanceof TargetError);
    assert.equal(error.name, "TargetError");
    assert.equal(error.target, shown);
    assert.ok(
      error.message.startsWith(
        `Cannot parse target ${JSON.stringify(shown)}: `,
      ),
      error.message,
    );
    return error;
  }
  assert.fail(`expected a TargetError for ${JSON.stringify(input)}`);
}

// Every form listed in the Go kuberesolver README, with its placeholders
// filled in (`cluster_name`, underscore included, is kept literally).
const README_FORMS: [string, Target][] = [
  ["kubernetes:///svc:8080", k8s("svc", undefined, 8080)],
  ["kubernetes:///svc:portname", k8s("svc", undefined, "portname")],
  ["kubernetes:///svc.ns:8080", k8s("svc", "ns", 8080)],
  ["kubernetes:///svc.ns.svc.cluster_name", k8s("svc", "ns")],
  ["kubernetes:///svc.ns.svc.cluster_name:8080", k8s("svc", "ns", 8080)],
  ["kubernetes://ns/svc:8080", k8s("svc", "ns", 8080)],
  ["kubernetes://svc:8080/", k8s("svc", undefined, 8080)],
  ["kubernetes://svc.ns:8080/", k8s("svc", "ns", 8080)],
  ["kubernetes://svc.ns.svc.cluster_name", k8s("svc", "ns")],
  ["kubernetes://svc.ns.svc.cluster_name:8080", k8s("svc", "ns", 8080)],
  // The README's own examples.
  [
    "kubernetes:///service.namespace:portname",
    k8s("service", "namespace", "portname"),
  ],
  ["kubernetes:///service:grpc", k8s("service", undefined, "grpc")],
  [
    "kubernetes:///service-name.namespace.svc.cluster.local:8080",
    k8s("service-name", "namespace", 8080),
  ],
];

for (const [input, want] of README_FORMS) {
  Deno.test(`parseTarget() parses the README form ${input}`, () => {
    assert.deepEqual(parseTarget(input), want);
  });
}

// TestParseResolverTarget of the Go builder_test.go. Its inputs have no
// scheme: they fill a Go url.URL directly. We require "scheme://", so each is
// translated: "//host/path" becomes "kubernetes://host/path" and a bare path
// ("a", "/a") becomes "kubernetes:///a". Go's `port` string becomes our
// number (resolveByPortName false) or name (true); useFirstPort means no port.
const GO_RESOLVER_TARGETS: [string, Target | undefined][] = [
  ["/", undefined],
  ["a", k8s("a")],
  ["/a", k8s("a")],
  ["//a/b", k8s("b", "a")],
  ["a.b", k8s("a", "b")],
  ["/a.b", k8s("a", "b")],
  ["/a.b:80", k8s("a", "b", 80)],
  ["/a.b:port", k8s("a", "b", "port")],
  ["//a/b:port", k8s("b", "a", "port")],
  ["//a/b:80", k8s("b", "a", 80)],
  ["a.b.svc.cluster.local", k8s("a", "b")],
  ["/a.b.svc.cluster.local:80", k8s("a", "b", 80)],
  ["/a.b.svc.cluster.local:port", k8s("a", "b", "port")],
  ["//a.b.svc.cluster.local", k8s("a", "b")],
  ["//a.b.svc.cluster.local:80", k8s("a", "b", 80)],
];

function withScheme(goInput: string): string {
  return goInput.startsWith("//") ? `kubernetes:${goInput}` : `kubernetes:///${goInput.replace(/^\//, "")}`;
}

for (const [goInput, want] of GO_RESOLVER_TARGETS) {
  const input = withScheme(goInput);
  const verb = want === undefined ? "rejects" : "parses";
  Deno.test(
    `parseTarget() ${verb} Go's resolver target ${JSON.stringify(goInput)} as ${input}`,
    () => {
      if (want === undefined) targetError(input, () => parseTarget(input));
      else assert.deepEqual(parseTarget(input), want);
    },
  );
}

// TestParseTargets of the Go builder_test.go, row for row; all are followed.
const GO_TARGETS: [string, Target | undefined][] = [
  ["", undefined],
  ["kubernetes:///", undefined],
  ["kubernetes://a:30", k8s("a", undefined, 30)],
  ["kubernetes://a/", k8s("a")],
  ["kubernetes:///a", k8s("a")],
  ["kubernetes://a/b", k8s("b", "a")],
  ["kubernetes://a.b/", k8s("a", "b")],
  ["kubernetes:///a.b:80", k8s("a", "b", 80)],
  ["kubernetes:///a.b:port", k8s("a", "b", "port")],
  ["kubernetes:///a:port", k8s("a", undefined, "port")],
  ["kubernetes://x/a:port", k8s("a", "x", "port")],
  ["kubernetes://a.x:30/", k8s("a", "x", 30)],
  ["kubernetes://a.b.svc.cluster.local", k8s("a", "b")],
  ["kubernetes://a.b.svc.cluster.local:80", k8s("a", "b", 80)],
  ["kubernetes:///a.b.svc.cluster.local", k8s("a", "b")],
  ["kubernetes:///a.b.svc.cluster.local:80", k8s("a", "b", 80)],
  ["kubernetes:///a.b.svc.cluster.local:port", k8s("a", "b", "port")],
];

for (const [input, want] of GO_TARGETS) {
  const verb = want === undefined ? "rejects" : "parses";
  Deno.test(`parseTarget() ${verb} Go's target ${JSON.stringify(input)}`, () => {
    if (want === undefined) targetError(input, () => parseTarget(input));
    else assert.deepEqual(parseTarget(input), want);
  });
}

// Any scheme parses the same way and is returned as written.
const CUSTOM_SCHEMES: [string, Target][] = [
  ["k8s:///svc.ns:grpc", k8s("svc", "ns", "grpc", "k8s")],
  ["k8s://ns/svc:80", k8s("svc", "ns", 80, "k8s")],
  ["k8s://svc.ns.svc.cluster.local:443", k8s("svc", "ns", 443, "k8s")],
  [
    "my-resolver+v2.x:///svc",
    k8s("svc", undefined, undefined, "my-resolver+v2.x"),
  ],
  ["Kubernetes:///svc.ns", k8s("svc", "ns", undefined, "Kubernetes")],
];

for (const [input, want] of CUSTOM_SCHEMES) {
  Deno.test(`parseTarget() parses the custom scheme target ${input}`, () => {
    assert.deepEqual(parseTarget(input), want);
  });
}

// Edges the spec leaves open, decided here.
const EDGES: [string, string, Target][] = [
  [
    "kubernetes://svc.ns:grpc",
    "a named port in the authority (Go's url.Parse rejects it)",
    k8s("svc", "ns", "grpc"),
  ],
  [
    "kubernetes://svc:grpc/",
    "a named port in the authority with a trailing slash",
    k8s("svc", undefined, "grpc"),
  ],
  [
    "kubernetes:///svc.ns.svc",
    "the suffix .svc without a cluster domain",
    k8s("svc", "ns"),
  ],
  [
    "kubernetes:///svc.ns.svc.CLUSTER.local",
    "an upper-case cluster domain",
    k8s("svc", "ns"),
  ],
  [
    "kubernetes:///svc:0080",
    "a port with leading zeros",
    k8s("svc", undefined, 80),
  ],
  ["kubernetes:///svc:65535", "the highest port", k8s("svc", undefined, 65535)],
  ["kubernetes:///svc:1", "the lowest port", k8s("svc", undefined, 1)],
  [
    "kubernetes:///svc:80a",
    "a port name starting with digits",
    k8s("svc", undefined, "80a"),
  ],
  [
    "kubernetes:///svc:1-2",
    "a port name without a letter (a Service's port name is a DNS-1123 label; kube-apiserver accepts it)",
    k8s("svc", undefined, "1-2"),
  ],
  [
    "kubernetes:///svc.ns:grpc-internal-api",
    "a Service port name longer than a container port's 15 characters",
    k8s("svc", "ns", "grpc-internal-api"),
  ],
  [
    `kubernetes:///svc:${"p".repeat(63)}`,
    "a 63-character port name",
    k8s("svc", undefined, "p".repeat(63)),
  ],
  [
    "kubernetes:///svc:grpc--web",
    "a port name with -- (a DNS-1123 label, as Kubernetes checks a Service's)",
    k8s("svc", undefined, "grpc--web"),
  ],
  [
    "kubernetes:///svc.ns.svc.cluster.local.:8080",
    "a fully qualified name with its trailing dot",
    k8s("svc", "ns", 8080),
  ],
  [
    "kubernetes:///a.0ns",
    "a one-letter service and a namespace starting with a digit",
    k8s("a", "0ns"),
  ],
  [
    `kubernetes:///${"a".repeat(63)}.${"b".repeat(63)}`,
    "63-character names",
    k8s("a".repeat(63), "b".repeat(63)),
  ],
  // kube-apiserver v1.36.3 creates a Service named "1cart" or "123" (a DNS-1123 label).
  ["kubernetes:///1cart.shop:grpc", "a service starting with a digit", k8s("1cart", "shop", "grpc")],
  ["kubernetes:///123.shop", "an all-digit service", k8s("123", "shop")],
  [
    "kubernetes://ns/",
    "an authority with a trailing slash as the service",
    k8s("ns"),
  ],
];

for (const [input, what, want] of EDGES) {
  Deno.test(`parseTarget() accepts ${what}`, () => {
    assert.deepEqual(parseTarget(input), want);
  });
}

// Inputs we reject, with a fragment of the problem text. Where the Go
// kuberesolver accepts the input, the comment says what Go makes of it.
const ERRORS: [string, string, string][] = [
  ["", "an empty target", "target must not be empty"],
  [
    "svc.ns:8080",
    "a target without a scheme",
    'must start with a scheme and "//"',
  ],
  ["svc", "a bare service name", 'must start with a scheme and "//"'],
  [":///svc", "an empty scheme", 'must start with a scheme and "//"'],
  [
    "1k8s:///svc",
    "a scheme starting with a digit",
    'must start with a scheme and "//"',
  ],
  // Go: service "svc" through the URL's opaque part.
  [
    "kubernetes:svc.ns:80",
    "a scheme without //",
    'must start with a scheme and "//"',
  ],
  // Go: the same as kubernetes:///svc (Target.Endpoint() strips the slash).
  [
    "kubernetes:/svc",
    "a scheme with a single /",
    'must start with a scheme and "//"',
  ],
  ["kubernetes://", "a target with no service", "service must not be empty"],
  [
    "kubernetes:///:80",
    "a port without a service",
    "service must not be empty",
  ],
  [
    "kubernetes:///.ns",
    "a namespace without a service",
    "service must not be empty",
  ],
  [
    "kubernetes://ns/:80",
    "an authority namespace without a service",
    "service must not be empty",
  ],
  ["kubernetes:///svc:0", "port 0", "port must be 1-65535: current value is 0"],
  [
    "kubernetes:///svc:65536",
    "port 65536",
    "port must be 1-65535: current value is 65536",
  ],
  [
    "kubernetes://svc.ns:99999999999999999999/",
    "a huge port",
    "port must be 1-65535: current value is 99999999999999999999",
  ],
  // Go: an empty port means "use the first port".
  ["kubernetes:///svc:", "an empty port", "port must not be empty"],
  ["kubernetes:///svc:-1", "a negative port", 'current value is "-1"'],
  [
    "kubernetes:///svc:Grpc",
    "an upper-case port name",
    'current value is "Grpc"',
  ],
  [
    "kubernetes:///svc:grpc_web",
    "a port name with an underscore",
    'current value is "grpc_web"',
  ],
  [
    `kubernetes:///svc:${"p".repeat(64)}`,
    "a 64-character port name",
    `current value is "${"p".repeat(64)}"`,
  ],
  [
    "kubernetes:///svc:-grpc",
    "a port name starting with -",
    'current value is "-grpc"',
  ],
  [
    "kubernetes:///svc:grpc-",
    "a port name ending with -",
    'current value is "grpc-"',
  ],
  ["kubernetes:///svc:8.5", "a fractional port", 'current value is "8.5"'],
  ["kubernetes:///svc.ns.svc.", "a trailing dot without a cluster domain", "give the cluster domain before it"],
  // Go: svc in ns. It said 'expected "svc" after the namespace ...: current value is ""'.
  [
    "kubernetes:///svc.ns.:80",
    "a trailing dot after the namespace",
    'a trailing "." ends a fully qualified name, which goes on after the namespace: remove the ".", or give',
  ],
  // Go: accepted; the API lookup of "My_Svc" then finds nothing.
  [
    "kubernetes:///My_Svc.ns",
    "an upper-case service",
    "service must be a DNS-1123 label",
  ],
  [
    "kubernetes:///-svc.ns",
    "a service starting with -",
    'current value is "-svc"',
  ],
  [
    "kubernetes:///svc-.ns",
    "a service ending with -",
    'current value is "svc-"',
  ],
  [
    `kubernetes:///${"a".repeat(64)}`,
    "a 64-character service",
    "service must be a DNS-1123 label",
  ],
  [
    "kubernetes:///svc.Ns",
    "an upper-case namespace",
    'namespace must be a DNS-1123 label (at most 63 of a-z, 0-9 and "-", starting and ending with a letter or digit): ' +
    'current value is "Ns": Kubernetes names are lower case, did you mean "ns"?',
  ],
  [
    "kubernetes:///ECHO.prod:grpc",
    "an upper-case service that is a label in lower case",
    'current value is "ECHO": Kubernetes names are lower case, did you mean "echo"?',
  ],
  [
    "kubernetes:///echo.prod:GRPC",
    "an upper-case port name that is a port name in lower case",
    'current value is "GRPC": Kubernetes names are lower case, did you mean "grpc"?',
  ],
  [
    "kubernetes:///svc.ns_1",
    "a namespace with an underscore",
    'current value is "ns_1"',
  ],
  [
    "kubernetes:///svc.-ns",
    "a namespace starting with -",
    'current value is "-ns"',
  ],
  [
    `kubernetes:///svc.${"n".repeat(64)}`,
    "a 64-character namespace",
    "namespace must be a DNS-1123 label",
  ],
  [
    "kubernetes://Prod/svc",
    "an upper-case authority namespace",
    'current value is "Prod"',
  ],
  // Go: no namespace.
  ["kubernetes:///svc.", "an empty namespace", "namespace must not be empty"],
  [
    "kubernetes:///svc..svc.cluster.local",
    "an empty namespace before .svc",
    "namespace must not be empty",
  ],
  // Go: ignores everything after the namespace.
  [
    "kubernetes:///svc.ns.example.com",
    "a third label that is not svc",
    'expected "svc" after the namespace',
  ],
  [
    "kubernetes:///svc.ns.cluster.local:80",
    "a cluster domain without .svc",
    'current value is "cluster"',
  ],
  [
    "kubernetes:///svc.ns.svc.cluster..local",
    "an empty cluster domain label",
    'current value is "cluster..local"',
  ],
  [
    "kubernetes:///svc.ns.svc.clu%73ter",
    "a percent-encoded cluster domain",
    "cluster domain must be",
  ],
  // Go: namespace "ns", and "other" is dropped.
  [
    "kubernetes://ns/svc.other:80",
    "a namespace given twice",
    "namespace is given twice",
  ],
  [
    "kubernetes://ns/svc.ns.svc.cluster.local",
    "a qualified name after an authority namespace",
    "namespace is given twice",
  ],
  // Go: service "ns", port 80; the path "svc" is dropped.
  ["kubernetes://ns:80/svc", "a path after host:port", 'unexpected path "svc"'],
  [
    "kubernetes://svc.ns:80/extra/",
    "a path after svc.ns:port",
    'unexpected path "extra/"',
  ],
  // Go: service "svc/extra".
  [
    "kubernetes://ns/svc/extra",
    "a / in the service",
    'unexpected "/" in "svc/extra"',
  ],
  // Was: 'unexpected "/" in "svc.ns:80/": use "kubernetes:///svc.ns:port"', which did not say the "/" was the fault.
  [
    "kubernetes:///svc.ns:80/",
    "a trailing / after the endpoint",
    'unexpected "/" at the end of "svc.ns:80/": remove the trailing "/", as in "kubernetes:///svc.ns:80"',
  ],
  [
    "k8s://ns/svc:grpc/",
    "a trailing / after the service of an authority namespace",
    'remove the trailing "/", as in "k8s://ns/svc:grpc"',
  ],
  [
    "kubernetes:////svc",
    "a doubled / before the endpoint",
    'unexpected "/" in "/svc"',
  ],
  // Go: the query is dropped; grpc-js would leave it in the port.
  ["kubernetes:///svc.ns:grpc?x", "a query string", "remove the query (not shown: it may hold a credential)"],
  ["kubernetes:///svc.ns:grpc#frag", "a fragment", "remove the fragment (not shown: it may hold a credential)"],
  [
    "kubernetes://[::1]:80",
    "an IPv6 address",
    "IP addresses are not supported",
  ],
  [
    "kubernetes:///[fe80::1%25eth0]:80",
    "a scoped IPv6 address",
    "IP addresses are not supported",
  ],
  ["kubernetes:///10.0.0.1:80", "an IPv4 address", "IP addresses are not supported"],
  // Without brackets, an IPv6 address was refused for its colons ('expected at most one ":"'), as if mistyped.
  ["kubernetes:///fe80::1", "an IPv6 address without brackets", "an IP address is not a Service name"],
  ["kubernetes://fe80::1", "an IPv6 address without brackets as authority", "an IP address is not a Service name"],
  ["kubernetes:///fe80::1%eth0:80", "a scoped IPv6 address without brackets", "an IP address is not a Service name"],
  ["kubernetes:///::ffff:10.0.0.1:80", "an IPv4-mapped IPv6 address and a port", "an IP address is not a Service name"],
  ["kubernetes:///[fe80::1]:80", "a bracketed IPv6 address", 'grpc-js\'s own "ipv4:" or "ipv6:" scheme'],
  ["kubernetes:///svc:a:80", "two colons", 'expected at most one ":"'],
  [
    "kubernetes:///svc.ns: 80",
    "a space",
    "whitespace, control or invisible characters: remove the one at index 21 (U+0020)",
  ],
  [" kubernetes:///svc", "a leading space", "remove the one at index 0"],
  ["kubernetes:///svc\n", "a trailing newline", "remove the one at index 17"],
  ["kubernetes:///svc\tx", "a tab", "whitespace, control or invisible characters"],
  ["kubernetes:///svc\u0000", "a NUL", "whitespace, control or invisible characters"],
  [
    "kubernetes:///cart\u200b.shop:grpc",
    "a zero-width space, which a quoted value would not show",
    "remove the one at index 18 (U+200B)",
  ],
  ["kubernetes:///svc:grpc\u00ad", "a soft hyphen", "remove the one at index 22 (U+00AD)"],
  [
    "kubernetes:///svc\u00a0",
    "a non-breaking space",
    "whitespace, control or invisible characters",
  ],
  [
    "kubernetes://u@ns/svc",
    "user information",
    "the cluster's credentials belong in the kubeconfig",
  ],
];

for (const [input, what, problem] of ERRORS) {
  Deno.test(`parseTarget() rejects ${what}`, () => {
    const error = targetError(input, () => parseTarget(input));
    assert.ok(error.message.includes(problem), error.message);
  });
}

Deno.test("parseTarget() never quotes a user name, password or token written in the target", () => {
  const cases: [string, string][] = [
    ["kubernetes://admin:s3cret@host/echo.prod:grpc", "kubernetes://***@host/echo.prod:grpc"],
    ["kubernetes://admin:s3cret@echo.prod:grpc", "kubernetes://***@echo.prod:grpc"],
    ["kubernetes:///admin:s3cret@echo.prod", "kubernetes:///***@echo.prod"],
    ["kubernetes://s3cret@prod/echo:80", "kubernetes://***@prod/echo:80"],
    // A password with an "@", a "/", a "?" or a "#" written as it is: a "?" and an "@" both leave only the scheme
    // (the "?" may be a password's or a query's).
    ["kubernetes://admin:s3c@r/et?#@echo.prod:grpc", "kubernetes:…"],
    // Before the checks that quote a part: a space, no "//".
    ["kubernetes://admin:s3cret@echo.prod:grpc x", "kubernetes://***@echo.prod:grpc x"],
    ["kubernetes:admin:s3cret@echo.prod", "***@echo.prod"],
  ];
  for (const [input, shown] of cases) {
    for (const parse of [() => parseTarget(input), () => parseGrpcUri(parseUri(input)!)]) {
      const error = targetError(input, parse, shown);
      assert.ok(!`${error.message} ${error.target} ${error.stack}`.includes("s3"), error.message);
      assert.ok(
        error.message.endsWith(
          "the cluster's credentials belong in the kubeconfig (its user's token, " +
            "client certificate or exec plugin)",
        ),
        error.message,
      );
    }
  }
});

Deno.test("parseTarget() never quotes a target's query or fragment, which may hold a token", () => {
  const token = "eyJhbGciOiJSUzI1NiJ9.kgrQueryCanary.c2ln";
  const cases: [string, string, string][] = [
    [`kubernetes:///echo:grpc?token=${token}`, "kubernetes:///echo:grpc?…", "remove the query (not shown"],
    [`kubernetes:///echo.prod:grpc#${token}`, "kubernetes:///echo.prod:grpc#…", "remove the fragment (not shown"],
    [`kubernetes:///echo prod?token=${token}`, "kubernetes:///echo prod?…", "whitespace"],
    // An "@" in the query was taken for user information, and what followed it shown.
    [`kubernetes:///echo.prod:grpc?user=me@example.com&token=${token}`, "kubernetes:…", "query"],
    [`kubernetes:///echo.prod:grpc#a@b;token=${token}`, "kubernetes:…", "fragment"],
    // Without a scheme and "//", nothing of it: the part before a ":" may be a user name or a token.
    [`kgrQuery?dEf123@echo.prod:grpc`, "…", "scheme"],
    [`kgrQuery#en@echo.prod:8080`, "…", "scheme"],
  ];
  for (const [input, shown, problem] of cases) {
    for (const parse of [() => parseTarget(input), () => parseGrpcUri(parseUri(input)!)]) {
      const error = targetError(input, parse, shown);
      assert.ok(error.message.startsWith(`Cannot parse target ${JSON.stringify(shown)}: `), error.message);
      assert.ok(error.message.includes(problem), error.message);
      assert.ok(!`${error.message} ${error.target} ${error.stack}`.includes("kgrQuery"), error.message);
    }
  }
});

Deno.test("parseTarget() names the current value and the fix for port 0", () => {
  const error = targetError(
    "kubernetes:///svc.ns:0",
    () => parseTarget("kubernetes:///svc.ns:0"),
  );
  assert.equal(
    error.message,
    'Cannot parse target "kubernetes:///svc.ns:0": port must be 1-65535: current value is 0',
  );
});

Deno.test("parseTarget() omits namespace and port when not given", () => {
  const target = parseTarget("kubernetes:///svc");
  assert.deepEqual(Object.keys(target).sort(), ["scheme", "service"]);
});

Deno.test("parseTarget() gives numeric ports as numbers and named ports as strings", () => {
  assert.equal(typeof parseTarget("kubernetes:///svc:80").port, "number");
  assert.equal(typeof parseTarget("kubernetes:///svc:http").port, "string");
});

// grpc-js: the shapes its parseUri hands a resolver.
Deno.test("grpc-js splits targets into the shapes parseGrpcUri() expects", () => {
  assert.deepEqual(parseUri("kubernetes:///svc.ns:grpc"), {
    scheme: "kubernetes",
    authority: "",
    path: "svc.ns:grpc",
  });
  assert.deepEqual(parseUri("kubernetes://ns/svc:80"), {
    scheme: "kubernetes",
    authority: "ns",
    path: "svc:80",
  });
  // No path after the authority: the authority stays in the path.
  assert.deepEqual(parseUri("kubernetes://a:30"), {
    scheme: "kubernetes",
    authority: undefined,
    path: "//a:30",
  });
  assert.deepEqual(parseUri("kubernetes://a/"), {
    scheme: "kubernetes",
    authority: undefined,
    path: "//a/",
  });
});

Deno.test("parseGrpcUri() parses hand-built grpc-js shapes", () => {
  assert.deepEqual(
    parseGrpcUri({ scheme: "kubernetes", authority: "", path: "svc.ns:grpc" }),
    k8s("svc", "ns", "grpc"),
  );
  assert.deepEqual(
    parseGrpcUri({ scheme: "kubernetes", authority: "ns", path: "svc:80" }),
    k8s("svc", "ns", 80),
  );
  assert.deepEqual(
    parseGrpcUri({ scheme: "kubernetes", path: "//a:30" }),
    k8s("a", undefined, 30),
  );
  assert.deepEqual(
    parseGrpcUri({ scheme: "k8s", path: "//svc.ns.svc.cluster.local:80" }),
    k8s("svc", "ns", 80, "k8s"),
  );
});

const ALL_INPUTS = [
  ...README_FORMS.map(([input]) => input),
  ...GO_RESOLVER_TARGETS.map(([goInput]) => withScheme(goInput)),
  ...GO_TARGETS.map(([input]) => input),
  ...CUSTOM_SCHEMES.map(([input]) => input),
  ...EDGES.map(([input]) => input),
  ...ERRORS.map(([input]) => input),
];

for (const input of ALL_INPUTS) {
  const uri = parseUri(input);
  // grpc-js refuses the empty string and line breaks before any resolver runs.
  if (uri === null) continue;
  Deno.test(
    `parseGrpcUri() agrees with parseTarget() on grpc-js's split of ${JSON.stringify(input)}`,
    () => {
      let want: Target | undefined;
      let wantMessage: string | undefined;
      try {
        want = parseTarget(input);
      } catch (error) {
        wantMessage = targetError(input, () => {
          throw error;
        }).message;
      }
      if (want !== undefined) assert.deepEqual(parseGrpcUri(uri), want);
      else {
        const error = targetError(input, () => parseGrpcUri(uri));
        assert.equal(error.message, wantMessage);
      }
    },
  );
}

Deno.test("grpc-js refuses the empty target and line breaks before a resolver sees them", () => {
  assert.equal(parseUri(""), null);
  assert.equal(parseUri("kubernetes:///svc\n"), null);
});

const AUTHORITIES: [string, string][] = [
  ["kubernetes:///svc.ns:8080", "svc.ns"],
  ["kubernetes:///svc:grpc", "svc"],
  ["kubernetes://ns/svc:80", "svc.ns"],
  ["kubernetes://svc.ns.svc.cluster.local:443", "svc.ns"],
  ["k8s:///svc", "svc"],
];

for (const [input, want] of AUTHORITIES) {
  Deno.test(`defaultAuthority() is ${want} for ${input}, without the port`, () => {
    assert.equal(defaultAuthority(parseTarget(input)), want);
  });
}

const CANONICAL: [string, string][] = [
  ["kubernetes:///svc:8080", "kubernetes:///svc:8080"],
  ["kubernetes://ns/svc:8080", "kubernetes:///svc.ns:8080"],
  ["kubernetes://svc:8080/", "kubernetes:///svc:8080"],
  ["kubernetes://svc.ns.svc.cluster_name:8080", "kubernetes:///svc.ns:8080"],
  ["kubernetes:///svc.ns.svc.cluster.local", "kubernetes:///svc.ns"],
  ["kubernetes://x/a:port", "kubernetes:///a.x:port"],
  ["kubernetes:///svc:0080", "kubernetes:///svc:80"],
  ["k8s://svc.ns:grpc", "k8s:///svc.ns:grpc"],
];

for (const [input, want] of CANONICAL) {
  Deno.test(`formatTarget() writes ${input} as ${want}`, () => {
    assert.equal(formatTarget(parseTarget(input)), want);
  });
}

Deno.test("formatTarget() output parses back to the same target for every accepted input", () => {
  for (const input of ALL_INPUTS) {
    let target: Target;
    try {
      target = parseTarget(input);
    } catch {
      continue;
    }
    const text = formatTarget(target);
    assert.deepEqual(parseTarget(text), target, `${input} -> ${text}`);
    assert.equal(formatTarget(parseTarget(text)), text);
  }
});

const BAD_TARGETS: [Target, string, string][] = [
  [k8s("svc", "ns", 0), "port 0", "port must be 1-65535: current value is 0"],
  [
    k8s("svc", "ns", 70000),
    "port 70000",
    "port must be 1-65535: current value is 70000",
  ],
  [
    k8s("svc", "ns", 8.5),
    "a fractional port",
    "port must be 1-65535: current value is 8.5",
  ],
  [
    k8s("svc", "ns", "80"),
    "a numeric port given as a string",
    'current value is "80"',
  ],
  [k8s("svc", "ns", "Grpc"), "an invalid port name", 'current value is "Grpc"'],
  [k8s("a.b"), "a service containing a dot", 'current value is "a.b"'],
  [k8s(""), "an empty service", "service must not be empty"],
  [k8s("svc", ""), "an empty namespace", "namespace must not be empty"],
  [
    k8s("svc", "ns.svc.cluster.local"),
    "a qualified namespace",
    'current value is "ns.svc.cluster.local"',
  ],
  [
    k8s("svc", undefined, undefined, ""),
    "an empty scheme",
    "scheme must be a letter",
  ],
  [
    k8s("svc", undefined, undefined, "a:b"),
    "a scheme with a colon",
    'current value is "a:b"',
  ],
];

for (const [target, what, problem] of BAD_TARGETS) {
  Deno.test(`formatTarget() rejects ${what}`, () => {
    const text = `${target.scheme}:///${defaultAuthority(target)}${target.port === undefined ? "" : `:${target.port}`}`;
    const error = targetError(text, () => formatTarget(target));
    assert.ok(error.message.includes(problem), error.message);
  });
}

Deno.test("formatTarget() refuses fields of the wrong type (from JavaScript or JSON) with a TargetError naming them", () => {
  // A missing scheme was written as "undefined:///svc" and accepted; a missing service or a null namespace threw
  // "TypeError: Cannot read properties of undefined (reading 'length')".
  const cases: [Record<string, unknown>, string][] = [
    [{ service: "svc" }, "scheme must be a letter followed by letters, digits"],
    [{ scheme: "kubernetes" }, 'service must be a DNS-1123 label (at most 63 of a-z, 0-9 and "-", starting'],
    [{ scheme: "kubernetes", service: "svc", namespace: null }, "namespace must be a DNS-1123 label"],
    [{ scheme: "kubernetes", service: "svc", port: null }, "port must be a number 1-65535 or a port name"],
    [{ scheme: "kubernetes", service: "svc", port: true }, "port must be a number 1-65535 or a port name"],
  ];
  for (const [target, problem] of cases) {
    assert.throws(() => formatTarget(target as unknown as Target), (error) => {
      assert.ok(error instanceof TargetError, String(error));
      assert.ok(error.message.includes(problem), error.message);
      return true;
    });
  }
});

Deno.test("formatTarget() refuses what is not a Target, and a field a Target does not have", () => {
  // The target string gave 'Cannot parse target "undefined:///undefined"', null "Cannot destructure property
  // 'scheme'", and a misspelt or misnamed namespace was dropped without a word: { service: "echo", ns: "prod" } wrote
  // "kubernetes:///echo", which a watch then looked up in the default namespace.
  for (const [target, kind] of [["kubernetes:///echo.prod:grpc", "of type string"], [null, "of type null"]]) {
    assert.throws(
      () => formatTarget(target as unknown as Target),
      new TypeError(
        "Cannot format the target: it must be a Target such as parseTarget() returns, as in " +
          `formatTarget({ scheme: "kubernetes", service: "echo", namespace: "prod", port: "grpc" }): current value is ${kind}`,
      ),
    );
  }
  const cases: [Record<string, unknown>, string, string][] = [
    [
      { scheme: "kubernetes", service: "echo", ns: "prod" },
      "kubernetes:///echo",
      'the Target has no field "ns" (its fields are scheme, service, namespace and port)',
    ],
    [
      { scheme: "kubernetes", service: "echo", namespce: "prod", port: 8080 },
      "kubernetes:///echo:8080",
      'the Target has no field "namespce" (its fields are scheme, service, namespace and port): use namespace',
    ],
  ];
  for (const [target, text, problem] of cases) {
    assert.throws(() => formatTarget(target as unknown as Target), new TargetError(text, problem));
  }
  assert.equal(formatTarget({ scheme: "k8s", service: "echo", namespace: undefined, port: undefined }), "k8s:///echo");
});

Deno.test("parseTarget() refuses a target that is not a string with a TypeError that says what to pass", () => {
  // From JavaScript, a URL, a number or a missing target threw "TypeError: target.search is not a function" (or
  // "Cannot read properties of undefined (reading 'search')"), from parseTarget() and nice-grpc's createChannel().
  const cases: [unknown, string][] = [
    [new URL("kubernetes:///echo.prod:grpc"), "of class URL"],
    [42, "of type number"],
    [undefined, "of type undefined"],
    [{ scheme: "kubernetes", service: "echo" }, "of type object"],
  ];
  for (const [target, kind] of cases) {
    assert.throws(() => parseTarget(target as string), (error) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.equal(
        error.message,
        'Cannot parse target: it must be a string such as "kubernetes:///echo.prod:grpc" (formatTarget() writes ' +
          `one from a Target): current value is ${kind}`,
      );
      return true;
    });
  }
});

Deno.test("defaultAuthority() refuses what is not a Target, such as the target string, rather than return undefined", () => {
  // defaultAuthority("kubernetes:///echo.prod:grpc") returned undefined: a channel's grpc.default_authority of it
  // failed far from the mistake.
  for (const [target, kind] of [["kubernetes:///echo.prod:grpc", "of type string"], [undefined, "of type undefined"]]) {
    assert.throws(() => defaultAuthority(target as unknown as Target), (error) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.equal(
        error.message,
        "Cannot give the default authority: the target must be a Target from parseTarget(), as in " +
          `defaultAuthority(parseTarget("kubernetes:///echo.prod:grpc")): current value is ${kind}`,
      );
      return true;
    });
  }
  assert.equal(defaultAuthority(parseTarget("kubernetes:///echo.prod:grpc")), "echo.prod");
});
