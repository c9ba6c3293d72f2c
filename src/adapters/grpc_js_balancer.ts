/**
 * Our grpc-js load-balancing policy, `kubernetes_round_robin`: round-robin
 * over the preferred endpoints (topology), failing over to the others once
 * every preferred one is in TRANSIENT_FAILURE, or none has been READY for
 * the failover timeout (10 s, as gRFC A56's priority policy: pods that hang
 * or drop packets keep their connections CONNECTING), and back as soon as
 * one is READY. Under node preference the others are two tiers, as A56's
 * priorities: the client's zone (`sameZone`), then the rest, which calls
 * reach the same way from the zone, with a timeout of the zone's own. Its
 * state is kept incrementally, so that thousands of endpoints do not stall
 * the event loop: a child per endpoint kept across updates (its
 * subchannel is reused, only new endpoints connect), counts per connectivity
 * state and a list of READY children per tier, no scan of the children on a
 * state change, and children created and destroyed a few milliseconds' worth
 * per turn. A new endpoint at an address still in connection backoff, or still
 * connecting, for an earlier pod is connected at once. This module makes the
 * policy's decisions; its tiers' counts and READY lists are kept by
 * `_balancer_tiers.ts`, a new child's subchannels come from
 * `_child_subchannel.ts`, and its config is parsed by `_balancer_config.ts`.
 * Under the grpc-js tracer of its name (`GRPC_TRACE=kubernetes_round_robin
 * GRPC_VERBOSITY=DEBUG`), it traces a line per list and per change of state or
 * of the tier calls go to, never one per endpoint.
 *
 * @module
 */

import { unrefTimer } from "../runtime/unref_timer.ts";
import { podNetAdvice } from "../runtime/deno_permission_advice.ts";
import { tlsConnectionAdvice } from "./_tls_connection_advice.ts";
import { tlsNameAdvice } from "./_tls_name_advice.ts";
import type { BalancedEndpoint } from "./balanced_endpoint.ts";
import { endpointKey } from "./_endpoint_key.ts";
import { leafError, pickerError } from "./_leaf_error.ts";
import { startFailoverTimer } from "./_failover_timer.ts";
import type { BalancerGrpc, ChannelControlHelper, EndpointList, Leaf, Picker } from "./balancer_grpc.ts";
import { type Child, leaveReady, moveToTier, newTier, type Tier } from "./_balancer_tiers.ts";
import { childSubchannelFactory } from "./_child_subchannel.ts";
import {
  BALANCER_NAME,
  type BalancerConfig,
  createConfigClass,
  DEFAULT_FAILOVER_TIMEOUT_MS,
} from "./_balancer_config.ts";

export type { BalancedEndpoint };

/**
 * The resolver attribute that carries, with an empty endpoint list, the error calls must fail with: the calls queued
 * for a pick fail on the list, before the resolver's error comes, and grpc-js before 1.14 ignores that error once the
 * policy reported the empty list (its resolver API has no note either). Never set with endpoints, so it never
 * reaches a subchannel's options.
 */
export const EMPTY_LIST_ERROR_ATTRIBUTE = "kgr.empty_list_error";

const registered = new WeakSet<object>();

/**
 * How long one turn of the event loop may spend creating and destroying children. grpc-js looks a new
 * subchannel up by a linear scan of its pool, so thousands of new endpoints at once would stall
 * the loop for seconds, and destroying a child costs tens of microseconds (5,000 took 40 to 150 ms in
 * one turn): they are created and destroyed a few milliseconds' worth at a time instead.
 */
const WORK_BUDGET_MS = 5;

/**
 * How long a balancer remembers an endpoint that left its list. grpc-js's subchannel pool drops a subchannel that no
 * channel uses within 10 s (its cleanup interval); an endpoint that comes back later gets a new subchannel anyway.
 */
const DEPARTED_MEMORY_MS = 20_000;

/**
 * How long picks wait after a READY child leaves READY (see `#settling`). Pods stopped together do not send their
 * GOAWAYs in the same instant: on loopback, 5 pods of 10 stopped 1 or 3 ms apart lost 10 calls in 48 stops while picks
 * waited one turn of the event loop, 2 in 24 with 2 ms, none in 60 with 5 ms; the calls of a rollout took no
 * longer at the median or the 99th percentile. A longer wait costs each call made meanwhile as much.
 */
const SETTLE_MS = 5;

/** grpc-js's names of the connectivity states, by number. */
const STATE_NAMES = ["IDLE", "CONNECTING", "READY", "TRANSIENT_FAILURE", "SHUTDOWN"];

/** The tiers' names in a trace line: `no preferred endpoint became READY`. */
const TIER_NAMES = ["preferred", "same-zone"];

/**
 * The tier of an endpoint: 0 preferred, 1 failover-only in the client's zone (`sameZone`), 2 any other.
 */
function tierOf(endpoint: BalancedEndpoint): number {
  if (endpoint.preferred !== false) return 0;
  return endpoint.sameZone === true ? 1 : 2;
}

/** A new endpoint waiting for its child. */
interface PendingChild {
  endpoint: BalancedEndpoint;
  tier: Tier;
  options: object | undefined;
  note: string;
}

/**
 * Registers `kubernetes_round_robin` with one copy of grpc-js (once per copy).
 *
 * @param grpc The grpc-js module whose channels should be able to use it.
 *
 * @example Selecting the policy in a service config
 * ```ts ignore
 * import * as grpc from "@grpc/grpc-js";
 * registerBalancer(grpc);
 * const serviceConfig = { loadBalancingConfig: [{ kubernetes_round_robin: {} }] };
 * ```
 */
export function registerBalancer(grpc: BalancerGrpc): void {
  if (registered.has(grpc.experimental)) return;
  registered.add(grpc.experimental);
  const { Balancer, Config } = createBalancerClasses(grpc);
  grpc.experimental.registerLoadBalancerType(BALANCER_NAME, Balancer as never, Config as never);
}

function createBalancerClasses(grpc: BalancerGrpc) {
  const { IDLE, CONNECTING, READY, TRANSIENT_FAILURE } = grpc.connectivityState;
  const Config = createConfigClass((text) => grpc.experimental.log(grpc.logVerbosity.ERROR as never, text));
  const traceLine = (text: string) => grpc.experimental.trace(grpc.logVerbosity.DEBUG as never, BALANCER_NAME, text);
  const experimental = grpc.experimental as unknown as {
    createChildChannelControlHelper(parent: never, overrides: never): unknown;
    LeafLoadBalancer: new (endpoint: never, helper: never, ...rest: unknown[]) => Leaf;
    QueuePicker: new (balancer: never) => Picker;
    UnavailablePicker: new (status?: never) => Picker;
  };

  class Balancer {
    #helper: ChannelControlHelper;
    #children = new Map<string, Child>();
    #queuePicker: Picker = new experimental.QueuePicker(this as never);
    /** The tiers in the order calls try them: the preferred endpoints, the client's zone (see `tierOf`), the rest. */
    #tiers: Tier[] = this.#newTiers();
    /**
     * The last tier calls may go to (0: the preferred only): each tier before it failed (every endpoint of it in
     * TRANSIENT_FAILURE, none, or none READY within the failover timeout). Calls go to the first tier up to it with
     * a READY endpoint; a tier that has one becomes the reach again.
     */
    #reach = 0;
    #failoverTimeoutMs = DEFAULT_FAILOVER_TIMEOUT_MS;
    /**
     * Stops the failover timer, which runs while the reach is not the last tier and none of its endpoints is READY,
     * whether or not the tiers after it have endpoints yet (as gRFC A56 times each priority): endpoints that come
     * after the timeout get calls at once. Each tier gets its own timeout.
     */
    #stopFailoverTimer?: () => void;
    #paused = false;
    #state = IDLE;
    #picker?: Picker;
    #errorMessage: string | null = null;
    #lastError = "";
    /** The pod whose connection failed with `#lastError`, when its endpoint names one. */
    #lastErrorPod: string | undefined;
    /** The resolver's note on the last list (why it may be stale, say): calls that fail on every endpoint carry it. */
    #resolutionNote = "";
    /** The Service of the last list's endpoints, for the same calls, or "". */
    #service = "";
    /** The target's default authority, from the last list's endpoints, or "". */
    #authority = "";
    #pending = new Map<string, PendingChild>();
    /**
     * Leaves of endpoints that left the list (of every endpoint once the policy is destroyed), no longer picked,
     * waiting to be destroyed (see `#drain`).
     */
    #retired: Leaf[] = [];
    /** Endpoints that left the list in the last {@linkcode DEPARTED_MEMORY_MS}, oldest first, with when they left. */
    #departed = new Map<string, number>();
    #drainScheduled = false;
    #destroyed = false;
    /**
     * A READY child lost its connection (a GOAWAY, a reset) less than {@linkcode SETTLE_MS} ago, or the I/O that came
     * meanwhile has not been read yet: picks wait, so that the GOAWAYs of siblings that stop with it are read first.
     * grpc-js retries a call that the leaving server refused once, at once: without the wait, the retry went to a
     * sibling shutting down too, and failed with "Stream refused by server".
     */
    #settling = false;
    /** The state and tier last traced (see `#traceState`). */
    #tracedState = "";

    /**
     * What grpc-js before 1.13 gives a policy besides its helper, and its leaf balancers take after theirs, in
     * the same order: the channel options (1.10, 1.11), or the credentials and the options (1.12). Later versions
     * give the options with each update.
     */
    #leafArgs: unknown[];

    constructor(helper: ChannelControlHelper, ...leafArgs: unknown[]) {
      this.#helper = helper;
      this.#leafArgs = leafArgs;
    }

    updateAddressList(
      update: EndpointList | BalancedEndpoint[],
      config: unknown,
      options: Record<string, unknown> | undefined,
      resolutionNote = "",
    ): boolean {
      // Any copy's config: another copy of the package beside this grpc-js (a second bundle, a hot reload) registers
      // its classes again, and grpc-js hands their configs to the policies that channels already have.
      if ((config as Partial<BalancerConfig> | null)?.getLoadBalancerName?.() !== BALANCER_NAME) return false;
      this.#failoverTimeoutMs = (config as BalancerConfig).failoverTimeoutMs ?? DEFAULT_FAILOVER_TIMEOUT_MS;
      // Before 1.14 grpc-js hands the endpoints themselves, no note, and options with the resolver's attributes
      // (before 1.13, the attributes alone).
      const list: EndpointList = Array.isArray(update) ? { ok: true, value: update } : update;
      const emptyListError = options?.[EMPTY_LIST_ERROR_ATTRIBUTE];
      if (!list.ok) {
        if (this.#children.size === 0) {
          this.#report(TRANSIENT_FAILURE, new experimental.UnavailablePicker(list.error as never), list.error.details);
        }
        return true;
      }
      this.#paused = true;
      const seen = new Set<string>();
      const pending = new Map<string, PendingChild>();
      for (const tier of this.#tiers) tier.pending = 0;
      let others = 0;
      let sameZone = 0;
      for (const endpoint of list.value) {
        const key = endpointKey(endpoint);
        if (seen.has(key)) continue;
        seen.add(key);
        const index = tierOf(endpoint);
        if (index > 0) others++;
        if (index === 1) sameZone++;
        const tier = this.#tiers[index];
        const child = this.#children.get(key);
        if (child === undefined) {
          pending.set(key, { endpoint, tier, options, note: resolutionNote });
          tier.pending++;
        } else {
          // A pod that came back at the same address keeps its child: the pod's name is the new one's.
          child.pod = endpoint.pod;
          if (child.tier !== tier) moveToTier(child, tier);
        }
      }
      this.#pending = pending;
      this.#resolutionNote = resolutionNote;
      // An empty list keeps the Service of the one before, for the trace.
      this.#service = list.value[0]?.service ?? (list.value.length === 0 ? this.#service : "");
      this.#authority = list.value[0]?.authority ?? "";
      const now = performance.now();
      for (const [key, at] of this.#departed) {
        if (now - at < DEPARTED_MEMORY_MS) break;
        this.#departed.delete(key);
      }
      let gone = 0;
      for (const [key, child] of this.#children) {
        if (seen.has(key)) continue;
        gone++;
        this.#children.delete(key);
        this.#departed.set(key, now);
        leaveReady(child);
        child.tier.size--;
        child.tier.counts[child.state]--;
        child.stopRetrying?.();
        if (child.calls > 0) child.leaving = true;
        else this.#retired.push(child.leaf);
      }
      this.#paused = false;
      const zone = sameZone > 0 ? `, ${sameZone} in the client's zone` : "";
      const preferred = others > 0 ? ` (${seen.size - others} preferred${zone})` : "";
      this.#trace(`${countOf(seen.size, "endpoint")}${preferred}: ${pending.size} new, ${gone} gone`);
      if (seen.size === 0) {
        // No endpoint to fail over to either: the resolver's error stands (`#update` leaves it).
        this.#cancelFailoverTimer();
        const details = typeof emptyListError === "string"
          ? emptyListError
          : `No addresses resolved. Resolution note: ${resolutionNote}`;
        this.#report(TRANSIENT_FAILURE, new experimental.UnavailablePicker({ details } as never), details);
      }
      this.#drain();
      return true;
    }

    /**
     * Destroys retired leaves (tens of microseconds each), then creates children (at least one), for at most
     * {@linkcode WORK_BUDGET_MS} a turn: at 30,000 endpoints, creations first held departed pods' subchannels for minutes.
     */
    #drain(): void {
      const started = performance.now();
      this.#paused = true;
      while (this.#retired.length > 0 && performance.now() - started <= WORK_BUDGET_MS) this.#retired.pop()!.destroy();
      for (const [key, { endpoint, tier, options, note }] of this.#pending) {
        this.#pending.delete(key);
        tier.pending--;
        this.#addChild(key, endpoint, tier, options, note);
        if (performance.now() - started > WORK_BUDGET_MS) break;
      }
      this.#paused = false;
      if (!this.#destroyed) this.#update();
      if ((this.#pending.size === 0 && this.#retired.length === 0) || this.#drainScheduled) return;
      this.#drainScheduled = true;
      unrefTimer(setTimeout(() => {
        this.#drainScheduled = false;
        this.#drain();
      }, 0));
    }

    /** grpc-js calls it for every call: a scan only when a child is IDLE, which `#setState` makes rare. */
    exitIdle(): void {
      if (this.#tiers.every((tier) => tier.counts[IDLE] === 0)) return;
      for (const child of this.#children.values()) if (child.state === IDLE) child.leaf.exitIdle();
    }

    resetBackoff(): void {}

    /**
     * grpc-js calls it when the channel closes or goes idle, or takes another policy. Nothing is reported from here
     * on; the children are destroyed over turns, as those of departed endpoints are (5,000 at once held the turn of
     * `close()` for 55 to 520 ms on a busy machine, median 100). A small channel's all go in this turn, and grpc-js's
     * `close()` then drops the subchannels nobody else holds at once; a child destroyed in a later turn leaves its
     * subchannel to grpc-js's pool, which drops it at its next sweep (every 10 s).
     */
    destroy(): void {
      this.#destroyed = true;
      this.#cancelFailoverTimer();
      this.#pending.clear();
      this.#departed.clear();
      for (const child of this.#children.values()) {
        child.stopRetrying?.();
        this.#retired.push(child.leaf);
      }
      this.#children.clear();
      this.#tiers = this.#newTiers();
      this.#drain();
    }

    getTypeName(): string {
      return BALANCER_NAME;
    }

    #newTiers(): Tier[] {
      return [0, 1, 2].map(() => newTier(this.#queuePicker, (child) => this.#lastCallEnded(child)));
    }

    #addChild(key: string, endpoint: BalancedEndpoint, tier: Tier, options: object | undefined, note: string): void {
      const { pod } = endpoint;
      const child: Child = { leaf: undefined as unknown as Leaf, tier, pod, state: IDLE, readyIndex: -1, calls: 0 };
      const departed = this.#departed.delete(key);
      const helper = experimental.createChildChannelControlHelper(this.#helper as never, {
        updateState: (state: number, picker: Picker, errorMessage?: string | null) => {
          if (this.#children.get(key) !== child) return;
          if (child.stopRetrying && state === TRANSIENT_FAILURE) return this.#setState(child, CONNECTING, null);
          this.#setState(child, state, errorMessage ?? (state === TRANSIENT_FAILURE ? pickerError(picker) : null));
        },
        createSubchannel: childSubchannelFactory(this.#helper, { child, departed, states: grpc.connectivityState }),
      } as never);
      child.leaf = this.#leafArgs.length > 0
        ? new experimental.LeafLoadBalancer(endpoint as never, helper as never, ...this.#leafArgs)
        : new experimental.LeafLoadBalancer(endpoint as never, helper as never, options, note);
      this.#children.set(key, child);
      tier.size++;
      tier.counts[IDLE]++;
      child.leaf.startConnecting();
    }

    #setState(child: Child, state: number, errorMessage: string | null): void {
      if (errorMessage) {
        this.#lastError = leafError(errorMessage).trimEnd();
        this.#lastErrorPod = child.pod;
      }
      const { tier } = child;
      if (child.state === READY && state !== READY) {
        this.#helper.requestReresolution();
        this.#settle();
      }
      if (child.state === READY) leaveReady(child);
      tier.counts[child.state]--;
      tier.counts[state]++;
      child.state = state;
      if (state === READY) {
        child.readyIndex = tier.ready.length;
        tier.ready.push(child);
      }
      // Keep every endpoint connected, as round_robin does.
      if (state === IDLE) child.leaf.exitIdle();
      if (!this.#paused) this.#update();
    }

    /** The last call on a child's picks ended: if its endpoint left the list meanwhile, its leaf is retired now. */
    #lastCallEnded(child: Child): void {
      if (!child.leaving) return;
      child.leaving = false;
      this.#retired.push(child.leaf);
      this.#drain();
    }

    /**
     * Holds picks for {@linkcode SETTLE_MS} (see `#settling`), then until the sockets have been read once more: a
     * process that was descheduled or blocked runs its overdue timers before it reads what came meanwhile, so the
     * retries of the calls the first pod refused went to a sibling whose GOAWAY had come but was not read yet, and
     * were refused again (2 calls "Stream refused by server" in CI, at load over 10). A child that leaves meanwhile
     * does not extend it.
     */
    #settle(): void {
      if (this.#settling || this.#destroyed) return;
      this.#settling = true;
      // A zero timeout set by a timer runs after the next read of the sockets (measured on Node, Deno and Bun).
      unrefTimer(setTimeout(() =>
        unrefTimer(setTimeout(() => {
          this.#settling = false;
          if (!this.#destroyed) this.#update();
        }, 0)), SETTLE_MS));
    }

    /** Fails over to the next tier once the timeout passes without an endpoint of the reach READY (see `#reach`). */
    #startFailoverTimer(): void {
      if (this.#stopFailoverTimer !== undefined) return;
      const reach = this.#reach;
      this.#stopFailoverTimer = startFailoverTimer(() => this.#failoverTimeoutMs, (waited) => {
        this.#stopFailoverTimer = undefined;
        if (this.#destroyed || this.#reach !== reach || this.#tiers[reach].ready.length > 0) return;
        this.#trace(`no ${TIER_NAMES[reach]} endpoint became READY within ${waited}: ${this.#failingOver(reach)}`);
        this.#reach = reach + 1;
        this.#update();
      }, { trace: (text) => this.#trace(text) });
    }

    /** What failing over from a tier does, in words: the next tier with endpoints gets calls. */
    #failingOver(from: number): string {
      const size = (tier: Tier) => tier.size + tier.pending;
      if (from === 0 && size(this.#tiers[1]) > 0) return "failing over to the client's zone";
      if (size(this.#tiers[2]) > 0) return "failing over to the others";
      return "others that come get calls at once";
    }

    #cancelFailoverTimer(): void {
      this.#stopFailoverTimer?.();
      this.#stopFailoverTimer = undefined;
    }

    /** Picks the tier calls go to and reports the channel's state; O(1) (three tiers). */
    #update(): void {
      // An empty list: its failure, with the resolver's reason, was reported with it and stands.
      if (this.#children.size === 0 && this.#pending.size === 0) return;
      const tiers = this.#tiers;
      const last = tiers.length - 1;
      let anyConnecting = false;
      for (let i = 0; i <= this.#reach; i++) {
        const tier = tiers[i];
        if (tier.ready.length > 0) {
          this.#reach = i;
          this.#cancelFailoverTimer();
          return this.#reportUnlessSettling(READY, tier.picker, null);
        }
        if (tier.counts[CONNECTING] + tier.counts[IDLE] + tier.pending > 0) anyConnecting = true;
        if (i < this.#reach) continue;
        if (i < last && tier.counts[TRANSIENT_FAILURE] === tier.size && tier.pending === 0) {
          // Every endpoint of the reach failed, or it has none: the next tier is the reach, with a timer of its own.
          this.#cancelFailoverTimer();
          this.#reach = i + 1;
        } else if (i < last) this.#startFailoverTimer();
      }
      if (anyConnecting) return this.#report(CONNECTING, this.#queuePicker, null);
      const note = this.#resolutionNote ? `. Resolution note: ${this.#resolutionNote}` : "";
      const of = this.#service ? ` of ${this.#service}` : "";
      const lastError = this.#lastError || "none";
      const advice = tlsNameAdvice(lastError, this.#authority) || tlsConnectionAdvice(lastError) ||
        podNetAdvice(lastError);
      const pod = this.#lastError && this.#lastErrorPod ? ` (pod ${this.#lastErrorPod})` : "";
      const details = `No connection to any endpoint${of}: last error: ${lastError}${pod}${advice}${note}`;
      if (this.#state === TRANSIENT_FAILURE && this.#errorMessage === details) return;
      this.#reportUnlessSettling(TRANSIENT_FAILURE, new experimental.UnavailablePicker({ details } as never), details);
    }

    /** Reports a state, but while `#settling` picks wait: READY stays READY, anything else is CONNECTING. */
    #reportUnlessSettling(state: number, picker: Picker, errorMessage: string | null): void {
      if (!this.#settling) return this.#report(state, picker, errorMessage);
      this.#report(state === READY ? READY : CONNECTING, this.#queuePicker, null);
    }

    /** Tells the channel, unless nothing changed: a storm of child state changes must not become a storm of updates. */
    #report(state: number, picker: Picker, errorMessage: string | null): void {
      if (state === this.#state && picker === this.#picker) return;
      this.#traceState(state);
      this.#state = state;
      this.#picker = picker;
      this.#errorMessage = errorMessage;
      this.#helper.updateState(state, picker, errorMessage);
    }

    /** Traces a state the channel is told, when it or the tier calls go to changed: not each new error of a child. */
    #traceState(state: number): void {
      const key = `${state} ${this.#reach}`;
      if (key === this.#tracedState) return;
      this.#tracedState = key;
      const [preferred, zone, others] = this.#tiers;
      const size = (tier: Tier) => tier.size + tier.pending;
      const ready = (tier: Tier) => `${tier.ready.length} of ${size(tier)} READY`;
      let counts;
      const none = size(preferred) + size(zone) + size(others) === 0;
      if (none) counts = "no endpoints";
      else if (size(zone) + size(others) === 0) {
        counts = `${preferred.ready.length} of ${countOf(size(preferred), "endpoint")} READY`;
      } else {
        const where = this.#reach > 0 ? "calls go to the others" : "the others wait";
        counts = `${preferred.ready.length} of ${size(preferred)} preferred endpoints READY`;
        if (size(zone) === 0) counts += `, ${where}: ${ready(others)}`;
        else {
          const zoneWhere = ["the client's zone waits", "calls go to the client's zone", "the client's zone failed"];
          const othersWhere = this.#reach === 2 ? "calls go to the others" : "the others wait";
          counts += `, ${zoneWhere[this.#reach]}: ${ready(zone)}, ${othersWhere}: ${ready(others)}`;
        }
      }
      const error = state === TRANSIENT_FAILURE && !none && this.#lastError ? `: last error: ${this.#lastError}` : "";
      this.#trace(`${STATE_NAMES[state]}: ${counts}${error}`);
    }

    /** Traces a line under the policy's name, after the Service of its endpoints when the resolver gave one. */
    #trace(text: string): void {
      traceLine(this.#service ? `${this.#service}: ${text}` : text);
    }
  }

  return { Balancer, Config };
}

/** `1 endpoint`, `2 endpoints`. */
function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
