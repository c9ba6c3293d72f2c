// kubernetes_round_robin against the policy API of each grpc-js version it supports (1.10 to 1.14), through a
// recording stand-in for grpc-js: what each version hands the policy, and what its leaf balancers expect back.
// `scripts/pack_check.sh` runs the scenarios with a real grpc-js 1.10 as well, and type-checks a use of the package
// against the declarations of 1.10 and 1.12.
import assert from "node:assert/strict";
import {
  type BalancedEndpoint,
  EMPTY_LIST_ERROR_ATTRIBUTE,
  registerBalancer,
} from "../src/adapters/grpc_js_balancer.ts";
import { BALANCER_NAME } from "../src/adapters/_balancer_config.ts";
import type { GrpcModule } from "../mod.ts";
import { cpuMilliseconds } from "./_cpu_time.ts";

interface PolicyClass {
  new (helper: unknown, ...rest: unknown[]): {
    updateAddressList(list: unknown, config: unknown, options: object, note?: string): boolean;
  };
}

/** What the policy hands each leaf balancer to report its state. */
interface LeafHelper {
  updateState(state: number, picker: unknown, errorMessage: string | null): void;
}

/**
 * Registers the policy with a stand-in grpc-js that records each leaf balancer's arguments and each state; with
 * `connect`, each leaf reports CONNECTING once it starts connecting; with `fail`, TRANSIENT_FAILURE as grpc-js
 * 1.10 does, with no error message but the picker's status.
 */
function standIn({ connect = false, fail = "" } = {}) {
  const leaves: unknown[][] = [];
  const states: { state: number; errorMessage: string | null }[] = [];
  let Policy: PolicyClass | undefined;
  let Config: { createFromJson(json: unknown): unknown } | undefined;
  const picker = { pick: () => ({}) };
  const grpc = {
    connectivityState: { IDLE: 0, CONNECTING: 1, READY: 2, TRANSIENT_FAILURE: 3 },
    logVerbosity: { DEBUG: 0, ERROR: 2 },
    experimental: {
      log() {},
      trace() {},
      registerLoadBalancerType(name: string, policy: PolicyClass, config: typeof Config) {
        assert.equal(name, BALANCER_NAME);
        Policy = policy;
        Config = config;
      },
      createChildChannelControlHelper: (parent: unknown, overrides: object) => ({
        ...(parent as object),
        ...overrides,
      }),
      LeafLoadBalancer: class {
        #helper: LeafHelper;
        constructor(...args: unknown[]) {
          leaves.push(args);
          this.#helper = args[1] as LeafHelper;
        }
        startConnecting() {
          if (connect) this.#helper.updateState(1, picker, null);
          if (fail) {
            (this.#helper.updateState as (state: number, picker: unknown) => void)(3, { status: { details: fail } });
          }
        }
        getPicker() {
          return picker;
        }
        exitIdle() {}
        destroy() {}
      },
      QueuePicker: class {
        pick() {
          return {};
        }
      },
      UnavailablePicker: class {
        pick() {
          return {};
        }
      },
    },
  };
  registerBalancer(grpc as never);
  const helper = {
    updateState: (state: number, _picker: unknown, errorMessage: string | null) => states.push({ state, errorMessage }),
    requestReresolution() {},
  };
  const configOf = (json: object) => Config!.createFromJson(json);
  return { Policy: Policy!, config: configOf({}), configOf, helper, leaves, states };
}

/**
 * Waits until the policy has created `count` leaves. It creates them a few milliseconds' worth per turn of the event
 * loop, so a process stopped in the middle of a list, even of two (a loaded machine: 1 run of the suite at load 25),
 * makes the rest in a later turn.
 */
async function created(leaves: unknown[], count: number): Promise<void> {
  for (let turn = 0; turn < 1000 && leaves.length < count; turn++) await new Promise((r) => setTimeout(r, 0));
  assert.equal(leaves.length, count, "the leaves made");
}

const endpoints: BalancedEndpoint[] = [
  { addresses: [{ host: "127.0.0.2", port: 50051 }] },
  { addresses: [{ host: "127.0.0.3", port: 50051 }] },
];

Deno.test("kubernetes_round_robin builds its leaves as each grpc-js version from 1.10 to 1.14 expects", async () => {
  const options = { "grpc.keepalive_time_ms": 1000 };
  const credentials = { insecure: true };
  const cases = [
    // 1.10 and 1.11: options at construction, the endpoint array with the resolver's attributes.
    { version: "1.10", construct: [options], update: [endpoints, {}], leaf: [options] },
    // 1.12: credentials and options at construction; leaves take both.
    { version: "1.12", construct: [credentials, options], update: [endpoints, {}], leaf: [credentials, options] },
    // 1.13: the endpoint array with the options (attributes merged in).
    { version: "1.13", construct: [], update: [endpoints, options], leaf: [options, ""] },
    // 1.14: a StatusOr, the options and a resolution note.
    {
      version: "1.14",
      construct: [],
      update: [{ ok: true, value: endpoints }, options, "note"],
      leaf: [options, "note"],
    },
  ];
  for (const { version, construct, update, leaf } of cases) {
    const { Policy, config, helper, leaves } = standIn();
    const policy = new Policy(helper, ...construct);
    const [list, third, note] = update as [unknown, object, string | undefined];
    assert.equal(policy.updateAddressList(list, config, third, note), true, version);
    await created(leaves, endpoints.length);
    assert.deepEqual(leaves, endpoints.map((endpoint, i) => [endpoint, leaves[i][1], ...leaf]), version);
  }
});

/** grpc-js's `ChannelOptions` as its declarations give it: named optional fields, and any other key. */
interface ChannelOptions {
  "grpc.keepalive_time_ms"?: number;
  [key: string]: unknown;
}

Deno.test("register()'s grpc option is typed to take the module of each grpc-js version from 1.10 to 1.14", () => {
  // The type check is the test: each leaf balancer is declared as that version's build/src/load-balancer-pick-first.d.ts
  // declares it (endpoint and helper as plain objects). 1.12's, with the credentials, made `register({ grpc })`
  // fail to compile (TS2322) though it runs.
  const leaves: Record<string, GrpcModule["experimental"]["LeafLoadBalancer"]> = {
    "1.10, 1.11 and 1.13": class {
      constructor(_endpoint: object, _helper: object, _options: ChannelOptions) {}
    },
    "1.12": class {
      constructor(_endpoint: object, _helper: object, _credentials: object, _options: ChannelOptions) {}
    },
    "1.14": class {
      constructor(_endpoint: object, _helper: object, _options: ChannelOptions, _resolutionNote: string) {}
    },
  };
  assert.equal(Object.keys(leaves).length, 3);
});

Deno.test("before grpc-js 1.14, an empty list fails calls with the error the resolver put in its attributes", () => {
  const message =
    "Cannot route the call: no ready endpoints for service echo in namespace prod: its EndpointSlices list no pod";
  for (const construct of [[{}], []]) {
    const { Policy, config, helper, states } = standIn();
    new Policy(helper, ...construct).updateAddressList([], config, { [EMPTY_LIST_ERROR_ATTRIBUTE]: message });
    assert.deepEqual(states.at(-1), { state: 3, errorMessage: message });
  }
  const { Policy, config, helper, states } = standIn();
  new Policy(helper).updateAddressList({ ok: true, value: [] }, config, {}, "no ready endpoints");
  assert.deepEqual(states.at(-1), {
    state: 3,
    errorMessage: "No addresses resolved. Resolution note: no ready endpoints",
  });
});

Deno.test("on grpc-js 1.10, whose leaves report no error message, calls that fail on every endpoint carry their pickers' last error", async () => {
  const { Policy, config, helper, states, leaves } = standIn({
    fail: "No connection established. Last error: connect ECONNREFUSED 127.0.0.3:50051",
  });
  new Policy(helper, {}).updateAddressList(
    endpoints.map((e) => ({ ...e, service: "service echo in namespace prod" })),
    config,
    {},
  );
  await created(leaves, endpoints.length);
  assert.deepEqual(states.at(-1), {
    state: 3,
    errorMessage:
      "No connection to any endpoint of service echo in namespace prod: last error: connect ECONNREFUSED 127.0.0.3:50051",
  });
});

Deno.test("calls that fail on every endpoint name the pod whose connection failed last, on one line", async () => {
  const { Policy, config, helper, states, leaves } = standIn({
    fail: "No connection established. Last error: connect ECONNREFUSED 127.0.0.3:50051",
  });
  const pods = ["echo-0", "echo-1"];
  new Policy(helper, {}).updateAddressList(
    endpoints.map((e, i) => ({ ...e, pod: pods[i], service: "service echo in namespace prod" })),
    config,
    {},
  );
  await created(leaves, endpoints.length);
  assert.deepEqual(states.at(-1), {
    state: 3,
    errorMessage: "No connection to any endpoint of service echo in namespace prod: last error: connect ECONNREFUSED " +
      "127.0.0.3:50051 (pod echo-1)",
  });
});

Deno.test("a pod that comes back at the same address is named by its new name when its connection fails", async () => {
  const { Policy, config, helper, states, leaves } = standIn();
  const policy = new Policy(helper, {});
  const service = "service echo in namespace prod";
  policy.updateAddressList(endpoints.map((e, i) => ({ ...e, pod: `echo-${i}`, service })), config, {});
  await created(leaves, endpoints.length);
  // echo-1 was replaced by echo-2 at the same address: its connection stays, the name is the new pod's.
  policy.updateAddressList(endpoints.map((e, i) => ({ ...e, pod: `echo-${i * 2}`, service })), config, {});
  assert.equal(leaves.length, endpoints.length, "no new leaf for an address that stays");
  for (const leaf of leaves) {
    const leafHelper = leaf[1] as { updateState(state: number, picker: unknown): void };
    leafHelper.updateState(3, { status: { details: "connect ECONNREFUSED 127.0.0.3:50051" } });
  }
  assert.deepEqual(states.at(-1), {
    state: 3,
    errorMessage: "No connection to any endpoint of service echo in namespace prod: last error: connect ECONNREFUSED " +
      "127.0.0.3:50051 (pod echo-2)",
  });
});

Deno.test("an empty list stops the failover timer: the resolver's error stands instead of the policy's own", async () => {
  const { Policy, helper, states, configOf } = standIn();
  const policy = new Policy(helper);
  const config = configOf({ failoverTimeoutMs: 50 });
  // A preferred endpoint still connecting, another to fail over to: the timer runs.
  policy.updateAddressList([{ ...endpoints[0], preferred: true }, { ...endpoints[1], preferred: false }], config, {});
  const error = "Cannot route the call: no ready endpoints for service echo in namespace prod";
  policy.updateAddressList([], config, { [EMPTY_LIST_ERROR_ATTRIBUTE]: error });
  await new Promise((resolve) => setTimeout(resolve, 120));
  assert.equal(states.at(-1)!.errorMessage, error);
  assert.equal(states.at(-1)!.state, 3);
});

Deno.test("exitIdle(), which grpc-js calls for every call, does not scan thousands of connecting endpoints", async () => {
  /** Microseconds per exitIdle() with `count` endpoints, all CONNECTING. */
  const cost = async (count: number) => {
    const { Policy, config, helper, leaves } = standIn({ connect: true });
    const policy = new Policy(helper) as InstanceType<PolicyClass> & { exitIdle(): void };
    const value = Array.from(
      { length: count },
      (_, i) => ({ addresses: [{ host: `10.9.${i >> 8}.${i & 255}`, port: 1 }] }),
    );
    policy.updateAddressList({ ok: true, value }, config, {}, "");
    await created(leaves, count);
    // CPU time, not wall time: a process stopped for a few ms by a loaded machine made 5,000 calls look ten times as
    // slow (2.64 µs against 0.26 at load 20, 1 run of 3).
    return cpuMilliseconds(() => {
      for (let i = 0; i < 5000; i++) policy.exitIdle();
    }) / 5;
  };
  const one = Math.max(await cost(1), await cost(1));
  const many = Math.min(await cost(5000), await cost(5000), await cost(5000));
  // A scan of 5,000 children costs tens of times a scan of one (31 µs against 0.7 here); a check of the counts, the same.
  assert.ok(
    many < 5 * one + 1,
    `exitIdle(): ${many.toFixed(2)} µs with 5,000 endpoints, ${one.toFixed(2)} µs with 1`,
  );
});

Deno.test("calls that fail on every endpoint for a one-label TLS name, the target's own, say to name the namespace", async () => {
  const mismatch =
    "Hostname/IP does not match certificate's altnames: Host: echo. is not in the cert's altnames: DNS:x";
  for (const [authority, advised] of [["echo", true], ["echo.prod", false]] as const) {
    const { Policy, config, helper, states, leaves } = standIn({ fail: mismatch });
    new Policy(helper, {}).updateAddressList(endpoints.map((e) => ({ ...e, authority })), config, {});
    await created(leaves, endpoints.length);
    assert.equal(/name the namespace in the target/.test(states.at(-1)?.errorMessage ?? ""), advised, authority);
  }
});

Deno.test("calls that fail on every endpoint with a TLS channel to plaintext pods say to use insecure credentials", async () => {
  // Node's OpenSSL error ends in a newline, which the advice does not follow.
  const notTls = "Error: 80FC03B1F57F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:" +
    "../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n";
  const { Policy, config, helper, states, leaves } = standIn({ fail: notTls });
  new Policy(helper, {}).updateAddressList(endpoints, config, {});
  await created(leaves, endpoints.length);
  assert.match(
    states.at(-1)?.errorMessage ?? "",
    /ssl3_record\.c:350:; the pods do not answer in TLS on this port: if they serve plaintext, create the channel with insecure credentials \(grpc\.credentials\.createInsecure\(\)\)$/,
  );
});
