// A deterministic world for kubernetes_round_robin: grpc-js's real leaf balancers (pick_first) over fake subchannels
// whose states a test sets, with time, process.nextTick, performance.now and Math.random under the test's control.
// Nothing here touches the network. Used by grpc_js_balancer_model_test.ts.
import * as grpc from "@grpc/grpc-js";
import { type BalancedEndpoint, registerBalancer } from "../src/adapters/grpc_js_balancer.ts";

/** grpc-js's connectivity states, by name. */
export const { IDLE, CONNECTING, READY, TRANSIENT_FAILURE } = grpc.connectivityState;
/** The names of grpc-js's connectivity states, indexed by their number, for messages. */
export const STATE_NAMES = ["IDLE", "CONNECTING", "READY", "TRANSIENT_FAILURE", "SHUTDOWN"];

type Listener = (subchannel: unknown, previous: number, state: number, keepalive: number, error?: string) => void;

/** A timer of the fake loop; `policy` marks one the policy set itself (its failover or its next turn of work). */
interface FakeTimer {
  id: number;
  at: number;
  delay: number;
  callback: () => void;
  policy: boolean;
}

/**
 * The event loop as the policy and grpc-js see it while installed: `setTimeout`, `clearTimeout`,
 * `process.nextTick`, `performance.now` and `Math.random` are replaced, and time moves only in {@linkcode advance}.
 */
export class FakeLoop {
  now = 0;
  /** Added to `performance.now()` at each call: a slow machine, so the policy creates and destroys its children over turns. */
  perfStep = 0;
  #perfCalls = 0;
  #timers: FakeTimer[] = [];
  #ticks: (() => void)[] = [];
  #nextId = 1;
  #seed: number;
  #restore: (() => void)[] = [];
  /** Runs a timer's callback (`run`): a model wraps it to follow what the timer changes. */
  onTimer: (timer: FakeTimer, run: () => void) => void = (_timer, run) => run();
  /** Called after each `process.nextTick` callback, for the same purpose. */
  afterTick: () => void = () => {};

  constructor(seed: number) {
    this.#seed = seed >>> 0 || 1;
  }

  install(): void {
    const g = globalThis as unknown as Record<string, unknown>;
    const process = g.process as { nextTick: unknown };
    const { setTimeout, clearTimeout } = g;
    const { now } = performance;
    const random = Math.random;
    g.setTimeout = (callback: () => void, delay = 0) => {
      // The frame that called setTimeout: the policy's own timers are the ones the model checks.
      const caller = new Error().stack?.split("\n")[2] ?? "";
      const timer = {
        id: this.#nextId++,
        at: this.now + Math.max(0, delay),
        delay,
        callback,
        policy: /grpc_js_balancer\.ts|_failover_timer\.ts/.test(caller),
      };
      this.#timers.push(timer);
      return timer.id;
    };
    g.clearTimeout = (id: number) => {
      this.#timers = this.#timers.filter((timer) => timer.id !== id);
    };
    const nextTick = process.nextTick;
    process.nextTick = (callback: () => void) => this.#ticks.push(callback);
    performance.now = () => this.now + this.#perfCalls++ * this.perfStep;
    Math.random = () => {
      // xorshift32: enough to place the round-robin start reproducibly.
      let x = this.#seed;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.#seed = x >>> 0;
      return this.#seed / 2 ** 32;
    };
    this.#restore.push(() => {
      g.setTimeout = setTimeout;
      g.clearTimeout = clearTimeout;
      process.nextTick = nextTick;
      performance.now = now;
      Math.random = random;
    });
  }

  uninstall(): void {
    for (const restore of this.#restore.splice(0)) restore();
  }

  /** Runs every queued `process.nextTick` callback, and those they queue. */
  flushTicks(): void {
    for (let i = 0; i < 10_000 && this.#ticks.length > 0; i++) {
      this.#ticks.shift()!();
      this.afterTick();
    }
    if (this.#ticks.length > 0) throw new Error("process.nextTick callbacks keep queueing more: a loop");
  }

  /** Moves time forward by `ms`, running each timer due on the way in order, with the ticks it queues. */
  advance(ms: number): void {
    const end = this.now + ms;
    this.flushTicks();
    for (let i = 0; i < 10_000; i++) {
      const due = this.#timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      // After a pause, overdue timers run late, at the time of the resume.
      this.now = Math.max(this.now, due.at);
      this.onTimer(due, due.callback);
      this.flushTicks();
    }
    this.now = end;
  }

  /**
   * Runs the timers due now, as one pass of Node's and Deno's timers phase: a timer they set, even a zero timeout,
   * waits for the next pass, which comes after the sockets are read.
   */
  runDueTimers(): void {
    this.flushTicks();
    const due = this.#timers.filter((timer) => timer.at <= this.now).sort((a, b) => a.at - b.at || a.id - b.id);
    for (const timer of due) {
      if (!this.#timers.includes(timer)) continue;
      this.#timers = this.#timers.filter((other) => other !== timer);
      this.onTimer(timer, timer.callback);
      this.flushTicks();
    }
  }

  /** The id of the last timer set, to tell the timers a callback sets. */
  lastTimerId(): number {
    return this.#nextId - 1;
  }

  /** Moves time forward by `ms` without running a timer: the process was stopped (SIGSTOP, a frozen container). */
  pause(ms: number): void {
    this.now += ms;
  }

  /** The policy's pending timers longer than a turn: its failover timer. */
  policyTimers(): FakeTimer[] {
    return this.#timers.filter((timer) => timer.policy && timer.delay > 0);
  }

  /** Whether the policy waits for the next turn to create or destroy more children. */
  workTurnPending(): boolean {
    return this.#timers.some((timer) => timer.policy && timer.delay === 0);
  }
}

/** A pooled subchannel to one address, as grpc-js's channel keeps it across endpoints and policies. */
export class FakeRealSubchannel {
  state = IDLE;
  refs = 0;
  listeners = new Set<Listener>();
  /** The handle through which each listener was added (its owner is the leaf), for the leak check. */
  listenerOwners = new Map<Listener, FakeSubchannel>();
  /** The same for health watchers. */
  healthOwners = new Map<unknown, FakeSubchannel>();
  /** The listeners the channel itself added, by handle (grpc-js before 1.12.6, see {@linkcode FakeSubchannel}). */
  channelListenerOwners = new Map<Listener, FakeSubchannel>();
  /**
   * Called before each listener call: a listener added while the listeners run is called too (a Set, as in grpc-js),
   * so the policy's own listener may see the change that is being dispatched as it adds it.
   */
  beforeListener: (subchannel: FakeRealSubchannel) => void = () => {};

  constructor(readonly address: string, readonly loop: FakeLoop) {}

  transition(to: number, error?: string): void {
    if (this.state === to) return;
    const previous = this.state;
    this.state = to;
    // grpc-js's subchannel calls its listeners synchronously, in the order they were added.
    for (const listener of this.listeners) {
      this.beforeListener(this);
      listener(this, previous, to, 0, error);
    }
  }

  getRealSubchannel(): FakeRealSubchannel {
    return this;
  }

  realSubchannelEquals(other: { getRealSubchannel(): unknown }): boolean {
    return other.getRealSubchannel() === this;
  }

  /** Ends the backoff on the next tick, as grpc-js's subchannel does. */
  resetBackoff(): void {
    this.#onNextTick(() => {
      if (this.state === TRANSIENT_FAILURE) this.transition(CONNECTING);
    });
  }

  startConnecting(): void {
    this.#onNextTick(() => {
      if (this.state === IDLE) this.transition(CONNECTING);
    });
  }

  ref(): void {
    this.refs++;
  }

  unref(): void {
    this.refs--;
    if (this.refs !== 0) return;
    // A subchannel nobody uses any more drops its connection, as grpc-js's does.
    this.#onNextTick(() => {
      if (this.state === CONNECTING || this.state === READY) this.transition(IDLE);
    });
  }

  #onNextTick(callback: () => void): void {
    (globalThis as unknown as { process: { nextTick(callback: () => void): void } }).process.nextTick(callback);
  }
}

/** What the world knows of each leaf the policy created. */
export interface RecordingLeafInfo {
  key: string;
  destroyed: boolean;
  /** Inside its startConnecting(): the policy creates it and does not look at states meanwhile. */
  creating: boolean;
  wrappers: FakeSubchannel[];
  leaf: { getConnectivityState(): number };
}

/**
 * What grpc-js's channel hands a policy for each createSubchannel(): a counted handle on the pooled subchannel.
 * grpc-js 1.10 to 1.12.5 (`legacy`) add the channel's own listener to the subchannel as they make the handle, and take
 * it off only when the handle's refs drop back to 0: a handle nobody refs keeps it for the channel's life.
 */
export class FakeSubchannel {
  refs = 0;
  /** The leaf that asked for it, once known. */
  owner: RecordingLeafInfo | undefined;
  #channelListener: Listener | undefined;
  constructor(readonly real: FakeRealSubchannel, legacy = false) {
    if (!legacy) return;
    this.#channelListener = () => {};
    real.listeners.add(this.#channelListener);
    real.channelListenerOwners.set(this.#channelListener, this);
  }
  getConnectivityState() {
    return this.real.state;
  }
  addConnectivityStateListener(listener: Listener) {
    this.real.listeners.add(listener);
    this.real.listenerOwners.set(listener, this);
  }
  removeConnectivityStateListener(listener: Listener) {
    this.real.listeners.delete(listener);
    this.real.listenerOwners.delete(listener);
  }
  startConnecting() {
    this.real.startConnecting();
  }
  ref() {
    this.refs++;
    this.real.ref();
  }
  unref() {
    this.refs--;
    this.real.unref();
    if (this.refs > 0 || this.#channelListener === undefined) return;
    this.real.listeners.delete(this.#channelListener);
    this.real.channelListenerOwners.delete(this.#channelListener);
    this.#channelListener = undefined;
  }
  getAddress() {
    return this.real.address;
  }
  getChannelzRef() {
    return { kind: "subchannel", id: 0, name: this.real.address };
  }
  addHealthStateWatcher(watcher: unknown) {
    this.real.healthOwners.set(watcher, this);
  }
  removeHealthStateWatcher(watcher: unknown) {
    this.real.healthOwners.delete(watcher);
  }
  isHealthy() {
    return true;
  }
  getRealSubchannel() {
    return this.real;
  }
  realSubchannelEquals(other: { getRealSubchannel(): unknown }) {
    return other.getRealSubchannel() === this.real;
  }
}

/** A report the policy made to the channel. */
export interface Report {
  state: number;
  picker: { pick(args: unknown): { pickResultType: number; subchannel: unknown; status: { details: string } | null } };
  errorMessage: string | null;
}

/** Hooks the world calls so that a model can follow. */
export interface WorldHooks {
  /** A leaf was constructed by the policy. */
  leafCreated(info: RecordingLeafInfo): void;
  /** A leaf reported a state (with an error in TRANSIENT_FAILURE); `forward` hands it to the policy. */
  leafReported(info: RecordingLeafInfo, state: number, errorMessage: string | null, forward: () => void): void;
  /** A leaf's createSubchannel() went through the policy and returned `subchannel`. */
  subchannelCreated(info: RecordingLeafInfo, subchannel: FakeSubchannel): void;
}

/** The policy's classes, registered with a copy of grpc-js whose leaves report to `hooks`. */
export function policyClasses(hooks: () => WorldHooks) {
  const experimental = grpc.experimental as unknown as Record<string, unknown> & {
    LeafLoadBalancer: new (...args: unknown[]) => {
      getConnectivityState(): number;
      startConnecting(): void;
      destroy(): void;
    };
    createChildChannelControlHelper(parent: unknown, overrides: object): Record<string, (...a: never[]) => unknown>;
    endpointToString(endpoint: unknown): string;
  };
  const Leaf = experimental.LeafLoadBalancer;
  class RecordingLeaf extends Leaf {
    info: RecordingLeafInfo;
    constructor(endpoint: BalancedEndpoint, helper: Record<string, (...args: never[]) => unknown>, ...rest: unknown[]) {
      const info = {
        key: experimental.endpointToString(endpoint),
        destroyed: false,
        creating: false,
        wrappers: [],
      } as unknown as RecordingLeafInfo;
      const recording = experimental.createChildChannelControlHelper(helper, {
        updateState: (state: number, picker: unknown, errorMessage: string | null) => {
          const forward = () => (helper.updateState as (...a: unknown[]) => void)(state, picker, errorMessage);
          hooks().leafReported(info, state, errorMessage, forward);
        },
        createSubchannel: (address: unknown, options: unknown) => {
          const subchannel = (helper.createSubchannel as (...a: unknown[]) => FakeSubchannel)(address, options);
          info.wrappers.push(subchannel);
          hooks().subchannelCreated(info, subchannel);
          return subchannel;
        },
      });
      super(endpoint, recording, ...rest);
      info.leaf = this;
      this.info = info;
      hooks().leafCreated(info);
    }
    override startConnecting() {
      this.info.creating = true;
      try {
        super.startConnecting();
      } finally {
        this.info.creating = false;
      }
    }
    override destroy() {
      if (this.info.destroyed) throw new Error(`leaf ${this.info.key} destroyed twice`);
      this.info.destroyed = true;
      super.destroy();
    }
  }
  let Policy: unknown;
  let Config: unknown;
  registerBalancer({
    connectivityState: grpc.connectivityState,
    logVerbosity: grpc.logVerbosity,
    experimental: {
      ...experimental,
      LeafLoadBalancer: RecordingLeaf,
      registerLoadBalancerType(_name: string, policy: unknown, config: unknown) {
        Policy = policy;
        Config = config;
      },
    },
  } as never);
  return {
    Policy: Policy as new (helper: object) => PolicyInstance,
    Config: Config as { createFromJson(json: unknown): unknown },
    endpointToString: (endpoint: BalancedEndpoint) => experimental.endpointToString(endpoint),
  };
}

/** The policy as grpc-js drives it. */
export interface PolicyInstance {
  updateAddressList(list: unknown, config: unknown, options: object, note?: string): boolean;
  exitIdle(): void;
  resetBackoff(): void;
  destroy(): void;
}
