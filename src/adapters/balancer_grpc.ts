/**
 * The parts of grpc-js that `kubernetes_round_robin` works with, as far as it uses them: typed here, since the policy
 * never imports grpc-js (it is handed the caller's copy of the module).
 *
 * @module
 */

import type { BalancedEndpoint } from "./balanced_endpoint.ts";

/** A grpc-js picker: where a call goes. */
export interface Picker {
  /** Picks for one call. */
  pick(args: unknown): unknown;
}

/** What grpc-js gives a policy to report its state and create subchannels. */
export interface ChannelControlHelper {
  /** Tells the channel the policy's state, its picker and why it fails. */
  updateState(state: number, picker: Picker, errorMessage: string | null): void;
  /** Asks the resolver for a new list. */
  requestReresolution(): void;
  /** Creates a subchannel (or hands out the one grpc-js's pool keeps for the address and options). */
  createSubchannel(address: unknown, options: unknown): Subchannel;
}

/** A grpc-js subchannel, as the policy watches it. */
export interface Subchannel {
  /** Takes a reference. */
  ref(): void;
  /** Drops a reference. */
  unref(): void;
  /** Its connectivity state. */
  getConnectivityState(): number;
  /** Calls `listener` on each change of its state. */
  addConnectivityStateListener(listener: SubchannelStateListener): void;
  /** Stops calling `listener`. */
  removeConnectivityStateListener(listener: SubchannelStateListener): void;
  /** The subchannel under a wrapper; its `resetBackoff()` ends a connection backoff. */
  getRealSubchannel?(): { resetBackoff?(): void };
}

/** A subchannel's state listener. */
type SubchannelStateListener = (subchannel: Subchannel, previous: number, state: number) => void;

/** A grpc-js `LeafLoadBalancer`: one endpoint's child policy. */
export interface Leaf {
  /** Starts connecting its subchannels. */
  startConnecting(): void;
  /** Its current picker. */
  getPicker(): Picker;
  /** Leaves IDLE: connects again. */
  exitIdle(): void;
  /** Lets its subchannels go. */
  destroy(): void;
}

/** The parts of a grpc-js module (1.10+) that the default policy uses; {@linkcode GrpcModule} adds the rest. */
export interface BalancerGrpc {
  /** `grpc.connectivityState`. */
  connectivityState: { IDLE: number; CONNECTING: number; READY: number; TRANSIENT_FAILURE: number };
  /** `grpc.logVerbosity`. */
  logVerbosity: { DEBUG: number; ERROR: number };
  /** `grpc.experimental`: the load-balancing building blocks, logging and tracing. */
  experimental: {
    log(severity: never, ...args: unknown[]): void;
    trace(severity: never, tracer: string, text: string): void;
    registerLoadBalancerType(name: string, balancer: never, config: never): void;
    createChildChannelControlHelper(parent: never, overrides: never): unknown;
    /** Its arguments after the helper differ by version: see the policy's `#leafArgs`. */
    LeafLoadBalancer: new (endpoint: never, helper: never, ...rest: never[]) => unknown;
    QueuePicker: new (balancer: never) => unknown;
    UnavailablePicker: new (status?: never) => unknown;
  };
}

/** A `StatusOr<Endpoint[]>` as grpc-js 1.14 hands it to a policy; earlier versions hand the endpoints themselves. */
export type EndpointList = { ok: true; value: BalancedEndpoint[] } | { ok: false; error: { details: string } };
